/**
 * What viewers reach on `fjord serve --web`: pages, feeds, .torrent and subtitle downloads, the
 * player's files. Routes (added to the shared WebServer after the web seed's /media/*):
 *
 *   /                               home: series, latest episodes, the feed of everything
 *   /series/<slug>                  a series: seasons, episodes, subscribe buttons
 *   /series/<slug>/s01e02           an episode: player, downloads, subtitles, rights, live swarm
 *   /series/<slug>/s01e02/stats.json  its live swarm figures (the page refreshes them)
 *   /series/<slug>/s01e02/player.torrent  the .torrent as the web player gets it (see playerTorrent)
 *   /about                          about, privacy notice, how to subscribe
 *   /feeds/all.rss, /feeds/<slug>.rss   RSS 2.0 (BEP 36, torrent and Media RSS namespaces)
 *   /torrents/<name>.torrent        the .torrent (catalog path torrents/<name>.torrent)
 *   /torrents/<name>.v1.torrent     a hybrid one's v1 twin, for clients that cannot read BEP 52
 *   /subtitles/<series>/<name>/...  WebVTT (and other subtitle files the catalog lists there)
 *   /community-subtitles/...        approved community subtitles, .vtt and .srt (src/subtitles/)
 *   /assets/..., /webtorrent-sw.js  stylesheet, icon, player, WebTorrent (see assets.ts)
 * and the HTML 404 page for every path no route matches. Official SRT files are the web seed's
 * (/media/...), linked from the episode page.
 *
 * Only episodes distributable now are shown or served: the site is rebuilt from each catalog
 * snapshot and every request re-checks the window against the clock (site-data.ts).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { bdecode, bencode, type BDict } from '../protocol/bencode.js';
import { magnetLink } from '../protocol/magnet.js';
import { parseTorrent, v1Twin } from '../protocol/metainfo.js';
import { Assets } from './assets.js';
import { ImageSizes, imageUrl } from './artwork.js';
import type { Branding } from './branding.js';
import { feedEntity, renderFeed } from './feeds.js';
import { formatNumber, LANGUAGES } from './i18n.js';
import { Layout, setSecurityHeaders, type RequestContext } from './layout.js';
import {
  aboutPage,
  episodePage,
  gonePage,
  homePage,
  searchPage,
  seriesPage,
  text,
  type EpisodeCommunity,
  type PageLinks,
} from './pages.js';
import type { RouteMatch, WebServer } from './server.js';
import {
  parseEpisodeCode,
  type Artwork,
  type EpisodeEntry,
  type SiteData,
  type SiteDataSource,
} from './site-data.js';
import type { SwarmFigures, SwarmStats } from './swarm-stats.js';
import { SRT_TYPE, VTT_TYPE, cleanPath, sendEntity, sendFile } from './webseed.js';

export interface AudienceOptions {
  dataDir: string;
  /** The web server's public base URL (feeds and magnet links need absolute URLs). */
  publicWebUrl: string;
  /** Tracker URLs for magnet links (with each torrent's own). */
  publicTrackerUrls: string[];
  /** WebSocket tracker URLs for the browser player (also in magnet links); asked per request. */
  wsTrackerUrls: () => string[];
  /** STUN/TURN URLs for WebRTC; empty: none (no third party learns viewers' addresses). */
  iceServers: string[];
  /** Seconds after which the tracker forgets a peer / a browser peer (for the privacy notice). */
  peerTimeout: number;
  wsPeerTimeout: number;
  siteName?: string;
  /** The broadcaster's brand (name, logo, colours, footer and about text): src/web/branding.ts. */
  branding?: Branding;
  /** The broadcaster's time zone (config timeZone): every time on the pages is printed in it. */
  timeZone?: string;
  /** The catalog's full-text search (Catalog.search); absent: no search box. */
  search?: (q: string) => Promise<{ series: number[]; episodes: number[] }>;
  /** Config programmeLanguage and subtitlesOnWhenForeign (the player's default subtitles). */
  programmeLanguage?: string;
  subtitlesOnWhenForeign?: boolean;
  /** Feed <ttl>, minutes. */
  feedTtlMinutes?: number;
  /** Most items in a feed (newest first). */
  feedMaxItems?: number;
  now?: () => Date;
  /** Where to say why a served file could not be made (the server's log). */
  log?: (msg: string) => void;
}

const TORRENT_TYPE = 'application/x-bittorrent';

export class Audience {
  readonly layout: Layout;
  readonly assets: Assets;
  private readonly siteName: string;
  private readonly base: string;
  private readonly now: () => Date;
  private readonly links: PageLinks;
  private feedCache = new Map<string, { body: string; lastModified: Date | null }>();
  private playerTorrents = new Map<string, Buffer>();
  private feedCacheVersion = '';
  private readonly images: ImageSizes;
  /** Community subtitles (credits, the contribute form), when `fjord serve` runs them. */
  community: EpisodeCommunity | null = null;

  constructor(
    private readonly options: AudienceOptions,
    private readonly site: SiteDataSource,
    private readonly stats: SwarmStats | null,
  ) {
    this.assets = new Assets();
    this.images = new ImageSizes(options.dataDir);
    const brand = options.branding;
    this.siteName = brand?.siteName ?? options.siteName ?? 'fjord';
    this.base = options.publicWebUrl.replace(/\/+$/, '');
    this.now = options.now ?? (() => new Date());
    const logo = brand?.logo ?? null;
    this.layout = new Layout({
      siteName: this.siteName,
      stylesheet: this.assets.url('site.css'),
      icon: this.assets.url('icon.svg'),
      stylesheets: brand
        ? [this.assets.addGenerated('brand.css', 'brand', 'css', Buffer.from(brand.css))]
        : [],
      logo: logo && {
        src: this.assets.addGenerated('logo', 'logo', logo.ext, logo.bytes, logo.type),
        width: logo.width,
        height: logo.height,
      },
      footerText: brand?.footerText ?? null,
      ...(options.search ? { search: { action: '/search' } } : {}),
    });
    this.links = {
      abs: (path) => this.base + path,
      siteName: this.siteName,
      timeZone: options.timeZone,
      magnet: (e) => this.magnet(e),
      allFeed: '/feeds/all.rss',
      player: {
        programmeLanguage: options.programmeLanguage,
        subtitlesOnWhenForeign: options.subtitlesOnWhenForeign,
        script: this.assets.url('player.js'),
        webtorrent: this.assets.url('webtorrent.js'),
        serviceWorker: this.assets.url('sw.js'),
        get wsTrackers() {
          return options.wsTrackerUrls();
        },
        iceServers: options.iceServers,
      },
    };
  }

  /**
   * v1 and v2 xt, dn, every tracker (the torrent's, the public ones, WebSocket), web seeds (for an
   * episode of one file, the file's URL: see webSeedsForOneFile), xs.
   */
  magnet(e: EpisodeEntry): string {
    const t = e.torrent;
    return magnetLink({
      ...(t.infoHashV1 ? { v1: t.infoHashV1 } : {}),
      ...(t.infoHashV2 ? { v2: t.infoHashV2 } : {}),
      name: e.facts.name,
      trackers: [
        ...new Set([...e.facts.trackers, ...this.options.publicTrackerUrls, ...this.options.wsTrackerUrls()]),
      ],
      webSeeds: this.webSeedsForOneFile(e),
      xs: this.base + e.torrentPath,
    });
  }

  figures(e: EpisodeEntry): SwarmFigures {
    return this.stats?.figures(e.torrent) ?? { seeders: 0, leechers: 0, completed: 0 };
  }

  register(web: WebServer): void {
    this.assets.register(web);
    const page =
      (
        fn: (
          req: IncomingMessage,
          res: ServerResponse,
          ctx: RequestContext,
          m: RouteMatch,
          data: SiteData,
        ) => void,
      ) =>
      async (req: IncomingMessage, res: ServerResponse, m: RouteMatch): Promise<void> => {
        const ctx = this.layout.context(req, res, m);
        if (ctx === null) return;
        fn(req, res, ctx, m, await this.site.current());
      };

    web.addRoute(
      'GET',
      '/',
      page((_req, res, ctx, _m, data) => {
        const now = this.now();
        const series = data.series(now).map((entry) => ({ entry, visible: data.episodes(entry, now) }));
        this.layout.send(
          res,
          ctx,
          200,
          homePage(ctx.lang, this.siteName, series, data.latest(now), this.links),
        );
      }),
    );
    web.addRoute(
      'GET',
      '/about',
      page((_req, res, ctx) => {
        const o = this.options;
        const facts = {
          siteName: this.siteName,
          aboutText: this.options.branding?.aboutText ?? null,
          peerTimeoutMinutes: Math.ceil(o.peerTimeout / 60),
          browserTimeoutMinutes: Math.ceil(o.wsPeerTimeout / 60),
          iceServers: o.iceServers,
        };
        this.layout.send(res, ctx, 200, aboutPage(ctx.lang, facts, this.links));
      }),
    );
    web.addRoute('GET', '/search', async (req, res, m) => {
      const ctx = this.layout.context(req, res, m);
      if (ctx === null) return;
      const search = this.options.search;
      if (!search) return this.layout.notFound(res, ctx);
      const q = (ctx.query.get('q')?.[0] ?? '').trim().slice(0, 200);
      const data = await this.site.current();
      const now = this.now();
      const found = q === '' ? { series: [], episodes: [] } : await search(q);
      // Only what the site shows now: distributed episodes, series with something to see.
      const visible = new Map(data.latest(now).map((e) => [e.episode.id, e]));
      const shown = new Map(data.series(now).map((s) => [s.series.id, s]));
      const series = found.series.flatMap((id) => shown.get(id) ?? []);
      const episodes = found.episodes.flatMap((id) => visible.get(id) ?? []);
      const bannerOf = (e: EpisodeEntry) => data.findSeries(e.episode.seriesSlug)?.banner ?? null;
      this.layout.send(res, ctx, 200, searchPage(ctx.lang, q, series, episodes, this.links, bannerOf));
    });
    web.addRoute(
      'GET',
      '/series/:slug',
      page((_req, res, ctx, m, data) => {
        const s = data.findSeries(m.params.slug);
        const now = this.now();
        const visible = s ? data.episodes(s, now) : [];
        const upcoming = s ? data.upcoming(s, now) : [];
        if (!s || (visible.length === 0 && upcoming.length === 0)) return this.layout.notFound(res, ctx);
        this.layout.send(res, ctx, 200, seriesPage(ctx.lang, s, visible, this.links, upcoming));
      }),
    );
    web.addRoute(
      'GET',
      '/series/:slug/:code',
      page((req, res, ctx, m, data) => {
        const e = this.findEpisode(data, m);
        const s = e && data.findSeries(e.episode.seriesSlug);
        if (!e || !s) {
          // Distributed once and no longer (withdrawn, or its window closed): 410, linking to the series.
          const code = parseEpisodeCode(m.params.code);
          if (code !== null && data.isGone(m.params.slug, code[0], code[1]))
            return this.layout.send(res, ctx, 410, gonePage(ctx.lang, data.findSeries(m.params.slug)));
          return this.layout.notFound(res, ctx);
        }
        this.layout.send(
          res,
          ctx,
          200,
          episodePage(ctx.lang, e, s, this.figures(e), this.links, this.community ?? undefined, req),
        );
      }),
    );
    web.addRoute(
      'GET',
      '/series/:slug/:code/stats.json',
      page((_req, res, ctx, m, data) => {
        const e = this.findEpisode(data, m);
        if (!e) return this.layout.notFound(res, ctx);
        const f = this.figures(e);
        const formatted = {
          seeders: formatNumber(ctx.lang, f.seeders),
          leechers: formatNumber(ctx.lang, f.leechers),
          completed: formatNumber(ctx.lang, f.completed),
        };
        sendJson(res, { ...f, formatted });
      }),
    );
    web.addRoute('GET', '/series/:slug/:code/player.torrent', async (req, res, m) => {
      const ctx = this.layout.context(req, res, m);
      if (ctx === null) return;
      const e = this.findEpisode(await this.site.current(), m);
      if (!e) return this.layout.notFound(res, ctx);
      setSecurityHeaders(res);
      await sendTorrent(req, res, await this.playerTorrent(e));
    });
    web.addRoute('GET', '/feeds/:file', (req, res, m) => this.feed(req, res, m));
    web.addRoute('GET', '/images/:stem/:file', async (req, res, m) => {
      const ctx = this.layout.context(req, res, m);
      if (ctx === null) return;
      const size = ImageSizes.parse(m.params.file);
      const art = size && (await this.site.current()).image(m.params.stem, this.now());
      if (!size || !art) return this.layout.notFound(res, ctx);
      await this.images.send(req, res, art, size.width, size.ext);
    });
    web.addRoute('GET', '/torrents/:file', async (req, res, m) => {
      const ctx = this.layout.context(req, res, m);
      if (ctx === null) return;
      const file = m.params.file;
      const twin = file.endsWith('.v1.torrent');
      const catalogFile = twin ? `${file.slice(0, -'.v1.torrent'.length)}.torrent` : file;
      const e = /^[a-z0-9][a-z0-9-]*\.torrent$/.test(catalogFile)
        ? (await this.site.current()).byTorrent(`torrents/${catalogFile}`, this.now())
        : undefined;
      if (!e || (twin && e.twinTorrentPath === null)) return this.layout.notFound(res, ctx);
      if (twin) return this.sendTwin(req, res, ctx, e, file);
      setSecurityHeaders(res);
      res.setHeader('Content-Disposition', `attachment; filename="${file}"`);
      if (!(await sendFile(req, res, join(this.options.dataDir, e.torrent.path), TORRENT_TYPE)))
        this.layout.notFound(res, ctx);
    });
    // Official WebVTT copies, and approved community subtitles (DATA/community-subtitles/): only
    // paths the site lists for a visible episode.
    for (const dir of ['subtitles', 'community-subtitles'])
      web.addRoute('GET', `/${dir}/*`, async (req, res, m) => {
        const ctx = this.layout.context(req, res, m);
        if (ctx === null) return;
        const segments = cleanPath(m.rest);
        const path = segments === null ? null : `${dir}/${segments.join('/')}`;
        const e = path === null ? undefined : (await this.site.current()).bySubtitle(path, this.now());
        if (!e || path === null) return this.layout.notFound(res, ctx);
        setSecurityHeaders(res);
        const type = path.endsWith('.srt') ? SRT_TYPE : VTT_TYPE;
        if (!(await sendFile(req, res, join(this.options.dataDir, path), type)))
          this.layout.notFound(res, ctx);
      });
    web.setNotFound((req, res) => this.layout.notFound(res, this.layout.bareContext(req)));
  }

  /**
   * Web seed URLs that work for clients deciding "single-file" by the number of files (libtorrent,
   * WebTorrent): for a torrent of one file, the file's own URL; otherwise the torrent's url-list.
   */
  webSeedsForOneFile(e: EpisodeEntry): string[] {
    if (e.facts.files.length !== 1) return e.facts.webSeeds;
    const path = e.facts.files[0].path.split('/').map(encodeURIComponent).join('/');
    return e.facts.webSeeds.map((u) => (u.endsWith('/') ? u + path : u));
  }

  /**
   * The .torrent for the web player. WebTorrent takes a torrent of one file for a single-file torrent
   * and asks its web seed URL itself for the bytes, which for fjord's `<publicWebUrl>/media/<series>/`
   * names no file. So for an episode of one file (no subtitles) the player gets the same torrent with
   * url-list pointing at the file itself; the info dictionary, and so the info hashes and the swarm,
   * are unchanged (checked; if re-encoding changed them, the original is served). Torrents of several
   * files are served as they are.
   */
  async playerTorrent(e: EpisodeEntry): Promise<Buffer> {
    const cached = this.playerTorrents.get(e.torrent.path);
    if (cached) return cached;
    const original = await readFile(join(this.options.dataDir, e.torrent.path));
    let out: Buffer = original;
    if (e.facts.files.length === 1) {
      const top = bdecode(original) as BDict;
      top['url-list'] = this.webSeedsForOneFile(e);
      const rewritten = bencode(top);
      const m = parseTorrent(rewritten);
      if (
        m.infoHashV1 === (e.torrent.infoHashV1 ?? undefined) &&
        m.infoHashV2 === (e.torrent.infoHashV2 ?? undefined)
      )
        out = rewritten;
    }
    if (this.playerTorrents.size > 1000) this.playerTorrents.clear();
    this.playerTorrents.set(e.torrent.path, out);
    return out;
  }

  /**
   * The v1 twin, derived from the hybrid .torrent file at each request (a few kilobytes to decode), so
   * it always carries the trackers and web seeds the file has now (`fjord torrent reissue` rewrites
   * them). Served only when its hash is the one the catalog, and so the tracker, knows.
   */
  private async sendTwin(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
    e: EpisodeEntry,
    file: string,
  ): Promise<void> {
    let body: Buffer;
    try {
      body = v1Twin(await readFile(join(this.options.dataDir, e.torrent.path)));
      if (parseTorrent(body).infoHashV1 !== e.torrent.infoHashV1Twin)
        throw new Error('its info hash is not the catalogued one');
    } catch (err) {
      // The file changed under the catalog (or is gone): nothing the tracker would accept.
      this.options.log?.(
        `web: no v1 twin for ${e.torrent.path}: ${err instanceof Error ? err.message : String(err)}`,
      );
      return this.layout.notFound(res, ctx);
    }
    setSecurityHeaders(res);
    res.setHeader('Content-Disposition', `attachment; filename="${file}"`);
    await sendTorrent(req, res, body);
  }

  /** Absolute URL of a JPEG size of an artwork, or null. */
  private artUrl(a: Artwork | null, width: number): string | null {
    return a === null ? null : this.base + imageUrl(a, width, 'jpg');
  }

  private findEpisode(data: SiteData, m: RouteMatch): EpisodeEntry | undefined {
    const code = parseEpisodeCode(m.params.code);
    return code === null ? undefined : data.findEpisode(m.params.slug, code[0], code[1], this.now());
  }

  private async feed(req: IncomingMessage, res: ServerResponse, m: RouteMatch): Promise<void> {
    const ctx = this.layout.context(req, res, m);
    if (ctx === null) return;
    const data = await this.site.current();
    const now = this.now();
    const file = m.params.file;
    const slug = file.endsWith('.rss') ? file.slice(0, -4) : null;
    const series = slug === null || slug === 'all' ? null : data.findSeries(slug);
    if (slug === null || (slug !== 'all' && !series)) return this.layout.notFound(res, ctx);
    const max = this.options.feedMaxItems ?? 200;
    const items = (series ? data.episodes(series, now) : data.latest(now))
      .sort(
        (a, b) =>
          (b.episode.publishedAt?.getTime() ?? 0) - (a.episode.publishedAt?.getTime() ?? 0) ||
          b.episode.season - a.episode.season ||
          b.episode.episode - a.episode.episode,
      )
      .slice(0, max);
    // Rendered once per catalog snapshot and item set (items leave by the clock between snapshots).
    if (this.feedCacheVersion !== data.version) {
      this.feedCache = new Map();
      this.feedCacheVersion = data.version;
    }
    const ahead = series ? data.upcoming(series, now).map((u) => u.id) : [];
    const key = `${file}\0${items.map((e) => e.episode.id).join(',')}\0${ahead.join(',')}`;
    const feedUrls = {
      ...this.links,
      thumbnail: (e: EpisodeEntry) =>
        this.artUrl(e.still ?? data.findSeries(e.episode.seriesSlug)?.banner ?? null, 640),
    };
    let cached = this.feedCache.get(key);
    if (cached === undefined) {
      const lastModified = data.lastChangeAt(series ?? null, now);
      const self = `${this.base}${m.path}`;
      const body = series
        ? renderFeed({
            title: series.series.title,
            link: this.base + series.path,
            self,
            description: series.series.description ?? series.series.title,
            lastBuildDate: lastModified,
            ttlMinutes: this.options.feedTtlMinutes ?? 30,
            items,
            urls: feedUrls,
            language: LANGUAGES[0],
            image: this.artUrl(series.poster ?? series.banner, 640),
            upcoming: data.upcoming(series, now).map((u) => ({
              id: u.id,
              title: `${u.seriesTitle}: ${u.title}`,
              link: this.base + series.path,
              description: u.description,
              availableFrom: u.rights.availableFrom,
            })),
          })
        : renderFeed({
            title: this.siteName,
            link: `${this.base}/`,
            self,
            description: this.options.branding?.aboutText?.split(/\n\s*\n/)[0] ?? text[LANGUAGES[0]].intro,
            lastBuildDate: lastModified,
            ttlMinutes: this.options.feedTtlMinutes ?? 30,
            items,
            urls: feedUrls,
            language: LANGUAGES[0],
            image:
              this.options.branding?.logo?.format === 'png'
                ? this.base + this.layout.options.logo?.src
                : null,
          });
      cached = { body, lastModified };
      this.feedCache.set(key, cached);
    }
    setSecurityHeaders(res);
    await sendEntity(req, res, feedEntity(cached.body, cached.lastModified));
  }
}

/** A .torrent made here (not a file as it is on disk), with a strong ETag from its bytes. */
async function sendTorrent(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
  await sendEntity(req, res, {
    size: body.length,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    lastModified: null,
    contentType: TORRENT_TYPE,
    body: (start, end) => Readable.from([body.subarray(start, end + 1)]),
  });
}

function sendJson(res: ServerResponse, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  setSecurityHeaders(res);
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.setHeader('Cache-Control', 'no-store');
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

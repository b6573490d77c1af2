/**
 * What the audience pages and feeds show, built from the catalog: series with their distributable
 * episodes, each with its torrent's facts (read once from the .torrent file), its subtitles and URLs.
 *
 * Rebuilt whenever the catalog sync hands over a new snapshot (a write, a window edge, the minute's
 * refresh), so pages cost no database query. Requests also re-check each episode's window against
 * the clock (visibleAt), so an episode whose window closed a moment ago is gone from pages and
 * feeds even before the next snapshot arrives.
 *
 * Only episodes distributable now appear. A series appears on the home page while it has one; its
 * feed stays (empty) once something of it has been distributed, so subscribers keep their
 * subscription through a gap between windows. A series never distributed is unknown to the site.
 */
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import {
  isDistributable,
  type Catalog,
  type Episode,
  type Series,
  type SubtitleFile,
  type Torrent,
} from '../catalog/index.js';
import { parseTorrent } from '../protocol/metainfo.js';
import { unplayableInBrowsers } from '../publish/probe.js';

/** What fjord reads from a published .torrent file. */
export interface TorrentFacts {
  /** The info dictionary's name (`<series>-s01e02`). */
  name: string;
  /** Bytes of content (padding excluded). */
  contentLength: number;
  /** announce and announce-list, in order, without duplicates. */
  trackers: string[];
  /** url-list (BEP 19). */
  webSeeds: string[];
  /** Real files (not BEP 47 padding), paths as `<name>/<file>`. */
  files: Array<{ path: string; length: number }>;
}

/** An image the site serves in sizes (src/publish/images.ts, src/web/artwork.ts): `/images/<stem>/<width>.<webp|jpg>`. */
export interface Artwork {
  /** The file's name in DATA/artwork without its extension (fjord made it; it carries a hash). */
  stem: string;
  /** Catalog path, relative to the data directory. */
  path: string;
  /** Width / height of the sizes served (the image is cropped to it). */
  aspect: number;
}

export function artworkOf(path: string | null, aspect: number): Artwork | null {
  if (path === null) return null;
  const m = /^artwork\/([a-z0-9][a-z0-9_-]*)\.[a-z]+$/.exec(path);
  return m ? { stem: m[1], path, aspect } : null;
}

export interface SubtitleEntry {
  language: string;
  kind: SubtitleFile['kind'];
  /** Catalog paths (relative to the data directory), when that format exists. */
  srt: string | null;
  vtt: string | null;
}

export interface EpisodeEntry {
  episode: Episode;
  /** `S01E02`, as feed titles and pages show it. */
  code: string;
  /** `/series/<slug>/s01e02` */
  path: string;
  torrent: Torrent;
  /** `/torrents/<name>.torrent` (the catalog path, which the .torrent route serves). */
  torrentPath: string;
  /**
   * `/torrents/<name>.v1.torrent`: a hybrid torrent's v1 twin (src/protocol/metainfo.ts v1Twin), for
   * clients that cannot read BEP 52 (Transmission 3); null for v1 and v2 torrents.
   */
  twinTorrentPath: string | null;
  /** v1 info hash when there is one (hybrid, v1), else the v2 hash: the feed guid. */
  infoHash: string;
  facts: TorrentFacts;
  /** The video: its catalog path (also its web seed URL path) and its path inside the torrent. */
  video: {
    path: string;
    inTorrent: string;
    mimeType: string;
    sizeBytes: number;
    /** Probed codecs browsers cannot play ("video mpeg4"); the page offers the download instead. */
    unplayable: string[];
  };
  subtitles: SubtitleEntry[];
  /** The still image (16:9), or null (not probed, or made before stills were). */
  still: Artwork | null;
}

export interface SeriesEntry {
  series: Series;
  poster: Artwork | null;
  banner: Artwork | null;
  /**
   * Episodes scheduled for later that an editor chose to announce (cleared, window not yet open),
   * soonest first: shown as "available from", never downloadable.
   */
  upcoming: Episode[];
  /** `/series/<slug>` */
  path: string;
  /** `/feeds/<slug>.rss` */
  feedPath: string;
  /** Distributable episodes, by season and episode number. */
  episodes: EpisodeEntry[];
  /** When the feed's items last changed (one published, edited, withdrawn or expired); null if never. */
  lastChange: Date | null;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

export function episodeCode(season: number, episode: number): string {
  return `S${pad2(season)}E${pad2(episode)}`;
}

/** `s01e02` → [1, 2]; null for anything else. */
export function parseEpisodeCode(code: string): [number, number] | null {
  const m = /^s(\d{1,4})e(\d{1,4})$/.exec(code);
  if (!m) return null;
  const s = Number(m[1]);
  const e = Number(m[2]);
  return s > 0 && e > 0 ? [s, e] : null;
}

/** True while the episode may be shown: the catalog's rule, applied at request time. */
export function visibleAt(entry: EpisodeEntry, now: Date): boolean {
  return isDistributable(entry.episode.rights, entry.episode.withdrawnAt, now);
}

/**
 * The moments an episode changed what a feed shows, up to `now`: its publication, its last edit
 * while visible, and its leaving (withdrawal, window end, rights change).
 */
function changeTimes(e: Episode, now: Date): number[] {
  const t = now.getTime();
  if (e.publishedAt === null || e.publishedAt.getTime() > t) return [];
  const out = [e.publishedAt.getTime()];
  if (e.updatedAt.getTime() <= t) out.push(e.updatedAt.getTime());
  if (e.withdrawnAt !== null && e.withdrawnAt.getTime() <= t) out.push(e.withdrawnAt.getTime());
  const until = e.rights.availableUntil;
  if (until !== null && until.getTime() <= t) out.push(until.getTime());
  return out;
}

export class SiteData {
  private readonly bySlug = new Map<string, SeriesEntry>();
  private readonly byTorrentPath = new Map<string, EpisodeEntry>();
  private readonly bySubtitlePath = new Map<string, EpisodeEntry>();
  private readonly images = new Map<string, { art: Artwork; episode: EpisodeEntry | null }>();

  constructor(
    /** The catalog snapshot's version this was built from. */
    readonly version: string,
    readonly builtAt: Date,
    /** Every series the site knows (ever distributed), by title. */
    readonly allSeries: SeriesEntry[],
    /** `slug/season/episode` of episodes distributed once and not now (the 410 pages). */
    private readonly gone: Set<string> = new Set(),
  ) {
    for (const s of allSeries) {
      this.bySlug.set(s.series.slug, s);
      for (const a of [s.poster, s.banner]) if (a) this.images.set(a.stem, { art: a, episode: null });
      for (const e of s.episodes) {
        if (e.still) this.images.set(e.still.stem, { art: e.still, episode: e });
        this.byTorrentPath.set(e.torrent.path, e);
        for (const sub of e.subtitles)
          for (const p of [sub.srt, sub.vtt]) if (p) this.bySubtitlePath.set(p, e);
      }
    }
  }

  /** Series with at least one episode visible now. */
  series(now: Date): SeriesEntry[] {
    return this.allSeries.filter((s) => s.episodes.some((e) => visibleAt(e, now)));
  }

  /** A known series (its feed exists even when it has nothing visible now). */
  findSeries(slug: string): SeriesEntry | undefined {
    return this.bySlug.get(slug);
  }

  episodes(series: SeriesEntry, now: Date): EpisodeEntry[] {
    return series.episodes.filter((e) => visibleAt(e, now));
  }

  findEpisode(slug: string, season: number, episode: number, now: Date): EpisodeEntry | undefined {
    const e = this.bySlug
      .get(slug)
      ?.episodes.find((x) => x.episode.season === season && x.episode.episode === episode);
    return e && visibleAt(e, now) ? e : undefined;
  }

  /** Every visible episode, newest publication first. */
  latest(now: Date): EpisodeEntry[] {
    return this.allSeries
      .flatMap((s) => this.episodes(s, now))
      .sort(
        (a, b) =>
          (b.episode.publishedAt?.getTime() ?? 0) - (a.episode.publishedAt?.getTime() ?? 0) ||
          a.episode.id - b.episode.id,
      );
  }

  /** When anything in any feed last changed. */
  lastChange(): Date | null {
    let t: number | null = null;
    for (const s of this.allSeries)
      if (s.lastChange && (t === null || s.lastChange.getTime() > t)) t = s.lastChange.getTime();
    return t === null ? null : new Date(t);
  }

  /**
   * When a feed's items last changed, as of `now`: the snapshot's figure, or later if an episode
   * left by the clock since (its window closed between two snapshots). `series` null: all feeds.
   */
  lastChangeAt(series: SeriesEntry | null, now: Date): Date | null {
    let t = (series ? series.lastChange : this.lastChange())?.getTime() ?? null;
    for (const s of series ? [series] : this.allSeries)
      for (const e of s.episodes) {
        if (visibleAt(e, now)) continue;
        const ends = [e.episode.rights.availableUntil, e.episode.withdrawnAt]
          .filter((d): d is Date => d !== null && d.getTime() <= now.getTime())
          .map((d) => d.getTime());
        if (ends.length > 0) t = Math.max(t ?? 0, Math.min(...ends));
      }
    return t === null ? null : new Date(t);
  }

  /** The episode a `torrents/<name>.torrent` catalog path belongs to, if visible. */
  byTorrent(path: string, now: Date): EpisodeEntry | undefined {
    const e = this.byTorrentPath.get(path);
    return e && visibleAt(e, now) ? e : undefined;
  }

  /** An image by its stem: series artwork, or the still of an episode visible now. */
  image(stem: string, now: Date): Artwork | undefined {
    const i = this.images.get(stem);
    if (i === undefined || (i.episode !== null && !visibleAt(i.episode, now))) return undefined;
    return i.art;
  }

  /** The announced episodes of a series still ahead of their window at `now`. */
  upcoming(series: SeriesEntry, now: Date): Episode[] {
    return series.upcoming.filter(
      (e) => e.rights.availableFrom.getTime() > now.getTime() && e.withdrawnAt === null,
    );
  }

  /**
   * An episode that was distributed and is no longer (withdrawn, or its window closed): the site
   * answers 410 Gone for it rather than 404.
   */
  isGone(slug: string, season: number, episode: number): boolean {
    return this.gone.has(`${slug}/${season}/${episode}`);
  }

  /** The episode a subtitle catalog path belongs to, if visible. */
  bySubtitle(path: string, now: Date): EpisodeEntry | undefined {
    const e = this.bySubtitlePath.get(path);
    return e && visibleAt(e, now) ? e : undefined;
  }
}

/** Reads the facts of published .torrent files, once each (they never change once published). */
export class TorrentFactsCache {
  private readonly cache = new Map<string, Promise<TorrentFacts | null>>();

  constructor(
    private readonly dataDir: string,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  get(path: string): Promise<TorrentFacts | null> {
    let p = this.cache.get(path);
    if (p === undefined) {
      p = this.read(path);
      this.cache.set(path, p);
      // A missing file may appear later (a publication in progress): do not remember a failure.
      void p.then((f) => {
        if (f === null) this.cache.delete(path);
      });
    }
    return p;
  }

  private async read(path: string): Promise<TorrentFacts | null> {
    try {
      const m = parseTorrent(await readFile(join(this.dataDir, path)));
      const trackers = [...new Set([...(m.announce ? [m.announce] : []), ...m.announceList.flat()])];
      return {
        name: m.name,
        contentLength: m.totalSize,
        trackers,
        webSeeds: m.urlList,
        files: m.files
          .filter((f) => !f.padding)
          .map((f) => ({ path: m.singleFile ? m.name : [m.name, ...f.path].join('/'), length: f.length })),
      };
    } catch (err) {
      this.log(`site: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  }
}

function subtitleEntries(files: SubtitleFile[]): SubtitleEntry[] {
  const map = new Map<string, SubtitleEntry>();
  for (const f of files) {
    // Official subtitles, and community ones a moderator approved.
    if (f.kind === 'community' && f.status !== 'approved') continue;
    const key = `${f.kind}\0${f.language}`;
    let s = map.get(key);
    if (!s) {
      s = { language: f.language, kind: f.kind, srt: null, vtt: null };
      map.set(key, s);
    }
    // Files come oldest first: for community subtitles the newest approved version of a language
    // replaces the older ones in listings (they stay in the catalog: the moderators' history).
    if (f.kind === 'community') {
      if (f.format === 'srt') s.srt = f.path;
      else s.vtt = f.path;
    } else if (f.format === 'srt') s.srt ??= f.path;
    else s.vtt ??= f.path;
  }
  return [...map.values()].sort(
    (a, b) =>
      (a.kind === b.kind ? 0 : a.kind === 'official' ? -1 : 1) || a.language.localeCompare(b.language),
  );
}

async function episodeEntry(e: Episode, facts: TorrentFactsCache): Promise<EpisodeEntry | null> {
  const torrent = e.torrents[0];
  const video = e.media.find((m) => m.role === 'video') ?? e.media[0];
  if (torrent === undefined || video === undefined) return null;
  const f = await facts.get(torrent.path);
  if (f === null) return null;
  const base = posix.basename(video.path);
  const inTorrent = f.files.find((x) => posix.basename(x.path) === base)?.path ?? `${f.name}/${base}`;
  return {
    episode: e,
    code: episodeCode(e.season, e.episode),
    path: `/series/${encodeURIComponent(e.seriesSlug)}/s${pad2(e.season)}e${pad2(e.episode)}`,
    torrent,
    torrentPath: `/${torrent.path}`,
    twinTorrentPath:
      torrent.infoHashV1Twin !== null && torrent.path.endsWith('.torrent')
        ? `/${torrent.path.slice(0, -'.torrent'.length)}.v1.torrent`
        : null,
    infoHash: torrent.infoHashV1 ?? (torrent.infoHashV2 as string),
    facts: f,
    video: {
      path: video.path,
      inTorrent,
      mimeType: video.mimeType,
      sizeBytes: video.sizeBytes,
      // Not probed (null): the player is offered, as before codecs were recorded.
      unplayable: video.codecs === null ? [] : unplayableInBrowsers(video.codecs),
    },
    subtitles: subtitleEntries(e.subtitles),
    still: artworkOf(e.stillPath, 16 / 9),
  };
}

/**
 * Builds the site from the catalog: `distributable` is the sync's list (episodes distributable at
 * `at`), `all` every episode (for the feeds' change times and which series were ever distributed).
 */
export async function buildSiteData(input: {
  version: string;
  at: Date;
  series: Series[];
  distributable: Episode[];
  all: Episode[];
  facts: TorrentFactsCache;
}): Promise<SiteData> {
  const { at } = input;
  const entries = new Map<number, EpisodeEntry[]>();
  for (const e of input.distributable) {
    const entry = await episodeEntry(e, input.facts);
    if (entry === null) continue;
    const list = entries.get(e.seriesId) ?? [];
    list.push(entry);
    entries.set(e.seriesId, list);
  }
  const changes = new Map<number, number>();
  for (const e of input.all)
    for (const t of changeTimes(e, at)) changes.set(e.seriesId, Math.max(changes.get(e.seriesId) ?? 0, t));
  const now = at.getTime();
  const distributable = new Set(input.distributable.map((e) => e.id));
  const upcoming = new Map<number, Episode[]>();
  const gone = new Set<string>();
  for (const e of input.all) {
    if (distributable.has(e.id)) continue;
    if (
      e.announce &&
      e.withdrawnAt === null &&
      e.rights.clearedWorldwide &&
      e.rights.availableFrom.getTime() > now
    ) {
      const list = upcoming.get(e.seriesId) ?? [];
      list.push(e);
      upcoming.set(e.seriesId, list);
    }
    if (e.publishedAt !== null && e.publishedAt.getTime() <= now)
      gone.add(`${e.seriesSlug}/${e.season}/${e.episode}`);
  }
  const all: SeriesEntry[] = [];
  for (const s of input.series) {
    const episodes = (entries.get(s.id) ?? []).sort(
      (a, b) => a.episode.season - b.episode.season || a.episode.episode - b.episode.episode,
    );
    const last = changes.get(s.id);
    const soon = (upcoming.get(s.id) ?? []).sort(
      (a, b) => a.rights.availableFrom.getTime() - b.rights.availableFrom.getTime() || a.id - b.id,
    );
    if (episodes.length === 0 && last === undefined && soon.length === 0) continue;
    const slug = encodeURIComponent(s.slug);
    all.push({
      series: s,
      poster: artworkOf(s.posterPath, 2 / 3),
      banner: artworkOf(s.bannerPath, 16 / 9),
      upcoming: soon,
      path: `/series/${slug}`,
      feedPath: `/feeds/${slug}.rss`,
      episodes,
      lastChange: last === undefined ? null : new Date(last),
    });
  }
  all.sort((a, b) => a.series.title.localeCompare(b.series.title, 'nb') || a.series.id - b.series.id);
  return new SiteData(input.version, at, all, gone);
}

/** Keeps a SiteData in step with the catalog sync's snapshots. */
export class SiteDataSource {
  private data: SiteData | null = null;
  private building: Promise<SiteData> | null = null;
  private pending: { version: string; at: Date; episodes: Episode[] } | null = null;
  private readonly facts: TorrentFactsCache;

  constructor(
    private readonly catalog: Pick<Catalog, 'listSeries' | 'listEpisodes'>,
    dataDir: string,
    private readonly log: (msg: string) => void = () => {},
  ) {
    this.facts = new TorrentFactsCache(dataDir, log);
  }

  /** A new snapshot: rebuild (the latest wins when several arrive during a build). */
  update(snapshot: { version: string; at: Date; episodes: Episode[] }): void {
    this.pending = snapshot;
    if (this.building === null) this.building = this.drain();
  }

  private async drain(): Promise<SiteData> {
    try {
      while (this.pending !== null) {
        const s = this.pending;
        this.pending = null;
        try {
          const [series, all] = await Promise.all([this.catalog.listSeries(), this.catalog.listEpisodes()]);
          this.data = await buildSiteData({
            version: s.version,
            at: s.at,
            series,
            distributable: s.episodes,
            all,
            facts: this.facts,
          });
        } catch (err) {
          // Keep showing the previous site; the sync's next snapshot retries.
          this.log(`site: cannot read the catalog (${err instanceof Error ? err.message : String(err)})`);
        }
      }
      if (this.data === null) throw new Error('the catalog could not be read');
      return this.data;
    } finally {
      this.building = null;
    }
  }

  /** The current site; waits for the first build (and for a build in progress only then). */
  async current(): Promise<SiteData> {
    if (this.data !== null) return this.data;
    if (this.building !== null) return this.building;
    throw new Error('the site has no catalog snapshot yet');
  }
}

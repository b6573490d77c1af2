/**
 * The newsroom's reports: the figures behind the dashboard's pages and the JSON API under
 * /admin/api/ (src/web/admin/newsroom-api.ts), computed here once so a page and the API can never
 * disagree. Each report takes the query parameters the API documents (README "Statistics API",
 * docs/statistics.md) and returns its body and its named tables (CSV-exportable); a parameter it
 * cannot use is a BadRequest, an unknown series or episode a NotFound.
 *
 * Times are ISO 8601 in the configured time zone with its offset; days are local dates
 * (YYYY-MM-DD) in that zone.
 */
import type { Catalog, Episode } from '../catalog/index.js';
import {
  completionsPerDay,
  deliveredBytes,
  deliveredBytesWithPartial,
  httpCostSaved,
  p2pShare,
  p2pShareWithPartial,
  peakSwarm,
  releaseCurve,
} from '../stats/derived.js';
import { DAY, HOUR, TOTAL, type SwarmRow, type WebSeedRow } from '../stats/schema.js';
import type { Grain, StatsStore } from '../stats/store.js';
import { addDays, formatLocal, localDay, startOfDay } from '../stats/time.js';
import type { TableRow } from './csv.js';

export interface NewsroomReportsDeps {
  catalog: Catalog;
  stats: StatsStore;
  timeZone: string;
  httpPricePerGb: number;
  currency: string;
  /** Epoch ms; tests pin it. */
  clock?: () => number;
}

/** A report: its JSON body and its named tables (CSV-exportable). */
export interface Report {
  body: Record<string, unknown>;
  tables: Record<string, TableRow[]>;
}

/** A parameter the report cannot use (the API and the pages answer 400). */
export class BadRequest extends Error {}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const round = (x: number | undefined, digits = 4): number | null =>
  x === undefined || !Number.isFinite(x) ? null : Math.round(x * 10 ** digits) / 10 ** digits;

function intParam(q: URLSearchParams, name: string, def: number, min: number, max: number): number {
  const v = q.get(name);
  if (v === null) return def;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new BadRequest(`${name} must be a whole number from ${min} to ${max}`);
  return Number(v);
}

function dateParam(q: URLSearchParams, name: string): string | null {
  const v = q.get(name);
  if (v === null) return null;
  if (!DATE.test(v) || Number.isNaN(Date.parse(v)))
    throw new BadRequest(`${name} must be a date, YYYY-MM-DD`);
  return v;
}

/** What a catalog episode is made of, for matching statistics rows to it. */
interface EpisodeParts {
  episode: Episode;
  torrentIds: number[];
  sizeById: Map<number, number>;
  /** Files the web seed serves for it (video and official SRT inside the torrent). */
  paths: Set<string>;
}

function partsOf(e: Episode): EpisodeParts {
  const paths = new Set<string>();
  for (const m of e.media) paths.add(m.path);
  for (const s of e.subtitles) if (s.kind === 'official' && s.path.startsWith('media/')) paths.add(s.path);
  // A download delivers the torrent's payload: the video (its official SRT files beside it weigh a
  // few KB and have no size in the catalog). torrents.size_bytes is the .torrent file's own size.
  const payload = e.media.reduce((s, m) => s + m.sizeBytes, 0);
  return {
    episode: e,
    torrentIds: e.torrents.map((t) => t.id),
    sizeById: new Map(e.torrents.map((t) => [t.id, payload])),
    paths,
  };
}

/** Totals of a set of torrents' rows and web seed rows. */
interface Figures {
  completions: number;
  partialBytes: number;
  webSeedBytes: number;
  /** completions x size, per torrent, summed; at least the web seed bytes. */
  delivered: number;
  deliveredWithPartial: number;
}

function figures(
  swarm: readonly SwarmRow[],
  web: readonly WebSeedRow[],
  sizeById: Map<number, number>,
): Figures {
  let completions = 0;
  let partialBytes = 0;
  let completed = 0;
  for (const r of swarm) {
    completions += r.completions;
    partialBytes += r.partial_bytes;
    completed += r.completions * (sizeById.get(r.torrent_id) ?? 0);
  }
  const webSeedBytes = web.reduce((s, r) => s + r.bytes, 0);
  // docs/statistics.md: delivered is never less than what the web seed sent (derived.ts).
  const d = { completions: 1, sizeBytes: completed, webSeedBytes, partialBytes };
  return {
    completions,
    partialBytes,
    webSeedBytes,
    delivered: deliveredBytes(d),
    deliveredWithPartial: deliveredBytesWithPartial(d),
  };
}

export class NewsroomReports {
  private readonly clock: () => number;

  constructor(private readonly d: NewsroomReportsDeps) {
    this.clock = d.clock ?? Date.now;
  }

  private time(ms: number): string {
    return formatLocal(ms, this.d.timeZone);
  }

  /** [from, to] local dates from `from`/`to` or the last `days` days up to today. */
  private range(
    q: URLSearchParams,
    defDays: number,
  ): { from: string; to: string; start: number; end: number } {
    const today = localDay(this.clock(), this.d.timeZone);
    const to = dateParam(q, 'to') ?? today;
    const from = dateParam(q, 'from') ?? addDays(to, -(intParam(q, 'days', defDays, 1, 731) - 1));
    if (from > to) throw new BadRequest('from must not be after to');
    const start = startOfDay(from, this.d.timeZone);
    const end = startOfDay(addDays(to, 1), this.d.timeZone);
    if (end - start > 731 * DAY) throw new BadRequest('at most 731 days at once');
    return { from, to, start, end };
  }

  private grain(q: URLSearchParams, start: number, end: number): Grain {
    const g = q.get('resolution') ?? 'hour';
    if (g !== 'hour' && g !== 'minute') throw new BadRequest('resolution must be hour or minute');
    if (g === 'minute' && end - start > 2 * DAY)
      throw new BadRequest('minute resolution covers at most 2 days');
    return g;
  }

  private cost(delivered: number, webSeedBytes: number) {
    const c = httpCostSaved(delivered, webSeedBytes, this.d.httpPricePerGb, this.d.currency);
    return {
      peerBytes: c.peerBytes,
      amount: round(c.amount, 2),
      currency: c.currency,
      pricePerGb: c.pricePerGb,
    };
  }

  private summary(f: Figures, peak: { peers: number; at: number } | null) {
    // Delivered bytes are already summed per torrent (completions x that torrent's size): pass them
    // as one "completion" of that many bytes.
    const d = {
      webSeedBytes: f.webSeedBytes,
      completions: 1,
      sizeBytes: f.delivered,
      partialBytes: f.partialBytes,
    };
    return {
      completions: f.completions,
      peakPeers: peak?.peers ?? 0,
      peakAt: peak === null ? null : this.time(peak.at),
      webSeedBytes: f.webSeedBytes,
      deliveredBytes: f.delivered,
      partialBytes: f.partialBytes,
      p2pShare: round(p2pShare(d)),
      p2pShareWithPartial: round(p2pShareWithPartial(d)),
      costSaved: this.cost(f.delivered, f.webSeedBytes),
      costSavedWithPartial: this.cost(f.deliveredWithPartial, f.webSeedBytes),
    };
  }

  private async catalogParts(): Promise<{ parts: EpisodeParts[]; sizeById: Map<number, number> }> {
    const parts = (await this.d.catalog.listEpisodes()).map(partsOf);
    const sizeById = new Map<number, number>();
    for (const p of parts) for (const [id, size] of p.sizeById) sizeById.set(id, size);
    return { parts, sizeById };
  }

  /**
   * One point per bucket with data (episode and series pages): average peers, completions, web seed
   * bytes, and the P2P share cumulated from the range's start.
   */
  private timeline(own: readonly SwarmRow[], web: readonly WebSeedRow[], sizeById: Map<number, number>) {
    const byBucket = new Map<number, { swarm: SwarmRow[]; web: number }>();
    for (const x of own) {
      const b = byBucket.get(x.bucket) ?? { swarm: [], web: 0 };
      b.swarm.push(x);
      byBucket.set(x.bucket, b);
    }
    for (const w of web) {
      const b = byBucket.get(w.bucket) ?? { swarm: [], web: 0 };
      b.web += w.bytes;
      byBucket.set(w.bucket, b);
    }
    let cumDelivered = 0;
    let cumPartial = 0;
    let cumWeb = 0;
    return [...byBucket.entries()]
      .sort(([a], [b]) => a - b)
      .map(([bucket, v]) => {
        const f = figures(v.swarm, [], sizeById);
        cumDelivered += f.delivered;
        cumPartial += f.partialBytes;
        cumWeb += v.web;
        const samples = Math.max(1, ...v.swarm.map((x) => x.samples));
        const seeders = v.swarm.reduce((s, x) => s + x.seeders_sum, 0) / samples;
        const leechers = v.swarm.reduce((s, x) => s + x.leechers_sum, 0) / samples;
        return {
          time: this.time(bucket),
          seeders: round(seeders, 1),
          leechers: round(leechers, 1),
          peersMax: v.swarm.reduce((s, x) => s + x.peers_max, 0),
          completions: f.completions,
          webSeedBytes: v.web,
          partialBytes: f.partialBytes,
          p2pShareToDate: round(p2pShare({ webSeedBytes: cumWeb, completions: 1, sizeBytes: cumDelivered })),
          p2pShareWithPartialToDate: round(
            p2pShareWithPartial({
              webSeedBytes: cumWeb,
              completions: 1,
              sizeBytes: cumDelivered,
              partialBytes: cumPartial,
            }),
          ),
        };
      });
  }

  // ---- the reports ----

  async overview(q: URLSearchParams) {
    const tz = this.d.timeZone;
    const now = this.clock();
    const r = this.range(q, 7);
    const today = localDay(now, tz);
    const todayStart = startOfDay(today, tz);
    const hours = intParam(q, 'hours', 72, 1, 24 * 60);
    const [{ parts, sizeById }, total, byTorrent, web] = await Promise.all([
      this.catalogParts(),
      this.d.stats.swarm('hour', [TOTAL], r.start, r.end),
      this.d.stats.swarmByTorrent('hour', r.start, r.end),
      this.d.stats.webSeed('hour', r.start, r.end),
    ]);
    const todays = <T extends { bucket: number }>(rows: readonly T[]) =>
      rows.filter((x) => x.bucket >= todayStart);
    const daily = completionsPerDay(total, tz, { from: r.from, to: r.to }).map((x) => {
      const span = { start: startOfDay(x.day, tz), end: startOfDay(addDays(x.day, 1), tz) };
      const inDay = <T extends { bucket: number }>(rows: readonly T[]) =>
        rows.filter((y) => y.bucket >= span.start && y.bucket < span.end);
      const f = figures(inDay(byTorrent), inDay(web), sizeById);
      const peak = peakSwarm(inDay(total));
      return {
        day: x.day,
        completions: x.completions,
        catalogCompletions: f.completions,
        peakPeers: peak?.peers ?? 0,
        webSeedBytes: f.webSeedBytes,
        deliveredBytes: f.delivered,
        p2pShare: round(p2pShare({ webSeedBytes: f.webSeedBytes, completions: 1, sizeBytes: f.delivered })),
      };
    });
    // Release curves: episodes first distributed within the range, newest first, at most 10.
    const released = parts
      .filter(
        (p) =>
          p.episode.publishedAt !== null &&
          p.episode.publishedAt.getTime() >= r.start &&
          p.episode.publishedAt.getTime() <= now,
      )
      .sort((a, b) => (b.episode.publishedAt?.getTime() ?? 0) - (a.episode.publishedAt?.getTime() ?? 0))
      .slice(0, 10);
    const curves = await Promise.all(
      released.map(async (p) => {
        const published = (p.episode.publishedAt as Date).getTime();
        const rows = await this.d.stats.swarm(
          'hour',
          p.torrentIds,
          published - HOUR,
          published + hours * HOUR,
        );
        return {
          episodeId: p.episode.id,
          series: p.episode.seriesSlug,
          season: p.episode.season,
          episode: p.episode.episode,
          title: p.episode.title,
          publishedAt: this.time(published),
          curve: releaseCurve(rows, published, Math.min(hours, Math.ceil((now - published) / HOUR))),
        };
      }),
    );
    const todayFig = figures(todays(byTorrent), todays(web), sizeById);
    const rangeFig = figures(byTorrent, web, sizeById);
    const body = {
      timeZone: tz,
      generatedAt: this.time(now),
      today: {
        day: today,
        allCompletions: sum(todays(total)),
        ...this.summary(todayFig, peakSwarm(todays(total))),
      },
      range: {
        from: r.from,
        to: r.to,
        allCompletions: sum(total),
        ...this.summary(rangeFig, peakSwarm(total)),
      },
      daily,
      releases: curves,
    };
    return {
      body,
      tables: {
        daily,
        releases: curves.flatMap((c) =>
          c.curve.map((p) => ({
            episodeId: c.episodeId,
            series: c.series,
            season: c.season,
            episode: c.episode,
            title: c.title,
            hour: p.hour,
            completions: p.completions,
          })),
        ),
      },
    };
  }

  async series(q: URLSearchParams, slug: string) {
    const s = await this.d.catalog.getSeriesBySlug(slug);
    if (s === null) throw new NotFound(`no series "${slug}"`);
    const r = this.range(q, 30);
    const parts = (await this.d.catalog.listEpisodes({ seriesSlug: slug })).map(partsOf);
    const ids = parts.flatMap((p) => p.torrentIds);
    const paths = parts.flatMap((p) => [...p.paths]);
    const [rows, web] = await Promise.all([
      ids.length === 0 ? Promise.resolve([]) : this.d.stats.swarmByTorrent('hour', r.start, r.end),
      this.d.stats.webSeed('hour', r.start, r.end, paths),
    ]);
    const episodes = parts.map((p) => {
      const own = rows.filter((x) => p.torrentIds.includes(x.torrent_id));
      const ownWeb = web.filter((x) => p.paths.has(x.path));
      const f = figures(own, ownWeb, p.sizeById);
      const peak = peakSwarm(own);
      const sm = this.summary(f, peak);
      return {
        episodeId: p.episode.id,
        season: p.episode.season,
        episode: p.episode.episode,
        title: p.episode.title,
        publishedAt: p.episode.publishedAt === null ? null : this.time(p.episode.publishedAt.getTime()),
        withdrawn: p.episode.withdrawnAt !== null,
        completions: sm.completions,
        peakPeers: sm.peakPeers,
        peakAt: sm.peakAt,
        webSeedBytes: sm.webSeedBytes,
        deliveredBytes: sm.deliveredBytes,
        p2pShare: sm.p2pShare,
        p2pShareWithPartial: sm.p2pShareWithPartial,
      };
    });
    const mine = rows.filter((x) => ids.includes(x.torrent_id));
    const daily = completionsPerDay(mine, this.d.timeZone, { from: r.from, to: r.to });
    const allSizes = new Map(parts.flatMap((p) => [...p.sizeById]));
    const timeline = this.timeline(mine, web, allSizes);
    return {
      body: {
        series: { slug: s.slug, title: s.title },
        from: r.from,
        to: r.to,
        totals: this.summary(figures(mine, web, allSizes), peakSwarm(mine)),
        episodes,
        daily,
        timeline,
      },
      tables: { episodes, daily, timeline },
    };
  }

  async episode(q: URLSearchParams, idText: string) {
    if (!/^\d{1,15}$/.test(idText)) throw new NotFound(`no episode "${idText}"`);
    const e = await this.d.catalog.getEpisodeById(Number(idText));
    if (e === null) throw new NotFound(`no episode ${idText}`);
    const p = partsOf(e);
    const tz = this.d.timeZone;
    const now = this.clock();
    const first = (e.publishedAt ?? e.createdAt).getTime();
    // Default: from the day of publication (at most 30 days back) to today.
    if (q.get('from') === null && q.get('days') === null) {
      const back = Math.max(first, now - 29 * DAY);
      q.set('from', localDay(Math.min(back, now), tz));
    }
    const r = this.range(q, 30);
    const grain = this.grain(q, r.start, r.end);
    const [rows, web, hourRows] = await Promise.all([
      this.d.stats.swarmByTorrent(grain, r.start, r.end),
      this.d.stats.webSeed(grain, r.start, r.end, [...p.paths]),
      this.d.stats.swarm(
        'hour',
        p.torrentIds,
        first - HOUR,
        first + intParam(q, 'hours', 72, 1, 24 * 60) * HOUR,
      ),
    ]);
    const own = rows.filter((x) => p.torrentIds.includes(x.torrent_id));
    const timeline = this.timeline(own, web, p.sizeById);
    const daily = completionsPerDay(own, tz, { from: r.from, to: r.to });
    const hours = intParam(q, 'hours', 72, 1, 24 * 60);
    const curve =
      e.publishedAt === null
        ? []
        : releaseCurve(hourRows, first, Math.min(hours, Math.max(0, Math.ceil((now - first) / HOUR))));
    return {
      body: {
        episode: {
          id: e.id,
          series: e.seriesSlug,
          seriesTitle: e.seriesTitle,
          season: e.season,
          episode: e.episode,
          title: e.title,
          publishedAt: e.publishedAt === null ? null : this.time(e.publishedAt.getTime()),
          withdrawnAt: e.withdrawnAt === null ? null : this.time(e.withdrawnAt.getTime()),
          sizeBytes: e.media.reduce((s, m) => s + m.sizeBytes, 0),
          infoHashes: e.torrents.flatMap((t) =>
            [t.infoHashV1, t.infoHashV2].filter((h): h is string => h !== null),
          ),
        },
        from: r.from,
        to: r.to,
        resolution: grain,
        totals: this.summary(figures(own, web, p.sizeById), peakSwarm(own)),
        daily,
        timeline,
        releaseCurve: curve,
      },
      tables: { timeline, daily, releaseCurve: curve },
    };
  }

  async clients(q: URLSearchParams) {
    const r = this.range(q, 7);
    const rows = await this.d.stats.clients('hour', r.start, r.end);
    const by = new Map<string, { announces: number; samples: number }>();
    for (const x of rows) {
      const c = by.get(x.client) ?? { announces: 0, samples: 0 };
      c.announces += x.announces;
      c.samples += x.samples;
      by.set(x.client, c);
    }
    const all = [...by.values()].reduce((s, c) => s + c.announces, 0);
    const clients = [...by.entries()]
      .map(([client, c]) => ({
        client,
        announces: c.announces,
        samples: c.samples,
        share: round(all > 0 ? c.announces / all : undefined),
      }))
      .sort((a, b) => b.announces - a.announces || (a.client < b.client ? -1 : 1));
    return { body: { from: r.from, to: r.to, announces: all, clients }, tables: { clients } };
  }

  async families(q: URLSearchParams) {
    const r = this.range(q, 7);
    const total = await this.d.stats.swarm('hour', [TOTAL], r.start, r.end);
    const s = (k: keyof SwarmRow) => total.reduce((a, x) => a + Number(x[k]), 0);
    const byProtocol = [
      { protocol: 'udp', ipv4: s('announces_udp4'), ipv6: s('announces_udp6') },
      { protocol: 'http', ipv4: s('announces_http4'), ipv6: s('announces_http6') },
      { protocol: 'ws', ipv4: s('announces_ws4'), ipv6: s('announces_ws6') },
    ];
    const ipv4 = byProtocol.reduce((a, x) => a + x.ipv4, 0);
    const ipv6 = byProtocol.reduce((a, x) => a + x.ipv6, 0);
    const days = new Map<string, { ipv4: number; ipv6: number }>();
    for (let d = r.from; d <= r.to; d = addDays(d, 1)) days.set(d, { ipv4: 0, ipv6: 0 });
    for (const x of total) {
      const v = days.get(localDay(x.bucket, this.d.timeZone));
      if (v === undefined) continue;
      v.ipv4 += x.announces_udp4 + x.announces_http4 + x.announces_ws4;
      v.ipv6 += x.announces_udp6 + x.announces_http6 + x.announces_ws6;
    }
    const daily = [...days.entries()].map(([day, v]) => ({ day, ...v }));
    return {
      body: {
        from: r.from,
        to: r.to,
        total: { ipv4, ipv6, ipv6Share: round(ipv4 + ipv6 > 0 ? ipv6 / (ipv4 + ipv6) : undefined) },
        byProtocol,
        daily,
      },
      tables: { byProtocol, daily },
    };
  }

  async rightsCalendar(q: URLSearchParams) {
    const days = intParam(q, 'days', 30, 1, 366);
    const now = this.clock();
    const entries = (await this.d.catalog.rightsCalendar(new Date(now), new Date(now + days * DAY))).map(
      (x) => ({
        at: this.time(x.at.getTime()),
        day: localDay(x.at.getTime(), this.d.timeZone),
        change: x.change === 'opens' ? 'goes live' : 'expires',
        episodeId: x.episodeId,
        series: x.seriesSlug,
        season: x.season,
        episode: x.episode,
        title: x.title,
        clearedWorldwide: x.clearedWorldwide,
      }),
    );
    // Contract starts and ends (issue 14), each with the episodes it switches on or off.
    const episodes = await this.d.catalog.listEpisodes();
    const contracts = (
      await this.d.catalog.contracts.calendar(episodes, new Date(now), new Date(now + days * DAY))
    ).map((x) => ({
      at: this.time(x.at.getTime()),
      day: localDay(x.at.getTime(), this.d.timeZone),
      change: x.change,
      contract: x.contract.id,
      party: x.contract.partyName,
      status: x.contract.status,
      switchesOn: x.switchesOn.join('; '),
      switchesOff: x.switchesOff.join('; '),
    }));
    return {
      body: { from: this.time(now), to: this.time(now + days * DAY), entries, contracts },
      tables: { entries, contracts },
    };
  }

  async auditLog(q: URLSearchParams): Promise<Report> {
    const limit = intParam(q, 'limit', 100, 1, 1000);
    const subject = q.get('subject');
    const events = (await this.d.catalog.listEvents({ limit, ...(subject ? { subject } : {}) })).map((e) => ({
      id: e.id,
      at: this.time(e.at.getTime()),
      actor: e.actor,
      action: e.action,
      subject: e.subject,
      details: JSON.stringify(e.details),
    }));
    return { body: { events }, tables: { events } };
  }
}

/** An unknown series or episode (the API and the pages answer 404). */
export class NotFound extends Error {}

const sum = (rows: readonly { completions: number }[]): number => rows.reduce((s, r) => s + r.completions, 0);

/**
 * Once a minute, off the request path: read and zero the announce counters (announce-stats.ts), read the
 * swarms' sizes and completion counts, classify the sampled peer_ids, take the web seed's byte counts,
 * and write one minute of rows, then roll up the hour in progress and (hourly) prune old rows.
 *
 * What a minute row holds (per catalog torrent, a hybrid torrent's v1 and v2 swarms together, and
 * torrent_id 0 for everything the tracker saw). A hybrid torrent has two swarms on the tracker, one
 * per name (v1, and v2 truncated); libtorrent 2 joins both, so one client is in both. Per catalog
 * torrent, peers are therefore counted once by address and port (as the episode page's live figures
 * do, src/web/swarm-stats.ts), completions and partial bytes are the larger of the two swarms' (those
 * counts carry no addresses), and announces are summed (each was a request). A hybrid torrent's
 * third name, its aria2 alias (src/protocol/metainfo.ts), is a swarm of aria2 peers only, which no
 * other client joins: its peers, completions and partial bytes are added to those. The total adds
 * the catalog torrents so combined to the swarms outside the catalog.
 *   seeders, leechers   at the moment of the sample, BitTorrent and browser peers together
 *   completions         since the previous sample: BitTorrent (the store's count, as scrape reports
 *                       it) plus browsers announcing `completed` with nothing left
 *   announces_*         successful announces by protocol and address family since the previous sample
 *   partial_bytes       `downloaded` announced by peers stopping with bytes left
 *
 * Completions after a crash: the tracker's counts survive `kill -9` (its journal), and so must the
 * recorder's idea of which of them it has written. After each minute's rows are committed it writes
 * DATA/stats-seen.bin (every swarm's count as of that harvest, in downloaded.bin's layout,
 * atomically); at start the difference between the tracker's counts and these is recorded as new, so
 * completions of the minute a crash cut short reach the next minute's row instead of being lost.
 * Without the file (the first start with it) the loaded counts are taken as recorded, as before, and
 * the file is written at once. A crash in the
 * milliseconds between the commit and the file's rename counts that one minute's completions twice.
 */
import { join } from 'node:path';
import { KEEP_NONE, type KeepRule, type PeerStore } from '../swarm/peer-store.js';
import { encodeCounts, readCounts, writeAtomic } from '../storage/counts-file.js';
import { clientFamily } from './clients.js';
import {
  type AnnounceStats,
  SLOT_COMPLETIONS,
  SLOT_DOWNLOADED_SEEN,
  SLOT_PARTIAL_BYTES,
  statsPending,
} from './announce-stats.js';
import { MINUTE, TOTAL, type ClientRow, type SwarmRow, type WebSeedRow } from './schema.js';
import type { MinuteSample, StatsStore, TorrentKey } from './store.js';

/** Bytes the web seed sent, per catalog path, since the last reading. */
export class WebSeedMeter {
  private bytes = new Map<string, number>();

  add(path: string, n: number): void {
    this.bytes.set(path, (this.bytes.get(path) ?? 0) + n);
  }

  drain(): Array<[string, number]> {
    const out = [...this.bytes.entries()];
    this.bytes = new Map();
    return out;
  }
}

function emptyRow(bucket: number, torrentId: number): SwarmRow {
  return {
    bucket,
    torrent_id: torrentId,
    samples: 1,
    seeders_sum: 0,
    leechers_sum: 0,
    peers_max: 0,
    peers_max_at: bucket,
    completions: 0,
    announces_udp4: 0,
    announces_udp6: 0,
    announces_http4: 0,
    announces_http6: 0,
    announces_ws4: 0,
    announces_ws6: 0,
    partial_bytes: 0,
  };
}

/**
 * What the recorder reads of a tracker (src/tracker/tracker.ts's Tracker is one): its peer store,
 * the sweep's keep rule it sets, the per-swarm announce statistics, the browsers' swarms and the
 * data directory. Stated here so that statistics sit below the tracker, not on it.
 */
export interface RecordedTracker {
  keepSwarm: KeepRule;
  readonly store: PeerStore;
  readonly announceStats: AnnounceStats;
  readonly config: { readonly dataDir: string };
  /** The browsers' swarms by hash (src/swarm/ws-store.ts), when the tracker serves WebSocket. */
  readonly ws: { readonly store: { readonly swarms: ReadonlyMap<string, BrowserSwarm> } } | null;
}

interface BrowserSwarm {
  readonly seeders: { readonly length: number };
  readonly leechers: { readonly length: number };
}

/** Adds one swarm's counters (a Float64Array laid out as announce-stats.ts says) and peers into a row. */
function add(
  row: SwarmRow,
  stats: Float64Array,
  seeders: number,
  leechers: number,
  completions: number,
): void {
  row.seeders_sum += seeders;
  row.leechers_sum += leechers;
  row.peers_max += seeders + leechers;
  row.completions += completions;
  row.announces_udp4 += stats[0];
  row.announces_udp6 += stats[1];
  row.announces_http4 += stats[2];
  row.announces_http6 += stats[3];
  row.announces_ws4 += stats[4];
  row.announces_ws6 += stats[5];
  row.partial_bytes += stats[SLOT_PARTIAL_BYTES];
}

const NO_STATS = new Float64Array(9);

export interface RecorderOptions {
  webSeed?: WebSeedMeter;
  log?: (msg: string) => void;
}

export class StatsRecorder {
  private timer: NodeJS.Timeout | null = null;
  private lastBucket = -1;
  private lastPrune = 0;
  private running: Promise<void> = Promise.resolve();
  private byHash = new Map<string, TorrentKey>();
  /** Every swarm's completion count at the last harvest (written to seenPath after its commit). */
  private seen: Array<[Uint8Array, number]> = [];

  constructor(
    private readonly tracker: RecordedTracker,
    private readonly store: StatsStore,
    private readonly options: RecorderOptions = {},
  ) {}

  /**
   * Takes the completion counts loaded from disk as already counted (only completions from now on
   * are new), and starts honouring the counters (the sweep keeps swarms with unread ones).
   */
  baseline(): void {
    this.tracker.keepSwarm = statsPending;
    let marks: ReturnType<typeof readCounts> = null;
    try {
      marks = readCounts(this.seenPath);
    } catch (e) {
      this.log(`statistics: cannot read ${this.seenPath} (${msg(e)}); loaded completions taken as recorded`);
    }
    const byHash = new Map<string, number>();
    for (const [key, n] of marks?.entries ?? []) byHash.set(key.toString('hex'), n);
    // Intact: a swarm it does not list had recorded nothing. Missing or damaged: as before.
    const whole = marks !== null && marks.problem === null;
    if (marks !== null && marks.problem !== null)
      this.log(`statistics: ${this.seenPath} is damaged (${marks.problem}); using its readable records`);
    this.tracker.store.forEach((key, off, swarm) => {
      const hex = Buffer.from(key.buffer, key.byteOffset + off, 20).toString('hex');
      const mark = byHash.get(hex) ?? (whole ? 0 : swarm.downloaded);
      swarm.counters[SLOT_DOWNLOADED_SEEN] = Math.min(mark, swarm.downloaded);
      if (swarm.counters[SLOT_DOWNLOADED_SEEN] > 0)
        this.seen.push([key.slice(off, off + 20), swarm.counters[SLOT_DOWNLOADED_SEEN]]);
    });
    // From now on the file exists, so a crash before the first minute's write loses nothing either.
    this.writeSeen(this.seen);
  }

  private writeSeen(seen: ReadonlyArray<readonly [Uint8Array, number]>): void {
    try {
      writeAtomic(this.seenPath, encodeCounts(seen, 0));
    } catch (e) {
      this.log(`statistics: cannot write ${this.seenPath}: ${msg(e)}`);
    }
  }

  private get seenPath(): string {
    return join(this.tracker.config.dataDir, 'stats-seen.bin');
  }

  /** Reads the catalog's torrents (info hash → torrent) for matching swarms. */
  async refreshTorrents(): Promise<void> {
    const map = new Map<string, TorrentKey>();
    for (const t of await this.store.torrents()) {
      if (t.v1) map.set(t.v1, t);
      if (t.v2) map.set(t.v2, t);
      if (t.aria2) map.set(t.aria2, t);
    }
    this.byHash = map;
  }

  /**
   * Reads and zeroes every counter into one minute's rows for minute `bucket` (ms, a multiple of 60 000).
   * Synchronous: nothing can announce in between.
   */
  harvest(bucket: number): MinuteSample {
    const total = emptyRow(bucket, TOTAL);
    const rows = new Map<number, SwarmRow>();
    const rowFor = (hex: string): SwarmRow | null => {
      const t = this.byHash.get(hex);
      if (t === undefined) return null;
      let r = rows.get(t.id);
      if (r === undefined) rows.set(t.id, (r = emptyRow(bucket, t.id)));
      return r;
    };

    // BitTorrent swarms (UDP and HTTP). No catalog torrents: no hex keys to make (an --open tracker).
    const match = this.byHash.size > 0;
    // A catalog torrent's swarms (two for a hybrid), combined below; counters copied before zeroing.
    const parts = new Map<
      number,
      Array<{
        key: Uint8Array;
        seeders: number;
        leechers: number;
        stats: Float64Array;
        completions: number;
        alias: boolean;
      }>
    >();
    const seen: Array<[Uint8Array, number]> = [];
    const store = this.tracker.store;
    store.forEach((key, off, swarm) => {
      if (swarm.downloaded > 0) seen.push([key.slice(off, off + 20), swarm.downloaded]);
      const s = swarm.counters;
      const completions = Math.max(0, swarm.downloaded - s[SLOT_DOWNLOADED_SEEN]);
      const hex = match ? Buffer.from(key.buffer, key.byteOffset + off, 20).toString('hex') : '';
      const t = match ? this.byHash.get(hex) : undefined;
      if (t === undefined) add(total, s, swarm.seeders, swarm.leechers, completions);
      else {
        const list = parts.get(t.id) ?? [];
        list.push({
          key: key.slice(off, off + 20),
          seeders: swarm.seeders,
          leechers: swarm.leechers,
          stats: s.slice(0, SLOT_DOWNLOADED_SEEN),
          completions,
          alias: hex === t.aria2,
        });
        parts.set(t.id, list);
      }
      s.fill(0, 0, SLOT_DOWNLOADED_SEEN);
      s[SLOT_DOWNLOADED_SEEN] = swarm.downloaded;
    });
    this.seen = seen;
    for (const [id, all] of parts) {
      const combined = new Float64Array(SLOT_DOWNLOADED_SEEN);
      for (const p of all) for (let i = 0; i < SLOT_PARTIAL_BYTES; i++) combined[i] += p.stats[i];
      const list = all.filter((p) => !p.alias);
      combined[SLOT_PARTIAL_BYTES] = Math.max(0, ...list.map((p) => p.stats[SLOT_PARTIAL_BYTES]));
      let completions = Math.max(0, ...list.map((p) => p.completions));
      const [a, b] = list;
      let seeders = a === undefined ? 0 : a.seeders;
      let leechers = a === undefined ? 0 : a.leechers;
      if (b !== undefined) ({ seeders, leechers } = store.unionCounts(a.key, 0, b.key, 0));
      // The aria2 alias's swarm: its own peers, so added.
      for (const p of all)
        if (p.alias) {
          combined[SLOT_PARTIAL_BYTES] += p.stats[SLOT_PARTIAL_BYTES];
          completions += p.completions;
          seeders += p.seeders;
          leechers += p.leechers;
        }
      let r = rows.get(id);
      if (r === undefined) rows.set(id, (r = emptyRow(bucket, id)));
      add(r, combined, seeders, leechers, completions);
      add(total, combined, seeders, leechers, completions);
    }

    // Browsers: their counters (kept by hash) and their swarms (which vanish when empty).
    const ws = this.tracker.ws;
    const hashes = new Set<string>(this.tracker.announceStats.ws.keys());
    if (ws !== null) for (const h of ws.store.swarms.keys()) hashes.add(h);
    for (const h of hashes) {
      const s = this.tracker.announceStats.ws.get(h) ?? NO_STATS;
      const swarm = ws === null ? undefined : ws.store.swarms.get(h);
      const seeders = swarm === undefined ? 0 : swarm.seeders.length;
      const leechers = swarm === undefined ? 0 : swarm.leechers.length;
      const completions = s[SLOT_COMPLETIONS];
      add(total, s, seeders, leechers, completions);
      const r = rowFor(Buffer.from(h, 'latin1').toString('hex'));
      if (r !== null) add(r, s, seeders, leechers, completions);
    }
    this.tracker.announceStats.ws.clear();

    // Client software from the sampled peer_ids.
    const counts = new Map<string, number>();
    const stride = this.tracker.announceStats.sampler.drain((id) => {
      const c = clientFamily(id);
      counts.set(c, (counts.get(c) ?? 0) + 1);
    });
    const clients: ClientRow[] = [...counts.entries()].map(([client, n]) => ({
      bucket,
      client,
      announces: n * stride,
      samples: n,
    }));

    const webSeed: WebSeedRow[] = (this.options.webSeed?.drain() ?? [])
      .filter(([, bytes]) => bytes > 0)
      .map(([path, bytes]) => ({ bucket, path, bytes }));

    const swarms = [total, ...[...rows.values()].sort((a, b) => a.torrent_id - b.torrent_id)];
    // A torrent with nothing at all this minute gets no row (the total always has one).
    const quiet = (r: SwarmRow) =>
      r.torrent_id !== TOTAL &&
      r.peers_max === 0 &&
      r.completions === 0 &&
      r.partial_bytes === 0 &&
      r.announces_udp4 +
        r.announces_udp6 +
        r.announces_http4 +
        r.announces_http6 +
        r.announces_ws4 +
        r.announces_ws6 ===
        0;
    return { bucket, swarms: swarms.filter((r) => !quiet(r)), clients, webSeed };
  }

  /**
   * One minute's work: harvest, write, roll up the hour in progress, prune once an hour. `force`
   * (flush) records even if this minute was recorded already: its rows are merged with the new ones.
   */
  record(now: number, force = false): Promise<void> {
    const run = this.running.then(async () => {
      const bucket = now - (now % MINUTE);
      // Fired twice within one minute (timer drift): leave the counters for the next minute.
      if (bucket <= this.lastBucket && !force) return;
      this.lastBucket = Math.max(this.lastBucket, bucket);
      try {
        await this.refreshTorrents();
      } catch (e) {
        this.log(`statistics: cannot read the catalog's torrents (${msg(e)}); using the previous list`);
      }
      const sample = this.harvest(bucket);
      const seen = this.seen;
      await this.store.writeMinute(sample);
      this.writeSeen(seen);
      await this.store.rollUp(bucket, bucket + MINUTE);
      if (now - this.lastPrune >= 3_600_000) {
        this.lastPrune = now;
        await this.store.prune(now);
      }
    });
    this.running = run.catch((e: unknown) => this.log(`statistics: ${msg(e)}`));
    return run;
  }

  /** Starts the minute timer (aligned to the next minute) after a catch-up roll-up. */
  async start(now = Date.now()): Promise<void> {
    this.baseline();
    await this.refreshTorrents().catch(() => undefined);
    await this.store.catchUp(now).catch((e: unknown) => this.log(`statistics: roll-up: ${msg(e)}`));
    const arm = () => {
      const t = Date.now();
      this.timer = setTimeout(
        () => {
          void this.record(Date.now()).catch(() => undefined);
          arm();
        },
        MINUTE - (t % MINUTE) + 50,
      );
      this.timer.unref();
    };
    arm();
  }

  /**
   * Records what was counted since the last minute now, rather than at the next minute's timer, and
   * rolls up its hour: `fjord serve` does it on SIGUSR2, so an operator (or a test) sees the current
   * minute on the dashboard at once. Safe at any time: the timer's next run records only what came after.
   */
  flush(now = Date.now()): Promise<void> {
    return this.record(now, true);
  }

  /** Stops the timer and records what was counted since the last minute. */
  async stop(now = Date.now()): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    // The partial minute still counts: written under its own minute, merged if it was written already.
    this.lastBucket = -1;
    await this.record(now).catch(() => undefined);
    this.tracker.keepSwarm = KEEP_NONE;
  }

  private log(m: string): void {
    (this.options.log ?? (() => undefined))(m);
  }
}

const msg = (e: unknown): string => (e instanceof Error ? e.message : String(e));

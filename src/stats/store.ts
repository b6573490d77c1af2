/**
 * Statistics in the catalog database: writing minute rows, rolling them up into hour rows, pruning
 * by age, and the reads the admin API makes. Same queries on SQLite and PostgreSQL (kysely).
 *
 * Retention: minute rows 14 days, hour rows 2 years (730 days). The roll-up recomputes whole hours
 * from their minute rows and replaces them in one transaction, so running it again, or for an hour
 * still in progress, changes nothing it should not; `fjord serve` runs it after every minute's write
 * (the current hour) and at start (every hour since the newest hour row, to catch up after downtime).
 */
import type { Backend, Db } from '../catalog/index.js';
import { mergeSwarm, rollUpClients, rollUpSwarm, rollUpWebSeed, hourOf } from './rollup.js';
import {
  DAY,
  HOUR,
  statsDb,
  type ClientRow,
  type StatsDb,
  type SwarmRow,
  type WebSeedRow,
} from './schema.js';

export const MINUTE_RETENTION_DAYS = 14;
export const HOUR_RETENTION_DAYS = 730;
/** Rows per INSERT: 15 columns x 500 stays far below both databases' parameter limits. */
const BATCH = 500;
/** Hours rolled up per transaction when catching up. */
const ROLLUP_CHUNK_HOURS = 24;

export type Grain = 'minute' | 'hour';

export interface MinuteSample {
  bucket: number;
  swarms: SwarmRow[];
  clients: ClientRow[];
  webSeed: WebSeedRow[];
}

/** A catalog torrent as the recorder matches swarms to it. */
export interface TorrentKey {
  id: number;
  episodeId: number;
  /** Lower-case hex, 40 digits: the v1 hash and the truncated v2 hash (either may be null). */
  v1: string | null;
  v2: string | null;
  /** A hybrid torrent's aria2 alias (migration 006): a swarm of aria2 peers only, added to the others. */
  aria2: string | null;
  /** A hybrid torrent's v1 twin (migration 007): a swarm of its own too, added to the others. */
  twin: string | null;
  sizeBytes: number;
}

async function insertBatched<R>(rows: readonly R[], insert: (batch: R[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await insert(rows.slice(i, i + BATCH));
}

export class StatsStore {
  constructor(private readonly backend: Backend) {}

  private get db(): StatsDb {
    return statsDb(this.backend.db);
  }

  private write<T>(fn: (db: StatsDb) => Promise<T>): Promise<T> {
    return this.backend.write((trx: Db) => fn(statsDb(trx)));
  }

  /** Every catalog torrent (withdrawn ones too: their swarms linger), for matching swarms. */
  async torrents(): Promise<TorrentKey[]> {
    const rows = await this.backend.db
      .selectFrom('torrents')
      .select([
        'id',
        'episode_id',
        'info_hash_v1',
        'info_hash_v2_truncated',
        'info_hash_aria2',
        'info_hash_v1_twin',
        'size_bytes',
      ])
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      episodeId: Number(r.episode_id),
      v1: r.info_hash_v1,
      v2: r.info_hash_v2_truncated,
      aria2: r.info_hash_aria2,
      twin: r.info_hash_v1_twin,
      sizeBytes: Number(r.size_bytes),
    }));
  }

  /**
   * Writes one minute. A second sample for a minute already written (a restart within the minute)
   * is merged into it: counters add up, the peer maximum is kept.
   */
  async writeMinute(s: MinuteSample): Promise<void> {
    await this.write(async (db) => {
      const b = s.bucket;
      let swarms = s.swarms;
      let clients = s.clients;
      let webSeed = s.webSeed;
      const old = await db.selectFrom('stats_swarm_minute').selectAll().where('bucket', '=', b).execute();
      if (old.length > 0) {
        swarms = mergeSwarm([...old.map(num), ...swarms], (x) => x);
        const oc = await db.selectFrom('stats_client_minute').selectAll().where('bucket', '=', b).execute();
        clients = rollUpClients([...oc.map(num), ...clients]).map((r) => ({ ...r, bucket: b }));
        const ow = await db.selectFrom('stats_webseed_minute').selectAll().where('bucket', '=', b).execute();
        webSeed = rollUpWebSeed([...ow.map(num), ...webSeed]).map((r) => ({ ...r, bucket: b }));
        await db.deleteFrom('stats_swarm_minute').where('bucket', '=', b).execute();
        await db.deleteFrom('stats_client_minute').where('bucket', '=', b).execute();
        await db.deleteFrom('stats_webseed_minute').where('bucket', '=', b).execute();
      }
      await insertBatched(swarms, (r) => db.insertInto('stats_swarm_minute').values(r).execute());
      await insertBatched(clients, (r) => db.insertInto('stats_client_minute').values(r).execute());
      await insertBatched(webSeed, (r) => db.insertInto('stats_webseed_minute').values(r).execute());
    });
  }

  /**
   * Recomputes the hour rows of every hour in [from, to) (rounded out to whole hours) from the minute
   * rows, replacing what was there. Hours without minute rows are left as they are (their minute rows
   * may already be pruned). Returns the number of hour rows written.
   */
  async rollUp(from: number, to: number): Promise<number> {
    let written = 0;
    const end = hourOf(to - 1) + HOUR;
    for (let h = hourOf(from); h < end; h += ROLLUP_CHUNK_HOURS * HOUR) {
      const chunkEnd = Math.min(end, h + ROLLUP_CHUNK_HOURS * HOUR);
      written += await this.write(async (db) => {
        const swarms = (
          await db
            .selectFrom('stats_swarm_minute')
            .selectAll()
            .where('bucket', '>=', h)
            .where('bucket', '<', chunkEnd)
            .execute()
        ).map(num);
        const clients = (
          await db
            .selectFrom('stats_client_minute')
            .selectAll()
            .where('bucket', '>=', h)
            .where('bucket', '<', chunkEnd)
            .execute()
        ).map(num);
        const webSeed = (
          await db
            .selectFrom('stats_webseed_minute')
            .selectAll()
            .where('bucket', '>=', h)
            .where('bucket', '<', chunkEnd)
            .execute()
        ).map(num);
        // Only the hours that have minute rows are replaced.
        const hours = new Set<number>();
        for (const r of [...swarms, ...clients, ...webSeed]) hours.add(hourOf(r.bucket));
        if (hours.size === 0) return 0;
        const list = [...hours];
        await db.deleteFrom('stats_swarm_hour').where('bucket', 'in', list).execute();
        await db.deleteFrom('stats_client_hour').where('bucket', 'in', list).execute();
        await db.deleteFrom('stats_webseed_hour').where('bucket', 'in', list).execute();
        const hs = rollUpSwarm(swarms);
        const hc = rollUpClients(clients);
        const hw = rollUpWebSeed(webSeed);
        await insertBatched(hs, (r) => db.insertInto('stats_swarm_hour').values(r).execute());
        await insertBatched(hc, (r) => db.insertInto('stats_client_hour').values(r).execute());
        await insertBatched(hw, (r) => db.insertInto('stats_webseed_hour').values(r).execute());
        return hs.length + hc.length + hw.length;
      });
    }
    return written;
  }

  /** Rolls up everything not rolled up yet: from the newest hour row's hour (or the oldest minute) to `now`. */
  async catchUp(now: number): Promise<number> {
    const newestHour = await this.db
      .selectFrom('stats_swarm_hour')
      .select((eb) => eb.fn.max('bucket').as('b'))
      .executeTakeFirst();
    let from = newestHour?.b === null || newestHour?.b === undefined ? null : Number(newestHour.b);
    if (from === null) {
      const oldest = await this.db
        .selectFrom('stats_swarm_minute')
        .select((eb) => eb.fn.min('bucket').as('b'))
        .executeTakeFirst();
      if (oldest?.b === null || oldest?.b === undefined) return 0;
      from = Number(oldest.b);
    }
    return this.rollUp(from, now + 1);
  }

  /** Deletes minute rows older than 14 days and hour rows older than 2 years. */
  async prune(now: number): Promise<void> {
    const m = now - MINUTE_RETENTION_DAYS * DAY;
    const h = now - HOUR_RETENTION_DAYS * DAY;
    await this.write(async (db) => {
      await db.deleteFrom('stats_swarm_minute').where('bucket', '<', m).execute();
      await db.deleteFrom('stats_client_minute').where('bucket', '<', m).execute();
      await db.deleteFrom('stats_webseed_minute').where('bucket', '<', m).execute();
      await db.deleteFrom('stats_swarm_hour').where('bucket', '<', h).execute();
      await db.deleteFrom('stats_client_hour').where('bucket', '<', h).execute();
      await db.deleteFrom('stats_webseed_hour').where('bucket', '<', h).execute();
    });
  }

  // ---- reads ----

  /** Swarm rows of the given torrents (0 = the total) in [from, to), summed per bucket across them. */
  async swarm(grain: Grain, torrentIds: readonly number[], from: number, to: number): Promise<SwarmRow[]> {
    if (torrentIds.length === 0) return [];
    const rows = await this.db
      .selectFrom(grain === 'minute' ? 'stats_swarm_minute' : 'stats_swarm_hour')
      .selectAll()
      .where('torrent_id', 'in', [...torrentIds])
      .where('bucket', '>=', from)
      .where('bucket', '<', to)
      .orderBy('bucket')
      .execute();
    // A hybrid torrent is one row per bucket already; an episode with several torrents sums them.
    return sumPerBucket(rows.map(num));
  }

  /** Swarm rows of every torrent in [from, to), one per torrent and bucket (not summed). */
  async swarmByTorrent(grain: Grain, from: number, to: number): Promise<SwarmRow[]> {
    const rows = await this.db
      .selectFrom(grain === 'minute' ? 'stats_swarm_minute' : 'stats_swarm_hour')
      .selectAll()
      .where('torrent_id', '<>', 0)
      .where('bucket', '>=', from)
      .where('bucket', '<', to)
      .orderBy('bucket')
      .execute();
    return rows.map(num);
  }

  async clients(grain: Grain, from: number, to: number): Promise<ClientRow[]> {
    const rows = await this.db
      .selectFrom(grain === 'minute' ? 'stats_client_minute' : 'stats_client_hour')
      .selectAll()
      .where('bucket', '>=', from)
      .where('bucket', '<', to)
      .orderBy('bucket')
      .execute();
    return rows.map(num);
  }

  /** Web seed rows in [from, to); only the given paths when `paths` is given. */
  async webSeed(grain: Grain, from: number, to: number, paths?: readonly string[]): Promise<WebSeedRow[]> {
    if (paths !== undefined && paths.length === 0) return [];
    let q = this.db
      .selectFrom(grain === 'minute' ? 'stats_webseed_minute' : 'stats_webseed_hour')
      .selectAll()
      .where('bucket', '>=', from)
      .where('bucket', '<', to);
    if (paths !== undefined) q = q.where('path', 'in', [...paths]);
    const rows = await q.orderBy('bucket').execute();
    return rows.map(num);
  }
}

/** PostgreSQL returns BIGINT parsed already (the catalog's pool); SQLite gives numbers; be sure. */
function num<R extends Record<string, unknown>>(r: R): R {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r))
    out[k] = typeof v === 'string' && k !== 'client' && k !== 'path' ? Number(v) : v;
  return out as R;
}

/**
 * Sums rows of several torrents into one row per bucket (torrent_id of the first): an episode with
 * more than one torrent. Peak peers add up per bucket, which is exact for minute rows and an upper
 * bound for hour rows (the torrents' peaks may fall in different minutes).
 */
export function sumPerBucket(rows: readonly SwarmRow[]): SwarmRow[] {
  return mergeSwarm(rows, (b) => b, 'sum', false);
}

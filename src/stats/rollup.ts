/**
 * The roll-up, as pure functions: minute rows → hour rows. An hour row is a function of the minute
 * rows of that hour alone, so recomputing it (after a restart, twice in a row, for the hour still
 * running) gives the same row: the job that stores them replaces whole hours (store.ts).
 */
import { HOUR, SWARM_COUNTERS, type ClientRow, type SwarmRow, type WebSeedRow } from './schema.js';

/** The UTC hour a bucket falls in (hours are the same instants in every zone with whole-hour offsets). */
export const hourOf = (bucket: number): number => bucket - (((bucket % HOUR) + HOUR) % HOUR);

/**
 * Merges swarm rows that share a key: counters and samples add up. Rows of one torrent in different
 * minutes (`peers: 'max'`) keep the largest peer count and its minute (the earliest on a tie); rows of
 * different torrents in the same minute (`peers: 'sum'`) add their peer counts.
 */
export function mergeSwarm(
  rows: readonly SwarmRow[],
  bucketOf: (bucket: number) => number,
  peers: 'max' | 'sum' = 'max',
  byTorrent = true,
): SwarmRow[] {
  const out = new Map<string, SwarmRow>();
  for (const r of rows) {
    const bucket = bucketOf(r.bucket);
    const key = byTorrent ? `${bucket}:${r.torrent_id}` : String(bucket);
    const h = out.get(key);
    if (h === undefined) {
      out.set(key, { ...r, bucket });
      continue;
    }
    h.samples += peers === 'max' ? r.samples : 0;
    h.seeders_sum += r.seeders_sum;
    h.leechers_sum += r.leechers_sum;
    for (const k of SWARM_COUNTERS) h[k] += r[k];
    if (peers === 'sum') h.peers_max += r.peers_max;
    else if (r.peers_max > h.peers_max || (r.peers_max === h.peers_max && r.peers_max_at < h.peers_max_at)) {
      h.peers_max = r.peers_max;
      h.peers_max_at = r.peers_max_at;
    }
  }
  return [...out.values()].sort((a, b) => a.bucket - b.bucket || a.torrent_id - b.torrent_id);
}

/** Minute rows → hour rows: sums, samples, and each hour's largest minute. */
export function rollUpSwarm(rows: readonly SwarmRow[]): SwarmRow[] {
  return mergeSwarm(rows, hourOf);
}

export function rollUpClients(rows: readonly ClientRow[]): ClientRow[] {
  const out = new Map<string, ClientRow>();
  for (const r of rows) {
    const bucket = hourOf(r.bucket);
    const key = `${bucket}:${r.client}`;
    const h = out.get(key);
    if (h === undefined) out.set(key, { ...r, bucket });
    else {
      h.announces += r.announces;
      h.samples += r.samples;
    }
  }
  return [...out.values()].sort((a, b) => a.bucket - b.bucket || (a.client < b.client ? -1 : 1));
}

export function rollUpWebSeed(rows: readonly WebSeedRow[]): WebSeedRow[] {
  const out = new Map<string, WebSeedRow>();
  for (const r of rows) {
    const bucket = hourOf(r.bucket);
    const key = `${bucket}:${r.path}`;
    const h = out.get(key);
    if (h === undefined) out.set(key, { ...r, bucket });
    else h.bytes += r.bytes;
  }
  return [...out.values()].sort((a, b) => a.bucket - b.bucket || (a.path < b.path ? -1 : 1));
}

/**
 * The figures the newsroom asks for, as pure functions of recorded rows. Definitions are in
 * docs/statistics.md; each function here is the one place its definition is written down in code.
 */
import { addDays, localDay, startOfDay } from './time.js';

/** One GB for prices: 10^9 bytes, as transfer is billed by CDNs and clouds quoting "per GB". */
export const GB = 1e9;

export interface CompletionPoint {
  /** Start of the row's minute or hour (UTC epoch ms). */
  bucket: number;
  completions: number;
}

/**
 * Completions per local day in `timeZone`: each row counts on the local date its bucket starts in.
 * With hour rows that is exact wherever the zone's offset is whole hours (Europe/Oslo, on DST days
 * too: the day of the spring change has 23 hourly buckets, the autumn one 25). With `from`/`to`
 * (local dates, inclusive) every day in between is listed, zeros included.
 */
export function completionsPerDay(
  rows: readonly CompletionPoint[],
  timeZone: string,
  range?: { from: string; to: string },
): Array<{ day: string; completions: number }> {
  const byDay = new Map<string, number>();
  if (range) for (let d = range.from; d <= range.to; d = addDays(d, 1)) byDay.set(d, 0);
  for (const r of rows) {
    const day = localDay(r.bucket, timeZone);
    if (range && (day < range.from || day > range.to)) continue;
    byDay.set(day, (byDay.get(day) ?? 0) + r.completions);
  }
  return [...byDay.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([day, completions]) => ({ day, completions }));
}

/** The local day's span [start, end) in UTC ms: 23, 24 or 25 hours. */
export function daySpan(day: string, timeZone: string): { start: number; end: number } {
  return { start: startOfDay(day, timeZone), end: startOfDay(addDays(day, 1), timeZone) };
}

/**
 * Peak swarm: the most peers (seeders + leechers, BitTorrent and browsers) seen in one minute
 * sample, and that minute; the earliest minute when several tie. Null without rows.
 */
export function peakSwarm(
  rows: ReadonlyArray<{ peers_max: number; peers_max_at: number }>,
): { peers: number; at: number } | null {
  let best: { peers: number; at: number } | null = null;
  for (const r of rows) {
    if (best === null || r.peers_max > best.peers || (r.peers_max === best.peers && r.peers_max_at < best.at))
      best = { peers: r.peers_max, at: r.peers_max_at };
  }
  return best;
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

export interface Delivery {
  /** Bytes the web seed sent for the torrent's files. */
  webSeedBytes: number;
  /** Completed downloads. */
  completions: number;
  /** The torrent's payload size in bytes. */
  sizeBytes: number;
  /** Sum of `downloaded` announced by peers that stopped before completing (0 when not counted). */
  partialBytes?: number;
}

/**
 * Bytes delivered to viewers: completions x size, and never less than what the web seed sent (every
 * byte it sent reached a viewer: a download that no tracker counted, such as a client announcing a
 * hash the tracker does not know or one fetching the file over plain HTTP, is delivered all the same).
 */
export function deliveredBytes(d: Delivery): number {
  return Math.max(d.completions * d.sizeBytes, d.webSeedBytes);
}

/** Bytes delivered including ended partial downloads: completions x size + partial bytes, at least the web seed's. */
export function deliveredBytesWithPartial(d: Delivery): number {
  return Math.max(d.completions * d.sizeBytes + (d.partialBytes ?? 0), d.webSeedBytes);
}

/**
 * The share of delivered bytes that viewers carried: 1 − web seed bytes / (completions x size),
 * clamped to [0, 1]; undefined when nothing was delivered (no completions, or a size of 0).
 */
export function p2pShare(d: Delivery): number | undefined {
  const delivered = deliveredBytes(d);
  return delivered > 0 ? clamp01(1 - d.webSeedBytes / delivered) : undefined;
}

/**
 * The same share with partial downloads counted as delivered: 1 − web seed bytes / (completions x
 * size + partial bytes). The web seed also serves viewers who never finish, so this is the fairer
 * figure when many stop early; undefined when nothing was delivered.
 */
export function p2pShareWithPartial(d: Delivery): number | undefined {
  const delivered = deliveredBytesWithPartial(d);
  return delivered > 0 ? clamp01(1 - d.webSeedBytes / delivered) : undefined;
}

export interface CostSaved {
  /** Bytes viewers carried: delivered − web seed bytes, at least 0. */
  peerBytes: number;
  /** What serving those bytes over plain HTTP would have cost: peerBytes / 10^9 x price. */
  amount: number;
  currency: string;
  pricePerGb: number;
}

/** The HTTP delivery cost saved: the bytes viewers carried, at `pricePerGb` per 10^9 bytes. */
export function httpCostSaved(
  delivered: number,
  webSeedBytes: number,
  pricePerGb: number,
  currency: string,
): CostSaved {
  const peerBytes = Math.max(0, delivered - webSeedBytes);
  return { peerBytes, amount: (peerBytes / GB) * pricePerGb, currency, pricePerGb };
}

/**
 * A release curve: completions since publication, cumulative, by whole hour since `publishedAt`
 * (hour 0 is the first hour after publication), for `hours` hours. A row is placed by its bucket's
 * start; the hour row in which publication falls counts in hour 0, rows wholly before it not at all.
 */
export function releaseCurve(
  rows: readonly CompletionPoint[],
  publishedAt: number,
  hours: number,
): Array<{ hour: number; completions: number }> {
  const per = new Array<number>(hours).fill(0);
  for (const r of rows) {
    if (r.bucket + 3_600_000 <= publishedAt) continue;
    const h = Math.max(0, Math.floor((r.bucket - publishedAt) / 3_600_000));
    if (h < hours) per[h] += r.completions;
  }
  let sum = 0;
  return per.map((n, hour) => ({ hour, completions: (sum += n) }));
}

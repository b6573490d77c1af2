/**
 * The web seed policy: the broadcaster's server is the origin of last resort (issue 15).
 *
 * Viewers should carry the bytes. A web seed that answers every client as fast as it asks ends up
 * sending most of an episode even when a healthy swarm could carry it, so each GET with a body is
 * decided before a byte is sent:
 *
 *   1. policy off (`webSeedPolicy: false`)                          serve (a plain web seed)
 *   2. the requester is alone: the torrent's swarm has at most one  serve: a lone first viewer
 *      peer (seeders + leechers, browsers included)                 never waits
 *   3. a rare range: half of its blocks or more have fewer than     serve: nobody else has it
 *      `webSeedMinSources` complete sources, counting the swarm's
 *      seeders and one for a copy this web seed sent within the
 *      last AVAILABILITY_SECONDS (its receiver is likely still in
 *      the swarm; libtorrent's piece picker asks a web seed for the
 *      pieces its peers lack, so these are most requests it makes)
 *   4. a client coming back: the same address asks again for a     serve: the swarm did not give
 *      range refused at least `webSeedRetryAfter` seconds ago        it to this client
 *   5. a client known never to come back after a 503 (by its       serve: refusing it would
 *      User-Agent; measured: aria2 1.36 with its default            stall it for good
 *      --retry-wait=0, Transmission 3.00 not within 170 s)
 *   6. within budget: the torrent's bucket (`webSeedTorrentRate`)   serve, at full speed
 *      and the installation's (`webSeedTotalRate`) both hold tokens
 *   7. otherwise                                                    503 + Retry-After, at once
 *
 * Why refuse rather than throttle: libtorrent asks a web seed for ranges of up to 16 MiB and holds
 * those pieces for it, so a web seed slowed to a crawl starves every viewer (measured: 0 of 12
 * completed in 300 s at 0.5 MiB/s in total). A quick 503 releases the pieces to the client's peers
 * at once. libtorrent 2.0.8 then stays away from the web seed for 40 to 90 s whatever Retry-After
 * says, which is why rare ranges are never refused: the web seed stays the source of every piece no
 * peer has, and only the copies a peer could give are refused. Measured too: libtorrent 2.0.8 with
 * no connected peer never asks again (over 150 s; re-announces do not help), so a refusal in a swarm
 * of peers it cannot reach stalls it (README, "The web seed policy"; a todo test in
 * test/interop/webseed-policy-clients.test.ts). The tracker's figures cannot tell those peers apart.
 *
 * Budgets are token buckets in bytes per second holding at most BURST_SECONDS of tokens. A request
 * within budget is admitted while the bucket is positive and debits its whole length (so one 16 MiB
 * request may take it below zero: the average rate holds). Bytes served by rules 2 to 4 debit the
 * buckets too: the budget bounds the web seed's whole average output for the torrent, so while it
 * is sending the first copies of a release (rare ranges) it admits nothing more, and the swarm
 * carries the rest. (Measured: with that debt floored at one burst, the budget admitted a 16 MiB
 * range soon after the first copy, 1.33 copies for 12 viewers instead of 1.0.)
 *
 * Cost: the announce path pays nothing (the swarm figures come from the tracker's store through
 * SwarmStats, cached for two seconds). A decision is a map lookup, at most MAX_BLOCKS reads of a
 * Uint32Array for the range's blocks, and two bucket updates: bounded whatever the traffic.
 */
import type { ByteRange } from './webseed.js';

export interface WebSeedPolicySettings {
  /** Off: every request is served (a plain web seed). */
  webSeedPolicy: boolean;
  /** Bytes per second one torrent's web seed may send beyond what the rules above always serve. */
  webSeedTorrentRate: number;
  /** Bytes per second the whole installation's web seed may send so. */
  webSeedTotalRate: number;
  /** Complete sources (seeders, or a recent copy from the web seed) a block needs to be refused. */
  webSeedMinSources: number;
  /** Seconds in a 503's Retry-After; a client back for the same range after that is served. */
  webSeedRetryAfter: number;
}

export const DEFAULT_POLICY: WebSeedPolicySettings = {
  webSeedPolicy: true,
  webSeedTorrentRate: 256 * 1024,
  webSeedTotalRate: 100 * 1024 * 1024,
  webSeedMinSources: 1,
  webSeedRetryAfter: 30,
};

/** Checks the policy's settings; throws a one-line reason (validateConfig calls it). */
export function checkPolicySettings(c: Record<keyof WebSeedPolicySettings, unknown>): void {
  if (typeof c.webSeedPolicy !== 'boolean') throw new Error('webSeedPolicy must be true or false');
  const whole = (k: keyof WebSeedPolicySettings, min: number, max: number, what: string): void => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new Error(`${k} must be a whole number of ${what} from ${min} to ${max} (got ${String(v)})`);
  };
  whole('webSeedTorrentRate', 1024, 2 ** 40, 'bytes per second');
  whole('webSeedTotalRate', 1024, 2 ** 40, 'bytes per second');
  whole('webSeedMinSources', 1, 1000, 'sources');
  whole('webSeedRetryAfter', 1, 3600, 'seconds');
  if ((c.webSeedTotalRate as number) < (c.webSeedTorrentRate as number))
    throw new Error('webSeedTotalRate must not be less than webSeedTorrentRate');
}

/** A copy sent within this many seconds counts as one complete source of its blocks. */
export const AVAILABILITY_SECONDS = 600;
/** A bucket holds at most this many seconds of its rate. */
export const BURST_SECONDS = 4;
/** Blocks per file at most: a block is a power of two of at least MIN_BLOCK bytes. */
export const MAX_BLOCKS = 4096;
const MIN_BLOCK_SHIFT = 14;
/**
 * A range is rare when at least this share of its blocks was not sent recently. Not "any block":
 * libtorrent asks for up to 16 MiB at once, often overlapping what another viewer is being sent,
 * and serving all of it for one unsent block sent most of a second copy (measured: 1.9 copies of
 * the episode with 12 viewers). A range refused for its few unsent blocks comes back smaller (the
 * client got the rest from peers) and is then rare; rule 4 serves it in any case. Measured with 12
 * viewers: a half, 1.00 copies (and 1.09 with 30 viewers); a quarter, 1.00 and 1.33 copies in two runs.
 */
export const RARE_FRACTION = 0.5;
/** Refusals remembered for rule 4; the table is emptied when full. */
const MAX_REFUSALS = 8192;

export class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    readonly rate: number,
    now: number,
  ) {
    this.tokens = this.capacity;
    this.at = now;
  }

  get capacity(): number {
    return this.rate * BURST_SECONDS;
  }

  /** Tokens now (ms clock). */
  level(now: number): number {
    if (now > this.at) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.rate);
      this.at = now;
    }
    return this.tokens;
  }

  /** Takes `n` tokens (the level may go below zero: a debt repaid at the rate). */
  debit(n: number, now: number): void {
    this.tokens = this.level(now) - n;
  }
}

/** When this web seed last sent each block of one file (seconds of the policy's clock, 0 never). */
export class FileCopies {
  readonly shift: number;
  readonly sent: Uint32Array;
  constructor(readonly size: number) {
    let shift = MIN_BLOCK_SHIFT;
    while (Math.ceil(size / 2 ** shift) > MAX_BLOCKS) shift++;
    this.shift = shift;
    this.sent = new Uint32Array(Math.max(1, Math.ceil(size / 2 ** shift)));
  }

  /** Blocks of start..end (inclusive), and how many of them were not sent since `since`. */
  unsentIn(start: number, end: number, since: number): { blocks: number; unsent: number } {
    const first = Math.floor(start / 2 ** this.shift);
    const last = Math.min(this.sent.length - 1, Math.floor(end / 2 ** this.shift));
    let unsent = 0;
    for (let b = first; b <= last; b++) if (this.sent[b] <= since) unsent++;
    return { blocks: last - first + 1, unsent };
  }

  /** Whether at least RARE_FRACTION of the blocks of start..end were not sent since `since`. */
  rareIn(start: number, end: number, since: number): boolean {
    const { blocks, unsent } = this.unsentIn(start, end, since);
    return unsent > 0 && unsent >= blocks * RARE_FRACTION;
  }

  /** Marks the blocks start..end covers whole (the file's last block counts whole at its end). */
  mark(start: number, end: number, now: number): void {
    const unit = 2 ** this.shift;
    const first = Math.ceil(start / unit);
    const last = end + 1 >= this.size ? this.sent.length - 1 : Math.floor((end + 1) / unit) - 1;
    for (let b = first; b <= last; b++) this.sent[b] = now;
  }
}

export type Reason = 'off' | 'alone' | 'rare' | 'back' | 'client' | 'budget' | 'refused';

/** User-Agents of clients that never return to a web seed after one 503 (rule 5). */
const NEVER_RETURN = /^(aria2|Transmission)\//i;

/** Whether a request's User-Agent names a client that never comes back after a 503. */
export function neverReturns(userAgent: string | undefined): boolean {
  return userAgent !== undefined && NEVER_RETURN.test(userAgent);
}

export type Decision =
  { serve: true; reason: Exclude<Reason, 'refused'> } | { serve: false; retryAfter: number };

export interface PolicyFile {
  /** The file's catalog path. */
  path: string;
  /** Its torrent's folder (the unit of the budget and of the swarm figures). */
  torrent: string;
  size: number;
}

/** Seeders and leechers of a torrent's swarm now (the tracker's store, browsers included). */
export type SwarmFiguresOf = (torrent: string) => { seeders: number; leechers: number };

export class WebSeedPolicy {
  private readonly total: TokenBucket;
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly copies = new Map<string, FileCopies>();
  private readonly refusals = new Map<string, number>();
  /** Requests decided, by reason, and bytes admitted by each (for tests, logs and the benchmark). */
  readonly counts: Record<Reason, number> = {
    off: 0,
    alone: 0,
    rare: 0,
    back: 0,
    client: 0,
    budget: 0,
    refused: 0,
  };

  constructor(
    readonly settings: WebSeedPolicySettings,
    private readonly swarm: SwarmFiguresOf,
    private readonly now: () => number = Date.now,
  ) {
    this.total = new TokenBucket(settings.webSeedTotalRate, now());
  }

  /**
   * Decides one GET with a body for `file`: `ranges` as the reply would send them (null: the whole
   * file). An admitted request's blocks are marked as sent at once, so two clients asking for the
   * same rare block at the same moment get it once from here and once from each other.
   */
  decide(
    file: PolicyFile,
    ranges: readonly ByteRange[] | null,
    requester: string,
    /** False for a client that never comes back after a 503 (neverReturns()). */
    returns = true,
  ): Decision {
    const s = this.settings;
    if (!s.webSeedPolicy) return this.admit('off');
    const now = this.now();
    const spans = ranges ?? [{ start: 0, end: file.size - 1 }];
    const length = spans.reduce((n, r) => n + r.end - r.start + 1, 0);
    let bucket = this.buckets.get(file.torrent);
    if (bucket === undefined) {
      if (this.buckets.size >= 100_000) this.buckets.clear();
      this.buckets.set(file.torrent, (bucket = new TokenBucket(s.webSeedTorrentRate, now)));
    }
    const serve = (reason: Exclude<Reason, 'off' | 'refused'>): Decision => {
      bucket.debit(length, now);
      this.total.debit(length, now);
      this.markSent(file, spans, now);
      return this.admit(reason);
    };

    const figures = this.swarm(file.torrent);
    if (figures.seeders + figures.leechers <= 1) return serve('alone');
    const seconds = Math.floor(now / 1000);
    if (figures.seeders < s.webSeedMinSources) {
      // One source comes from a recent copy of ours: rare if a block has none, or if even with it
      // the swarm has fewer sources than asked.
      if (figures.seeders + 1 < s.webSeedMinSources) return serve('rare');
      const copies = this.copies.get(file.path);
      if (copies === undefined || copies.size !== file.size) return serve('rare');
      const since = Math.max(0, seconds - AVAILABILITY_SECONDS);
      if (spans.some((r) => copies.rareIn(r.start, r.end, since))) return serve('rare');
    }
    const key = `${requester}\0${file.path}\0${spans.map((r) => `${r.start}-${r.end}`).join(',')}`;
    const refusedAt = this.refusals.get(key);
    if (refusedAt !== undefined && now - refusedAt >= s.webSeedRetryAfter * 1000) {
      this.refusals.delete(key);
      return serve('back');
    }
    if (!returns) return serve('client');
    if (bucket.level(now) > 0 && this.total.level(now) > 0) return serve('budget');
    if (refusedAt === undefined) {
      if (this.refusals.size >= MAX_REFUSALS) this.refusals.clear();
      this.refusals.set(key, now);
    }
    this.counts.refused++;
    return { serve: false, retryAfter: s.webSeedRetryAfter };
  }

  /** One line for the log: requests decided, by reason. */
  summary(): string {
    return Object.entries(this.counts)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
  }

  private admit(reason: Exclude<Reason, 'refused'>): Decision {
    this.counts[reason]++;
    return { serve: true, reason };
  }

  private markSent(file: PolicyFile, spans: readonly ByteRange[], now: number): void {
    let copies = this.copies.get(file.path);
    if (copies === undefined || copies.size !== file.size) {
      if (this.copies.size >= 100_000) this.copies.clear();
      this.copies.set(file.path, (copies = new FileCopies(file.size)));
    }
    const seconds = Math.max(1, Math.floor(now / 1000));
    for (const r of spans) copies.mark(r.start, r.end, seconds);
  }
}

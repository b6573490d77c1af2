/**
 * The swarm store: every torrent's peers, and the running counters that statistics read.
 *
 * It is the one place that knows the data layout (see peer-list.ts). It does no I/O, reads no
 * clock of its own (callers pass the time in ticks) and allocates nothing per announce once a
 * swarm exists. Work per announce is independent of the swarm's size.
 */
import { InfoHashTable } from './info-hash-table.js';
import { COMPLETED_BIT, PeerList, TICK_MASK, TICK_SECONDS } from './peer-list.js';
import { SWARM_STATS_SLOTS, statsPending } from '../stats/counters.js';
import { CompletionLimiter, SuspectTable } from './address-limits.js';

/** Announce events, numbered as BEP 15 numbers them on the wire. */
export const EVENT_NONE = 0;
export const EVENT_COMPLETED = 1;
export const EVENT_STARTED = 2;
export const EVENT_STOPPED = 3;

export class Swarm {
  v4: PeerList | null = null;
  v6: PeerList | null = null;
  /** Completed downloads ever counted for this torrent (persisted across restarts). */
  downloaded = 0;
  /** Statistics counters bumped per announce, read once a minute (src/stats/counters.ts). */
  readonly stats = new Float64Array(SWARM_STATS_SLOTS);

  get seeders(): number {
    return (this.v4 ? this.v4.seeds : 0) + (this.v6 ? this.v6.seeds : 0);
  }
  get leechers(): number {
    return (this.v4 ? this.v4.leeches : 0) + (this.v6 ? this.v6.leeches : 0);
  }
  get peers(): number {
    return (this.v4 ? this.v4.count : 0) + (this.v6 ? this.v6.count : 0);
  }
}

export interface StoreTotals {
  torrents: number;
  seeders: number;
  leechers: number;
  /** Completions counted since the process started. */
  completedSinceStart: number;
}

/** The per-address limits (config `peersPerAddress`, `completionsPerAddress`; docs/statistics.md). */
export interface StoreLimits {
  /** Peers one IPv4 address (or IPv6 /64) may have in one swarm; more are answered but not stored. */
  peersPerAddress: number;
  /** Completions counted per torrent and address in a 12 to 24 hour window; more are not counted. */
  completionsPerAddress: number;
}

export const DEFAULT_LIMITS: StoreLimits = { peersPerAddress: 8, completionsPerAddress: 8 };

/**
 * The info hashes of completions counted since the last drain, 20 bytes each, for the completion
 * journal (src/tracker/persistence.ts) to append to disk. Grows by doubling, rarely.
 */
export class CompletedQueue {
  /** Off until a journal drains the queue (a store without one would only grow it). */
  on = false;
  bytes = Buffer.alloc(20 * 256);
  count = 0;

  push(hash: Uint8Array, off: number): void {
    if (!this.on) return;
    if ((this.count + 1) * 20 > this.bytes.length) {
      const next = Buffer.alloc(this.bytes.length * 2);
      this.bytes.copy(next, 0, 0, this.count * 20);
      this.bytes = next;
    }
    const o = this.count++ * 20;
    for (let i = 0; i < 20; i++) this.bytes[o + i] = hash[off + i];
  }
}

export function secondsToTicks(seconds: number): number {
  return Math.ceil(seconds / TICK_SECONDS);
}

export function tickOf(seconds: number): number {
  return Math.floor(seconds / TICK_SECONDS) & TICK_MASK;
}

export class SwarmStore {
  readonly torrents = new InfoHashTable<Swarm>(1024);
  seeders = 0;
  leechers = 0;
  completedSinceStart = 0;
  /** Announces of new peers not stored: their address had peersPerAddress in the swarm already. */
  peersRefused = 0;
  /** `completed` announces not counted: their address had completionsPerAddress for the torrent. */
  completionsIgnored = 0;
  /** Addresses that hit either limit, for the dashboard. */
  readonly suspects = new SuspectTable();
  /** Completions counted and not yet appended to the journal. */
  readonly completed = new CompletedQueue();
  private readonly completionLimit: CompletionLimiter;
  private readonly peersPerAddress: number;

  constructor(limits: StoreLimits = DEFAULT_LIMITS) {
    this.peersPerAddress = limits.peersPerAddress;
    this.completionLimit = new CompletionLimiter(limits.completionsPerAddress);
  }

  /** Set by announce(): the requester's list and position in it (-1 when it left). */
  selfList: PeerList | null = null;
  selfPos = -1;

  get(hash: Uint8Array, off: number): Swarm | undefined {
    return this.torrents.get(hash, off);
  }

  /** The swarm for this hash, created when missing. */
  ensure(hash: Uint8Array, off: number): Swarm {
    let swarm = this.torrents.get(hash, off);
    if (swarm === undefined) {
      swarm = new Swarm();
      this.torrents.set(hash, off, swarm);
    }
    return swarm;
  }

  /**
   * Records an announce. `peer` holds the compact bytes (address then big-endian port; 6 bytes for
   * IPv4, 18 for IPv6) and keys the peer: one peer per address and port, whatever its peer_id.
   * A new peer whose address (IPv4) or /64 (IPv6) has peersPerAddress peers in the list already is
   * not stored (selfPos stays -1; its reply is built as for anyone). A completion counts once per
   * stored peer, and at most completionsPerAddress times per torrent and address in a window
   * (address-limits.ts); one over either limit is counted in peersRefused/completionsIgnored and
   * its address noted in `suspects`.
   * A completion is a download the client reports finished: `completed`; or a `started` with
   * nothing left and `downloadedSome` (it downloaded the rest before its first announce, e.g. from the
   * web seed); or a stored leecher announcing nothing left, `stopped` included (docs/statistics.md). A `started` seeder
   * that downloaded nothing is not one; nor is a plain announce of a seeder the store does not know
   * (the tracker restarted: its `downloaded` is the session's, counted already).
   * Returns the swarm (undefined only for a `stopped` of an unknown torrent) and sets
   * selfList/selfPos so the caller can leave the requester out of its reply.
   */
  announce(
    hash: Uint8Array,
    hashOff: number,
    peer: Uint8Array,
    peerOff: number,
    v6: boolean,
    seed: boolean,
    event: number,
    tick: number,
    downloadedSome = false,
  ): Swarm | undefined {
    this.selfList = null;
    this.selfPos = -1;
    if (event === EVENT_STOPPED) {
      const swarm = this.torrents.get(hash, hashOff);
      if (swarm === undefined) return undefined;
      const list = v6 ? swarm.v6 : swarm.v4;
      if (list !== null) {
        const pos = list.find(peer, peerOff);
        if (pos >= 0) {
          // A leecher leaving with nothing left finished first (see above).
          if (seed && pos >= list.seeds && (list.meta[pos] & COMPLETED_BIT) === 0)
            this.complete(swarm, hash, hashOff, peer, peerOff, list.prefix, tick);
          if (pos < list.seeds) this.seeders--;
          else this.leechers--;
          list.remove(pos);
        }
      }
      return swarm;
    }
    const swarm = this.ensure(hash, hashOff);
    let list = v6 ? swarm.v6 : swarm.v4;
    if (list === null) {
      list = new PeerList(v6 ? 18 : 6);
      if (v6) swarm.v6 = list;
      else swarm.v4 = list;
    }
    const finished = event === EVENT_COMPLETED || (seed && downloadedSome && event === EVENT_STARTED);
    let pos = list.findCounting(peer, peerOff);
    if (pos < 0) {
      // A list of at most peersPerAddress peers cannot hold too many of one address: no compare.
      if (list.count >= this.peersPerAddress && list.sameAddress >= this.peersPerAddress) {
        // Answered (the caller replies as to anyone) but not stored, nor given to others.
        this.peersRefused++;
        this.suspects.note(false, peer, peerOff, list.prefix, hash, hashOff, tick);
        if (finished) this.complete(swarm, hash, hashOff, peer, peerOff, list.prefix, tick);
        return swarm;
      }
      let meta = tick;
      if (finished) {
        meta |= COMPLETED_BIT;
        this.complete(swarm, hash, hashOff, peer, peerOff, list.prefix, tick);
      }
      pos = list.insert(peer, peerOff, seed, meta);
      if (seed) this.seeders++;
      else this.leechers++;
    } else {
      let meta = list.meta[pos];
      const wasSeed = pos < list.seeds;
      if ((finished || (seed && !wasSeed)) && (meta & COMPLETED_BIT) === 0) {
        meta |= COMPLETED_BIT;
        this.complete(swarm, hash, hashOff, peer, peerOff, list.prefix, tick);
      }
      list.meta[pos] = (meta & COMPLETED_BIT) | tick;
      if (wasSeed !== seed) {
        pos = list.setSeed(pos, seed);
        if (seed) {
          this.seeders++;
          this.leechers--;
        } else {
          this.seeders--;
          this.leechers++;
        }
      }
    }
    this.selfList = list;
    this.selfPos = pos;
    return swarm;
  }

  /** Counts a completion unless its address had its completionsPerAddress for this torrent. */
  private complete(
    swarm: Swarm,
    hash: Uint8Array,
    hashOff: number,
    peer: Uint8Array,
    peerOff: number,
    prefix: number,
    tick: number,
  ): void {
    if (!this.completionLimit.allow(hash, hashOff, peer, peerOff, prefix, tick)) {
      this.completionsIgnored++;
      this.suspects.note(true, peer, peerOff, prefix, hash, hashOff, tick);
      return;
    }
    swarm.downloaded++;
    this.completedSinceStart++;
    this.completed.push(hash, hashOff);
  }

  /**
   * Writes up to `max` peers of one family into out[off] in compact form and returns the count.
   * A seeder is given leechers first (seeders have nothing to give each other), then seeders;
   * a leecher gets a random contiguous run over all peers. The requester is never included.
   */
  selectPeers(list: PeerList | null, seed: boolean, max: number, out: Buffer, off: number): number {
    if (list === null || max <= 0) return 0;
    const skip = list === this.selfList ? this.selfPos : -1;
    if (!seed) return list.copyRing(0, list.count, max, skip, out, off);
    let n = list.copyRing(list.seeds, list.count, max, skip, out, off);
    if (n < max) n += list.copyRing(0, list.seeds, max - n, skip, out, off + n * list.rec);
    return n;
  }

  /** Removes peers older than `timeoutSeconds` and empty swarms that never completed. */
  sweep(nowSeconds: number, timeoutSeconds: number): { peersRemoved: number; swarmsRemoved: number } {
    const nowTick = tickOf(nowSeconds);
    const maxAge = secondsToTicks(timeoutSeconds);
    this.completionLimit.rotateIfDue(nowTick);
    this.suspects.sweep(nowTick);
    let peersRemoved = 0;
    const empty: Uint8Array[] = [];
    this.torrents.forEach((swarm, key, off) => {
      for (const list of [swarm.v4, swarm.v6]) {
        if (list === null) continue;
        const [s, l] = list.expire(nowTick, maxAge);
        this.seeders -= s;
        this.leechers -= l;
        peersRemoved += s + l;
      }
      if (swarm.v4 !== null && swarm.v4.count === 0) swarm.v4 = null;
      if (swarm.v6 !== null && swarm.v6.count === 0) swarm.v6 = null;
      if (swarm.v4 === null && swarm.v6 === null && swarm.downloaded === 0 && !statsPending(swarm.stats))
        empty.push(key.slice(off, off + 20));
    });
    for (const k of empty) this.torrents.delete(k, 0);
    return { peersRemoved, swarmsRemoved: empty.length };
  }

  totals(): StoreTotals {
    return {
      torrents: this.torrents.size,
      seeders: this.seeders,
      leechers: this.leechers,
      completedSinceStart: this.completedSinceStart,
    };
  }
}

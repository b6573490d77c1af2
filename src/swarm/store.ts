/**
 * The in-memory peer store (PeerStore, peer-store.ts): every torrent's peers, and the running
 * counters that statistics read.
 *
 * It is the one place that knows the memory layout (see peer-list.ts). It does no I/O, reads no
 * clock of its own (callers pass the time in ticks) and allocates nothing per announce once a
 * swarm exists. Work per announce is independent of the swarm's size.
 */
import { InfoHashTable } from './info-hash-table.js';
import { COMPLETED_BIT, PeerList, TICK_MASK, TICK_SECONDS } from './peer-list.js';
import { CompletionLimiter, SuspectTable } from './address-limits.js';
import {
  Announced,
  CompletedQueue,
  DEFAULT_STORE_OPTIONS,
  EVENT_COMPLETED,
  EVENT_STARTED,
  EVENT_STOPPED,
  type KeepRule,
  type LimitCounts,
  type PeerRun,
  type PeerStore,
  type PeerStoreOptions,
  type StoreTotals,
  type SwarmCounts,
  type SwarmView,
} from './peer-store.js';

export {
  Announced,
  CompletedQueue,
  EVENT_COMPLETED,
  EVENT_NONE,
  EVENT_STARTED,
  EVENT_STOPPED,
  KEEP_NONE,
  type KeepRule,
  type PeerStore,
  type PeerStoreOptions,
  type StoreTotals,
  type SwarmCounts,
} from './peer-store.js';

/** One torrent's swarm: a peer list per address family, its completions and its owner counters. */
export class Swarm implements SwarmView {
  v4: PeerList | null = null;
  v6: PeerList | null = null;
  /** Completed downloads ever counted for this torrent (persisted across restarts). */
  downloaded = 0;

  constructor(
    /** The owner's counters (PeerStoreOptions.counterSlots), bumped per announce, read by statistics. */
    readonly counters: Float64Array,
  ) {}

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

/** Seeders and leechers of two peer lists, a peer (address and port) in both counted once. */
export function unionOf(a: PeerList | null, b: PeerList | null): { seeds: number; leeches: number } {
  if (a === null && b === null) return { seeds: 0, leeches: 0 };
  if (a === null || b === null) {
    const l = (a ?? b) as PeerList;
    return { seeds: l.seeds, leeches: l.leeches };
  }
  let seeds = a.seeds;
  let leeches = a.leeches;
  for (let pos = 0; pos < b.count; pos++) {
    if (a.find(b.addrs, pos * b.rec) >= 0) continue;
    if (pos < b.seeds) seeds++;
    else leeches++;
  }
  return { seeds, leeches };
}

export function secondsToTicks(seconds: number): number {
  return Math.ceil(seconds / TICK_SECONDS);
}

export function tickOf(seconds: number): number {
  return Math.floor(seconds / TICK_SECONDS) & TICK_MASK;
}

/** The in-memory PeerStore. Swarms live in an InfoHashTable; peers in packed PeerLists. */
export class SwarmStore implements PeerStore {
  /** Not part of PeerStore: the memory layout, for this store's own tests and benchmarks. */
  readonly torrents = new InfoHashTable<Swarm>(1024);
  private seeders = 0;
  private leechers = 0;
  private completedSinceStart = 0;
  private peersRefused = 0;
  private completionsIgnored = 0;
  /** Addresses that hit either limit, for the dashboard. */
  readonly suspects = new SuspectTable();
  readonly completed = new CompletedQueue();
  private readonly completionLimit: CompletionLimiter;
  private readonly peersPerAddress: number;
  private readonly counterSlots: number;

  constructor(options: Partial<PeerStoreOptions> = {}) {
    const o = { ...DEFAULT_STORE_OPTIONS, ...options };
    this.peersPerAddress = o.peersPerAddress;
    this.counterSlots = o.counterSlots;
    this.completionLimit = new CompletionLimiter(o.completionsPerAddress);
  }

  /** The swarm for this hash, created when missing. */
  private ensure(hash: Uint8Array, off: number): Swarm {
    let swarm = this.torrents.get(hash, off);
    if (swarm === undefined) {
      swarm = new Swarm(new Float64Array(this.counterSlots));
      this.torrents.set(hash, off, swarm);
    }
    return swarm;
  }

  /** The swarm's list of this family, created when missing. */
  private listOf(swarm: Swarm, v6: boolean): PeerList {
    let list = v6 ? swarm.v6 : swarm.v4;
    if (list === null) {
      list = new PeerList(v6 ? 18 : 6);
      if (v6) swarm.v6 = list;
      else swarm.v4 = list;
    }
    return list;
  }

  /**
   * PeerStore.announce. A new peer whose address (IPv4) or /64 (IPv6) has peersPerAddress peers in
   * the list already is not stored (position -1; its reply is built as for anyone). A completion
   * counts once per stored peer, and at most completionsPerAddress times per torrent and address in
   * a window (address-limits.ts); one over either limit is counted in limitCounts() and its address
   * noted in `suspects`.
   * A completion is a download the client reports finished: `completed`; or a `started` with
   * nothing left and `downloadedSome` (it downloaded the rest before its first announce, e.g. from
   * the web seed); or a stored leecher announcing nothing left, `stopped` included
   * (docs/statistics.md). A `started` seeder that downloaded nothing is not one; nor is a plain
   * announce of a seeder the store does not know (the tracker restarted: its `downloaded` is the
   * session's, counted already).
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
    downloadedSome: boolean,
    into: Announced,
  ): void {
    into.v6 = v6;
    into.position = -1;
    if (event === EVENT_STOPPED) {
      const swarm = this.torrents.get(hash, hashOff);
      if (swarm === undefined) {
        into.known = false;
        into.seeders = into.leechers = into.downloaded = 0;
        into.counters = null;
        into.swarm = null;
        return;
      }
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
      this.result(swarm, into);
      return;
    }
    const swarm = this.ensure(hash, hashOff);
    const list = this.listOf(swarm, v6);
    const finished = event === EVENT_COMPLETED || (seed && downloadedSome && event === EVENT_STARTED);
    let pos = list.findCounting(peer, peerOff);
    if (pos < 0) {
      // A list of at most peersPerAddress peers cannot hold too many of one address: no compare.
      if (list.count >= this.peersPerAddress && list.sameAddress >= this.peersPerAddress) {
        // Answered (the caller replies as to anyone) but not stored, nor given to others.
        this.peersRefused++;
        this.suspects.note(false, peer, peerOff, list.prefix, hash, hashOff, tick);
        if (finished) this.complete(swarm, hash, hashOff, peer, peerOff, list.prefix, tick);
        this.result(swarm, into);
        return;
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
    this.result(swarm, into);
    into.position = pos;
  }

  private result(swarm: Swarm, into: Announced): void {
    into.known = true;
    into.seeders = swarm.seeders;
    into.leechers = swarm.leechers;
    into.downloaded = swarm.downloaded;
    into.counters = swarm.counters;
    into.swarm = swarm;
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
   * PeerStore.selectPeers: a seeder is given leechers first, then seeders; a leecher gets a random
   * contiguous run over all peers (at most four memcpy runs of packed bytes).
   */
  selectPeers(from: Announced, v6: boolean, seed: boolean, max: number, out: Buffer, off: number): number {
    const swarm = from.swarm as Swarm | null;
    if (swarm === null || max <= 0) return 0;
    const list = v6 ? swarm.v6 : swarm.v4;
    if (list === null) return 0;
    const skip = from.v6 === v6 ? from.position : -1;
    if (!seed) return list.copyRing(0, list.count, max, skip, out, off);
    let n = list.copyRing(list.seeds, list.count, max, skip, out, off);
    if (n < max) n += list.copyRing(0, list.seeds, max - n, skip, out, off + n * list.rec);
    return n;
  }

  scrape(hash: Uint8Array, off: number, into: SwarmCounts): boolean {
    const swarm = this.torrents.get(hash, off);
    if (swarm === undefined) {
      into.seeders = into.leechers = into.downloaded = 0;
      return false;
    }
    into.seeders = swarm.seeders;
    into.leechers = swarm.leechers;
    into.downloaded = swarm.downloaded;
    return true;
  }

  unionCounts(a: Uint8Array, aOff: number, b: Uint8Array | null, bOff: number): SwarmCounts {
    const sa = this.torrents.get(a, aOff);
    const sb = b === null ? undefined : this.torrents.get(b, bOff);
    const v4 = unionOf(sa?.v4 ?? null, sb?.v4 ?? null);
    const v6 = unionOf(sa?.v6 ?? null, sb?.v6 ?? null);
    return {
      seeders: v4.seeds + v6.seeds,
      leechers: v4.leeches + v6.leeches,
      downloaded: Math.max(sa?.downloaded ?? 0, sb?.downloaded ?? 0),
    };
  }

  forEach(each: (hash: Uint8Array, off: number, swarm: SwarmView) => void): void {
    this.torrents.forEach((swarm, key, off) => each(key, off, swarm));
  }

  /** Removes peers older than `timeoutSeconds`, and empty swarms that never completed unless kept. */
  sweep(
    nowSeconds: number,
    timeoutSeconds: number,
    keep: KeepRule,
  ): { peersRemoved: number; swarmsRemoved: number } {
    this.restoring = null;
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
      if (swarm.v4 === null && swarm.v6 === null && swarm.downloaded === 0 && !keep(swarm.counters))
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

  limitCounts(): LimitCounts {
    return { peersRefused: this.peersRefused, completionsIgnored: this.completionsIgnored };
  }

  /** The run peersOf() returns, reused (the views are the lists' own arrays, whole capacity). */
  /** restorePeer()'s last swarm and its hash (forgotten by sweep(), the one that deletes swarms). */
  private restoring: Swarm | null = null;
  private readonly restoringKey = new Uint8Array(20);
  private readonly run: PeerRun = { count: 0, seeds: 0, addrs: new Uint8Array(0), meta: new Uint16Array(0) };

  peersOf(hash: Uint8Array, off: number, v6: boolean): PeerRun | null {
    const swarm = this.torrents.get(hash, off);
    const list = swarm === undefined ? null : v6 ? swarm.v6 : swarm.v4;
    if (list === null || list.count === 0) return null;
    const run = this.run;
    run.count = list.count;
    run.seeds = list.seeds;
    run.addrs = list.addrs;
    run.meta = list.meta;
    return run;
  }

  restorePeer(
    hash: Uint8Array,
    hashOff: number,
    peer: Uint8Array,
    peerOff: number,
    v6: boolean,
    seed: boolean,
    completed: boolean,
    tick: number,
  ): boolean {
    // A snapshot restores a swarm's peers one after another: its swarm is looked up once.
    let swarm = this.restoring;
    const key = this.restoringKey;
    let same = swarm !== null;
    for (let i = 0; same && i < 20; i++) same = key[i] === hash[hashOff + i];
    if (!same) {
      swarm = this.restoring = this.ensure(hash, hashOff);
      key.set(hash.subarray(hashOff, hashOff + 20));
    }
    const list = this.listOf(swarm as Swarm, v6);
    if (list.findCounting(peer, peerOff) >= 0) return false;
    if (list.count >= this.peersPerAddress && list.sameAddress >= this.peersPerAddress) return false;
    list.insert(peer, peerOff, seed, (completed ? COMPLETED_BIT : 0) | (tick & TICK_MASK));
    if (seed) this.seeders++;
    else this.leechers++;
    return true;
  }

  raiseCompletions(hash: Uint8Array, off: number, n: number): void {
    const swarm = this.ensure(hash, off);
    if (n > swarm.downloaded) swarm.downloaded = n;
  }

  addCompletion(hash: Uint8Array, off: number): void {
    this.ensure(hash, off).downloaded++;
  }
}

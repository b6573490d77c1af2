/**
 * What the tracker needs of a peer store, whatever keeps the peers (memory today: store.ts; a
 * shared store for several nodes is issue 13). Every implementation runs the conformance suite in
 * test/swarm/conformance.ts.
 *
 * Synchronous and byte-oriented, because announce and selectPeers are on the hot path: info
 * hashes are 20 bytes at an offset of a caller's buffer, a peer is its compact bytes (address,
 * then big-endian port: 6 bytes for IPv4, 18 for IPv6), and results go into objects and buffers
 * the caller owns and reuses. Nothing here allocates per request; walks over every swarm
 * (forEach, sweep, full scrape) are for timers and statistics, off the request path.
 *
 * The store knows nothing of the tracker above it: what statistics keep per swarm lives in
 * `counters` (slots the store carries but never reads), and whether a quiet swarm must be kept for
 * them is the `keep` rule the caller passes to sweep().
 */

import type { SuspectTable } from './address-limits.js';

export { COMPLETED_BIT, TICK_MASK, TICK_SECONDS } from './peer-list.js';

/** Announce events, numbered as BEP 15 numbers them on the wire. */
export const EVENT_NONE = 0;
export const EVENT_COMPLETED = 1;
export const EVENT_STARTED = 2;
export const EVENT_STOPPED = 3;

/** A swarm's figures as scrape reports them. */
export interface SwarmCounts {
  seeders: number;
  leechers: number;
  /** Completed downloads counted for this torrent (kept across restarts by the completion journal). */
  downloaded: number;
}

/** One swarm as forEach() shows it (valid during the callback only). */
export interface SwarmView extends SwarmCounts {
  /** The owner's per-swarm counters (`counterSlots` of them; see PeerStoreOptions). */
  readonly counters: Float64Array;
}

/**
 * One announce's outcome, written by announce() into an object the caller owns and reuses: the
 * swarm's counts after it, and the requester's handle, which selectPeers() takes to leave the
 * requester out of the peers it picks.
 */
export class Announced implements SwarmCounts {
  /** False only for a `stopped` of a torrent the store does not know (all counts 0 then). */
  known = false;
  seeders = 0;
  leechers = 0;
  downloaded = 0;
  /** The swarm's owner counters, or null when `known` is false. */
  counters: Float64Array | null = null;
  /** The store's own reference to the swarm (opaque to callers). */
  swarm: unknown = null;
  /** The requester's place in its family's list, -1 when it is not stored (left, or refused). */
  position = -1;
  /** The requester's address family: its list is the one `position` is in. */
  v6 = false;
}

/**
 * One swarm's peers of one family as peersOf() shows them, for snapshots of the swarms
 * (src/tracker/swarm-snapshot.ts). Views of the store's own memory, valid until the next call that
 * changes the store; only the first `count` entries of `addrs` and `meta` are peers.
 */
export interface PeerRun {
  /** Peers in the run; the first `seeds` are seeders, the rest leechers. */
  count: number;
  seeds: number;
  /** Compact peers, 6 (IPv4) or 18 (IPv6) bytes each, from offset 0. */
  addrs: Uint8Array;
  /** Per peer: COMPLETED_BIT when its completion was counted, TICK_MASK bits its last announce tick. */
  meta: Uint16Array;
}

export interface StoreTotals {
  torrents: number;
  seeders: number;
  leechers: number;
  /** Completions counted since the process started. */
  completedSinceStart: number;
}

/** What the per-address limits turned away (config `peersPerAddress`, `completionsPerAddress`). */
export interface LimitCounts {
  /** Announces of new peers not stored: their address had peersPerAddress in the swarm already. */
  peersRefused: number;
  /** `completed` announces not counted: their address had completionsPerAddress for the torrent. */
  completionsIgnored: number;
}

/** sweep(): whether a swarm with no peers and no completions is kept anyway (by its counters). */
export type KeepRule = (counters: Float64Array) => boolean;
export const KEEP_NONE: KeepRule = () => false;

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

export interface PeerStore {
  /**
   * Records an announce and writes its outcome into `into`. One peer per address and port,
   * whatever its peer_id; `seed`: it has nothing left. `stopped` removes the peer; a completion
   * counts once per stored peer (and within the per-address limit); a new peer over the
   * per-address limit is answered (`into` has the counts) but not stored.
   * `tick`: the time in the store's ticks (tickOf(), from the caller's cached clock).
   * `downloadedSome`: the announce reports downloaded > 0. A completion is `completed`, a `started`
   * seeder that downloaded something, or a stored leecher now with nothing left (`stopped` too).
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
  ): void;

  /**
   * Writes up to `max` peers of one family (IPv6 when `v6`) of the swarm `from` announced to, in
   * compact form at out[off], and returns how many. Never the requester of `from`. A seeder is
   * given leechers first (seeders have nothing to give each other), then seeders.
   */
  selectPeers(from: Announced, v6: boolean, seed: boolean, max: number, out: Buffer, off: number): number;

  /** A torrent's counts into `into`; false (counts 0) when the store has no swarm for it. */
  scrape(hash: Uint8Array, off: number, into: SwarmCounts): boolean;

  /**
   * A hybrid torrent's two swarms (v1 hash, and the v2 hash truncated) as one: seeders and leechers
   * the union of both by address and port (a peer in both counted as `a` says), completions the
   * larger of the two counts (they carry no addresses). `b` null: `a` alone.
   */
  unionCounts(a: Uint8Array, aOff: number, b: Uint8Array | null, bOff: number): SwarmCounts;

  /** Every swarm, in no particular order (statistics, full scrape, snapshots: off the hot path). */
  forEach(each: (hash: Uint8Array, off: number, swarm: SwarmView) => void): void;

  /**
   * Removes peers silent for `timeoutSeconds`, and swarms left with no peers and no completions
   * unless `keep` says otherwise for their counters. Returns what it removed.
   */
  sweep(
    nowSeconds: number,
    timeoutSeconds: number,
    keep: KeepRule,
  ): { peersRemoved: number; swarmsRemoved: number };

  totals(): StoreTotals;
  limitCounts(): LimitCounts;

  /**
   * Snapshots (src/tracker/swarm-snapshot.ts, not the hot path): the peers of one family of a swarm,
   * or null when it has none. The result may be an object the store reuses.
   */
  peersOf(hash: Uint8Array, off: number, v6: boolean): PeerRun | null;

  /**
   * Snapshots: puts back a peer saved from peersOf(), as last seen at `tick` and with its completion
   * counted or not, without counting anything (no completion, no refusal). False when the swarm has
   * it already or its address has peersPerAddress peers there.
   */
  restorePeer(
    hash: Uint8Array,
    hashOff: number,
    peer: Uint8Array,
    peerOff: number,
    v6: boolean,
    seed: boolean,
    completed: boolean,
    tick: number,
  ): boolean;

  /** Completion counts loaded from disk: the torrent's count becomes at least `n`. */
  raiseCompletions(hash: Uint8Array, off: number, n: number): void;
  /** A completion replayed from the journal (not counted since start, not queued again). */
  addCompletion(hash: Uint8Array, off: number): void;
  /** Completions counted since the journal last drained it. */
  readonly completed: CompletedQueue;
  /** Addresses that hit a per-address limit, for the dashboard. */
  readonly suspects: SuspectTable;

  /** A store that talks to a service: connects and loads before the tracker listens. */
  open?(): Promise<void>;
  /** Sends what is left and disconnects (at shutdown). */
  close?(): Promise<void>;
  /** The health of a shared store, for /metrics and /stats (a memory store has none). */
  status?(): StoreStatus;
}

/** A shared store's health (redis-store.ts). */
export interface StoreStatus {
  kind: string;
  /** The last exchange with the service worked. */
  up: boolean;
  /** Bytes of changes waiting to be sent. */
  buffered: number;
  /** Changes dropped because the buffer was full while the service was away. */
  dropped: number;
  /** Records read back from the service that failed validation. */
  rejected: number;
  /** When changes were last sent and received (ms since the epoch, 0: never). */
  lastPush: number;
  lastPull: number;
  /** Other nodes heard from, and when (ms since the epoch). */
  nodes: Array<{ id: string; seen: number }>;
}

/** Options every store takes. */
export interface PeerStoreOptions {
  /** Peers one IPv4 address (or IPv6 /64) may have in one swarm; more are answered but not stored. */
  peersPerAddress: number;
  /** Completions counted per torrent and address in a 12 to 24 hour window; more are not counted. */
  completionsPerAddress: number;
  /** Float64 slots of owner counters each swarm carries (statistics: src/stats/announce-stats.ts). */
  counterSlots: number;
}

export const DEFAULT_STORE_OPTIONS: PeerStoreOptions = {
  peersPerAddress: 8,
  completionsPerAddress: 8,
  counterSlots: 0,
};

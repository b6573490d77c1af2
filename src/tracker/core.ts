/**
 * The tracker's logic, once for every frontend (chihaya's TrackerLogic is the model): the UDP,
 * HTTP and WebSocket listeners parse bytes into a request, ask here, and encode what they get.
 *
 *   frontend: parse ─► refusal(hash)       access list; a refusal is counted here and its text returned
 *                    ─► announce(...)      store.announce, statistics hook, request and announce counters
 *                    ─► selectPeers(...)   the store's pick for the requester (never itself)
 *                    ─► scrape(...)        the store's counts; scraped() counts the request
 *   frontend: encode the reply (BEP 15 datagram, bencoded body, WebSocket JSON)
 *
 * A new policy (another access rule, a rate limit per torrent) goes here, so every protocol gets it;
 * a new store implements PeerStore (src/swarm/peer-store.ts) and is chosen in tracker.ts.
 *
 * Hot path: no allocation, no clock read of its own (the tick comes from the cached clock), no
 * closures; every method is a few calls and array increments.
 */
import type { Config } from '../config.js';
import { clock } from '../swarm/clock.js';
import type { Announced, PeerStore, SwarmCounts } from '../swarm/peer-store.js';
import { tickOf } from '../swarm/store.js';
import type { AnnounceStats } from '../stats/announce-stats.js';
import {
  ALLOWED,
  MESSAGE_NOT_ALLOWED,
  MESSAGE_WITHDRAWN,
  WITHDRAWN,
  type AccessList,
} from './access-list.js';
import { A_ANNOUNCE, A_SCRAPE, E_NOT_ALLOWED, E_WITHDRAWN, R_OK, type Counters } from './request-counters.js';

export class TrackerCore {
  constructor(
    private readonly config: Config,
    readonly store: PeerStore,
    readonly access: AccessList,
    private readonly counters: Counters,
    private readonly stats: AnnounceStats,
  ) {}

  /**
   * Whether the access list serves the 20-byte hash at hash[off]: null if it does, else the reason
   * the frontend sends (withdrawn, or not allowed), already counted as `protocol`/`action`'s error.
   */
  refusal(protocol: number, action: number, hash: Uint8Array, off: number): string | null {
    const access = this.access.check(hash, off);
    if (access === ALLOWED) return null;
    const withdrawn = access === WITHDRAWN;
    this.counters.error(protocol, action, withdrawn ? E_WITHDRAWN : E_NOT_ALLOWED);
    return withdrawn ? MESSAGE_WITHDRAWN : MESSAGE_NOT_ALLOWED;
  }

  /** Whether the access list serves this hash, uncounted (a full scrape's filter). */
  serves(hash: Uint8Array, off: number): boolean {
    return this.access.check(hash, off) === ALLOWED;
  }

  /**
   * A UDP or HTTP announce the frontend parsed and refusal() let through. `peer[0, addrLen + 2)`
   * is the requester's compact address and port; `downloaded` is the announced count (above 0
   * matters to the completion rule, PeerStore.announce; its value to the stats on `stopped`); the
   * peer_id is idBuf[idStart, idEnd), percent-encoded when `encoded` (AnnounceStats.bittorrent).
   * The outcome (counts, the requester's handle) goes into `into`.
   */
  announce(
    protocol: number,
    hash: Uint8Array,
    hashOff: number,
    peer: Uint8Array,
    addrLen: 4 | 16,
    seed: boolean,
    event: number,
    downloaded: number,
    idBuf: Uint8Array,
    idStart: number,
    idEnd: number,
    encoded: boolean,
    into: Announced,
  ): void {
    const v6 = addrLen === 16;
    this.store.announce(hash, hashOff, peer, 0, v6, seed, event, tickOf(clock.seconds), downloaded > 0, into);
    const slot = protocol * 2 + (v6 ? 1 : 0);
    this.stats.bittorrent(into.counters, slot, event, seed, downloaded, idBuf, idStart, idEnd, encoded);
    this.counters.request(protocol, A_ANNOUNCE, R_OK);
    this.counters.announces[slot]++;
  }

  /** The number of peers to return for a request's numwant (-1 or absent = default). */
  numwant(requested: number): number {
    if (requested < 0) return this.config.numwantDefault;
    return requested > this.config.numwantMax ? this.config.numwantMax : requested;
  }

  /** Up to `max` peers of one family for the requester of `from` (PeerStore.selectPeers). */
  selectPeers(from: Announced, v6: boolean, seed: boolean, max: number, out: Buffer, off: number): number {
    return this.store.selectPeers(from, v6, seed, max, out, off);
  }

  /** One hash of a scrape refusal() let through: its counts into `into`. */
  scrape(hash: Uint8Array, off: number, into: SwarmCounts): void {
    this.store.scrape(hash, off, into);
  }

  /** A scrape answered (after its hashes were scraped). */
  scraped(protocol: number): void {
    this.counters.request(protocol, A_SCRAPE, R_OK);
  }
}

/**
 * The swarms of WebSocket (browser) peers. Kept apart from the packed SwarmStore: a browser peer is
 * reached through its tracker connection, not an address, so each entry holds a reference to the
 * connection (its holder), and these peers are never given to UDP/HTTP clients, nor those to
 * browsers. Pure: no sockets (the holder is any object with a `peers` list), time passed in.
 *
 * Layout: swarms in a Map by BIN20 info hash (the 20-byte hash as a latin1 string); each swarm keeps
 * its leechers and seeders in two dense arrays (swap-remove, each peer knows its slot) and an index
 * by peer id. Selection is a random contiguous run (wrapping) over leechers then seeders, skipping
 * the requester, as the packed store does; seeders are offered leechers only.
 */
import { WS_EVENT_COMPLETED, WS_EVENT_STOPPED } from '../protocol/ws-message.js';

/** What owns peers: the server's connection object. Its list lets a closing socket leave every swarm. */
export interface WsPeerHolder<H extends WsPeerHolder<H>> {
  readonly peers: Array<WsPeer<H>>;
}

export class WsPeer<H extends WsPeerHolder<H>> {
  /** Position in the swarm's leechers or seeders array. */
  slot = 0;
  /** False once the peer has left its swarm (a pending offer may still point at it). */
  live = true;

  constructor(
    readonly swarm: WsSwarm<H>,
    /** BIN20 */
    readonly id: string,
    /** The id as a JSON string literal, escaped once for every message that names this peer. */
    readonly idJson: string,
    readonly holder: H,
    public seed: boolean,
    public seen: number,
  ) {}
}

/**
 * A swarm of browsers. `hash` is the info hash as BIN20 (20 characters, one per byte: the key, what
 * statistics read); `json` is what messages carry, built once from the server's byte view of it.
 */
export class WsSwarm<H extends WsPeerHolder<H>> {
  readonly leechers: Array<WsPeer<H>> = [];
  readonly seeders: Array<WsPeer<H>> = [];
  readonly byId = new Map<string, WsPeer<H>>();
  /** Completions announced by browsers (event "completed"). */
  downloaded = 0;

  constructor(
    /** BIN20 */
    readonly hash: string,
    /** The hash as a JSON string literal. */
    readonly json: string,
  ) {}
}

export const WS_ANNOUNCED = 0;
/** The peer id is held by another connection in this swarm: the announce is refused. */
export const WS_ID_TAKEN = 1;
/** The connection already holds its most peers: the announce is refused. */
export const WS_TOO_MANY = 2;

export class WsSwarmStore<H extends WsPeerHolder<H>> {
  readonly swarms = new Map<string, WsSwarm<H>>();
  seeders = 0;
  leechers = 0;

  constructor(private readonly maxPeersPerHolder: number) {}

  get(hash: string): WsSwarm<H> | undefined {
    return this.swarms.get(hash);
  }

  /**
   * Applies an announce. Returns WS_ANNOUNCED (then `result.swarm` is the swarm, undefined after a
   * stop that emptied or never had one, and `result.peer` the announcer's entry, null after a stop),
   * or WS_ID_TAKEN / WS_TOO_MANY. `seed` is null when the message said nothing of what is left (an
   * answer): an existing peer keeps its state, a new one joins as a leecher. `hashText` is the
   * hash as messages write it (the server's byte view; the hash itself by default), from which a new
   * swarm's `json` is made. Peer ids are kept as given.
   */
  announce(
    hash: string,
    id: string,
    holder: H,
    seed: boolean | null,
    event: number,
    now: number,
    result: { swarm: WsSwarm<H> | undefined; peer: WsPeer<H> | null },
    hashText: string = hash,
  ): number {
    let swarm = this.swarms.get(hash);
    const existing = swarm === undefined ? undefined : swarm.byId.get(id);
    if (existing !== undefined && existing.holder !== holder) return WS_ID_TAKEN;
    if (event === WS_EVENT_STOPPED) {
      if (existing !== undefined) this.remove(existing);
      result.swarm = this.swarms.get(hash);
      result.peer = null;
      return WS_ANNOUNCED;
    }
    if (existing !== undefined) {
      existing.seen = now;
      if (seed === true && !existing.seed) {
        this.detach(existing);
        existing.seed = true;
        this.attach(existing);
        if (event === WS_EVENT_COMPLETED) existing.swarm.downloaded++;
      } else if (seed === false && existing.seed) {
        this.detach(existing);
        existing.seed = false;
        this.attach(existing);
      }
      result.swarm = existing.swarm;
      result.peer = existing;
      return WS_ANNOUNCED;
    }
    if (holder.peers.length >= this.maxPeersPerHolder) return WS_TOO_MANY;
    if (swarm === undefined) {
      swarm = new WsSwarm<H>(hash, JSON.stringify(hashText));
      this.swarms.set(hash, swarm);
    }
    const peer = new WsPeer<H>(swarm, id, JSON.stringify(id), holder, seed === true, now);
    swarm.byId.set(id, peer);
    this.attach(peer);
    holder.peers.push(peer);
    if (event === WS_EVENT_COMPLETED && seed === true) swarm.downloaded++;
    result.swarm = swarm;
    result.peer = peer;
    return WS_ANNOUNCED;
  }

  private attach(p: WsPeer<H>): void {
    const list = p.seed ? p.swarm.seeders : p.swarm.leechers;
    p.slot = list.length;
    list.push(p);
    if (p.seed) this.seeders++;
    else this.leechers++;
  }

  private detach(p: WsPeer<H>): void {
    const list = p.seed ? p.swarm.seeders : p.swarm.leechers;
    const last = list.pop() as WsPeer<H>;
    if (last !== p) {
      list[p.slot] = last;
      last.slot = p.slot;
    }
    if (p.seed) this.seeders--;
    else this.leechers--;
  }

  /** Takes a peer out of its swarm and its holder's list; drops the swarm when it empties. */
  remove(p: WsPeer<H>): void {
    if (!p.live) return;
    p.live = false;
    this.detach(p);
    const swarm = p.swarm;
    swarm.byId.delete(p.id);
    const held = p.holder.peers;
    const i = held.indexOf(p);
    if (i >= 0) {
      held[i] = held[held.length - 1];
      held.pop();
    }
    if (swarm.byId.size === 0) this.swarms.delete(swarm.hash);
  }

  /** Removes every peer of a holder (its socket closed). */
  removeHolder(holder: H): void {
    while (holder.peers.length > 0) this.remove(holder.peers[holder.peers.length - 1]);
  }

  /**
   * Up to `want` peers of the swarm other than `self`, into out (cleared first): leechers and
   * seeders for a leecher, leechers only for a seeder. Returns the count.
   */
  select(
    swarm: WsSwarm<H>,
    self: WsPeer<H> | null,
    seed: boolean,
    want: number,
    out: Array<WsPeer<H>>,
  ): number {
    out.length = 0;
    const nl = swarm.leechers.length;
    const total = seed ? nl : nl + swarm.seeders.length;
    if (want <= 0 || total === 0) return 0;
    let start = Math.floor(Math.random() * total);
    for (let i = 0; i < total && out.length < want; i++) {
      const p = start < nl ? swarm.leechers[start] : swarm.seeders[start - nl];
      if (p !== self) out.push(p);
      if (++start === total) start = 0;
    }
    return out.length;
  }

  /** Removes peers not seen for `timeout` seconds (off the request path); returns how many. */
  sweep(now: number, timeout: number): number {
    const stale: Array<WsPeer<H>> = [];
    for (const swarm of this.swarms.values())
      for (const p of swarm.byId.values()) if (now - p.seen > timeout) stale.push(p);
    for (const p of stale) this.remove(p);
    return stale.length;
  }
}

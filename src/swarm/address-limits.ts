/**
 * What keeps one address from inflating a swarm's figures (issue 19, item 8), next to the swarm
 * store and, like it, pure: no I/O, no clock of its own (times are the store's ticks), no allocation
 * per announce.
 *
 * An "address" here is what one subscriber controls: an IPv4 address, or an IPv6 /64 (a home or a
 * mobile device gets a whole /64 and can pick any address in it).
 *
 *   - CompletionLimiter: at most `limit` completions counted per (torrent, address) in a sliding
 *     window of 12 to 24 hours (two 12-hour generations; the count is the two generations' sum). Each
 *     generation is a fixed table of 2^17 slots (a 32-bit keyed fingerprint and a one-byte count,
 *     640 KiB), so memory is fixed: a generation that fills to 3/4 (98,304 (torrent, address) pairs)
 *     is retired early, which only shortens the window on a very busy tracker.
 *   - SuspectTable: the addresses that hit a limit (peers refused, completions not counted), with
 *     counts, for the dashboard: at most 256 addresses, each forgotten 24 hours after it last hit one.
 */
import { TICK_MASK, TICK_SECONDS } from './peer-list.js';

const SLOTS = 1 << 17;
const SLOT_MASK = SLOTS - 1;
const FULL = (SLOTS * 3) / 4;
/** Ticks in one generation: 12 hours. */
const GENERATION_TICKS = (12 * 3600) / TICK_SECONDS;
/** Ticks a suspect stays listed after its last hit: 24 hours (less than the 36 h a tick wraps in). */
const SUSPECT_TICKS = (24 * 3600) / TICK_SECONDS;

const seedA = (Math.random() * 0x100000000) | 0;
const seedB = (Math.random() * 0x100000000) | 0;

/** Mixes one more 32-bit word into h. */
function mix(h: number, w: number): number {
  h = Math.imul(h ^ w, 0x9e3779b1);
  return h ^ (h >>> 15);
}

function word(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

function finish(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

class Generation {
  readonly fp = new Uint32Array(SLOTS);
  readonly n = new Uint8Array(SLOTS);
  size = 0;

  /** The slot holding fingerprint `fp` (home `slot`), or the empty slot where it would go. */
  slotOf(slot: number, fp: number): number {
    const n = this.n;
    while (n[slot] !== 0 && this.fp[slot] !== fp) slot = (slot + 1) & SLOT_MASK;
    return slot;
  }

  clear(): void {
    this.n.fill(0);
    this.size = 0;
  }
}

export class CompletionLimiter {
  private cur = new Generation();
  private prev = new Generation();
  private startTick = -1;

  constructor(readonly limit: number) {}

  /** Retires the current generation once it is 12 hours old (the store's sweep calls it too). */
  rotateIfDue(tick: number): void {
    if (this.startTick < 0) this.startTick = tick;
    else if (((tick - this.startTick) & TICK_MASK) >= GENERATION_TICKS) this.rotate(tick);
  }

  private rotate(tick: number): void {
    const old = this.prev;
    this.prev = this.cur;
    old.clear();
    this.cur = old;
    this.startTick = tick;
  }

  /**
   * Counts a completion of torrent hash[hashOff..+20] from the address at peer[peerOff] (its first
   * `prefix` bytes) if that pair has fewer than `limit` in the window; false when it has them all.
   */
  allow(
    hash: Uint8Array,
    hashOff: number,
    peer: Uint8Array,
    peerOff: number,
    prefix: number,
    tick: number,
  ): boolean {
    this.rotateIfDue(tick);
    let a = seedA ^ prefix;
    let b = seedB;
    for (let i = 0; i < 20; i += 4) {
      const w = word(hash, hashOff + i);
      a = mix(a, w);
      b = mix(b, w ^ 0x5bd1e995);
    }
    for (let i = 0; i < prefix; i += 4) {
      const w = word(peer, peerOff + i);
      a = mix(a, w);
      b = mix(b, w ^ 0x5bd1e995);
    }
    const home = finish(a) & SLOT_MASK;
    const fp = finish(b);
    const p = this.prev;
    const ps = p.slotOf(home, fp);
    let cur = this.cur;
    let cs = cur.slotOf(home, fp);
    if (p.n[ps] + cur.n[cs] >= this.limit) return false;
    if (cur.n[cs] === 0) {
      if (cur.size >= FULL) {
        this.rotate(tick);
        cur = this.cur;
        cs = cur.slotOf(home, fp);
      }
      cur.fp[cs] = fp;
      cur.size++;
    }
    cur.n[cs]++;
    return true;
  }
}

const SUSPECT_CAP = 256;
const SUSPECT_SLOTS = 512;
/** Per slot: family (4 or 6) then the 8 bytes of address prefix (IPv4 uses 4). */
const KEY = 9;

export interface Suspect {
  /** "192.0.2.7" or "2001:db8:1:2::/64". */
  address: string;
  /** Announces of new peers not stored: the address had its peersPerAddress in that swarm. */
  peersRefused: number;
  /** Completions not counted: the address had its completionsPerAddress for that torrent. */
  completionsIgnored: number;
  /** Seconds since its last refusal. */
  secondsAgo: number;
  /** The torrent of its last refusal (hex info hash). */
  lastTorrent: string;
}

export class SuspectTable {
  private keys = new Uint8Array(SUSPECT_SLOTS * KEY);
  private peers = new Float64Array(SUSPECT_SLOTS);
  private completions = new Float64Array(SUSPECT_SLOTS);
  private lastTick = new Uint16Array(SUSPECT_SLOTS);
  private lastHash = new Uint8Array(SUSPECT_SLOTS * 20);
  private used = new Uint8Array(SUSPECT_SLOTS);
  size = 0;
  /** Refusals by addresses not listed because the table was full. */
  unlisted = 0;

  private slotFor(peer: Uint8Array, off: number, prefix: number): number {
    let h = seedB ^ prefix;
    for (let i = 0; i < prefix; i += 4) h = mix(h, word(peer, off + i));
    let slot = finish(h) & (SUSPECT_SLOTS - 1);
    const keys = this.keys;
    for (;;) {
      if (this.used[slot] === 0) return slot;
      const k = slot * KEY;
      let same = keys[k] === prefix;
      for (let i = 0; same && i < prefix; i++) same = keys[k + 1 + i] === peer[off + i];
      if (same) return slot;
      slot = (slot + 1) & (SUSPECT_SLOTS - 1);
    }
  }

  /** Notes a refusal: `completion` false for a peer not stored, true for a completion not counted. */
  note(
    completion: boolean,
    peer: Uint8Array,
    peerOff: number,
    prefix: number,
    hash: Uint8Array,
    hashOff: number,
    tick: number,
  ): void {
    const slot = this.slotFor(peer, peerOff, prefix);
    if (this.used[slot] === 0) {
      if (this.size >= SUSPECT_CAP) {
        this.unlisted++;
        return;
      }
      this.used[slot] = 1;
      this.size++;
      const k = slot * KEY;
      this.keys[k] = prefix;
      for (let i = 0; i < prefix; i++) this.keys[k + 1 + i] = peer[peerOff + i];
      this.peers[slot] = 0;
      this.completions[slot] = 0;
    }
    if (completion) this.completions[slot]++;
    else this.peers[slot]++;
    this.lastTick[slot] = tick;
    for (let i = 0; i < 20; i++) this.lastHash[slot * 20 + i] = hash[hashOff + i];
  }

  /** Forgets addresses whose last refusal is 24 hours old (the store's sweep, once a minute). */
  sweep(nowTick: number): void {
    const keep: number[] = [];
    for (let s = 0; s < SUSPECT_SLOTS; s++)
      if (this.used[s] !== 0 && ((nowTick - this.lastTick[s]) & TICK_MASK) <= SUSPECT_TICKS) keep.push(s);
    if (keep.length === this.size) return;
    const old = {
      keys: this.keys,
      peers: this.peers,
      completions: this.completions,
      lastTick: this.lastTick,
      lastHash: this.lastHash,
    };
    this.keys = new Uint8Array(SUSPECT_SLOTS * KEY);
    this.peers = new Float64Array(SUSPECT_SLOTS);
    this.completions = new Float64Array(SUSPECT_SLOTS);
    this.lastTick = new Uint16Array(SUSPECT_SLOTS);
    this.lastHash = new Uint8Array(SUSPECT_SLOTS * 20);
    this.used = new Uint8Array(SUSPECT_SLOTS);
    this.size = 0;
    for (const s of keep) {
      const prefix = old.keys[s * KEY];
      const slot = this.slotFor(old.keys, s * KEY + 1, prefix);
      this.used[slot] = 1;
      this.size++;
      this.keys.set(old.keys.subarray(s * KEY, s * KEY + KEY), slot * KEY);
      this.peers[slot] = old.peers[s];
      this.completions[slot] = old.completions[s];
      this.lastTick[slot] = old.lastTick[s];
      this.lastHash.set(old.lastHash.subarray(s * 20, s * 20 + 20), slot * 20);
    }
  }

  /** The listed addresses, most refusals first (off the request path: the dashboard). */
  list(nowTick: number): Suspect[] {
    const out: Suspect[] = [];
    for (let s = 0; s < SUSPECT_SLOTS; s++) {
      if (this.used[s] === 0) continue;
      const k = s * KEY;
      const prefix = this.keys[k];
      const b = this.keys.subarray(k + 1, k + 1 + prefix);
      const address =
        prefix === 4
          ? [...b].join('.')
          : `${[0, 2, 4, 6].map((i) => ((b[i] << 8) | b[i + 1]).toString(16)).join(':')}::/64`;
      out.push({
        address,
        peersRefused: this.peers[s],
        completionsIgnored: this.completions[s],
        secondsAgo: ((nowTick - this.lastTick[s]) & TICK_MASK) * TICK_SECONDS,
        lastTorrent: Buffer.from(this.lastHash.subarray(s * 20, s * 20 + 20)).toString('hex'),
      });
    }
    return out.sort(
      (x, y) => y.peersRefused + y.completionsIgnored - (x.peersRefused + x.completionsIgnored),
    );
  }
}

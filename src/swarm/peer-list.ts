/**
 * The peers of one swarm in one address family, packed for speed and memory.
 *
 * Why packed arrays and not objects: a tracker holds millions of peers; a JS object per peer costs
 * 50 to 100 bytes and a GC walk, while the wire formats want the peers as compact bytes anyway
 * (BEP 23, BEP 7). So the peers live in exactly the bytes a reply carries, and a reply is built by
 * copying at most four contiguous runs of this array.
 *
 * Layout, for `rec` = 6 (IPv4) or 18 (IPv6) bytes a peer:
 *   addrs  [ peer 0: address (4|16, network order) port (2, big-endian) ][ peer 1 ] ...
 *   meta   Uint16 a peer: bit 15 = has sent `completed` (counted once), bits 0..14 = last announce
 *          time in ticks of TICK_SECONDS, modulo 2^15 (wraps after 36 hours; the sweeper runs every
 *          minute and the longest allowed timeout is one day, so a wrapped age is never misread)
 *   index  open-addressing table from a hash of the peer's ADDRESS (IPv4: all 4 bytes; IPv6: the
 *          first 8, its /64) to (position + 1); 0 is empty. Uint16 entries while the table has at
 *          most 65,536 slots, Uint32 beyond.
 *
 * Why the index hashes the address and not the port: with linear probing every entry with home
 * slot h lies between h and the first empty slot after it, so the probe that looks a new peer up
 * (and ends at an empty slot) has passed every peer of its address, and counts them on the way
 * (findCounting): the per-address limit (SwarmStore) costs one compare per probed slot, no table of
 * its own and no memory. The peers of one address share a home slot, a cluster that the limit keeps
 * to a few entries (peersPerAddress, 8 by default); the hash is keyed, so nobody can choose
 * addresses that collide.
 *
 * Seeders are kept in front: positions [0, seeds) are seeders, [seeds, count) leechers, so a
 * seeder can be given leechers without a scan, and a reply's runs stay contiguous.
 */

export const TICK_SECONDS = 4;
export const TICK_MASK = 0x7fff;
export const COMPLETED_BIT = 0x8000;

/** Runs of at most this many bytes are copied by a loop rather than Buffer.copy. */
const SHORT_COPY = 96;

type Index = Uint16Array | Uint32Array;

const hashSeed = (Math.random() * 0x100000000) | 0;
const EMPTY = Buffer.alloc(0);
const EMPTY_META = new Uint16Array(0);

export class PeerList {
  readonly rec: number;
  addrs: Buffer;
  meta: Uint16Array;
  index: Index;
  indexMask: number;
  count = 0;
  seeds = 0;
  /** Bytes of a peer's address that the per-address limit groups by: 4 (IPv4) or 8 (an IPv6 /64). */
  readonly prefix: number;
  /** Set by findCounting(): peers with the key's address (prefix) seen while probing. */
  sameAddress = 0;

  constructor(rec: 6 | 18, capacity = 4) {
    this.rec = rec;
    this.prefix = rec === 6 ? 4 : 8;
    // Placeholders; resize() lays out the one real buffer.
    this.addrs = EMPTY;
    this.meta = EMPTY_META;
    this.index = EMPTY_META;
    this.indexMask = 0;
    this.resize(capacity);
  }

  get leeches(): number {
    return this.count - this.seeds;
  }

  /**
   * Hash of the address prefix at buf[off] (4 or 8 bytes; the port and an IPv6 interface id are left
   * out, see the top comment): keyed, so a client cannot pick addresses that all collide.
   */
  private hashAt(buf: Uint8Array, off: number): number {
    let h = hashSeed;
    for (let i = 0; i < this.prefix; i += 4) {
      const w = (buf[off + i] << 24) | (buf[off + i + 1] << 16) | (buf[off + i + 2] << 8) | buf[off + i + 3];
      h = Math.imul(h ^ w, 0x9e3779b1);
      h ^= h >>> 16;
    }
    h = Math.imul(h, 0x85ebca77);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  private sameAt(pos: number, key: Uint8Array, off: number): boolean {
    const a = this.addrs;
    const base = pos * this.rec;
    for (let i = 0; i < this.rec; i++) if (a[base + i] !== key[off + i]) return false;
    return true;
  }

  /** Position of the peer with these compact bytes, or -1. */
  find(key: Uint8Array, off: number): number {
    const index = this.index;
    const mask = this.indexMask;
    let slot = this.hashAt(key, off) & mask;
    for (;;) {
      const v = index[slot];
      if (v === 0) return -1;
      if (this.sameAt(v - 1, key, off)) return v - 1;
      slot = (slot + 1) & mask;
    }
  }

  /**
   * find(), counting on the way the peers with the key's address prefix: when it returns -1,
   * `sameAddress` is how many peers of that address (IPv4) or /64 (IPv6) the list holds.
   */
  findCounting(key: Uint8Array, off: number): number {
    const index = this.index;
    const mask = this.indexMask;
    const a = this.addrs;
    const rec = this.rec;
    const prefix = this.prefix;
    let same = 0;
    let slot = this.hashAt(key, off) & mask;
    for (;;) {
      const v = index[slot];
      if (v === 0) {
        this.sameAddress = same;
        return -1;
      }
      const base = (v - 1) * rec;
      let i = 0;
      while (i < prefix && a[base + i] === key[off + i]) i++;
      if (i === prefix) {
        same++;
        while (i < rec && a[base + i] === key[off + i]) i++;
        if (i === rec) {
          this.sameAddress = same;
          return v - 1;
        }
      }
      slot = (slot + 1) & mask;
    }
  }

  /** The index slot that points at `pos`. */
  private slotOfPos(pos: number): number {
    const index = this.index;
    const mask = this.indexMask;
    let slot = this.hashAt(this.addrs, pos * this.rec) & mask;
    while (index[slot] !== pos + 1) slot = (slot + 1) & mask;
    return slot;
  }

  private indexInsert(pos: number): void {
    const index = this.index;
    const mask = this.indexMask;
    let slot = this.hashAt(this.addrs, pos * this.rec) & mask;
    while (index[slot] !== 0) slot = (slot + 1) & mask;
    index[slot] = pos + 1;
  }

  private indexDelete(slot: number): void {
    const index = this.index;
    const mask = this.indexMask;
    const rec = this.rec;
    index[slot] = 0;
    // Backward-shift deletion: see InfoHashTable.delete.
    let hole = slot;
    let next = (slot + 1) & mask;
    for (;;) {
      const v = index[next];
      if (v === 0) return;
      const home = this.hashAt(this.addrs, (v - 1) * rec) & mask;
      if (((hole - home) & mask) < ((next - home) & mask)) {
        index[hole] = v;
        index[next] = 0;
        hole = next;
      }
      next = (next + 1) & mask;
    }
  }

  /**
   * Lays the list out in ONE ArrayBuffer of `capacity` peers: addresses, then metadata, then the
   * index. One allocation per list instead of three keeps the allocator's per-block overhead and
   * the holes that growth leaves to a third (docs/benchmarks.md, memory). Used to grow, and by
   * the sweeper to shrink.
   *
   *   [ addrs: capacity x rec ][ meta: capacity x 2 ][ index: slots x 2, or x 4 past 65,536 slots ]
   * capacity x (rec + 2) is a multiple of 4 (rec is 6 or 18), so every view is aligned.
   */
  resize(capacity: number): void {
    const rec = this.rec;
    // Index load stays at or under 3/4 (linear probing degrades past that).
    let slots = 16;
    while (slots * 3 < capacity * 4) slots *= 2;
    const wide = slots > 65536;
    const metaOff = capacity * rec;
    const indexOff = metaOff + capacity * 2;
    const buffer = new ArrayBuffer(indexOff + slots * (wide ? 4 : 2));
    const addrs = Buffer.from(buffer, 0, metaOff);
    const meta = new Uint16Array(buffer, metaOff, capacity);
    this.addrs.copy(addrs, 0, 0, this.count * rec);
    meta.set(this.meta.subarray(0, this.count));
    this.addrs = addrs;
    this.meta = meta;
    this.index = wide ? new Uint32Array(buffer, indexOff, slots) : new Uint16Array(buffer, indexOff, slots);
    this.indexMask = slots - 1;
    for (let p = 0; p < this.count; p++) this.indexInsert(p);
  }

  /** Moves the record at `from` to `to` (which is free), keeping the index right. */
  private move(from: number, to: number): void {
    if (from === to) return;
    const slot = this.slotOfPos(from);
    const rec = this.rec;
    this.addrs.copyWithin(to * rec, from * rec, from * rec + rec);
    this.meta[to] = this.meta[from];
    this.index[slot] = to + 1;
  }

  /** Swaps two records and their index entries. */
  private swap(a: number, b: number): void {
    if (a === b) return;
    const slotA = this.slotOfPos(a);
    const slotB = this.slotOfPos(b);
    const rec = this.rec;
    const addrs = this.addrs;
    for (let i = 0; i < rec; i++) {
      const t = addrs[a * rec + i];
      addrs[a * rec + i] = addrs[b * rec + i];
      addrs[b * rec + i] = t;
    }
    const m = this.meta[a];
    this.meta[a] = this.meta[b];
    this.meta[b] = m;
    this.index[slotA] = b + 1;
    this.index[slotB] = a + 1;
  }

  /** Adds a peer that find() did not know; returns its position. */
  insert(key: Uint8Array, off: number, seed: boolean, meta: number): number {
    if (this.count === this.meta.length) this.resize(this.count * 2);
    let pos = this.count;
    if (seed) {
      // Open a slot at the seeders' end by moving the first leecher to the back.
      if (this.count > this.seeds) this.move(this.seeds, pos);
      pos = this.seeds++;
    }
    this.count++;
    const rec = this.rec;
    for (let i = 0; i < rec; i++) this.addrs[pos * rec + i] = key[off + i];
    this.meta[pos] = meta;
    this.indexInsert(pos);
    return pos;
  }

  /** Moves the peer at `pos` to the seeders (or leechers); returns its new position. */
  setSeed(pos: number, seed: boolean): number {
    if (seed) {
      if (pos < this.seeds) return pos;
      const to = this.seeds++;
      this.swap(pos, to);
      return to;
    }
    if (pos >= this.seeds) return pos;
    const to = --this.seeds;
    this.swap(pos, to);
    return to;
  }

  /** Removes the peer at `pos`, filling the hole from the end of its part. */
  remove(pos: number): void {
    this.indexDelete(this.slotOfPos(pos));
    let hole = pos;
    if (pos < this.seeds) {
      const lastSeed = --this.seeds;
      this.move(lastSeed, hole);
      hole = lastSeed;
    }
    const last = --this.count;
    this.move(last, hole);
  }

  /**
   * Copies up to `max` peers from positions [lo, hi) into out[off], starting at a random position
   * and wrapping, never copying position `skip`. Returns how many peers were copied.
   */
  copyRing(lo: number, hi: number, max: number, skip: number, out: Buffer, off: number): number {
    const len = hi - lo;
    if (len <= 0 || max <= 0) return 0;
    const start = lo + ((Math.random() * len) | 0);
    let n = this.copyRun(start, hi, max, skip, out, off);
    if (n < max) n += this.copyRun(lo, start, max - n, skip, out, off + n * this.rec);
    return n;
  }

  private copyRun(a: number, b: number, max: number, skip: number, out: Buffer, off: number): number {
    if (skip >= a && skip < b) {
      const n = this.copyPlain(a, skip, max, out, off);
      return n + this.copyPlain(skip + 1, b, max - n, out, off + n * this.rec);
    }
    return this.copyPlain(a, b, max, out, off);
  }

  private copyPlain(a: number, b: number, max: number, out: Buffer, off: number): number {
    const n = Math.min(b - a, max);
    if (n <= 0) return 0;
    const rec = this.rec;
    const from = a * rec;
    const bytes = n * rec;
    if (bytes <= SHORT_COPY) {
      // Short runs: a plain loop beats Buffer.copy, whose fixed cost (a view allocated per call in
      // Node 20) dominated small swarms' replies in profiles (docs/benchmarks.md, cost growth).
      const src = this.addrs;
      for (let i = 0; i < bytes; i++) out[off + i] = src[from + i];
    } else this.addrs.copy(out, off, from, from + bytes);
    return n;
  }

  /** Removes peers last seen more than `maxAgeTicks` ago; returns [seeds removed, leeches removed]. */
  expire(nowTick: number, maxAgeTicks: number): [number, number] {
    let seeds = 0;
    let leeches = 0;
    // Walk down: remove() fills a hole from higher positions, which were already checked.
    for (let p = this.count - 1; p >= 0; p--) {
      if (((nowTick - (this.meta[p] & TICK_MASK)) & TICK_MASK) > maxAgeTicks) {
        if (p < this.seeds) seeds++;
        else leeches++;
        this.remove(p);
      }
    }
    const cap = this.meta.length;
    if (cap > 8 && this.count * 4 < cap) this.resize(Math.max(4, this.count * 2));
    return [seeds, leeches];
  }

  /** Bytes of memory this list holds (for stats). */
  bytes(): number {
    return this.addrs.buffer.byteLength;
  }
}

/**
 * An open-addressing hash table keyed by 20-byte info hashes read straight out of request buffers.
 *
 * Why not a Map<string, V>: a Map needs a string key, and building one from the wire bytes
 * (`toString('hex')` or `latin1`) allocates on every request. Here the key bytes are compared in
 * place and only copied when a new entry is inserted, so a lookup allocates nothing.
 *
 * Layout: `keys` holds capacity x 20 bytes; `values[i]` is undefined for an empty slot. Linear
 * probing with backward-shift deletion, so there are no tombstones and lookups stay short.
 * The slot index comes from a keyed mix of all 20 key bytes with a random per-process seed, so a
 * client cannot choose hashes that all land in one probe run (with only a prefix mixed, 1,000 hashes
 * differing in their last bytes made one cluster and took 82% of the CPU in lookups).
 */
const KEY = 20;

export class InfoHashTable<V> {
  private keys: Uint8Array;
  private values: (V | undefined)[];
  private mask: number;
  private seed: number;
  size = 0;

  constructor(initialCapacity = 64) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.keys = new Uint8Array(cap * KEY);
    this.values = new Array<V | undefined>(cap);
    this.mask = cap - 1;
    this.seed = (Math.random() * 0x100000000) | 0;
  }

  private slotOf(buf: Uint8Array, off: number): number {
    // All five words of the key, each mixed into the seeded state: hashes that share a prefix (a
    // client in an open tracker can choose any 20 bytes) still spread over the table, and where they
    // land depends on the per-process seed, so a set of keys cannot be made to share one probe run.
    let h = this.seed;
    for (let i = off; i < off + KEY; i += 4) {
      h = Math.imul(h ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24)), 0x9e3779b1);
      h ^= h >>> 15;
    }
    h = Math.imul(h, 0x85ebca77);
    h ^= h >>> 13;
    return h & this.mask;
  }

  /** Slots a lookup of this key visits (1 when it is in its home slot): for tests of the spread. */
  probeLength(buf: Uint8Array, off = 0): number {
    let slot = this.slotOf(buf, off);
    let n = 1;
    while (this.values[slot] !== undefined && !this.equals(slot, buf, off)) {
      slot = (slot + 1) & this.mask;
      n++;
    }
    return n;
  }

  private equals(slot: number, buf: Uint8Array, off: number): boolean {
    const keys = this.keys;
    const base = slot * KEY;
    for (let i = 0; i < KEY; i++) if (keys[base + i] !== buf[off + i]) return false;
    return true;
  }

  /** The slot holding this key, or -1. */
  private find(buf: Uint8Array, off: number): number {
    const values = this.values;
    let slot = this.slotOf(buf, off);
    while (values[slot] !== undefined) {
      if (this.equals(slot, buf, off)) return slot;
      slot = (slot + 1) & this.mask;
    }
    return -1;
  }

  get(buf: Uint8Array, off = 0): V | undefined {
    const slot = this.find(buf, off);
    return slot < 0 ? undefined : this.values[slot];
  }

  has(buf: Uint8Array, off = 0): boolean {
    return this.find(buf, off) >= 0;
  }

  set(buf: Uint8Array, off: number, value: V): void {
    if (value === undefined) throw new TypeError('InfoHashTable cannot store undefined');
    let slot = this.slotOf(buf, off);
    while (this.values[slot] !== undefined) {
      if (this.equals(slot, buf, off)) {
        this.values[slot] = value;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
    this.keys.set(buf.subarray(off, off + KEY), slot * KEY);
    this.values[slot] = value;
    if (++this.size * 2 > this.mask + 1) this.grow();
  }

  delete(buf: Uint8Array, off = 0): boolean {
    let hole = this.find(buf, off);
    if (hole < 0) return false;
    const { keys, values, mask } = this;
    values[hole] = undefined;
    this.size--;
    // Backward-shift: pull later members of the probe run into the hole when their home slot
    // allows it, so that no lookup ever stops early at an emptied slot.
    let next = (hole + 1) & mask;
    while (values[next] !== undefined) {
      const home = this.slotOf(keys, next * KEY);
      const distHole = (hole - home) & mask;
      const distNext = (next - home) & mask;
      if (distHole < distNext) {
        keys.copyWithin(hole * KEY, next * KEY, next * KEY + KEY);
        values[hole] = values[next];
        values[next] = undefined;
        hole = next;
      }
      next = (next + 1) & mask;
    }
    return true;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    const cap = (this.mask + 1) * 2;
    this.keys = new Uint8Array(cap * KEY);
    this.values = new Array<V | undefined>(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < oldValues.length; i++) {
      const v = oldValues[i];
      if (v !== undefined) this.set(oldKeys, i * KEY, v);
    }
  }

  /** Calls fn for every entry; the key view is only valid during the call. */
  forEach(fn: (value: V, key: Uint8Array, keyOffset: number) => void): void {
    const values = this.values;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== undefined) fn(v, this.keys, i * KEY);
    }
  }

  clear(): void {
    this.keys.fill(0);
    this.values.fill(undefined);
    this.size = 0;
  }
}

/** Hex of the 20 bytes at off (used off the hot path: logs, stats pages, persistence). */
export function hashHex(buf: Uint8Array, off = 0): string {
  return Buffer.from(buf.buffer, buf.byteOffset + off, KEY).toString('hex');
}

/**
 * UDP connection ids (BEP 15), stateless and unforgeable.
 *
 * The threat: UDP source addresses can be spoofed, so a tracker that answered announces from any
 * address could be made to register peers at a victim's address, and to reflect replies larger
 * than the requests at it. BEP 15's connect step proves the client can receive at its address:
 * the tracker hands out an id the client must echo. Keeping a table of issued ids costs memory an
 * attacker controls, so the id is instead a MAC of the client's address under a secret key:
 *
 *   connection_id (8 bytes) = HalfSipHash-2-4-64(key[slot], address bytes)
 *
 * Keys are random and replaced every SLOT_SECONDS (the secret rotates); the previous slot's key
 * is still accepted, so an id is valid for between one and two slots (64 to 128 s; BEP 15 asks
 * clients to reconnect after one minute and servers to accept ids for two). Checking costs one or
 * two hashes of at most 16 bytes and no memory. The id is tied to the address, not the port, as
 * opentracker does, so a client's several sockets may share it.
 */
import { randomFillSync } from 'node:crypto';

export const SLOT_SECONDS = 64;

const rotl = (x: number, b: number) => (x << b) | (x >>> (32 - b));

/**
 * HalfSipHash-2-4 with a 64-bit tag over `words` (each a little-endian 32-bit word of the
 * message), `len` bytes in all; writes the tag's 8 bytes at out[off]. The generic byte form
 * below checks it against the reference vectors.
 */
function halfSipHash64Words(
  k0: number,
  k1: number,
  words: ArrayLike<number>,
  nWords: number,
  last: number,
  len: number,
  out: Uint8Array,
  off: number,
): void {
  let v0 = k0;
  let v1 = k1 ^ 0xee;
  let v2 = 0x6c796765 ^ k0;
  let v3 = 0x74656462 ^ k1;
  for (let i = 0; i <= nWords; i++) {
    const m = i < nWords ? words[i] : (last | (len << 24)) >>> 0;
    v3 ^= m;
    for (let r = 0; r < 2; r++) {
      v0 = (v0 + v1) | 0;
      v1 = rotl(v1, 5) ^ v0;
      v0 = rotl(v0, 16);
      v2 = (v2 + v3) | 0;
      v3 = rotl(v3, 8) ^ v2;
      v0 = (v0 + v3) | 0;
      v3 = rotl(v3, 7) ^ v0;
      v2 = (v2 + v1) | 0;
      v1 = rotl(v1, 13) ^ v2;
      v2 = rotl(v2, 16);
    }
    v0 ^= m;
  }
  v2 ^= 0xee;
  for (let half = 0; half < 2; half++) {
    for (let r = 0; r < 4; r++) {
      v0 = (v0 + v1) | 0;
      v1 = rotl(v1, 5) ^ v0;
      v0 = rotl(v0, 16);
      v2 = (v2 + v3) | 0;
      v3 = rotl(v3, 8) ^ v2;
      v0 = (v0 + v3) | 0;
      v3 = rotl(v3, 7) ^ v0;
      v2 = (v2 + v1) | 0;
      v1 = rotl(v1, 13) ^ v2;
      v2 = rotl(v2, 16);
    }
    const t = v1 ^ v3;
    const o = off + half * 4;
    out[o] = t & 0xff;
    out[o + 1] = (t >>> 8) & 0xff;
    out[o + 2] = (t >>> 16) & 0xff;
    out[o + 3] = (t >>> 24) & 0xff;
    if (half === 0) v1 ^= 0xdd;
  }
}

/** HalfSipHash-2-4-64 of arbitrary bytes with an 8-byte key (reference form, for tests). */
export function halfSipHash64(key: Uint8Array, msg: Uint8Array): Buffer {
  const le = (b: Uint8Array, i: number) =>
    (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
  const nWords = msg.length >>> 2;
  const words = new Uint32Array(nWords);
  for (let i = 0; i < nWords; i++) words[i] = le(msg, i * 4);
  let last = 0;
  for (let i = msg.length & 3; i > 0; i--) last = (last << 8) | msg[nWords * 4 + i - 1];
  const out = Buffer.alloc(8);
  halfSipHash64Words(le(key, 0) | 0, le(key, 4) | 0, words, nWords, last, msg.length & 0xff, out, 0);
  return out;
}

export class ConnectionIds {
  private slot = -1;
  private cur = new Int32Array(2);
  private prev = new Int32Array(2);
  private readonly words = new Uint32Array(4);
  private readonly scratch = new Uint8Array(8);

  /** Brings the keys up to date with the clock; call with the cached clock's seconds. */
  private rotate(nowSeconds: number): void {
    const slot = Math.floor(nowSeconds / SLOT_SECONDS);
    if (slot === this.slot) return;
    if (slot === this.slot + 1) {
      this.prev = this.cur;
    } else {
      // Long idle (or first use): ids from before are all stale anyway.
      this.prev = new Int32Array(2);
      randomFillSync(this.prev);
    }
    this.cur = new Int32Array(2);
    randomFillSync(this.cur);
    this.slot = slot;
  }

  /** Loads the address (4 or 16 bytes at addr[off]) into message words; returns the word count. */
  private load(addr: Uint8Array, off: number, len: number): number {
    const n = len >>> 2;
    for (let i = 0; i < n; i++) {
      const o = off + i * 4;
      this.words[i] = (addr[o] | (addr[o + 1] << 8) | (addr[o + 2] << 16) | (addr[o + 3] << 24)) >>> 0;
    }
    return n;
  }

  /** Writes a fresh id for this address at out[outOff]. */
  issue(
    nowSeconds: number,
    addr: Uint8Array,
    addrOff: number,
    addrLen: 4 | 16,
    out: Uint8Array,
    outOff: number,
  ): void {
    this.rotate(nowSeconds);
    const n = this.load(addr, addrOff, addrLen);
    halfSipHash64Words(this.cur[0], this.cur[1], this.words, n, 0, addrLen, out, outOff);
  }

  /** True if buf[off..off+8] is an id this tracker issued to this address in the last 1-2 slots. */
  verify(
    nowSeconds: number,
    buf: Uint8Array,
    off: number,
    addr: Uint8Array,
    addrOff: number,
    addrLen: 4 | 16,
  ): boolean {
    this.rotate(nowSeconds);
    const n = this.load(addr, addrOff, addrLen);
    const s = this.scratch;
    halfSipHash64Words(this.cur[0], this.cur[1], this.words, n, 0, addrLen, s, 0);
    if (equal8(s, buf, off)) return true;
    halfSipHash64Words(this.prev[0], this.prev[1], this.words, n, 0, addrLen, s, 0);
    return equal8(s, buf, off);
  }
}

function equal8(a: Uint8Array, b: Uint8Array, off: number): boolean {
  let d = 0;
  for (let i = 0; i < 8; i++) d |= a[i] ^ b[off + i];
  return d === 0;
}

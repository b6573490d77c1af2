/**
 * The swarms of the embedded memory store, kept across restarts: DATA/swarms.bin is written at
 * shutdown and every `swarmSaveInterval` seconds, and read at start, so a restart or an upgrade of a
 * one-machine installation loses no swarm. Only peers still inside the announce timeout
 * (peerTimeout) are loaded, with their ages carried on, so each expires when it would have.
 *
 * It goes through the PeerStore interface only (peersOf() to save, restorePeer() to load), so any
 * store can be snapshotted the same way. Completion counts are not here: persistence.ts keeps them.
 *
 * Layout, version 1 (little-endian: the tick words are the store's own Uint16 arrays, copied whole):
 *   header (28 bytes): "FJSW"  u32 version (1)  u32 saved at (Unix seconds)  u32 swarms  u32 peers
 *                      u32 seconds per tick (TICK_SECONDS)  u32 CRC-32 of bytes 0..23
 *   then one block per swarm that has peers:
 *     head (40 bytes): info hash (20)  u32 IPv4 peers  u32 of them seeders  u32 IPv6 peers
 *                      u32 of them seeders  u32 CRC-32 of the 36 bytes before it
 *     body: IPv4 peers (6 bytes each, seeders first)  IPv6 peers (18 bytes each)
 *           u16 per peer, IPv4 then IPv6: COMPLETED_BIT | last announce tick (mod 2^15, as stored)
 *           u32 CRC-32 of the body
 *
 * A peer's age is (tick of `saved at` - its tick) mod 2^15; at load the time since the save is added.
 * Damage never keeps the tracker down: every block whose CRC checks out is loaded (a damaged body
 * costs that swarm only; a damaged head, which hides where the next block starts, ends the reading
 * there), the file is renamed to swarms.bin.damaged-<UTC time>, and the log says so loudly.
 *
 * Saving copies the packed peer bytes as they are, a slice of 256 KiB at a time with the event loop
 * free while each slice is written (writeSwarmsSliced), then fsync and rename off the loop; the
 * same at shutdown. encodeSwarms() makes the same file in one buffer (tests, benchmarks).
 */
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { endianness } from 'node:os';
import { crc32 } from 'node:zlib';
import { COMPLETED_BIT, TICK_MASK, TICK_SECONDS, type PeerStore } from '../swarm/peer-store.js';
import { secondsToTicks } from '../swarm/store.js';
import { syncDir } from '../storage/counts-file.js';
import type { Log } from './persistence.js';

export const SWARMS_FILE = 'swarms.bin';
const MAGIC = 'FJSW';
const VERSION = 1;
const HEAD = 28;
const BLOCK_HEAD = 40;
const LITTLE = endianness() === 'LE';
const NO_BYTES = new Uint8Array(0);
const NO_TICKS = new Uint16Array(0);

/** What load() found. */
export interface SwarmsLoaded {
  swarms: number;
  peers: number;
  /** Peers in the file whose announce timeout had passed by now (not loaded). */
  expired: number;
  /** What was wrong with the file (null: it was whole). */
  problem: string | null;
}

/** Copies `n` u16 ticks into buf[off] little-endian. */
function putTicks(buf: Buffer, off: number, meta: Uint16Array, n: number): void {
  if (LITTLE) buf.set(new Uint8Array(meta.buffer, meta.byteOffset, n * 2), off);
  else for (let i = 0; i < n; i++) buf.writeUInt16LE(meta[i], off + i * 2);
}

/** Bytes of the swarm's block, 0 when it has no peers. */
function blockSize(store: PeerStore, hash: Uint8Array, off: number): number {
  const a = store.peersOf(hash, off, false)?.count ?? 0;
  const b = store.peersOf(hash, off, true)?.count ?? 0;
  return a + b === 0 ? 0 : BLOCK_HEAD + a * 8 + b * 20 + 4;
}

/** Writes the swarm's block at buf[o] (blockSize() bytes are free there); returns its peers. */
function encodeBlock(store: PeerStore, hash: Uint8Array, off: number, buf: Buffer, o: number): number {
  // A store may reuse the run it returns: take each family's figures and views before the next.
  const r4 = store.peersOf(hash, off, false);
  const n4 = r4?.count ?? 0;
  const s4 = r4?.seeds ?? 0;
  const a4 = r4?.addrs ?? NO_BYTES;
  const m4 = r4?.meta ?? NO_TICKS;
  const r6 = store.peersOf(hash, off, true);
  const n6 = r6?.count ?? 0;
  if (n4 + n6 === 0) return 0;
  buf.set(hash.subarray(off, off + 20), o);
  buf.writeUInt32LE(n4, o + 20);
  buf.writeUInt32LE(s4, o + 24);
  buf.writeUInt32LE(n6, o + 28);
  buf.writeUInt32LE(r6?.seeds ?? 0, o + 32);
  buf.writeUInt32LE(crc32(buf.subarray(o, o + 36)), o + 36);
  o += BLOCK_HEAD;
  const body = o;
  if (n4 > 0) buf.set(a4.subarray(0, n4 * 6), o);
  o += n4 * 6;
  if (n6 > 0) buf.set(r6!.addrs.subarray(0, n6 * 18), o);
  o += n6 * 18;
  putTicks(buf, o, m4, n4);
  o += n4 * 2;
  if (n6 > 0) putTicks(buf, o, r6!.meta, n6);
  o += n6 * 2;
  buf.writeUInt32LE(crc32(buf.subarray(body, o)), o);
  return n4 + n6;
}

/** The file's header: saved at `nowSeconds`, with these many swarms and peers. */
function header(nowSeconds: number, swarms: number, peers: number): Buffer {
  const buf = Buffer.alloc(HEAD);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(VERSION, 4);
  buf.writeUInt32LE(nowSeconds >>> 0, 8);
  buf.writeUInt32LE(swarms, 12);
  buf.writeUInt32LE(peers, 16);
  buf.writeUInt32LE(TICK_SECONDS, 20);
  buf.writeUInt32LE(crc32(buf.subarray(0, 24)), 24);
  return buf;
}

/** The store's swarms in the layout above, as of `nowSeconds`, in one buffer (synchronous). */
export function encodeSwarms(store: PeerStore, nowSeconds: number): Buffer {
  let size = HEAD;
  store.forEach((hash, off) => {
    size += blockSize(store, hash, off);
  });
  const buf = Buffer.allocUnsafe(size);
  let o = HEAD;
  let swarms = 0;
  let peers = 0;
  store.forEach((hash, off) => {
    const n = encodeBlock(store, hash, off, buf, o);
    if (n === 0) return;
    swarms++;
    peers += n;
    o += blockSize(store, hash, off);
  });
  header(nowSeconds, swarms, peers).copy(buf, 0);
  return buf;
}

/** Bytes a slice of the periodic save encodes before it lets the event loop run (and writes them). */
const SLICE_BYTES = 256 << 10;

/**
 * The periodic save: writes the same file as encodeSwarms() to `fh`, a slice of about SLICE_BYTES
 * at a time with the event loop free while each slice is written, so no announce waits long. Each
 * swarm is as it was when its slice was made; `now()` is read at the end for the header, so no peer
 * announced during the save is younger than the file says.
 */
export async function writeSwarmsSliced(
  store: PeerStore,
  fh: FileHandle,
  now: () => number,
): Promise<number> {
  // The swarms with peers now (20 bytes each); one that is gone when its turn comes is skipped.
  const list: Buffer[] = [];
  let keys = Buffer.allocUnsafe(20 * 4096);
  let n = 0;
  store.forEach((hash, off) => {
    if (blockSize(store, hash, off) === 0) return;
    if (n * 20 === keys.length) {
      list.push(keys);
      keys = Buffer.allocUnsafe(keys.length);
      n = 0;
    }
    keys.set(hash.subarray(off, off + 20), n++ * 20);
  });
  list.push(keys.subarray(0, n * 20));
  let slice = Buffer.allocUnsafe(SLICE_BYTES);
  let pos = HEAD;
  let swarms = 0;
  let peers = 0;
  for (const part of list) {
    let i = 0;
    while (i < part.length) {
      let used = 0;
      while (i < part.length) {
        const size = blockSize(store, part, i);
        if (size > 0 && used > 0 && used + size > slice.length) break;
        if (size > slice.length) slice = Buffer.allocUnsafe(size);
        const got = encodeBlock(store, part, i, slice, used);
        i += 20;
        if (got === 0) continue;
        swarms++;
        peers += got;
        used += size;
      }
      if (used > 0) await writeFully(fh, slice, used, pos);
      pos += used;
    }
  }
  await writeFully(fh, header(now(), swarms, peers), HEAD, 0);
  return peers;
}

/** Writes all `length` bytes at `pos`: a write may take only part (a filling disk does that first). */
async function writeFully(fh: FileHandle, buf: Buffer, length: number, pos: number): Promise<void> {
  for (let off = 0; off < length;) {
    const { bytesWritten } = await fh.write(buf, off, length - off, pos + off);
    if (bytesWritten <= 0)
      throw Object.assign(new Error('no space left on device (write returned 0)'), { code: 'ENOSPC' });
    off += bytesWritten;
  }
}

/**
 * Puts the peers of a file in the layout above back into `store`, those past `timeoutSeconds` at
 * `nowSeconds` left out; keeps every block that checks out.
 */
export function decodeSwarms(
  buf: Buffer,
  store: PeerStore,
  nowSeconds: number,
  timeoutSeconds: number,
): SwarmsLoaded {
  const out: SwarmsLoaded = { swarms: 0, peers: 0, expired: 0, problem: null };
  if (buf.length < HEAD || buf.toString('latin1', 0, 4) !== MAGIC) {
    out.problem = 'not a fjord swarms file (bad header)';
    return out;
  }
  if (buf.readUInt32LE(24) !== crc32(buf.subarray(0, 24))) {
    out.problem = 'header checksum wrong';
    return out;
  }
  const version = buf.readUInt32LE(4);
  const tickSeconds = buf.readUInt32LE(20);
  if (version !== VERSION || tickSeconds !== TICK_SECONDS) {
    out.problem = `unknown version ${version} (ticks of ${tickSeconds} s)`;
    return out;
  }
  const savedAt = buf.readUInt32LE(8);
  const swarms = buf.readUInt32LE(12);
  const savedTick = Math.floor(savedAt / TICK_SECONDS);
  const nowTick = Math.floor(nowSeconds / TICK_SECONDS);
  // A clock that went back since the save: the peers are taken as saved a moment ago.
  const elapsed = Math.max(0, nowTick - savedTick);
  const maxAge = secondsToTicks(timeoutSeconds);
  let badBodies = 0;
  let blocks = 0;
  let o = HEAD;
  while (o < buf.length) {
    if (o + BLOCK_HEAD > buf.length) {
      out.problem = `cut short in block ${blocks + 1}`;
      break;
    }
    if (buf.readUInt32LE(o + 36) !== crc32(buf.subarray(o, o + 36))) {
      out.problem = `block ${blocks + 1} has a wrong head checksum; the ${swarms - blocks} blocks from it not read`;
      break;
    }
    const n4 = buf.readUInt32LE(o + 20);
    const s4 = buf.readUInt32LE(o + 24);
    const n6 = buf.readUInt32LE(o + 28);
    const s6 = buf.readUInt32LE(o + 32);
    const bodyLen = n4 * 8 + n6 * 20;
    const body = o + BLOCK_HEAD;
    if (body + bodyLen + 4 > buf.length) {
      out.problem = `cut short in block ${blocks + 1}`;
      break;
    }
    blocks++;
    if (
      s4 > n4 ||
      s6 > n6 ||
      buf.readUInt32LE(body + bodyLen) !== crc32(buf.subarray(body, body + bodyLen))
    ) {
      badBodies++;
      o = body + bodyLen + 4;
      continue;
    }
    let loaded = 0;
    const ticks = body + n4 * 6 + n6 * 18;
    for (let i = 0; i < n4 + n6; i++) {
      const meta = buf.readUInt16LE(ticks + i * 2);
      const age = ((savedTick - (meta & TICK_MASK)) & TICK_MASK) + elapsed;
      if (age > maxAge) {
        out.expired++;
        continue;
      }
      const v6 = i >= n4;
      const seed = v6 ? i - n4 < s6 : i < s4;
      const at = v6 ? body + n4 * 6 + (i - n4) * 18 : body + i * 6;
      const tick = (nowTick - age) & TICK_MASK;
      if (store.restorePeer(buf, o, buf, at, v6, seed, (meta & COMPLETED_BIT) !== 0, tick)) loaded++;
    }
    out.peers += loaded;
    if (loaded > 0) out.swarms++;
    o = body + bodyLen + 4;
  }
  const problems: string[] = [];
  if (out.problem !== null) problems.push(out.problem);
  else if (blocks !== swarms) problems.push(`${blocks} blocks where the header says ${swarms}`);
  if (badBodies > 0) problems.push(`${badBodies} blocks with a wrong checksum skipped`);
  out.problem = problems.length > 0 ? problems.join(', ') : null;
  return out;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** DATA/swarms.bin of one tracker's store: load at start, save periodically and at shutdown. */
export class SwarmSnapshot {
  readonly path: string;
  /** The periodic save in flight (its write and fsyncs), if any. */
  private writing: Promise<void> | null = null;
  private failed = false;

  constructor(
    dataDir: string,
    private readonly store: PeerStore,
    private readonly log: Log,
  ) {
    this.path = join(dataDir, SWARMS_FILE);
  }

  /** Loads the file, if any, into the store; sets a damaged one aside and says so. */
  load(nowSeconds: number, timeoutSeconds: number): SwarmsLoaded | null {
    if (!existsSync(this.path)) return null;
    let r: SwarmsLoaded;
    try {
      r = decodeSwarms(readFileSync(this.path), this.store, nowSeconds, timeoutSeconds);
    } catch (e) {
      r = { swarms: 0, peers: 0, expired: 0, problem: `cannot read: ${message(e)}` };
    }
    if (r.problem !== null) {
      let aside = '(could not be renamed)';
      try {
        aside = `${this.path}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        renameSync(this.path, aside);
        aside = basename(aside);
      } catch (e) {
        aside = `(could not be renamed: ${message(e)})`;
      }
      this.log(
        `state: DAMAGED ${this.path}: ${r.problem}; loaded the ${r.peers} peers of ${r.swarms} swarms that ` +
          `check out, the damaged file is now ${aside}`,
      );
    }
    return r;
  }

  /** Saves now (shutdown), after any periodic save in flight; says so when it cannot. */
  async saveNow(now: () => number): Promise<void> {
    await this.writing;
    try {
      await this.writeSliced(now);
      this.failed = false;
    } catch (e) {
      this.log(`state: CANNOT SAVE ${this.path}: ${message(e)}; swarms will be lost on restart`);
    }
  }

  /**
   * The periodic save, in slices (writeSwarmsSliced); the fsyncs and the rename run off the event
   * loop. A save still in flight is not doubled. `now`: the clock in seconds.
   */
  save(now: () => number): Promise<void> {
    if (this.writing !== null) return this.writing;
    this.writing = this.writeSliced(now)
      .then(
        () => {
          if (this.failed) this.log(`state: ${this.path} saved again`);
          this.failed = false;
        },
        (e: unknown) => {
          if (!this.failed) this.log(`state: CANNOT SAVE ${this.path}: ${message(e)} (will retry)`);
          this.failed = true;
        },
      )
      .finally(() => {
        this.writing = null;
      });
    return this.writing;
  }

  /** writeAtomic (storage/counts-file.ts) of writeSwarmsSliced(), with the file work on the thread pool. */
  private async writeSliced(now: () => number): Promise<void> {
    const tmp = `${this.path}.tmp-${process.pid}`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      try {
        await writeSwarmsSliced(this.store, fh, now);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
    } catch (e) {
      // A full disk (or any failure) leaves the previous file whole and no temporary file behind.
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    syncDir(dirname(this.path));
  }
}

/**
 * The hashing core, run inside a worker thread (hash-worker.ts) or, for small inputs, inline.
 *
 * A unit is a run of whole pieces. Its bytes are read once, in order, from one or more file segments
 * into one reused buffer, and from that same read it yields:
 *   - sha1: one 20-byte SHA-1 per piece (v1 and hybrid);
 *   - v2:   one 32-byte merkle hash per piece over the piece's 16 KiB blocks (v2 and hybrid), either
 *           the piece-layer hash (the subtree padded to piece length / 16 KiB leaves) or, for a file no
 *           longer than one piece, the file's pieces root (padded to the next power of two of its own
 *           block count, as BEP 52's tree over that file is only that wide).
 * Files are read synchronously: each worker has nothing else to do, and it skips a hop to the libuv
 * thread pool per read.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import crypto from 'node:crypto';
import { BLOCK_SIZE, nextPowerOfTwo, padHash } from '../../protocol/metainfo.js';

export interface Segment {
  path: string;
  /** Byte offset in the file. */
  offset: number;
  length: number;
}

export interface HashUnit {
  segments: Segment[];
  pieceLength: number;
  sha1: boolean;
  /**
   * Zero bytes that follow the unit's last (partial) piece in the v1 stream: the BEP 47 padding file
   * after this file in a hybrid torrent. They count in that piece's SHA-1 but are never read.
   */
  sha1TailPad: number;
  v2: 'none' | 'piece' | 'root';
}

export interface UnitResult {
  sha1?: Uint8Array;
  v2?: Uint8Array;
}

export interface Job {
  id: number;
  units: HashUnit[];
}

/** A call's jobs, sent to every worker, and the shared index (an Int32) of the next one to take. */
export interface Batch {
  jobs: Job[];
  next: SharedArrayBuffer;
}

/**
 * Bytes per read: small enough that the buffer stays in the core's cache. read() copies from the
 * page cache into it and the hashing reads it back at once; with a buffer of 1 MiB or more both go
 * through main memory. Measured here on 512 MiB in the page cache, one thread, CPU time (user +
 * sys): read() alone 95-112 ms at 128 KiB against 284-312 ms at 1 to 16 MiB; read and SHA-1
 * per 1 MiB piece 452-488 ms at 64 or 128 KiB, 650-685 ms at 256 KiB, 624-678 ms at 4 MiB (which
 * fjord used before). System calls stay rare: 8 per MiB.
 */
export const READ_CHUNK = 128 * 1024;

// crypto.hash (one call, no Hash object) arrived in Node 20.12; older 20.x take the long way.
const oneShot = typeof crypto.hash === 'function';
const digest = (alg: 'sha1' | 'sha256', data: Uint8Array): Buffer =>
  oneShot ? crypto.hash(alg, data, 'buffer') : crypto.createHash(alg).update(data).digest();

export class Hasher {
  private buf: Buffer = Buffer.alloc(0);
  /** Leaf hashes of the piece being hashed, plus room for one pad hash per level. */
  private tree: Buffer = Buffer.alloc(0);
  private leaves = 0;
  /** SHA-1 of a piece that spans reads (pieces longer than READ_CHUNK). */
  private partial: crypto.Hash | undefined;
  private zeros: Buffer = Buffer.alloc(0);

  /** Hashes a unit; `progress` gets the number of file bytes consumed after each read. */
  run(unit: HashUnit, progress: (bytes: number) => void): UnitResult {
    const pl = unit.pieceLength;
    const total = unit.segments.reduce((s, g) => s + g.length, 0);
    const pieces = Math.ceil(total / pl);
    // Whole pieces per read when they fit, else READ_CHUNK (a multiple of 16 KiB) per read: one piece
    // then spans reads, and memory stays at READ_CHUNK whatever the piece length.
    const chunk = pl <= READ_CHUNK ? Math.floor(READ_CHUNK / pl) * pl : READ_CHUNK;
    if (this.buf.length < chunk) this.buf = Buffer.allocUnsafeSlow(chunk);
    const bpp = pl / BLOCK_SIZE;
    if (unit.v2 !== 'none' && this.tree.length < (bpp + 1) * 32) this.tree = Buffer.alloc((bpp + 1) * 32);
    // Own ArrayBuffers, so that they can be transferred back to the main thread without a copy.
    const sha1 = unit.sha1 ? new Uint8Array(pieces * 20) : undefined;
    const v2 = unit.v2 !== 'none' ? new Uint8Array(pieces * 32) : undefined;
    let piece = 0;
    let inPiece = 0;
    let seg = 0;
    let segDone = 0;
    let fd = -1;
    this.leaves = 0;
    this.partial = undefined;
    try {
      for (let done = 0; done < total;) {
        const want = Math.min(chunk, total - done);
        let filled = 0;
        while (filled < want) {
          const s = unit.segments[seg];
          if (fd < 0) fd = openSync(s.path, 'r');
          const n = readSync(
            fd,
            this.buf,
            filled,
            Math.min(want - filled, s.length - segDone),
            s.offset + segDone,
          );
          if (n === 0) throw new Error(`${s.path} became shorter while it was being hashed`);
          filled += n;
          segDone += n;
          if (segDone === s.length) {
            closeSync(fd);
            fd = -1;
            seg++;
            segDone = 0;
          }
        }
        for (let o = 0; o < filled;) {
          const data = this.buf.subarray(o, Math.min(o + pl - inPiece, filled));
          o += data.length;
          inPiece += data.length;
          const end = done + o === total;
          if (inPiece < pl && !end) {
            // The piece continues in the next read.
            if (sha1) (this.partial ??= crypto.createHash('sha1')).update(data);
            if (v2) this.addLeaves(data);
            continue;
          }
          const pad = end ? unit.sha1TailPad : 0;
          if (sha1) this.finishSha1(data, pad).copy(sha1, piece * 20);
          if (v2) {
            this.addLeaves(data);
            const width = unit.v2 === 'root' ? nextPowerOfTwo(this.leaves) : bpp;
            this.foldLeaves(width).copy(v2, piece * 32);
          }
          piece++;
          inPiece = 0;
        }
        done += filled;
        progress(filled);
      }
    } finally {
      if (fd >= 0) closeSync(fd);
    }
    const result: UnitResult = {};
    if (sha1) result.sha1 = sha1;
    if (v2) result.v2 = v2;
    return result;
  }

  /** SHA-1 of a piece whose last bytes are `data`, followed by `pad` zero bytes of padding. */
  private finishSha1(data: Buffer, pad: number): Buffer {
    if (!this.partial && pad === 0) return digest('sha1', data);
    const h = this.partial ?? crypto.createHash('sha1');
    this.partial = undefined;
    h.update(data);
    if (pad > 0) {
      if (this.zeros.length < pad) this.zeros = Buffer.alloc(pad);
      h.update(this.zeros.subarray(0, pad));
    }
    return h.digest();
  }

  /** Appends the SHA-256 of each 16 KiB block of `data` (the last one may be short) as leaves. */
  private addLeaves(data: Buffer): void {
    for (let o = 0; o < data.length; o += BLOCK_SIZE)
      digest('sha256', data.subarray(o, o + BLOCK_SIZE)).copy(this.tree, 32 * this.leaves++);
  }

  /**
   * Merkle root of the collected leaves, widened to `width` leaves with zero leaves; then starts a new
   * piece. Reduced in place: at each level, node i = SHA-256(node 2i || node 2i+1) is written over
   * slot i, and an odd count is first evened out with the pad hash of that level.
   */
  private foldLeaves(width: number): Buffer {
    const t = this.tree;
    let count = this.leaves;
    this.leaves = 0;
    for (let level = 0, w = width; w > 1; level++, w /= 2) {
      if (count % 2 === 1) padHash(2 ** level).copy(t, 32 * count++);
      for (let i = 0; i < count / 2; i++) digest('sha256', t.subarray(64 * i, 64 * i + 64)).copy(t, 32 * i);
      count /= 2;
    }
    return t.subarray(0, 32);
  }
}

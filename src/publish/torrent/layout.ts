/**
 * Pure planning: where each file sits in the torrent, which padding files a hybrid needs, the piece
 * length, and how the hashing splits into jobs. No I/O.
 *
 * v1 stream (BEP 3): the files back to back; pieces run across file boundaries.
 *
 * Hybrid (BEP 52 + BEP 47): a padding file of zeros goes before each non-empty file that would not
 * start on a piece boundary, so every file starts a piece and its v1 pieces line up with its v2 ones:
 *
 *   | a.mkv ....... | pad | b.srt | pad ...... | c.mkv ......... |
 *   ^ piece 0             ^ piece k            ^ piece m            (no padding after the last file)
 *
 * Empty files take no room and need no alignment, so they sit where they fall (after the previous
 * file, before the padding that aligns the next non-empty one). This is libtorrent's layout with
 * canonical_files_no_tail_padding, so both tools give the same hybrid info hashes. No padding file
 * follows the last file: the last v1 piece is short, as in any v1 torrent.
 *
 * v2 (no v1 part): each file is hashed on its own, in pieces counted from its own start.
 */
import { BLOCK_SIZE, isPowerOfTwo } from '../../protocol/metainfo.js';
import type { HashUnit, Job } from './hasher.js';
import type { SourceFile } from './source.js';

export type TorrentMode = 'v1' | 'v2' | 'hybrid';

export const MIN_PIECE_LENGTH = BLOCK_SIZE;
export const MAX_AUTO_PIECE_LENGTH = 16 * 1024 * 1024;
export const MAX_PIECE_LENGTH = 256 * 1024 * 1024;
const TARGET_PIECES = 2000;

/**
 * The smallest power of two from 16 KiB up to 16 MiB that gives at most 2,000 pieces: between 1,000
 * and 2,000 pieces unless a bound is hit. Few enough that the v1 `pieces` string and the v2 piece
 * layers stay small (40 KB and 64 KB), many enough that peers have plenty of pieces to trade.
 */
export function choosePieceLength(totalBytes: number): number {
  let pl = MIN_PIECE_LENGTH;
  while (pl < MAX_AUTO_PIECE_LENGTH && totalBytes / pl > TARGET_PIECES) pl *= 2;
  return pl;
}

export function checkPieceLength(pl: number): void {
  if (!isPowerOfTwo(pl) || pl < MIN_PIECE_LENGTH || pl > MAX_PIECE_LENGTH)
    throw new Error(`piece length ${pl} must be a power of two from 16 KiB to 256 MiB`);
}

/** An entry of the v1 `files` list: a real file (index into the sorted files) or a padding file. */
export type V1Entry = { file: number; length: number } | { pad: true; length: number };

export interface Plan {
  mode: TorrentMode;
  pieceLength: number;
  files: SourceFile[];
  /** v1 and hybrid: the v1 list, padding included. */
  v1: V1Entry[];
  /** v1 and hybrid: bytes in the v1 stream (padding included) and the number of pieces. */
  v1Size: number;
  v1Pieces: number;
  /** Bytes of real file data to read. */
  contentBytes: number;
  jobs: Job[];
  /** What each job's units are for, to put the results back in place. */
  targets: UnitTarget[][];
}

export interface UnitTarget {
  /** First v1 piece the unit's SHA-1s belong to. */
  v1Piece: number;
  /** v2: the file and the first piece within that file. */
  file: number;
  filePiece: number;
}

export function planTorrent(
  files: SourceFile[],
  mode: TorrentMode,
  pieceLength: number,
  threads: number,
): Plan {
  const pl = pieceLength;
  const contentBytes = files.reduce((s, f) => s + f.length, 0);
  // Enough jobs for every worker to get several (the last one to finish sets the pace), few enough
  // that messages stay rare; a whole number of pieces each.
  const jobBytes = Math.max(
    pl,
    Math.min(16 * 1024 * 1024, Math.ceil(contentBytes / (threads * 8) / pl) * pl),
  );
  const v1: V1Entry[] = [];
  let v1Size = 0;
  const lastNonEmpty = files.findLastIndex((f) => f.length > 0);
  const units: { unit: HashUnit; target: UnitTarget }[] = [];

  if (mode === 'v1') {
    files.forEach((f, i) => v1.push({ file: i, length: f.length }));
    v1Size = contentBytes;
    // Pieces run across files: a unit is a range of pieces mapped onto the file segments under it.
    const offsets: number[] = [];
    files.reduce((o, f) => (offsets.push(o), o + f.length), 0);
    for (let start = 0; start < v1Size; start += jobBytes) {
      const end = Math.min(v1Size, start + jobBytes);
      const segments = [];
      for (let i = 0; i < files.length; i++) {
        const a = Math.max(start, offsets[i]);
        const b = Math.min(end, offsets[i] + files[i].length);
        if (b > a) segments.push({ path: files[i].abs, offset: a - offsets[i], length: b - a });
      }
      units.push({
        unit: { segments, pieceLength: pl, sha1: true, sha1TailPad: 0, v2: 'none' },
        target: { v1Piece: start / pl, file: -1, filePiece: 0 },
      });
    }
  } else {
    files.forEach((f, i) => {
      if (mode === 'hybrid' && f.length > 0 && v1Size % pl !== 0) {
        const pad = pl - (v1Size % pl);
        v1.push({ pad: true, length: pad });
        v1Size += pad;
      }
      const fileStart = v1Size;
      if (mode === 'hybrid') {
        v1.push({ file: i, length: f.length });
        v1Size += f.length;
      }
      const tail = mode === 'hybrid' && i !== lastNonEmpty && f.length % pl !== 0 ? pl - (f.length % pl) : 0;
      for (let start = 0; start < f.length; start += jobBytes) {
        const end = Math.min(f.length, start + jobBytes);
        units.push({
          unit: {
            segments: [{ path: f.abs, offset: start, length: end - start }],
            pieceLength: pl,
            sha1: mode === 'hybrid',
            sha1TailPad: end === f.length ? tail : 0,
            v2: f.length <= pl ? 'root' : 'piece',
          },
          target: { v1Piece: (fileStart + start) / pl, file: i, filePiece: start / pl },
        });
      }
    });
  }

  // Small units (small files) share a job, up to about one job's worth of bytes.
  const jobs: Job[] = [];
  const targets: UnitTarget[][] = [];
  let bytes = Infinity;
  for (const { unit, target } of units) {
    const len = unit.segments.reduce((s, g) => s + g.length, 0);
    if (bytes + len > jobBytes) {
      jobs.push({ id: jobs.length, units: [] });
      targets.push([]);
      bytes = 0;
    }
    jobs[jobs.length - 1].units.push(unit);
    targets[targets.length - 1].push(target);
    bytes += len;
  }
  const v1Pieces = mode === 'v2' ? 0 : Math.ceil(v1Size / pl);
  return { mode, pieceLength: pl, files, v1, v1Size, v1Pieces, contentBytes, jobs, targets };
}

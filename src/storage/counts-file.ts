/**
 * Crash-safe files that the tracker and the statistics both keep in the data directory: whole-file
 * atomic replacement, and the CRC-checked table of (info hash, count) pairs that the completion
 * snapshot (downloaded.bin, src/tracker/persistence.ts) and the statistics' seen-counts file
 * (stats-seen.bin, src/stats/recorder.ts) are written in. The layout is described in
 * src/tracker/persistence.ts. Below both users, so neither imports the other.
 */
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';

const MAGIC = 'FJDL';
const HEAD = 20;
const ENTRY = 28;
const V1_HEAD = 12;
const V1_ENTRY = 24;

/** Counts read from a file, and what was wrong with it (problem null: the file was whole). */
export interface CountsFile {
  entries: Array<[Buffer, number]>;
  /** The journal sequence the snapshot includes (0 when unknown or version 1). */
  seq: number;
  problem: string | null;
}

/** Writes a file so that a crash leaves either the old one or the new one, whole. */
export function writeAtomic(path: string, data: Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  syncDir(dirname(path));
}

function syncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on a folder; the rename is still atomic there.
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** A snapshot of (info hash, count) pairs in the version 2 layout. */
export function encodeCounts(entries: ReadonlyArray<readonly [Uint8Array, number]>, seq: number): Buffer {
  const buf = Buffer.alloc(HEAD + entries.length * ENTRY);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32BE(2, 4);
  buf.writeUInt32BE(entries.length, 8);
  buf.writeUInt32BE(seq >>> 0, 12);
  buf.writeUInt32BE(crc32(buf.subarray(0, 16)), 16);
  entries.forEach(([key, n], i) => {
    const o = HEAD + i * ENTRY;
    buf.set(key.subarray(0, 20), o);
    buf.writeUInt32BE(Math.min(n, 0xffffffff), o + 20);
    buf.writeUInt32BE(crc32(buf.subarray(o, o + 24)), o + 24);
  });
  return buf;
}

/** Reads a snapshot, keeping every record that checks out; null when there is no file. */
export function readCounts(path: string): CountsFile | null {
  if (!existsSync(path)) return null;
  const buf = readFileSync(path);
  const entries: Array<[Buffer, number]> = [];
  if (buf.length < V1_HEAD || buf.toString('latin1', 0, 4) !== MAGIC)
    return { entries, seq: 0, problem: 'not a fjord completion-counts file (bad header)' };
  const version = buf.readUInt32BE(4);
  const n = buf.readUInt32BE(8);
  if (version === 1) {
    const whole = Math.min(n, Math.floor((buf.length - V1_HEAD) / V1_ENTRY));
    for (let i = 0; i < whole; i++) {
      const o = V1_HEAD + i * V1_ENTRY;
      entries.push([Buffer.from(buf.subarray(o, o + 20)), buf.readUInt32BE(o + 20)]);
    }
    const ok = buf.length === V1_HEAD + n * V1_ENTRY;
    return {
      entries,
      seq: 0,
      problem: ok ? null : `${buf.length} bytes where ${n} records need ${V1_HEAD + n * V1_ENTRY}`,
    };
  }
  if (version !== 2 || buf.length < HEAD)
    return { entries, seq: 0, problem: `unknown version ${version} or short header` };
  const headOk = buf.readUInt32BE(16) === crc32(buf.subarray(0, 16));
  let bad = 0;
  const whole = Math.floor((buf.length - HEAD) / ENTRY);
  for (let i = 0; i < whole; i++) {
    const o = HEAD + i * ENTRY;
    if (buf.readUInt32BE(o + 24) !== crc32(buf.subarray(o, o + 24))) bad++;
    else entries.push([Buffer.from(buf.subarray(o, o + 20)), buf.readUInt32BE(o + 20)]);
  }
  const problems: string[] = [];
  if (!headOk) problems.push('header checksum wrong');
  if (headOk && buf.length !== HEAD + n * ENTRY)
    problems.push(`${buf.length} bytes where ${n} records need ${HEAD + n * ENTRY}`);
  if (bad > 0) problems.push(`${bad} records with a wrong checksum`);
  return {
    entries,
    seq: headOk ? buf.readUInt32BE(12) : 0,
    problem: problems.length ? problems.join(', ') : null,
  };
}

/** Renames a damaged file aside; returns the new name. */
export function setAside(path: string, copy = false): string {
  const aside = `${path}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  if (copy) copyFileSync(path, aside);
  else renameSync(path, aside);
  return aside;
}

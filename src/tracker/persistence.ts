/**
 * Per-torrent completion counts, kept across restarts in DATA/downloaded.bin.
 *
 * Layout: "FJDL" magic, u32 version (1), u32 count, then count x (info hash 20 bytes, u32
 * downloaded), all big-endian. Written to a temporary file, synced and renamed over the old one, so
 * a crash during a save leaves the previous complete file.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { SwarmStore } from '../swarm/store.js';

const MAGIC = 'FJDL';

export function saveDownloaded(store: SwarmStore, path: string): number {
  const entries: Array<[Uint8Array, number, number]> = [];
  store.torrents.forEach((swarm, key, off) => {
    if (swarm.downloaded > 0) entries.push([key.slice(off, off + 20), 0, swarm.downloaded]);
  });
  const buf = Buffer.alloc(12 + entries.length * 24);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32BE(1, 4);
  buf.writeUInt32BE(entries.length, 8);
  entries.forEach(([key, , n], i) => {
    buf.set(key, 12 + i * 24);
    buf.writeUInt32BE(Math.min(n, 0xffffffff), 32 + i * 24);
  });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, buf);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return entries.length;
}

/** Loads saved counts into the store; returns how many torrents had counts. Throws on a corrupt file. */
export function loadDownloaded(store: SwarmStore, path: string): number {
  if (!existsSync(path)) return 0;
  const buf = readFileSync(path);
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== MAGIC || buf.readUInt32BE(4) !== 1)
    throw new Error(`${path} is not a fjord downloaded-counts file`);
  const n = buf.readUInt32BE(8);
  if (buf.length !== 12 + n * 24) throw new Error(`${path} is truncated (expected ${n} entries)`);
  for (let i = 0; i < n; i++) {
    const swarm = store.ensure(buf, 12 + i * 24);
    swarm.downloaded = Math.max(swarm.downloaded, buf.readUInt32BE(32 + i * 24));
  }
  return n;
}

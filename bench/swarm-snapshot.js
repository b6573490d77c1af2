/**
 * Time to save and load the memory store's swarms (DATA/swarms.bin, src/tracker/swarm-snapshot.ts).
 *
 *   npm run build && node bench/swarm-snapshot.js [PEERS] [TORRENTS] [DIR]
 *
 * Fills a SwarmStore with PEERS distinct IPv4 peers over TORRENTS torrents (a third seeders), then
 * prints one JSON line (medians of 3): the save as the tracker runs it (periodically and at
 * shutdown: sliced, fsync, rename) and its longest event-loop stall measured by a 1 ms timer, the
 * same file encoded in one buffer and written synchronously (for comparison), the file size, and
 * the time to read and load the file into a fresh store (the start). DIR: where the file goes
 * (default: a temporary folder).
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = process.env.FJORD_DIST
  ? pathToFileURL(`${process.env.FJORD_DIST}/`)
  : new URL('../dist/', import.meta.url);
const { SwarmStore, Announced, tickOf } = await import(new URL('swarm/store.js', dist).href);
const { encodeSwarms, decodeSwarms, SwarmSnapshot } = await import(
  new URL('tracker/swarm-snapshot.js', dist).href
);
const { writeAtomic } = await import(new URL('tracker/persistence.js', dist).href);

const peers = Number(process.argv[2] ?? 1_000_000);
const torrents = Number(process.argv[3] ?? 10_000);
const dir = process.argv[4] ?? mkdtempSync(join(tmpdir(), 'fjord-snapshot-bench-'));
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const hash = Buffer.alloc(20);
const peer = Buffer.alloc(6);
const store = new SwarmStore({ counterSlots: 9 });
const a = new Announced();
const now = Math.floor(Date.now() / 1000);
const tick = tickOf(now);
for (let i = 0; i < peers; i++) {
  const t = i % torrents;
  hash.writeUInt32BE(t, 0);
  hash.writeUInt32BE(Math.imul(t, 0x9e3779b1) >>> 0, 4);
  peer.writeUInt32BE((0x0a000000 + i) >>> 0, 0);
  peer.writeUInt16BE(1024 + (i % 60000), 4);
  store.announce(hash, 0, peer, 0, false, i % 3 === 0, 0, tick, false, a);
}

const runs = [];
for (let r = 0; r < 3; r++) {
  let t0 = process.hrtime.bigint();
  const buf = encodeSwarms(store, now);
  const encodeMs = ms(t0);
  const path = join(dir, 'swarms.bin');
  t0 = process.hrtime.bigint();
  writeAtomic(path, buf);
  const writeMs = ms(t0);

  // The periodic save as the tracker runs it, with a 1 ms timer measuring the longest stall.
  const snap = new SwarmSnapshot(dir, store, () => {});
  let last = performance.now();
  let stall = 0;
  const timer = setInterval(() => {
    const t = performance.now();
    stall = Math.max(stall, t - last);
    last = t;
  }, 1);
  await new Promise((res) => setTimeout(res, 20));
  stall = 0;
  last = performance.now();
  t0 = process.hrtime.bigint();
  await snap.save(() => now);
  const periodicMs = ms(t0);
  await new Promise((res) => setTimeout(res, 5));
  clearInterval(timer);

  t0 = process.hrtime.bigint();
  const file = readFileSync(path);
  const fresh = new SwarmStore({ counterSlots: 9 });
  const loaded = decodeSwarms(file, fresh, now, 2700);
  const loadMs = ms(t0);
  if (loaded.peers !== peers || loaded.problem !== null)
    throw new Error(`loaded ${loaded.peers} of ${peers} peers: ${loaded.problem}`);
  runs.push({ encodeMs, writeMs, periodicMs, stallMs: stall, loadMs, bytes: statSync(path).size });
}
if (process.argv[4] === undefined) rmSync(dir, { recursive: true, force: true });
const med = (k) => runs.map((r) => r[k]).sort((x, y) => x - y)[1];
process.stdout.write(
  JSON.stringify({
    peers,
    torrents,
    bytes: runs[0].bytes,
    encodeMs: med('encodeMs'),
    writeSyncMs: med('writeMs'),
    periodicSaveMs: med('periodicMs'),
    periodicStallMs: med('stallMs'),
    loadMs: med('loadMs'),
    runs,
  }) + '\n',
);

/**
 * Memory per peer of fjord's swarm store (issue 3: <= 32 bytes of resident memory per peer).
 *
 *   node --expose-gc bench/memory.js [PEERS] [TORRENTS]      (run.js runs it pinned to one core)
 *
 * Fills a SwarmStore with PEERS distinct peers (address, port) spread evenly over TORRENTS
 * torrents, a third of them seeders, and prints one JSON line: resident memory (RSS) before and
 * after (each after forced full GCs), bytes per peer, and what the store's own arrays account for
 * (so the gap between the two shows the per-object and allocator overhead).
 *
 * Everything that is not the store (the info hashes, the scratch peer) is allocated before the
 * first measurement, so the difference is the store's alone.
 */
import { pathToFileURL } from 'node:url';

// FJORD_DIST: the copy of dist/ that run.js benchmarks (see its snapshotDist); else ../dist.
const dist = process.env.FJORD_DIST
  ? pathToFileURL(`${process.env.FJORD_DIST}/`)
  : new URL('../dist/', import.meta.url);
const { SwarmStore, Announced, tickOf } = await import(new URL('swarm/store.js', dist).href);

const peers = Number(process.argv[2] ?? 2_000_000);
const torrents = Number(process.argv[3] ?? 10_000);
if (typeof globalThis.gc !== 'function') {
  process.stderr.write('memory.js: run with node --expose-gc\n');
  process.exit(2);
}

function fullGc() {
  // Two passes: the first may only schedule finalisation of external (ArrayBuffer) memory.
  globalThis.gc();
  globalThis.gc();
}

// Deterministic, well-spread 20-byte info hashes (splitmix32-like), made before measuring.
const hashes = new Uint8Array(torrents * 20);
let s = 0x9e3779b9;
for (let i = 0; i < hashes.length; i += 4) {
  s = (s + 0x9e3779b9) | 0;
  let z = s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  hashes[i] = z >>> 24;
  hashes[i + 1] = z >>> 16;
  hashes[i + 2] = z >>> 8;
  hashes[i + 3] = z;
}
const peer = new Uint8Array(6);
// As the tracker makes it: 9 statistics counters per swarm (src/stats/announce-stats.ts).
const store = new SwarmStore({ counterSlots: 9 });
const announced = new Announced();
const tick = tickOf(Date.now() / 1000);

fullGc();
const before = process.memoryUsage();

const t0 = process.hrtime.bigint();
for (let i = 0; i < peers; i++) {
  // Peer i: address 10.0.0.0 + i (distinct for up to 16M peers), a port that varies like real ones.
  const addr = (0x0a000000 + i) >>> 0;
  const port = 1024 + ((Math.imul(i, 0x9e3779b1) >>> 16) % 60000);
  peer[0] = addr >>> 24;
  peer[1] = addr >>> 16;
  peer[2] = addr >>> 8;
  peer[3] = addr;
  peer[4] = port >>> 8;
  peer[5] = port;
  // Round-robin over the torrents, so every swarm grows through its resizes as real ones do.
  store.announce(hashes, (i % torrents) * 20, peer, 0, false, i % 3 === 0, 0, tick, false, announced);
}
const fillNs = Number(process.hrtime.bigint() - t0);

fullGc();
const after = process.memoryUsage();

const totals = store.totals();
let arrayBytes = 0;
let lists = 0;
store.torrents.forEach((swarm) => {
  for (const list of [swarm.v4, swarm.v6]) {
    if (list === null) continue;
    lists++;
    arrayBytes += list.bytes();
  }
});

const stored = totals.seeders + totals.leechers;
const rssDelta = after.rss - before.rss;
process.stdout.write(
  JSON.stringify({
    peers,
    torrents,
    stored,
    swarms: totals.torrents,
    lists,
    rssBefore: before.rss,
    rssAfter: after.rss,
    bytesPerPeer: rssDelta / stored,
    heapUsedDelta: after.heapUsed - before.heapUsed,
    heapTotalDelta: after.heapTotal - before.heapTotal,
    externalDelta: after.external - before.external,
    arrayBuffersDelta: after.arrayBuffers - before.arrayBuffers,
    storeArrayBytes: arrayBytes,
    storeArrayBytesPerPeer: arrayBytes / stored,
    fillAnnouncesPerSec: peers / (fillNs / 1e9),
  }) + '\n',
);

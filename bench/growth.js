/**
 * Cost growth (issue 3: announce cost flat in swarm size, within 1.5x between swarms of 10, 1,000
 * and 100,000 peers).
 *
 *   node bench/growth.js [OPS_PER_SAMPLE] [SAMPLES] [SIZES, default 10,1000,100000]
 *
 * Times what the tracker does per announce in the store: SwarmStore.announce() then
 * selectPeers() of 50 into a reply buffer. Two layouts, because "swarm size" cannot be varied
 * alone:
 *   one     one swarm of the size under test takes every announce. This is the cost of an announce
 *           in a swarm of that size; the data touched grows with the swarm, as it does in life.
 *   spread  the same total (the largest size, 100,000 peers) in swarms of the size under test
 *           (10,000 swarms of 10, 100 of 1,000, 1 of 100,000), announces to a random swarm. The
 *           peers held are equal; small swarms add a hash lookup miss and the per-swarm objects.
 * Announces pick a random member; 1 in 10 is churn (a `stopped` of the swarm's oldest peer then a
 * `started` of a new one in the same swarm, so sizes stay exact and inserts and removals are timed).
 *
 * The sizes are measured interleaved (sample 1 of each size, then sample 2, ...) so that a burst
 * of outside load hits all sizes alike; the median sample per size is reported as one JSON line.
 */
import { pathToFileURL } from 'node:url';

// FJORD_DIST: the copy of dist/ that run.js benchmarks (see its snapshotDist); else ../dist.
const dist = process.env.FJORD_DIST
  ? pathToFileURL(`${process.env.FJORD_DIST}/`)
  : new URL('../dist/', import.meta.url);
const { SwarmStore, Announced, tickOf } = await import(new URL('swarm/store.js', dist).href);

const opsPerSample = Number(process.argv[2] ?? 1_000_000);
const samples = Number(process.argv[3] ?? 7);
const sizes = (process.argv[4] ?? '10,1000,100000').split(',').map(Number);
const layouts = ['one', 'spread'];
const TOTAL = Math.max(...sizes);

// xorshift32: cheap, deterministic, and the same cost for every size.
let rng = 0x2545f491;
function rand(n) {
  rng ^= rng << 13;
  rng ^= rng >>> 17;
  rng ^= rng << 5;
  return ((rng >>> 0) % n) | 0;
}

function writeHash(buf, off, i) {
  let z = (i + 1) * 0x9e3779b1;
  for (let k = 0; k < 20; k += 4) {
    z = Math.imul(z ^ (z >>> 15), 0x85ebca6b) + k;
    buf[off + k] = z >>> 24;
    buf[off + k + 1] = z >>> 16;
    buf[off + k + 2] = z >>> 8;
    buf[off + k + 3] = z;
  }
}

/** Peer `id` of swarm `s` as compact bytes: a distinct address per (swarm, id), a fixed port. */
function writePeer(buf, s, id) {
  const addr = (Math.imul(s, 0x01000193) + id) >>> 0;
  buf[0] = addr >>> 24;
  buf[1] = addr >>> 16;
  buf[2] = addr >>> 8;
  buf[3] = addr;
  buf[4] = 0x1a;
  buf[5] = 0xe1;
}

const tick = tickOf(Date.now() / 1000);
const out = Buffer.alloc(20 + 50 * 18);
const peer = new Uint8Array(6);
const announced = new Announced();

function build(size, layout) {
  const swarms = layout === 'one' ? 1 : Math.max(1, Math.round(TOTAL / size));
  // As the tracker makes it: 9 statistics counters per swarm (src/stats/announce-stats.ts).
  const store = new SwarmStore({ counterSlots: 9 });
  const hashes = new Uint8Array(swarms * 20);
  // Swarm s holds peer ids [lo[s], lo[s] + size); churn retires lo and adds lo + size.
  const lo = new Int32Array(swarms);
  const hi = new Int32Array(swarms);
  for (let s = 0; s < swarms; s++) {
    writeHash(hashes, s * 20, s);
    for (let id = 0; id < size; id++) {
      writePeer(peer, s, id);
      store.announce(hashes, s * 20, peer, 0, false, id % 3 === 0, 2, tick, false, announced);
    }
    hi[s] = size;
  }
  return { size, layout, swarms, store, hashes, lo, hi };
}

let sink = 0;
function sample(b, ops) {
  const { store, hashes, lo, hi, swarms } = b;
  const t0 = process.hrtime.bigint();
  let churned = 0;
  for (let k = 0; k < ops; k++) {
    const op = k % 20;
    // The `started` goes to the swarm the `stopped` just left, so every size stays exact.
    const s = op === 1 ? churned : swarms === 1 ? 0 : rand(swarms);
    let id;
    let event = 0;
    if (op === 0) {
      id = lo[s]++;
      event = 3; // stopped: the oldest peer leaves
      churned = s;
    } else if (op === 1) {
      id = hi[s]++;
      event = 2; // started: a new peer joins
    } else {
      id = lo[s] + rand(hi[s] - lo[s]);
    }
    writePeer(peer, s, id);
    const seed = id % 3 === 0;
    store.announce(hashes, s * 20, peer, 0, false, seed, event, tick, false, announced);
    if (event !== 3 && announced.known) sink += store.selectPeers(announced, false, seed, 50, out, 20);
  }
  return Number(process.hrtime.bigint() - t0) / ops;
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const report = { opsPerSample, samplesPerSize: samples };
for (const layout of layouts) {
  const builds = sizes.map((size) => build(size, layout));
  // Warm up every path (the JIT sees all sizes before any sample counts).
  for (const b of builds) sample(b, Math.min(opsPerSample, 200_000));
  const ns = sizes.map(() => []);
  for (let r = 0; r < samples; r++) builds.forEach((b, i) => ns[i].push(sample(b, opsPerSample)));
  const rows = sizes.map((size, i) => ({
    size,
    swarms: builds[i].swarms,
    nsPerAnnounce: median(ns[i]),
    samples: ns[i].map((x) => Math.round(x)),
  }));
  const m = rows.map((r) => r.nsPerAnnounce);
  report[layout] = { sizes: rows, ratio: Math.max(...m) / Math.min(...m) };
}
report.sink = sink;
process.stdout.write(JSON.stringify(report) + '\n');

#!/usr/bin/env node
// The shared Redis swarm store (src/swarm/redis-store.ts) beside the memory store, on a private
// redis-server started here on a free port (no persistence), never the machine's Redis:
//
//   npm run build && node bench/redis-store.js [--quick]
//
// Reports, side by side in one run:
//   - CPU per announce (announce + selectPeers of 50, this process's user+system time), memory store
//     and Redis store (its sync included: encoding, script calls, reading its own stream entries
//     back), and their ratio (target <= 1.3); plus the CPU a node spends applying another node's
//     announce (a second store in the same process);
//   - Redis commands and round trips per announce, amortised (INFO commandstats deltas: every
//     command the store sent, script calls and stream reads together);
//   - bytes per peer held in Redis (INFO memory used_memory delta over the peers stored);
//   - the replication delay between two nodes (announce on A until B's view has it), p50 and p99.
// Exports runRedisStoreBench({ quick, dist, log }) for bench/run.js.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function redisInfo(port, section) {
  const r = spawnSync('redis-cli', ['-p', String(port), 'info', section], { encoding: 'utf8' });
  const m = new Map();
  for (const line of r.stdout.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

// Commands the store's scripts call inside Redis: commandstats counts them too, but they cost no
// round trip. Every other command counted was sent by a client (the store, or redis-cli's INFO).
const IN_SCRIPT = new Set([
  'get',
  'exists',
  'rename',
  'del',
  'set',
  'hget',
  'hdel',
  'hincrby',
  'hset',
  'xadd',
  'time',
]);

/** Calls of commands sent by clients (INFO and COMMAND left out): each one round trip here. */
function commandCalls(port) {
  let n = 0;
  for (const [k, v] of redisInfo(port, 'commandstats')) {
    const name = k.slice('cmdstat_'.length);
    if (!k.startsWith('cmdstat_') || name === 'info' || name === 'command' || IN_SCRIPT.has(name)) continue;
    n += Number(/calls=(\d+)/.exec(v)?.[1] ?? 0);
  }
  return n;
}

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

export async function runRedisStoreBench({ quick = false, dist, log = () => {} } = {}) {
  if (
    spawnSync('sh', ['-c', 'command -v redis-server && command -v redis-cli'], { stdio: 'ignore' }).status !==
    0
  )
    throw new Error('needs redis-server and redis-cli (apt-get install redis-server redis-tools)');
  const base = dist ?? join(new URL('..', import.meta.url).pathname, 'dist');
  const { SwarmStore, tickOf } = await import(pathToFileURL(join(base, 'swarm/store.js')).href);
  const { Announced, EVENT_NONE } = await import(pathToFileURL(join(base, 'swarm/peer-store.js')).href);
  const { RedisPeerStore } = await import(pathToFileURL(join(base, 'swarm/redis-store.js')).href);

  const port = await freePort();
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  try {
    for (let i = 0; i < 100 && redisInfo(port, 'server').size === 0; i++) await sleep(50);
    const url = `redis://127.0.0.1:${port}`;
    const TORRENTS = quick ? 500 : 1000;
    const PEERS = quick ? 50 : 100; // per torrent
    const ANNOUNCES = quick ? 100_000 : 300_000;
    const ROUNDS = quick ? 2 : 3;
    const opts = { peersPerAddress: 255, counterSlots: 9 };
    const hashes = Buffer.alloc(20 * TORRENTS);
    for (let t = 0; t < TORRENTS; t++) hashes.writeUInt32BE(t + 1, 20 * t + 16);
    const peer = Buffer.alloc(6);
    const out = Buffer.alloc(50 * 18);
    const a = new Announced();
    const tick = tickOf(Date.now() / 1000);

    /** ANNOUNCES announces (each with a peer selection), yielding every 1,000 so a sync can run. */
    async function load(store, seed = 0) {
      for (let i = 0; i < ANNOUNCES; i++) {
        const t = (i * 7919 + seed) % TORRENTS;
        const p = (i + seed) % (TORRENTS * PEERS);
        peer.writeUInt32BE(0x0a000000 + p, 0);
        peer.writeUInt16BE(1 + (p % 60000), 4);
        store.announce(hashes, 20 * t, peer, 0, false, i % 3 === 0, EVENT_NONE, tick, false, a);
        store.selectPeers(a, false, i % 3 === 0, 50, out, 0);
        if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
      }
    }
    const settle = async (...stores) => {
      for (let i = 0; i < 400; i++) {
        if (stores.every((s) => s.status().buffered === 0)) break;
        await sleep(5);
      }
      await sleep(150); // the last stream entries read back
    };

    const mem = [];
    const red = [];
    const pairs = [];
    const cmds = [];
    let applied = 0;
    let prefixN = 0;
    for (let round = 0; round < ROUNDS; round++) {
      log(`round ${round + 1}/${ROUNDS}: ${ANNOUNCES} announces on each store`);
      const m = new SwarmStore(opts);
      let c0 = cpuMs();
      await load(m);
      mem.push((cpuMs() - c0) / ANNOUNCES);
      const r = new RedisPeerStore({
        ...opts,
        url,
        keyPrefix: `bench${prefixN++}:`,
        nodeId: 'A',
        log: () => {},
      });
      await r.open();
      await sleep(200);
      const calls0 = commandCalls(port);
      c0 = cpuMs();
      await load(r);
      await settle(r);
      red.push((cpuMs() - c0) / ANNOUNCES);
      cmds.push((commandCalls(port) - calls0) / ANNOUNCES);
      await r.close();
      // The same on node A with a node B in this process applying A's announces.
      const pA = `bench${prefixN++}:`;
      const nA = new RedisPeerStore({ ...opts, url, keyPrefix: pA, nodeId: 'A', log: () => {} });
      const nB = new RedisPeerStore({ ...opts, url, keyPrefix: pA, nodeId: 'B', log: () => {} });
      await nA.open();
      await nB.open();
      await sleep(200);
      c0 = cpuMs();
      await load(nA);
      await settle(nA, nB);
      pairs.push((cpuMs() - c0) / ANNOUNCES);
      applied += nB.sync.entriesApplied;
      await nA.close();
      await nB.close();
    }
    const med = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
    // Applying another node's records, timed alone: the records A would send for the same load,
    // handed to a store's applyEntry as its stream reader does (validation included).
    const batch = Buffer.alloc(27 * ANNOUNCES);
    for (let i = 0; i < ANNOUNCES; i++) {
      const t = (i * 7919) % TORRENTS;
      const p = i % (TORRENTS * PEERS);
      const o = 27 * i;
      batch[o] = 1 | (i % 3 === 0 ? 8 : 0);
      hashes.copy(batch, o + 1, 20 * t, 20 * t + 20);
      batch.writeUInt32BE(0x0a000000 + p, o + 21);
      batch.writeUInt16BE(1 + (p % 60000), o + 25);
    }
    const applyRuns = [];
    for (let round = 0; round < ROUNDS; round++) {
      const b = new RedisPeerStore({ ...opts, url, keyPrefix: 'unused:', nodeId: 'B', log: () => {} });
      const c0 = cpuMs();
      for (let o = 0; o < batch.length; o += 27 * 1000) {
        const part = batch.subarray(o, Math.min(batch.length, o + 27 * 1000));
        if (!RedisPeerStore.validRecords(part)) throw new Error('bench batch malformed');
        b.applyEntry(part, Buffer.alloc(0));
      }
      applyRuns.push((cpuMs() - c0) / ANNOUNCES);
    }
    const pair = med(pairs);
    const pA = `bench${prefixN++}:`;
    const nA = new RedisPeerStore({ ...opts, url, keyPrefix: pA, nodeId: 'A', log: () => {} });
    const nB = new RedisPeerStore({ ...opts, url, keyPrefix: pA, nodeId: 'B', log: () => {} });
    await nA.open();
    await nB.open();

    // Bytes per peer in Redis: the peers hash of a fresh prefix filled with distinct peers.
    log('bytes per peer held in Redis');
    const used0 = Number(redisInfo(port, 'memory').get('used_memory'));
    const pM = `bench${prefixN++}:`;
    const fill = new RedisPeerStore({ ...opts, url, keyPrefix: pM, nodeId: 'M', log: () => {} });
    await fill.open();
    const FILL = quick ? 100_000 : 300_000;
    for (let i = 0; i < FILL; i++) {
      peer.writeUInt32BE(0x0b000000 + i, 0);
      peer.writeUInt16BE(6881, 4);
      fill.announce(hashes, 20 * (i % TORRENTS), peer, 0, false, false, EVENT_NONE, tick, false, a);
      if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
    }
    await settle(fill);
    await fill.close();
    // The stream holds the batches for LOG_RETAIN_MS: delete it to count the peers alone.
    spawnSync('redis-cli', ['-p', String(port), 'del', `{${pM}}log`]);
    const used1 = Number(redisInfo(port, 'memory').get('used_memory'));
    const bytesPerPeer = (used1 - used0) / FILL;

    // Replication delay: a new peer on A, until B's view has it.
    log('replication delay A -> B');
    const delays = [];
    const probe = { seeders: 0, leechers: 0, downloaded: 0 };
    const SAMPLES = quick ? 100 : 300;
    const hb = Buffer.alloc(20);
    for (let i = 0; i < SAMPLES; i++) {
      hb.writeUInt32BE(0xdead0000 + i, 0);
      peer.writeUInt32BE(0x0c000000 + i, 0);
      const t0 = performance.now();
      nA.announce(hb, 0, peer, 0, false, false, EVENT_NONE, tick, false, a);
      for (;;) {
        nB.scrape(hb, 0, probe);
        if (probe.leechers === 1) break;
        if (performance.now() - t0 > 5000) break;
        await sleep(1);
      }
      delays.push(performance.now() - t0);
      await sleep(5 + (i % 7) * 7);
    }
    await nA.close();
    await nB.close();
    spawnSync('redis-cli', ['-p', String(port), 'flushall']);

    const result = {
      announcesPerRound: ANNOUNCES,
      torrents: TORRENTS,
      peersPerTorrent: PEERS,
      rounds: ROUNDS,
      memoryCpuUsPerAnnounce: med(mem) * 1000,
      redisCpuUsPerAnnounce: med(red) * 1000,
      ratio: med(red) / med(mem),
      applyOtherNodeUsPerAnnounce: med(applyRuns) * 1000,
      pairCpuUsPerAnnounce: pair * 1000,
      entriesApplied: applied,
      commandsPerAnnounce: med(cmds),
      bytesPerPeer,
      replicationMs: { p50: percentile(delays, 50), p99: percentile(delays, 99), samples: delays.length },
      load: loadavg(),
    };
    result.markdown = redisStoreMarkdown(result);
    return result;
  } finally {
    server.kill('SIGKILL');
  }
}

export function redisStoreMarkdown(r) {
  const f = (x, d = 2) => x.toFixed(d);
  return [
    `${r.rounds} rounds of ${r.announcesPerRound.toLocaleString('en')} announces (each with a selection of 50 peers) over ${r.torrents} torrents of up to ${r.peersPerTorrent} peers; private redis-server on loopback; load average ${r.load.map((x) => x.toFixed(1)).join(' ')}.`,
    '',
    '| figure | memory store | Redis store | target |',
    '|---|---|---|---|',
    `| CPU per announce, this node's own (µs, median of rounds) | ${f(r.memoryCpuUsPerAnnounce)} | ${f(r.redisCpuUsPerAnnounce)} (${f(r.ratio)}x) | <= 1.3x |`,
    `| CPU to apply another node's announce (µs, its records applied alone) | - | ${f(r.applyOtherNodeUsPerAnnounce)} | |`,
    `| Redis commands sent (each one round trip) per announce, amortised | - | ${f(r.commandsPerAnnounce, 4)} | <= 1 |`,
    `| bytes per peer held in Redis | - | ${f(r.bytesPerPeer, 1)} | |`,
    `| replication delay A to B, p50 / p99 (ms, ${r.replicationMs.samples} samples) | - | ${f(r.replicationMs.p50, 1)} / ${f(r.replicationMs.p99, 1)} | < 2000 |`,
  ].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await runRedisStoreBench({
    quick: process.argv.includes('--quick'),
    log: (s) => process.stderr.write(`redis: ${s}\n`),
  });
  process.stdout.write(r.markdown + '\n');
}

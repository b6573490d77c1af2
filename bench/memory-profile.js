/**
 * Where a whole fjord process's memory goes when it is filled over UDP (issue 12: <= 32 bytes of
 * resident memory growth per peer at 2,000,000 peers over 10,000 torrents).
 *
 *   npm run build && node bench/memory-profile.js [PEERS] [UDP_LOAD] [-- NODE_FLAGS...]
 *
 * Starts `fjord serve --open` (with bin/node-flags.js and an inspector port), fills it with
 * udp-load (from /work/shared/tools/udp-load.c; 128 source addresses because of the 8-peers-per-
 * address limit) until /stats says PEERS peers, and prints one JSON line: RSS before, after, and
 * after a forced full GC, each with the process's own process.memoryUsage() (V8 heap used and
 * committed, ArrayBuffers) and /proc's anonymous memory, so that the growth splits into V8 heap,
 * array buffers and the rest (the allocator: malloc's per-block overhead and the pages it keeps).
 * Environment variables (MALLOC_ARENA_MAX, ...) pass through to fjord.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../bin/node-flags.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dashes = process.argv.indexOf('--');
const args = dashes < 0 ? process.argv.slice(2) : process.argv.slice(2, dashes);
const extraFlags = dashes < 0 ? [] : process.argv.slice(dashes + 1);
const target = Number(args[0] ?? 2_000_000);
const udpLoad = args[1] ?? join(ROOT, 'bench/.build/udp-load');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const data = mkdtempSync(join(tmpdir(), 'fjord-memprof-'));
const port = 20000 + Math.floor(Math.random() * 20000);
const inspect = port + 1;
const child = spawn(
  process.execPath,
  [
    ...NODE_FLAGS,
    ...extraFlags,
    `--inspect=127.0.0.1:${inspect}`,
    join(ROOT, 'dist/cli/main.js'),
    'serve',
    '--open',
    '--udp',
    `127.0.0.1:${port}`,
    '--http',
    `127.0.0.1:${port}`,
    '--admin',
    'off',
    '--data',
    data,
  ],
  { stdio: ['ignore', 'pipe', 'pipe'] },
);
let err = '';
child.stderr.on('data', (c) => (err += c));
await new Promise((resolve, reject) => {
  child.stdout.on('data', (c) => String(c).includes('listening udp') && resolve());
  child.on('exit', (code) => reject(new Error(`fjord exited ${code}: ${err}`)));
});

/** Evaluates an expression in fjord through the inspector. */
async function evaluate(expression) {
  const { default: WebSocket } = await import('ws');
  const list = await (await fetch(`http://127.0.0.1:${inspect}/json/list`)).json();
  const ws = new WebSocket(list[0].webSocketDebuggerUrl);
  try {
    return await new Promise((resolve, reject) => {
      ws.once('error', reject);
      ws.once('open', () =>
        ws.send(
          JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression, returnByValue: true } }),
        ),
      );
      ws.on('message', (m) => {
        const r = JSON.parse(String(m));
        if (r.id === 1) resolve(r.result?.result?.value);
      });
    });
  } finally {
    ws.close();
  }
}

function proc() {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

async function reading() {
  const text = await evaluate('JSON.stringify(process.memoryUsage())').catch(() => null);
  const mu = JSON.parse(text ?? 'null');
  return { ...proc(), ...mu };
}

async function peers() {
  try {
    const t = await (await fetch(`http://127.0.0.1:${port}/stats?mode=peer`)).text();
    return Number(t.split('\n')[0]);
  } catch {
    return 0;
  }
}

try {
  await sleep(500);
  const before = await reading();
  const load = spawn(
    udpLoad,
    [
      '-p',
      String(port),
      '-d',
      '120',
      '-c',
      '128',
      '-S',
      '128',
      '-n',
      '10000',
      '-P',
      '3840000',
      '-s',
      '0',
      '-C',
      '0',
    ],
    { stdio: 'ignore' },
  );
  const t0 = Date.now();
  let n = 0;
  while (Date.now() - t0 < 120_000 && load.exitCode === null) {
    await sleep(500);
    n = await peers();
    if (n >= target) break;
  }
  load.kill('SIGTERM');
  await sleep(700);
  n = await peers();
  const after = await reading();
  // MEMPROF_TRIM=1: malloc_trim(0) in fjord through gdb, to see what the allocator keeps but frees.
  let trimmed = null;
  if (process.env.MEMPROF_TRIM === '1') {
    const stats = ['-ex', 'call (void)malloc_stats()'];
    spawnSync(
      'gdb',
      ['-p', String(child.pid), '-batch', ...stats, '-ex', 'call (int)malloc_trim(0)', ...stats],
      {
        stdio: 'ignore',
      },
    );
    trimmed = await reading();
  }
  const { default: WebSocket } = await import('ws');
  const list = await (await fetch(`http://127.0.0.1:${inspect}/json/list`)).json();
  const ws = new WebSocket(list[0].webSocketDebuggerUrl);
  await new Promise((resolve) => {
    ws.once('open', () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
    ws.on('message', (m) => JSON.parse(String(m)).id === 1 && resolve());
  });
  ws.close();
  await sleep(300);
  const gc = await reading();
  const per = (a, k) => (a[k] - before[k]) / n;
  const split = (a) => ({
    rss: per(a, 'rss'),
    heapUsed: per(a, 'heapUsed'),
    heapTotal: per(a, 'heapTotal'),
    arrayBuffers: per(a, 'arrayBuffers'),
    rest: per(a, 'rss') - per(a, 'heapTotal') - per(a, 'arrayBuffers'),
  });
  process.stdout.write(
    JSON.stringify({
      peers: n,
      seconds: (Date.now() - t0) / 1000,
      before,
      after,
      gc,
      perPeer: split(after),
      perPeerTrimmed: trimmed && split(trimmed),
      perPeerGc: split(gc),
      mallocStats: trimmed && err.slice(err.indexOf('Arena 0:')),
    }) + '\n',
  );
} finally {
  child.kill('SIGKILL');
  rmSync(data, { recursive: true, force: true });
}

/**
 * Process plumbing for the benchmark runner: tracked children (so nothing outlives the run), free
 * loopback ports, starting and stopping the three trackers, and running the two load generators.
 *
 * Every server is pinned to core 1 and every load generator to core 0 (taskset), so the figures
 * compare one tracker core against one load core, as issue 3 defines them.
 */
/* global fetch -- Node 20 has it; the shared lint config lists only a few globals */
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { NODE_FLAGS } from '../bin/node-flags.js';

export const SERVER_CPU = '1';
export const LOAD_CPU = '0';

// ---------------------------------------------------------------------------------------------
// Children: every process we start is in this set until it exits, and is killed when we exit.

const children = new Set();

/** Kills whatever is still running; synchronous, so it also works from process.on('exit'). */
export function killAll() {
  for (const c of children) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}

let handlersInstalled = false;
function installHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig}: stopping the servers and loads\n`);
      killAll();
      process.exit(130);
    });
  }
}

/**
 * Spawns a tracked child. Its output is kept (the whole stdout for load generators, whose last
 * line is the result; a tail of stderr for error reports) and `done` resolves with
 * { code, signal, stdout, stderr } when it exits.
 */
export function startChild(cmd, args, opts = {}) {
  installHandlers();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.add(child);
  let stdout = '';
  let stderr = '';
  const onLine = opts.onStdout;
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    stdout = (stdout + d).slice(-65536);
    if (onLine) onLine(stdout);
  });
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-8192);
  });
  child.done = new Promise((resolve) => {
    child.on('error', (err) => {
      stderr += `\n${err.message}`;
    });
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  child.output = () => ({ stdout, stderr });
  return child;
}

/** Runs a child to its end (tracked, with a time limit) and returns { code, signal, stdout, stderr }. */
export async function runChild(cmd, args, { timeoutMs = 600_000, onStart, ...opts } = {}) {
  const child = startChild(cmd, args, opts);
  if (onStart) onStart(child);
  const timer = setTimeout(() => {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }, timeoutMs);
  const r = await child.done;
  clearTimeout(timer);
  return r;
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`. Resolves when it has exited. */
export async function stopChild(child, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return child.done;
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return child.done;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }, graceMs);
  const r = await child.done;
  clearTimeout(timer);
  return r;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

// ---------------------------------------------------------------------------------------------
// Ports: one number free for both TCP and UDP on 127.0.0.1 (the trackers listen on both).

function tryUdp(port) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export async function freePort() {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = srv.address().port;
        srv.close(() => resolve(p));
      });
    });
    if (await tryUdp(port)) return port;
  }
  throw new Error('no free loopback port for both TCP and UDP');
}

// ---------------------------------------------------------------------------------------------
// Readiness: a BEP 15 connect answered on UDP and a TCP connect accepted. The same probe for all
// three servers, so no server is timed before it serves.

function udpConnectProbe(port, timeoutMs) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const pkt = Buffer.alloc(16);
    pkt.writeBigUInt64BE(0x41727101980n, 0);
    pkt.writeUInt32BE(0, 8);
    pkt.writeUInt32BE(0x5eed, 12);
    const t = setTimeout(() => {
      s.close();
      resolve(false);
    }, timeoutMs);
    s.on('error', () => {});
    s.on('message', (m) => {
      if (m.length >= 16 && m.readUInt32BE(0) === 0 && m.readUInt32BE(4) === 0x5eed) {
        clearTimeout(t);
        s.close();
        resolve(true);
      }
    });
    s.send(pkt, port, '127.0.0.1');
  });
}

function tcpProbe(port) {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

async function waitReady(child, name, port, timeoutMs = 15000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const { stderr, stdout } = child.output();
      throw new Error(
        `${name} exited before serving (code ${child.exitCode}): ${(stderr || stdout).trim().slice(-800)}`,
      );
    }
    if ((await tcpProbe(port)) && (await udpConnectProbe(port, 300))) return;
    await sleep(100);
  }
  throw new Error(`${name} did not answer on 127.0.0.1:${port} within ${timeoutMs / 1000} s`);
}

// ---------------------------------------------------------------------------------------------
// The servers. Each start() gives { name, port, child, stop() } with a fresh state.

export const SERVERS = ['fjord', 'opentracker', 'bittorrent-tracker', 'node-floor'];

/**
 * fjord from the snapshot of dist/ (ctx.dist), closed to the whitelist like the other two, with a fresh data directory (so no
 * saved swarms from an earlier round). `nodeFlags` adds e.g. --cpu-prof for the profile runs;
 * `serveArgs(port)` gives more `fjord serve` options (the soak test adds a WebSocket listener).
 */
export async function startFjord(
  ctx,
  { nodeFlags = [], whitelist = ctx.whitelist, serveArgs = () => [] } = {},
) {
  const port = await freePort();
  const data = mkdtempSync(join(ctx.tmp, 'fjord-'));
  const args = [
    '-c',
    SERVER_CPU,
    process.execPath,
    ...NODE_FLAGS,
    ...nodeFlags,
    join(ctx.dist, 'cli/main.js'),
    'serve',
    '--udp',
    `127.0.0.1:${port}`,
    '--http',
    `127.0.0.1:${port}`,
    '--admin',
    'off',
    '--whitelist',
    whitelist,
    '--data',
    data,
    ...serveArgs(port),
  ];
  const child = startChild('taskset', args, { cwd: ctx.root });
  try {
    await waitReady(child, 'fjord', port);
  } catch (err) {
    await stopChild(child, 1000);
    rmSync(data, { recursive: true, force: true });
    throw err;
  }
  return {
    name: 'fjord',
    port,
    child,
    async stop() {
      const r = await stopChild(child);
      rmSync(data, { recursive: true, force: true });
      return r;
    },
  };
}

/**
 * Debian's opentracker (closed, whitelist build). It chroots into its directory and drops to
 * `nobody`, so the whitelist is copied into a world-readable directory of its own. `-A 127.0.0.1`
 * lets the memory benchmark read its peer count from /stats.
 */
export async function startOpentracker(ctx, { whitelist = ctx.whitelist } = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(ctx.tmp, 'ot-'));
  spawnSync('chmod', ['755', dir]);
  spawnSync('cp', [whitelist, join(dir, 'whitelist.txt')]);
  spawnSync('chmod', ['644', join(dir, 'whitelist.txt')]);
  const conf = join(dir, 'opentracker.conf');
  writeFileSync(conf, 'access.whitelist /whitelist.txt\n');
  const args = ['-c', SERVER_CPU, 'opentracker', '-i', '127.0.0.1', '-p', String(port), '-P', String(port)];
  args.push('-A', '127.0.0.1', '-f', conf, '-u', 'nobody', '-d', dir);
  const child = startChild('taskset', args);
  try {
    await waitReady(child, 'opentracker', port);
  } catch (err) {
    await stopChild(child, 1000);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    name: 'opentracker',
    port,
    child,
    async stop() {
      const r = await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
      return r;
    },
  };
}

export const BT_DIR_REL = 'bench/.build/bt';
export const BT_INSTALL = `mkdir -p ${BT_DIR_REL} && cd ${BT_DIR_REL} && npm init -y >/dev/null && npm install --ignore-scripts --no-audit --no-fund bittorrent-tracker@11`;

export function btInstalled(ctx) {
  return existsSync(join(ctx.root, BT_DIR_REL, 'node_modules/bittorrent-tracker/server.js'));
}

/** Installs bittorrent-tracker into the scratch folder (only when the user asked: --install-peers). */
export async function installBt(ctx) {
  const dir = join(ctx.root, BT_DIR_REL);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'package.json')))
    writeFileSync(
      join(dir, 'package.json'),
      '{ "name": "fjord-bench-peers", "private": true, "type": "module" }\n',
    );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = await runChild(
    npm,
    ['install', '--ignore-scripts', '--no-audit', '--no-fund', 'bittorrent-tracker@11'],
    {
      cwd: dir,
      timeoutMs: 300_000,
    },
  );
  if (r.code !== 0)
    throw new Error(`npm install bittorrent-tracker@11 failed: ${r.stderr.trim().slice(-600)}`);
}

export async function startBt(ctx) {
  const port = await freePort();
  const args = ['-c', SERVER_CPU, process.execPath, join(ctx.root, 'bench/bt-server.js')];
  args.push(join(ctx.root, BT_DIR_REL), String(port), ctx.whitelist);
  const child = startChild('taskset', args, { cwd: ctx.root });
  try {
    await waitReady(child, 'bittorrent-tracker', port);
  } catch (err) {
    await stopChild(child, 1000);
    throw err;
  }
  return { name: 'bittorrent-tracker', port, child, stop: () => stopChild(child) };
}

/** Node's I/O floor (bench/floor-server.js): replies of the right size and no tracker logic. */
export async function startFloor(ctx) {
  const port = await freePort();
  const args = ['-c', SERVER_CPU, process.execPath, join(ctx.root, 'bench/floor-server.js'), String(port)];
  const child = startChild('taskset', args, { cwd: ctx.root });
  try {
    await waitReady(child, 'node-floor', port);
  } catch (err) {
    await stopChild(child, 1000);
    throw err;
  }
  return { name: 'node-floor', port, child, stop: () => stopChild(child) };
}

export function startServer(ctx, name, opts) {
  if (name === 'fjord') return startFjord(ctx, opts);
  if (name === 'opentracker') return startOpentracker(ctx, opts);
  if (name === 'node-floor') return startFloor(ctx, opts);
  return startBt(ctx, opts);
}

// ---------------------------------------------------------------------------------------------
// Loads. Each returns the parsed last line, or { error } with what went wrong.

const UDP_RE =
  /udp-load: (\d+) replies\/s \(announce (\d+)\/s, scrape (\d+)\/s, connect (\d+)\/s\), errors (\d+), malformed (\d+), lost (\d+), sent (\d+), latency p50 ([\d.]+) ms p99 ([\d.]+) ms p999 ([\d.]+) ms/;

export async function udpLoad(ctx, port, seconds, onStart) {
  const args = ['-c', LOAD_CPU, ctx.udpLoad, '-p', String(port), '-d', String(seconds)];
  args.push('-c', '128', '-S', '16', '-n', '1000', '-P', '10000');
  const r = await runChild('taskset', args, { timeoutMs: (seconds + 30) * 1000, onStart });
  const m = UDP_RE.exec(r.stdout);
  if (!m)
    return { error: `udp-load gave no result (exit ${r.code}): ${(r.stdout + r.stderr).trim().slice(-400)}` };
  const n = m.slice(1).map(Number);
  return {
    rps: n[0],
    announce: n[1],
    scrape: n[2],
    connect: n[3],
    errors: n[4],
    malformed: n[5],
    lost: n[6],
    sent: n[7],
    p50: n[8],
    p99: n[9],
    p999: n[10],
  };
}

const HTTP_RE = /http-announce: (\d+) replies\/s, non-2xx (\d+), errors (\d+)/;

export async function httpLoad(ctx, port, seconds, onStart) {
  const args = ['-c', LOAD_CPU, 'wrk', '-t1', '-c64', `-d${seconds}s`, '-s', ctx.httpLua];
  args.push(`http://127.0.0.1:${port}`, '--', ctx.hashesFile);
  const r = await runChild('taskset', args, { timeoutMs: (seconds + 30) * 1000, onStart });
  const m = HTTP_RE.exec(r.stdout);
  if (!m)
    return { error: `wrk gave no result (exit ${r.code}): ${(r.stdout + r.stderr).trim().slice(-400)}` };
  const lat = /Latency\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  const toMs = (v, u) => (u === 'us' ? v / 1000 : u === 's' ? v * 1000 : v);
  return {
    rps: Number(m[1]),
    non2xx: Number(m[2]),
    errors: Number(m[3]),
    avgLatencyMs: lat ? toMs(Number(lat[1]), lat[2]) : null,
  };
}

/** Reads a tracker's peer count from an opentracker-style `/stats?mode=peer` (fjord mimics it). */
export async function statsPeers(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/stats?mode=peer`);
    const text = await res.text();
    const n = Number(text.split('\n')[0]);
    return Number.isFinite(n) && res.ok ? n : null;
  } catch {
    return null;
  }
}

/** Resident memory of a process in bytes, from /proc (VmRSS). */
export function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Forces a full garbage collection in a Node process started with --inspect=127.0.0.1:PORT, via
 * the inspector protocol (HeapProfiler.collectGarbage), so its RSS can be read without garbage
 * that only waits for the next major GC. Uses `ws`, which fjord already depends on. Resolves to
 * true when the collection ran.
 */
export async function inspectorGc(port, timeoutMs = 10_000) {
  const { default: WebSocket } = await import('ws');
  const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const ws = new WebSocket(list[0].webSocketDebuggerUrl);
  try {
    return await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('inspector: no answer')), timeoutMs);
      ws.once('error', reject);
      ws.once('open', () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
      ws.on('message', (m) => {
        if (JSON.parse(String(m)).id === 1) {
          clearTimeout(t);
          resolve(true);
        }
      });
    });
  } finally {
    ws.close();
  }
}

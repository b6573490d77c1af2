#!/usr/bin/env node
/**
 * Soak test (issue 18): one real `fjord serve` (UDP, HTTP and WebSocket on one loopback port,
 * closed to udp-load's 1,000 deterministic torrents) under UDP, HTTP and WebSocket announces
 * together for N minutes, with 1% malformed traffic of each kind mixed in.
 *
 *   npm run soak -- --minutes 10 [--rate R] [--http-rate H] [--ws-rate W]
 *
 * 1. The maximum: udp-load (../shared/tools/udp-load.c, closed loop, 128 in flight) for 5 s
 *    against the fresh server gives its UDP replies/s, unless --rate gives it.
 * 2. The rate: the mixed load's own 80% point. With the HTTP and WebSocket load running, UDP is
 *    sent for 8 s at 80% of that maximum, and the server's CPU share measured; while it is above
 *    80% of its core, or more than 1% of valid UDP announces go unanswered (not keeping up), the
 *    UDP rate is lowered in proportion and measured again (at most 6 steps).
 *    The closed-loop UDP-only maximum overstates what the server has left under the mixed load
 *    (the first 10-minute run at 80% of it saturated the server: 94-99% CPU, UDP p99 80.6 ms).
 *    --cpu 0 skips this and sends --share of the maximum.
 * 3. The load, for N minutes: bench/soak-udp.c sends paced (open-loop) UDP announces at that
 *    rate, 1 in 100 of them malformed; this process sends HTTP announces (one connection each, as
 *    clients do) and WebSocket announces (over 20 open sockets) at H and W per second, 1 in 100
 *    of each malformed (bad request heads; bad frames on a socket of their own).
 * 4. Every 10 s a sample: UDP p50/p99 from soak-udp (every reply of the window); HTTP and WS
 *    p50/p99 from a probe client of each sending one announce every 100 ms and timing it; the
 *    server's RSS (/proc/PID/status) and CPU share (/proc/PID/stat); its V8 heap and its refused
 *    request counters (fjord_request_errors_total) from /metrics.
 *
 * Verdicts: UDP p99 over the whole run <= 5 ms; RSS after warm-up (the first 20% of the run) never
 * more than 5% above its value at the end of warm-up; zero wrong replies (a reply to a valid
 * request that does not parse or carries a failure) on every protocol; and the server still
 * answers each protocol at the end. Results go to bench/.build/soak-results.md and stdout.
 *
 * The server runs on core 1 and every load on core 0 (taskset), as in bench/run.js. Not part of
 * `npm test`. Needs dist/ (npm run build), a C compiler and taskset.
 */
/* global fetch -- Node 20 has it; the shared lint config lists only a few globals */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { LOAD_CPU, rssOf, sleep, startChild, startFjord, udpLoad, which } from './lib.js';
import { frame, wsConnect } from './ws.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const BUILD = join(ROOT, 'bench/.build');
const TOOLS = join(ROOT, '../shared/tools');
const RESULTS = join(BUILD, 'soak-results.md');
const TORRENTS = 1000;
const SAMPLE_MS = 10_000;
const UDP_P99_MS = 5;
const RSS_GROWTH = 0.05;
const CALIBRATION_S = 8;
const CALIBRATION_STEPS = 6;
/** Calibration also steps down while more than this share of valid UDP announces goes unanswered. */
const MAX_DROPPED = 0.01;

const HELP = `Usage: npm run soak -- [options]

Runs one fjord serve (UDP, HTTP, WebSocket on loopback) under all three protocols at once with 1%
malformed traffic, samples latency, memory and error counters every 10 s, and prints verdicts
(UDP p99 <= ${UDP_P99_MS} ms, RSS growth after warm-up <= ${RSS_GROWTH * 100}%, zero wrong replies).

Options:
  --minutes N      how long the load runs (default 10)
  --rate R         UDP replies/s taken as the maximum instead of measuring it (5 s of udp-load)
  --share F        fraction of the maximum the calibration starts from (default 0.8)
  --cpu P          server CPU share (% of its core) the UDP rate is calibrated down to under the
                   mixed load (default 80); 0: no calibration, UDP at --share of the maximum
  --http-rate H    HTTP announces/s besides the probe (default 200)
  --ws-rate W      WebSocket announces/s besides the probe (default 200)
  --help           this text

Results: ${RESULTS} (also printed). Needs dist/ (npm run build), a C compiler and taskset.
`;

function parseArgs(argv) {
  const o = { minutes: 10, rate: null, share: 0.8, cpu: 80, httpRate: 200, wsRate: 200 };
  const num = (name, v, min) => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min) {
      process.stderr.write(`soak: ${name} needs a number >= ${min}\n`);
      process.exit(2);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(HELP);
      process.exit(0);
    } else if (a === '--minutes') o.minutes = num(a, argv[++i], 0.5);
    else if (a === '--rate') o.rate = num(a, argv[++i], 1);
    else if (a === '--share') o.share = num(a, argv[++i], 0.01);
    else if (a === '--cpu') o.cpu = num(a, argv[++i], 0);
    else if (a === '--http-rate') o.httpRate = num(a, argv[++i], 0);
    else if (a === '--ws-rate') o.wsRate = num(a, argv[++i], 0);
    else {
      process.stderr.write(`soak: unknown option ${a}\n${HELP}`);
      process.exit(2);
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Figures.

function percentile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}
const pq = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 0.5), p99: percentile(s, 0.99), n: s.length };
};
const ms = (v) => (v === null || v === undefined ? '-' : v.toFixed(2));
const mb = (v) => (v === null || v === undefined ? '-' : (v / 1048576).toFixed(1));

function cpuTicks(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime, fields 14 and 15
  } catch {
    return null;
  }
}

async function metrics(port) {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const heap = /^fjord_process_nodejs_heap_size_used_bytes (\d+(?:\.\d+)?)/m.exec(text);
    const errors = { udp: 0, http: 0, ws: 0 };
    for (const m of text.matchAll(/^fjord_request_errors_total\{protocol="(\w+)",kind="(\w+)"\} (\d+)/gm))
      errors[m[1]] = (errors[m[1]] ?? 0) + Number(m[3]);
    return { heap: heap ? Number(heap[1]) : null, errors };
  } catch {
    return { heap: null, errors: null };
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP: one request per connection, from 200 loopback addresses with 8 peer ports each (so no
// swarm sees more than 8 peers of one address, fjord's default limit).

const hashes = () =>
  readFileSync(join(BUILD, 'hashes.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((h) => h.trim());

function httpExchange(port, localAddress, request, timeoutMs = 5000) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = net.connect({ port, host: '127.0.0.1', localAddress, noDelay: true });
    const chunks = [];
    const timer = setTimeout(() => s.destroy(new Error('timeout')), timeoutMs);
    s.on('connect', () => s.write(request));
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ ms: performance.now() - t0, reply: Buffer.concat(chunks).toString('latin1') });
    });
  });
}

/** A valid announce's reply: HTTP 200 and a bencoded dictionary without "failure reason". */
function httpReplyOk(reply) {
  const end = reply.indexOf('\r\n\r\n');
  if (end < 0 || !reply.startsWith('HTTP/1.1 200')) return false;
  const body = reply.slice(end + 4);
  return body.startsWith('d') && body.endsWith('e') && !body.includes('14:failure reason');
}

const BAD_HEADS = [
  'BLAH\r\n\r\n',
  'GET /announce?info_hash=%zz%zz HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /announce HTTP/1.1\r\nno colon here\r\n\r\n',
  `GET /announce?${'a'.repeat(20000)} HTTP/1.1\r\n\r\n`,
  'GET / HTTP/9.9\r\n\r\n',
  '\x00\x01\x02\x03\r\n\r\n',
];

function httpClient(port, list) {
  let n = 0;
  return (malformed) => {
    const i = n++;
    const addr = `127.0.3.${1 + (i % 200)}`;
    if (malformed) return httpExchange(port, addr, BAD_HEADS[i % BAD_HEADS.length]);
    const h = list[i % list.length].replace(/../g, '%$&');
    const peer = (i % 200) * 8 + (Math.floor(i / 200) % 8);
    const req =
      `GET /announce?info_hash=${h}&peer_id=-SK0001-${String(peer).padStart(12, '0')}` +
      `&port=${1024 + (Math.floor(i / 200) % 8)}&uploaded=0&downloaded=0&left=${peer % 3 ? 1000000 : 0}` +
      `&compact=1&numwant=50 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`;
    return httpExchange(port, addr, req);
  };
}

// ---------------------------------------------------------------------------------------------
// WebSocket: announces without offers (one reply each, in order) over open sockets.

const latin1Hash = (hex) => Buffer.from(hex, 'hex').toString('latin1');

let wrongShown = 0;

/** An open socket with a queue of pending announces; send() resolves with { ms, ok }. */
async function wsPeer(port, localAddress, index) {
  const pending = [];
  const sock = await wsConnect(port, localAddress, (payload) => {
    const p = pending.shift();
    if (!p) return;
    let ok = false;
    try {
      const m = JSON.parse(payload.toString('utf8'));
      ok = m.action === 'announce' && !('failure reason' in m);
    } catch {
      ok = false;
    }
    if (!ok && wrongShown++ < 3)
      process.stdout.write(`soak: wrong WebSocket reply: ${payload.toString('utf8').slice(0, 300)}\n`);
    p.resolve({ ms: performance.now() - p.t0, ok });
  });
  const peerId = `-SK0001-${String(index).padStart(12, '0')}`;
  const closed = { v: false };
  sock.on('close', () => {
    closed.v = true;
    for (const p of pending.splice(0)) p.resolve({ ms: performance.now() - p.t0, ok: false, lost: true });
  });
  return {
    closed,
    send(hexHash) {
      return new Promise((resolve) => {
        if (closed.v) return resolve({ ms: 0, ok: false, lost: true });
        const msg = { action: 'announce', info_hash: latin1Hash(hexHash), peer_id: peerId, numwant: 0 };
        Object.assign(msg, { uploaded: 0, downloaded: 0, left: 1000000, offers: [] });
        pending.push({ t0: performance.now(), resolve });
        sock.write(frame(JSON.stringify(msg)));
      });
    },
    close: () => sock.destroy(),
  };
}

const BAD_FRAMES = [
  () => Buffer.from([0x81, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f]), // unmasked client frame
  () => frame('hello', 0x3), // reserved opcode
  () => frame('{"action":"announce",'), // JSON cut short
  () => frame('not json at all'),
  () => Buffer.from([0x81, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]), // 2^63 bytes
  () => frame('x', 0x9 | 0x70), // RSV bits set on a ping
];

/** One bad frame on a socket of its own; resolves when the server has closed it (or after 2 s). */
async function wsBadFrame(port, i) {
  let sock;
  try {
    sock = await wsConnect(port, `127.0.5.${1 + (i % 200)}`, () => {});
  } catch {
    return;
  }
  await new Promise((resolve) => {
    const t = setTimeout(() => {
      sock.destroy();
      resolve();
    }, 2000);
    sock.on('close', () => {
      clearTimeout(t);
      resolve();
    });
    sock.on('error', () => {});
    sock.write(BAD_FRAMES[i % BAD_FRAMES.length]());
  });
}

// ---------------------------------------------------------------------------------------------

function ensureTools() {
  mkdirSync(BUILD, { recursive: true });
  const cc = which('cc') ?? which('gcc') ?? which('clang');
  if (!which('taskset')) throw new Error('taskset is needed (apt-get install util-linux)');
  const build = (src, out) => {
    if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) return;
    if (!cc) throw new Error('a C compiler is needed (apt-get install gcc)');
    const r = spawnSync(cc, ['-O2', '-o', out, src], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building ${src} failed: ${r.stderr}`);
  };
  build(join(TOOLS, 'udp-load.c'), join(BUILD, 'udp-load'));
  build(join(ROOT, 'bench/soak-udp.c'), join(BUILD, 'soak-udp'));
  const r = spawnSync(join(BUILD, 'udp-load'), ['--print-hashes', String(TORRENTS)], { encoding: 'utf8' });
  writeFileSync(join(BUILD, 'hashes.txt'), r.stdout);
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build`');
}

const UDP_LINE =
  /soak-udp: t=(\w+) sent (\d+) replies (\d+) wrong (\d+) junk (\d+) p50 ([\d.]+) p99 ([\d.]+) p999 ([\d.]+)/;

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  ensureTools();
  spawnSync('taskset', ['-pc', LOAD_CPU, String(process.pid)], { stdio: 'ignore' });
  const tmp = mkdtempSync(join(tmpdir(), 'fjord-soak-'));
  const ctx = { root: ROOT, dist: join(ROOT, 'dist'), tmp, whitelist: join(BUILD, 'hashes.txt') };
  ctx.udpLoad = join(BUILD, 'udp-load');
  const log = (s) => process.stdout.write(`${s}\n`);
  const started = new Date();
  const fj = await startFjord(ctx, { serveArgs: (p) => ['--ws', `127.0.0.1:${p}`] });
  const pid = fj.child.pid;
  const port = fj.port;
  log(`soak: fjord serve pid ${pid} on 127.0.0.1:${port} (UDP, HTTP, WebSocket), ${TORRENTS} torrents`);

  let maxRate = opts.rate;
  let maxNote = 'given with --rate';
  if (maxRate === null) {
    const m = await udpLoad(ctx, port, 5);
    if (m.error) throw new Error(m.error);
    maxRate = m.rps;
    maxNote = `udp-load, 5 s, 128 in flight: p50 ${ms(m.p50)} ms, p99 ${ms(m.p99)} ms at the maximum`;
    log(`soak: maximum measured with ${maxNote}: ${maxRate} UDP replies/s`);
  } else log(`soak: maximum given with --rate: ${maxRate} UDP replies/s`);
  let udpRate = Math.round(maxRate * opts.share);
  const seconds = Math.round(opts.minutes * 60);

  const list = hashes();
  // fjord lets one socket announce at most 100 torrents: socket k uses 50 of its own.
  const wsTorrent = (k, n) => list[(k * 50 + (Math.floor(n / 21) % 50)) % list.length];
  const http = httpClient(port, list);
  const wsPeers = [];
  for (let i = 0; i < 20; i++) wsPeers.push(await wsPeer(port, `127.0.4.${1 + i}`, i));
  const wsProbe = await wsPeer(port, '127.0.4.100', 100);

  // Counters of the whole run and of the current window.
  const total = {
    http: { sent: 0, ok: 0, wrong: 0, junk: 0 },
    ws: { sent: 0, ok: 0, wrong: 0, junk: 0, lost: 0 },
  };
  let win = { httpLat: [], wsLat: [], http: 0, ws: 0 };
  const inflight = new Set();
  const track = (p) => {
    inflight.add(p);
    p.finally(() => inflight.delete(p));
  };
  const countHttp = (r, probe) => {
    total.http.sent++;
    if (httpReplyOk(r.reply)) total.http.ok++;
    else {
      total.http.wrong++;
      if (total.http.wrong <= 5) log(`soak: wrong HTTP reply: ${JSON.stringify(r.reply.slice(0, 300))}`);
    }
    if (probe) win.httpLat.push(r.ms);
    win.http++;
  };
  const countWs = (r, probe) => {
    total.ws.sent++;
    if (r.lost) total.ws.lost++;
    else if (r.ok) total.ws.ok++;
    else total.ws.wrong++;
    if (probe && !r.lost) win.wsLat.push(r.ms);
    win.ws++;
  };

  // The HTTP and WebSocket load starts now and runs through the calibration and the soak.
  let endAt = Infinity;
  const issued = { http: 0, ws: 0, probe: 0 };
  const credit = { http: 0, ws: 0 };
  const pace = setInterval(() => {
    if (Date.now() >= endAt) return;
    credit.http += opts.httpRate / 100;
    credit.ws += opts.wsRate / 100;
    for (; credit.http >= 1; credit.http--) {
      if (issued.http++ % 100 === 99) {
        total.http.junk++;
        track(http(true));
      } else track(http(false).then((r) => countHttp(r, false)));
    }
    for (; credit.ws >= 1; credit.ws--) {
      const n = issued.ws++;
      if (n % 100 === 99) {
        total.ws.junk++;
        track(wsBadFrame(port, n));
      } else
        track(
          wsPeers[n % wsPeers.length].send(wsTorrent(n % wsPeers.length, n)).then((r) => countWs(r, false)),
        );
    }
  }, 10);
  const probes = setInterval(() => {
    if (Date.now() >= endAt) return;
    track(http(false).then((r) => countHttp(r, true)));
    track(wsProbe.send(wsTorrent(20, issued.probe++)).then((r) => countWs(r, true)));
  }, 100);

  // Calibration: the UDP rate at which the server uses at most opts.cpu % of its core under the
  // whole mixed load (8 s a step, the first 2 s of each not measured).
  const calibration = [];
  if (opts.cpu > 0) {
    for (let step = 0; step < CALIBRATION_STEPS; step++) {
      const child = startChild('taskset', [
        '-c',
        LOAD_CPU,
        join(BUILD, 'soak-udp'),
        String(port),
        String(udpRate),
        String(CALIBRATION_S),
        '64',
        String(TORRENTS),
        '10',
      ]);
      await sleep(2000);
      const c0 = cpuTicks(pid);
      const w0 = Date.now();
      await child.done;
      const cpu = ((cpuTicks(pid) - c0) / (Date.now() - w0)) * 1000;
      const t = child
        .output()
        .stdout.split('\n')
        .map((l) => UDP_LINE.exec(l))
        .find((m) => m?.[1] === 'total');
      const valid = Number(/valid (\d+)/.exec(t?.input ?? '')?.[1] ?? 0);
      // Unanswered valid announces: the server (or its core, on a busy machine) is not keeping up.
      const dropped = t && valid > 0 ? Math.max(0, 1 - Number(t[3]) / valid) : 0;
      calibration.push({ rate: udpRate, cpu, dropped });
      log(
        `soak: calibration: UDP at ${udpRate}/s with HTTP and WebSocket: server CPU ${Math.round(cpu)}%, ` +
          `${(dropped * 100).toFixed(1)}% of valid announces unanswered`,
      );
      if (cpu <= opts.cpu && dropped <= MAX_DROPPED) break;
      if (step === CALIBRATION_STEPS - 1) {
        log(
          `soak: calibration: still above ${opts.cpu}% after ${CALIBRATION_STEPS} steps; using the last rate`,
        );
        break;
      }
      const byCpu = cpu > opts.cpu ? (opts.cpu / cpu) * 0.97 : 1;
      const byDrops = dropped > MAX_DROPPED ? 1 - dropped - 0.05 : 1;
      udpRate = Math.max(1000, Math.round(udpRate * Math.min(0.95, byCpu, byDrops)));
    }
  }
  log(
    `soak: ${seconds} s of UDP at ${udpRate}/s (${Math.round((udpRate / maxRate) * 100)}% of the maximum), HTTP at ${opts.httpRate}/s, WebSocket at ${opts.wsRate}/s, 1% malformed, probes every 100 ms`,
  );
  for (const k of ['http', 'ws']) for (const f of Object.keys(total[k])) total[k][f] = 0;
  win = { httpLat: [], wsLat: [], http: 0, ws: 0 };

  const udp = startChild('taskset', [
    '-c',
    LOAD_CPU,
    join(BUILD, 'soak-udp'),
    String(port),
    String(udpRate),
    String(seconds),
    '64',
    String(TORRENTS),
    '10',
  ]);
  const udpWindows = [];
  let udpTotal = null;
  let seen = 0;
  udp.stdout.on('data', () => {
    const lines = udp.output().stdout.split('\n');
    for (const line of lines.slice(seen, -1)) {
      const m = UDP_LINE.exec(line);
      if (!m) continue;
      const w = {
        sent: +m[2],
        replies: +m[3],
        wrong: +m[4],
        junk: +m[5],
        p50: +m[6],
        p99: +m[7],
        p999: +m[8],
      };
      if (m[1] === 'total') udpTotal = { ...w, valid: Number(/valid (\d+)/.exec(line)?.[1] ?? 0) };
      else udpWindows.push(w);
    }
    seen = Math.max(seen, lines.length - 1);
  });
  const t0 = Date.now();
  endAt = t0 + seconds * 1000;

  const samples = [];
  let lastCpu = cpuTicks(pid);
  let lastT = Date.now();
  let lastErr = (await metrics(port)).errors ?? { udp: 0, http: 0, ws: 0 };
  while (Date.now() < endAt) {
    await sleep(Math.min(SAMPLE_MS, endAt - Date.now()));
    const now = Date.now();
    const cpu = cpuTicks(pid);
    const met = await metrics(port);
    const errDelta = met.errors
      ? Object.fromEntries(['udp', 'http', 'ws'].map((k) => [k, met.errors[k] - (lastErr[k] ?? 0)]))
      : null;
    if (met.errors) lastErr = met.errors;
    const h = pq(win.httpLat);
    const w = pq(win.wsLat);
    const u = udpWindows[samples.length] ?? udpWindows.at(-1) ?? null;
    const s = {
      t: Math.round((now - t0) / 1000),
      udpSent: u ? u.sent / 10 : null,
      udpReplies: u ? u.replies / 10 : null,
      udpP50: u?.p50 ?? null,
      udpP99: u?.p99 ?? null,
      httpP50: h.p50,
      httpP99: h.p99,
      wsP50: w.p50,
      wsP99: w.p99,
      httpRps: win.http / ((now - lastT) / 1000),
      wsRps: win.ws / ((now - lastT) / 1000),
      rss: rssOf(pid),
      heap: met.heap,
      cpu: cpu !== null && lastCpu !== null ? (cpu - lastCpu) / ((now - lastT) / 1000) : null, // ticks of 10 ms
      errors: errDelta,
      wrong: (udpWindows.reduce((a, x) => a + x.wrong, 0) || 0) + total.http.wrong + total.ws.wrong,
    };
    samples.push(s);
    lastCpu = cpu;
    lastT = now;
    win = { httpLat: [], wsLat: [], http: 0, ws: 0 };
    log(
      `soak: t=${s.t}s UDP ${Math.round(s.udpReplies ?? 0)}/s p50 ${ms(s.udpP50)} p99 ${ms(s.udpP99)} ms | ` +
        `HTTP p50 ${ms(s.httpP50)} p99 ${ms(s.httpP99)} ms | WS p50 ${ms(s.wsP50)} p99 ${ms(s.wsP99)} ms | ` +
        `RSS ${mb(s.rss)} MB heap ${mb(s.heap)} MB CPU ${s.cpu === null ? '-' : Math.round(s.cpu)}% | ` +
        `refused ${s.errors ? `${s.errors.udp}/${s.errors.http}/${s.errors.ws}` : '-'} | wrong ${s.wrong}`,
    );
  }
  clearInterval(pace);
  clearInterval(probes);
  await udp.done;
  await Promise.allSettled([...inflight]);

  // Still serving? One valid announce on each protocol after the load.
  const httpAfter = httpReplyOk((await http(false)).reply);
  const wsAfter = (await wsProbe.send(wsTorrent(20, 0))).ok;
  const udpAfter = await udpLoad(ctx, port, 1);
  const alive = { udp: !udpAfter.error && udpAfter.rps > 0, http: httpAfter, ws: wsAfter };
  const finalMetrics = await metrics(port);
  for (const p of wsPeers) p.close();
  wsProbe.close();
  const exit = await fj.stop();
  rmSync(tmp, { recursive: true, force: true });

  const report = summarise({
    opts,
    started,
    maxRate,
    maxNote,
    udpRate,
    calibration,
    seconds,
    samples,
    udpTotal,
    total,
    alive,
    finalMetrics,
    exit,
  });
  writeFileSync(RESULTS, report);
  log(`\n${report}`);
  log(`soak: results written to ${RESULTS}`);
  process.exit(report.includes('**FAIL**') ? 1 : 0);
}

function summarise(r) {
  const { samples, udpTotal, total, opts } = r;
  const warmT = r.seconds * 0.2;
  const after = samples.filter((s) => s.t > warmT && s.rss !== null);
  const base = after[0]?.rss ?? null;
  const peak = after.reduce((a, s) => Math.max(a, s.rss), 0);
  const growth = base ? peak / base - 1 : null;
  const udpWrong = udpTotal?.wrong ?? null;
  const wrong = (udpWrong ?? 0) + total.http.wrong + total.ws.wrong;
  const v = (ok) => (ok ? 'PASS' : '**FAIL**');
  const udpP99 = udpTotal?.p99 ?? null;
  const lines = [];
  lines.push(`# fjord soak test, ${r.started.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  lines.push('');
  lines.push(
    `Command: \`npm run soak -- --minutes ${opts.minutes}${opts.rate ? ` --rate ${opts.rate}` : ''}\`. ` +
      `Maximum ${r.maxRate} UDP replies/s (${r.maxNote}); ` +
      `UDP sent at ${r.udpRate}/s (${Math.round((r.udpRate / r.maxRate) * 100)}% of it; ${
        r.calibration.length > 0
          ? `calibrated to server CPU <= ${opts.cpu}% under the mixed load: ${r.calibration.map((c) => `${c.rate}/s ${Math.round(c.cpu)}% CPU ${(c.dropped * 100).toFixed(1)}% dropped`).join(', ')}`
          : `--share ${opts.share}, no calibration`
      }), HTTP ${opts.httpRate}/s, WebSocket ${opts.wsRate}/s, ` +
      `plus one probe announce every 100 ms on HTTP and on WebSocket; 1% of each protocol's traffic malformed. ` +
      `Server on core 1, loads on core 0; load average at end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}.`,
  );
  lines.push('');
  lines.push(
    '| t (s) | UDP replies/s | UDP p50 / p99 ms | HTTP p50 / p99 ms | WS p50 / p99 ms | HTTP / WS req/s | RSS MB | heap MB | CPU % | refused udp/http/ws | wrong (cum.) |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of samples)
    lines.push(
      `| ${s.t} | ${Math.round(s.udpReplies ?? 0)} | ${ms(s.udpP50)} / ${ms(s.udpP99)} | ${ms(s.httpP50)} / ${ms(s.httpP99)} | ` +
        `${ms(s.wsP50)} / ${ms(s.wsP99)} | ${Math.round(s.httpRps)} / ${Math.round(s.wsRps)} | ${mb(s.rss)} | ${mb(s.heap)} | ` +
        `${s.cpu === null ? '-' : Math.round(s.cpu)} | ${s.errors ? `${s.errors.udp} / ${s.errors.http} / ${s.errors.ws}` : '-'} | ${s.wrong} |`,
    );
  lines.push('');
  lines.push('Totals:');
  lines.push('');
  lines.push(
    `- UDP: ${udpTotal ? `${udpTotal.sent} sent, ${udpTotal.replies} replies to valid announces, ${udpTotal.valid - udpTotal.replies} valid announces unanswered (dropped), ${udpTotal.junk} replies to malformed datagrams, ${udpTotal.wrong} wrong; whole-run p50 ${ms(udpTotal.p50)} ms, p99 ${ms(udpTotal.p99)} ms, p999 ${ms(udpTotal.p999)} ms` : 'no result from soak-udp'}`,
  );
  lines.push(
    `- HTTP: ${total.http.sent} valid announces, ${total.http.ok} good replies, ${total.http.wrong} wrong (incl. no reply); ${total.http.junk} malformed heads`,
  );
  lines.push(
    `- WebSocket: ${total.ws.sent} valid announces, ${total.ws.ok} good replies, ${total.ws.wrong} wrong, ${total.ws.lost} lost with a closed socket; ${total.ws.junk} bad frames`,
  );
  const fe = r.finalMetrics.errors;
  lines.push(
    `- refused requests counted by the server (fjord_request_errors_total): ${fe ? `UDP ${fe.udp}, HTTP ${fe.http}, WebSocket ${fe.ws}` : 'unavailable'}`,
  );
  lines.push(
    `- still serving after the load: UDP ${r.alive.udp ? 'yes' : 'NO'}, HTTP ${r.alive.http ? 'yes' : 'NO'}, WebSocket ${r.alive.ws ? 'yes' : 'NO'}; server exit on SIGTERM: ${r.exit.code ?? r.exit.signal}`,
  );
  lines.push('');
  lines.push('Verdicts:');
  lines.push('');
  lines.push(
    `- UDP p99 <= ${UDP_P99_MS} ms: ${v(udpP99 !== null && udpP99 <= UDP_P99_MS)} (${ms(udpP99)} ms)`,
  );
  lines.push(
    `- RSS growth after warm-up (first ${Math.round(warmT)} s) <= ${RSS_GROWTH * 100}%: ${v(growth !== null && growth <= RSS_GROWTH)} ` +
      `(${mb(base)} MB at ${after[0]?.t ?? '-'} s, peak ${mb(peak)} MB after: ${growth === null ? '-' : `${(growth * 100).toFixed(1)}%`})`,
  );
  lines.push(
    `- zero wrong replies: ${v(wrong === 0 && total.ws.lost === 0 && udpTotal !== null)} (UDP ${udpWrong ?? '-'}, HTTP ${total.http.wrong}, WebSocket ${total.ws.wrong + total.ws.lost})`,
  );
  lines.push(`- still serving every protocol: ${v(r.alive.udp && r.alive.http && r.alive.ws)}`);
  lines.push('');
  return lines.join('\n');
}

main().catch((err) => {
  process.stderr.write(`soak: ${err.stack ?? err}\n`);
  process.exit(1);
});

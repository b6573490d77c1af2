#!/usr/bin/env node
// A simulated release (issue 15): does the web seed policy make viewers carry the episode?
//
//   npm run build && npm run bench -- release [--viewers 12] [--size-mib 48] [--spread 30]
//                                             [--policy both|on|off] [--timeout 300] [--json FILE]
//
// For each policy setting (on, then off, unless --policy says one): a fresh data directory, `fjord
// serve` (the built one, bin/fjord.js) with HTTP and UDP trackers and the web server, one episode
// published with `fjord publish` whose torrent's web seed (url-list) is a counting HTTP proxy in
// front of fjord's web server, and V libtorrent viewers (bench/release_viewers.py, 1 MiB/s up and
// 4 MiB/s down each, DHT/LSD/PEX off, arriving evenly over the spread, seeding once done). The
// web seed is the only first source. The proxy is the independent measurement: it counts the body
// bytes of every web seed reply it wrote to a viewer's socket. fjord's figures are read, after it
// stops (its recorder writes the last partial minute), from its own statistics tables with its own
// definitions (src/stats/derived.ts, docs/statistics.md).
//
// Reported per run: web seed bytes (proxy, fjord) and copies of the episode, P2P share (independent:
// 1 - proxy bytes / (viewers x size); fjord's: the dashboard's), each viewer's completion time,
// median and slowest, 503s, and the policy's decisions. Exports runReleaseBench(opts).
import { spawn } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import http from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FJORD = join(ROOT, 'bin/fjord.js');
const VIEWERS = join(ROOT, 'bench/release_viewers.py');
const MiB = 1024 * 1024;

const log = (s) => process.stderr.write(`release: ${s}\n`);

function parseArgs(argv) {
  const o = { viewers: 12, sizeMib: 48, spread: 30, policy: 'both', timeout: 300, json: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--viewers') o.viewers = Number(v());
    else if (a === '--size-mib') o.sizeMib = Number(v());
    else if (a === '--spread') o.spread = Number(v());
    else if (a === '--policy') o.policy = v();
    else if (a === '--timeout') o.timeout = Number(v());
    else if (a === '--json') o.json = v();
    else throw new Error(`unknown option ${a}`);
  }
  if (!['both', 'on', 'off'].includes(o.policy)) throw new Error('--policy must be both, on or off');
  for (const [k, flag] of [
    ['viewers', '--viewers'],
    ['sizeMib', '--size-mib'],
    ['spread', '--spread'],
    ['timeout', '--timeout'],
  ])
    if (!Number.isFinite(o[k]) || o[k] <= 0) throw new Error(`${flag} must be a positive number`);
  if (!Number.isInteger(o.viewers) || o.viewers < 2)
    throw new Error('--viewers must be a whole number of at least 2');
  return o;
}

function writeRandom(path, bytes) {
  const chunk = Buffer.allocUnsafe(4 * MiB);
  const hash = createHash('sha256');
  const fd = openSync(path, 'w');
  for (let done = 0; done < bytes; done += chunk.length) {
    const n = Math.min(chunk.length, bytes - done);
    randomFillSync(chunk, 0, n);
    writeSync(fd, chunk, 0, n);
    hash.update(chunk.subarray(0, n));
  }
  closeSync(fd);
  return hash.digest('hex');
}

function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    let err = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (err += c));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** `fjord serve`, resolved with its ports once it prints its listening lines. */
function serve(data, configFile) {
  const child = spawn(
    process.execPath,
    [
      FJORD,
      'serve',
      '--data',
      data,
      '--config',
      configFile,
      '--http',
      '127.0.0.1:0',
      '--udp',
      '127.0.0.1:0',
      '--web',
      '127.0.0.1:0',
      '--admin',
      'off',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fjord serve did not start: ${err}`)), 30_000);
    child.on('exit', (code) => reject(new Error(`fjord serve exited with ${code}: ${err}`)));
    child.stdout.on('data', (c) => {
      out += c;
      const ports = {};
      for (const m of out.matchAll(/^listening (\w+) (\S+):(\d+)$/gm)) ports[m[1]] ??= Number(m[3]);
      if (ports.http && ports.udp && ports.web) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({
          ports,
          stderr: () => err,
          stop: () =>
            new Promise((res) => {
              if (child.exitCode !== null) return res(child.exitCode);
              child.once('exit', res);
              child.kill('SIGTERM');
            }),
        });
      }
    });
  });
}

/**
 * The independent measurement: an HTTP proxy that forwards every request to fjord's web server and
 * counts the body bytes of each reply once the viewer's socket took them (write callbacks), by status.
 */
function countingProxy(webPort) {
  const counts = { bodyBytes: 0, requests: 0, byStatus: {} };
  const server = http.createServer((req, res) => {
    const up = http.request(
      {
        host: '127.0.0.1',
        port: webPort,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: false,
      },
      (r) => {
        counts.requests++;
        counts.byStatus[r.statusCode] = (counts.byStatus[r.statusCode] ?? 0) + 1;
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.on('data', (chunk) => {
          const n = chunk.length;
          if (!res.write(chunk, (e) => void (e ? undefined : (counts.bodyBytes += n)))) {
            r.pause();
            res.once('drain', () => r.resume());
          }
        });
        r.on('end', () => res.end());
        r.on('error', () => res.destroy());
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        counts,
        reset() {
          counts.bodyBytes = 0;
          counts.requests = 0;
          counts.byStatus = {};
        },
        close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
      }),
    ),
  );
}

/** fjord's own figures, from its statistics tables, with the dashboard's definitions. */
async function fjordFigures(data, size) {
  const { default: Database } = await import('better-sqlite3');
  const derived = await import(pathToFileURL(join(ROOT, 'dist/stats/derived.js')).href);
  const db = new Database(join(data, 'catalog.sqlite'), { readonly: true });
  try {
    const web = db.prepare('SELECT COALESCE(SUM(bytes), 0) AS b FROM stats_webseed_minute').get().b;
    const sw = db
      .prepare(
        'SELECT COALESCE(SUM(completions), 0) AS c, COALESCE(SUM(partial_bytes), 0) AS p, COALESCE(MAX(peers_max), 0) AS peak FROM stats_swarm_minute WHERE torrent_id <> 0',
      )
      .get();
    const d = { webSeedBytes: web, completions: sw.c, sizeBytes: size, partialBytes: sw.p };
    return {
      webSeedBytes: web,
      completions: sw.c,
      partialBytes: sw.p,
      peakSwarm: sw.peak,
      delivered: derived.deliveredBytes(d),
      p2pShare: derived.p2pShare(d) ?? null,
    };
  } finally {
    db.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? null : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function oneRun(o, work, video, sha, policyOn) {
  const name = policyOn ? 'on' : 'off';
  const data = join(work, `data-${name}`);
  const configFile = join(work, `config-${name}.json`);
  // Every viewer is on 127.0.0.1: the per-address limits (8 peers, 8 completions) would hide them.
  writeFileSync(
    configFile,
    JSON.stringify({
      webSeedPolicy: policyOn,
      peersPerAddress: 255,
      completionsPerAddress: 255,
      interval: 60,
      minInterval: 10,
    }),
  );
  const fjord = await serve(data, configFile);
  const proxy = await countingProxy(fjord.ports.web);
  try {
    const pub = await run(process.execPath, [
      FJORD,
      'publish',
      '--no-probe',
      video,
      '--data',
      data,
      '--series',
      'Release',
      '--new-series',
      '--season',
      '1',
      '--episode',
      '1',
      '--title',
      'Release day',
      '--cleared',
      '-q',
      '--tracker',
      `http://127.0.0.1:${fjord.ports.http}/announce`,
      '--web-url',
      `http://127.0.0.1:${proxy.port}`,
    ]);
    if (pub.code !== 0) throw new Error(`fjord publish failed: ${pub.err}`);
    const torrent = join(data, 'torrents', 'release-s01e01.torrent');
    const path = `/media/release/release-s01e01/release-s01e01.mkv`;
    for (let i = 0; ; i++) {
      const status = await new Promise((res) =>
        http
          .get(
            { port: proxy.port, path, headers: { Range: 'bytes=0-0' }, agent: false },
            (r) => (r.resume(), res(r.statusCode)),
          )
          .on('error', () => res(0)),
      );
      if (status === 206) break;
      if (i > 100) throw new Error('the web seed never served the episode');
      await new Promise((r) => setTimeout(r, 100));
    }
    proxy.reset();
    log(`policy ${name}: ${o.viewers} viewers over ${o.spread} s`);
    const t0 = Date.now();
    const v = await run('/usr/bin/python3', [
      VIEWERS,
      '--torrent',
      torrent,
      '--dir',
      join(work, `viewers-${name}`),
      '--viewers',
      String(o.viewers),
      '--spread',
      String(o.spread),
      '--timeout',
      String(o.timeout),
      '--sha256',
      sha,
    ]);
    const wall = (Date.now() - t0) / 1000;
    const lines = v.out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const summary = lines.find((l) => l.event === 'summary');
    if (!summary) throw new Error(`viewers failed: ${v.err.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 1000));
    const proxyCounts = { ...proxy.counts };
    await fjord.stop();
    const size = Number(readFileSync(video).length);
    const f = await fjordFigures(data, size);
    const times = summary.viewers.map((x) => (x.done === null ? null : x.done - x.arrived));
    const done = times.filter((x) => x !== null);
    const received = summary.viewers.reduce((s, x) => s + x.payload_down, 0);
    const policyLog = [...fjord.stderr().matchAll(/web seed policy: (.*)/g)].map((m) => m[1]).at(-1) ?? null;
    return {
      policy: name,
      wallSeconds: wall,
      viewers: o.viewers,
      completed: done.length,
      correct: summary.viewers.filter((x) => x.ok).length,
      times,
      median: median(done),
      slowest: done.length ? Math.max(...done) : null,
      proxy: {
        webSeedBytes: proxyCounts.bodyBytes,
        requests: proxyCounts.requests,
        byStatus: proxyCounts.byStatus,
        copies: proxyCounts.bodyBytes / size,
        p2pShare: 1 - proxyCounts.bodyBytes / (o.viewers * size),
        p2pShareOfReceived: received > 0 ? 1 - proxyCounts.bodyBytes / received : null,
      },
      viewersReceived: received,
      fjord: f,
      policyLog,
    };
  } finally {
    await proxy.close();
    await fjord.stop();
  }
}

const pct = (x) => (x === null || x === undefined ? '-' : (100 * x).toFixed(1) + ' %');
const mib = (b) => (b / MiB).toFixed(1) + ' MiB';
const sec = (x) => (x === null ? 'did not complete' : x.toFixed(1) + ' s');

export function releaseMarkdown(res) {
  const runs = res.runs;
  const col = (f) => runs.map(f).join(' | ');
  const out = [
    `Release: ${res.viewers} libtorrent viewers (1 MiB/s up, 4 MiB/s down), arriving over ${res.spread} s, one episode of ${res.sizeMib} MiB; load average before ${res.load.map((x) => x.toFixed(2)).join(' ')}.`,
    '',
    `| | ${col((r) => `policy ${r.policy}`)} |`,
    `|---|${col(() => '---')}|`,
    `| viewers completed (correct data) | ${col((r) => `${r.completed} / ${r.viewers} (${r.correct})`)} |`,
    `| web seed bytes, proxy | ${col((r) => `${mib(r.proxy.webSeedBytes)} (${r.proxy.copies.toFixed(2)} copies)`)} |`,
    `| web seed bytes, fjord | ${col((r) => `${mib(r.fjord.webSeedBytes)} (${r.proxy.webSeedBytes ? ((100 * (r.fjord.webSeedBytes - r.proxy.webSeedBytes)) / r.proxy.webSeedBytes).toFixed(2) : '-'} % from the proxy's)`)} |`,
    `| P2P share, independent (1 - proxy bytes / (viewers x size)) | ${col((r) => pct(r.proxy.p2pShare))} |`,
    `| P2P share, of bytes viewers received (redundant included) | ${col((r) => pct(r.proxy.p2pShareOfReceived))} |`,
    `| P2P share, fjord (dashboard) | ${col((r) => `${pct(r.fjord.p2pShare)} (${r.fjord.completions} completions)`)} |`,
    `| peak swarm, fjord | ${col((r) => String(r.fjord.peakSwarm))} |`,
    `| median completion | ${col((r) => sec(r.median))} |`,
    `| slowest completion | ${col((r) => sec(r.slowest))} |`,
    `| web seed replies by status | ${col((r) =>
      Object.entries(r.proxy.byStatus)
        .map(([k, n]) => `${k}: ${n}`)
        .join(', '),
    )} |`,
    `| policy decisions | ${col((r) => r.policyLog ?? '-')} |`,
    `| each viewer's completion, s (in order of arrival) | ${col((r) => r.times.map((t) => (t === null ? 'x' : t.toFixed(1))).join(' '))} |`,
  ];
  const on = runs.find((r) => r.policy === 'on');
  const off = runs.find((r) => r.policy === 'off');
  if (on) {
    out.push('', 'Targets (policy on):');
    out.push(
      `- web seed at most 1.3 copies: ${on.proxy.copies.toFixed(2)} (${on.proxy.copies <= 1.3 ? 'met' : 'not met'})`,
    );
    out.push(
      `- every viewer completes: ${on.completed} / ${on.viewers} (${on.completed === on.viewers ? 'met' : 'not met'})`,
    );
    if (off && on.median !== null && off.median !== null)
      out.push(
        `- median completion at most 1.3 x policy off: ${(on.median / off.median).toFixed(2)} x (${on.median <= 1.3 * off.median ? 'met' : 'not met'})`,
      );
    if (on.fjord.p2pShare !== null)
      out.push(
        `- fjord's P2P share within 2 points of the proxy's: ${(100 * Math.abs(on.fjord.p2pShare - on.proxy.p2pShare)).toFixed(2)} points (${Math.abs(on.fjord.p2pShare - on.proxy.p2pShare) <= 0.02 ? 'met' : 'not met'})`,
      );
    const e = Math.abs(on.fjord.webSeedBytes - on.proxy.webSeedBytes) / Math.max(1, on.proxy.webSeedBytes);
    out.push(
      `- fjord's web seed bytes within 2 % of the proxy's: ${(100 * e).toFixed(2)} % (${e <= 0.02 ? 'met' : 'not met'})`,
    );
  }
  return out.join('\n');
}

export async function runReleaseBench(opts = {}) {
  const o = { ...parseArgs([]), ...opts };
  const work = mkdtempSync(join(tmpdir(), 'fjord-release-'));
  try {
    const video = join(work, 'episode.mkv');
    const sha = writeRandom(video, Math.round(o.sizeMib * MiB));
    const load = loadavg();
    const runs = [];
    for (const on of o.policy === 'both' ? [true, false] : [o.policy === 'on'])
      runs.push(await oneRun(o, work, video, sha, on));
    const res = { viewers: o.viewers, spread: o.spread, sizeMib: o.sizeMib, load, runs };
    res.markdown = releaseMarkdown(res);
    return res;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function main(argv) {
  const o = parseArgs(argv);
  const res = await runReleaseBench(o);
  if (o.json) writeFileSync(o.json, JSON.stringify(res, null, 2));
  process.stdout.write(res.markdown + '\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`release: ${e.message}\n`);
    process.exit(1);
  });

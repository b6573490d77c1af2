/**
 * Real clients under the web seed policy: refused with 503 while the swarm looks able to serve
 * them, they back off, come back once it cannot, and complete with correct data (issue 15).
 *
 * Set-up: `fjord serve` with the policy on and a budget of 1 KiB/s, one v1 episode whose web seed is
 * a small proxy in front of fjord (it records every reply's status and when), and a seeder and a
 * leecher announced to the tracker at addresses where nobody listens. While they are in the swarm, a client's
 * web seed requests are over budget (the test spends the budget first) and get a quick 503. After
 * a few seconds those peers announce `stopped`: the client is alone, and a lone viewer is always
 * served, but only if the client comes back to the web seed. Each client must finish, with the
 * original bytes, having been refused at least once and served after.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseTorrent } from '../../src/protocol/metainfo.js';
import { serveFjord, sleep, type Served } from '../helpers/cli.js';
import { announcePath, httpGet, tempDir } from '../helpers/tracker.js';
import { program, pythonModule, skipUnless } from '../helpers/programs.js';
import { fjord, randomFile, sha256, sha256File } from '../publish/publish-helpers.js';

const WORK = tempDir('fjord-policy-clients-');
const DATA = join(WORK, 'data');
const NAME = 'busy-s01e01';
const FILE = `/media/busy/${NAME}/${NAME}.mkv`;
const LT_PEER = fileURLToPath(new URL('./lt_peer.py', import.meta.url));
let served: Served;
let proxy: http.Server;
let proxyPort: number;
let torrentPath: string;
let hash: Buffer;
let videoHash: string;
let probes = 0;
/** Every web seed reply through the proxy: status and time. */
const replies: Array<{ status: number; at: number }> = [];

before(async () => {
  videoHash = sha256(randomFile(join(WORK, 'source.mkv'), 3 * 1024 * 1024 + 4321));
  const configFile = join(WORK, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      webSeedTorrentRate: 1024,
      webSeedTotalRate: 1 << 20,
      webSeedRetryAfter: 5,
      interval: 10,
      minInterval: 5,
    }),
  );
  served = await serveFjord(
    [
      '--data',
      DATA,
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
    ['udp', 'http', 'web'],
  );
  proxy = http.createServer((req, res) => {
    const up = http.request(
      {
        host: '127.0.0.1',
        port: served.ports.web,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent: false,
      },
      (r) => {
        replies.push({ status: r.statusCode ?? 0, at: Date.now() });
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyPort = (proxy.address() as { port: number }).port;
  const r = await fjord([
    'publish',
    '--no-probe',
    '--v1',
    join(WORK, 'source.mkv'),
    '--data',
    DATA,
    '--series',
    'Busy',
    '--new-series',
    '--season',
    '1',
    '--episode',
    '1',
    '--title',
    'Over budget',
    '--cleared',
    '-q',
    '--tracker',
    `http://127.0.0.1:${served.ports.http}/announce`,
    '--web-url',
    `http://127.0.0.1:${proxyPort}`,
  ]);
  assert.equal(r.status, 0, r.stderr);
  torrentPath = join(DATA, 'torrents', `${NAME}.torrent`);
  hash = Buffer.from(parseTorrent(readFileSync(torrentPath)).infoHashV1!, 'hex');
  for (
    let i = 0;
    i < 50 && (await httpGet(served.ports.web, FILE, { headers: { Range: 'bytes=0-0' } })).status !== 206;
    i++
  )
    await sleep(100);
});
after(async () => {
  proxy?.closeAllConnections();
  proxy?.close();
  await served?.stop();
});

/** Two peers nobody can reach (a seeder and a leecher), so the client is not alone. */
async function others(event: 'started' | 'stopped'): Promise<void> {
  for (const [port, left, id] of [
    [9, 0, '-XX0001-fakeseeder01'],
    [11, 1000, '-XX0001-fakeleecher1'],
  ] as const)
    assert.equal(
      (await httpGet(served.ports.http, announcePath({ hash, port, left, event, peerId: id }))).status,
      200,
    );
}

/** A seeder and a leecher in the swarm, the budget spent: the web seed refuses what is not rare. */
async function busy(): Promise<void> {
  await others('started');
  await sleep(2100); // past SwarmStats' cache
  // The whole file, over budget or not: either way the budget is now in debt for ~50 minutes.
  await httpGet(served.ports.web, FILE);
  // A range of its own each time: the same one again later would be a client "back" (rule 4).
  const at = 1000 * ++probes;
  const probe = await httpGet(served.ports.web, FILE, { headers: { Range: `bytes=${at}-${at + 99}` } });
  assert.equal(probe.status, 503);
}

function start(
  cmd: string,
  args: string[],
): { done: Promise<{ code: number | null; out: string }>; kill(): void } {
  const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (c: Buffer) => (out += c.toString()));
  p.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const done = new Promise<{ code: number | null; out: string }>((resolve) =>
    p.on('exit', (code) => {
      p.stdin.destroy();
      resolve({ code, out });
    }),
  );
  return { done, kill: () => p.kill('SIGKILL') };
}

/** Runs a client while the swarm is busy, then leaves it alone; it must finish with the right bytes. */
async function underPolicy(
  client: { cmd: string; args: string[] },
  video: string,
  limitMs: number,
  /** false: a client the policy never refuses (aria2, Transmission): it must finish without a 503. */
  refused = true,
): Promise<void> {
  if (!refused) {
    await busy();
    const from = replies.length;
    const c = start(client.cmd, client.args);
    const timer = setTimeout(() => c.kill(), limitMs);
    try {
      const r = await c.done;
      const mine = replies.slice(from).map((x) => x.status);
      assert.ok(mine.length > 0 && !mine.includes(503), `never refused: ${mine.join(' ')}`);
      assert.equal(
        sha256File(video),
        videoHash,
        `the downloaded bytes match (exit ${r.code})\n${r.out.slice(-3000)}`,
      );
      await others('stopped');
      return;
    } finally {
      clearTimeout(timer);
      c.kill();
    }
  }
  await busy();
  const from = replies.length;
  const t0 = Date.now();
  const c = start(client.cmd, client.args);
  const timer = setTimeout(() => c.kill(), limitMs);
  try {
    // Refused at least once while the seeder is there.
    for (let i = 0; i < 200 && !replies.slice(from).some((r) => r.status === 503); i++) await sleep(100);
    const refused = replies.slice(from).find((r) => r.status === 503);
    assert.ok(refused, `the client was never refused: ${JSON.stringify(replies.slice(from))}`);
    await sleep(3000);
    await others('stopped');
    const r = await c.done;
    const mine = replies.slice(from);
    assert.ok(
      mine.some((x) => x.at > refused.at && (x.status === 206 || x.status === 200)),
      `served after the refusal: ${JSON.stringify(mine)}\n${r.out.slice(-3000)}`,
    );
    assert.equal(
      sha256File(video),
      videoHash,
      `the downloaded bytes match (exit ${r.code})\n${r.out.slice(-3000)}`,
    );
    process.stdout.write(
      `# ${client.cmd}: ${((Date.now() - t0) / 1000).toFixed(1)} s, replies ${mine.map((x) => x.status).join(' ')}\n`,
    );
  } finally {
    clearTimeout(timer);
    c.kill();
  }
}

// Known to fail (todo): libtorrent 2.0.8 with no connected peer never asks a web seed again after
// one 503 (measured over 150 s, with Retry-After 0, 5 or none, and for 429 and 500 too; re-announces
// every 10 s do not bring it back). In a swarm whose peers it cannot reach, a refusal stalls it.
test(
  'libtorrent backs off on 503, comes back, and completes',
  {
    skip: skipUnless(pythonModule('libtorrent')),
    todo: 'libtorrent 2.0.8 never returns to a web seed after a 503 while it has no connected peer',
    timeout: 200_000,
  },
  async () => {
    const out = join(WORK, 'lt');
    await underPolicy(
      {
        cmd: '/usr/bin/python3',
        args: [
          LT_PEER,
          'run',
          '--torrent',
          torrentPath,
          '--save',
          out,
          '--mode',
          'leech',
          '--timeout',
          '60',
          '--no-utp',
        ],
      },
      join(out, NAME, `${NAME}.mkv`),
      75_000,
    );
  },
);

test(
  'aria2, which never comes back after a 503, is not refused and completes',
  { skip: skipUnless(program('aria2c')), timeout: 200_000 },
  async () => {
    const out = join(WORK, 'aria2');
    await underPolicy(
      {
        cmd: 'aria2c',
        args: [
          `--dir=${out}`,
          '--seed-time=0',
          '--interface=127.0.0.1',
          '--enable-dht=false',
          '--enable-dht6=false',
          '--enable-peer-exchange=false',
          '--bt-enable-lpd=false',
          '--listen-port=48000-48999',
          '--file-allocation=none',
          '--summary-interval=0',
          '--console-log-level=notice',
          `--stop-with-process=${process.pid}`,
          torrentPath,
        ],
      },
      join(out, NAME, `${NAME}.mkv`),
      180_000,
      false,
    );
  },
);

test(
  'Transmission, which does not come back after a 503, is not refused and completes',
  { skip: skipUnless(program('transmission-cli')), timeout: 200_000 },
  async () => {
    const out = join(WORK, 'tr');
    const configDir = join(WORK, 'tr-config');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(
      join(configDir, 'settings.json'),
      JSON.stringify({
        'dht-enabled': false,
        'lpd-enabled': false,
        'pex-enabled': false,
        'utp-enabled': false,
        'port-forwarding-enabled': false,
        'bind-address-ipv4': '127.0.0.1',
        'peer-port': 49123,
        'peer-port-random-on-start': false,
        'download-dir': out,
        'incomplete-dir-enabled': false,
        'rpc-enabled': false,
        'ratio-limit-enabled': true,
        'ratio-limit': 0,
        'message-level': 2,
      }),
    );
    await underPolicy(
      { cmd: 'transmission-cli', args: ['-g', configDir, '-w', out, '-p', '49123', torrentPath] },
      join(out, NAME, `${NAME}.mkv`),
      180_000,
      false,
    );
  },
);

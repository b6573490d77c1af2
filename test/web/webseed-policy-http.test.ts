/**
 * The web seed policy over HTTP on a real `fjord serve` (its config file sets a tiny budget): a lone
 * viewer is served, a rare range is served once, the same range again with other peers in the swarm
 * gets a quick 503 with Retry-After, the same client back after Retry-After is served; rights come
 * first (an unpublished episode is 404, not 503); the policy off serves everything; a budget of 0
 * stops `fjord serve` at start with a one-line error.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTorrent } from '../../src/protocol/metainfo.js';
import { runFjord, serveFjord, sleep, type Served } from '../helpers/cli.js';
import { announcePath, httpGet, tempDir } from '../helpers/tracker.js';
import { fjord, randomFile } from '../publish/publish-helpers.js';

const WORK = tempDir('fjord-webseed-policy-');
const NAME = 'policy-s01e01';
const MiB = 1024 * 1024;
const FILE = `/media/policy/${NAME}/${NAME}.mkv`;

async function start(
  dir: string,
  settings: Record<string, unknown>,
): Promise<{ served: Served; hash: Buffer }> {
  const data = join(WORK, dir);
  const configFile = join(WORK, `${dir}.json`);
  writeFileSync(configFile, JSON.stringify(settings));
  const served = await serveFjord(
    [
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
    ['udp', 'http', 'web'],
  );
  const video = join(WORK, `${dir}.mkv`);
  randomFile(video, 4 * MiB);
  const r = await fjord([
    'publish',
    '--no-probe',
    video,
    '--data',
    data,
    '--series',
    'Policy',
    '--new-series',
    '--season',
    '1',
    '--episode',
    '1',
    '--title',
    'Budget',
    '--cleared',
    '-q',
    '--tracker',
    `http://127.0.0.1:${served.ports.http}/announce`,
    '--web-url',
    `http://127.0.0.1:${served.ports.web}`,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const t = parseTorrent(readFileSync(join(data, 'torrents', `${NAME}.torrent`)));
  for (let i = 0; i < 50 && (await range(served, 0, 0)).status !== 206; i++) await sleep(100);
  return { served, hash: Buffer.from(t.infoHashV1!, 'hex') };
}

const range = (s: Served, a: number, b: number) =>
  httpGet(s.ports.web, FILE, { headers: { Range: `bytes=${a}-${b}` } });

/** `n` leechers on the tracker (distinct ports), then past SwarmStats' two-second cache. */
async function leechers(s: Served, hash: Buffer, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await httpGet(
      s.ports.http,
      announcePath({
        hash,
        port: 40000 + i,
        event: 'started',
        peerId: `-TS0001-${String(i).padStart(12, '0')}`,
      }),
    );
    assert.equal(r.status, 200);
  }
  await sleep(2100);
}

let on: { served: Served; hash: Buffer };
before(async () => {
  on = await start('on', { webSeedTorrentRate: 1024, webSeedTotalRate: 1024 * 1024, webSeedRetryAfter: 3 });
});
after(() => on?.served.stop());

test(
  'policy on: alone, rare, refused with Retry-After, back after it, and rights first',
  { timeout: 60_000 },
  async () => {
    const s = on.served;
    // Nobody in the swarm: a lone viewer gets the same range as often as it asks.
    for (let i = 0; i < 3; i++) assert.equal((await range(s, 0, MiB - 1)).status, 206);
    await leechers(s, on.hash, 3);
    // A range never sent with others in the swarm: served, whole.
    const rare = await range(s, MiB, 2 * MiB - 1);
    assert.equal(rare.status, 206);
    assert.equal(rare.body.length, MiB);
    // Sent already, and the budget (1 KiB/s) spent: a quick 503.
    const t0 = Date.now();
    const busy = await range(s, MiB, 2 * MiB - 1);
    assert.equal(busy.status, 503);
    assert.equal(busy.headers['retry-after'], '3');
    assert.equal(busy.headers['cache-control'], 'no-store');
    assert.ok(Date.now() - t0 < 1000, 'refused at once');
    // HEAD costs nothing and is never refused.
    const head = await fetch(`http://127.0.0.1:${s.ports.web}${FILE}`, {
      method: 'HEAD',
      headers: { Range: `bytes=${MiB}-${2 * MiB - 1}` },
    });
    assert.equal(head.status, 200);
    // Back after Retry-After for the same range: served.
    await sleep(3100);
    const back = await range(s, MiB, 2 * MiB - 1);
    assert.equal(back.status, 206);
    assert.equal(back.body.length, MiB);
    // Rights first: once unpublished, the file is gone (404), not "busy".
    const r = runFjord([
      'unpublish',
      '--data',
      join(WORK, 'on'),
      '--series',
      'Policy',
      '--season',
      '1',
      '--episode',
      '1',
    ]);
    assert.equal(r.status, 0, r.stderr);
    let status = 0;
    for (let i = 0; i < 50 && (status = (await range(s, MiB, 2 * MiB - 1)).status) !== 404; i++)
      await sleep(100);
    assert.equal(status, 404);
  },
);

test('policy off: the same requests are all served', { timeout: 60_000 }, async () => {
  const off = await start('off', {
    webSeedPolicy: false,
    webSeedTorrentRate: 1024,
    webSeedTotalRate: 1024 * 1024,
  });
  try {
    await leechers(off.served, off.hash, 3);
    for (let i = 0; i < 4; i++) assert.equal((await range(off.served, MiB, 2 * MiB - 1)).status, 206);
  } finally {
    await off.served.stop();
  }
});

test('a budget of 0 or nonsense stops fjord serve at start with a one-line error', () => {
  for (const [k, v] of [
    ['webSeedTorrentRate', 0],
    ['webSeedTotalRate', 'lots'],
  ] as const) {
    const file = join(WORK, `bad-${k}.json`);
    writeFileSync(file, JSON.stringify({ [k]: v }));
    const r = runFjord(
      [
        'serve',
        '--data',
        join(WORK, 'bad'),
        '--config',
        file,
        '--http',
        '127.0.0.1:0',
        '--udp',
        '127.0.0.1:0',
      ],
      { timeout: 20_000 },
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp(`${k} must be a whole number of bytes per second`));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

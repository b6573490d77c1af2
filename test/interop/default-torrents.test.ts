/**
 * Real clients on the torrents `fjord publish` makes by default (hybrid v1+v2), through the tracker
 * and the web seed of one `fjord serve`, as a viewer would use them (issue 17, item 1). Each client
 * downloads an episode of its own from the web seed (no other peer), announces to the tracker, must
 * be allowed (no `torrent not allowed`), and its completion must be counted: in the scrape of the
 * name it announced, on the episode page's live figures, and in the statistics.
 *
 * aria2 1.36 announces a hybrid torrent under a name of its own (src/protocol/metainfo.ts,
 * aria2InfoHash); the name expected here is what `aria2c -S` prints, not fjord's computation.
 * libtorrent 2 announces the v1 and the truncated v2 hash; Transmission 3, which cannot read a hybrid
 * torrent, gets the episode's v1 twin and announces its hash.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { serveFjord, type Served } from '../helpers/cli.js';
import { httpGet, tempDir } from '../helpers/tracker.js';
import { program, pythonModule, skipUnless } from '../helpers/programs.js';
import { parseTorrent } from '../../src/protocol/metainfo.js';
import { fjord, randomFile } from '../publish/publish-helpers.js';
import {
  aria2,
  Deluge,
  aria2InfoHashOf,
  freeTcpPort,
  ltPeer,
  transmission,
  until,
  type Child,
} from './helpers-procs.js';
import { scrape, stats } from './helpers-stats.js';

const WORK = tempDir('fjord-default-torrents-');
const DATA = join(WORK, 'data');
let served: Served;
let ports: { httpPort: number; udpPort: number };
const children: Child[] = [];

before(async () => {
  served = await serveFjord(
    [
      ...['--data', DATA, '--http', '127.0.0.1:0', '--udp', '127.0.0.1:0', '--web', '127.0.0.1:0'],
      ...['--admin', 'off', '--interval', '10'],
    ],
    ['udp', 'http', 'web'],
  );
  ports = { httpPort: served.ports.http, udpPort: served.ports.udp };
});
after(async () => {
  for (const c of children) await c.stop('SIGKILL');
  await served?.stop();
});

interface Published {
  code: string;
  torrent: string;
  torrentId: number;
  v1: string;
  v2Truncated: string;
}

function catalogDb<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(join(DATA, 'catalog.sqlite'), { readonly: true, timeout: 5000 });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Whether an earlier test published (and so made the series): tests run alone with a name filter. */
let seriesMade = false;

/** Publishes episode `n` with the defaults (a hybrid torrent) and waits until fjord serves it. */
async function publish(n: number): Promise<Published> {
  const video = join(WORK, `source-${n}.mkv`);
  randomFile(video, 2 * 1024 * 1024 + 4321 * n);
  const r = await fjord([
    'publish',
    '--no-probe',
    video,
    ...['--data', DATA, '--series', 'Default torrents', ...(seriesMade ? [] : ['--new-series'])],
    ...['--season', '1', '--episode', String(n), '--title', `Client ${n}`, '--cleared', '-q'],
    ...['--tracker', `http://127.0.0.1:${served.ports.http}/announce`],
    ...['--web-url', `http://127.0.0.1:${served.ports.web}`],
  ]);
  assert.equal(r.status, 0, r.stderr);
  seriesMade = true;
  const row = catalogDb(
    (db) =>
      db
        .prepare(
          `SELECT t.id, t.path, t.mode, t.info_hash_v1 AS v1, t.info_hash_v2_truncated AS v2
             FROM torrents t JOIN episodes e ON e.id = t.episode_id WHERE e.episode_number = ?`,
        )
        .get(n) as { id: number; path: string; mode: string; v1: string; v2: string },
  );
  assert.equal(row.mode, 'hybrid', 'fjord publish makes hybrid torrents by default');
  const code = `s01e0${n}`;
  // The catalog sync (every second) makes it distributable: the episode page appears.
  await until(20_000, `the page of ${code}`, async () =>
    (await httpGet(served.ports.web, `/series/default-torrents/${code}/stats.json`)).status === 200
      ? true
      : undefined,
  );
  return { code, torrent: join(DATA, row.path), torrentId: Number(row.id), v1: row.v1, v2Truncated: row.v2 };
}

function twinHashOf(torrentId: number): string | null {
  return catalogDb(
    (db) =>
      (
        db.prepare('SELECT info_hash_v1_twin AS h FROM torrents WHERE id = ?').get(torrentId) as {
          h: string | null;
        }
      ).h,
  );
}

const notAllowed = async () => {
  const e = (await stats(ports.httpPort)).errors.not_allowed;
  return e.http + e.udp;
};

/** Completions of one catalog torrent in the statistics, after `fjord serve` records on SIGUSR2. */
async function recordedCompletions(torrentId: number): Promise<number> {
  const flushes = () => served.stderr().split('statistics: recorded on SIGUSR2').length;
  const before = flushes();
  served.child.kill('SIGUSR2');
  await until(20_000, 'the statistics flush', async () => (flushes() > before ? true : undefined), 100);
  return catalogDb(
    (db) =>
      (
        db
          .prepare('SELECT COALESCE(SUM(completions), 0) AS n FROM stats_swarm_minute WHERE torrent_id = ?')
          .get(torrentId) as { n: number }
      ).n,
  );
}

/** The download is counted once: on the page, in the statistics, and in the scrape of `names`. */
async function assertCounted(ep: Published, names: string[]): Promise<void> {
  await until(30_000, `${ep.code}'s completion in the scrape of ${names.join(' or ')}`, async () => {
    const counts = await Promise.all(names.map((h) => scrape('http', ports, h)));
    return counts.some((c) => c.downloaded === 1) ? true : undefined;
  });
  const page = await until(10_000, `${ep.code}'s page figures`, async () => {
    const r = await httpGet(served.ports.web, `/series/default-torrents/${ep.code}/stats.json`);
    const f = JSON.parse(r.body.toString('utf8')) as { completed: number };
    return f.completed >= 1 ? f : undefined;
  });
  assert.equal(page.completed, 1, 'the episode page counts the download once');
  assert.equal(await recordedCompletions(ep.torrentId), 1, 'the statistics count the download once');
}

const skipAria2 = skipUnless(program('aria2c'), program('timeout'));
const skipLt = skipUnless(pythonModule('libtorrent'), program('timeout'));
const skipTr = skipUnless(program('transmission-cli'), program('timeout'));
const skipDeluge = skipUnless(program('deluged'), program('deluge-console'), program('timeout'));
/**
 * Transmission 3.00 refuses every torrent holding a dictionary key that is the empty string
 * ("Error parsing .torrent file"), and every BEP 52 file tree holds them: it cannot open a hybrid
 * torrent at all. So each hybrid episode also has a v1 twin (src/protocol/metainfo.ts, v1Twin),
 * offered on the episode page "for older clients"; Transmission 3 gets that one.
 */
const trVersion = spawnSync('transmission-cli', ['--version'], { encoding: 'utf8' });
const transmission3 = /transmission-cli 3\./.test(`${trVersion.stdout ?? ''}${trVersion.stderr ?? ''}`);

test(
  'aria2 is allowed on a default (hybrid) torrent and its download is counted',
  { skip: skipAria2, timeout: 120_000 },
  async () => {
    const ep = await publish(1);
    const alias = aria2InfoHashOf(ep.torrent);
    assert.notEqual(alias, ep.v1, 'aria2 1.36 reads a hybrid torrent under a name of its own');
    const refusedBefore = await notAllowed();
    const dir = join(WORK, 'aria2');
    const client = aria2('aria2', {
      torrent: ep.torrent,
      dir,
      port: await freeTcpPort(),
      dhtPort: 0,
      udpTracker: false,
      seed: false,
    });
    children.push(client);
    await client.waitForLine((l) => /\[#\w+ SEED\(/.test(l), 60_000, 'download complete (SEED)');
    // Served by the tracker: aria2 is a seeder in its swarm, under the name it announced.
    await until(30_000, 'aria2 as a seeder in its swarm', async () =>
      (await scrape('http', ports, alias)).complete === 1 ? true : undefined,
    );
    await assertCounted(ep, [alias]);
    assert.equal(await notAllowed(), refusedBefore, 'no announce was refused');
    assert.doesNotMatch(client.lines.join('\n'), /not allowed/i);
    await client.stop('SIGINT', 10_000);
  },
);

test(
  'libtorrent on a default (hybrid) torrent through the tracker: allowed and counted',
  { skip: skipLt, timeout: 120_000 },
  async () => {
    const ep = await publish(2);
    const refusedBefore = await notAllowed();
    const client = ltPeer('libtorrent', {
      torrent: ep.torrent,
      save: join(WORK, 'lt'),
      mode: 'leech',
      noUtp: true,
    });
    children.push(client);
    const reply = await client.waitForEvent('tracker_reply', 60_000);
    assert.ok(reply, 'the tracker answered libtorrent');
    await client.waitForEvent('finished', 60_000);
    await client.waitForExit(20_000);
    await assertCounted(ep, [ep.v1, ep.v2Truncated]);
    assert.equal(await notAllowed(), refusedBefore, 'no announce was refused');
    assert.ok(!client.events.some((e) => e.event === 'tracker_error'), client.tail());
  },
);

test(
  'Transmission on a default (hybrid) torrent through the tracker: allowed and counted',
  { skip: skipTr, timeout: 120_000 },
  async () => {
    const ep = await publish(3);
    let torrent = ep.torrent;
    let swarm = ep.v1;
    if (transmission3) {
      // The twin, as a viewer gets it: the episode page's "for older clients" link.
      const page = await httpGet(served.ports.web, `/series/default-torrents/${ep.code}`);
      const link = /href="(\/torrents\/[^"]+\.v1\.torrent)"/.exec(page.body.toString('utf8'));
      assert.ok(link, 'the episode page links the v1 torrent for older clients');
      const r = await httpGet(served.ports.web, link[1]);
      assert.equal(r.status, 200);
      torrent = join(WORK, 'transmission-v1.torrent');
      writeFileSync(torrent, r.body);
      const twin = parseTorrent(r.body);
      assert.equal(twin.version, 'v1');
      assert.ok(twin.infoHashV1 !== undefined && twin.infoHashV1 !== ep.v1, 'its own info hash');
      swarm = twin.infoHashV1;
      assert.equal(twinHashOf(ep.torrentId), swarm, 'the catalog knows the twin');
    }
    const refusedBefore = await notAllowed();
    const configDir = join(WORK, 'transmission-config');
    const client = transmission('Transmission', {
      torrent,
      dir: join(WORK, 'transmission'),
      configDir,
      port: await freeTcpPort(),
    });
    children.push(client);
    await client.waitForLine(
      (l) => l.includes('State changed from "Incomplete" to "Complete"'),
      60_000,
      'download complete',
    );
    await until(30_000, 'Transmission as a seeder in its swarm', async () =>
      (await scrape('http', ports, swarm)).complete === 1 ? true : undefined,
    );
    await assertCounted(ep, [swarm]);
    assert.equal(await notAllowed(), refusedBefore, 'no announce was refused');
    await client.stop('SIGINT', 10_000);
  },
);

test(
  'Deluge on a default (hybrid) torrent through the tracker: allowed and counted',
  { skip: skipDeluge, timeout: 240_000 },
  async () => {
    const ep = await publish(4);
    const refusedBefore = await notAllowed();
    const client = new Deluge('Deluge', {
      configDir: join(WORK, 'deluge-config'),
      dir: join(WORK, 'deluge'),
      port: await freeTcpPort(),
      uiPort: await freeTcpPort(),
    });
    children.push(client);
    // The daemon takes a moment to listen for the console (seconds on a loaded machine); an attempt
    // cut short may have added the torrent all the same.
    await until(
      90_000,
      'Deluge adding the torrent',
      async () =>
        /Torrent added!|already in session/i.test(
          await client.console(`add -p ${join(WORK, 'deluge')} ${ep.torrent}`),
        )
          ? true
          : undefined,
      1000,
    );
    const info = await until(
      90_000,
      'Deluge seeding',
      async () => {
        const out = await client.console('info -v');
        return /State: Seeding/.test(out) ? out : undefined;
      },
      1000,
    );
    assert.match(info, /Progress: 100\.00%|Seeding/);
    await assertCounted(ep, [ep.v1, ep.v2Truncated]);
    assert.equal(await notAllowed(), refusedBefore, 'no announce was refused');
    assert.doesNotMatch(await client.console('info -v'), /not allowed/i);
    await client.stop('SIGTERM', 10_000);
  },
);

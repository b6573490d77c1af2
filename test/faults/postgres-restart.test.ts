/**
 * Fault injection (issue 18): the PostgreSQL catalog stopped and started again under a running
 * `fjord serve` (a server of the test's own, test/faults/own-postgres.ts: never the shared one).
 *
 * While the database is down the tracker keeps the last lists it read: an episode it tracked is still
 * tracked, and a window that closes during the outage still closes on time (the rights were read
 * before). Pages built from that snapshot are still served; requests that need the database answer
 * 503 with Retry-After, not 500, and nothing crashes. Once the database is back, everything recovers
 * without a restart: an episode published during the outage is served within seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runFjord, serveFjord, sleep, until } from '../helpers/cli.js';
import { announcePath, httpGet, tempDir } from '../helpers/tracker.js';
import { skipUnless } from '../helpers/programs.js';
import { freePort } from '../web/site-helpers.js';
import { openCatalog } from '../../src/catalog/index.js';
import { ownPostgresMissing, startOwnPostgres } from './own-postgres.js';

const missing = ownPostgresMissing();
/** A well-formed submission link no submission has: looking it up needs the database. */
const TOKEN = 'A'.repeat(43);

async function hashOfEpisode(url: string, n: number): Promise<Buffer> {
  const c = await openCatalog({ url });
  try {
    const e = await c.getEpisode('pg-show', 1, n);
    assert.ok(e?.torrents[0]?.infoHashV1);
    return Buffer.from(e.torrents[0].infoHashV1, 'hex');
  } finally {
    await c.close();
  }
}

const tracked = async (port: number, hash: Buffer): Promise<boolean> => {
  const r = await httpGet(port, announcePath({ hash, port: 7001, event: 'started' }));
  return r.status === 200 && !/failure reason/.test(r.body.toString('latin1'));
};

test(
  'PostgreSQL stopped and restarted under fjord serve: lists kept, windows still close, 503, recovery',
  { skip: skipUnless({ ok: missing === null, what: missing ?? '' }), timeout: 180_000 },
  async () => {
    const work = tempDir('fjord-pg-restart-');
    const pg = startOwnPostgres(await freePort());
    const data = join(work, 'data');
    const media = join(work, 'ep.mkv');
    writeFileSync(media, Buffer.alloc(200_000, 3));
    const publish = (n: number, extra: string[] = []) => {
      const r = runFjord(
        ['publish', '--no-probe', media, '--data', data, '--catalog', pg.url, '--series', 'PG Show'].concat(
          ['--new-series', '--season', '1', '--episode', String(n), '--title', `E${n}`, '--cleared', '-q'],
          extra,
        ),
      );
      assert.equal(r.status, 0, r.stderr);
    };
    let served;
    try {
      publish(1);
      publish(2);
      const [h1, h2] = [await hashOfEpisode(pg.url, 1), await hashOfEpisode(pg.url, 2)];
      served = await serveFjord(
        ['--data', data, '--catalog', pg.url, '--http', '127.0.0.1:0', '--udp', '127.0.0.1:0'].concat([
          '--web',
          '127.0.0.1:0',
          '--admin',
          'off',
        ]),
        ['udp', 'http', 'web'],
      );
      const s = served;
      assert.ok(await tracked(s.ports.http, h1));
      assert.ok(await tracked(s.ports.http, h2));
      // Episode 2's window closes 15 s from now; serve reads the change at its next poll.
      const closes = new Date(Date.now() + 15_000);
      const r = runFjord(
        ['rights', '--data', data, '--catalog', pg.url, '--series', 'pg-show', '--season', '1'].concat([
          '--episode',
          '2',
          '--available-until',
          closes.toISOString(),
        ]),
      );
      assert.equal(r.status, 0, r.stderr);
      await sleep(2500);
      const before = await httpGet(s.ports.web, `/api/subtitles/${TOKEN}`);

      pg.stop();
      // Down: the tracker still tracks what it tracked; the pages from the snapshot still answer;
      // a request that needs the database gets 503.
      assert.ok(Date.now() < closes.getTime() - 2000, 'the outage must begin before the window closes');
      assert.ok(await tracked(s.ports.http, h1), 'episode 1 tracked while the database is down');
      assert.ok(await tracked(s.ports.http, h2), 'episode 2 tracked until its window closes');
      const home = await httpGet(s.ports.web, '/');
      assert.equal(home.status, 200);
      const dbPage = await httpGet(s.ports.web, `/api/subtitles/${TOKEN}`);
      assert.equal(dbPage.status, 503, `${dbPage.status} ${dbPage.body.toString()} (was ${before.status})`);
      assert.ok(dbPage.headers['retry-after'], 'Retry-After on 503');
      // The window edge passes while the database is down: episode 2 stops being tracked on time.
      await until(() => Date.now() > closes.getTime() + 1500, 20_000);
      assert.equal(await tracked(s.ports.http, h2), false, 'window closed during the outage');
      assert.ok(await tracked(s.ports.http, h1));
      assert.equal(s.child.exitCode, null, 'serve still running');

      pg.start();
      publish(3);
      const h3 = await hashOfEpisode(pg.url, 3);
      await until(() => tracked(s.ports.http, h3), 15_000, 'episode 3 tracked after the restart');
      assert.equal((await httpGet(s.ports.web, `/api/subtitles/${TOKEN}`)).status, before.status);
      assert.match(s.stderr(), /catalog: cannot read/);
      assert.match(s.stderr(), /catalog: reading again/);
    } finally {
      await served?.stop();
      pg.destroy();
      rmSync(work, { recursive: true, force: true });
    }
  },
);

/**
 * Hybrid torrents published before fjord recorded their aria2 alias (migration 006) and v1 twin
 * (migration 007) get them at `fjord serve` start, from their .torrent files, and the tracker allows
 * them from then on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parseTorrent } from '../../src/protocol/metainfo.js';
import { serveFjord } from '../helpers/cli.js';
import { announcePath, httpGet, tempDir } from '../helpers/tracker.js';
import { fjord, randomFile } from './publish-helpers.js';

function sqlite<T>(data: string, fn: (db: Database.Database) => T): T {
  const db = new Database(join(data, 'catalog.sqlite'), { timeout: 5000 });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

test('fjord serve fills in missing aria2 and v1 twin info hashes from the .torrent files and allows them', async () => {
  const dir = tempDir('fjord-aria2-backfill-');
  const data = join(dir, 'data');
  for (const n of [1, 2]) {
    const video = join(dir, `v${n}.mkv`);
    randomFile(video, 100_000 + n);
    const r = await fjord([
      'publish',
      '--no-probe',
      video,
      ...['--data', data, '--series', 'Backfill', ...(n === 1 ? ['--new-series'] : [])],
      ...['--season', '1', '--episode', String(n), '--title', `E${n}`, '--cleared', '-q'],
    ]);
    assert.equal(r.status, 0, r.stderr);
  }
  const rows = sqlite(
    data,
    (db) =>
      db
        .prepare(
          'SELECT id, path, info_hash_aria2 AS alias, info_hash_v1_twin AS twin FROM torrents ORDER BY id',
        )
        .all() as Array<{ id: number; path: string; alias: string | null; twin: string | null }>,
  );
  const parsed = rows.map((r) => parseTorrent(readFileSync(join(data, r.path))));
  const aliases = parsed.map((m) => m.infoHashAria2);
  const twins = parsed.map((m) => m.infoHashV1Twin);
  assert.deepEqual(
    rows.map((r) => [r.alias, r.twin]),
    parsed.map((m) => [m.infoHashAria2, m.infoHashV1Twin]),
    'publish records them',
  );
  assert.ok(twins.every((t) => t !== undefined && !parsed.some((m) => m.infoHashV1 === t)));
  // As a catalog from before migrations 006 and 007 has them: none; and one .torrent file gone.
  sqlite(data, (db) =>
    db.prepare('UPDATE torrents SET info_hash_aria2 = NULL, info_hash_v1_twin = NULL').run(),
  );
  sqlite(data, (db) =>
    db.prepare("UPDATE torrents SET path = 'torrents/gone.torrent' WHERE id = ?").run(rows[1].id),
  );

  const served = await serveFjord([
    '--data',
    data,
    '--http',
    '127.0.0.1:0',
    '--udp',
    '127.0.0.1:0',
    '--admin',
    'off',
  ]);
  try {
    assert.match(served.stderr(), /aria2 and v1 twin info hashes of 1 of 2 hybrid torrents .* filled in/);
    assert.match(served.stderr(), /no derived info hashes for torrents\/gone\.torrent/);
    const after = sqlite(
      data,
      (db) =>
        db
          .prepare('SELECT info_hash_aria2 AS alias, info_hash_v1_twin AS twin FROM torrents ORDER BY id')
          .all() as Array<{
          alias: string | null;
          twin: string | null;
        }>,
    );
    assert.deepEqual(
      after.map((r) => [r.alias, r.twin]),
      [
        [aliases[0], twins[0]],
        [null, null],
      ],
    );
    for (const [what, hash] of [
      ['alias', aliases[0]],
      ['v1 twin', twins[0]],
      ['(not filled in) v1 twin', twins[1]],
    ] as const) {
      const r = await httpGet(
        served.ports.http,
        announcePath({ hash: Buffer.from(hash!, 'hex'), port: 6999, left: 0, event: 'started' }),
      );
      const refused = /failure reason/.test(r.body.toString('latin1'));
      assert.equal(refused, what.startsWith('(not'), `the ${what} is ${refused ? 'refused' : 'allowed'}`);
    }
  } finally {
    await served.stop();
  }
});

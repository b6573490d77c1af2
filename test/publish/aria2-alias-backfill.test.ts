/**
 * Hybrid torrents published before fjord recorded their aria2 alias (migration 008) get it at
 * `fjord serve` start, from their .torrent files, and the tracker allows it from then on.
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

test('fjord serve fills in missing aria2 info hashes from the .torrent files and allows them', async () => {
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
      db.prepare('SELECT id, path, info_hash_aria2 AS alias FROM torrents ORDER BY id').all() as Array<{
        id: number;
        path: string;
        alias: string | null;
      }>,
  );
  const aliases = rows.map((r) => parseTorrent(readFileSync(join(data, r.path))).infoHashAria2);
  assert.deepEqual(
    rows.map((r) => r.alias),
    aliases,
    'publish records it',
  );
  // As a catalog from before migration 008 has them: no alias; and one .torrent file gone.
  sqlite(data, (db) => db.prepare('UPDATE torrents SET info_hash_aria2 = NULL').run());
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
    assert.match(served.stderr(), /aria2 info hashes of 1 of 2 hybrid torrents .* filled in/);
    assert.match(served.stderr(), /no aria2 info hash for torrents\/gone\.torrent/);
    const after = sqlite(
      data,
      (db) =>
        db.prepare('SELECT info_hash_aria2 AS alias FROM torrents ORDER BY id').all() as Array<{
          alias: string | null;
        }>,
    );
    assert.deepEqual(
      after.map((r) => r.alias),
      [aliases[0], null],
    );
    const r = await httpGet(
      served.ports.http,
      announcePath({ hash: Buffer.from(aliases[0]!, 'hex'), port: 6999, left: 0, event: 'started' }),
    );
    assert.doesNotMatch(r.body.toString('latin1'), /failure reason/, 'the filled-in alias is allowed');
  } finally {
    await served.stop();
  }
});

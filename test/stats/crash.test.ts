/**
 * Issue 19, item 9, the statistics side: completions counted in the minute a `kill -9` cuts short
 * reach the statistics after the restart (they are in the tracker's journal, and DATA/stats-seen.bin
 * says what the recorder had written), instead of being taken as recorded already and lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { serveFjord, until, type Served } from '../helpers/cli.js';
import { announcePath, hashOf, httpGet, tempDir } from '../helpers/tracker.js';

const serve = (data: string) =>
  serveFjord(
    [
      ...['--open', '--data', data, '--http', '127.0.0.1:0', '--udp', '127.0.0.1:0'],
      ...['--web', '127.0.0.1:0', '--admin', 'off'],
    ],
    ['udp', 'http', 'web'],
  );

function recordedCompletions(data: string): number {
  const db = new Database(join(data, 'catalog.sqlite'), { readonly: true });
  try {
    const row = db
      .prepare('SELECT COALESCE(SUM(completions), 0) AS n FROM stats_swarm_minute WHERE torrent_id = 0')
      .get() as { n: number };
    return Number(row.n);
  } finally {
    db.close();
  }
}

test('completions of a minute cut short by kill -9 are in the statistics after the restart', async () => {
  const data = tempDir('fjord-statscrash-');
  const h = hashOf(951);
  let s: Served = await serve(data);
  try {
    for (let i = 0; i < 20; i++) {
      const r = await httpGet(
        s.ports.http,
        announcePath({ hash: h, port: 6881, left: 0, event: 'completed' }),
        {
          localAddress: `127.0.1.${2 + i}`,
        },
      );
      assert.equal(r.status, 200);
    }
    await new Promise((r) => setTimeout(r, 1500));
    await s.stop('SIGKILL');
    s = await serve(data);
    s.child.kill('SIGUSR2');
    await until(() => /recorded on SIGUSR2/.test(s.stderr()), 20_000, 'the SIGUSR2 recording');
    assert.equal(recordedCompletions(data), 20, s.stderr());
  } finally {
    await s.stop();
    rmSync(data, { recursive: true, force: true });
  }
});

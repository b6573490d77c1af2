/**
 * A rights holder's monthly report (issue 14) agrees with the statistics a real download left: a
 * libtorrent client fetches an episode from a running `fjord serve` (tracker and web seed), the
 * statistics are recorded (SIGUSR2), and `fjord report --party ... --month ...` gives the same
 * completed downloads, web seed bytes and bytes delivered as the recorded rows, and the amount owed
 * under the per-download contract. The statement, once issued, stays as issued.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { runFjord, serveFjord, type Served } from '../helpers/cli.js';
import { httpGet, tempDir } from '../helpers/tracker.js';
import { program, pythonModule, skipUnless } from '../helpers/programs.js';
import { fjord, randomFile } from '../publish/publish-helpers.js';
import { localDay } from '../../src/stats/time.js';
import { ltPeer, until, type Child } from './helpers-procs.js';

const WORK = tempDir('fjord-rights-report-');
const DATA = join(WORK, 'data');
const SIZE = 1024 * 1024 + 777;
let served: Served;
const children: Child[] = [];
const skip = skipUnless(pythonModule('libtorrent'), program('timeout'));

before(async () => {
  if (skip !== false) return;
  served = await serveFjord(
    [
      ...['--data', DATA, '--http', '127.0.0.1:0', '--udp', '127.0.0.1:0', '--web', '127.0.0.1:0'],
      ...['--admin', 'off', '--interval', '10'],
    ],
    ['udp', 'http', 'web'],
  );
});
after(async () => {
  for (const c of children) await c.stop('SIGKILL');
  await served?.stop();
});

function cli(...args: string[]): string {
  const r = runFjord([...args, '--data', DATA]);
  assert.equal(r.status, 0, `fjord ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function recorded(
  torrentId: number,
  path: string,
): { completions: number; partial: number; webSeed: number } {
  const db = new Database(join(DATA, 'catalog.sqlite'), { readonly: true, timeout: 5000 });
  try {
    const s = db
      .prepare(
        'SELECT COALESCE(SUM(completions), 0) AS c, COALESCE(SUM(partial_bytes), 0) AS p FROM stats_swarm_hour WHERE torrent_id = ?',
      )
      .get(torrentId) as { c: number; p: number };
    const w = db
      .prepare('SELECT COALESCE(SUM(bytes), 0) AS b FROM stats_webseed_hour WHERE path = ?')
      .get(path) as { b: number };
    return { completions: s.c, partial: s.p, webSeed: w.b };
  } finally {
    db.close();
  }
}

test(
  'report figures equal the statistics recorded for a real libtorrent download',
  { skip, timeout: 180_000 },
  async () => {
    const video = join(WORK, 'source.mkv');
    randomFile(video, SIZE);
    const r = await fjord([
      'publish',
      '--no-probe',
      video,
      ...['--data', DATA, '--series', 'Fjordliv', '--new-series', '--season', '1', '--episode', '1'],
      ...['--title', 'Vinter', '--cleared', '-q'],
      ...['--tracker', `http://127.0.0.1:${served.ports.http}/announce`],
      ...['--web-url', `http://127.0.0.1:${served.ports.web}`],
    ]);
    assert.equal(r.status, 0, r.stderr);
    cli('party', 'add', 'Fjordkoret', '--kind', 'performers', '--reporting-address', 'rapport@fjordkoret.no');
    cli(
      ...['contract', 'add', '--party', 'Fjordkoret', '--covers', 'fjordliv', '--status', 'signed'],
      ...['--from', '2020-01-01', '--compensation', 'per-download', '--amount', '0.25', '--currency', 'NOK'],
    );
    const db = new Database(join(DATA, 'catalog.sqlite'), { readonly: true });
    const row = db
      .prepare(
        "SELECT t.id, t.path FROM torrents t JOIN episodes e ON e.id = t.episode_id WHERE e.title = 'Vinter'",
      )
      .get() as { id: number; path: string };
    const media = (db.prepare('SELECT path FROM media_files').get() as { path: string }).path;
    db.close();
    await until(20_000, 'the episode page', async () =>
      (await httpGet(served.ports.web, '/series/fjordliv/s01e01')).status === 200 ? true : undefined,
    );

    const client = ltPeer('libtorrent', {
      torrent: join(DATA, row.path),
      save: join(WORK, 'lt'),
      mode: 'leech',
      noUtp: true,
    });
    children.push(client);
    await client.waitForEvent('finished', 90_000);
    await client.waitForExit(20_000);

    // Record until the completion is in the statistics.
    let figures = recorded(row.id, media);
    await until(30_000, 'the completion in the statistics', async () => {
      const flushes = () => served.stderr().split('statistics: recorded on SIGUSR2').length;
      const before = flushes();
      served.child.kill('SIGUSR2');
      await until(20_000, 'the flush', async () => (flushes() > before ? true : undefined), 100);
      figures = recorded(row.id, media);
      return figures.completions >= 1 ? true : undefined;
    });
    assert.equal(figures.completions, 1);
    assert.ok(figures.webSeed >= SIZE, `the web seed sent the file (${figures.webSeed} bytes)`);

    const month = localDay(Date.now(), 'Europe/Oslo').slice(0, 7);
    const report = JSON.parse(
      cli('report', '--party', 'fjordkoret', '--month', month, '--format', 'json'),
    ) as {
      works: Array<{
        work: string;
        completedDownloads: number;
        webSeedBytes: number;
        bytesDelivered: number;
        owedMicros: number;
        browserPlays: number | null;
      }>;
      totals: { completedDownloads: number; owedMicros: number };
      party: { reportingAddress: string };
    };
    assert.equal(report.works.length, 1);
    const w = report.works[0];
    assert.equal(w.work, 'fjordliv s01e01');
    assert.equal(w.completedDownloads, figures.completions, 'completed downloads as recorded');
    assert.equal(w.webSeedBytes, figures.webSeed, 'web seed bytes as recorded');
    assert.equal(
      w.bytesDelivered,
      figures.completions * SIZE + figures.partial,
      'completions x size + partial bytes',
    );
    assert.equal(w.owedMicros, 250_000, 'one download at NOK 0.25');
    assert.equal(w.browserPlays, null, 'plays are not recorded: never reported as 0');
    assert.equal(report.party.reportingAddress, 'rapport@fjordkoret.no');
    process.stdout.write(
      `# report: ${w.completedDownloads} download, ${w.webSeedBytes} web seed bytes, owed ${w.owedMicros / 1e6} NOK\n`,
    );

    // CSV and a printable statement; an issued statement stays as issued.
    const csv = cli('report', '--party', 'Fjordkoret', '--month', month, '--format', 'csv');
    assert.match(csv, /^\ufeffwork,title,completed_downloads,/);
    assert.match(csv, /\r\nfjordliv s01e01,Vinter,1,,,,\d+,\d+,0.25\r\n/);
    const issued = cli('report', '--party', 'Fjordkoret', '--month', month, '--issue', '--format', 'html');
    assert.match(issued, /Statement 1, issued/);
    const again = runFjord(['report', '--party', 'Fjordkoret', '--month', month, '--issue', '--data', DATA]);
    assert.equal(again.status, 1);
    assert.match(
      again.stderr,
      /^fjord: Fjordkoret already has statement 1 for \d{4}-\d{2}: issue a correction with --corrects 1\n$/,
    );
    const kept = cli(
      'report',
      '--party',
      'Fjordkoret',
      '--month',
      month,
      '--statement',
      '1',
      '--format',
      'html',
    );
    assert.equal(kept, issued, 'the issued statement prints exactly as issued');
    assert.match(
      cli('report', '--party', 'Fjordkoret', '--month', month, '--issue', '--corrects', '1'),
      /statement 2/,
    );
  },
);

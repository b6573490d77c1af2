/**
 * Fault injection (issue 18): the data directory's filesystem full, on a small tmpfs (8 MiB, mounted
 * by the test: needs root; skipped with the reason otherwise, except under CI).
 *
 *   - publish: a video larger than the free space is refused with one line naming the disk, the
 *     catalog and the files are as they were, and a small one goes through afterwards;
 *   - serve: with the disk full to within one page, completions keep being counted and announces
 *     answered; the state files that cannot be written are reported, and the ones already on disk
 *     are never replaced by a short write: after a kill -9 on the full disk every completion saved
 *     before it filled is still there, and once space is back everything is kept again.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { runFjord, serveFjord, sleep, type Served } from '../helpers/cli.js';
import { announcePath, hashOf, httpGet, percent, tempDir } from '../helpers/tracker.js';
import { skipUnless } from '../helpers/programs.js';
import { listFiles } from '../publish/publish-helpers.js';

const root = process.getuid?.() === 0;
const skip = skipUnless({ ok: root, what: 'root (to mount a small tmpfs as the data directory)' });
const MNT = tempDir('fjord-diskfull-');
let mounted = false;

before(() => {
  if (skip !== false) return;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', MNT], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `mount: ${r.stderr}`);
  mounted = true;
});
after(() => {
  if (mounted) spawnSync('umount', ['-l', MNT]);
  rmSync(MNT, { recursive: true, force: true });
});

/** Fills the filesystem of dir until ENOSPC, then frees `leave` bytes; returns the filler's path. */
function fill(dir: string, leave: number): string {
  const p = join(dir, 'filler');
  const fd = openSync(p, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) {
      try {
        if (writeSync(fd, chunk) < chunk.length) break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
  truncateSync(p, Math.max(0, statSync(p).size - leave));
  return p;
}

test(
  'publish on a full disk: a clear refusal, nothing changed, the next one succeeds',
  { skip },
  async () => {
    const data = join(MNT, 'pub');
    const work = tempDir('fjord-diskfull-src-');
    try {
      const big = join(work, 'big.mkv');
      const small = join(work, 'small.mkv');
      writeFileSync(big, Buffer.alloc(12 * 1024 * 1024, 5));
      writeFileSync(small, Buffer.alloc(100_000, 6));
      const args = (file: string, n: number) =>
        ['publish', '--no-probe', file, '--data', data, '--series', 'Full', '--new-series'].concat([
          '--season',
          '1',
          '--episode',
          String(n),
          '--title',
          `E${n}`,
          '--cleared',
          '-q',
        ]);
      assert.equal(runFjord(args(small, 1)).status, 0);
      const files = listFiles(data);
      const r = runFjord(args(big, 2));
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^fjord: .*(no space left|ENOSPC|disk is full).*\n$/i);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.deepEqual(listFiles(data), files, 'nothing left behind');
      assert.equal(runFjord(args(small, 2)).status, 0, 'the next publication succeeds');
      const list = runFjord(['episode', 'list', '--data', data]);
      assert.match(list.stdout, /E2/);
    } finally {
      rmSync(data, { recursive: true, force: true });
      rmSync(work, { recursive: true, force: true });
    }
  },
);

test(
  'serve on a full disk keeps tracking and never damages the saved state',
  { skip, timeout: 120_000 },
  async () => {
    const data = join(MNT, 'serve');
    mkdirSync(data, { mode: 0o700 });
    writeFileSync(join(data, 'fjord.json'), JSON.stringify({ saveInterval: 1 }));
    const confDir = tempDir('fjord-diskfull-conf-');
    const hourly = join(confDir, 'hourly.json');
    writeFileSync(hourly, JSON.stringify({ saveInterval: 3600 }));
    const serve = (config?: string) =>
      serveFjord(
        ['--open', '--data', data, '--http', '127.0.0.1:0', '--udp', '127.0.0.1:0', '--admin', 'off'].concat(
          config ? ['--config', config] : [],
        ),
      );
    /** Completions on torrents from..to-1, 8 in flight (so that journal appends carry several records). */
    const complete = async (s: Served, from: number, to: number): Promise<void> => {
      let next = from;
      const one = async (): Promise<void> => {
        while (next < to) {
          const hash = hashOf(5000 + next++);
          const r = await httpGet(
            s.ports.http,
            announcePath({ hash, port: 6881, left: 0, event: 'completed' }),
          );
          assert.equal(r.status, 200);
          assert.doesNotMatch(r.body.toString('latin1'), /failure/);
        }
      };
      await Promise.all(Array.from({ length: 8 }, one));
    };
    const counted = async (s: Served, from: number, to: number): Promise<number> => {
      let n = 0;
      for (let i = from; i < to; i++) {
        const r = await httpGet(s.ports.http, `/scrape?info_hash=${percent(hashOf(5000 + i))}`);
        n += Number(/10:downloadedi(\d+)e/.exec(r.body.toString('latin1'))?.[1] ?? 0);
      }
      return n;
    };
    let s = await serve();
    let filler = '';
    try {
      await complete(s, 0, 400);
      await sleep(2500); // saved (saveInterval 1 s)
      filler = fill(MNT, 4096);
      await complete(s, 400, 1200); // answered although nothing more fits on the disk
      await sleep(2500);
      assert.equal(await counted(s, 0, 1200), 1200, 'counted in memory');
      assert.match(s.stderr(), /state: cannot (save|append)/);
      await s.stop('SIGKILL');

      // Restarted on the full disk, with saves an hour apart (so only the journal keeps what follows):
      // what was saved before the disk filled is all there, undamaged, and announces are answered.
      s = await serve(hourly);
      assert.equal(await counted(s, 0, 400), 400, s.stderr());
      assert.doesNotMatch(s.stderr(), /DAMAGED/);
      await complete(s, 1200, 1210);
      assert.equal(await counted(s, 1200, 1210), 10);

      // Space comes back: completions are journaled again within seconds, not at the next save.
      rmSync(filler);
      filler = '';
      await sleep(6000);
      await complete(s, 1210, 1400);
      await sleep(1000);
      await s.stop('SIGKILL');
      s = await serve(hourly);
      assert.doesNotMatch(s.stderr(), /DAMAGED/);
      assert.equal(await counted(s, 0, 400), 400);
      assert.equal(await counted(s, 1210, 1400), 190, 'journaled once space came back');

      // The disk fills in the middle of a journal append, and space comes back while the same
      // journal is open: the part written is cut off, so later records are read in step.
      filler = fill(MNT, 0);
      await complete(s, 1400, 1700); // more than the journal's last page holds
      rmSync(filler);
      filler = '';
      await sleep(1000);
      await complete(s, 1700, 1750);
      await sleep(1000);
      await s.stop('SIGKILL');
      s = await serve(hourly);
      assert.doesNotMatch(s.stderr(), /DAMAGED/);
      assert.equal(await counted(s, 1700, 1750), 50, s.stderr());
      assert.equal(await counted(s, 1400, 1700), 300, 'the appends that failed are written later');
      assert.deepEqual(
        listFiles(data).filter((f) => /\.tmp/.test(f)),
        [],
        'no temporary file left behind',
      );
    } finally {
      await s.stop();
      if (filler) rmSync(filler, { force: true });
      rmSync(data, { recursive: true, force: true });
      rmSync(confDir, { recursive: true, force: true });
    }
  },
);

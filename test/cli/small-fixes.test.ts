/**
 * The smaller findings of issue 17 (7), each as a user meets it: times printed in the offset they
 * were given; no double default in `publish --help`; one-time passwords never start with '-'; the
 * dashboard's inbox exists on a new data directory; `npm install` leaves package-lock.json alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatePassword } from '../../src/auth/password.js';
import { readInbox } from '../../src/web/admin/publishing.js';
import { runFjord } from '../helpers/cli.js';
import { tempDir } from '../helpers/tracker.js';
import { randomFile } from '../publish/publish-helpers.js';

test('times in command output are printed in the offset they were given, to the second', () => {
  const work = tempDir('fjord-times-');
  const data = join(work, 'data');
  const video = join(work, 'v.mkv');
  randomFile(video, 50_000);
  const where = ['--data', data, '--series', 'tid', '--season', '1', '--episode', '1'];
  const r = runFjord([
    'publish',
    video,
    '--no-probe',
    ...where,
    ...['--new-series', '--title', 'T', '--cleared', '-q'],
    ...['--available-from', '2099-12-01T18:00:00+01:00', '--available-until', '2100-01-01T00:00:00+01:00'],
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /status: {4}scheduled: distributed from 2099-12-01T18:00:00\+01:00 until 2100-01-01T00:00:00\+01:00\n/,
  );
  const rights = runFjord(['rights', ...where, '--available-until', '2100-06-01T00:00:00+02:00']);
  assert.equal(rights.status, 0, rights.stderr);
  assert.match(rights.stdout, /window 2099-12-01T19:00:00\+02:00 to 2100-06-01T00:00:00\+02:00/);
  assert.doesNotMatch(rights.stdout + r.stdout, /\.000Z/);
});

test('publish --help gives each default once', () => {
  const r = runFjord(['publish', '--help']);
  assert.equal(r.status, 0);
  assert.doesNotMatch(r.stdout, /\(default: \[\]\)/);
  assert.match(r.stdout, /\(default: publicTrackerUrls\)/);
});

test('a one-time password never starts with "-" (a command line would read it as an option)', () => {
  // base64url has '-' among its 64 characters: 5,000 passwords all avoiding it by chance: (63/64)^5000.
  for (let i = 0; i < 5000; i++) {
    const p = generatePassword();
    assert.ok(!p.startsWith('-'), p);
    assert.equal(p.length, 20);
  }
});

test("the dashboard's inbox is created when it does not exist yet", async () => {
  const dir = join(tempDir('fjord-inbox-'), 'data', 'inbox');
  const inbox = await readInbox(dir);
  assert.equal(inbox.exists, true);
  assert.ok(existsSync(dir));
});

test('npm install leaves package-lock.json as committed', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const dir = tempDir('fjord-lock-');
  copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(root, 'package-lock.json'), join(dir, 'package-lock.json'));
  const r = spawnSync(
    'npm',
    ['install', '--package-lock-only', '--ignore-scripts', '--offline', '--no-audit', '--no-fund'],
    { cwd: dir, encoding: 'utf8', timeout: 120_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    readFileSync(join(dir, 'package-lock.json'), 'utf8'),
    readFileSync(join(root, 'package-lock.json'), 'utf8'),
    'npm rewrote the lock file',
  );
});

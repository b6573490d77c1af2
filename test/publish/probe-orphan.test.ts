/**
 * Issue 19, item 11 (part): `kill -9` of `fjord publish` while ffprobe runs must not leave ffprobe
 * running. A stand-in ffprobe first on PATH writes its pid and sleeps (exec: the same process), so
 * the publication is held in the probe; then the publish process is killed with SIGKILL.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_ARGS, until } from '../helpers/cli.js';
import { tempDir } from '../helpers/tracker.js';
import { randomFile } from './publish-helpers.js';

/** True while the process exists and is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

test('kill -9 of fjord publish during ffprobe: no ffprobe is left running (within 2 s)', async () => {
  const work = tempDir('fjord-probe-orphan-');
  const bin = join(work, 'bin');
  mkdirSync(bin);
  const pidFile = join(work, 'ffprobe.pid');
  writeFileSync(
    join(bin, 'ffprobe'),
    `#!/bin/sh\necho $$ > '${pidFile}.tmp'\nmv '${pidFile}.tmp' '${pidFile}'\nexec sleep 120\n`,
  );
  chmodSync(join(bin, 'ffprobe'), 0o755);
  const media = join(work, 'clip.mkv');
  randomFile(media, 100_000);
  const child = spawn(
    process.execPath,
    [
      ...NODE_ARGS,
      ...['publish', media, '--data', join(work, 'data'), '--series', 'Show', '--new-series'],
      ...['--season', '1', '--episode', '1', '--title', 'T', '--cleared', '-q'],
    ],
    { stdio: 'ignore', env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } },
  );
  let pid = 0;
  try {
    await until(() => existsSync(pidFile), 60_000, 'the stand-in ffprobe to start');
    pid = Number(readFileSync(pidFile, 'utf8').trim());
    assert.ok(alive(pid), 'ffprobe runs');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    await until(() => !alive(pid), 2000, 'ffprobe to end with its parent').catch(() => undefined);
    assert.equal(alive(pid), false, `ffprobe (pid ${pid}) outlived fjord publish`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
});

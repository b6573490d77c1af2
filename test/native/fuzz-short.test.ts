// A short run of the native addon's libFuzzer harnesses (fuzz/native/, under AddressSanitizer and
// UndefinedBehaviorSanitizer): each from its committed seeds (which replays any crash committed
// there as a regression) for 20,000 inputs or 25 s, whichever comes first, with a fixed seed.
// Skips with the reason when clang is missing, except under CI, which must run it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const haveClang = spawnSync('clang', ['--version'], { stdio: 'ignore' }).status === 0;
const inCI = process.env.CI === 'true' || process.env.CI === '1';
const skip = !haveClang && !inCI ? 'clang is not installed (apt-get install clang); CI runs this' : false;
const harnesses = readdirSync('fuzz/native')
  .filter((f) => f.endsWith('_fuzz.c'))
  .map((f) => f.slice(0, -'_fuzz.c'.length));

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('bash', ['scripts/fuzz-native.sh', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => resolve({ code, out }));
  });
}

test('native fuzz harnesses: a short sanitized run finds no crash', { skip, timeout: 240_000 }, async () => {
  assert.ok(haveClang, 'CI must have clang (.ci/run installs it)');
  assert.ok(harnesses.length >= 2, 'the http_batch and udp_batch harnesses exist');
  const dir = mkdtempSync(join(tmpdir(), 'fjord-fuzz-'));
  const { code, out } = await run([
    '--runs',
    '20000',
    '--time',
    '25',
    '--fresh',
    '--seed',
    '1',
    '--out',
    dir,
  ]);
  assert.equal(code, 0, `${out}\n(the crashing input is kept in ${dir}/crashes)`);
  rmSync(dir, { recursive: true, force: true });
  for (const h of harnesses) {
    const row = out.split('\n').find((l) => l.startsWith(`| ${h} `));
    assert.ok(row, `${h} ran:\n${out}`);
    const [, , executions, , cov, , , crashes] = row.split('|').map((c) => c.trim());
    assert.ok(Number(executions) > 1000, `${h}: ${executions} executions`);
    assert.ok(Number(cov) > 100, `${h}: coverage ${cov}`);
    assert.equal(crashes, '0');
  }
});

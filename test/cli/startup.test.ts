/**
 * Issue 17, item 6: the command starts in the time node does when it only has to print help. Each
 * command registers its options and help from src/cli/commands/ and imports its work only when it
 * runs, so `fjord --help`, `fjord COMMAND --help` and `fjord --version` load no catalog, tracker,
 * web or hashing module. Asserted on what a real child process loads (test/helpers/load-log.mjs
 * records every module URL), never on how long it takes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MAIN } from '../helpers/cli.js';
import { tempDir } from '../helpers/tracker.js';

const SRC = new URL('../../src/', import.meta.url).href;
const HOOK = fileURLToPath(new URL('../helpers/load-log.mjs', import.meta.url));

/** Runs `fjord ARGS` from source; returns its fjord modules (paths under src/) and its output. */
function loadedBy(args: string[]): {
  status: number | null;
  stdout: string;
  stderr: string;
  modules: string[];
} {
  const log = join(tempDir('fjord-startup-'), 'loaded.txt');
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', HOOK, MAIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, FJORD_LOAD_LOG: log },
  });
  const modules = [
    ...new Set(
      readFileSync(log, 'utf8')
        .split('\n')
        .filter((u) => u.startsWith(SRC))
        .map((u) => u.slice(SRC.length).replace(/\?.*$/, '')),
    ),
  ].sort();
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, modules };
}

/** What printing help may load: the entry point, the registrations, and the roles list for `user add`. */
const helpOnly = (m: string): boolean =>
  m === 'cli/main.ts' ||
  m === 'cli/program.ts' ||
  m === 'cli/io.ts' ||
  m.startsWith('cli/commands/') ||
  m === 'auth/roles.ts';

for (const args of [
  ['--help'],
  ['--version'],
  ['publish', '--help'],
  ['torrent', 'create', '--help'],
  ['serve', '--help'],
  ['episode', 'edit', '--help'],
  ['user', 'add', '--help'],
]) {
  test(`fjord ${args.join(' ')} loads only the command registrations`, () => {
    const r = loadedBy(args);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.length > 0);
    assert.ok(r.modules.includes('cli/main.ts'), `the log records fjord's modules: ${r.modules.join(' ')}`);
    const heavy = r.modules.filter((m) => !helpOnly(m));
    assert.deepEqual(heavy, [], `loaded for ${args.join(' ')}: ${heavy.join(' ')}`);
  });
}

test('a command that runs loads its implementation, and torrent create not the catalog or servers', () => {
  const dir = tempDir('fjord-startup-');
  const file = join(dir, 'a.bin');
  writeFileSync(file, Buffer.alloc(100_000, 7));
  const r = loadedBy(['torrent', 'create', file, '-o', join(dir, 'a.torrent'), '-q']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.modules.includes('cli/torrent.ts'), r.modules.join(' '));
  assert.ok(r.modules.includes('publish/torrent/create.ts'), r.modules.join(' '));
  const unneeded = r.modules.filter((m) =>
    /^(catalog|tracker|web|swarm|auth\/accounts|stats|subtitles)/.test(m),
  );
  assert.deepEqual(unneeded, [], `torrent create loaded ${unneeded.join(' ')}`);
});

// bin/fjord.js answers help and version requests from dist/cli/help.json (npm run build).
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(join(ROOT, 'dist/cli/help.json'));
const skipUnbuilt = built || process.env.CI === 'true' ? false : 'needs `npm run build` (dist/cli/help.json)';

/** Runs `node [--import HOOK] BIN ARGS`; returns its output and every file it loaded. */
function runBin(bin: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const log = join(tempDir('fjord-startup-'), 'loaded.txt');
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', HOOK, bin, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env, FJORD_LOAD_LOG: log },
  });
  const files = readFileSync(log, 'utf8')
    .split('\n')
    .filter((u) => u.startsWith('file:') && !u.endsWith('load-log.mjs'));
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, files };
}

test(
  'help and version from bin/fjord.js: the texts commander prints, without loading commander or fjord',
  { skip: skipUnbuilt, timeout: 120_000 },
  () => {
    const bin = join(ROOT, 'bin/fjord.js');
    for (const args of [['--help'], ['-V'], ['publish', '--help'], ['torrent', 'create', '-h']]) {
      const fast = runBin(bin, args);
      assert.equal(fast.status, 0, fast.stderr);
      assert.deepEqual(fast.files, [pathToFileURL(bin).href], `loaded for ${args.join(' ')}`);
      const rendered = runBin(join(ROOT, 'dist/cli/main.js'), args);
      assert.equal(rendered.status, 0, rendered.stderr);
      assert.equal(fast.stdout, rendered.stdout, `fjord ${args.join(' ')}`);
    }
    // Anything else runs the program: an unknown option is commander's error, not a stored text.
    const other = runBin(bin, ['publish', '--no-such-option', '--help']);
    assert.ok(
      other.files.some((f) => f.endsWith('/dist/cli/main.js')),
      other.files.join(' '),
    );
  },
);

test(
  'stale help texts (the program rebuilt without them) are not used',
  { skip: skipUnbuilt, timeout: 120_000 },
  () => {
    const copy = tempDir('fjord-stale-help-');
    cpSync(join(ROOT, 'dist'), join(copy, 'dist'), { recursive: true, preserveTimestamps: true });
    cpSync(join(ROOT, 'bin'), join(copy, 'bin'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(copy, 'package.json'), { preserveTimestamps: true });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const bin = join(copy, 'bin/fjord.js');
    const before = runBin(bin, ['--help']);
    assert.deepEqual(before.files, [pathToFileURL(bin).href], 'the copy uses its texts');
    // As tsc leaves it: program.js written again, help.json not.
    const later = new Date(Date.now() + 5000);
    utimesSync(join(copy, 'dist/cli/program.js'), later, later);
    const after = runBin(bin, ['--help']);
    assert.equal(after.status, 0, after.stderr);
    assert.ok(
      after.files.some((f) => f.endsWith('/dist/cli/main.js')),
      'commander renders it',
    );
    assert.equal(after.stdout, before.stdout);
  },
);

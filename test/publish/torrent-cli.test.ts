/**
 * `fjord torrent create` and `fjord torrent show`, run as a user runs them: through src/cli/main.ts
 * under tsx, and compiled by tsc to plain JavaScript (as dist/ is), where the hashing workers load
 * hash-worker.js instead of hash-worker.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTorrent } from '../../src/protocol/metainfo.js';
import { createTorrent, progressBar } from '../../src/publish/torrent/index.js';
import { closeIdleWorkers } from '../../src/publish/torrent/pool.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const tsx = fileURLToPath(import.meta.resolve('tsx'));
const root = mkdtempSync(join(tmpdir(), 'fjord-cli-'));
const show = join(root, 'show');

/** `length` bytes determined by `seed`: AES-128-CTR keystream under a key derived from the seed. */
function bytes(length: number, seed: string): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

function fjord(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', tsx, join(repo, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  for (const [rel, len] of Object.entries({ 'ep1.mkv': 5_000_000, 'ep1.nb.srt': 4_000, 'extra/a.txt': 10 })) {
    mkdirSync(dirname(join(show, rel)), { recursive: true });
    writeFileSync(join(show, rel), bytes(len, rel));
  }
});

after(async () => {
  await closeIdleWorkers();
  rmSync(root, { recursive: true, force: true });
});

test('torrent create then torrent show: the same hashes, files, trackers and web seeds', async () => {
  const out = join(root, 'show.torrent');
  const c = fjord(
    'torrent',
    'create',
    show,
    '-o',
    out,
    '--announce',
    'http://tracker.example/announce',
    '--announce',
    'udp://tracker.example:6969',
    '--webseed',
    'https://media.example/tv/',
    '--piece-length',
    '64K',
    '--name',
    'Folk og fjell',
  );
  assert.equal(c.status, 0, c.stderr);
  assert.equal(c.stderr, '', 'no progress bar when stderr is not a terminal');
  const m = parseTorrent(readFileSync(out));
  assert.equal(m.version, 'hybrid');
  assert.equal(m.pieceLength, 65536);
  assert.equal(m.name, 'Folk og fjell');
  assert.equal(m.announce, 'http://tracker.example/announce');
  assert.deepEqual(m.announceList, [['http://tracker.example/announce'], ['udp://tracker.example:6969']]);
  assert.deepEqual(m.urlList, ['https://media.example/tv/']);
  assert.match(c.stdout, new RegExp(`^info hash v1: ${m.infoHashV1}$`, 'm'));
  assert.match(c.stdout, new RegExp(`^info hash v2: ${m.infoHashV2}$`, 'm'));
  assert.match(
    c.stdout,
    new RegExp(
      `^magnet: magnet:\\?xt=urn:btih:${m.infoHashV1}&xt=urn:btmh:1220${m.infoHashV2}&dn=Folk%20og%20fjell&tr=`,
      'm',
    ),
  );
  // Same as the library gives: the CLI adds nothing to the info dictionary.
  const lib = await createTorrent(show, { pieceLength: 65536, name: 'Folk og fjell' });
  assert.equal(lib.infoHashV2, m.infoHashV2);
  assert.deepEqual(
    readdirSync(root).filter((f) => f.includes('.tmp')),
    [],
    'no temporary file left',
  );

  const s = fjord('torrent', 'show', out);
  assert.equal(s.status, 0, s.stderr);
  for (const line of [
    'name:         Folk og fjell',
    'mode:         hybrid',
    `info hash v1: ${m.infoHashV1}`,
    `info hash v2: ${m.infoHashV2}`,
    'piece length: 64 KiB (65536)',
    '  tier 1: http://tracker.example/announce',
    '  tier 2: udp://tracker.example:6969',
    '  https://media.example/tv/',
  ])
    assert.ok(s.stdout.includes(`${line}\n`), `show prints ${JSON.stringify(line)}:\n${s.stdout}`);
  assert.match(s.stdout, /^ +5000000 {2}ep1\.mkv$/m);
  assert.match(s.stdout, /^ +\d+ {2}\.pad\/\d+ {2}\(padding\)$/m);
  assert.match(s.stdout, /^ +10 {2}extra\/a\.txt$/m);
});

test('--v1, --v2 and sizes in bytes', () => {
  const v1 = fjord(
    'torrent',
    'create',
    join(show, 'ep1.mkv'),
    '-o',
    join(root, 'v1.torrent'),
    '--v1',
    '--piece-length',
    '262144',
    '-q',
  );
  assert.equal(v1.status, 0, v1.stderr);
  const m1 = parseTorrent(readFileSync(join(root, 'v1.torrent')));
  assert.equal(m1.version, 'v1');
  assert.equal(m1.pieceLength, 262144);
  assert.doesNotMatch(v1.stdout, /info hash v2/);
  const v2 = fjord('torrent', 'create', show, '-o', join(root, 'v2.torrent'), '--v2');
  assert.equal(v2.status, 0, v2.stderr);
  assert.equal(parseTorrent(readFileSync(join(root, 'v2.torrent'))).version, 'v2');
  assert.doesNotMatch(v2.stdout, /info hash v1/);
});

test('bad input: one line on stderr, exit status 1, nothing written', () => {
  const empty = join(root, 'empty');
  mkdirSync(empty);
  const unreadable = join(root, 'unreadable.bin');
  writeFileSync(unreadable, 'x');
  chmodSync(unreadable, 0);
  const cases: [string[], RegExp][] = [
    [
      ['torrent', 'create', join(root, 'missing'), '-o', 'x.torrent'],
      /^fjord: cannot read .*missing: no such file or folder$/,
    ],
    [['torrent', 'create', empty, '-o', 'x.torrent'], /^fjord: .*empty holds no files$/],
    [
      ['torrent', 'create', show, '-o', 'x.torrent', '--piece-length', '3000'],
      /^fjord: piece length 3000 must be a power of two/,
    ],
    [
      ['torrent', 'create', show, '-o', 'x.torrent', '--piece-length', '1.5M'],
      /^fjord: piece length "1\.5M" is not a size/,
    ],
    [
      ['torrent', 'create', show, '-o', 'x.torrent', '--piece-length', '8K'],
      /^fjord: piece length 8192 must be a power of two from 16 KiB/,
    ],
    [
      ['torrent', 'create', show, '-o', 'x.torrent', '--v1', '--v2'],
      /^fjord: choose one of --v1, --v2, --hybrid/,
    ],
    [
      ['torrent', 'create', show, '-o', 'x.torrent', '--announce', 'not a url'],
      /^fjord: "not a url" is not a URL$/,
    ],
    [
      ['torrent', 'create', show, '-o', join(root, 'no/such/dir/x.torrent')],
      /^fjord: cannot write .*: no such folder/,
    ],
    [['torrent', 'create', show], /^error: required option '-o, --output <file>' not specified$/],
    [['torrent', 'create', show, '-o', 'x.torrent', '--bogus'], /^error: unknown option '--bogus'$/],
    [
      ['torrent', 'show', join(show, 'ep1.nb.srt')],
      /^fjord: .*ep1\.nb\.srt: malformed torrent: not bencoded/,
    ],
    [['torrent', 'show', join(root, 'nope.torrent')], /^fjord: cannot read .*nope\.torrent: no such file$/],
  ];
  // root ignores file modes, so the unreadable case only applies to other users.
  if (process.getuid?.() !== 0)
    cases.push([
      ['torrent', 'create', unreadable, '-o', 'x.torrent'],
      /^fjord: cannot read .*: permission denied$/,
    ]);
  for (const [args, re] of cases) {
    const r = fjord(...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '', args.join(' '));
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.match(lines[0], re);
  }
  assert.deepEqual(
    readdirSync(root).filter((f) => f.startsWith('x.torrent') || f.includes('.tmp')),
    [],
  );
});

test('compiled to JavaScript (as in dist/), the workers start from hash-worker.js', async () => {
  // Compile the CLI module and what it imports to a folder inside the repository, so that it finds
  // commander in node_modules. test-artifacts/ is ignored by git.
  mkdirSync(join(repo, 'test-artifacts'), { recursive: true });
  const out = mkdtempSync(join(repo, 'test-artifacts', 'torrent-build-'));
  try {
    // The build's own settings (tsconfig.build.json), for just the CLI module and its imports.
    writeFileSync(
      join(out, 'tsconfig.json'),
      JSON.stringify({
        extends: join(repo, 'tsconfig.build.json'),
        compilerOptions: { rootDir: join(repo, 'src'), outDir: out },
        include: [],
        // hash-worker.ts is loaded by URL, not imported: the real build gets it from include: ["src"].
        files: [join(repo, 'src/cli/commands/torrent.ts'), join(repo, 'src/publish/torrent/hash-worker.ts')],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(repo, 'node_modules/typescript/bin/tsc'), '-p', join(out, 'tsconfig.json')],
      {
        encoding: 'utf8',
        cwd: repo,
      },
    );
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
    assert.ok(readdirSync(join(out, 'publish/torrent')).includes('hash-worker.js'));
    writeFileSync(
      join(out, 'run.mjs'),
      "import { Command } from 'commander';\nimport { registerTorrent } from './cli/commands/torrent.js';\n" +
        'const p = new Command();\nregisterTorrent(p);\nawait p.parseAsync(process.argv);\n',
    );
    const file = join(root, 'compiled.torrent');
    const r = spawnSync(
      process.execPath,
      [
        join(out, 'run.mjs'),
        'torrent',
        'create',
        show,
        '-o',
        file,
        '--piece-length',
        '16K',
        '--threads',
        '2',
      ],
      { encoding: 'utf8', cwd: root },
    );
    assert.equal(r.status, 0, r.stderr);
    // 5 MB is past the inline threshold, so this went through the workers.
    const viaTsx = await createTorrent(show, { pieceLength: 16384, inline: false });
    assert.equal(parseTorrent(readFileSync(file)).infoHashV2, viaTsx.infoHashV2);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the progress bar draws on a terminal only, with percentage, rate and time left', () => {
  const written: string[] = [];
  let now = 0;
  const bar = progressBar(
    { isTTY: true, columns: 100, write: (s: string) => written.push(s) > 0 },
    () => now,
  );
  now = 1000;
  bar.update(50e6, 200e6);
  now = 1050; // within 100 ms of the last draw: skipped
  bar.update(60e6, 200e6);
  now = 2000;
  bar.update(200e6, 200e6);
  bar.finish();
  assert.equal(written.length, 3);
  assert.match(written[0], /\[#####\.{15}\] +25% +50\.0 MB\/s +0:03 left/);
  assert.match(written[1], /100%/);
  assert.equal(written[2], '\r\x1b[K');
  const quiet: string[] = [];
  const off = progressBar({ isTTY: false, write: (s: string) => quiet.push(s) > 0 });
  off.update(1, 2);
  off.finish();
  assert.deepEqual(quiet, []);
});

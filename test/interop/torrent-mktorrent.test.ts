/**
 * fjord --v1 against mktorrent: for the same file or folder, piece length and name, both give the same
 * v1 info hash. mktorrent puts its creation date and its name outside the info dictionary, as fjord
 * does, so only the content, the file order and the piece length count.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseTorrent } from '../../src/protocol/metainfo.js';
import { createTorrent } from '../../src/publish/torrent/index.js';
import { closeIdleWorkers } from '../../src/publish/torrent/pool.js';
import { program, skipUnless } from '../helpers/programs.js';

const skip = skipUnless(program('mktorrent'));
let root = '';
let n = 0;

/** `length` bytes determined by `seed`: AES-128-CTR keystream under a key derived from the seed. */
function bytes(length: number, seed: string): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(length));
}

function mktorrent(path: string, log2: number, name: string): Buffer {
  const out = join(root, `mk-${n++}.torrent`);
  const r = spawnSync('mktorrent', ['-l', String(log2), '-n', name, '-t', '2', '-o', out, path], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr || r.stdout);
  return readFileSync(out);
}

before(() => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'fjord-mk-'));
  const files: Record<string, number> = {
    'episode.mkv': 1_000_000,
    'episode.nb.srt': 5_000,
    'extras/interview.mkv': 250_000,
    'extras/deep/notes.txt': 32_768,
    // "a-b" sorts before "a/x" as a whole path, after it component-wise: mktorrent uses the former.
    'a/x': 9,
    'a-b': 7,
    '.hidden': 5,
    'empty.txt': 0,
  };
  for (const [rel, len] of Object.entries(files)) {
    mkdirSync(dirname(join(root, 'show', rel)), { recursive: true });
    writeFileSync(join(root, 'show', rel), bytes(len, rel));
  }
  writeFileSync(join(root, 'clip.bin'), bytes(777_777, 'clip'));
});

after(async () => {
  await closeIdleWorkers();
  if (root) rmSync(root, { recursive: true, force: true });
});

for (const [what, rel] of [
  ['a single file', 'clip.bin'],
  ['a folder', 'show'],
] as const) {
  test(`mktorrent and fjord --v1 give the same v1 info hash for ${what}`, { skip }, async () => {
    for (const log2 of [15, 18]) {
      const theirs = parseTorrent(mktorrent(join(root, rel), log2, 'Same Name'));
      const ours = await createTorrent(join(root, rel), {
        mode: 'v1',
        pieceLength: 2 ** log2,
        name: 'Same Name',
        inline: false,
      });
      assert.equal(theirs.createdBy?.startsWith('mktorrent'), true);
      assert.equal(ours.infoHashV1, theirs.infoHashV1, `2^${log2}`);
      assert.deepEqual(
        parseTorrent(ours.torrent).files.map((f) => f.path.join('/')),
        theirs.files.map((f) => f.path.join('/')),
      );
    }
  });
}

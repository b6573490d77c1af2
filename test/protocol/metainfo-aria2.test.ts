/**
 * aria2InfoHash (src/protocol/metainfo.ts): the info hash aria2 announces. Known vectors come from
 * aria2 itself: `aria2c -S` on torrents made here prints its `Info Hash`, which must equal ours.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { bencode, type BValue } from '../../src/protocol/bencode.js';
import { aria2InfoHash, parseTorrent } from '../../src/protocol/metainfo.js';
import { createTorrent } from '../../src/publish/torrent/create.js';
import { program, skipUnless } from '../helpers/programs.js';
import { tempDir } from '../helpers/tracker.js';
import { aria2InfoHashOf } from '../interop/helpers-procs.js';

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

test('the empty-string keys are dropped at every depth, empty dictionaries left behind are kept', () => {
  const info = {
    'file tree': { 'a.mkv': { '': { length: 5, 'pieces root': Buffer.alloc(32, 1) } } },
    'meta version': 2,
    name: 'a.mkv',
    x: [{ '': 1, k: 2 }],
  };
  const expected = bencode({ 'file tree': { 'a.mkv': {} }, 'meta version': 2, name: 'a.mkv', x: [{ k: 2 }] });
  assert.equal(aria2InfoHash(bencode(info)), sha1(expected));
  assert.match(expected.toString('latin1'), /d9:file treed5:a\.mkvdee/);
});

test('property: without empty-string keys, the aria2 hash is the v1 hash (canonical bencoding)', () => {
  const key = fc.string({ minLength: 1, maxLength: 6 });
  const { value } = fc.letrec<{ value: BValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.integer(),
      fc.uint8Array({ maxLength: 8 }).map((u) => Buffer.from(u)),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    ),
  }));
  fc.assert(
    fc.property(fc.dictionary(key, value, { maxKeys: 6 }), (info) => {
      const bytes = bencode(info);
      assert.equal(aria2InfoHash(bytes), sha1(bytes));
    }),
    { numRuns: 300 },
  );
});

test(
  "known vectors from aria2c -S: fjord's hybrid torrents (one file; a folder with padding), and v1",
  { skip: skipUnless(program('aria2c')), timeout: 60_000 },
  async () => {
    const dir = tempDir('fjord-aria2-hash-');
    writeFileSync(join(dir, 'one.mkv'), Buffer.alloc(300_000, 3));
    mkdirSync(join(dir, 'folder', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'folder', 'ep.mkv'), Buffer.alloc(70_000, 5));
    writeFileSync(join(dir, 'folder', 'sub', 'ep.nb.srt'), 'Hei\n');
    for (const [source, mode] of [
      ['one.mkv', 'hybrid'],
      ['folder', 'hybrid'],
      ['one.mkv', 'v1'],
    ] as const) {
      const made = await createTorrent(join(dir, source), { mode, inline: true });
      const file = join(dir, `${source}-${mode}.torrent`);
      writeFileSync(file, made.torrent);
      const m = parseTorrent(made.torrent);
      const aria2 = aria2InfoHashOf(file);
      assert.equal(aria2InfoHash(m.info), aria2, `${source} ${mode}`);
      if (mode === 'hybrid') {
        assert.notEqual(aria2, m.infoHashV1, 'a hybrid torrent has a third name');
        assert.equal(m.infoHashAria2, aria2, 'parseTorrent gives it');
        assert.equal(made.infoHashAria2, aria2, 'createTorrent gives it');
      } else {
        assert.equal(aria2, m.infoHashV1, 'aria2 reads a v1 torrent under its v1 hash');
        assert.equal(m.infoHashAria2, undefined);
        assert.equal(made.infoHashAria2, undefined);
      }
    }
  },
);

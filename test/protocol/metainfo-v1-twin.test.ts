/**
 * v1Twin (src/protocol/metainfo.ts): the v1-only torrent derived from a hybrid one, for clients that
 * cannot read BEP 52. Transmission 3.00's own reader (transmission-show) is the reference: it refuses
 * the hybrid torrent and must read the twin under the hash fjord computes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bdecode, type Decoded } from '../../src/protocol/bencode.js';
import { parseTorrent, v1Twin, v1TwinInfoHash } from '../../src/protocol/metainfo.js';
import { createTorrent } from '../../src/publish/torrent/create.js';
import { program, skipUnless } from '../helpers/programs.js';
import { tempDir } from '../helpers/tracker.js';

const dir = tempDir('fjord-v1-twin-');
writeFileSync(join(dir, 'one.mkv'), Buffer.alloc(300_000, 3));
mkdirSync(join(dir, 'folder', 'sub'), { recursive: true });
writeFileSync(join(dir, 'folder', 'ep.mkv'), Buffer.alloc(70_000, 5));
writeFileSync(join(dir, 'folder', 'sub', 'ep.nb.srt'), 'Hei\n');
function hasEmptyKey(v: Decoded): boolean {
  if (Array.isArray(v)) return v.some(hasEmptyKey);
  if (typeof v !== 'object' || Buffer.isBuffer(v)) return false;
  return Object.keys(v).some((k) => k === '' || hasEmptyKey(v[k]));
}

const options = {
  inline: true,
  announce: ['http://127.0.0.1:1/announce', 'udp://127.0.0.1:2'],
  webSeeds: ['http://127.0.0.1:3/media/show/'],
};

for (const source of ['one.mkv', 'folder'])
  test(`the v1 twin of a hybrid torrent (${source}): the same pieces, files, trackers and web seeds`, async () => {
    const hybrid = await createTorrent(join(dir, source), { ...options, mode: 'hybrid' });
    const h = parseTorrent(hybrid.torrent);
    const twinBytes = v1Twin(hybrid.torrent);
    const twin = parseTorrent(twinBytes);
    assert.equal(twin.version, 'v1');
    assert.equal(twin.infoHashV2, undefined);
    assert.equal(twinBytes.includes('piece layers'), false);
    assert.equal(hasEmptyKey(bdecode(twinBytes)), false, 'no empty-string key left');
    assert.equal(hasEmptyKey(bdecode(hybrid.torrent)), true);
    assert.deepEqual(twin.pieces, h.pieces, 'the hybrid v1 piece hashes, not hashed again');
    assert.deepEqual(
      twin.files.map((f) => [f.path.join('/'), f.length, f.offset, f.padding]),
      h.files.map((f) => [f.path.join('/'), f.length, f.offset, f.padding]),
    );
    assert.deepEqual(
      [twin.name, twin.pieceLength, twin.announce, twin.announceList, twin.urlList, twin.totalSize],
      [h.name, h.pieceLength, h.announce, h.announceList, h.urlList, h.totalSize],
    );
    assert.notEqual(twin.infoHashV1, h.infoHashV1, 'its info dictionary differs, so its name does');
    for (const named of [h.infoHashV1Twin, hybrid.infoHashV1Twin, v1TwinInfoHash(h.info)])
      assert.equal(named, twin.infoHashV1);
  });

test('only a hybrid torrent has a v1 twin', async () => {
  for (const mode of ['v1', 'v2'] as const) {
    const made = await createTorrent(join(dir, 'one.mkv'), { ...options, mode });
    assert.throws(() => v1Twin(made.torrent), /only a hybrid torrent has a v1 twin/);
    assert.equal(parseTorrent(made.torrent).infoHashV1Twin, undefined);
    assert.equal(made.infoHashV1Twin, undefined);
  }
  assert.throws(() => v1Twin(Buffer.from('d4:infoi1ee')), /no info dictionary/);
});

test(
  'Transmission 3 refuses the hybrid torrent and reads its twin under the hash fjord computes',
  { skip: skipUnless(program('transmission-show')), timeout: 60_000 },
  async () => {
    for (const source of ['one.mkv', 'folder']) {
      const hybrid = await createTorrent(join(dir, source), { ...options, mode: 'hybrid' });
      const hybridFile = join(dir, `${source}.hybrid.torrent`);
      const twinFile = join(dir, `${source}.v1.torrent`);
      writeFileSync(hybridFile, hybrid.torrent);
      writeFileSync(twinFile, v1Twin(hybrid.torrent));
      const show = (f: string) => spawnSync('transmission-show', [f], { encoding: 'utf8' });
      const version = spawnSync('transmission-show', ['--version'], { encoding: 'utf8' });
      if (/ 3\./.test(`${version.stdout}${version.stderr}`))
        assert.match(show(hybridFile).stderr + show(hybridFile).stdout, /Error parsing/);
      const r = show(twinFile);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Hash: ${hybrid.infoHashV1Twin}`));
      assert.match(r.stdout, /http:\/\/127\.0\.0\.1:3\/media\/show\//);
    }
  },
);

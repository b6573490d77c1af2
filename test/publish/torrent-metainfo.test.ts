/** parseTorrent (src/protocol/metainfo.ts) and magnetLink (src/protocol/magnet.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { bencode, type BDict } from '../../src/protocol/bencode.js';
import { magnetLink } from '../../src/protocol/magnet.js';
import { MetainfoError, parseTorrent } from '../../src/protocol/metainfo.js';

const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
const h20 = Buffer.alloc(20, 7);

function v1(info: BDict, top: BDict = {}): Buffer {
  return bencode({ ...top, info });
}

test('parses a v1 single-file torrent: hashes of the exact info bytes, trackers, web seeds', () => {
  const info = { name: 'a.mkv', 'piece length': 16384, length: 20000, pieces: Buffer.concat([h20, h20]) };
  const buf = v1(info, {
    announce: 'http://t1/announce',
    'announce-list': [['http://t1/announce'], ['udp://t2:80']],
    'url-list': 'http://w/',
    'creation date': 5,
    comment: 'c',
  });
  const m = parseTorrent(buf);
  assert.equal(m.version, 'v1');
  assert.equal(m.name, 'a.mkv');
  assert.equal(m.totalSize, 20000);
  assert.ok(m.singleFile);
  assert.deepEqual(m.info, bencode(info));
  assert.equal(m.infoHashV1, createHash('sha1').update(bencode(info)).digest('hex'));
  assert.equal(m.infoHashV2, undefined);
  assert.deepEqual(m.announceList, [['http://t1/announce'], ['udp://t2:80']]);
  assert.deepEqual(m.urlList, ['http://w/']);
  assert.equal(m.creationDate, 5);
});

test('the info hash is over the bytes as found, including keys this parser does not know', () => {
  const info = { name: 'x', 'piece length': 16384, length: 1, pieces: h20, 'x-unknown': 'kept' };
  assert.equal(parseTorrent(v1(info)).infoHashV1, createHash('sha1').update(bencode(info)).digest('hex'));
});

test('parses a v2 file tree in key byte order, numeric-looking names included', () => {
  const leaf = (length: number) => ({
    '': length === 0 ? { length } : { length, 'pieces root': sha256(Buffer.from([length])) },
  });
  const info = {
    name: 'show',
    'piece length': 16384,
    'meta version': 2,
    'file tree': { b: leaf(5), '10': leaf(1), '9': leaf(2), dir: { z: leaf(3), a: leaf(0) } },
  };
  const m = parseTorrent(bencode({ info, 'piece layers': {} }));
  assert.equal(m.version, 'v2');
  assert.deepEqual(
    m.files.map((f) => [f.path.join('/'), f.length, f.piecesRoot !== undefined]),
    [
      ['10', 1, true],
      ['9', 2, true],
      ['b', 5, true],
      ['dir/a', 0, false],
      ['dir/z', 3, true],
    ],
  );
  assert.equal(m.infoHashV2, sha256(bencode(info)).toString('hex'));
});

test('rejects malformed torrents with a message naming the problem', () => {
  const ok = { name: 'x', 'piece length': 16384, length: 10, pieces: h20 };
  const cases: [Buffer, RegExp][] = [
    [Buffer.from('garbage'), /not bencoded/],
    [bencode({ announce: 'x' }), /no info dictionary/],
    [bencode(['info']), /top level is not a dictionary/],
    [v1({ ...ok, pieces: Buffer.alloc(19) }), /multiple of 20/],
    [v1({ ...ok, length: 20000 }), /1 piece hashes for 2 pieces/],
    [v1({ ...ok, 'piece length': 0 }), /piece length/],
    [v1({ ...ok, name: '..' }), /unsafe path component/],
    [
      v1({ name: 'x', 'piece length': 16384, pieces: h20, files: [{ length: 10, path: ['..', 'etc'] }] }),
      /unsafe/,
    ],
    [
      v1({ name: 'x', 'piece length': 16384, pieces: h20, files: [{ length: 10, path: [] }] }),
      /path is not a non-empty list/,
    ],
    [v1({ name: 'x', 'piece length': 16384, pieces: h20 }), /neither length nor a files list/],
    [v1({ ...ok, length: -1 }), /length must be an integer/],
    [v1({ name: 'x', 'piece length': 16384 }), /no pieces/],
    [v1({ name: 'x', 'piece length': 16384, 'meta version': 3 }), /meta version 3/],
    [v1({ name: 'x', 'piece length': 1000, 'meta version': 2, 'file tree': {} }), /power of two/],
    [v1({ name: 'x', 'piece length': 16384, 'meta version': 2, 'file tree': {} }), /holds no file/],
    [
      v1({ name: 'x', 'piece length': 16384, 'meta version': 2, 'file tree': { a: { '': { length: 5 } } } }),
      /pieces root/,
    ],
  ];
  for (const [buf, re] of cases) {
    assert.throws(
      () => parseTorrent(buf),
      (err: unknown) => err instanceof MetainfoError && re.test(err.message),
      String(re),
    );
  }
});

test('checks piece layers against pieces roots, and the hybrid v1 list against the v2 tree', () => {
  const layer = Buffer.concat([sha256(Buffer.from('p0')), sha256(Buffer.from('p1'))]);
  const root = sha256(layer); // two piece hashes: the root is one level up, no padding
  const tree = { f: { '': { length: 20000, 'pieces root': root } } };
  const info = { name: 'x', 'piece length': 16384, 'meta version': 2, 'file tree': tree };
  const good = parseTorrent(bencode({ info, 'piece layers': { [root.toString('latin1')]: layer } }));
  assert.deepEqual(good.pieceLayers.get(root.toString('hex')), layer);
  assert.throws(() => parseTorrent(bencode({ info, 'piece layers': {} })), /no piece layer for f/);
  const wrong = Buffer.from(layer);
  wrong[0] ^= 1;
  assert.throws(
    () => parseTorrent(bencode({ info, 'piece layers': { [root.toString('latin1')]: wrong } })),
    /does not match its pieces root/,
  );
  const hybrid = { ...info, pieces: Buffer.concat([h20, h20]), files: [{ length: 20001, path: ['f'] }] };
  assert.throws(
    () => parseTorrent(bencode({ info: hybrid, 'piece layers': { [root.toString('latin1')]: layer } })),
    /v1 files and v2 file tree differ/,
  );
});

test('magnet links: both info hashes, then name, trackers and web seeds percent-encoded', () => {
  const v1h = 'AB'.repeat(20);
  const v2h = 'cd'.repeat(32);
  assert.equal(
    magnetLink({
      v1: v1h,
      v2: v2h,
      name: 'Folk & fjell: episode 1/2',
      trackers: ['udp://t.example:6969/announce', 'http://t.example/announce?key=a&b=c'],
      webSeeds: ['https://media.example/ep 1/'],
      xs: 'https://media.example/ep1.torrent',
    }),
    `magnet:?xt=urn:btih:${'ab'.repeat(20)}&xt=urn:btmh:1220${v2h}` +
      '&dn=Folk%20%26%20fjell%3A%20episode%201%2F2' +
      '&tr=udp%3A%2F%2Ft.example%3A6969%2Fannounce&tr=http%3A%2F%2Ft.example%2Fannounce%3Fkey%3Da%26b%3Dc' +
      '&ws=https%3A%2F%2Fmedia.example%2Fep%201%2F&xs=https%3A%2F%2Fmedia.example%2Fep1.torrent',
  );
  assert.equal(magnetLink({ v2: v2h }), `magnet:?xt=urn:btmh:1220${v2h}`);
  assert.throws(() => magnetLink({ name: 'x' }), /needs a v1 or a v2/);
  assert.throws(() => magnetLink({ v1: 'abc' }), /40 hex/);
  // The tracker URL survives a round trip through URLSearchParams, & and ? included.
  const params = new URLSearchParams(
    magnetLink({ v1: v1h, trackers: ['http://t/a?x=1&y=2'] }).slice('magnet:?'.length),
  );
  assert.deepEqual(params.getAll('tr'), ['http://t/a?x=1&y=2']);
});

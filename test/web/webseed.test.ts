/**
 * The web seed over real HTTP on a loopback port: ranges (single, multiple, suffix, open, 416),
 * HEAD, validators and conditionals, path traversal attempts, unpublished content, BEP 47 padding.
 * The served set is given directly (setEpisodes), as the catalog sync would.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Episode } from '../../src/catalog/index.js';
import { WebServer } from '../../src/web/server.js';
import { WebSeed, parseRange, cleanPath, coalesceRanges } from '../../src/web/webseed.js';
import { tempDir } from '../helpers/tracker.js';

const DATA = tempDir('fjord-webseed-');
const SIZE = 100_000;
const VIDEO = randomBytes(SIZE);
const SRT = Buffer.from('1\n00:00:01,000 --> 00:00:02,000\nHei\n');
const DIR = 'media/show/show-s01e01';
const V = `${DIR}/show-s01e01.mkv`;
const S = `${DIR}/show-s01e01.nb.srt`;
const HIDDEN = 'media/show/show-s01e02/show-s01e02.mkv';

function episode(id: number, video: string, srt: string | null, pieceLength = 32768): Episode {
  const at = new Date(0);
  return {
    id,
    seriesId: 1,
    seriesSlug: 'show',
    seriesTitle: 'Show',
    season: 1,
    episode: id,
    title: `Episode ${id}`,
    description: null,
    durationSeconds: null,
    publishedAt: at,
    createdAt: at,
    updatedAt: at,
    withdrawnAt: null,
    stillPath: null,
    announce: false,
    rights: {
      licence: 'CC-BY-4.0',
      holders: [],
      clearedWorldwide: true,
      availableFrom: at,
      availableUntil: null,
    },
    media: [
      {
        id,
        role: 'video',
        path: video,
        sizeBytes: SIZE,
        sha256: null,
        mimeType: 'video/x-matroska',
        codecs: null,
      },
    ],
    torrents: [
      {
        id,
        infoHashV1: 'a'.repeat(40),
        infoHashV2: 'b'.repeat(64),
        infoHashAria2: 'c'.repeat(40),
        infoHashV1Twin: null,
        path: `torrents/x${id}.torrent`,
        sizeBytes: 1,
        pieceLength,
        mode: 'hybrid',
        createdAt: at,
      },
    ],
    subtitles: srt
      ? [{ id, language: 'nb', kind: 'official', format: 'srt', path: srt, status: null, createdAt: at }]
      : [],
  };
}

let web: WebServer;
let seed: WebSeed;
let port: number;

before(async () => {
  mkdirSync(join(DATA, DIR), { recursive: true });
  mkdirSync(join(DATA, 'media/show/show-s01e02'), { recursive: true });
  writeFileSync(join(DATA, V), VIDEO);
  writeFileSync(join(DATA, S), SRT);
  writeFileSync(join(DATA, HIDDEN), 'not published');
  writeFileSync(join(DATA, 'catalog.sqlite'), 'secret');
  writeFileSync(join(DATA, 'admin-token'), 'secret');
  // A link inside the store leading out of it, listed as if it were published.
  symlinkSync(join(DATA, 'admin-token'), join(DATA, DIR, 'escape.mkv'));
  web = new WebServer();
  seed = new WebSeed(DATA);
  seed.register(web);
  seed.setEpisodes([episode(1, V, S)]);
  port = (await web.listen({ host: '127.0.0.1', port: 0 })).port;
});

after(() => web.close());

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function request(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Splits a multipart/byteranges body into its parts' Content-Range and bytes. */
function parts(r: Reply): Array<{ range: string; type: string; body: Buffer }> {
  const boundary = /boundary=(\S+)/.exec(String(r.headers['content-type']))?.[1];
  assert.ok(boundary, 'a boundary');
  const out: Array<{ range: string; type: string; body: Buffer }> = [];
  const sep = Buffer.from(`--${boundary}`);
  let at = r.body.indexOf(sep);
  while (at >= 0) {
    const start = at + sep.length;
    if (r.body.subarray(start, start + 2).toString() === '--') break;
    const headEnd = r.body.indexOf('\r\n\r\n', start);
    const head = r.body.subarray(start, headEnd).toString();
    const next = r.body.indexOf(sep, headEnd);
    out.push({
      range: /Content-Range: (.+)/.exec(head)?.[1]?.trim() ?? '',
      type: /Content-Type: (.+)/.exec(head)?.[1]?.trim() ?? '',
      body: r.body.subarray(headEnd + 4, next - 2), // the CRLF before the next boundary is not data
    });
    at = next;
  }
  return out;
}

test('parseRange follows RFC 9110', () => {
  assert.equal(parseRange(undefined, 10), null);
  assert.deepEqual(parseRange('bytes=0-4', 10), [{ start: 0, end: 4 }]);
  assert.deepEqual(parseRange('bytes=5-', 10), [{ start: 5, end: 9 }]);
  assert.deepEqual(parseRange('bytes=-3', 10), [{ start: 7, end: 9 }]);
  assert.deepEqual(parseRange('bytes=-30', 10), [{ start: 0, end: 9 }]);
  assert.deepEqual(parseRange('bytes=8-100', 10), [{ start: 8, end: 9 }]);
  assert.deepEqual(parseRange('bytes=0-0, 2-3', 10), [
    { start: 0, end: 0 },
    { start: 2, end: 3 },
  ]);
  assert.deepEqual(parseRange('bytes=10-', 10), [], 'past the end: unsatisfiable');
  assert.deepEqual(parseRange('bytes=-0', 10), []);
  assert.deepEqual(parseRange('bytes=0-', 0), [], 'nothing in an empty file');
  assert.equal(parseRange('bytes=5-2', 10), null, 'first > last: invalid, ignored');
  assert.equal(parseRange('bytes=a-b', 10), null);
  assert.equal(parseRange('bytes=-', 10), null);
  assert.equal(parseRange('items=0-1', 10), null);
  assert.equal(parseRange('bytes=' + Array(40).fill('0-1').join(','), 10), null, 'too many ranges');
});

test('coalesceRanges merges overlapping and adjacent ranges and keeps disjoint ones in order', () => {
  assert.deepEqual(
    coalesceRanges([
      { start: 5, end: 9 },
      { start: 0, end: 1 },
    ]),
    [
      { start: 5, end: 9 },
      { start: 0, end: 1 },
    ],
  );
  assert.deepEqual(
    coalesceRanges([
      { start: 5, end: 9 },
      { start: 0, end: 4 },
      { start: 20, end: 30 },
      { start: 25, end: 26 },
    ]),
    [
      { start: 0, end: 9 },
      { start: 20, end: 30 },
    ],
  );
});

test('cleanPath refuses every way out of the store', () => {
  assert.deepEqual(cleanPath('a/b%20c.mkv'), ['a', 'b c.mkv']);
  for (const bad of [
    '',
    '../x',
    'a/../x',
    '%2e%2e/x',
    '%2E%2E%2Fx',
    'a%2fb',
    '..%5cx',
    'a\\b',
    'a//b',
    'a/./b',
    'x%00',
    '%E0%A4%A',
  ])
    assert.equal(cleanPath(bad), null, bad);
});

test('GET serves a published file whole, with validators', async () => {
  const r = await request(`/${V}`);
  assert.equal(r.status, 200);
  assert.ok(r.body.equals(VIDEO));
  assert.equal(r.headers['content-length'], String(SIZE));
  assert.equal(r.headers['content-type'], 'video/x-matroska');
  assert.equal(r.headers['accept-ranges'], 'bytes');
  assert.match(String(r.headers.etag), /^"[^"]+"$/);
  assert.ok(r.headers['last-modified']);
  assert.equal(r.headers['access-control-allow-origin'], '*');
  const s = await request(`/${S}`);
  assert.equal(s.status, 200);
  assert.ok(s.body.equals(SRT));
  assert.match(String(s.headers['content-type']), /subrip/);
});

test('HEAD: the same headers, no body', async () => {
  const r = await request(`/${V}`, {}, 'HEAD');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-length'], String(SIZE));
  assert.equal(r.body.length, 0);
  const ranged = await request(`/${V}`, { Range: 'bytes=0-9' }, 'HEAD');
  assert.equal(ranged.status, 200, 'Range applies to GET only');
});

test('single ranges: closed, open, suffix', async () => {
  let r = await request(`/${V}`, { Range: 'bytes=100-199' });
  assert.equal(r.status, 206);
  assert.equal(r.headers['content-range'], `bytes 100-199/${SIZE}`);
  assert.equal(r.headers['content-length'], '100');
  assert.ok(r.body.equals(VIDEO.subarray(100, 200)));
  r = await request(`/${V}`, { Range: 'bytes=500-' });
  assert.equal(r.status, 206);
  assert.equal(r.headers['content-range'], `bytes 500-${SIZE - 1}/${SIZE}`);
  assert.ok(r.body.equals(VIDEO.subarray(500)));
  r = await request(`/${V}`, { Range: 'bytes=-500' });
  assert.equal(r.status, 206);
  assert.equal(r.headers['content-range'], `bytes ${SIZE - 500}-${SIZE - 1}/${SIZE}`);
  assert.ok(r.body.equals(VIDEO.subarray(SIZE - 500)));
  r = await request(`/${V}`, { Range: `bytes=${SIZE - 10}-${SIZE + 1000}` });
  assert.equal(r.status, 206);
  assert.ok(r.body.equals(VIDEO.subarray(SIZE - 10)));
});

test('multiple ranges: multipart/byteranges with the right bytes and length', async () => {
  const r = await request(`/${V}`, { Range: 'bytes=0-9, 50000-50099, -5' });
  assert.equal(r.status, 206);
  assert.match(String(r.headers['content-type']), /^multipart\/byteranges; boundary=/);
  assert.equal(Number(r.headers['content-length']), r.body.length);
  const p = parts(r);
  assert.deepEqual(
    p.map((x) => x.range),
    [`bytes 0-9/${SIZE}`, `bytes 50000-50099/${SIZE}`, `bytes ${SIZE - 5}-${SIZE - 1}/${SIZE}`],
  );
  assert.ok(p[0].body.equals(VIDEO.subarray(0, 10)));
  assert.ok(p[1].body.equals(VIDEO.subarray(50000, 50100)));
  assert.ok(p[2].body.equals(VIDEO.subarray(SIZE - 5)));
  assert.equal(p[0].type, 'video/x-matroska');
});

test('range amplification: repeated, overlapping and suffix ranges never make a reply longer than the file', async () => {
  // 32 times the whole file, as `0-` and as a suffix range: one range, the file once.
  for (const spec of ['0-', `-${SIZE}`, `-${SIZE * 10}`]) {
    const r = await request(`/${V}`, { Range: 'bytes=' + Array(32).fill(spec).join(',') });
    assert.equal(r.status, 206, spec);
    assert.equal(r.headers['content-length'], String(SIZE), spec);
    assert.equal(r.headers['content-range'], `bytes 0-${SIZE - 1}/${SIZE}`, spec);
    assert.ok(r.body.equals(VIDEO), spec);
  }
  // 32 suffix ranges of half the file: the last half, once.
  let r = await request(`/${V}`, {
    Range:
      'bytes=' +
      Array(32)
        .fill(`-${SIZE / 2}`)
        .join(','),
  });
  assert.equal(r.status, 206);
  assert.equal(r.headers['content-length'], String(SIZE / 2));
  assert.ok(r.body.equals(VIDEO.subarray(SIZE / 2)));
  // Many disjoint ranges (more than MAX_MERGED_RANGES): the whole file with a plain 200.
  const many = Array.from({ length: 20 }, (_, i) => `${i * 1000}-${i * 1000 + 9}`).join(',');
  r = await request(`/${V}`, { Range: `bytes=${many}` });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-length'], String(SIZE));
  // Two ranges that cover all but one byte: a multipart reply would outgrow the file, so 200.
  r = await request(`/${V}`, { Range: `bytes=0-49999, 50001-${SIZE - 1}` });
  assert.equal(r.status, 200);
  assert.equal(Number(r.headers['content-length']), SIZE);
});

test('overlapping and adjacent ranges are merged into a correct multipart/byteranges reply', async () => {
  const r = await request(`/${V}`, { Range: 'bytes=1000-1099, 0-99, 50-149, 150-199, 1050-1199, 1100-1100' });
  assert.equal(r.status, 206);
  assert.match(String(r.headers['content-type']), /^multipart\/byteranges; boundary=/);
  assert.equal(Number(r.headers['content-length']), r.body.length);
  const p = parts(r);
  assert.deepEqual(
    p.map((x) => x.range),
    [`bytes 0-199/${SIZE}`, `bytes 1000-1199/${SIZE}`],
  );
  assert.ok(p[0].body.equals(VIDEO.subarray(0, 200)));
  assert.ok(p[1].body.equals(VIDEO.subarray(1000, 1200)));
  // Up to MAX_MERGED_RANGES disjoint ranges are still answered part by part, in the order asked.
  const eight = [7, 6, 5, 4, 3, 2, 1, 0].map((i) => `${i * 1000}-${i * 1000 + 9}`).join(',');
  const m = await request(`/${V}`, { Range: `bytes=${eight}` });
  assert.equal(m.status, 206);
  const mp = parts(m);
  assert.equal(mp.length, 8);
  assert.equal(mp[0].range, `bytes 7000-7009/${SIZE}`);
  assert.ok(mp[7].body.equals(VIDEO.subarray(0, 10)));
});

test('unsatisfiable ranges: 416 with Content-Range bytes */size; invalid ones are ignored', async () => {
  let r = await request(`/${V}`, { Range: `bytes=${SIZE}-` });
  assert.equal(r.status, 416);
  assert.equal(r.headers['content-range'], `bytes */${SIZE}`);
  r = await request(`/${V}`, { Range: `bytes=${SIZE + 5}-${SIZE + 10}, ${SIZE * 2}-` });
  assert.equal(r.status, 416);
  r = await request(`/${V}`, { Range: 'bytes=9-3' });
  assert.equal(r.status, 200);
  assert.equal(r.body.length, SIZE);
});

test('If-Range: a matching ETag keeps the range, another ETag or date gets the whole file', async () => {
  const { headers } = await request(`/${V}`, {}, 'HEAD');
  const etag = String(headers.etag);
  let r = await request(`/${V}`, { Range: 'bytes=0-9', 'If-Range': etag });
  assert.equal(r.status, 206);
  assert.equal(r.body.length, 10);
  r = await request(`/${V}`, { Range: 'bytes=0-9', 'If-Range': '"something-else"' });
  assert.equal(r.status, 200);
  assert.equal(r.body.length, SIZE);
  r = await request(`/${V}`, { Range: 'bytes=0-9', 'If-Range': String(headers['last-modified']) });
  assert.equal(r.status, 206, 'the exact Last-Modified date also matches');
  r = await request(`/${V}`, { Range: 'bytes=0-9', 'If-Range': 'Mon, 01 Jan 2001 00:00:00 GMT' });
  assert.equal(r.status, 200);
});

test('conditionals: 304 for If-None-Match and If-Modified-Since, 412 for If-Match', async () => {
  const { headers } = await request(`/${V}`, {}, 'HEAD');
  const etag = String(headers.etag);
  let r = await request(`/${V}`, { 'If-None-Match': `"x", ${etag}` });
  assert.equal(r.status, 304);
  assert.equal(r.body.length, 0);
  assert.equal(r.headers.etag, etag);
  r = await request(`/${V}`, { 'If-None-Match': `W/${etag}` });
  assert.equal(r.status, 304, 'weak comparison for If-None-Match');
  r = await request(`/${V}`, { 'If-None-Match': '"other"' });
  assert.equal(r.status, 200);
  r = await request(`/${V}`, { 'If-Modified-Since': String(headers['last-modified']) });
  assert.equal(r.status, 304);
  r = await request(`/${V}`, { 'If-Modified-Since': 'Mon, 01 Jan 2001 00:00:00 GMT' });
  assert.equal(r.status, 200);
  r = await request(`/${V}`, { 'If-Match': '"other"' });
  assert.equal(r.status, 412);
  r = await request(`/${V}`, { 'If-Match': etag, Range: 'bytes=0-0' });
  assert.equal(r.status, 206);
});

test('path traversal, encoded or not, never reaches a file outside the published set', async () => {
  for (const path of [
    '/media/../catalog.sqlite',
    '/media/%2e%2e/catalog.sqlite',
    '/media/%2e%2e%2fcatalog.sqlite',
    '/media/show/..%5c..%5ccatalog.sqlite',
    '/media/show/..\\..\\catalog.sqlite',
    `/media/show/show-s01e01/%2e%2e/%2e%2e/%2e%2e/admin-token`,
    '/media/show%2fshow-s01e01%2fshow-s01e01.mkv',
    '/media/show/show-s01e01/show-s01e01.mkv%00.srt',
    '/media//show/show-s01e01/show-s01e01.mkv',
    `/media/show/show-s01e01/./show-s01e01.mkv`,
    '/catalog.sqlite',
    '/admin-token',
  ]) {
    const r = await request(path);
    assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
    assert.ok(!r.body.includes('secret'), path);
  }
});

test('a symbolic link leading out of the store is not followed out', async () => {
  const e = episode(1, V, S);
  e.media.push({
    id: 9,
    role: 'video',
    path: `${DIR}/escape.mkv`,
    sizeBytes: 6,
    sha256: null,
    mimeType: 'video/x-matroska',
    codecs: null,
  });
  seed.setEpisodes([e]);
  try {
    const r = await request(`/${DIR}/escape.mkv`);
    assert.equal(r.status, 404);
  } finally {
    seed.setEpisodes([episode(1, V, S)]);
  }
});

test('no listing, nothing unpublished, and withdrawal takes effect at once', async () => {
  for (const path of [
    '/media/',
    '/media',
    '/media/show/',
    '/media/show/show-s01e01/',
    `/${HIDDEN}`,
    `/${DIR}/other.mkv`,
  ]) {
    const r = await request(path);
    assert.equal(r.status, 404, path);
  }
  seed.setEpisodes([]);
  assert.equal((await request(`/${V}`)).status, 404);
  assert.equal((await request(`/${DIR}/.pad/100`)).status, 404);
  seed.setEpisodes([episode(1, V, S)]);
  assert.equal((await request(`/${V}`)).status, 200);
});

test('BEP 47: <name>/.pad/N answers N zero bytes, ranges included', async () => {
  let r = await request(`/${DIR}/.pad/27680`);
  assert.equal(r.status, 200);
  assert.equal(r.body.length, 27680);
  assert.ok(r.body.every((b) => b === 0));
  r = await request(`/${DIR}/.pad/27680`, { Range: 'bytes=100-199' });
  assert.equal(r.status, 206);
  assert.equal(r.headers['content-range'], 'bytes 100-199/27680');
  assert.equal(r.body.length, 100);
  assert.ok(r.body.every((b) => b === 0));
  r = await request(`/${DIR}/.pad/27680`, {}, 'HEAD');
  assert.equal(r.headers['content-length'], '27680');
  for (const bad of ['.pad/0', '.pad/32769', '.pad/01', '.pad/x', '.pad', '.pad/100/1'])
    assert.equal((await request(`/${DIR}/${bad}`)).status, 404, bad);
  assert.equal((await request('/media/show/show-s01e02/.pad/100')).status, 404, 'not a published torrent');
});

test('methods: POST is 405 with Allow, OPTIONS answers a CORS preflight', async () => {
  let r = await request(`/${V}`, {}, 'POST');
  assert.equal(r.status, 405);
  assert.match(String(r.headers.allow), /GET/);
  r = await request(
    `/${V}`,
    { Origin: 'http://example.org', 'Access-Control-Request-Headers': 'range' },
    'OPTIONS',
  );
  assert.equal(r.status, 204);
  assert.equal(r.headers['access-control-allow-origin'], '*');
  assert.match(String(r.headers['access-control-allow-headers']), /Range/);
});

test('the router: parameters, order, 404 and errors', async () => {
  const w = new WebServer();
  const seen: string[] = [];
  w.addRoute('GET', '/series/:slug', (_req, res, m) => {
    seen.push(m.params.slug);
    res.end(m.params.slug);
  });
  w.addRoute('GET', '/boom', () => {
    throw new Error('boom');
  });
  w.addRoute(['POST'], '/form', (_req, res, m) => void res.end(`q=${m.query}`));
  const p = (await w.listen({ host: '127.0.0.1', port: 0 })).port;
  const get = (path: string, method = 'GET') =>
    new Promise<Reply>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: p, path, method, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      });
      req.on('error', reject);
      req.end();
    });
  try {
    assert.equal((await get('/series/sk%C3%A6r')).body.toString(), 'skær');
    assert.equal((await get('/series/a/b')).status, 404);
    assert.equal((await get('/series/')).status, 404);
    assert.equal((await get('/boom')).status, 500);
    assert.equal((await get('/form?x=1', 'POST')).body.toString(), 'q=x=1');
    assert.equal((await get('/form')).status, 405);
    assert.equal((await get('/nothing')).status, 404);
    assert.deepEqual(seen, ['skær']);
  } finally {
    await w.close();
  }
});

/**
 * Issue 19, items 9 and 10, against a real `fjord serve`:
 *   - completions survive `kill -9`: 200 completions (from 200 addresses, 127.0.0.2 and on: the
 *     per-address limit counts 8 per address), 1.5 s, SIGKILL, restart: scrape shows all 200;
 *   - a damaged DATA/downloaded.bin (truncated) does not keep the tracker down: it starts and serves,
 *     keeps the readable records, sets the damaged file aside and says so in its log;
 *   - a journal with a torn last record (a crash mid-append) is replayed up to that record.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { serveFjord, until, type Served } from '../helpers/cli.js';
import { announcePath, hashOf, httpGet, percent, tempDir } from '../helpers/tracker.js';

const serve = (data: string) =>
  serveFjord(['--open', '--data', data, '--http', '127.0.0.1:0', '--udp', '127.0.0.1:0', '--admin', 'off']);

async function downloaded(s: Served, hash: Buffer): Promise<number> {
  const r = await httpGet(s.ports.http, `/scrape?info_hash=${percent(hash)}`);
  assert.equal(r.status, 200);
  return Number(/10:downloadedi(\d+)e/.exec(r.body.toString('latin1'))?.[1] ?? -1);
}

/** A version 1 snapshot (as fjord before the journal wrote it): "FJDL", 1, count, (hash, count)... */
function snapshotV1(entries: Array<[Buffer, number]>): Buffer {
  const b = Buffer.alloc(12 + 24 * entries.length);
  b.write('FJDL', 0, 'latin1');
  b.writeUInt32BE(1, 4);
  b.writeUInt32BE(entries.length, 8);
  entries.forEach(([h, n], i) => {
    h.copy(b, 12 + 24 * i);
    b.writeUInt32BE(n, 32 + 24 * i);
  });
  return b;
}

test('200 completions survive kill -9 1.5 s later', async () => {
  const data = tempDir('fjord-crash-');
  const h = hashOf(901);
  let s = await serve(data);
  try {
    let next = 0;
    const worker = async () => {
      while (next < 200) {
        const i = next++;
        const r = await httpGet(
          s.ports.http,
          announcePath({ hash: h, port: 6881, left: 0, event: 'completed' }),
          {
            localAddress: `127.0.0.${2 + i}`,
          },
        );
        assert.equal(r.status, 200);
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    assert.equal(await downloaded(s, h), 200);
    await new Promise((r) => setTimeout(r, 1500));
    await s.stop('SIGKILL');
    s = await serve(data);
    assert.equal(await downloaded(s, h), 200, s.stderr());
  } finally {
    await s.stop();
    rmSync(data, { recursive: true, force: true });
  }
});

test('a truncated downloaded.bin: serve starts, keeps the readable records, sets the file aside, logs it', async () => {
  const data = tempDir('fjord-damaged-');
  const [a, b, c] = [hashOf(911), hashOf(912), hashOf(913)];
  const file = join(data, 'downloaded.bin');
  writeFileSync(
    file,
    snapshotV1([
      [a, 5],
      [b, 7],
      [c, 9],
    ]),
  );
  truncateSync(file, 12 + 24 * 3 - 6); // the last record cut short
  const s = await serve(data);
  try {
    assert.match(s.stderr(), /DAMAGED .*downloaded\.bin.*kept the 2 readable records/);
    assert.equal(await downloaded(s, a), 5);
    assert.equal(await downloaded(s, b), 7);
    assert.equal(await downloaded(s, c), 0);
    const aside = readdirSync(data).filter((f) => f.startsWith('downloaded.bin.damaged-'));
    assert.equal(aside.length, 1, readdirSync(data).join(', '));
    assert.equal(readFileSync(join(data, aside[0])).length, 78, 'the damaged file as it was');
    // It serves: a new completion counts, and a graceful restart keeps everything.
    const r = await httpGet(s.ports.http, announcePath({ hash: c, port: 7000, left: 0, event: 'completed' }));
    assert.equal(r.status, 200);
    assert.equal(await downloaded(s, c), 1);
  } finally {
    await s.stop();
  }
  const again = await serve(data);
  try {
    assert.doesNotMatch(again.stderr(), /DAMAGED/);
    assert.deepEqual(
      [await downloaded(again, a), await downloaded(again, b), await downloaded(again, c)],
      [5, 7, 1],
    );
  } finally {
    await again.stop();
    rmSync(data, { recursive: true, force: true });
  }
});

test('the 36-byte file of the report cut to 30 bytes: serve starts and serves', async () => {
  const data = tempDir('fjord-damaged30-');
  const file = join(data, 'downloaded.bin');
  writeFileSync(file, snapshotV1([[hashOf(921), 3]]));
  truncateSync(file, 30);
  const s = await serve(data);
  try {
    assert.match(s.stderr(), /DAMAGED/);
    const r = await httpGet(s.ports.http, announcePath({ hash: hashOf(921), port: 7000 }));
    assert.equal(r.status, 200);
    assert.ok(readdirSync(data).some((f) => f.startsWith('downloaded.bin.damaged-')));
  } finally {
    await s.stop();
    rmSync(data, { recursive: true, force: true });
  }
});

test('a journal whose last record is torn is replayed up to it', async () => {
  const data = tempDir('fjord-torn-');
  const h = hashOf(931);
  const head = Buffer.alloc(16);
  head.write('FJCL', 0, 'latin1');
  head.writeUInt32BE(1, 4);
  head.writeUInt32BE(1, 8);
  head.writeUInt32BE(crc32(head.subarray(0, 12)), 12);
  const record = Buffer.alloc(24);
  h.copy(record, 0);
  record.writeUInt32BE(crc32(h), 20);
  writeFileSync(
    join(data, 'downloaded.log'),
    Buffer.concat([head, record, record, record, record.subarray(0, 10)]),
  );
  const s = await serve(data);
  try {
    await until(() => /replayed 3 completions/.test(s.stderr()), 10_000, 'the replay line');
    assert.equal(await downloaded(s, h), 3);
    assert.doesNotMatch(s.stderr(), /DAMAGED/);
    assert.ok(existsSync(join(data, 'downloaded.bin')));
  } finally {
    await s.stop();
    rmSync(data, { recursive: true, force: true });
  }
});

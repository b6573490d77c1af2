/**
 * Issue 13, "swarms survive restarts and deploys", against real `fjord serve` processes: the memory
 * store's swarms are saved to DATA/swarms.bin at shutdown and periodically, and loaded at start
 * (peers inside the announce timeout only, their ages carried on); a damaged file costs only what
 * is damaged. The files some tests write are made here by an encoder of the layout documented in
 * src/tracker/swarm-snapshot.ts, written independently of fjord's own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { serveFjord, sleep, until, type Served } from '../helpers/cli.js';
import {
  UdpClient,
  announcePath,
  hashOf,
  httpGet,
  percent,
  tempDir,
  udpAnnounce,
  udpPeers4,
  udpScrape,
} from '../helpers/tracker.js';

const LISTEN = ['--http', '127.0.0.1:0', '--udp', '127.0.0.1:0', '--admin', 'off'];
const serve = (data: string, extra: string[] = []) =>
  serveFjord(['--open', '--data', data, ...LISTEN, ...extra]);

/** Seeders, leechers and completions of a torrent by HTTP scrape. */
async function scrape(s: Served, hash: Buffer): Promise<[number, number, number]> {
  const r = await httpGet(s.ports.http, `/scrape?info_hash=${percent(hash)}`);
  assert.equal(r.status, 200);
  const body = r.body.toString('latin1');
  const n = (k: string) => Number(new RegExp(`${k}i(\\d+)e`).exec(body)?.[1] ?? -1);
  return [n('8:complete'), n('10:incomplete'), n('10:downloaded')];
}

/** The compact IPv4 peers of an HTTP announce reply, as "a.b.c.d:port". */
function httpPeers(body: Buffer): string[] {
  const s = body.toString('latin1');
  const m = /5:peers(\d+):/.exec(s);
  if (!m) return [];
  const start = m.index + m[0].length;
  const out: string[] = [];
  for (let o = start; o + 6 <= start + Number(m[1]); o += 6)
    out.push(`${body[o]}.${body[o + 1]}.${body[o + 2]}.${body[o + 3]}:${body.readUInt16BE(o + 4)}`);
  return out;
}

/** A UDP announce from `from` (a loopback address), returning the reply's peers. */
async function udpAnnounceFrom(
  port: number,
  from: string,
  hash: Buffer,
  peerPort: number,
  left: bigint,
): Promise<string[]> {
  const c = new UdpClient(port);
  try {
    await c.bind(from);
    const id = await c.connect();
    const r = await c.request(
      udpAnnounce({ connectionId: id, infoHash: hash, port: peerPort, left, numwant: 50 }),
    );
    assert.equal(r.readUInt32BE(0), 1, 'an announce reply');
    return udpPeers4(r);
  } finally {
    c.close();
  }
}

async function udpCounts(port: number, hash: Buffer): Promise<[number, number, number]> {
  const c = new UdpClient(port);
  try {
    const id = await c.connect();
    const r = await c.request(udpScrape(id, [hash]));
    assert.equal(r.readUInt32BE(0), 2, 'a scrape reply');
    return [r.readUInt32BE(8), r.readUInt32BE(16), r.readUInt32BE(12)];
  } finally {
    c.close();
  }
}

/** Announces peers 127.0.0.<first..first+n-1>:port over HTTP; the first `seeds` of them seeders. */
async function httpAnnounces(s: Served, hash: Buffer, first: number, n: number, seeds: number, port: number) {
  for (let i = 0; i < n; i++) {
    const r = await httpGet(s.ports.http, announcePath({ hash, port, left: i < seeds ? 0 : 1000 }), {
      localAddress: `127.0.0.${first + i}`,
    });
    assert.equal(r.status, 200, r.body.toString());
  }
}

test('peers announced over HTTP and UDP are served again after a SIGTERM restart', async () => {
  const data = tempDir('fjord-swarms-');
  const [a, b] = [hashOf(1301), hashOf(1302)];
  let s = await serve(data);
  try {
    await httpAnnounces(s, a, 10, 5, 3, 6881); // 3 seeders, 2 leechers
    for (let i = 0; i < 4; i++) await udpAnnounceFrom(s.ports.udp, `127.0.0.${20 + i}`, b, 7000 + i, 1000n);
    assert.deepEqual(await scrape(s, a), [3, 2, 0]);
    assert.deepEqual(await udpCounts(s.ports.udp, b), [0, 4, 0]);
    assert.equal(await s.stop('SIGTERM'), 0);
    assert.ok(existsSync(join(data, 'swarms.bin')), readdirSync(data).join(', '));
    s = await serve(data);
    assert.match(s.stderr(), /state: loaded 9 peers of 2 swarms/);
    assert.deepEqual(await scrape(s, a), [3, 2, 0], s.stderr());
    assert.deepEqual(await udpCounts(s.ports.udp, b), [0, 4, 0]);
    // The same peers are handed out: a new leecher of `a` gets all five, a new one of `b` all four.
    const r = await httpGet(s.ports.http, announcePath({ hash: a, port: 9999, numwant: 50 }), {
      localAddress: '127.0.0.99',
    });
    assert.deepEqual(
      httpPeers(r.body).sort(),
      [10, 11, 12, 13, 14].map((i) => `127.0.0.${i}:6881`),
    );
    const got = await udpAnnounceFrom(s.ports.udp, '127.0.0.98', b, 9998, 1000n);
    assert.deepEqual(
      got.sort(),
      [0, 1, 2, 3].map((i) => `127.0.0.${20 + i}:${7000 + i}`),
    );
    // A peer that was there announces again: it is known (no double count), a stop removes it.
    await httpAnnounces(s, a, 10, 1, 1, 6881);
    assert.deepEqual(await scrape(s, a), [3, 3, 0]);
    const stop = await httpGet(
      s.ports.http,
      announcePath({ hash: a, port: 6881, left: 0, event: 'stopped' }),
      {
        localAddress: '127.0.0.11',
      },
    );
    assert.equal(stop.status, 200);
    assert.deepEqual(await scrape(s, a), [2, 3, 0]);
  } finally {
    await s.stop();
    rmSync(data, { recursive: true, force: true });
  }
});

test('with swarmSaveInterval 0 the swarms are not kept (the behaviour before)', async () => {
  const data = tempDir('fjord-swarms-off-');
  writeFileSync(join(data, 'fjord.json'), JSON.stringify({ swarmSaveInterval: 0 }));
  const h = hashOf(1303);
  let s = await serve(data);
  try {
    await httpAnnounces(s, h, 10, 2, 0, 6881);
    await s.stop('SIGTERM');
    assert.ok(!existsSync(join(data, 'swarms.bin')));
    s = await serve(data);
    assert.deepEqual(await scrape(s, h), [0, 0, 0]);
  } finally {
    await s.stop();
    rmSync(data, { recursive: true, force: true });
  }
});

test('kill -9 after a periodic save: the saved swarms are served at the next start', async () => {
  const data = tempDir('fjord-swarms-kill-');
  writeFileSync(join(data, 'fjord.json'), JSON.stringify({ swarmSaveInterval: 1 }));
  const h = hashOf(1304);
  let s = await serve(data);
  try {
    await httpAnnounces(s, h, 30, 6, 2, 6881);
    const after = Date.now();
    const file = join(data, 'swarms.bin');
    await until(() => existsSync(file) && statSync(file).mtimeMs > after + 50, 10_000, 'a periodic save');
    await sleep(100); // the rename is the last step; mtime is the write's
    assert.equal(await s.stop('SIGKILL'), null);
    s = await serve(data);
    assert.deepEqual(await scrape(s, h), [2, 4, 0], s.stderr());
  } finally {
    await s.stop();
    rmSync(data, { recursive: true, force: true });
  }
});

// The layout of src/tracker/swarm-snapshot.ts, written out here from its description.
const TICK = 4;
interface Peer {
  ip: number; // the last byte of 127.0.0.x
  port: number;
  seed: boolean;
  ageTicks: number;
}
function block(hash: Buffer, peers: Peer[], savedTick: number): Buffer {
  const sorted = [...peers.filter((p) => p.seed), ...peers.filter((p) => !p.seed)];
  const head = Buffer.alloc(40);
  hash.copy(head, 0);
  head.writeUInt32LE(sorted.length, 20);
  head.writeUInt32LE(peers.filter((p) => p.seed).length, 24);
  head.writeUInt32LE(crc32(head.subarray(0, 36)), 36);
  const body = Buffer.alloc(sorted.length * 8 + 4);
  sorted.forEach((p, i) => {
    body.set([127, 0, 0, p.ip], i * 6);
    body.writeUInt16BE(p.port, i * 6 + 4);
    body.writeUInt16LE((savedTick - p.ageTicks) & 0x7fff, sorted.length * 6 + i * 2);
  });
  body.writeUInt32LE(crc32(body.subarray(0, body.length - 4)), body.length - 4);
  return Buffer.concat([head, body]);
}
function swarmsFile(savedAt: number, blocks: Buffer[], peers: number): Buffer {
  const h = Buffer.alloc(28);
  h.write('FJSW', 0, 'latin1');
  h.writeUInt32LE(1, 4);
  h.writeUInt32LE(savedAt, 8);
  h.writeUInt32LE(blocks.length, 12);
  h.writeUInt32LE(peers, 16);
  h.writeUInt32LE(TICK, 20);
  h.writeUInt32LE(crc32(h.subarray(0, 24)), 24);
  return Buffer.concat([h, ...blocks]);
}

test('peers past the announce timeout are not loaded; the others keep their age and expire on time', async () => {
  const data = tempDir('fjord-swarms-age-');
  const [fresh, old] = [hashOf(1311), hashOf(1312)];
  // Saved 16 s ago, timeout 20 s (5 ticks): ages 0 and 1 tick then are about 4 and 5 ticks now (in);
  // age 2 then is 6 now (out); the swarm `old` had only peers of age 3.
  const savedAt = Math.floor(Date.now() / 1000) - 16;
  const st = Math.floor(savedAt / TICK);
  const file = swarmsFile(
    savedAt,
    [
      block(
        fresh,
        [
          { ip: 40, port: 1, seed: true, ageTicks: 0 },
          { ip: 41, port: 1, seed: false, ageTicks: 0 },
          { ip: 42, port: 1, seed: false, ageTicks: 2 },
        ],
        st,
      ),
      block(old, [{ ip: 43, port: 1, seed: false, ageTicks: 3 }], st),
    ],
    4,
  );
  writeFileSync(join(data, 'swarms.bin'), file);
  const started = Date.now();
  const s = await serve(data, ['--peer-timeout', '20']);
  try {
    assert.match(s.stderr(), /state: loaded 2 peers of 1 swarms \(2 past the peer timeout left out\)/);
    assert.doesNotMatch(s.stderr(), /DAMAGED/);
    assert.deepEqual(await scrape(s, fresh), [1, 1, 0]);
    assert.deepEqual(await scrape(s, old), [0, 0, 0]);
    // Last announced about 16 s before the start, timeout 20 s: gone within a few seconds (ticks of
    // 4 s, a sweep every 5 s), long before the 20 s a peer loaded as new would stay.
    await until(async () => (await scrape(s, fresh))[1] === 0, 16_000, 'the loaded peers to expire');
    assert.ok(Date.now() - started < 17_000, `expired ${Date.now() - started} ms after the start`);
  } finally {
    await s.stop();
    rmSync(data, { recursive: true, force: true });
  }
});

test('a damaged swarms.bin: the blocks that check out are loaded, the file set aside, the log says so', async () => {
  const data = tempDir('fjord-swarms-damaged-');
  const hs = [hashOf(1321), hashOf(1322), hashOf(1323)];
  const savedAt = Math.floor(Date.now() / 1000);
  const st = Math.floor(savedAt / TICK);
  const blocks = hs.map((h, i) => block(h, [{ ip: 50 + i, port: 2, seed: false, ageTicks: 0 }], st));
  blocks[1][45] ^= 0xff; // a byte of the second swarm's peer
  const path = join(data, 'swarms.bin');
  writeFileSync(path, swarmsFile(savedAt, blocks, 3));
  let s = await serve(data);
  try {
    assert.match(
      s.stderr(),
      /state: DAMAGED .*swarms\.bin: 1 blocks with a wrong checksum skipped; loaded the 2 peers of 2 swarms/,
    );
    assert.deepEqual(await Promise.all(hs.map(async (h) => (await scrape(s, h))[1])), [1, 0, 1]);
    const aside = readdirSync(data).filter((f) => f.startsWith('swarms.bin.damaged-'));
    assert.equal(aside.length, 1, readdirSync(data).join(', '));
    assert.equal(readFileSync(join(data, aside[0])).length, 28 + 3 * 52, 'the damaged file as it was');
    await s.stop('SIGTERM');
    // Cut short in the third block of the good file the shutdown wrote: the first two are loaded.
    const whole = readFileSync(path);
    assert.equal(whole.length, 28 + 2 * 52);
    truncateSync(path, whole.length - 10);
    s = await serve(data);
    assert.match(s.stderr(), /DAMAGED .*cut short in block 2; loaded the 1 peers of 1 swarms/);
    const counts = await Promise.all([hs[0], hs[2]].map(async (h) => (await scrape(s, h))[1]));
    assert.equal(counts[0] + counts[1], 1, 'one of the two swarms, the one written first');
    await s.stop('SIGTERM');
    // Not a swarms file at all: serve starts and serves, with no swarm loaded.
    writeFileSync(path, Buffer.from('this is not a swarms file, just some bytes'));
    s = await serve(data);
    assert.match(s.stderr(), /DAMAGED .*bad header/);
    const r = await httpGet(s.ports.http, announcePath({ hash: hs[0], port: 7000 }));
    assert.equal(r.status, 200);
  } finally {
    await s.stop();
    rmSync(data, { recursive: true, force: true });
  }
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startTracker,
  UdpClient,
  udpAnnounce,
  udpScrape,
  udpPeers4,
  hashOf,
  type Running,
} from '../helpers/tracker.js';

let t: Running;
before(async () => {
  t = await startTracker({ mode: 'whitelist', interval: 1800 }, { v6: true });
  for (let i = 1; i <= 5; i++) t.tracker.access.add(hashOf(i).toString('hex'));
});
after(() => t.stop());

async function client(source = '127.0.0.1'): Promise<UdpClient> {
  const c = new UdpClient(t.udpPort);
  await c.bind(source);
  return c;
}

test('connect returns the transaction id and an 8-byte id; announce registers the peer', async () => {
  const c = await client();
  try {
    const id = await c.connect(1234);
    assert.equal(id.length, 8);
    const r = await c.request(udpAnnounce({ connectionId: id, infoHash: hashOf(1), port: 6881, txn: 99 }));
    assert.equal(r.readUInt32BE(0), 1, 'action announce');
    assert.equal(r.readUInt32BE(4), 99, 'transaction id echoed');
    assert.equal(r.readUInt32BE(8), 1800, 'interval');
    assert.equal(r.readUInt32BE(12), 1, 'one leecher (the requester)');
    assert.equal(r.readUInt32BE(16), 0, 'no seeders');
    assert.equal(r.length, 20, 'the requester is not returned to itself');
  } finally {
    c.close();
  }
});

test('peers are keyed by address and port; others see them; seeders get leechers first', async () => {
  const a = await client('127.0.0.2');
  const b = await client('127.0.0.3');
  try {
    const ida = await a.connect();
    const idb = await b.connect();
    // Same address and port with two peer ids is one peer.
    await a.request(
      udpAnnounce({
        connectionId: ida,
        infoHash: hashOf(2),
        port: 7000,
        peerId: Buffer.from('-AA0001-111111111111'),
      }),
    );
    await a.request(
      udpAnnounce({
        connectionId: ida,
        infoHash: hashOf(2),
        port: 7000,
        peerId: Buffer.from('-AA0001-222222222222'),
      }),
    );
    await a.request(udpAnnounce({ connectionId: ida, infoHash: hashOf(2), port: 7001, left: 0n }));
    const r = await b.request(udpAnnounce({ connectionId: idb, infoHash: hashOf(2), port: 8000, left: 0n }));
    assert.equal(r.readUInt32BE(12), 1, 'one leecher');
    assert.equal(r.readUInt32BE(16), 2, 'two seeders, b included');
    const peers = udpPeers4(r);
    assert.deepEqual(
      peers,
      ['127.0.0.2:7000', '127.0.0.2:7001'],
      'leecher first, then the other seeder; not b',
    );
  } finally {
    a.close();
    b.close();
  }
});

test('completed counts once per peer; stopped removes the peer; scrape reports it', async () => {
  const c = await client('127.0.0.4');
  try {
    const id = await c.connect();
    const h = hashOf(3);
    await c.request(udpAnnounce({ connectionId: id, infoHash: h, port: 9000, event: 2 }));
    await c.request(udpAnnounce({ connectionId: id, infoHash: h, port: 9000, event: 1, left: 0n }));
    await c.request(udpAnnounce({ connectionId: id, infoHash: h, port: 9000, event: 1, left: 0n }));
    let s = await c.request(udpScrape(id, [h, hashOf(4)]));
    assert.equal(s.readUInt32BE(0), 2);
    assert.equal(s.length, 8 + 24);
    assert.deepEqual(
      [s.readUInt32BE(8), s.readUInt32BE(12), s.readUInt32BE(16)],
      [1, 1, 0],
      'seeders, completed, leechers',
    );
    assert.deepEqual([s.readUInt32BE(20), s.readUInt32BE(24), s.readUInt32BE(28)], [0, 0, 0]);
    await c.request(udpAnnounce({ connectionId: id, infoHash: h, port: 9000, event: 3, left: 0n }));
    s = await c.request(udpScrape(id, [h]));
    assert.deepEqual(
      [s.readUInt32BE(8), s.readUInt32BE(12), s.readUInt32BE(16)],
      [0, 1, 0],
      'gone, completion kept',
    );
  } finally {
    c.close();
  }
});

test('a torrent not on the list gets a BEP 15 error with a clear message', async () => {
  const c = await client();
  try {
    const id = await c.connect();
    const r = await c.request(udpAnnounce({ connectionId: id, infoHash: hashOf(999), port: 6881, txn: 5 }));
    assert.equal(r.readUInt32BE(0), 3);
    assert.equal(r.readUInt32BE(4), 5);
    assert.match(r.subarray(8).toString(), /not allowed/);
    const s = await c.request(udpScrape(id, [hashOf(999)]));
    assert.equal(s.readUInt32BE(0), 3);
  } finally {
    c.close();
  }
});

test("wrong, forged or another address's connection id gets an error, not a crash", async () => {
  const a = await client('127.0.0.5');
  const b = await client('127.0.0.6');
  try {
    const ida = await a.connect();
    for (const bad of [Buffer.alloc(8), Buffer.from('0123456789abcdef', 'hex'), ida]) {
      const r = await b.request(udpAnnounce({ connectionId: bad, infoHash: hashOf(1), port: 6881 }));
      assert.equal(r.readUInt32BE(0), 3);
      assert.match(r.subarray(8).toString(), /connection id/);
    }
    const errors = t.tracker.counters.errorCount(0, 1);
    assert.ok(errors >= 3, `bad_connection_id counted (${errors})`);
  } finally {
    a.close();
    b.close();
  }
});

test('malformed packets: short ones are dropped, others get errors, valid requests still answered', async () => {
  const c = await client('127.0.0.7');
  try {
    const id = await c.connect();
    const before = t.tracker.counters.errorCount(0, 0);
    // Too short to carry a transaction id: dropped.
    c.send(Buffer.from([1, 2, 3]));
    assert.equal(await c.next(200), null);
    // Truncated announce.
    let r = await c.request(udpAnnounce({ connectionId: id, infoHash: hashOf(1), port: 1 }).subarray(0, 60));
    assert.equal(r.readUInt32BE(0), 3);
    assert.match(r.subarray(8).toString(), /malformed announce/);
    // Unknown action.
    const u = Buffer.alloc(16);
    id.copy(u);
    u.writeUInt32BE(77, 8);
    r = await c.request(u);
    assert.match(r.subarray(8).toString(), /unknown action 77/);
    // Scrape with a partial hash.
    r = await c.request(Buffer.concat([udpScrape(id, [hashOf(1)]), Buffer.alloc(7)]));
    assert.match(r.subarray(8).toString(), /malformed scrape/);
    // BEP 41 options: well-formed URL data is accepted and ignored.
    const withUrl = Buffer.concat([
      udpAnnounce({ connectionId: id, infoHash: hashOf(1), port: 1234 }),
      Buffer.from([2, 9]),
      Buffer.from('/announce'),
      Buffer.from([0]),
    ]);
    r = await c.request(withUrl);
    assert.equal(r.readUInt32BE(0), 1);
    // Malformed options (length past the end) get an error.
    r = await c.request(
      Buffer.concat([
        udpAnnounce({ connectionId: id, infoHash: hashOf(1), port: 1234 }),
        Buffer.from([2, 200, 1]),
      ]),
    );
    assert.equal(r.readUInt32BE(0), 3);
    // Connect with a bad protocol id.
    const badConnect = Buffer.alloc(16);
    r = await c.request(badConnect);
    assert.equal(r.readUInt32BE(0), 3);
    assert.ok(t.tracker.counters.errorCount(0, 0) >= before + 4);
    // Random garbage never stops the server.
    for (let i = 0; i < 300; i++) {
      const g = Buffer.alloc(Math.floor(Math.random() * 200));
      for (let k = 0; k < g.length; k++) g[k] = Math.floor(Math.random() * 256);
      if (i % 3 === 0 && g.length >= 16) id.copy(g); // some with a valid id
      c.send(g);
    }
    await new Promise((r) => setTimeout(r, 200));
    while ((await c.next(50)) !== null);
    r = await c.request(udpAnnounce({ connectionId: id, infoHash: hashOf(1), port: 4321, txn: 31337 }));
    assert.equal(r.readUInt32BE(0), 1);
    assert.equal(r.readUInt32BE(4), 31337);
  } finally {
    c.close();
  }
});

test('IPv6: a v6 client gets only v6 peers over UDP', async () => {
  assert.ok(t.udp6Port, 'listening on ::1');
  const a = new UdpClient(t.udp6Port!, '::1');
  await a.bind('::1');
  const b = new UdpClient(t.udp6Port!, '::1');
  await b.bind('::1');
  const v4 = await client('127.0.0.8');
  try {
    const h = hashOf(5);
    const id4 = await v4.connect();
    await v4.request(udpAnnounce({ connectionId: id4, infoHash: h, port: 5555 }));
    const ida = await a.connect();
    await a.request(udpAnnounce({ connectionId: ida, infoHash: h, port: 6666 }));
    const idb = await b.connect();
    const r = await b.request(udpAnnounce({ connectionId: idb, infoHash: h, port: 7777 }));
    assert.equal(r.readUInt32BE(12), 3, 'leechers of both families are counted');
    assert.equal(r.length, 20 + 18, 'one 18-byte IPv6 peer');
    const addr = r.subarray(20, 36);
    assert.deepEqual([...addr], [...Buffer.alloc(15), 1], '::1');
    assert.equal(r.readUInt16BE(36), 6666);
  } finally {
    a.close();
    b.close();
    v4.close();
  }
});

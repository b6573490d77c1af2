/**
 * The native UDP batching addon (native/udp-batch) against the node:dgram fallback: which path is
 * active, byte-identical replies on both for a scripted sequence (IPv4 and IPv6), datagrams longer
 * than a slot, closing while a batch is in flight, and bind errors.
 *
 * Run the tracker tests on both paths: `npm test -- tracker/udp` and
 * `FJORD_UDP_BATCH=0 npm test -- tracker/udp`. Under CI the addon must have loaded (a broken build
 * must not hide behind the fallback).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { startTracker, UdpClient, udpAnnounce, udpScrape, hashOf, type Running } from '../helpers/tracker.js';
import { UdpTrackerServer } from '../../src/tracker/udp-server.js';
import {
  C_BATCHES,
  C_RECEIVED,
  C_SEND_ERRORS,
  C_SENT,
  NativeUdpSocket,
  udpBatch,
  udpBatchStatus,
} from '../../src/tracker/udp-batch.js';

const forcedOff = process.env.FJORD_UDP_BATCH === '0';
const native = udpBatch !== null;
const skipNative = native ? false : `the addon is not in use: ${udpBatchStatus.reason}`;

let t: Running;
/** Extra listeners forced onto node:dgram, beside the tracker's own (batch when loaded). */
const dgram4 = { server: null as UdpTrackerServer | null, port: 0 };
const dgram6 = { server: null as UdpTrackerServer | null, port: 0 };

before(async () => {
  t = await startTracker({ mode: 'whitelist', interval: 1800, numwantDefault: 50 }, { v6: true });
  for (let i = 1; i <= 500; i++) t.tracker.access.add(hashOf(i).toString('hex'));
  for (const [slot, host] of [
    [dgram4, '127.0.0.1'],
    [dgram6, '::1'],
  ] as const) {
    slot.server = new UdpTrackerServer(t.tracker, { host, port: 0 }, 'dgram');
    slot.port = (await slot.server.listen()).port;
  }
});
after(async () => {
  await dgram4.server?.close();
  await dgram6.server?.close();
  await t.stop();
});

test('the active UDP path is the one expected', () => {
  if (forcedOff) {
    assert.equal(udpBatch, null);
    assert.equal(udpBatchStatus.reason, 'FJORD_UDP_BATCH=0');
  } else if (process.env.CI) {
    assert.ok(
      udpBatchStatus.loaded,
      `CI: the native UDP addon must be built and loaded (${udpBatchStatus.reason}); see scripts/build-native.js`,
    );
  }
  for (const s of t.tracker.udp) assert.equal(s.io, native ? 'batch' : 'dgram', `udp ${s.endpoint.host}`);
  assert.equal(dgram4.server?.io, 'dgram');
  assert.equal(t.tracker.udp[0].ioCounters() !== null, native);
});

function connectRequest(txn: number, magic = 0x41727101980n): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(magic, 0);
  b.writeUInt32BE(0, 8);
  b.writeUInt32BE(txn, 12);
  return b;
}

/** An announce followed by BEP 41 options making it `total` bytes (nops; `broken`: cut short). */
function longAnnounce(id: Buffer, hash: Buffer, total: number, broken = false): Buffer {
  const b = Buffer.alloc(total, 1); // option 1 = nop
  udpAnnounce({ connectionId: id, infoHash: hash, port: 7100, txn: 77 }).copy(b, 0);
  if (broken) {
    b[total - 2] = 2; // URL data whose length runs past the end
    b[total - 1] = 200;
  }
  return b;
}

/**
 * A scripted exchange with one listener; `base` picks the torrents, so the two listeners (which
 * share one tracker) each get fresh swarms and must answer byte for byte alike. Returns every
 * reply (null: none within the wait).
 */
async function script(
  port: number,
  host: string,
  sources: string[],
  base: number,
): Promise<(Buffer | null)[]> {
  const out: (Buffer | null)[] = [];
  const clients: UdpClient[] = [];
  try {
    for (const s of sources) {
      const c = new UdpClient(port, host);
      await c.bind(s);
      clients.push(c);
    }
    const [a, b] = [clients[0], clients[clients.length - 1]];
    const ask = async (c: UdpClient, req: Buffer, ms = 1000) => {
      c.send(req);
      const r = await c.next(ms);
      out.push(r);
      return r;
    };
    const h = (i: number) => hashOf(base + i);
    const ra = await ask(a, connectRequest(1));
    const rb = await ask(b, connectRequest(2));
    assert.ok(ra && rb, 'connect replies');
    const ida = ra.subarray(8, 16);
    const idb = rb.subarray(8, 16);
    await ask(a, connectRequest(3, 0x1234n)); // bad protocol id
    await ask(a, udpAnnounce({ connectionId: ida, infoHash: h(1), port: 6881, txn: 10 }));
    await ask(b, udpAnnounce({ connectionId: idb, infoHash: h(1), port: 6882, txn: 11, left: 0n }));
    await ask(a, udpAnnounce({ connectionId: ida, infoHash: h(1), port: 6883, txn: 12, numwant: 1 }));
    await ask(a, udpAnnounce({ connectionId: ida, infoHash: h(1), port: 6881, txn: 13, event: 1, left: 0n }));
    await ask(a, udpAnnounce({ connectionId: ida, infoHash: h(2), port: 6881, txn: 14, event: 2 }));
    await ask(b, udpAnnounce({ connectionId: idb, infoHash: h(2), port: 6882, txn: 15, numwant: 0 }));
    await ask(a, udpAnnounce({ connectionId: ida, infoHash: h(2), port: 6881, txn: 16, event: 3 }));
    await ask(b, udpScrape(idb, [h(1), h(2), h(3)], 17));
    await ask(b, udpScrape(idb, [h(1), hashOf(9999)], 18)); // not on the whitelist
    await ask(b, Buffer.concat([udpScrape(idb, [h(1)], 19), Buffer.alloc(3)])); // bad length
    await ask(a, udpAnnounce({ connectionId: Buffer.alloc(8, 9), infoHash: h(1), port: 6881, txn: 20 }));
    await ask(a, udpAnnounce({ connectionId: ida, infoHash: hashOf(9999), port: 1, txn: 24 }));
    await ask(a, udpAnnounce({ connectionId: ida, infoHash: h(1), port: 6881, txn: 21, event: 9 }));
    const unknown = connectRequest(22);
    ida.copy(unknown, 0);
    unknown.writeUInt32BE(7, 8);
    await ask(a, unknown);
    const short = udpAnnounce({ connectionId: ida, infoHash: h(1), port: 6881 }).subarray(0, 60);
    await ask(a, short); // malformed announce: an error
    await ask(a, Buffer.alloc(10), 150); // shorter than any request: no reply
    await ask(a, Buffer.alloc(0), 150); // empty: no reply
    // Longer than a receive slot (2,048 bytes): received whole on both paths.
    await ask(a, longAnnounce(ida, h(3), 3000));
    await ask(a, longAnnounce(ida, h(3), 5000, true));
    await ask(b, udpAnnounce({ connectionId: idb, infoHash: h(3), port: 6882, txn: 23 }));
    return out;
  } finally {
    for (const c of clients) c.close();
  }
}

/**
 * Runs the script against the batch listener and against the dgram one. Peer selection starts at
 * a random place in the swarm (Math.random), so it is pinned for the runs to compare bytes.
 */
async function both(
  batchPort: number,
  dgramPort: number,
  host: string,
  sources: string[],
  bases: [number, number],
): Promise<[(Buffer | null)[], (Buffer | null)[]]> {
  const random = Math.random;
  Math.random = () => 0.5;
  try {
    return [
      await script(batchPort, host, sources, bases[0]),
      await script(dgramPort, host, sources, bases[1]),
    ];
  } finally {
    Math.random = random;
  }
}

function hex(rs: (Buffer | null)[]): string[] {
  return rs.map((r) => (r === null ? 'none' : r.toString('hex')));
}

test('IPv4: the batch path and node:dgram give byte-identical replies', { skip: skipNative }, async () => {
  const before = t.tracker.counters.udpPackets;
  const sources = ['127.0.0.2', '127.0.0.3'];
  // Connection ids change every 64 s: a change between the two runs shows as differing connect
  // replies, and the pair of runs is then repeated once (on fresh torrents).
  let [viaBatch, viaDgram] = await both(t.udpPort, dgram4.port, '127.0.0.1', sources, [100, 200]);
  if (hex(viaBatch)[0] !== hex(viaDgram)[0])
    [viaBatch, viaDgram] = await both(t.udpPort, dgram4.port, '127.0.0.1', sources, [300, 400]);
  assert.deepEqual(hex(viaBatch), hex(viaDgram));
  // Sanity of the script itself: peers were returned, errors were errors, short ones unanswered.
  assert.equal(viaBatch[4]?.length, 26, 'the seeder gets the leecher');
  assert.equal(viaBatch[2]?.readUInt32BE(0), 3, 'bad protocol id: an error');
  assert.equal(viaBatch[18], null, 'no reply to 10 bytes');
  assert.equal(viaBatch[19], null, 'no reply to 0 bytes');
  assert.equal(viaBatch[20]?.readUInt32BE(0), 1, 'a 3,000-byte announce is answered');
  assert.equal(viaBatch[21]?.readUInt32BE(0), 3, 'a 5,000-byte announce with a broken option: error');
  assert.ok(t.tracker.counters.udpPackets - before >= 2 * viaBatch.length, 'every datagram counted');
  const c = t.tracker.udp[0].ioCounters() as Float64Array;
  assert.ok(c[C_BATCHES] > 0 && c[C_RECEIVED] >= viaBatch.length && c[C_SENT] > 0);
});

test(
  'IPv6 on ::1: the batch path and node:dgram give byte-identical replies',
  { skip: skipNative },
  async () => {
    const v6 = t.udp6Port as number;
    let [viaBatch, viaDgram] = await both(v6, dgram6.port, '::1', ['::1', '::1'], [120, 220]);
    if (hex(viaBatch)[0] !== hex(viaDgram)[0])
      [viaBatch, viaDgram] = await both(v6, dgram6.port, '::1', ['::1', '::1'], [320, 420]);
    assert.deepEqual(hex(viaBatch), hex(viaDgram));
    assert.equal(viaBatch[4]?.length, 20 + 18, 'an IPv6 peer of 18 bytes');
  },
);

test('many datagrams at once: every one answered (batches of up to 64)', { skip: skipNative }, async () => {
  const c = new UdpClient(t.udpPort);
  await c.bind('127.0.0.4');
  try {
    // In bursts the client's own receive buffer holds (its default size is small).
    const txns = new Set<number>();
    for (let burst = 0; burst < 5; burst++) {
      for (let i = 0; i < 100; i++) c.send(connectRequest(burst * 100 + i));
      for (let i = 0; i < 100; i++) {
        const r = await c.next(2000);
        if (r === null) break;
        txns.add(r.readUInt32BE(4));
      }
    }
    assert.equal(txns.size, 500);
  } finally {
    c.close();
  }
});

test(
  'closing while a batch is in flight: its replies go out, then the port is free',
  { skip: skipNative },
  async () => {
    const s = new UdpTrackerServer(t.tracker, { host: '127.0.0.1', port: 0 });
    const { port } = await s.listen();
    assert.equal(s.io, 'batch');
    const handle = s.handle.bind(s);
    let closes = 0;
    s.handle = (msg, len, addrLen, out) => {
      if (closes++ === 0) void s.close(); // inside onBatch
      return handle(msg, len, addrLen, out);
    };
    const c = new UdpClient(port);
    await c.bind('127.0.0.5');
    try {
      c.send(connectRequest(5));
      c.send(connectRequest(6));
      const r = await c.next(1000);
      assert.ok(r !== null && r.readUInt32BE(4) === 5, 'the reply of the batch that closed');
      await s.close(); // again: idempotent
      c.send(connectRequest(7));
      // Whatever was still in the batch may have been answered; nothing after the close is.
      let last: Buffer | null;
      while ((last = await c.next(200)) !== null) assert.notEqual(last.readUInt32BE(4), 7);
      // The port is free again at once.
      const again = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        again.once('error', reject);
        again.bind(port, '127.0.0.1', () => resolve());
      });
      again.close();
    } finally {
      c.close();
    }
  },
);

test('binding a port in use fails with EADDRINUSE, as with dgram', { skip: skipNative }, () => {
  assert.throws(
    () => new NativeUdpSocket(udpBatch!, '127.0.0.1', t.udpPort, 1024, 0, () => {}),
    (e: NodeJS.ErrnoException) => e.code === 'EADDRINUSE' && e.syscall === 'bind',
  );
});

test(
  'a reply the kernel refuses (EMSGSIZE) is counted and skipped, never fatal',
  { skip: skipNative },
  async () => {
    // Replies of up to 70,000 bytes: more than a UDP datagram can carry.
    const s = new NativeUdpSocket(udpBatch!, '127.0.0.1', 0, 70_000, 0, (count) => {
      for (let i = 0; i < count; i++) {
        const big = s.message(i, s.length(i))[0] === 0x42;
        s.replies[i].fill(0x61, 0, 8);
        s.setReply(i, big ? 70_000 : 8);
      }
    });
    const c = new UdpClient(s.address().port);
    await c.bind('127.0.0.1');
    try {
      c.send(Buffer.from('B'));
      c.send(Buffer.from('s'));
      const r = await c.next(1000);
      assert.equal(r?.toString(), 'aaaaaaaa', 'the next reply still goes out');
      assert.equal(await c.next(100), null);
      assert.equal(s.counters[C_SEND_ERRORS], 1);
      assert.equal(s.lastError(), 'EMSGSIZE');
      assert.equal(s.counters[C_SENT], 1);
    } finally {
      c.close();
      s.close();
    }
  },
);

test('a stopped tracker has closed its native sockets', { skip: skipNative }, async () => {
  const r = await startTracker({}, { v6: true });
  const ports = [r.udpPort, r.udp6Port as number];
  await r.stop();
  for (const [port, host, type] of [
    [ports[0], '127.0.0.1', 'udp4'],
    [ports[1], '::1', 'udp6'],
  ] as const) {
    const s = dgram.createSocket({ type, ipv6Only: type === 'udp6' });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(port, host, () => resolve());
    });
    s.close();
  }
});

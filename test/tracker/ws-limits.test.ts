/**
 * The WebSocket tracker's limits: message size, offers per announce, connections per address,
 * swarms per socket, ping/pong and idle timeouts, backpressure on a slow reader, the listener's
 * answers to non-WebSocket requests, and sharing a port with the HTTP tracker.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { bdecode } from '../../src/protocol/bencode.js';
import { announcePath, hashOf, httpGet } from '../helpers/tracker.js';
import {
  WsClient,
  bin,
  isOffer,
  offerIdOf,
  peerIdOf,
  sdp,
  startWsTracker,
  type Msg,
  type WsRunning,
} from '../helpers/ws.js';

const running: WsRunning[] = [];
const clients: WsClient[] = [];
after(async () => {
  for (const c of clients) c.ws.terminate();
  for (const r of running) await r.stop();
});
async function start(o: Parameters<typeof startWsTracker>[0]): Promise<WsRunning> {
  const r = await startWsTracker(o);
  running.push(r);
  return r;
}
async function client(url: string, opts: ConstructorParameters<typeof WsClient>[1] = {}): Promise<WsClient> {
  const c = await WsClient.open(url, opts);
  clients.push(c);
  return c;
}
const H = (n: number) => bin(hashOf(n));
const offers = (n: number, tag: string, size = 0) =>
  Array.from({ length: n }, (_, i) => ({
    offer: { type: 'offer', sdp: sdp(`${tag}-${i}`) + 'a'.repeat(size) },
    offer_id: offerIdOf(i + 1),
  }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a message over wsMaxMessageBytes closes the socket (1009)', async () => {
  const t = await start({ wsMaxMessageBytes: 4096 });
  const a = await client(t.url);
  const r = await a.announce({
    info_hash: H(1),
    peer_id: peerIdOf(1),
    left: 1,
    offers: offers(1, 'ok', 2000),
  });
  assert.equal(r.incomplete, 1);
  a.send({
    action: 'announce',
    info_hash: H(1),
    peer_id: peerIdOf(1),
    left: 1,
    offers: offers(1, 'big', 5000),
  });
  const { code } = await a.closed;
  assert.equal(code, 1009);
  await sleep(50);
  assert.equal(t.tracker.wsPeers().leechers, 0, 'its peer left with it');
  assert.ok(t.tracker.counters.errorCount(2, 5) >= 1, 'counted as too_large');
});

test('more than wsMaxOffers offers: the first ten are relayed, the rest dropped', async () => {
  const t = await start({});
  const peers: WsClient[] = [];
  for (let i = 0; i < 12; i++) {
    const p = await client(t.url);
    await p.announce({ info_hash: H(2), peer_id: peerIdOf(100 + i), left: 1 });
    peers.push(p);
  }
  const me = await client(t.url);
  const r = await me.announce({
    info_hash: H(2),
    peer_id: peerIdOf(99),
    left: 1,
    numwant: 12,
    offers: offers(12, 'm'),
  });
  assert.equal(r.incomplete, 13);
  await sleep(300);
  const got = peers.flatMap((p) => p.received.filter(isOffer));
  assert.equal(got.length, 10);
  assert.equal(new Set(got.map((m) => m.offer_id)).size, 10);
  assert.ok(!got.some((m) => m.offer_id === offerIdOf(11) || m.offer_id === offerIdOf(12)));
});

test('connections per address are limited (429), others unaffected', async () => {
  const t = await start({ wsMaxConnectionsPerAddress: 3 });
  for (let i = 0; i < 3; i++) await client(t.url, { localAddress: '127.0.0.77' });
  await assert.rejects(WsClient.open(t.url, { localAddress: '127.0.0.77' }), /HTTP 429/);
  await client(t.url, { localAddress: '127.0.0.78' });
  // One closes: there is room again.
  await clients[clients.length - 2].close();
  await sleep(50);
  await client(t.url, { localAddress: '127.0.0.77' });
});

test('swarms per socket are limited', async () => {
  const t = await start({ wsMaxPeersPerConnection: 2 });
  const a = await client(t.url);
  await a.announce({ info_hash: H(1), peer_id: peerIdOf(1), left: 1 });
  await a.announce({ info_hash: H(2), peer_id: peerIdOf(1), left: 1 });
  const r = await a.announce({ info_hash: H(3), peer_id: peerIdOf(1), left: 1 });
  assert.match(String(r['failure reason']), /at most 2 torrents/);
  // Leaving one makes room.
  await a.announce({ info_hash: H(1), peer_id: peerIdOf(1), left: 1, event: 'stopped' });
  const r2 = await a.announce({ info_hash: H(3), peer_id: peerIdOf(1), left: 1 });
  assert.equal(r2.incomplete, 1);
});

test('binary frames are malformed', async () => {
  const t = await start({});
  const a = await client(t.url);
  a.ws.send(Buffer.from([1, 2, 3]));
  const m = await a.expect();
  assert.match(String(m['failure reason']), /binary/);
});

test('a socket that does not answer pings is closed; one that does stays', async () => {
  const t = await start({ wsPingInterval: 1 });
  const deaf = await client(t.url, { autoPong: false });
  const live = await client(t.url);
  await deaf.announce({ info_hash: H(1), peer_id: peerIdOf(1), left: 1 });
  await live.announce({ info_hash: H(1), peer_id: peerIdOf(2), left: 1 });
  const closed = await Promise.race([deaf.closed, sleep(4000).then(() => null)]);
  assert.ok(closed !== null, 'closed within about two ping intervals');
  assert.equal(live.closeCode, null);
  await sleep(50);
  assert.equal(t.tracker.wsPeers().leechers, 1);
});

test('a socket that sends nothing for wsIdleTimeout is closed', async () => {
  const t = await start({ wsPingInterval: 1, wsIdleTimeout: 2 });
  const idle = await client(t.url);
  const started = Date.now();
  await Promise.race([idle.closed, sleep(5000)]);
  assert.notEqual(idle.closeCode, null);
  assert.ok(Date.now() - started >= 1500);
});

test('a slow reader never makes the server buffer without bound: relays are dropped, then it is closed', async () => {
  const bound = 64 * 1024;
  const t = await start({ wsMaxBufferedBytes: bound, wsPingInterval: 2 });
  const slow = await client(t.url);
  await slow.announce({ info_hash: H(1), peer_id: peerIdOf(1), left: 1 });
  slow.ws.pause(); // stops reading: the kernel buffers fill, then the server's queue would grow
  const ws = t.tracker.ws;
  assert.ok(ws);
  const conn = [...ws.conns].find((c) => c.peers.some((p) => p.id === peerIdOf(1)));
  assert.ok(conn);
  const fast = await client(t.url);
  const big = 30 * 1024;
  let maxQueued = 0;
  // 600 announces, each relaying one 30 KiB offer to the slow reader: 18 MiB offered in all.
  for (let i = 0; i < 600; i++) {
    fast.send({
      action: 'announce',
      info_hash: H(1),
      peer_id: peerIdOf(2),
      left: 1,
      numwant: 1,
      offers: offers(1, `f${i}`, big),
    });
    if (i % 20 === 19) {
      await fast.expect((m) => m.complete !== undefined);
      fast.received.length = 0;
      maxQueued = Math.max(maxQueued, conn.socket.writableLength + (conn.out?.length ?? 0));
    }
  }
  await sleep(100);
  maxQueued = Math.max(maxQueued, conn.socket.writableLength + (conn.out?.length ?? 0));
  const c = t.tracker.counters;
  assert.ok(c.wsRelaysDropped > 0, 'relays to the slow reader were dropped');
  assert.ok(maxQueued <= bound + big + 1024, `queued ${maxQueued} bytes, bound ${bound}`);
  // Still over the bound (or silent) at the next ping: closed, its queue freed.
  const closed = await Promise.race([
    new Promise((r) => conn.socket.once('close', r)).then(() => true),
    sleep(6000).then(() => conn.socket.destroyed),
  ]);
  assert.ok(closed, 'the slow reader was closed');
  assert.equal(fast.closeCode, null, 'the fast client is unaffected');
});

test('the WebSocket listener answers other requests plainly', async () => {
  const t = await start({});
  const port = Number(new URL(t.url).port);
  const r = await httpGet(port, '/announce');
  assert.equal(r.status, 426);
  await assert.rejects(WsClient.open(`ws://127.0.0.1:${port}/elsewhere`), /HTTP 404/);
  // A head that never ends is cut at maxHeaderBytes.
  const s = net.connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  const reply = new Promise<string>((resolve) => {
    let d = '';
    s.on('data', (c) => (d += c));
    s.on('close', () => resolve(d));
    s.on('error', () => resolve(d));
  });
  s.write('GET /announce HTTP/1.1\r\nX: ' + 'a'.repeat(20000));
  assert.match(await reply, /^HTTP\/1.1 431/);
});

test('the WebSocket tracker can share the HTTP tracker port', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const e = { host: '127.0.0.1', port };
  const t = await start({ http: [e], ws: [e] });
  assert.equal(t.url, `ws://127.0.0.1:${port}/announce`);
  const a = await client(t.url);
  const b = await client(t.url);
  await a.announce({ info_hash: H(1), peer_id: peerIdOf(1), left: 1 });
  await b.announce({ info_hash: H(1), peer_id: peerIdOf(2), left: 1, offers: offers(1, 'b') });
  const o: Msg = await a.expect(isOffer);
  assert.equal(o.peer_id, peerIdOf(2));
  // Plain HTTP announces on the same port are served as before.
  const r = await httpGet(port, announcePath({ hash: hashOf(1), port: 7000 }));
  assert.equal(r.status, 200);
  assert.equal((bdecode(r.body) as Msg).incomplete, 1);
});

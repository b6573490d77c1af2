/**
 * The WebSocket tracker under attack (issue 19), against a real `fjord serve --ws`: a client that
 * pings without reading, a handshake trickled a line at a time, a handshake with bare LF line
 * ends, one socket flooding offers.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveFjord, sleep, until, type Served } from '../helpers/cli.js';
import { hashOf, httpGet, tempDir } from '../helpers/tracker.js';
import { WsClient, bin, isOffer, offerIdOf, peerIdOf, sdp, type Msg } from '../helpers/ws.js';

const served: Served[] = [];
const clients: WsClient[] = [];
after(async () => {
  for (const c of clients) c.ws.terminate();
  for (const s of served) await s.stop('SIGKILL');
});

/** `fjord serve --open` on loopback with a --ws listener of its own and these config keys. */
async function serve(settings: Record<string, unknown>): Promise<Served> {
  const dir = tempDir();
  const cfg = join(dir, 'fjord.json');
  writeFileSync(cfg, JSON.stringify(settings));
  const s = await serveFjord(
    [
      '--config',
      cfg,
      '--open',
      '--data',
      join(dir, 'data'),
      '--admin',
      'off',
      '--http',
      '127.0.0.1:0',
      '--udp',
      '127.0.0.1:0',
      '--ws',
      '127.0.0.1:0',
    ],
    ['http', 'udp', 'ws'],
  );
  served.push(s);
  return s;
}

async function client(port: number): Promise<WsClient> {
  const c = await WsClient.open(`ws://127.0.0.1:${port}/announce`);
  clients.push(c);
  return c;
}

/** The `ws` part of /stats?format=json. */
async function wsStats(s: Served): Promise<Record<string, number>> {
  const r = await httpGet(s.ports.http, '/stats?format=json');
  assert.equal(r.status, 200);
  return (JSON.parse(r.body.toString()) as { ws: Record<string, number> }).ws;
}

/** Resident memory of a process, MB (VmRSS in /proc/PID/status). */
function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, 'VmRSS in /proc/PID/status');
  return Number(m[1]) / 1024;
}

/** A raw TCP socket that has completed the WebSocket handshake (the 101 read, nothing after it). */
async function rawWebSocket(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  await once(s, 'connect');
  s.write(
    'GET /announce HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  let head = '';
  while (!head.includes('\r\n\r\n')) head += String(((await once(s, 'data')) as [Buffer])[0]);
  assert.match(head, /^HTTP\/1.1 101/);
  return s;
}

/** A masked client ping with 125 bytes of payload (the largest a control frame may carry). */
function maskedPing(): Buffer {
  const f = Buffer.alloc(2 + 4 + 125, 0x61);
  f[0] = 0x89;
  f[1] = 0x80 | 125;
  f.set([1, 2, 3, 4], 2);
  return f;
}

test('a client that pings without reading is closed and counted; its pongs are not buffered without bound', async (t) => {
  const s = await serve({});
  const pid = s.child.pid;
  assert.ok(pid !== undefined);
  const before = rssMb(pid);
  const sock = await rawWebSocket(s.ports.ws);
  sock.pause(); // never reads again: every pong the server sends stays with the server
  let closed = false;
  sock.on('close', () => (closed = true));
  const chunk = Buffer.concat(Array.from({ length: 1000 }, maskedPing)); // 131 KB of pings
  let peak = before;
  let sent = 0;
  const stopAt = Date.now() + 12_000;
  while (!closed && Date.now() < stopAt) {
    peak = Math.max(peak, rssMb(pid));
    // Today's main grows by gigabytes here: stop well before that hurts the machine.
    if (peak - before > 300) break;
    sent += chunk.length;
    if (!sock.write(chunk))
      await Promise.race([once(sock, 'drain'), once(sock, 'close'), sleep(100)]).catch(() => {});
  }
  peak = Math.max(peak, rssMb(pid));
  const grew = peak - before;
  sock.destroy();
  t.diagnostic(`${(sent / 1e6).toFixed(0)} MB of pings sent; closed: ${closed}; RSS +${grew.toFixed(0)} MB`);
  assert.ok(
    closed,
    `the server closed the socket (${(sent / 1e6).toFixed(0)} MB of pings sent, RSS +${grew.toFixed(0)} MB)`,
  );
  assert.ok(grew < 100, `RSS grew ${grew.toFixed(0)} MB (from ${before.toFixed(0)} MB)`);
  // Counted as a slow reader, and the tracker still answers HTTP and WebSocket requests.
  await until(async () => (await wsStats(s)).slowClosed >= 1, 10_000, 'slowClosed counted');
  const c = await client(s.ports.ws);
  const r = await c.announce({ info_hash: bin(hashOf(1)), peer_id: peerIdOf(1), left: 0 });
  assert.equal(r.complete, 1);
});

test('a WebSocket handshake must be whole within wsHandshakeTimeout of accept, however it trickles', async (t) => {
  const s = await serve({ wsHandshakeTimeout: 2 });
  // A socket that did complete its handshake is not touched by that deadline.
  const upgraded = await client(s.ports.ws);
  const sock = net.connect(s.ports.ws, '127.0.0.1');
  sock.on('error', () => {});
  await once(sock, 'connect');
  const started = Date.now();
  let closedAt = 0;
  sock.on('close', () => (closedAt = Date.now()));
  sock.write('GET /announce HTTP/1.1\r\n');
  // A header line every 0.5 s: on today's main each byte restarts the timer, so this never ends.
  for (let i = 0; closedAt === 0 && Date.now() - started < 8000; i++) {
    await sleep(500);
    if (!sock.destroyed) sock.write(`X-Trickle-${i}: a\r\n`);
  }
  sock.destroy();
  assert.ok(closedAt > 0, 'the server closed the trickling socket');
  const took = closedAt - started;
  t.diagnostic(closedAt > 0 ? `closed after ${took} ms` : 'not closed');
  assert.ok(took >= 1500 && took < 6000, `closed ${took} ms after connecting (deadline 2 s)`);
  assert.equal(upgraded.closeCode, null, 'the upgraded socket stays open');
  const r = await upgraded.announce({ info_hash: bin(hashOf(2)), peer_id: peerIdOf(2), left: 1 });
  assert.equal(r.incomplete, 1);
});

test('a WebSocket handshake with bare LF line ends is answered 400 at once, not at the deadline', async (t) => {
  // A deadline far beyond the test's wait: an answer can only come from the bare LF check.
  const s = await serve({ wsHandshakeTimeout: 60 });
  const heads = [
    'GET /announce HTTP/1.1\nHost: 127.0.0.1\nUpgrade: websocket\nConnection: Upgrade\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n\n',
    'GET /announce HTTP/1.1\r\nHost: 127.0.0.1\nUpgrade: websocket\r\n', // one bare LF, unfinished
  ];
  for (const head of heads) {
    const sock = net.connect(s.ports.ws, '127.0.0.1');
    sock.on('error', () => {});
    await once(sock, 'connect');
    const started = Date.now();
    let reply = '';
    sock.on('data', (c: Buffer) => (reply += c.toString('latin1')));
    const closed = once(sock, 'close').then(() => true);
    sock.write(head);
    // On today's main the server waits for CRLF CRLF: nothing comes back before the deadline.
    const answered = await Promise.race([closed, sleep(5000).then(() => false)]);
    sock.destroy();
    t.diagnostic(
      `${JSON.stringify(head.slice(0, 30))}: ${answered ? `${Date.now() - started} ms` : 'no answer in 5 s'}`,
    );
    assert.ok(answered, `answered and closed at once (${JSON.stringify(head)})`);
    assert.match(reply, /^HTTP\/1\.1 400 /, reply);
  }
  // A proper handshake is still served.
  const c = await client(s.ports.ws);
  const r = await c.announce({ info_hash: bin(hashOf(4)), peer_id: peerIdOf(4), left: 1 });
  assert.equal(r.incomplete, 1);
});

test('offers from one socket are rate-limited: past the burst they are dropped and counted', async (t) => {
  const s = await serve({}); // the defaults: wsOfferBurst 100, wsOfferRate 10 a second
  const H = bin(hashOf(3));
  const receiver = await client(s.ports.ws);
  await receiver.announce({ info_hash: H, peer_id: peerIdOf(10), left: 1 });
  const flooder = await client(s.ports.ws);
  const N = 400;
  const offers: Msg[] = Array.from({ length: 10 }, (_, i) => ({
    offer: { type: 'offer', sdp: sdp(`flood-${i}`) },
    offer_id: offerIdOf(i + 1),
  }));
  const started = Date.now();
  for (let i = 0; i < N; i++)
    flooder.send({ action: 'announce', info_hash: H, peer_id: peerIdOf(11), left: 1, numwant: 10, offers });
  let replies = 0;
  while (replies < N) {
    await flooder.expect((m) => m.complete !== undefined, 20_000);
    replies++;
  }
  const seconds = (Date.now() - started) / 1000;
  // Each announce offers to the one other peer: N offers in all, relayed or dropped.
  const got = () => receiver.received.filter(isOffer).length;
  await until(
    async () => got() + ((await wsStats(s)).offersRateLimited ?? 0) >= N,
    10_000,
    'every offer relayed or counted',
  );
  await sleep(200);
  const limited = (await wsStats(s)).offersRateLimited;
  t.diagnostic(`${got()} of ${N} offers relayed in ${seconds.toFixed(1)} s, ${limited} rate-limited`);
  const bound = 100 + Math.ceil(10 * seconds) + 1;
  assert.ok(got() <= bound, `the receiver got ${got()} offers in ${seconds.toFixed(1)} s (bound ${bound})`);
  assert.ok(got() >= 100, `the burst went through (${got()})`);
  assert.equal(limited, N - got(), 'the rest are counted as rate-limited');
  const metrics = (await httpGet(s.ports.http, '/metrics')).body.toString();
  assert.match(metrics, new RegExp(`fjord_ws_relays_total\\{kind="offer_rate_limited"\\} ${limited}`));
  assert.equal(flooder.closeCode, null, 'the flooder is answered as usual, not closed');
});

/**
 * The WebSocket tracker's own RFC 6455 layer, driven over a raw TCP socket: the handshake and its
 * refusals, fragmented messages, a message dribbled byte by byte, ping/pong, the close handshake,
 * and the frames that must fail the connection.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { hashOf } from '../helpers/tracker.js';
import { bin, peerIdOf, startWsTracker, type WsRunning } from '../helpers/ws.js';

let t: WsRunning;
let port = 0;
before(async () => {
  t = await startWsTracker({});
  port = Number(new URL(t.url).port);
});
after(() => t.stop());

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

function head(extra: Record<string, string> = {}): string {
  const h: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': KEY,
    'Sec-WebSocket-Version': '13',
    ...extra,
  };
  return `GET /announce HTTP/1.1\r\n${Object.entries(h)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`;
}

/** A client frame, masked (RFC 6455 5.3). */
function frame(payload: Buffer | string, opcode = 1, fin = true, masked = true): Buffer {
  const p = Buffer.from(payload);
  const n = p.length;
  const len = n < 126 ? [n] : [126, n >> 8, n & 0xff];
  const mask = masked ? randomBytes(4) : Buffer.alloc(0);
  const body = Buffer.from(p);
  if (masked) for (let i = 0; i < n; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([
    Buffer.from([(fin ? 0x80 : 0) | opcode, (masked ? 0x80 : 0) | len[0], ...len.slice(1)]),
    mask,
    body,
  ]);
}

interface Raw {
  socket: net.Socket;
  /** Everything received after the response head. */
  data(): Buffer;
  response: Promise<string>;
  closed: Promise<void>;
}

function raw(requestHead: string): Raw {
  const socket = net.connect(port, '127.0.0.1');
  let buf = Buffer.alloc(0);
  let headEnd = -1;
  let resolveHead: (s: string) => void = () => {};
  const response = new Promise<string>((r) => (resolveHead = r));
  socket.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    if (headEnd < 0) {
      headEnd = buf.indexOf('\r\n\r\n');
      if (headEnd >= 0) resolveHead(buf.toString('latin1', 0, headEnd));
    }
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  socket.on('connect', () => socket.write(requestHead));
  return {
    socket,
    data: () => (headEnd < 0 ? Buffer.alloc(0) : buf.subarray(headEnd + 4)),
    response,
    closed,
  };
}

/** Server frames in bytes: [opcode, payload]. */
function frames(b: Buffer): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  let o = 0;
  while (o + 2 <= b.length) {
    let n = b[o + 1] & 0x7f;
    let h = 2;
    if (n === 126) {
      n = b.readUInt16BE(o + 2);
      h = 4;
    }
    if (o + h + n > b.length) break;
    out.push([b[o] & 0x0f, b.subarray(o + h, o + h + n)]);
    o += h + n;
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred() && Date.now() < end) await sleep(10);
}

const announce = (n: number) =>
  JSON.stringify({
    action: 'announce',
    info_hash: bin(hashOf(n)),
    peer_id: peerIdOf(n),
    left: 1,
    numwant: 0,
  });

test('the handshake: 101 with the accept value, no extension and no subprotocol', async () => {
  const c = raw(head({ 'Sec-WebSocket-Extensions': 'permessage-deflate', 'Sec-WebSocket-Protocol': 'x' }));
  const r = await c.response;
  assert.match(r, /^HTTP\/1.1 101 /);
  assert.match(r, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
  assert.doesNotMatch(r, /Sec-WebSocket-(Extensions|Protocol)/);
  c.socket.destroy();
});

test('handshake refusals: no key, an old version, Connection without Upgrade', async () => {
  assert.match(await raw(head({ 'Sec-WebSocket-Key': '' })).response, /^HTTP\/1.1 400 /);
  const v = await raw(head({ 'Sec-WebSocket-Version': '8' })).response;
  assert.match(v, /^HTTP\/1.1 426 /);
  assert.match(v, /Sec-WebSocket-Version: 13/);
  assert.match(await raw(head({ Connection: 'keep-alive' })).response, /^HTTP\/1.1 400 /);
});

test('a fragmented message with a ping between its fragments, and a message sent byte by byte', async () => {
  const c = raw(head());
  await c.response;
  const text = announce(1);
  c.socket.write(frame(text.slice(0, 10), 1, false));
  c.socket.write(frame('are you there', 9));
  c.socket.write(frame(text.slice(10, 30), 0, false));
  c.socket.write(frame(text.slice(30), 0, true));
  await until(() => frames(c.data()).length >= 2);
  const got = frames(c.data());
  assert.equal(got[0][0], 0xa, 'pong first');
  assert.equal(got[0][1].toString(), 'are you there');
  assert.equal(got[1][0], 1);
  assert.equal(JSON.parse(got[1][1].toString()).incomplete, 1);
  // Byte by byte.
  const b = frame(announce(2));
  for (const byte of b) {
    c.socket.write(Buffer.from([byte]));
    await sleep(0);
  }
  await until(() => frames(c.data()).length >= 3);
  assert.equal(JSON.parse(frames(c.data())[2][1].toString()).incomplete, 1);
  c.socket.destroy();
});

test('the close handshake: the server answers a close and ends', async () => {
  const c = raw(head());
  await c.response;
  const payload = Buffer.from([0x03, 0xe8]); // 1000
  c.socket.write(frame(payload, 8));
  await c.closed;
  const got = frames(c.data());
  assert.equal(got[0][0], 8);
  assert.equal(got[0][1].readUInt16BE(0), 1000);
});

for (const [name, bytes, code] of [
  ['an unmasked frame', () => frame(announce(3), 1, true, false), 1002],
  ['a continuation with no message begun', () => frame('x', 0), 1002],
  ['text that is not UTF-8', () => frame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 1007],
  ['a reserved opcode', () => frame('x', 3), 1002],
  [
    'a message in too many (empty) fragments',
    () => Buffer.concat([frame('{', 1, false), ...Array.from({ length: 100 }, () => frame('', 0, false))]),
    1009,
  ],
] as Array<[string, () => Buffer, number]>) {
  test(`${name} closes the connection with ${code}`, async () => {
    const c = raw(head());
    await c.response;
    c.socket.write(bytes());
    await c.closed;
    const got = frames(c.data());
    const close = got.find(([op]) => op === 8);
    assert.ok(close, 'a close frame');
    assert.equal(close[1].readUInt16BE(0), code);
  });
}

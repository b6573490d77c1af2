import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import {
  CLOSE_PROTOCOL_ERROR,
  CLOSE_TOO_BIG,
  Frame,
  OP_CLOSE,
  OP_CONTINUATION,
  OP_PING,
  OP_TEXT,
  acceptValue,
  closeFrame,
  controlFrame,
  isValidKey,
  readFrame,
  textFrame,
} from '../../src/protocol/ws-frame.js';

/** A client frame per RFC 6455 5.2, masked with a random key (written here, not with fjord's code). */
function clientFrame(payload: Buffer, opts: { opcode?: number; fin?: boolean } = {}): Buffer {
  const n = payload.length;
  const len =
    n < 126
      ? [n]
      : n < 65536
        ? [126, n >> 8, n & 0xff]
        : [127, 0, 0, 0, 0, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const mask = randomBytes(4);
  const head = Buffer.from([
    ((opts.fin ?? true) ? 0x80 : 0) | (opts.opcode ?? OP_TEXT),
    0x80 | len[0],
    ...len.slice(1),
  ]);
  const body = Buffer.from(payload);
  for (let i = 0; i < n; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

test('the accept value of RFC 6455 section 1.3', () => {
  assert.equal(acceptValue('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  assert.ok(isValidKey('dGhlIHNhbXBsZSBub25jZQ=='));
  assert.ok(!isValidKey('short=='));
  assert.ok(!isValidKey(undefined));
});

test('client frames of every length form are read and unmasked in place', () => {
  const f = new Frame();
  for (const n of [0, 1, 125, 126, 127, 1000, 65535, 65536, 70000]) {
    const payload = Buffer.alloc(n, 'x');
    for (let i = 0; i < n; i++) payload[i] = (i * 7) & 0xff;
    const buf = clientFrame(payload);
    assert.equal(readFrame(buf, 0, 1 << 20, f), buf.length, `length ${n}`);
    assert.equal(f.opcode, OP_TEXT);
    assert.ok(f.fin);
    assert.deepEqual(buf.subarray(f.start, f.end), payload);
    // Every proper prefix asks for more.
    for (const cut of [0, 1, 2, 3, 5, buf.length - 1]) {
      if (cut < 0 || cut >= buf.length) continue;
      assert.equal(readFrame(clientFrame(payload).subarray(0, cut), 0, 1 << 20, f), 0, `cut ${cut} of ${n}`);
    }
  }
});

test('frames back to back, fragments and control frames', () => {
  const f = new Frame();
  const buf = Buffer.concat([
    clientFrame(Buffer.from('hel'), { fin: false }),
    clientFrame(Buffer.from('pong?'), { opcode: OP_PING }),
    clientFrame(Buffer.from('lo'), { opcode: OP_CONTINUATION }),
  ]);
  let off = 0;
  const seen: Array<[number, boolean, string]> = [];
  while (off < buf.length) {
    const n = readFrame(buf, off, 1000, f);
    assert.ok(n > 0);
    seen.push([f.opcode, f.fin, buf.toString('latin1', f.start, f.end)]);
    off += n;
  }
  assert.deepEqual(seen, [
    [OP_TEXT, false, 'hel'],
    [OP_PING, true, 'pong?'],
    [OP_CONTINUATION, true, 'lo'],
  ]);
});

test('protocol errors and sizes are refused, the size from the header alone', () => {
  const f = new Frame();
  const unmasked = Buffer.from([0x81, 0x02, 0x68, 0x69]);
  assert.equal(readFrame(unmasked, 0, 1000, f), -CLOSE_PROTOCOL_ERROR);
  const rsv = clientFrame(Buffer.from('hi'));
  rsv[0] |= 0x40;
  assert.equal(readFrame(rsv, 0, 1000, f), -CLOSE_PROTOCOL_ERROR);
  const badOp = clientFrame(Buffer.from('hi'));
  badOp[0] = 0x83;
  assert.equal(readFrame(badOp, 0, 1000, f), -CLOSE_PROTOCOL_ERROR);
  const longPing = clientFrame(Buffer.alloc(126), { opcode: OP_PING });
  assert.equal(readFrame(longPing, 0, 1000, f), -CLOSE_PROTOCOL_ERROR);
  const fragmentedClose = clientFrame(Buffer.alloc(2), { opcode: OP_CLOSE, fin: false });
  assert.equal(readFrame(fragmentedClose, 0, 1000, f), -CLOSE_PROTOCOL_ERROR);
  // Only the header of a frame over the limit has arrived: refused already.
  const big = clientFrame(Buffer.alloc(5000));
  assert.equal(readFrame(big.subarray(0, 8), 0, 4096, f), -CLOSE_TOO_BIG);
  const huge = Buffer.from([0x81, 0xff, 0, 0, 0, 1, 0, 0, 0, 0]);
  assert.equal(readFrame(huge, 0, 1 << 30, f), -CLOSE_TOO_BIG);
});

test('server frames: text as byte views, control and close frames', () => {
  for (const n of [0, 125, 126, 65535, 65536]) {
    const payload = 'y'.repeat(n);
    const frame = Buffer.from(textFrame(payload), 'latin1');
    const header = n < 126 ? 2 : n < 65536 ? 4 : 10;
    assert.equal(frame.length, header + n);
    assert.equal(frame[0], 0x81);
    assert.equal(frame[1] & 0x80, 0, 'unmasked');
    if (n < 126) assert.equal(frame[1], n);
    else if (n < 65536) assert.equal(frame.readUInt16BE(2), n);
    else assert.equal(Number(frame.readBigUInt64BE(2)), n);
  }
  assert.deepEqual(controlFrame(OP_PING), Buffer.from([0x89, 0]));
  const c = closeFrame(1008, 'bye');
  assert.deepEqual([...c.subarray(0, 4)], [0x88, 5, 0x03, 0xf0]);
  assert.equal(c.subarray(4).toString(), 'bye');
  assert.ok(closeFrame(1000, 'x'.repeat(500)).length <= 127);
});

test('property: readFrame never throws and never reads past the buffer', () => {
  const f = new Frame();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(400), (bytes, max) => {
      const buf = Buffer.from(bytes);
      let off = 0;
      for (let guard = 0; guard < 400 && off < buf.length; guard++) {
        const n = readFrame(buf, off, max, f);
        if (n <= 0) break;
        assert.ok(off + n <= buf.length);
        assert.ok(f.start >= off && f.end <= off + n && f.end - f.start <= max);
        off += n;
      }
    }),
    { numRuns: 3000 },
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpQuery, parseQuery, announceProblem } from '../../src/protocol/http-query.js';
import { parseIPv4, parseIPv6, formatIP, Network } from '../../src/protocol/ip.js';
import { checkAnnounceOptions, hasProtocolId, writeError, readU64 } from '../../src/protocol/udp.js';

const q = (s: string) => {
  const r = new HttpQuery();
  const b = Buffer.from(s, 'latin1');
  const ok = parseQuery(b, 0, b.length, r);
  return { ok, r };
};

test('query: a full announce', () => {
  const { ok, r } = q(
    'info_hash=%12%34%56%78%9a%bc%de%f1%23%45%67%89%ab%cd%ef%12%34%56%78%9a&peer_id=-qB4250-abcdefghijkl&port=6881&uploaded=1&downloaded=77&left=0&event=completed&compact=1&numwant=80&key=x&supportcrypto=1',
  );
  assert.ok(ok);
  assert.equal(r.hashes.toString('hex', 0, 20), '123456789abcdef123456789abcdef123456789a');
  assert.deepEqual(
    [r.hashCount, r.port, r.leftZero, r.event, r.compact, r.numwant, r.downloaded],
    [1, 6881, true, 1, 1, 80, 77],
  );
  assert.equal(announceProblem(r), null);
});

test('query: raw bytes that need no escaping, plus, several hashes', () => {
  const { ok, r } = q('info_hash=aaaaaaaaaaaaaaaaaaa+&info_hash=' + '%41'.repeat(20));
  assert.ok(ok);
  assert.equal(r.hashCount, 2);
  assert.equal(r.hashes.toString('latin1', 0, 20), 'a'.repeat(19) + ' ');
  assert.equal(r.hashes.toString('latin1', 20, 40), 'A'.repeat(20));
  assert.match(String(announceProblem(r)), /exactly one/);
});

test('query: errors name the parameter', () => {
  assert.match(q('info_hash=%4').r.error!, /info_hash/);
  assert.match(q('port=0').r.error!, /port/);
  assert.match(q('compact=2').r.error!, /compact/);
  assert.match(String(announceProblem(q('').r)), /missing info_hash/);
});

test('ip parsing and formatting', () => {
  assert.equal(parseIPv4('127.0.0.1'), 0x7f000001);
  assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', 'a.b.c.d', '1..2.3', ''])
    assert.equal(parseIPv4(bad), -1, bad);
  const b = new Uint8Array(16);
  assert.ok(parseIPv6('::1', b, 0));
  assert.equal(formatIP(b, 0, 16), '::1');
  assert.ok(parseIPv6('2001:db8::8:800:200c:417a', b, 0));
  assert.equal(formatIP(b, 0, 16), '2001:db8::8:800:200c:417a');
  assert.ok(parseIPv6('::ffff:10.1.2.3', b, 0));
  assert.deepEqual([...b.subarray(10)], [0xff, 0xff, 10, 1, 2, 3]);
  for (const bad of [':::', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9'])
    assert.ok(!parseIPv6(bad, b, 0), bad);
  const n = new Network('10.0.0.0/8');
  assert.ok(n.contains('10.200.1.1'));
  assert.ok(n.contains('::ffff:10.0.0.1'));
  assert.ok(!n.contains('11.0.0.1'));
  assert.ok(new Network('::1/128').contains('::1'));
  assert.ok(!new Network('::1/128').contains('127.0.0.1'));
  assert.throws(() => new Network('10.0.0.0/33'), /prefix/);
  assert.throws(() => new Network('nonsense'), /not an IP network/);
});

test('udp codec helpers: protocol id, BEP 41 options, error layout', () => {
  const c = Buffer.alloc(16);
  c.writeBigUInt64BE(0x41727101980n);
  assert.ok(hasProtocolId(c));
  c[7] = 0;
  assert.ok(!hasProtocolId(c));
  const base = Buffer.alloc(98);
  const url = Buffer.concat([
    base,
    Buffer.from([1, 2, 4]),
    Buffer.from('/ann'),
    Buffer.from([2, 3]),
    Buffer.from('ce?'),
    Buffer.from([0, 99]),
  ]);
  assert.equal(checkAnnounceOptions(url, url.length), 7);
  assert.equal(checkAnnounceOptions(Buffer.concat([base, Buffer.from([2, 50, 1])]), 101), -1);
  assert.equal(checkAnnounceOptions(Buffer.concat([base, Buffer.from([2])]), 99), -1);
  const req = Buffer.alloc(16);
  req.writeUInt32BE(0xdeadbeef, 12);
  const out = Buffer.alloc(100);
  const n = writeError(out, req, 16, 'nope');
  assert.equal(n, 12);
  assert.equal(out.readUInt32BE(0), 3);
  assert.equal(out.readUInt32BE(4), 0xdeadbeef);
  assert.equal(out.toString('utf8', 8, n), 'nope');
  const u = Buffer.alloc(8);
  u.writeBigUInt64BE(123456789012345n);
  assert.equal(readU64(u, 0), 123456789012345);
});

// Example-based tests; the properties (round trip, only BencodeError) are in fuzz/codecs.ts, run by fuzz-codecs.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bencode, bdecode, bdecodeWithSpan, BencodeError } from '../../src/protocol/bencode.js';

test('encodes the BEP 3 examples', () => {
  assert.equal(bencode('spam').toString(), '4:spam');
  assert.equal(bencode(3).toString(), 'i3e');
  assert.equal(bencode(-3).toString(), 'i-3e');
  assert.equal(bencode(0).toString(), 'i0e');
  assert.equal(bencode(['spam', 'eggs']).toString(), 'l4:spam4:eggse');
  assert.equal(bencode({ cow: 'moo', spam: 'eggs' }).toString(), 'd3:cow3:moo4:spam4:eggse');
  assert.equal(bencode({ spam: ['a', 'b'] }).toString(), 'd4:spaml1:a1:bee');
});

test('sorts dictionary keys by raw bytes and skips undefined values', () => {
  assert.equal(bencode({ b: 1, a: 2, B: 3, c: undefined }).toString(), 'd1:Bi3e1:ai2e1:bi1ee');
});

test('decodes back to buffers, numbers and objects', () => {
  const v = bdecode(Buffer.from('d3:cowl1:ai-12ee4:spam4:eggse')) as Record<string, unknown>;
  assert.deepEqual(
    (v.cow as unknown[]).map((x) => (Buffer.isBuffer(x) ? x.toString() : x)),
    ['a', -12],
  );
  assert.equal((v.spam as Buffer).toString(), 'eggs');
  assert.equal(bdecode(Buffer.from('i9007199254740993e')), 9007199254740993n);
});

test('rejects malformed input with the offset of the problem', () => {
  const bad = [
    'i03e',
    'i-0e',
    'ie',
    '5:abc',
    'd1:bi1e1:ai2ee',
    'd1:ai1e1:ai2ee',
    'l',
    'x',
    '4:spamX',
    'i1',
    '01:a',
  ];
  for (const s of bad) assert.throws(() => bdecode(Buffer.from(s)), BencodeError, s);
  assert.throws(() => bdecode(Buffer.from('l'.repeat(100) + 'e'.repeat(100))), /nesting too deep/);
});

test('reports the byte span of a top-level key', () => {
  const buf = Buffer.from('d4:infod4:name1:xe3:zzzi1ee');
  const { span } = bdecodeWithSpan(buf, 'info');
  assert.deepEqual(span, [7, 18]);
  assert.equal(buf.subarray(...span!).toString(), 'd4:name1:xe');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionIds, halfSipHash64, SLOT_SECONDS } from '../../src/tracker/connection-id.js';

// Reference vectors of HalfSipHash-2-4 with a 64-bit tag: key 00..07, message 00..(n-1).
const VECTORS: Record<number, string> = {
  0: '218d1f59b9b83cc8',
  1: 'be552412f8387315',
  3: 'ce0f1a45f7060679',
  4: 'd5e78a175be52ea1',
  7: 'ff202728b07bc684',
  8: 'edfee820bce4858c',
  15: '217d0bcb4e81c902',
};

test('HalfSipHash-2-4-64 matches the reference vectors', () => {
  const key = Uint8Array.from({ length: 8 }, (_, i) => i);
  for (const [n, hex] of Object.entries(VECTORS)) {
    const msg = Uint8Array.from({ length: Number(n) }, (_, i) => i);
    assert.equal(halfSipHash64(key, msg).toString('hex'), hex, `length ${n}`);
  }
});

test('an id verifies for its address only, for one to two slots, then expires', () => {
  const ids = new ConnectionIds();
  const a = Buffer.from([127, 0, 0, 1]);
  const b = Buffer.from([127, 0, 0, 2]);
  const t0 = SLOT_SECONDS * 1000 + 1;
  const id = Buffer.alloc(8);
  ids.issue(t0, a, 0, 4, id, 0);
  assert.ok(ids.verify(t0, id, 0, a, 0, 4));
  assert.ok(!ids.verify(t0, id, 0, b, 0, 4), 'another address');
  assert.ok(ids.verify(t0 + SLOT_SECONDS, id, 0, a, 0, 4), 'next slot');
  assert.ok(!ids.verify(t0 + 2 * SLOT_SECONDS, id, 0, a, 0, 4), 'expired after two slots');
  const forged = Buffer.from(id);
  forged[7] ^= 1;
  assert.ok(!ids.verify(t0 + 2 * SLOT_SECONDS, forged, 0, a, 0, 4));
});

test('keys are secret and rotate: two trackers, or two slots, give different ids', () => {
  const a = Buffer.alloc(16, 7);
  const one = new ConnectionIds();
  const two = new ConnectionIds();
  const x = Buffer.alloc(8);
  const y = Buffer.alloc(8);
  const z = Buffer.alloc(8);
  one.issue(100 * SLOT_SECONDS, a, 0, 16, x, 0);
  two.issue(100 * SLOT_SECONDS, a, 0, 16, y, 0);
  one.issue(101 * SLOT_SECONDS, a, 0, 16, z, 0);
  assert.notDeepEqual(x, y);
  assert.notDeepEqual(x, z);
  assert.ok(!two.verify(100 * SLOT_SECONDS, x, 0, a, 0, 16));
});

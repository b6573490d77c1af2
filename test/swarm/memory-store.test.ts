/**
 * The in-memory store (src/swarm/store.ts): the store conformance suite, then what only this
 * store's layout has (its hash table, a large swarm's packed list).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_NONE, EVENT_STOPPED, SwarmStore } from '../../src/swarm/store.js';
import { Announced } from '../../src/swarm/peer-store.js';
import { InfoHashTable } from '../../src/swarm/info-hash-table.js';
import { peerStoreConformance } from './conformance.js';
import { hash, peer4 } from './peers.js';

peerStoreConformance('memory', (options) => new SwarmStore(options));

test('info-hash table: set, get, delete with many collisions-prone keys', () => {
  const t = new InfoHashTable<number>(4);
  for (let i = 0; i < 5000; i++) t.set(hash(i), 0, i);
  assert.equal(t.size, 5000);
  for (let i = 0; i < 5000; i += 2) assert.equal(t.delete(hash(i), 0), true);
  for (let i = 0; i < 5000; i++) assert.equal(t.get(hash(i), 0), i % 2 ? i : undefined);
  assert.equal(t.size, 2500);
  assert.equal(t.delete(hash(0), 0), false);
});

test('large swarm: 100,000 peers in, all findable, removal keeps the rest intact', () => {
  const s = new SwarmStore({ peersPerAddress: 255 });
  const h = hash(9);
  const a = new Announced();
  for (let i = 0; i < 100_000; i++)
    s.announce(h, 0, peer4(i, 1 + (i % 60000)), 0, false, i % 3 === 0, EVENT_NONE, 1, false, a);
  const sw = s.torrents.get(h, 0)!;
  assert.equal(sw.peers, 100_000);
  for (let i = 0; i < 100_000; i += 2)
    s.announce(h, 0, peer4(i, 1 + (i % 60000)), 0, false, false, EVENT_STOPPED, 1, false, a);
  assert.equal(sw.peers, 50_000);
  for (let i = 1; i < 100_000; i += 2) assert.ok(sw.v4!.find(peer4(i, 1 + (i % 60000)), 0) >= 0);
  assert.equal(sw.v4!.find(peer4(0, 1), 0), -1);
});

test('info-hash table: hashes that share a prefix still spread (no probe run a client can build)', () => {
  // In an open tracker a client chooses any 20 bytes: keys equal but for their last word, or but
  // for bytes 8 to 11, must not share a home slot (they did when only the first 8 bytes were mixed).
  for (const at of [16, 8]) {
    const t = new InfoHashTable<number>(64);
    const keys: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const k = Buffer.alloc(20, 0xab);
      k.writeUInt32LE(i, at);
      keys.push(k);
      t.set(k, 0, i);
    }
    const lengths = keys.map((k) => t.probeLength(k, 0));
    const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    assert.ok(mean < 3, `keys differing at byte ${at}: mean probe ${mean.toFixed(1)} slots`);
    assert.ok(
      Math.max(...lengths) < 64,
      `keys differing at byte ${at}: longest probe ${Math.max(...lengths)}`,
    );
    keys.forEach((k, i) => assert.equal(t.get(k, 0), i));
  }
});

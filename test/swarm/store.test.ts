/**
 * The swarm store's behaviour, held against a plain model (a Map of peers) by property tests.
 * Any future store (e.g. on Redis) must pass the same checks: see storeConformance().
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SwarmStore, EVENT_COMPLETED, EVENT_NONE, EVENT_STOPPED, tickOf } from '../../src/swarm/store.js';
import { InfoHashTable } from '../../src/swarm/info-hash-table.js';
import { hash, peer4 } from './peers.js';

const peer6 = (n: number, port: number) => {
  const b = Buffer.alloc(18);
  b[0] = 0x20;
  b[1] = 0x01;
  b.writeUInt32BE(n, 12);
  b.writeUInt16BE(port, 16);
  return b;
};

function selectAll(store: SwarmStore, h: Buffer, v6: boolean, seed: boolean, max: number): string[] {
  const swarm = store.get(h, 0);
  if (!swarm) return [];
  const out = Buffer.alloc(max * 18);
  const list = v6 ? swarm.v6 : swarm.v4;
  const n = store.selectPeers(list, seed, max, out, 0);
  const rec = v6 ? 18 : 6;
  const r: string[] = [];
  for (let i = 0; i < n; i++) r.push(out.toString('hex', i * rec, i * rec + rec));
  return r;
}

test('info-hash table: set, get, delete with many collisions-prone keys', () => {
  const t = new InfoHashTable<number>(4);
  for (let i = 0; i < 5000; i++) t.set(hash(i), 0, i);
  assert.equal(t.size, 5000);
  for (let i = 0; i < 5000; i += 2) assert.equal(t.delete(hash(i), 0), true);
  for (let i = 0; i < 5000; i++) assert.equal(t.get(hash(i), 0), i % 2 ? i : undefined);
  assert.equal(t.size, 2500);
  assert.equal(t.delete(hash(0), 0), false);
});

test('a seeder gets leechers first, then seeders; never itself', () => {
  const s = new SwarmStore();
  const h = hash(1);
  const tick = tickOf(1000);
  for (let i = 0; i < 5; i++) s.announce(h, 0, peer4(0x0a000001 + i, 1000), 0, false, true, EVENT_NONE, tick);
  for (let i = 0; i < 3; i++)
    s.announce(h, 0, peer4(0x0b000001 + i, 2000), 0, false, false, EVENT_NONE, tick);
  const me = peer4(0x0a000001, 1000);
  s.announce(h, 0, me, 0, false, true, EVENT_NONE, tick);
  for (let round = 0; round < 20; round++) {
    const got = selectAll(s, h, false, true, 5);
    assert.equal(got.length, 5);
    // The three leechers first, in some rotation; then two seeders.
    assert.deepEqual(
      got
        .slice(0, 3)
        .map((p) => p.slice(0, 2))
        .sort(),
      ['0b', '0b', '0b'],
    );
    assert.deepEqual(
      got.slice(3).map((p) => p.slice(0, 2)),
      ['0a', '0a'],
    );
    assert.ok(!got.includes(me.toString('hex')), 'requester never returned');
  }
});

test('leecher to seeder and back moves the peer between parts; counts follow', () => {
  const s = new SwarmStore();
  const h = hash(2);
  const p = peer4(0x01020304, 5);
  s.announce(h, 0, p, 0, false, false, EVENT_NONE, 1);
  assert.equal(s.leechers, 1);
  const sw = s.announce(h, 0, p, 0, false, true, EVENT_COMPLETED, 1)!;
  assert.deepEqual([sw.seeders, sw.leechers, sw.downloaded, s.seeders, s.leechers], [1, 0, 1, 1, 0]);
  s.announce(h, 0, p, 0, false, false, EVENT_NONE, 1);
  assert.deepEqual([sw.seeders, sw.leechers, s.seeders, s.leechers], [0, 1, 0, 1]);
  s.announce(h, 0, p, 0, false, true, EVENT_COMPLETED, 1);
  assert.equal(sw.downloaded, 1, 'completed counts once per peer');
});

test('expiry removes silent peers and empty swarms without completions', () => {
  const s = new SwarmStore();
  for (let i = 0; i < 100; i++)
    s.announce(hash(3), 0, peer4(i, 1), 0, false, i % 2 === 0, EVENT_NONE, tickOf(0));
  for (let i = 0; i < 10; i++)
    s.announce(hash(3), 0, peer4(i, 1), 0, false, i % 2 === 0, EVENT_NONE, tickOf(2000));
  s.announce(hash(4), 0, peer4(1, 1), 0, false, false, EVENT_NONE, tickOf(0));
  s.announce(hash(5), 0, peer4(1, 1), 0, false, true, EVENT_COMPLETED, tickOf(0));
  const r = s.sweep(2100, 1000);
  assert.equal(r.peersRemoved, 90 + 1 + 1);
  assert.equal(s.get(hash(3), 0)!.peers, 10);
  assert.equal(s.get(hash(4), 0), undefined, 'empty swarm removed');
  assert.equal(s.get(hash(5), 0)!.downloaded, 1, 'a swarm with completions is kept');
  assert.equal(s.seeders + s.leechers, 10);
  assert.equal(s.seeders, 5);
});

// Model-based property test: random announces against a Map model.
type Op = {
  torrent: number;
  peer: number;
  port: number;
  v6: boolean;
  seed: boolean;
  event: number;
  downloadedSome: boolean;
  time: number;
};
const opArb: fc.Arbitrary<Op> = fc.record({
  torrent: fc.integer({ min: 0, max: 3 }),
  peer: fc.integer({ min: 0, max: 40 }),
  port: fc.integer({ min: 1, max: 3 }),
  v6: fc.boolean(),
  seed: fc.boolean(),
  event: fc.constantFrom(EVENT_NONE, EVENT_NONE, EVENT_COMPLETED, EVENT_STOPPED, 2),
  downloadedSome: fc.boolean(),
  time: fc.integer({ min: 0, max: 5 }),
});

test('property: the store agrees with a simple model after any announce sequence', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 300 }), fc.integer({ min: 0, max: 60 }), (ops, numwant) => {
      const s = new SwarmStore();
      const model = new Map<string, { seed: boolean; completed: boolean; time: number }>();
      const downloaded = new Map<number, number>();
      let now = 0;
      for (const op of ops) {
        now += op.time;
        const p = op.v6 ? peer6(op.peer, op.port) : peer4(op.peer, op.port);
        const key = `${op.torrent}/${op.v6}/${p.toString('hex')}`;
        s.announce(hash(op.torrent), 0, p, 0, op.v6, op.seed, op.event, tickOf(now), op.downloadedSome);
        // A completion (docs/statistics.md): `completed`, a `started` seeder that downloaded something,
        // or a known leecher now with nothing left (also when stopping); once per stored peer.
        const prev = model.get(key);
        const completed =
          op.event === EVENT_COMPLETED ||
          (op.seed && op.downloadedSome && op.event === 2) ||
          (op.seed && prev !== undefined && !prev.seed);
        if (completed && !prev?.completed) downloaded.set(op.torrent, (downloaded.get(op.torrent) ?? 0) + 1);
        if (op.event === EVENT_STOPPED) model.delete(key);
        else model.set(key, { seed: op.seed, completed: (prev?.completed ?? false) || completed, time: now });
        // The reply to this announce: right size, no duplicates, not the requester, all members.
        if (op.event !== EVENT_STOPPED) {
          const members = [...model.entries()].filter(([k]) => k.startsWith(`${op.torrent}/${op.v6}/`));
          const got = selectAll(s, hash(op.torrent), op.v6, op.seed, numwant);
          assert.equal(got.length, Math.min(numwant, members.length - 1));
          assert.equal(new Set(got).size, got.length, 'no duplicates');
          assert.ok(!got.includes(p.toString('hex')), 'not the requester');
          for (const g of got) assert.ok(model.has(`${op.torrent}/${op.v6}/${g}`), 'a member');
          if (op.seed) {
            const leechers = members.filter(([, v]) => !v.seed).length;
            const firstSeed = got.findIndex((g) => model.get(`${op.torrent}/${op.v6}/${g}`)!.seed);
            if (firstSeed >= 0) assert.ok(firstSeed >= Math.min(leechers, numwant), 'leechers first');
          }
        }
      }
      for (let tor = 0; tor < 4; tor++) {
        const sw = s.get(hash(tor), 0);
        const members = [...model.entries()].filter(([k]) => k.startsWith(`${tor}/`));
        assert.equal(sw ? sw.seeders : 0, members.filter(([, v]) => v.seed).length);
        assert.equal(sw ? sw.leechers : 0, members.filter(([, v]) => !v.seed).length);
        assert.equal(sw ? sw.downloaded : 0, downloaded.get(tor) ?? 0);
      }
      const all = [...model.values()];
      assert.equal(s.seeders, all.filter((v) => v.seed).length);
      assert.equal(s.leechers, all.filter((v) => !v.seed).length);
      // Expire everything older than 8 seconds and compare again.
      s.sweep(now, 8);
      const alive = all.filter((v) => now - v.time <= 8 + 4);
      const surely = all.filter((v) => now - v.time <= 8 - 4);
      assert.ok(s.seeders + s.leechers <= alive.length && s.seeders + s.leechers >= surely.length);
    }),
    { numRuns: 200 },
  );
});

test('large swarm: 100,000 peers in, all findable, removal keeps the rest intact', () => {
  const s = new SwarmStore();
  const h = hash(9);
  for (let i = 0; i < 100_000; i++)
    s.announce(h, 0, peer4(i, 1 + (i % 60000)), 0, false, i % 3 === 0, EVENT_NONE, 1);
  const sw = s.get(h, 0)!;
  assert.equal(sw.peers, 100_000);
  for (let i = 0; i < 100_000; i += 2)
    s.announce(h, 0, peer4(i, 1 + (i % 60000)), 0, false, false, EVENT_STOPPED, 1);
  assert.equal(sw.peers, 50_000);
  for (let i = 1; i < 100_000; i += 2) assert.ok(sw.v4!.find(peer4(i, 1 + (i % 60000)), 0) >= 0);
  assert.equal(sw.v4!.find(peer4(0, 1), 0), -1);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  WS_ANNOUNCED,
  WS_ID_TAKEN,
  WS_TOO_MANY,
  WsSwarmStore,
  type WsPeer,
  type WsPeerHolder,
  type WsSwarm,
} from '../../src/swarm/ws-store.js';
import { WS_EVENT_COMPLETED, WS_EVENT_NONE, WS_EVENT_STOPPED } from '../../src/protocol/ws-message.js';

class Holder implements WsPeerHolder<Holder> {
  readonly peers: Array<WsPeer<Holder>> = [];
  constructor(readonly name: string) {}
}

const out = () => ({ swarm: undefined as WsSwarm<Holder> | undefined, peer: null as WsPeer<Holder> | null });
const H = 'h'.repeat(20);

test('announce, seed transition with a completion, stop; counts follow', () => {
  const s = new WsSwarmStore<Holder>(10);
  const a = new Holder('a');
  const b = new Holder('b');
  const r = out();
  assert.equal(s.announce(H, 'peer-a', a, false, WS_EVENT_NONE, 100, r), WS_ANNOUNCED);
  assert.equal(s.announce(H, 'peer-b', b, true, WS_EVENT_NONE, 100, r), WS_ANNOUNCED);
  assert.deepEqual([s.seeders, s.leechers], [1, 1]);
  assert.equal(r.swarm?.json, JSON.stringify(H));
  s.announce(H, 'peer-a', a, true, WS_EVENT_COMPLETED, 101, r);
  assert.deepEqual([s.seeders, s.leechers, r.swarm?.downloaded], [2, 0, 1]);
  // An announce without `left` (an answer) keeps the state.
  s.announce(H, 'peer-a', a, null, WS_EVENT_NONE, 102, r);
  assert.equal(r.peer?.seed, true);
  s.announce(H, 'peer-a', a, true, WS_EVENT_STOPPED, 103, r);
  assert.equal(r.peer, null);
  assert.deepEqual([s.seeders, s.leechers, a.peers.length], [1, 0, 0]);
  s.announce(H, 'peer-b', b, true, WS_EVENT_STOPPED, 103, r);
  assert.equal(s.swarms.size, 0, 'an empty swarm is dropped');
});

test('a peer id belongs to its holder; a holder has a limit; removeHolder leaves every swarm', () => {
  const s = new WsSwarmStore<Holder>(2);
  const a = new Holder('a');
  const b = new Holder('b');
  const r = out();
  s.announce('x'.repeat(20), 'same', a, false, 0, 1, r);
  assert.equal(s.announce('x'.repeat(20), 'same', b, false, 0, 1, r), WS_ID_TAKEN);
  s.announce('y'.repeat(20), 'same', a, false, 0, 1, r);
  assert.equal(s.announce('z'.repeat(20), 'same', a, false, 0, 1, r), WS_TOO_MANY);
  assert.equal(a.peers.length, 2);
  s.removeHolder(a);
  assert.equal(a.peers.length, 0);
  assert.equal(s.swarms.size, 0);
  assert.equal(s.leechers, 0);
});

test('select: never the requester, distinct peers, leechers only for a seeder', () => {
  const s = new WsSwarmStore<Holder>(10);
  const r = out();
  const holders = Array.from({ length: 8 }, (_, i) => new Holder(String(i)));
  holders.forEach((h, i) => s.announce(H, `p${i}`, h, i < 3, 0, 1, r));
  const swarm = s.get(H) as WsSwarm<Holder>;
  const self = swarm.byId.get('p0') as WsPeer<Holder>;
  const picked: Array<WsPeer<Holder>> = [];
  for (let k = 0; k < 50; k++) {
    assert.equal(s.select(swarm, self, true, 10, picked), 5, 'a seeder gets the 5 leechers');
    assert.ok(picked.every((p) => !p.seed && p !== self));
    const leech = swarm.byId.get('p5') as WsPeer<Holder>;
    const n = s.select(swarm, leech, false, 4, picked);
    assert.equal(n, 4);
    assert.equal(new Set(picked).size, 4);
    assert.ok(!picked.includes(leech));
  }
  assert.equal(s.select(swarm, self, false, 0, picked), 0);
});

test('sweep removes peers silent too long, from their holders too', () => {
  const s = new WsSwarmStore<Holder>(10);
  const a = new Holder('a');
  const r = out();
  s.announce('1'.repeat(20), 'old', a, false, 0, 100, r);
  s.announce('2'.repeat(20), 'new', a, false, 0, 500, r);
  assert.equal(s.sweep(600, 300), 1);
  assert.deepEqual(
    a.peers.map((p) => p.id),
    ['new'],
  );
});

test('property: counts and holder lists agree with the swarms after any sequence', () => {
  const op = fc.record({
    hash: fc.integer({ min: 0, max: 3 }),
    peer: fc.integer({ min: 0, max: 5 }),
    holder: fc.integer({ min: 0, max: 3 }),
    seed: fc.constantFrom(true, false, null),
    event: fc.constantFrom(0, 1, 2, 3),
    close: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const s = new WsSwarmStore<Holder>(3);
      const holders = Array.from({ length: 4 }, (_, i) => new Holder(String(i)));
      const r = out();
      for (const o of ops) {
        if (o.close) s.removeHolder(holders[o.holder]);
        else s.announce(String(o.hash).repeat(20), `p${o.peer}`, holders[o.holder], o.seed, o.event, 1, r);
      }
      let seeders = 0;
      let leechers = 0;
      for (const sw of s.swarms.values()) {
        assert.ok(sw.byId.size > 0);
        seeders += sw.seeders.length;
        leechers += sw.leechers.length;
        sw.seeders.forEach((p, i) => assert.ok(p.seed && p.slot === i && p.live));
        sw.leechers.forEach((p, i) => assert.ok(!p.seed && p.slot === i && p.live));
        for (const p of sw.byId.values()) assert.ok(p.holder.peers.includes(p));
      }
      assert.equal(s.seeders, seeders);
      assert.equal(s.leechers, leechers);
      const held = holders.reduce((n, h) => n + h.peers.length, 0);
      assert.equal(held, seeders + leechers);
      for (const h of holders) assert.ok(h.peers.length <= 3);
    }),
    { numRuns: 500 },
  );
});

/**
 * What every peer store must do, written against the PeerStore interface only (as
 * test/catalog/conformance.ts is for the catalog, and chihaya runs one suite against each storage):
 * a store's test file calls peerStoreConformance() with a factory of fresh, empty stores, and the
 * next backend (issue 13) runs it unchanged.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Announced,
  EVENT_COMPLETED,
  EVENT_NONE,
  EVENT_STARTED,
  EVENT_STOPPED,
  KEEP_NONE,
  type PeerStore,
  type PeerStoreOptions,
  type SwarmCounts,
} from '../../src/swarm/peer-store.js';
import { tickOf } from '../../src/swarm/store.js';
import { hash, peer4 } from './peers.js';

/** Makes a fresh, empty store with these options (defaults for the rest). */
export type StoreFactory = (options?: Partial<PeerStoreOptions>) => PeerStore;

/** An IPv6 peer in /64 number `net`, interface id `iface`. */
export const peer6 = (net: number, iface: number, port: number): Buffer => {
  const b = Buffer.alloc(18);
  b.writeUInt32BE(0x20010db8, 0);
  b.writeUInt32BE(net, 4);
  b.writeUInt32BE(iface, 12);
  b.writeUInt16BE(port, 16);
  return b;
};

/** Announces and returns the outcome (a fresh Announced: tests keep several). */
function announce(
  s: PeerStore,
  h: Buffer,
  p: Buffer,
  seed: boolean,
  event: number,
  tick: number,
  downloadedSome = false,
): Announced {
  const a = new Announced();
  s.announce(h, 0, p, 0, p.length === 18, seed, event, tick, downloadedSome, a);
  return a;
}

/** The peers selectPeers picks for the requester of `a`, as hex strings. */
function pick(s: PeerStore, a: Announced, v6: boolean, seed: boolean, max: number): string[] {
  const out = Buffer.alloc(Math.max(1, max) * 18);
  const n = s.selectPeers(a, v6, seed, max, out, 0);
  const rec = v6 ? 18 : 6;
  const r: string[] = [];
  for (let i = 0; i < n; i++) r.push(out.toString('hex', i * rec, i * rec + rec));
  return r;
}

function counts(s: PeerStore, h: Buffer): SwarmCounts & { known: boolean } {
  const c = { seeders: -1, leechers: -1, downloaded: -1 };
  const known = s.scrape(h, 0, c);
  return { ...c, known };
}

const peers = (s: PeerStore, h: Buffer) => {
  const c = counts(s, h);
  return c.seeders + c.leechers;
};

export function peerStoreConformance(name: string, make: StoreFactory): void {
  describe(`peer store conformance: ${name}`, () => {
    test('a seeder gets leechers first, then seeders; never itself', () => {
      const s = make();
      const h = hash(1);
      const tick = tickOf(1000);
      for (let i = 0; i < 5; i++) announce(s, h, peer4(0x0a000001 + i, 1000), true, EVENT_NONE, tick);
      for (let i = 0; i < 3; i++) announce(s, h, peer4(0x0b000001 + i, 2000), false, EVENT_NONE, tick);
      const me = peer4(0x0a000001, 1000);
      const a = announce(s, h, me, true, EVENT_NONE, tick);
      for (let round = 0; round < 20; round++) {
        const got = pick(s, a, false, true, 5);
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
      const s = make();
      const h = hash(2);
      const p = peer4(0x01020304, 5);
      announce(s, h, p, false, EVENT_NONE, 1);
      assert.equal(s.totals().leechers, 1);
      const a = announce(s, h, p, true, EVENT_COMPLETED, 1);
      const t = s.totals();
      assert.deepEqual([a.seeders, a.leechers, a.downloaded, t.seeders, t.leechers], [1, 0, 1, 1, 0]);
      const b = announce(s, h, p, false, EVENT_NONE, 1);
      assert.deepEqual([b.seeders, b.leechers, s.totals().seeders, s.totals().leechers], [0, 1, 0, 1]);
      announce(s, h, p, true, EVENT_COMPLETED, 1);
      assert.equal(counts(s, h).downloaded, 1, 'completed counts once per peer');
      assert.equal(s.totals().completedSinceStart, 1);
    });

    test('expiry removes silent peers and empty swarms without completions', () => {
      const s = make();
      for (let i = 0; i < 100; i++) announce(s, hash(3), peer4(i, 1), i % 2 === 0, EVENT_NONE, tickOf(0));
      for (let i = 0; i < 10; i++) announce(s, hash(3), peer4(i, 1), i % 2 === 0, EVENT_NONE, tickOf(2000));
      announce(s, hash(4), peer4(1, 1), false, EVENT_NONE, tickOf(0));
      announce(s, hash(5), peer4(1, 1), true, EVENT_COMPLETED, tickOf(0));
      const r = s.sweep(2100, 1000, KEEP_NONE);
      assert.equal(r.peersRemoved, 90 + 1 + 1);
      assert.equal(r.swarmsRemoved, 1);
      assert.equal(peers(s, hash(3)), 10);
      assert.equal(counts(s, hash(4)).known, false, 'empty swarm removed');
      assert.equal(counts(s, hash(5)).downloaded, 1, 'a swarm with completions is kept');
      assert.deepEqual([s.totals().seeders, s.totals().leechers, s.totals().torrents], [5, 5, 2]);
    });

    test('IPv4: peersPerAddress of one address, the next answered but not stored; other addresses unaffected', () => {
      const s = make({ peersPerAddress: 8 });
      const h = hash(11);
      const tick = tickOf(10_000);
      let last = new Announced();
      for (let port = 1; port <= 20; port++)
        last = announce(s, h, peer4(0x0a000001, port), false, EVENT_NONE, tick);
      assert.equal(peers(s, h), 8);
      assert.equal(s.limitCounts().peersRefused, 12);
      assert.equal(last.leechers, 8, 'the refused requester is answered with the counts');
      assert.equal(pick(s, last, false, false, 50).length, 8, 'and given the stored peers');
      for (let i = 0; i < 50; i++) announce(s, h, peer4(0x0b000000 + i, 6881), false, EVENT_NONE, tick);
      assert.equal(peers(s, h), 58);
      // A stored peer leaves: a new port of that address takes the place.
      announce(s, h, peer4(0x0a000001, 1), false, EVENT_STOPPED, tick);
      announce(s, h, peer4(0x0a000001, 99), false, EVENT_NONE, tick);
      assert.equal(peers(s, h), 58);
      const [suspect] = s.suspects.list(tick);
      assert.equal(suspect.address, '10.0.0.1');
      assert.equal(suspect.peersRefused, 12);
    });

    test('IPv6: the peer limit is per /64, whatever the interface ids', () => {
      const s = make({ peersPerAddress: 4, completionsPerAddress: 8 });
      const h = hash(12);
      const tick = tickOf(10_000);
      for (let i = 0; i < 10; i++) announce(s, h, peer6(7, i, 6881), false, EVENT_NONE, tick);
      for (let i = 0; i < 10; i++) announce(s, h, peer6(8 + i, 1, 6881), false, EVENT_NONE, tick);
      assert.equal(peers(s, h), 14);
      assert.deepEqual(
        s.suspects.list(tick).map((x) => [x.address, x.peersRefused]),
        [['2001:db8:0:7::/64', 6]],
      );
    });

    test('completions: at most completionsPerAddress per torrent and address, through stop and return', () => {
      const s = make({ completionsPerAddress: 8 });
      const [a, b] = [hash(13), hash(14)];
      const tick = tickOf(10_000);
      for (let i = 0; i < 30; i++) {
        announce(s, a, peer4(0x0c000001, 5000), true, EVENT_COMPLETED, tick);
        announce(s, a, peer4(0x0c000001, 5000), true, EVENT_STOPPED, tick);
      }
      for (let port = 1; port <= 30; port++)
        announce(s, b, peer4(0x0c000001, port), true, EVENT_COMPLETED, tick);
      for (let i = 0; i < 30; i++) announce(s, b, peer4(0x0d000000 + i, 1), true, EVENT_COMPLETED, tick);
      assert.equal(counts(s, a).downloaded, 8);
      assert.equal(counts(s, b).downloaded, 8 + 30);
      assert.equal(s.limitCounts().completionsIgnored, 22 + 22);
      // Twelve hours later the older generation still counts; 24 hours later the window has passed.
      announce(s, a, peer4(0x0c000001, 6000), true, EVENT_COMPLETED, tickOf(10_000 + 12 * 3600));
      assert.equal(counts(s, a).downloaded, 8);
      announce(s, a, peer4(0x0c000001, 6001), true, EVENT_COMPLETED, tickOf(10_000 + 24 * 3600 + 60));
      assert.equal(counts(s, a).downloaded, 9);
    });

    test('numwant: at most max peers, all distinct, never the requester; 0 gives none', () => {
      const s = make();
      const h = hash(20);
      for (let i = 0; i < 30; i++) announce(s, h, peer4(0x0a010000 + i, 6881), i % 2 === 0, EVENT_STARTED, 1);
      const me = peer4(0x0a010000, 6881);
      const a = announce(s, h, me, true, EVENT_NONE, 1);
      assert.equal(pick(s, a, false, true, 0).length, 0);
      const ten = pick(s, a, false, false, 10);
      assert.equal(ten.length, 10);
      assert.equal(new Set(ten).size, 10);
      const all = pick(s, a, false, false, 100);
      assert.equal(all.length, 29, 'everyone but the requester');
      assert.ok(!all.includes(me.toString('hex')));
    });

    test('stopped removes the peer; a stopped for an unknown torrent creates nothing', () => {
      const s = make();
      const h = hash(21);
      const p = peer4(0x0a020001, 1);
      announce(s, h, p, false, EVENT_STARTED, 1);
      announce(s, h, peer4(0x0a020002, 1), true, EVENT_STARTED, 1);
      const a = announce(s, h, p, false, EVENT_STOPPED, 1);
      assert.deepEqual([a.known, a.seeders, a.leechers, a.position], [true, 1, 0, -1]);
      assert.deepEqual([s.totals().seeders, s.totals().leechers], [1, 0]);
      const u = announce(s, hash(22), p, false, EVENT_STOPPED, 1);
      assert.deepEqual([u.known, u.seeders, u.leechers, u.downloaded], [false, 0, 0, 0]);
      assert.equal(pick(s, u, false, false, 50).length, 0);
      assert.equal(counts(s, hash(22)).known, false);
      assert.equal(s.totals().torrents, 1);
    });

    test('IPv4 and IPv6 peers are kept apart: each family selected on its own, counts add up', () => {
      const s = make();
      const h = hash(23);
      for (let i = 0; i < 5; i++) announce(s, h, peer4(0x0a030000 + i, 1), false, EVENT_NONE, 1);
      for (let i = 0; i < 3; i++) announce(s, h, peer6(3, i, 1), true, EVENT_NONE, 1);
      // The same address bytes' first 4 in both families do not make them one peer.
      const a4 = announce(s, h, peer4(0x20010db8, 1), false, EVENT_NONE, 1);
      assert.deepEqual([a4.seeders, a4.leechers], [3, 6]);
      assert.equal(pick(s, a4, false, false, 50).length, 5, 'IPv4 peers but the requester');
      assert.equal(pick(s, a4, true, false, 50).length, 3, 'all IPv6 peers (the requester is IPv4)');
      for (const g of pick(s, a4, true, false, 50)) assert.equal(g.length, 36);
      const a6 = announce(s, h, peer6(3, 0, 1), true, EVENT_NONE, 1);
      assert.equal(pick(s, a6, true, true, 50).length, 2);
      assert.equal(pick(s, a6, false, true, 50).length, 6);
      assert.deepEqual([counts(s, h).seeders, counts(s, h).leechers], [3, 6]);
    });

    test('sweep keeps a quiet swarm only when its keep rule says so (by the owner counters)', () => {
      const s = make({ counterSlots: 2 });
      const [kept, gone] = [hash(24), hash(25)];
      const a = announce(s, kept, peer4(1, 1), false, EVENT_NONE, tickOf(0));
      assert.equal(a.counters?.length, 2);
      a.counters![1] = 5;
      announce(s, gone, peer4(1, 1), false, EVENT_NONE, tickOf(0));
      const r = s.sweep(5000, 100, (c) => c[1] !== 0);
      assert.deepEqual(r, { peersRemoved: 2, swarmsRemoved: 1 });
      assert.equal(counts(s, kept).known, true);
      assert.equal(counts(s, gone).known, false);
      s.sweep(5000, 100, KEEP_NONE);
      assert.equal(counts(s, kept).known, false, 'forgotten once the rule lets it go');
    });

    test('completions from disk: raised to at least n, journal replays add; forEach lists them', () => {
      const s = make();
      s.raiseCompletions(hash(26), 0, 7);
      s.raiseCompletions(hash(26), 0, 3);
      s.addCompletion(hash(26), 0);
      s.addCompletion(hash(27), 0);
      assert.equal(counts(s, hash(26)).downloaded, 8);
      const seen: Array<[string, number]> = [];
      s.forEach((key, off, sw) =>
        seen.push([Buffer.from(key.subarray(off, off + 20)).toString('hex'), sw.downloaded]),
      );
      assert.deepEqual(seen.sort(), [
        [hash(26).toString('hex'), 8],
        [hash(27).toString('hex'), 1],
      ]);
      assert.equal(s.totals().completedSinceStart, 0, 'loaded completions are not new ones');
    });

    test('a hybrid torrent counted as one: peers by address and port once, completions the larger', () => {
      const s = make();
      const [v1, v2] = [hash(28), hash(29)];
      for (let i = 0; i < 4; i++) announce(s, v1, peer4(0x0a040000 + i, 1), i === 0, EVENT_NONE, 1);
      // Peers 2 and 3 in both swarms (libtorrent announces a hybrid under both), 4 and 5 in v2 only.
      for (let i = 2; i < 6; i++) announce(s, v2, peer4(0x0a040000 + i, 1), i === 5, EVENT_NONE, 1);
      announce(s, v2, peer6(4, 1, 1), false, EVENT_COMPLETED, 1);
      announce(s, v2, peer6(4, 2, 1), false, EVENT_COMPLETED, 1);
      announce(s, v1, peer6(4, 1, 1), false, EVENT_COMPLETED, 1);
      assert.deepEqual(s.unionCounts(v1, 0, v2, 0), { seeders: 2, leechers: 6, downloaded: 2 });
      assert.deepEqual(s.unionCounts(v1, 0, null, 0), { seeders: 1, leechers: 4, downloaded: 1 });
      assert.deepEqual(s.unionCounts(hash(30), 0, null, 0), { seeders: 0, leechers: 0, downloaded: 0 });
    });

    test('property: the store agrees with a simple model after any announce sequence', () => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 300 }), fc.integer({ min: 0, max: 60 }), (ops, numwant) => {
          // A limit no op sequence reaches (41 addresses, 3 ports): the model has no per-address rule.
          const s = make({ peersPerAddress: 255, completionsPerAddress: 255 });
          const model = new Map<string, { seed: boolean; completed: boolean; time: number }>();
          const downloaded = new Map<number, number>();
          let now = 0;
          for (const op of ops) {
            now += op.time;
            const p = op.v6 ? peer6(1, op.peer, op.port) : peer4(op.peer, op.port);
            const key = `${op.torrent}/${op.v6}/${p.toString('hex')}`;
            const a = announce(s, hash(op.torrent), p, op.seed, op.event, tickOf(now), op.downloadedSome);
            // A completion (docs/statistics.md): `completed`, a `started` seeder that downloaded
            // something, or a known leecher now with nothing left (also when stopping); once per peer.
            const prev = model.get(key);
            const completed =
              op.event === EVENT_COMPLETED ||
              (op.seed && op.downloadedSome && op.event === EVENT_STARTED) ||
              (op.seed && prev !== undefined && !prev.seed);
            if (completed && !prev?.completed)
              downloaded.set(op.torrent, (downloaded.get(op.torrent) ?? 0) + 1);
            if (op.event === EVENT_STOPPED) model.delete(key);
            else {
              model.set(key, {
                seed: op.seed,
                completed: (prev?.completed ?? false) || completed,
                time: now,
              });
            }
            // The reply to this announce: right size, no duplicates, not the requester, all members.
            if (op.event !== EVENT_STOPPED) {
              const members = [...model.entries()].filter(([k]) => k.startsWith(`${op.torrent}/${op.v6}/`));
              const got = pick(s, a, op.v6, op.seed, numwant);
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
            const c = counts(s, hash(tor));
            const members = [...model.entries()].filter(([k]) => k.startsWith(`${tor}/`));
            assert.equal(c.seeders, members.filter(([, v]) => v.seed).length);
            assert.equal(c.leechers, members.filter(([, v]) => !v.seed).length);
            assert.equal(c.downloaded, downloaded.get(tor) ?? 0);
          }
          const all = [...model.values()];
          assert.equal(s.totals().seeders, all.filter((v) => v.seed).length);
          assert.equal(s.totals().leechers, all.filter((v) => !v.seed).length);
          // Expire everything older than 8 seconds and compare again.
          s.sweep(now, 8, KEEP_NONE);
          const alive = all.filter((v) => now - v.time <= 8 + 4);
          const surely = all.filter((v) => now - v.time <= 8 - 4);
          const left = s.totals().seeders + s.totals().leechers;
          assert.ok(left <= alive.length && left >= surely.length);
        }),
        { numRuns: 200 },
      );
    });
  });
}

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
  event: fc.constantFrom(EVENT_NONE, EVENT_NONE, EVENT_COMPLETED, EVENT_STOPPED, EVENT_STARTED),
  downloadedSome: fc.boolean(),
  time: fc.integer({ min: 0, max: 5 }),
});

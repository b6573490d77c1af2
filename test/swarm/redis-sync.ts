/**
 * What the shared Redis store (src/swarm/redis-store.ts) does between nodes, run against one Redis
 * server (redis-store.test.ts) and against a Redis Cluster (redis-cluster.test.ts): several
 * RedisPeerStore nodes under one key prefix, as several `fjord serve` processes would be.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, Redis } from 'ioredis';
import {
  Announced,
  EVENT_COMPLETED,
  EVENT_NONE,
  EVENT_STARTED,
  EVENT_STOPPED,
} from '../../src/swarm/peer-store.js';
import { RedisPeerStore, type RedisStoreOptions } from '../../src/swarm/redis-store.js';
import { tickOf } from '../../src/swarm/store.js';
import { deletePrefixes, uniquePrefix } from '../helpers/redis.js';
import { until } from '../helpers/cli.js';
import { hash, peer4 } from './peers.js';
import { peer6 } from './conformance.js';

const now = () => tickOf(Date.now() / 1000);

function announce(s: RedisPeerStore, h: Buffer, p: Buffer, seed: boolean, event: number): Announced {
  const a = new Announced();
  s.announce(h, 0, p, 0, p.length === 18, seed, event, now(), false, a);
  return a;
}

function scrape(s: RedisPeerStore, h: Buffer) {
  const c = { seeders: 0, leechers: 0, downloaded: 0 };
  s.scrape(h, 0, c);
  return c;
}

/** The peers node `s` would give a leecher announcing `h` from an address not in the swarm. */
function peersOf(s: RedisPeerStore, h: Buffer, v6 = false): string[] {
  const a = new Announced();
  const me = v6 ? peer6(0xffff, 0xffff, 1) : peer4(0x7f7f7f7f, 1);
  s.announce(h, 0, me, 0, v6, false, EVENT_STOPPED, now(), false, a);
  const out = Buffer.alloc(200 * 18);
  const n = s.local.selectPeers(a, v6, false, 200, out, 0);
  const rec = v6 ? 18 : 6;
  return Array.from({ length: n }, (_, i) => out.toString('hex', i * rec, i * rec + rec)).sort();
}

export function redisSyncTests(name: string, url: () => string, cluster: boolean): void {
  describe(`redis store between nodes: ${name}`, () => {
    const prefixes: string[] = [];
    const open: RedisPeerStore[] = [];
    after(async () => {
      for (const s of open) await s.close();
      await deletePrefixes(url(), prefixes, cluster);
    });

    async function node(prefix: string, id: string, extra: Partial<RedisStoreOptions> = {}) {
      const s = new RedisPeerStore({
        url: url(),
        keyPrefix: prefix,
        nodeId: id,
        peerTimeout: 60,
        connectTimeoutMs: 20_000,
        peersPerAddress: 255,
        log: () => {},
        ...extra,
      });
      await s.open();
      open.push(s);
      return s;
    }

    function raw(): Redis | Cluster {
      const u = new URL(url().replace('+cluster', '').split(',')[0]);
      return cluster
        ? new Cluster([{ host: u.hostname, port: Number(u.port) }])
        : new Redis(url(), { maxRetriesPerRequest: 1 });
    }

    test('a peer announced on A is in B within 2 s; stopped on A removes it on B', async () => {
      const prefix = uniquePrefix('sync');
      prefixes.push(prefix);
      const [a, b] = [await node(prefix, 'A'), await node(prefix, 'B')];
      const h = hash(1);
      const p = peer4(0x0a000001, 6881);
      const q = peer6(5, 1, 6882);
      const t0 = Date.now();
      announce(a, h, p, false, EVENT_STARTED);
      announce(a, h, q, true, EVENT_STARTED);
      await until(() => scrape(b, h).leechers === 1 && scrape(b, h).seeders === 1, 2000, 'B to see A');
      assert.ok(Date.now() - t0 < 2000);
      assert.deepEqual(peersOf(b, h), [p.toString('hex')]);
      assert.deepEqual(peersOf(b, h, true), [q.toString('hex')]);
      assert.deepEqual([...b.nodes.keys()], ['A']);
      // B's own announce reaches A; B never applies its own entries twice.
      announce(b, h, peer4(0x0a000002, 1), true, EVENT_NONE);
      await until(() => scrape(a, h).seeders === 2, 2000, 'A to see B');
      assert.equal(scrape(b, h).seeders, 2);
      announce(a, h, p, false, EVENT_STOPPED);
      await until(() => scrape(b, h).leechers === 0, 2000, 'the stop to reach B');
      assert.deepEqual(peersOf(b, h), [peer4(0x0a000002, 1).toString('hex')]);
      // A leecher on A turning seeder is a seeder on B, and not a completion counted by B.
      announce(a, h, p, false, EVENT_NONE);
      await until(() => scrape(b, h).leechers === 1, 2000, 'the leecher on B');
      announce(a, h, p, true, EVENT_NONE);
      await until(() => scrape(b, h).seeders === 3, 2000, 'the new seeder on B');
      assert.equal(b.totals().completedSinceStart, 0, 'B counted nothing itself');
      await until(() => scrape(b, h).downloaded === 1, 2000, 'the completion count on B');
      assert.equal(b.sync.rejected, 0);
    });

    test('completed counts once per peer across nodes, and survives every node', async () => {
      const prefix = uniquePrefix('done');
      prefixes.push(prefix);
      const [a, b] = [await node(prefix, 'A'), await node(prefix, 'B')];
      const h = hash(2);
      const p = peer4(0x0b000001, 1);
      announce(a, h, p, false, EVENT_STARTED);
      await until(() => scrape(b, h).leechers === 1, 2000, 'B to see the leecher');
      // The same peer reports completed to both nodes (DNS round robin): one completion.
      announce(a, h, p, true, EVENT_COMPLETED);
      await a.flush();
      announce(b, h, p, true, EVENT_COMPLETED);
      await b.flush();
      for (let i = 0; i < 5; i++) announce(b, h, peer4(0x0b000100 + i, 1), true, EVENT_COMPLETED);
      await b.flush();
      await until(() => scrape(a, h).downloaded === 6, 2000, 'A to count 6');
      const r = raw();
      try {
        const counts = await r.hgetallBuffer(`{${prefix}}done`);
        assert.equal(Object.keys(counts).length, 1);
        assert.equal(
          (await r.hgetBuffer(`{${prefix}}done`, h))?.toString(),
          '6',
          'counted under the raw hash',
        );
      } finally {
        r.disconnect();
      }
      await a.close();
      await b.close();
      // Every node restarted (fresh local state): the counts and the swarm come from Redis.
      const c = await node(prefix, 'C');
      assert.deepEqual(scrape(c, h), { seeders: 6, leechers: 0, downloaded: 6 });
      assert.equal(c.totals().completedSinceStart, 0);
    });

    test('a node started later serves the swarms at once; peers silent past the timeout are not loaded', async () => {
      const prefix = uniquePrefix('load');
      prefixes.push(prefix);
      const a = await node(prefix, 'A', { peerTimeout: 2 });
      for (let i = 0; i < 300; i++)
        announce(a, hash(10 + (i % 3)), peer4(0x0c000000 + i, 1), i % 2 === 0, EVENT_NONE);
      announce(a, hash(13), peer6(1, 1, 1), false, EVENT_NONE);
      await a.flush();
      const b = await node(prefix, 'B', { peerTimeout: 2 });
      assert.equal(b.totals().seeders + b.totals().leechers, 301);
      assert.equal(peersOf(b, hash(10)).length, 100);
      assert.equal(peersOf(b, hash(13), true).length, 1);
      await new Promise((r) => setTimeout(r, 3300));
      const c = await node(prefix, 'C', { peerTimeout: 2 });
      assert.equal(c.totals().seeders + c.totals().leechers, 0, 'silent peers vanished');
      // Redis forgets them too: two generations later they are gone from its hashes.
      announce(a, hash(14), peer4(1, 1), false, EVENT_NONE);
      await a.flush();
      await new Promise((r) => setTimeout(r, 2200));
      announce(a, hash(14), peer4(1, 1), false, EVENT_NONE);
      await a.flush();
      const r = raw();
      try {
        const held = (await r.hlen(`{${prefix}}peers`)) + (await r.hlen(`{${prefix}}peers:0`));
        assert.equal(held, 1, 'only the live peer is held in Redis');
      } finally {
        r.disconnect();
      }
    });

    test('malformed data in Redis is dropped and counted, never applied', async () => {
      const prefix = uniquePrefix('bad');
      prefixes.push(prefix);
      const r = raw();
      const t = `{${prefix}}`;
      try {
        const good = Buffer.concat([hash(20), peer4(0x0d000001, 1)]);
        const secs = Math.floor(Date.now() / 1000);
        const v = Buffer.from([0, 0, 0, 0, 1]);
        v.writeUInt32BE(secs, 0);
        await r.hset(`${t}peers`, good, v);
        await r.hset(`${t}peers`, Buffer.concat([hash(20), Buffer.alloc(5)]), v); // 25 bytes: no family
        await r.hset(`${t}peers`, Buffer.concat([hash(20), peer4(0x0d000002, 1)]), Buffer.from([1, 2, 3])); // short value
        await r.hset(`${t}done`, hash(21), 'lots');
        await r.hset(`${t}done`, hash(22), '-4');
        await r.hset(`${t}done`, hash(23), '3');
      } finally {
        r.disconnect();
      }
      const a = await node(prefix, 'A');
      assert.deepEqual(scrape(a, hash(20)), { seeders: 1, leechers: 0, downloaded: 0 });
      assert.equal(scrape(a, hash(21)).downloaded, 0);
      assert.equal(scrape(a, hash(22)).downloaded, 0);
      assert.equal(scrape(a, hash(23)).downloaded, 3);
      assert.equal(a.sync.rejected, 4);
      // A forged stream entry: a record cut short, a v6 flag on 6 bytes, counts of odd length.
      const w = raw();
      try {
        const rec = Buffer.concat([Buffer.from([1 | 4]), hash(24), peer4(1, 1)]);
        await w.xadd(`${t}log`, '*', 'n', 'X', 'b', rec, 'c', '');
        await w.xadd(
          `${t}log`,
          '*',
          'n',
          'X',
          'b',
          Buffer.concat([Buffer.from([1]), hash(24), peer4(2, 2)]),
          'c',
          'abc',
        );
        await w.xadd(`${t}log`, '*', 'n', 'X', 'b', Buffer.from([9, 9]), 'c', '');
        await w.xadd(
          `${t}log`,
          '*',
          'n',
          'Y',
          'b',
          Buffer.concat([Buffer.from([1]), hash(25), peer4(3, 3)]),
          'c',
          '',
        );
      } finally {
        w.disconnect();
      }
      await until(() => scrape(a, hash(25)).leechers === 1, 2000, 'the good entry');
      assert.equal(scrape(a, hash(24)).leechers, 0);
      assert.equal(a.sync.rejected, 7);
    });
  });
}

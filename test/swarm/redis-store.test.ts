/**
 * The shared Redis store (src/swarm/redis-store.ts) on the machine's Redis: the store conformance
 * suite unchanged (each store under a key prefix of its own, deleted afterwards), then what it does
 * between nodes (redis-sync.ts).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RedisPeerStore } from '../../src/swarm/redis-store.js';
import { peerStoreConformance } from './conformance.js';
import { redisSyncTests } from './redis-sync.js';
import {
  MACHINE_REDIS,
  OwnRedis,
  deletePrefixes,
  redisServerSkip,
  redisSkip,
  uniquePrefix,
} from '../helpers/redis.js';
import { until } from '../helpers/cli.js';
import { Announced, EVENT_NONE } from '../../src/swarm/peer-store.js';
import { hash, peer4 } from './peers.js';

describe('redis store on one server', { skip: redisSkip }, () => {
  const made: RedisPeerStore[] = [];
  const closing: Array<Promise<void>> = [];
  after(async () => {
    await Promise.all(closing);
    for (const s of made) await s.close();
    // Each store pushed what the suite did to it: the view was not the only copy.
    const pushed = made.reduce((n, s) => n + s.sync.recordsPushed, 0);
    await deletePrefixes(
      MACHINE_REDIS,
      made.map((s) => s.options.keyPrefix),
    );
    if (made.length > 0) assert.ok(pushed > 0, 'changes reached Redis');
  });

  peerStoreConformance('redis (local view)', (options) => {
    const s = new RedisPeerStore({
      url: MACHINE_REDIS,
      keyPrefix: uniquePrefix('conf'),
      connectTimeoutMs: 20_000,
      log: () => {},
      ...options,
    });
    // The suite's previous store is done with: closed (after pushing what it holds).
    const prev = made.at(-1);
    made.push(s);
    closing.push(prev?.close() ?? Promise.resolve(), s.open());
    return s;
  });

  redisSyncTests('one server', () => MACHINE_REDIS, false);
});

test('an unreachable Redis at open: a one-line error naming it, within the connect timeout', async () => {
  const s = new RedisPeerStore({
    url: 'redis://user:secret@127.0.0.1:1/2',
    log: () => {},
    connectTimeoutMs: 1000,
  });
  const t0 = Date.now();
  await assert.rejects(s.open(), (e: Error) => {
    assert.match(
      e.message,
      /^swarm store redis:\/\/user:\*\*\*@127\.0\.0\.1:1\/2: cannot connect \(.*ECONNREFUSED.*\)$/,
    );
    assert.ok(!e.message.includes('secret'));
    return true;
  });
  assert.ok(Date.now() - t0 < 3000);
});

test(
  'Redis away: the outgoing buffer stays within its bound, drops are counted, the rest is sent later',
  { skip: redisServerSkip, timeout: 60_000 },
  async () => {
    const redis = await OwnRedis.start();
    const logs: string[] = [];
    const s = new RedisPeerStore({
      url: redis.url,
      keyPrefix: 'bound:',
      maxBufferedBytes: 64 * 1024,
      log: (m) => logs.push(m),
    });
    try {
      await s.open();
      await redis.stop();
      const a = new Announced();
      for (let i = 0; i < 5000; i++)
        s.announce(hash(1), 0, peer4(i, 1), 0, false, false, EVENT_NONE, 1, false, a);
      await until(() => !s.status().up, 5000, 'the store to notice');
      const st = s.status();
      assert.ok(st.buffered <= 64 * 1024, `${st.buffered} bytes buffered`);
      const kept = Math.floor((64 * 1024) / 27);
      assert.equal(st.dropped, 5000 - kept);
      assert.equal(s.totals().leechers, 5000, 'the local view has every peer');
      await redis.restart();
      await until(() => s.status().up && s.status().buffered === 0, 10_000, 'the buffer sent');
      assert.equal(s.sync.recordsPushed, kept);
      assert.equal(logs.filter((l) => /unreachable/.test(l)).length, 1, logs.join('\n'));
      assert.equal(logs.filter((l) => /is back/.test(l)).length, 1, logs.join('\n'));
    } finally {
      await s.close();
      await redis.stop();
    }
  },
);

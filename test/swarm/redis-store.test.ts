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
import { MACHINE_REDIS, deletePrefixes, redisSkip, uniquePrefix } from '../helpers/redis.js';

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
    assert.ok(pushed > 0, 'changes reached Redis');
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

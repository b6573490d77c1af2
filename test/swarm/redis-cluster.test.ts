/**
 * The shared Redis store on a real 3-master Redis Cluster that the test starts itself (free ports,
 * no persistence): the store conformance suite unchanged, and what it does between nodes.
 */
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { RedisPeerStore } from '../../src/swarm/redis-store.js';
import { peerStoreConformance } from './conformance.js';
import { redisSyncTests } from './redis-sync.js';
import { OwnCluster, redisServerSkip, uniquePrefix } from '../helpers/redis.js';

describe('redis store on a 3-master cluster', { skip: redisServerSkip, timeout: 120_000 }, () => {
  let cluster: OwnCluster | null = null;
  const made: RedisPeerStore[] = [];
  const closing: Array<Promise<void>> = [];
  before(async () => {
    cluster = await OwnCluster.start();
  });
  after(async () => {
    await Promise.all(closing);
    for (const s of made) await s.close();
    const pushed = made.reduce((n, s) => n + s.sync.recordsPushed, 0);
    await cluster?.stop();
    if (made.length > 0) assert.ok(pushed > 0, 'changes reached the cluster');
  });

  peerStoreConformance('redis cluster (local view)', (options) => {
    const s = new RedisPeerStore({
      url: cluster!.url,
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

  redisSyncTests('cluster', () => cluster!.url, true);
});

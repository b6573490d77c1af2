/**
 * Faults of a shared Redis swarm store, on a redis-server of the test's own (stopped and
 * restarted at will, never the machine's): nodes keep answering from their local view while Redis
 * is away, say so once in the log and in /metrics (fjord_store_up), send what they buffered when
 * it is back (a restarted, empty Redis gets the completion counts again), and a node killed with
 * `kill -9` leaves the other serving its swarms.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bdecode } from '../../src/protocol/bencode.js';
import { until, type Served } from '../helpers/cli.js';
import { announcePath, hashOf, httpGet } from '../helpers/tracker.js';
import { OwnRedis, redisServerSkip, scrapeOf, serveNode, uniquePrefix } from '../helpers/redis.js';

type Dict = Record<string, unknown>;

async function announce(s: Served, p: Parameters<typeof announcePath>[0]): Promise<Dict> {
  const r = await httpGet(s.ports.http, announcePath({ compact: 1, numwant: 50, ...p }));
  assert.equal(r.status, 200, r.body.toString());
  return bdecode(r.body) as Dict;
}

const ports = (d: Dict): number[] => {
  const b = d.peers as Buffer;
  const out: number[] = [];
  for (let o = 0; o + 6 <= b.length; o += 6) out.push(b.readUInt16BE(o + 4));
  return out.sort((x, y) => x - y);
};

async function metric(s: Served, name: string): Promise<number> {
  const r = await httpGet(s.ports.http, '/metrics');
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(r.body.toString());
  return m ? Number(m[1]) : NaN;
}

describe('a shared store whose Redis goes away', { skip: redisServerSkip, timeout: 150_000 }, () => {
  let redis: OwnRedis | null = null;
  const running: Served[] = [];
  after(async () => {
    for (const s of running)
      if (s.child.exitCode === null && s.child.signalCode === null) await s.stop('SIGKILL');
    await redis?.stop();
  });

  test('Redis stopped and restarted empty: answers go on, one log line, up 0 then 1, resync', async () => {
    redis = await OwnRedis.start();
    const prefix = uniquePrefix('fault');
    const a = await serveNode(prefix, 'A', [], redis.url);
    const b = await serveNode(prefix, 'B', [], redis.url);
    running.push(a, b);
    const h = hashOf(1401);
    await announce(a, { hash: h, port: 8001, left: 0, event: 'completed' });
    await until(async () => (await scrapeOf(b, h)).downloaded === 1, 2000, 'B to see the completion');
    assert.equal(await metric(a, 'fjord_store_up'), 1);

    await redis.stop();
    // A announce on each node while Redis is away: answered from the local view.
    const d = await announce(b, { hash: h, port: 8002, event: 'started' });
    assert.deepEqual(ports(d), [8001]);
    await announce(a, { hash: h, port: 8003, event: 'started' });
    await until(async () => (await metric(a, 'fjord_store_up')) === 0, 5000, 'A to report the store down');
    await until(async () => (await metric(b, 'fjord_store_up')) === 0, 5000, 'B to report the store down');
    assert.ok((await metric(a, 'fjord_store_buffered_bytes')) > 0, 'A buffers its change');
    await new Promise((r) => setTimeout(r, 1000));
    for (const s of [a, b])
      assert.equal(s.stderr().match(/swarm store: Redis .* unreachable/g)?.length, 1, s.stderr());

    // Back, and empty (no persistence): the buffered changes and the counts are sent again.
    await redis.restart();
    await until(async () => (await metric(a, 'fjord_store_up')) === 1, 10_000, 'A to report the store up');
    await until(async () => (await metric(b, 'fjord_store_up')) === 1, 10_000, 'B to report the store up');
    await until(
      async () => ports(await announce(b, { hash: h, port: 8002 })).includes(8003),
      3000,
      "A's change on B",
    );
    await until(
      async () => ports(await announce(a, { hash: h, port: 8003 })).includes(8002),
      3000,
      "B's change on A",
    );
    assert.match(a.stderr(), /swarm store: Redis .* is back; resynchronised/);
    await until(async () => (await metric(a, 'fjord_store_buffered_bytes')) === 0, 2000, 'the buffer sent');
    // A node started now learns the completion count from Redis again.
    const c = await serveNode(prefix, 'C', [], redis.url);
    running.push(c);
    assert.equal((await scrapeOf(c, h)).downloaded, 1);
  });

  test('kill -9 of one node: the other keeps serving its swarm', async () => {
    redis ??= await OwnRedis.start();
    const prefix = uniquePrefix('kill');
    const a = await serveNode(prefix, 'A', [], redis.url);
    const b = await serveNode(prefix, 'B', [], redis.url);
    running.push(a, b);
    const h = hashOf(1402);
    for (let port = 9001; port <= 9005; port++) await announce(a, { hash: h, port, left: port % 2 ? 0 : 10 });
    await until(async () => (await scrapeOf(b, h)).complete === 3, 2000, "B to see A's peers");
    assert.equal(await a.stop('SIGKILL'), null);
    // B answers with A's peers (they expire as any peer does) and takes new ones.
    const d = await announce(b, { hash: h, port: 9100 });
    assert.deepEqual(ports(d), [9001, 9002, 9003, 9004, 9005]);
    assert.deepEqual(await scrapeOf(b, h), { complete: 3, downloaded: 0, incomplete: 3 });
    // A restarted node serves the swarm at once, B's new peer included.
    const a2 = await serveNode(prefix, 'A2', [], redis.url);
    running.push(a2);
    assert.deepEqual(await scrapeOf(a2, h), { complete: 3, downloaded: 0, incomplete: 3 });
  });
});

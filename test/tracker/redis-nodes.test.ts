/**
 * Several `fjord serve` nodes on one Redis (--swarm-store): what a client notices. A peer announced
 * to node A is in node B's replies and scrapes within 2 s, a stop on A removes it on B, a
 * completion counts once across nodes, and counts and swarms survive a restart of every node (with
 * fresh data directories: they come from Redis, not from disk). Then the bad settings: a
 * malformed or unreachable Redis URL ends serve at once with a one-line error.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bdecode } from '../../src/protocol/bencode.js';
import { runFjord, until, type Served } from '../helpers/cli.js';
import { announcePath, hashOf, httpGet, tempDir } from '../helpers/tracker.js';
import {
  MACHINE_REDIS,
  deletePrefixes,
  redisSkip,
  scrapeOf,
  serveNode as node,
  uniquePrefix,
} from '../helpers/redis.js';

type Dict = Record<string, unknown>;

function compact4(b: Buffer): string[] {
  const out: string[] = [];
  for (let o = 0; o + 6 <= b.length; o += 6)
    out.push(`${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}:${b.readUInt16BE(o + 4)}`);
  return out.sort();
}

async function announce(s: Served, p: Parameters<typeof announcePath>[0]): Promise<Dict> {
  const r = await httpGet(s.ports.http, announcePath({ compact: 1, ...p }));
  assert.equal(r.status, 200, r.body.toString());
  return bdecode(r.body) as Dict;
}

/** The peers node `s` gives a new leecher (port 1): announced, then stopped again. */
async function peersSeen(s: Served, h: Buffer): Promise<string[]> {
  const d = await announce(s, { hash: h, port: 1, numwant: 50 });
  await announce(s, { hash: h, port: 1, event: 'stopped' });
  return compact4(d.peers as Buffer).filter((p) => p !== '127.0.0.1:1');
}

describe('two fjord serve nodes on one Redis', { skip: redisSkip, timeout: 120_000 }, () => {
  const prefix = uniquePrefix('nodes');
  const running: Served[] = [];
  after(async () => {
    for (const s of running)
      if (s.child.exitCode === null && s.child.signalCode === null) await s.stop('SIGKILL');
    await deletePrefixes(MACHINE_REDIS, [prefix]);
  });

  test('announce, stop and completion on A reach B within 2 s; counts survive a restart of both', async () => {
    let a = await node(prefix, 'A');
    let b = await node(prefix, 'B');
    running.push(a, b);
    const h = hashOf(1301);
    const t0 = Date.now();
    await announce(a, { hash: h, port: 7001, event: 'started' });
    await until(
      async () => (await peersSeen(b, h)).includes('127.0.0.1:7001'),
      2000,
      "B to give out A's peer",
    );
    await until(async () => (await scrapeOf(b, h)).incomplete === 1, 2000, 'B to count it');
    assert.ok(Date.now() - t0 < 2500, `${Date.now() - t0} ms`);
    // B's peer is given out by A.
    await announce(b, { hash: h, port: 7002, left: 0, event: 'started' });
    await until(
      async () => (await peersSeen(a, h)).includes('127.0.0.1:7002'),
      2000,
      "A to give out B's seeder",
    );
    // Stopped on A: gone on B.
    await announce(a, { hash: h, port: 7001, event: 'stopped' });
    await until(async () => !(await peersSeen(b, h)).includes('127.0.0.1:7001'), 2000, 'the stop to reach B');
    // One peer completes, and says so to both nodes: one completion everywhere.
    await announce(a, { hash: h, port: 7003, event: 'started' });
    await until(async () => (await scrapeOf(b, h)).incomplete === 1, 2000, 'B to see the leecher');
    await announce(a, { hash: h, port: 7003, left: 0, event: 'completed' });
    await until(async () => (await scrapeOf(b, h)).downloaded === 1, 2000, 'the completion on B');
    await announce(b, { hash: h, port: 7003, left: 0, event: 'completed' });
    await announce(b, { hash: h, port: 7004, left: 0, downloaded: 10, event: 'completed' });
    await until(async () => (await scrapeOf(a, h)).downloaded === 2, 2000, 'A to count 2');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await scrapeOf(a, h), { complete: 3, downloaded: 2, incomplete: 0 });
    assert.deepEqual(await scrapeOf(b, h), { complete: 3, downloaded: 2, incomplete: 0 });
    // /stats?mode=json: the store's health, the other node seen, the last sync.
    const st = JSON.parse((await httpGet(b.ports.http, '/stats?mode=json')).body.toString()) as {
      store: { kind: string; up: boolean; lastPush: number; nodes: Array<{ id: string }> };
    };
    assert.deepEqual([st.store.kind, st.store.up, st.store.nodes.map((n) => n.id)], ['redis', true, ['A']]);
    assert.ok(Date.now() - st.store.lastPush < 10_000);
    // Both nodes stop (SIGTERM pushes what is left); new ones start on empty data directories.
    assert.equal(await a.stop(), 0);
    assert.equal(await b.stop(), 0);
    running.length = 0;
    a = await node(prefix, 'A');
    b = await node(prefix, 'B');
    running.push(a, b);
    assert.deepEqual(await scrapeOf(a, h), { complete: 3, downloaded: 2, incomplete: 0 });
    assert.deepEqual(await scrapeOf(b, h), { complete: 3, downloaded: 2, incomplete: 0 });
    assert.deepEqual(await peersSeen(b, h), ['127.0.0.1:7002', '127.0.0.1:7003', '127.0.0.1:7004']);
    assert.match(
      a.stderr(),
      /swarm store: redis:\/\/127\.0\.0\.1:6379 as node A, keys .*: 3 peers of 1 torrents loaded/,
    );
  });
});

test('a malformed or unreachable --swarm-store: one line naming it, exit 1, no hang', () => {
  const data = tempDir();
  for (const [url, why] of [
    ['redis:/nowhere', /swarmStore "redis:\/nowhere" is not memory, redis:\/\//],
    [
      'mysql://x:1',
      /swarmStore must be memory or a redis:\/\/, rediss:\/\/ or redis\+cluster:\/\/ URL \(got mysql:\/\/x:1\)/,
    ],
    ['redis://h:1,h:2', /several hosts need redis\+cluster:\/\//],
    [
      'redis://u:secret@127.0.0.1:1/0',
      /^fjord: swarm store redis:\/\/u:\*\*\*@127\.0\.0\.1:1\/0: cannot connect \(.*ECONNREFUSED.*\)\n$/,
    ],
  ] as const) {
    const t0 = Date.now();
    const r = runFjord(
      [
        'serve',
        '--open',
        '--http',
        '127.0.0.1:0',
        '--udp',
        '127.0.0.1:0',
        '--admin',
        'off',
        '--data',
        data,
        '--swarm-store',
        url,
      ],
      { timeout: 30_000 },
    );
    assert.equal(r.status, 1, `${url}: ${r.stderr}`);
    assert.match(r.stderr, why);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.ok(!r.stderr.includes('secret'));
    assert.ok(Date.now() - t0 < 25_000);
  }
  const bad = runFjord(['serve', '--open', '--swarm-store-key-prefix', 'a{b}', '--print-config']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /swarmStoreKeyPrefix must be 1 to 64 letters/);
  const shown = runFjord([
    'serve',
    '--open',
    '--data',
    data,
    '--swarm-store',
    'redis://u:pw@10.0.0.1:6380/3',
    '--node-id',
    'n1',
    '--print-config',
  ]);
  assert.equal(shown.status, 0, shown.stderr);
  const c = JSON.parse(shown.stdout) as Dict;
  assert.deepEqual(
    [c.swarmStore, c.nodeId, c.swarmStoreKeyPrefix],
    ['redis://u:***@10.0.0.1:6380/3', 'n1', 'fjord:'],
  );
});

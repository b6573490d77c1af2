/**
 * Two fjord nodes on one Redis, and real libtorrent peers (lt_peer.py; DHT, LSD, PEX and UPnP
 * off): the seeder's torrent names only node A, the leecher's only node B, so they can meet only
 * through the shared swarm store. The download completes, and both nodes' scrapes agree.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { program, pythonModule, skipUnless } from '../helpers/programs.js';
import { createTorrent, ltPeer, sha256File, workspace, type Child } from './helpers-procs.js';
import { Swarm } from './helpers-swarm.js';
import { until, type Served } from '../helpers/cli.js';
import {
  MACHINE_REDIS,
  deletePrefixes,
  redisSkip,
  scrapeOf,
  serveNode,
  uniquePrefix,
} from '../helpers/redis.js';

const skip = redisSkip || skipUnless(pythonModule('libtorrent'), program('timeout'));

test(
  'a libtorrent seeder on node A and a leecher on node B meet through Redis and complete',
  { skip, timeout: 120_000 },
  async () => {
    const prefix = uniquePrefix('lt');
    const ws = workspace('lt-redis');
    const nodes: Served[] = [];
    const peers: Child[] = [];
    after(async () => {
      for (const p of peers) if (p.running) await p.stop('SIGKILL', 3000);
      for (const n of nodes)
        if (n.child.exitCode === null && n.child.signalCode === null) await n.stop('SIGKILL');
      await deletePrefixes(MACHINE_REDIS, [prefix]);
      ws.remove();
    });
    const a = await serveNode(prefix, 'A', ['--interval', '10']);
    nodes.push(a);
    const b = await serveNode(prefix, 'B', ['--interval', '10']);
    nodes.push(b);
    const toA = join(ws.dir, 'a.torrent');
    const toB = join(ws.dir, 'b.torrent');
    const hash = await createTorrent(ws.file, toA, [`http://127.0.0.1:${a.ports.http}/announce`]);
    assert.equal(await createTorrent(ws.file, toB, [`http://127.0.0.1:${b.ports.http}/announce`]), hash);
    const h = Buffer.from(hash, 'hex');

    const seeder = ltPeer('libtorrent seeder (node A)', {
      torrent: toA,
      save: join(ws.dir, 'seed'),
      mode: 'seed',
    });
    peers.push(seeder);
    const seederPort = Number((await seeder.waitForEvent('listening', 15_000)).port);
    await seeder.waitForEvent('seeding', 20_000);
    // The seeder announced to A only; B knows of it through Redis.
    await until(async () => (await scrapeOf(b, h)).complete === 1, 5000, 'node B to count the seeder');

    const leecher = ltPeer('libtorrent leecher (node B)', {
      torrent: toB,
      save: join(ws.dir, 'leech'),
      mode: 'leech',
      linger: true,
    });
    peers.push(leecher);
    await leecher.waitForEvent('finished', 60_000);
    Swarm.assertFoundThroughTracker(leecher, seederPort);
    await until(() => sha256File(join(ws.dir, 'leech', ws.name)) === ws.sha256, 10_000, 'the whole file');

    // The leecher's completed announce went to B; both nodes agree.
    const want = { complete: 2, downloaded: 1, incomplete: 0 };
    await until(
      async () =>
        JSON.stringify(await scrapeOf(a, h)) === JSON.stringify(want) &&
        JSON.stringify(await scrapeOf(b, h)) === JSON.stringify(want),
      5000,
      'both scrapes to show 2 seeders and 1 completion',
    );
  },
);

/**
 * libtorrent (Debian's python3-libtorrent, through lt_peer.py) as both seeder and leecher. The two
 * peers can only learn of each other from fjord: no DHT, LSD, PEX or UPnP, and no peer is added
 * by hand. Once over HTTP, once over UDP; then the swarm's counts in /stats, /metrics and a
 * scrape must match what the clients did, on arrival, completion and departure.
 */
import { test } from 'node:test';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { program, pythonModule, skipUnless } from '../helpers/programs.js';
import { createTorrent, freeTcpPort, ltPeer } from './helpers-procs.js';
import { assertSwarmCounts, scrape, snapshot } from './helpers-stats.js';
import { Swarm } from './helpers-swarm.js';

const skip = skipUnless(pythonModule('libtorrent'), program('timeout'));

for (const protocol of ['http', 'udp'] as const) {
  test(
    `libtorrent seeds, libtorrent downloads, finding each other only through fjord over ${protocol.toUpperCase()}`,
    { skip, timeout: 60_000 },
    async (t) => {
      const swarm = await Swarm.open(t, `lt-${protocol}`, protocol);

      const seeder = swarm.track(
        ltPeer('libtorrent seeder', { torrent: swarm.torrent, save: swarm.seedDir, mode: 'seed' }),
      );
      const seederPort = Number((await seeder.waitForEvent('listening', 10_000)).port);
      await seeder.waitForEvent('seeding', 15_000);
      await swarm.waitForSwarm({ seeders: 1, leechers: 0 });

      const leecher = swarm.track(
        ltPeer('libtorrent leecher', {
          torrent: swarm.torrent,
          save: swarm.leechDir,
          mode: 'leech',
          linger: true,
        }),
      );
      await leecher.waitForEvent('finished', 40_000);
      Swarm.assertFoundThroughTracker(leecher, seederPort);
      await swarm.assertDownloaded();

      // Both still running: the leecher announced completed and is now the second seeder.
      // Announces at least: seeder started, leecher started, leecher completed.
      await swarm.checkCounts({ seeders: 2, leechers: 0, completed: 1, minAnnounces: 3 });

      // Leaving: libtorrent announces stopped, and the tracker forgets each peer at once.
      await leecher.quit();
      await swarm.waitForSwarm({ seeders: 1, leechers: 0, completed: 1 });
      await seeder.quit();
      await swarm.waitForSwarm({ seeders: 0, leechers: 0, completed: 1 });
      const after = await snapshot(swarm.fjord.httpPort);
      assertSwarmCounts(after, protocol, { seeders: 0, leechers: 0, completed: 1, minAnnounces: 5 });
      assert.equal(
        (await scrape(protocol, swarm.ports, swarm.infoHash)).downloaded,
        1,
        'the completion outlives the peers',
      );
    },
  );
}

// The control: the same two peers, but the leecher's torrent names a tracker that is not there.
// If they met anyway (LSD, DHT, PEX, a cached peer), the tests above would prove nothing.
test(
  'control: without the tracker the same libtorrent peers never meet',
  { skip, timeout: 30_000 },
  async (t) => {
    const swarm = await Swarm.open(t, 'lt-control', 'http');
    const seeder = swarm.track(
      ltPeer('libtorrent seeder', { torrent: swarm.torrent, save: swarm.seedDir, mode: 'seed' }),
    );
    await seeder.waitForEvent('seeding', 15_000);
    await swarm.waitForSwarm({ seeders: 1, leechers: 0 });

    const nowhere = join(swarm.ws.dir, 'nowhere.torrent');
    const closedPort = await freeTcpPort();
    assert.equal(
      await createTorrent(swarm.ws.file, nowhere, [`http://127.0.0.1:${closedPort}/announce`]),
      swarm.infoHash,
    );
    const leecher = swarm.track(
      ltPeer('libtorrent leecher', { torrent: nowhere, save: swarm.leechDir, mode: 'leech' }),
    );
    await leecher.waitForEvent('tracker_error', 10_000);
    // In the tests above the leecher connects within a second of the tracker's reply.
    await new Promise((r) => setTimeout(r, 5000));
    assert.deepEqual(
      leecher.events.filter((e) => e.event === 'peer_connect' || e.event === 'finished'),
      [],
      'the leecher found a peer without a tracker',
    );
    const last = leecher.events.filter((e) => e.event === 'progress').at(-1);
    assert.equal(last?.progress, 0, 'nothing downloaded');
    await leecher.quit();
    assert.equal((await swarm.waitForSwarm({ seeders: 1, leechers: 0, completed: 0 })).peers, 1);
  },
);

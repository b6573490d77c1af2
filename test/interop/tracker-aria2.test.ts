/**
 * aria2 in a swarm with libtorrent, the two finding each other only through fjord: aria2 downloads
 * from a libtorrent seeder over HTTP, and a libtorrent leecher downloads from an aria2 seeder over
 * UDP. uTP is off on the libtorrent side (aria2 has none); the torrent is v1 (aria2 1.36 reads a
 * hybrid torrent under a name of its own, which libtorrent does not share: docs/torrents.md; aria2
 * on fjord's hybrid torrents is test/interop/default-torrents.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { program, pythonModule, skipUnless } from '../helpers/programs.js';
import { aria2, freeTcpPort, freeUdpPort, ltPeer } from './helpers-procs.js';
import { Swarm } from './helpers-swarm.js';

const skip = skipUnless(pythonModule('libtorrent'), program('aria2c'), program('timeout'));

/** aria2's console readout says SEED once the download is complete and verified piece by piece. */
const seeding = (l: string) => /\[#\w+ SEED\(/.test(l);

test(
  'aria2 downloads from a libtorrent seeder found only through fjord over HTTP',
  { skip, timeout: 60_000 },
  async (t) => {
    const swarm = await Swarm.open(t, 'aria2-http', 'http');
    const seeder = swarm.track(
      ltPeer('libtorrent seeder', { torrent: swarm.torrent, save: swarm.seedDir, mode: 'seed', noUtp: true }),
    );
    await seeder.waitForEvent('seeding', 15_000);
    await swarm.waitForSwarm({ seeders: 1, leechers: 0 });

    const leecher = swarm.track(
      aria2('aria2 leecher', {
        torrent: swarm.torrent,
        dir: swarm.leechDir,
        port: await freeTcpPort(),
        dhtPort: 0,
        udpTracker: false,
        seed: false,
      }),
    );
    await leecher.waitForLine(seeding, 40_000, 'download complete (SEED)');
    await swarm.assertDownloaded();
    // Announces at least: seeder started, aria2 started, aria2 completed.
    await swarm.checkCounts({ seeders: 2, leechers: 0, completed: 1, minAnnounces: 3 });

    // aria2 announces stopped on SIGINT (SIGTERM is its emergency shutdown, which does not), and
    // the tracker forgets it at once.
    await leecher.stop('SIGINT', 10_000);
    assert.equal(leecher.exitSignal, null, `aria2 exited on a signal:\n${leecher.tail()}`);
    await swarm.waitForSwarm({ seeders: 1, leechers: 0, completed: 1 }, 20_000);
    await seeder.quit();
    await swarm.waitForSwarm({ seeders: 0, leechers: 0, completed: 1 }, 10_000);
  },
);

test(
  'libtorrent downloads from an aria2 seeder found only through fjord over UDP',
  { skip, timeout: 60_000 },
  async (t) => {
    const swarm = await Swarm.open(t, 'aria2-udp', 'udp');
    const ariaPort = await freeTcpPort();
    const seeder = swarm.track(
      aria2('aria2 seeder', {
        torrent: swarm.torrent,
        dir: swarm.seedDir,
        port: ariaPort,
        dhtPort: await freeUdpPort(),
        udpTracker: true,
        seed: true,
      }),
    );
    // aria2 hash-checks the file, then announces with left=0.
    await swarm.waitForSwarm({ seeders: 1, leechers: 0 }, 20_000);

    const leecher = swarm.track(
      ltPeer('libtorrent leecher', {
        torrent: swarm.torrent,
        save: swarm.leechDir,
        mode: 'leech',
        linger: true,
        noUtp: true,
      }),
    );
    await leecher.waitForEvent('finished', 40_000);
    Swarm.assertFoundThroughTracker(leecher, ariaPort);
    await swarm.assertDownloaded();
    await swarm.checkCounts({ seeders: 2, leechers: 0, completed: 1, minAnnounces: 3 });

    await leecher.quit();
    await swarm.waitForSwarm({ seeders: 1, leechers: 0, completed: 1 }, 20_000);
    await seeder.stop('SIGINT', 10_000);
    await swarm.waitForSwarm({ seeders: 0, leechers: 0, completed: 1 }, 10_000);
  },
);

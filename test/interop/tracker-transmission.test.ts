/**
 * Transmission (transmission-cli 3.00) in a swarm with libtorrent, the two finding each other only
 * through fjord: Transmission downloads from a libtorrent seeder over UDP, and a libtorrent leecher
 * downloads from a Transmission seeder over HTTP.
 *
 * Transmission drops 127.x addresses from tracker replies, so on loopback it never connects out; it
 * does accept connections. So the libtorrent peer is the one that connects: a leecher that
 * announces after Transmission, or a seeder that re-announces every 2 s until the tracker's reply
 * lists Transmission. Either way the only source of Transmission's address is fjord.
 * Transmission declares interest on a 10-second timer, so each test takes 15 to 25 s.
 */
import { test } from 'node:test';
import { join } from 'node:path';
import { program, pythonModule, skipUnless } from '../helpers/programs.js';
import { freeTcpPort, ltPeer, transmission } from './helpers-procs.js';
import { Swarm } from './helpers-swarm.js';

const skip = skipUnless(pythonModule('libtorrent'), program('transmission-cli'), program('timeout'));

/** Transmission's log line (on stderr, unbuffered) when the last piece has been verified. */
const complete = (l: string) => l.includes('State changed from "Incomplete" to "Complete"');

test(
  'Transmission downloads from a libtorrent seeder found only through fjord over UDP',
  { skip, timeout: 60_000 },
  async (t) => {
    const swarm = await Swarm.open(t, 'transmission-udp', 'udp');
    const seeder = swarm.track(
      ltPeer('libtorrent seeder', {
        torrent: swarm.torrent,
        save: swarm.seedDir,
        mode: 'seed',
        noUtp: true,
        reannounce: 2,
      }),
    );
    await seeder.waitForEvent('seeding', 15_000);
    await swarm.waitForSwarm({ seeders: 1, leechers: 0 });

    const trPort = await freeTcpPort();
    const leecher = swarm.track(
      transmission('Transmission leecher', {
        torrent: swarm.torrent,
        dir: swarm.leechDir,
        configDir: join(swarm.ws.dir, 'transmission'),
        port: trPort,
      }),
    );
    await leecher.waitForLine(complete, 45_000, 'download complete');
    // The seeder reached Transmission at the address only the tracker could have given it.
    Swarm.assertFoundThroughTracker(seeder, trPort);
    await swarm.assertDownloaded();
    // Announces at least: seeder started, Transmission started, Transmission completed.
    await swarm.checkCounts({ seeders: 2, leechers: 0, completed: 1, minAnnounces: 3 });

    // No check that the seeder leaves on quit: it re-announces every 2 s, and one of those can
    // reach the tracker just after its `stopped` (UDP keeps no order), re-adding it, as it
    // should. The libtorrent tests check removal on `stopped`.
    await seeder.quit();
    // transmission-cli 3.00 exits on SIGINT without announcing stopped, so fjord keeps it until the
    // peer timeout; nothing to check on the tracker side there.
    await leecher.stop('SIGINT', 10_000);
  },
);

test(
  'libtorrent downloads from a Transmission seeder found only through fjord over HTTP',
  { skip, timeout: 60_000 },
  async (t) => {
    const swarm = await Swarm.open(t, 'transmission-http', 'http');
    const trPort = await freeTcpPort();
    const seeder = swarm.track(
      transmission('Transmission seeder', {
        torrent: swarm.torrent,
        dir: swarm.seedDir,
        configDir: join(swarm.ws.dir, 'transmission'),
        port: trPort,
      }),
    );
    // Transmission verifies the file, then announces with left=0.
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
    await leecher.waitForEvent('finished', 45_000);
    Swarm.assertFoundThroughTracker(leecher, trPort);
    await swarm.assertDownloaded();
    await swarm.checkCounts({ seeders: 2, leechers: 0, completed: 1, minAnnounces: 3 });

    await leecher.quit();
    await swarm.waitForSwarm({ seeders: 1, leechers: 0, completed: 1 }, 20_000);
    await seeder.stop('SIGINT', 10_000);
  },
);

/**
 * When a peer counts as a completed download (issue 17, item 1; docs/statistics.md), against a real
 * `fjord serve`: a client that reports the download finished is a completion whether or not it sends
 * `event=completed`. Seen with aria2, which got a whole episode from the web seed before its first
 * announce and so announced only `started` with left=0 and downloaded=6292233, then `stopped`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serveFjord, type Served } from '../helpers/cli.js';
import { UdpClient, announcePath, hashOf, httpGet, tempDir, udpAnnounce } from '../helpers/tracker.js';
import { scrape } from '../interop/helpers-stats.js';

let served: Served;
let ports: { httpPort: number; udpPort: number };

before(async () => {
  served = await serveFjord([
    '--data',
    tempDir('fjord-completion-rule-'),
    '--open',
    '--http',
    '127.0.0.1:0',
    '--udp',
    '127.0.0.1:0',
    '--admin',
    'off',
  ]);
  ports = { httpPort: served.ports.http, udpPort: served.ports.udp };
});
after(() => served?.stop());

async function announce(p: Parameters<typeof announcePath>[0]): Promise<void> {
  const r = await httpGet(ports.httpPort, announcePath(p));
  assert.equal(r.status, 200, r.body.toString());
  assert.doesNotMatch(r.body.toString('latin1'), /failure reason/);
}

const downloaded = async (hash: Buffer) => (await scrape('http', ports, hash.toString('hex'))).downloaded;

test('a first announce with nothing left and bytes downloaded is a completion, once', async () => {
  const hash = hashOf(1701);
  // aria2's sequence: started with left=0 and the payload downloaded, then stopped.
  await announce({ hash, port: 7001, left: 0, downloaded: 6292233, event: 'started' });
  assert.equal(await downloaded(hash), 1);
  await announce({ hash, port: 7001, left: 0, downloaded: 6292233 });
  await announce({ hash, port: 7001, left: 0, downloaded: 6292233, event: 'stopped' });
  assert.equal(await downloaded(hash), 1, 'counted once per peer');
});

test('a seeder starting with nothing downloaded is not a completion', async () => {
  const hash = hashOf(1702);
  await announce({ hash, port: 7002, left: 0, downloaded: 0, event: 'started' });
  await announce({ hash, port: 7002, left: 0, downloaded: 0 });
  assert.equal(await downloaded(hash), 0);
  const s = await scrape('http', ports, hash.toString('hex'));
  assert.equal(s.complete, 1, 'it is a seeder');
});

test('a known leecher announcing nothing left without `completed` is a completion', async () => {
  const hash = hashOf(1703);
  await announce({ hash, port: 7003, left: 5000, downloaded: 0, event: 'started' });
  await announce({ hash, port: 7003, left: 0, downloaded: 5000 });
  assert.equal(await downloaded(hash), 1);
  // A `completed` afterwards is the same download.
  await announce({ hash, port: 7003, left: 0, downloaded: 5000, event: 'completed' });
  assert.equal(await downloaded(hash), 1);

  // ... also when that announce is its `stopped`.
  await announce({ hash, port: 7004, left: 5000, downloaded: 0, event: 'started' });
  await announce({ hash, port: 7004, left: 0, downloaded: 5000, event: 'stopped' });
  assert.equal(await downloaded(hash), 2);
});

test('a seeder the tracker does not know announcing without an event is not counted again', async () => {
  // After a tracker restart its peers are gone; a seeder's regular announce still reports the
  // session's downloaded bytes, whose completion was counted before.
  const hash = hashOf(1704);
  await announce({ hash, port: 7005, left: 0, downloaded: 5000 });
  assert.equal(await downloaded(hash), 0);
});

test('over UDP: started with nothing left and bytes downloaded is a completion', async () => {
  const hash = hashOf(1705);
  const c = new UdpClient(ports.udpPort);
  try {
    await c.bind('127.0.0.1');
    const id = await c.connect();
    const r = await c.request(
      udpAnnounce({ connectionId: id, infoHash: hash, left: 0n, downloaded: 6292233n, event: 2, port: 7006 }),
    );
    assert.equal(r.readUInt32BE(0), 1, 'an announce reply');
    const s = await c.request(
      udpAnnounce({ connectionId: id, infoHash: hash, left: 0n, downloaded: 0n, event: 2, port: 7007 }),
    );
    assert.equal(s.readUInt32BE(0), 1, 'an announce reply');
  } finally {
    c.close();
  }
  assert.equal(
    await downloaded(hash),
    1,
    'the started seeder with bytes downloaded counts, the one without does not',
  );
});

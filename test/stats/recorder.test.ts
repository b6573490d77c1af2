/**
 * Recording end to end: announces through a real in-process tracker (UDP and HTTP), the recorder
 * advanced by hand, rows checked in the catalog database (SQLite). Also the client sampler's stride.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openCatalog, truncateV2, type Episode } from '../../src/catalog/index.js';
import { StatsRecorder, WebSeedMeter } from '../../src/stats/recorder.js';
import { StatsStore } from '../../src/stats/store.js';
import { HOUR, MINUTE, TOTAL } from '../../src/stats/schema.js';
import { PeerIdSampler, RING_SIZE } from '../../src/stats/announce-stats.js';
import { EVENT_COMPLETED, EVENT_STOPPED } from '../../src/swarm/store.js';
import { UdpClient, announcePath, httpGet, startTracker, tempDir, udpAnnounce } from '../helpers/tracker.js';
import { sampleEpisode } from '../catalog/fixtures.js';

const T = Date.UTC(2026, 5, 1, 18, 0, 0);

test('a minute of announces becomes rows: per torrent and total, by protocol and family, completions, partial bytes, clients', async () => {
  const dataDir = tempDir('fjord-rec-');
  const catalog = await openCatalog({ dataDir });
  const running = await startTracker({ dataDir });
  const udp = new UdpClient(running.udpPort);
  try {
    const episode = await catalog.publishEpisode(sampleEpisode());
    const torrent = episode.torrents[0];
    const hash = Buffer.from(torrent.infoHashV1 as string, 'hex');
    const other = Buffer.alloc(20, 0x42); // not in the catalog: only in the total
    const store = new StatsStore(catalog.backend);
    const meter = new WebSeedMeter();
    const recorder = new StatsRecorder(running.tracker, store, { webSeed: meter });
    recorder.baseline();
    await recorder.refreshTorrents();

    // UDP: a qBittorrent leecher that completes, a Transmission leecher that stops half-way.
    const cid = await udp.connect();
    const ann = (port: number, peerId: string, event: number, left: bigint, downloaded = 0n) =>
      udp.request(
        udpAnnounce({
          connectionId: cid,
          infoHash: hash,
          peerId: Buffer.from(peerId),
          port,
          event,
          left,
          downloaded,
        }),
      );
    await ann(7001, '-qB4630-aaaaaaaaaaaa', 2, 1000n);
    await ann(7002, '-TR3000-bbbbbbbbbbbb', 2, 1000n);
    await ann(7001, '-qB4630-aaaaaaaaaaaa', EVENT_COMPLETED, 0n, 1000n);
    await ann(7002, '-TR3000-bbbbbbbbbbbb', EVENT_STOPPED, 600n, 400n);
    // HTTP: a seeder (Deluge) on the catalog torrent, and a leecher on the other torrent.
    const h1 = await httpGet(
      running.httpPort,
      announcePath({ hash, port: 7003, left: 0, peerId: '-DE13F0-cccccccccccc' }),
    );
    assert.equal(h1.status, 200);
    const h2 = await httpGet(
      running.httpPort,
      announcePath({ hash: other, port: 7004, peerId: '-qB4630-dddddddddddd' }),
    );
    assert.equal(h2.status, 200);
    meter.add('media/x/x.mkv', 300);
    meter.add('media/x/x.mkv', 200);

    const bucket = T - (T % MINUTE);
    const sample = recorder.harvest(bucket);
    const total = sample.swarms.find((r) => r.torrent_id === TOTAL);
    const mine = sample.swarms.find((r) => r.torrent_id === torrent.id);
    assert.ok(total && mine);
    assert.equal(sample.swarms.length, 2);
    // The catalog torrent: qBittorrent (now a seeder) and Deluge seed; Transmission left.
    assert.deepEqual([mine.seeders_sum, mine.leechers_sum, mine.peers_max, mine.completions], [2, 0, 2, 1]);
    assert.deepEqual([mine.announces_udp4, mine.announces_http4, mine.announces_udp6], [4, 1, 0]);
    assert.equal(mine.partial_bytes, 400);
    assert.deepEqual(
      [total.seeders_sum, total.leechers_sum, total.announces_http4, total.completions],
      [2, 1, 2, 1],
    );
    assert.deepEqual(sample.clients.map((c) => [c.client, c.announces]).sort(), [
      ['Deluge', 1],
      ['Transmission', 2],
      ['qBittorrent', 3],
    ]);
    assert.deepEqual(sample.webSeed, [{ bucket, path: 'media/x/x.mkv', bytes: 500 }]);

    // Read means zeroed: the next minute has no announces and no new completion, the peers remain.
    const next = recorder.harvest(bucket + MINUTE);
    const again = next.swarms.find((r) => r.torrent_id === torrent.id);
    assert.ok(again);
    assert.deepEqual(
      [again.completions, again.announces_udp4, again.partial_bytes, again.seeders_sum],
      [0, 0, 0, 2],
    );
    assert.deepEqual(next.clients, []);

    // record(): rows in the database, the hour rolled up.
    await ann(7001, '-qB4630-aaaaaaaaaaaa', 0, 0n, 1000n);
    await recorder.record(T + 2 * MINUTE);
    const minutes = await store.swarm('minute', [torrent.id], T, T + HOUR);
    assert.equal(minutes.length, 1);
    assert.equal(minutes[0].announces_udp4, 1);
    const hours = await store.swarm('hour', [torrent.id], T - HOUR, T + HOUR);
    assert.equal(hours.length, 1);
    assert.equal(hours[0].bucket, T);
    // Recording the same minute again is refused (the counters wait for the next minute).
    await recorder.record(T + 2 * MINUTE + 30_000);
    assert.equal((await store.swarm('minute', [torrent.id], T, T + HOUR)).length, 1);
  } finally {
    udp.close();
    await running.stop();
    await catalog.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('completion counts loaded from disk are not counted again after a restart', async () => {
  const dataDir = tempDir('fjord-rec-');
  const catalog = await openCatalog({ dataDir });
  const first = await startTracker({ dataDir });
  const hash = Buffer.alloc(20, 0x17);
  const udp = new UdpClient(first.udpPort);
  const cid = await udp.connect();
  await udp.request(
    udpAnnounce({ connectionId: cid, infoHash: hash, port: 7001, event: EVENT_COMPLETED, left: 0n }),
  );
  udp.close();
  await first.stop(); // saves downloaded.bin
  const second = await startTracker({ dataDir });
  try {
    const recorder = new StatsRecorder(second.tracker, new StatsStore(catalog.backend));
    recorder.baseline();
    const s = recorder.harvest(T);
    assert.equal(s.swarms.find((r) => r.torrent_id === TOTAL)?.completions, 0);
  } finally {
    await second.stop();
    await catalog.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('client sampler: every announce while quiet, a power-of-two stride when busy, the ring never overflows', () => {
  const s = new PeerIdSampler();
  const id = Buffer.from('-qB4630-aaaaaaaaaaaa');
  for (let i = 0; i < 10; i++) if (s.due()) s.takeBytes(id, 0);
  let n = 0;
  assert.equal(
    s.drain(() => n++),
    1,
  );
  assert.equal(n, 10);
  // A busy minute: 10 x the ring. Sampled every announce until the ring is full, never beyond it.
  for (let i = 0; i < 10 * RING_SIZE; i++) if (s.due()) s.takeBytes(id, 0);
  assert.equal(s.count, RING_SIZE);
  assert.equal(
    s.drain(() => undefined),
    1,
  );
  // The next minute's stride spreads the ring over the whole minute.
  assert.equal(s.stride, 16);
  for (let i = 0; i < 10 * RING_SIZE; i++) if (s.due()) s.takeBytes(id, 0);
  assert.equal(s.count, (10 * RING_SIZE) / 16);
  // The percent-encoded form (HTTP) decodes to the same bytes.
  const q = Buffer.from('-qB4630-%61aaaaaaaaaaa');
  const t = new PeerIdSampler();
  assert.ok(t.due());
  t.takeEncoded(q, 0, q.length);
  const got: string[] = [];
  t.drain((b) => got.push(b.toString('latin1')));
  assert.deepEqual(got, ['-qB4630-aaaaaaaaaaaa']);
});

test('a swarm that comes and goes within one minute still has its peak (sampled every few seconds)', async () => {
  const dataDir = tempDir('fjord-rec-peak-');
  const catalog = await openCatalog({ dataDir });
  const running = await startTracker({ dataDir });
  try {
    const episode = await catalog.publishEpisode(sampleEpisode());
    const torrent = episode.torrents[0];
    const hash = Buffer.from(torrent.infoHashV1 as string, 'hex');
    const recorder = new StatsRecorder(running.tracker, new StatsStore(catalog.backend));
    recorder.baseline();
    await recorder.refreshTorrents();
    const ann = (port: number, event: string) =>
      httpGet(
        running.httpPort,
        announcePath({ hash, port, event, peerId: `-qB4630-${String(port).padStart(12, '0')}` }),
      );
    for (const port of [7101, 7102, 7103]) assert.equal((await ann(port, 'started')).status, 200);
    const bucket = T - (T % MINUTE);
    recorder.samplePeaks(bucket + 10_000);
    await ann(7103, 'stopped');
    recorder.samplePeaks(bucket + 15_000);
    for (const port of [7101, 7102]) await ann(port, 'stopped');
    // At the minute's sample nobody is left; the peak of 3, 10 s in, is what the row keeps.
    const sample = recorder.harvest(bucket);
    const mine = sample.swarms.find((r) => r.torrent_id === torrent.id);
    const total = sample.swarms.find((r) => r.torrent_id === TOTAL);
    assert.ok(mine && total);
    assert.deepEqual(
      [mine.peers_max, mine.peers_max_at, mine.seeders_sum + mine.leechers_sum],
      [3, bucket + 10_000, 0],
    );
    assert.deepEqual([total.peers_max, total.peers_max_at], [3, bucket + 10_000]);
    // The next minute starts afresh.
    const next = recorder.harvest(bucket + MINUTE);
    assert.equal(next.swarms.find((r) => r.torrent_id === TOTAL)?.peers_max, 0);
  } finally {
    await running.stop();
    await catalog.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('the web seed reports the bytes it sends per file, ranges included', async () => {
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { WebSeed } = await import('../../src/web/webseed.js');
  const { WebServer } = await import('../../src/web/server.js');
  const dataDir = tempDir('fjord-ws-bytes-');
  const path = 'media/s/s-s01e01/s-s01e01.mkv';
  mkdirSync(join(dataDir, 'media/s/s-s01e01'), { recursive: true });
  writeFileSync(join(dataDir, path), Buffer.alloc(1_000_000, 7));
  const seed = new WebSeed(dataDir);
  const episode = { media: [{ path, mimeType: 'video/x-matroska' }], subtitles: [], torrents: [] };
  seed.setEpisodes([episode as unknown as Episode]);
  const meter = new WebSeedMeter();
  seed.onSent = (p, n) => meter.add(p, n);
  const web = new WebServer();
  seed.register(web);
  const { port } = await web.listen({ host: '127.0.0.1', port: 0 });
  try {
    const whole = await httpGet(port, `/${path}`);
    assert.equal(whole.body.length, 1_000_000);
    const part = await httpGet(port, `/${path}`, { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal((await httpGet(port, '/media/s/other.mkv')).status, 404);
    assert.deepEqual(meter.drain(), [[path, 1_000_100]]);
    assert.deepEqual(meter.drain(), []);
  } finally {
    await web.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

test('browser announces: counted by hash, completions and partial bytes, then forgotten once read', async () => {
  const running = await startTracker();
  try {
    const catalogless = new StatsRecorder(running.tracker, null as unknown as StatsStore);
    const stats = running.tracker.announceStats;
    const hash = Buffer.alloc(20, 0x33).toString('latin1');
    stats.wsAnnounce(hash, true, 2, 100, 0, '-WW0208-aaaaaaaaaaaa');
    stats.wsAnnounce(hash, true, 1, 0, 100, '-WW0208-aaaaaaaaaaaa');
    stats.wsAnnounce(hash, false, 3, 40, 60, '-WW0208-bbbbbbbbbbbb');
    const s = catalogless.harvest(T);
    const total = s.swarms[0];
    assert.deepEqual(
      [total.announces_ws6, total.announces_ws4, total.completions, total.partial_bytes],
      [2, 1, 1, 60],
    );
    assert.deepEqual(
      s.clients.map((c) => [c.client, c.announces]),
      [['WebTorrent', 3]],
    );
    assert.equal(stats.ws.size, 0);
  } finally {
    await running.stop();
  }
});

test('a hybrid torrent: a client in both its swarms (v1 and v2 names) counts once as a peer and once as a completion', async () => {
  const dataDir = tempDir('fjord-rec-');
  const catalog = await openCatalog({ dataDir });
  const running = await startTracker({ dataDir });
  try {
    const torrent = (await catalog.publishEpisode(sampleEpisode())).torrents[0];
    const v1 = Buffer.from(torrent.infoHashV1 as string, 'hex');
    const v2 = Buffer.from(truncateV2(torrent.infoHashV2 as string), 'hex');
    const recorder = new StatsRecorder(running.tracker, new StatsStore(catalog.backend));
    recorder.baseline();
    await recorder.refreshTorrents();
    const ann = async (hash: Buffer, port: number, left: number, event?: string) =>
      assert.equal((await httpGet(running.httpPort, announcePath({ hash, port, left, event }))).status, 200);
    // libtorrent 2 announces a hybrid torrent under both names; a v1-only client under one.
    await ann(v1, 7001, 1000, 'started');
    await ann(v2, 7001, 1000, 'started');
    await ann(v1, 7001, 0, 'completed');
    await ann(v2, 7001, 0, 'completed');
    await ann(v1, 7002, 1000, 'started');
    const sample = recorder.harvest(T);
    const mine = sample.swarms.find((r) => r.torrent_id === torrent.id);
    const total = sample.swarms.find((r) => r.torrent_id === TOTAL);
    assert.ok(mine && total);
    for (const r of [mine, total]) {
      assert.deepEqual(
        [r.seeders_sum, r.leechers_sum, r.peers_max, r.completions, r.announces_http4],
        [1, 1, 2, 1, 5],
        `torrent ${r.torrent_id}`,
      );
    }
  } finally {
    await running.stop();
    await catalog.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});

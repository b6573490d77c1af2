/**
 * Statistics storage, written once and run on SQLite and PostgreSQL (storage-*.test.ts): minute
 * writes (and merging a second sample of the same minute), the roll-up (whole hours, idempotent,
 * catching up), retention, and the reads the API makes.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openCatalog, type CatalogLocation } from '../../src/catalog/index.js';
import { StatsStore, MINUTE_RETENTION_DAYS, HOUR_RETENTION_DAYS } from '../../src/stats/store.js';
import { DAY, HOUR, MINUTE, TOTAL, type SwarmRow } from '../../src/stats/schema.js';
import { sampleEpisode } from '../catalog/fixtures.js';

export interface StatsTestStore {
  location: CatalogLocation;
  destroy(): Promise<void>;
}

const H0 = Date.UTC(2026, 2, 29, 0, 0, 0);

function swarm(bucket: number, torrent: number, peers: number, completions: number): SwarmRow {
  return {
    bucket,
    torrent_id: torrent,
    samples: 1,
    seeders_sum: peers,
    leechers_sum: 1,
    peers_max: peers + 1,
    peers_max_at: bucket,
    completions,
    announces_udp4: 2,
    announces_udp6: 1,
    announces_http4: 0,
    announces_http6: 0,
    announces_ws4: 0,
    announces_ws6: 0,
    partial_bytes: 1000,
  };
}

export function statsStorageSuite(
  name: string,
  newStore: () => Promise<StatsTestStore>,
  skip: string | false,
): void {
  describe(`statistics storage on ${name}`, { skip }, () => {
    const withStore = async (fn: (s: StatsStore, loc: CatalogLocation) => Promise<void>) => {
      const store = await newStore();
      const catalog = await openCatalog(store.location);
      try {
        await fn(new StatsStore(catalog.backend), store.location);
      } finally {
        await catalog.close();
        await store.destroy();
      }
    };

    test('minutes are written, a second sample of one minute merges, hours roll up idempotently', () =>
      withStore(async (s) => {
        for (let m = 0; m < 90; m++) {
          const b = H0 + m * MINUTE;
          await s.writeMinute({
            bucket: b,
            swarms: [swarm(b, TOTAL, m === 45 ? 40 : 4, 1), swarm(b, 7, 3, m % 2)],
            clients: [{ bucket: b, client: 'qBittorrent', announces: 2, samples: 2 }],
            webSeed: [{ bucket: b, path: 'media/s/s-s01e01/s-s01e01.mkv', bytes: 500 }],
          });
        }
        // A restart within minute 10: its sample adds to the row already there.
        await s.writeMinute({
          bucket: H0 + 10 * MINUTE,
          swarms: [swarm(H0 + 10 * MINUTE, TOTAL, 1, 2)],
          clients: [{ bucket: H0 + 10 * MINUTE, client: 'Transmission', announces: 1, samples: 1 }],
          webSeed: [{ bucket: H0 + 10 * MINUTE, path: 'media/s/s-s01e01/s-s01e01.mkv', bytes: 1 }],
        });
        const m10 = await s.swarm('minute', [TOTAL], H0 + 10 * MINUTE, H0 + 11 * MINUTE);
        assert.equal(m10.length, 1);
        assert.equal(m10[0].completions, 3);
        assert.equal(m10[0].samples, 2);
        assert.equal(m10[0].peers_max, 5);

        assert.equal(await s.rollUp(H0, H0 + 2 * HOUR), 4 + 3 + 2);
        const first = await s.swarm('hour', [TOTAL], H0, H0 + 2 * HOUR);
        assert.equal(first.length, 2);
        assert.equal(first[0].completions, 60 + 2);
        assert.equal(first[0].samples, 61);
        assert.equal(first[0].peers_max, 41);
        assert.equal(first[0].peers_max_at, H0 + 45 * MINUTE);
        assert.equal(first[1].completions, 30);
        assert.equal(first[1].announces_udp4, 60);
        assert.equal(first[1].partial_bytes, 30_000);
        const t7 = await s.swarm('hour', [7], H0, H0 + 2 * HOUR);
        assert.deepEqual(
          t7.map((r) => r.completions),
          [30, 15],
        );
        const clients = await s.clients('hour', H0, H0 + 2 * HOUR);
        assert.deepEqual(
          clients.map((c) => [c.bucket, c.client, c.announces]),
          [
            [H0, 'Transmission', 1],
            [H0, 'qBittorrent', 120],
            [H0 + HOUR, 'qBittorrent', 60],
          ],
        );
        const web = await s.webSeed('hour', H0, H0 + 2 * HOUR, ['media/s/s-s01e01/s-s01e01.mkv']);
        assert.deepEqual(
          web.map((w) => w.bytes),
          [30_001, 15_000],
        );
        assert.deepEqual(await s.webSeed('hour', H0, H0 + 2 * HOUR, ['media/other.mkv']), []);

        // Again, and over a wider span: the same rows, nothing doubled.
        await s.rollUp(H0 - 5 * HOUR, H0 + 5 * HOUR);
        assert.deepEqual(await s.swarm('hour', [TOTAL], H0, H0 + 2 * HOUR), first);
        assert.deepEqual(await s.clients('hour', H0, H0 + 2 * HOUR), clients);

        // An episode with two torrents: rows summed per bucket.
        const both = await s.swarm('minute', [TOTAL, 7], H0 + 2 * MINUTE, H0 + 3 * MINUTE);
        assert.equal(both.length, 1);
        assert.equal(both[0].completions, 1);
        assert.equal(both[0].peers_max, 5 + 4);
      }));

    test('catch-up rolls up every hour since the newest hour row; prune keeps 14 days of minutes and 2 years of hours', () =>
      withStore(async (s) => {
        const now = H0 + 30 * DAY;
        const old = now - (MINUTE_RETENTION_DAYS + 1) * DAY;
        for (const b of [old, now - 3 * HOUR, now - 2 * HOUR + 5 * MINUTE, now - 10 * MINUTE])
          await s.writeMinute({ bucket: b, swarms: [swarm(b, TOTAL, 1, 1)], clients: [], webSeed: [] });
        assert.equal(await s.catchUp(now), 4);
        assert.equal(await s.catchUp(now), 1); // only the newest hour is redone
        const hours = await s.swarm('hour', [TOTAL], 0, now + HOUR);
        assert.equal(hours.length, 4);

        const ancient = now - (HOUR_RETENTION_DAYS + 2) * DAY;
        await s.writeMinute({
          bucket: ancient,
          swarms: [swarm(ancient, TOTAL, 1, 1)],
          clients: [],
          webSeed: [],
        });
        await s.rollUp(ancient, ancient + 1);
        await s.prune(now);
        assert.deepEqual(
          (await s.swarm('minute', [TOTAL], 0, now + HOUR)).map((r) => r.bucket),
          [now - 3 * HOUR, now - 2 * HOUR + 5 * MINUTE, now - 10 * MINUTE],
        );
        const kept = (await s.swarm('hour', [TOTAL], 0, now + HOUR)).map((r) => r.bucket);
        assert.equal(kept.length, 4);
        assert.ok(!kept.includes(ancient));
        // The old minute's hour row outlives the minute itself.
        assert.ok(kept.includes(old - (old % HOUR)));
      }));

    test("the catalog's torrents are listed with both hashes for matching swarms", () =>
      withStore(async (s, loc) => {
        const c = await openCatalog(loc).catch(() => null);
        // SQLite allows one handle per process: publish through a fresh catalog only on PostgreSQL.
        if (c !== null && c.dialect === 'postgres') {
          const e = await c.publishEpisode(sampleEpisode());
          await c.close();
          const ts = await s.torrents();
          assert.equal(ts.length, 1);
          assert.equal(ts[0].id, e.torrents[0].id);
          assert.equal(ts[0].episodeId, e.id);
          assert.equal(ts[0].v1, e.torrents[0].infoHashV1);
          assert.equal(ts[0].sizeBytes, e.torrents[0].sizeBytes);
        } else {
          await c?.close();
          assert.deepEqual(await s.torrents(), []);
        }
      }));
  });
}

/**
 * Derived figures and roll-ups on made-up rows with known answers, DST days in Europe/Oslo included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  completionsPerDay,
  daySpan,
  httpCostSaved,
  deliveredBytes,
  deliveredBytesWithPartial,
  p2pShare,
  p2pShareWithPartial,
  peakSwarm,
  releaseCurve,
} from '../../src/stats/derived.js';
import { addDays, formatLocal, localDay, offsetAt, startOfDay } from '../../src/stats/time.js';
import { hourOf, mergeSwarm, rollUpClients, rollUpSwarm, rollUpWebSeed } from '../../src/stats/rollup.js';
import type { SwarmRow } from '../../src/stats/schema.js';

const OSLO = 'Europe/Oslo';
const H = 3_600_000;
const utc = (s: string) => Date.parse(s);

test('Oslo days: 24 hours normally, 23 on the spring change, 25 on the autumn change', () => {
  assert.equal(startOfDay('2026-01-15', OSLO), utc('2026-01-14T23:00:00Z'));
  assert.equal(startOfDay('2026-07-01', OSLO), utc('2026-06-30T22:00:00Z'));
  // 2026: summer time starts Sunday 29 March 02:00 → 03:00, ends Sunday 25 October 03:00 → 02:00.
  const spring = daySpan('2026-03-29', OSLO);
  assert.equal(spring.start, utc('2026-03-28T23:00:00Z'));
  assert.equal((spring.end - spring.start) / H, 23);
  const autumn = daySpan('2026-10-25', OSLO);
  assert.equal(autumn.start, utc('2026-10-24T22:00:00Z'));
  assert.equal((autumn.end - autumn.start) / H, 25);
  assert.equal(offsetAt(utc('2026-03-29T00:59:59Z'), OSLO), H);
  assert.equal(offsetAt(utc('2026-03-29T01:00:00Z'), OSLO), 2 * H);
  assert.equal(formatLocal(utc('2026-03-29T01:00:00Z'), OSLO), '2026-03-29T03:00:00+02:00');
  assert.equal(formatLocal(utc('2026-10-25T00:30:00Z'), OSLO), '2026-10-25T02:30:00+02:00');
  assert.equal(formatLocal(utc('2026-10-25T01:30:00Z'), OSLO), '2026-10-25T02:30:00+01:00');
  assert.equal(localDay(utc('2026-12-31T23:30:00Z'), OSLO), '2027-01-01');
  assert.equal(addDays('2026-02-28', 1), '2026-03-01');
  assert.equal(addDays('2028-02-28', 1), '2028-02-29');
  assert.equal(formatLocal(utc('2026-01-01T12:00:00Z'), 'America/St_Johns'), '2026-01-01T08:30:00-03:30');
});

test('completions per day follow local midnight, also across DST changes', () => {
  // One completion in every UTC hour from 2026-03-28 12:00Z to 2026-03-30 12:00Z (48 hours).
  const rows = Array.from({ length: 48 }, (_, i) => ({
    bucket: utc('2026-03-28T12:00:00Z') + i * H,
    completions: 1,
  }));
  const days = completionsPerDay(rows, OSLO);
  // 28 March local: 13:00..23:59 CET = 11 hours; 29 March: 23 hours; 30 March local 00:00..14:00 CEST = 14.
  assert.deepEqual(days, [
    { day: '2026-03-28', completions: 11 },
    { day: '2026-03-29', completions: 23 },
    { day: '2026-03-30', completions: 14 },
  ]);
  assert.equal(
    days.reduce((s, d) => s + d.completions, 0),
    48,
  );

  const autumn = Array.from({ length: 25 }, (_, i) => ({
    bucket: utc('2026-10-24T22:00:00Z') + i * H,
    completions: 2,
  }));
  assert.deepEqual(completionsPerDay(autumn, OSLO), [{ day: '2026-10-25', completions: 50 }]);

  // A range lists every day, zeros too, and leaves out rows outside it.
  assert.deepEqual(
    completionsPerDay([{ bucket: utc('2026-05-02T10:00:00Z'), completions: 3 }], OSLO, {
      from: '2026-05-01',
      to: '2026-05-03',
    }),
    [
      { day: '2026-05-01', completions: 0 },
      { day: '2026-05-02', completions: 3 },
      { day: '2026-05-03', completions: 0 },
    ],
  );
});

test('peak swarm: the largest minute, the earliest on a tie', () => {
  assert.equal(peakSwarm([]), null);
  assert.deepEqual(
    peakSwarm([
      { peers_max: 3, peers_max_at: 100 },
      { peers_max: 9, peers_max_at: 300 },
      { peers_max: 9, peers_max_at: 200 },
      { peers_max: 4, peers_max_at: 50 },
    ]),
    { peers: 9, at: 200 },
  );
});

test('P2P share: 1 - web seed / (completions x size), clamped, undefined when nothing delivered', () => {
  const GB = 1e9;
  // 100 completions of a 1 GB episode, 5 GB from the web seed: viewers carried 95 %.
  assert.equal(p2pShare({ webSeedBytes: 5 * GB, completions: 100, sizeBytes: GB }), 0.95);
  assert.equal(p2pShare({ webSeedBytes: 0, completions: 1, sizeBytes: GB }), 1);
  // The web seed also fed viewers who never finished: more than delivered → 0, never negative.
  assert.equal(p2pShare({ webSeedBytes: 3 * GB, completions: 1, sizeBytes: GB }), 0);
  // Downloads the tracker never counted (no completion announced) are delivered all the same: what
  // the web seed sent is delivered, so 5 bytes sent and no completion is a share of 0, not "none".
  assert.equal(p2pShare({ webSeedBytes: 5, completions: 0, sizeBytes: GB }), 0);
  assert.equal(p2pShare({ webSeedBytes: 0, completions: 0, sizeBytes: GB }), undefined);
  assert.equal(p2pShare({ webSeedBytes: 0, completions: 3, sizeBytes: 0 }), undefined);
  // With partial downloads: 2 completions of 1 GB plus 2 GB of ended partial downloads, 1 GB web seed.
  assert.equal(
    p2pShareWithPartial({ webSeedBytes: GB, completions: 2, sizeBytes: GB, partialBytes: 2 * GB }),
    0.75,
  );
  assert.equal(
    p2pShareWithPartial({ webSeedBytes: GB, completions: 0, sizeBytes: GB, partialBytes: 4 * GB }),
    0.75,
  );
  assert.equal(
    p2pShareWithPartial({ webSeedBytes: 0, completions: 0, sizeBytes: GB, partialBytes: 0 }),
    undefined,
  );
});

test('delivered bytes: completions x size (+ partial), never less than the web seed sent', () => {
  const MiB = 1024 * 1024;
  // The overview: 59.1 MiB from the web seed, three aria2 downloads the tracker refused,
  // one 449.7 KiB "completion": delivered is the 59.1 MiB, not 449.7 KiB.
  const d = { webSeedBytes: 59.1 * MiB, completions: 1, sizeBytes: 449.7 * 1024, partialBytes: 0 };
  assert.equal(deliveredBytes(d), 59.1 * MiB);
  assert.equal(deliveredBytesWithPartial(d), 59.1 * MiB);
  // Twelve viewers of 48 MiB, 1.3 copies from the web seed: completions x size.
  const r = { webSeedBytes: 1.3 * 48 * MiB, completions: 12, sizeBytes: 48 * MiB, partialBytes: 10 };
  assert.equal(deliveredBytes(r), 12 * 48 * MiB);
  assert.equal(deliveredBytesWithPartial(r), 12 * 48 * MiB + 10);
  assert.ok(Math.abs((p2pShare(r) ?? 0) - (1 - 1.3 / 12)) < 1e-12);
});

test('HTTP cost saved: bytes viewers carried x price per 10^9 bytes', () => {
  const c = httpCostSaved(100e9, 5e9, 0.05, 'EUR');
  assert.equal(c.peerBytes, 95e9);
  assert.ok(Math.abs(c.amount - 4.75) < 1e-9);
  assert.equal(c.currency, 'EUR');
  assert.deepEqual(httpCostSaved(1e9, 2e9, 0.05, 'NOK'), {
    peerBytes: 0,
    amount: 0,
    currency: 'NOK',
    pricePerGb: 0.05,
  });
});

test('release curve: cumulative completions by hour since publication', () => {
  const pub = utc('2026-06-01T18:30:00Z');
  const rows = [
    { bucket: utc('2026-06-01T17:00:00Z'), completions: 7 }, // wholly before publication: ignored
    { bucket: utc('2026-06-01T18:00:00Z'), completions: 2 }, // the hour publication falls in: hour 0
    { bucket: utc('2026-06-01T19:00:00Z'), completions: 5 }, // 30 min after: hour 0
    { bucket: utc('2026-06-01T20:00:00Z'), completions: 1 },
    { bucket: utc('2026-06-01T23:00:00Z'), completions: 4 }, // hour 4: past the 3 asked for
  ];
  assert.deepEqual(releaseCurve(rows, pub, 3), [
    { hour: 0, completions: 7 },
    { hour: 1, completions: 8 },
    { hour: 2, completions: 8 },
  ]);
});

function row(
  bucket: number,
  torrent: number,
  peers: number,
  completions: number,
  over: Partial<SwarmRow> = {},
): SwarmRow {
  return {
    bucket,
    torrent_id: torrent,
    samples: 1,
    seeders_sum: peers,
    leechers_sum: 0,
    peers_max: peers,
    peers_max_at: bucket,
    completions,
    announces_udp4: 1,
    announces_udp6: 0,
    announces_http4: 2,
    announces_http6: 0,
    announces_ws4: 0,
    announces_ws6: 3,
    partial_bytes: 10,
    ...over,
  };
}

test('roll-up: minute rows into hour rows (sums, samples, the peak minute), and again gives the same', () => {
  const h0 = utc('2026-03-29T00:00:00Z');
  const minutes: SwarmRow[] = [];
  for (let m = 0; m < 120; m++) minutes.push(row(h0 + m * 60_000, 1, m % 60 === 30 ? 50 : 5, 1));
  minutes.push(row(h0 + 5 * 60_000, 2, 7, 3));
  const hours = rollUpSwarm(minutes);
  assert.equal(hours.length, 3);
  const [a, b, c] = hours;
  assert.deepEqual(
    [a.bucket, a.torrent_id, b.bucket, b.torrent_id, c.bucket, c.torrent_id],
    [h0, 1, h0, 2, h0 + H, 1],
  );
  assert.equal(a.samples, 60);
  assert.equal(a.completions, 60);
  assert.equal(a.seeders_sum, 59 * 5 + 50);
  assert.equal(a.peers_max, 50);
  assert.equal(a.peers_max_at, h0 + 30 * 60_000);
  assert.equal(a.announces_ws6, 180);
  assert.equal(a.partial_bytes, 600);
  assert.equal(c.peers_max_at, h0 + H + 30 * 60_000);
  // Idempotent: rolling up the same minutes again, or the hours themselves, changes nothing.
  assert.deepEqual(rollUpSwarm(minutes), hours);
  assert.deepEqual(rollUpSwarm(hours), hours);
  assert.equal(hourOf(h0 + H - 1), h0);

  // Summing torrents per bucket adds peaks (sum mode), keeps the first's samples.
  const summed = mergeSwarm([row(h0, 1, 4, 1), row(h0, 2, 6, 2)], (x) => x, 'sum', false);
  assert.equal(summed.length, 1);
  assert.equal(summed[0].peers_max, 10);
  assert.equal(summed[0].completions, 3);
  assert.equal(summed[0].samples, 1);

  assert.deepEqual(
    rollUpClients([
      { bucket: h0 + 60_000, client: 'qBittorrent', announces: 4, samples: 4 },
      { bucket: h0 + 120_000, client: 'qBittorrent', announces: 8, samples: 2 },
      { bucket: h0 + 60_000, client: 'Transmission', announces: 1, samples: 1 },
    ]),
    [
      { bucket: h0, client: 'Transmission', announces: 1, samples: 1 },
      { bucket: h0, client: 'qBittorrent', announces: 12, samples: 6 },
    ].sort((x, y) => (x.client < y.client ? -1 : 1)),
  );
  assert.deepEqual(
    rollUpWebSeed([
      { bucket: h0 + 60_000, path: 'media/a/b.mkv', bytes: 100 },
      { bucket: h0 + H - 60_000, path: 'media/a/b.mkv', bytes: 50 },
    ]),
    [{ bucket: h0, path: 'media/a/b.mkv', bytes: 150 }],
  );
});

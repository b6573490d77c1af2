/**
 * The web seed policy's decision (src/web/webseed-policy.ts) on a made-up clock and swarm: the rules
 * in their order, the budgets, and the settings' checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AVAILABILITY_SECONDS,
  BURST_SECONDS,
  DEFAULT_POLICY,
  FileCopies,
  MAX_BLOCKS,
  WebSeedPolicy,
  checkPolicySettings,
  neverReturns,
  type WebSeedPolicySettings,
} from '../../src/web/webseed-policy.js';

const MiB = 1024 * 1024;
const FILE = { path: 'media/s/e/e.mkv', torrent: 'media/s/e', size: 48 * MiB };

function setup(settings: Partial<WebSeedPolicySettings> = {}, swarm = { seeders: 0, leechers: 5 }) {
  const clock = { t: 1_000_000_000 };
  const figures = { ...swarm };
  const policy = new WebSeedPolicy(
    { ...DEFAULT_POLICY, webSeedTorrentRate: MiB, ...settings },
    () => figures,
    () => clock.t,
  );
  const ask = (start: number, end: number, who = '10.0.0.1') => policy.decide(FILE, [{ start, end }], who);
  return { clock, figures, policy, ask };
}

test('off: every request is served, whatever the swarm and budget', () => {
  const { ask, figures } = setup({ webSeedPolicy: false });
  figures.seeders = 50;
  for (let i = 0; i < 20; i++) assert.deepEqual(ask(0, 16 * MiB - 1), { serve: true, reason: 'off' });
});

test('a lone viewer is always served, even for blocks sent before and past the budget', () => {
  const { ask, figures } = setup({}, { seeders: 0, leechers: 1 });
  for (let i = 0; i < 10; i++) assert.deepEqual(ask(0, 16 * MiB - 1), { serve: true, reason: 'alone' });
  figures.seeders = 1;
  figures.leechers = 0; // a seeder asking (a browser checking a range): alone too
  assert.equal(ask(0, MiB - 1).serve, true);
});

test('rare ranges are served once; the same blocks again are over budget and refused', () => {
  const { ask } = setup({ webSeedTorrentRate: 1024 });
  assert.deepEqual(ask(0, 16 * MiB - 1), { serve: true, reason: 'rare' });
  assert.deepEqual(ask(16 * MiB, 32 * MiB - 1, '10.0.0.2'), { serve: true, reason: 'rare' });
  // Every block of it sent already, and the budget is spent by those copies: refused at once.
  assert.deepEqual(ask(0, 16 * MiB - 1, '10.0.0.3'), { serve: false, retryAfter: 30 });
  assert.deepEqual(ask(4 * MiB, 8 * MiB - 1, '10.0.0.3'), { serve: false, retryAfter: 30 });
  // Half or more never sent (2 of 3 MiB): served whole. Less (1 of 8 MiB unsent): refused,
  // the client takes the rest from peers and comes back for the unsent part alone.
  assert.deepEqual(ask(31 * MiB, 34 * MiB - 1, '10.0.0.3'), { serve: true, reason: 'rare' });
  assert.equal(ask(27 * MiB, 35 * MiB - 1, '10.0.0.3').serve, false);
  assert.deepEqual(ask(34 * MiB, 36 * MiB - 1, '10.0.0.3'), { serve: true, reason: 'rare' });
});

test('a copy sent long ago no longer counts as a source', () => {
  const { ask, clock } = setup({ webSeedTorrentRate: 1024 });
  assert.equal(ask(0, MiB - 1).serve, true);
  assert.equal(ask(0, MiB - 1, '10.0.0.2').serve, false);
  clock.t += (AVAILABILITY_SECONDS + 2) * 1000;
  assert.deepEqual(ask(0, MiB - 1, '10.0.0.3'), { serve: true, reason: 'rare' });
});

test('seeders are complete sources: with enough of them nothing is rare, only the budget admits', () => {
  const { ask } = setup(
    { webSeedTorrentRate: 1024 * 1024, webSeedMinSources: 2 },
    { seeders: 2, leechers: 4 },
  );
  // Budget: 4 s of 1 MiB/s in the bucket; a 16 MiB request takes it to -12 MiB.
  assert.deepEqual(ask(0, 16 * MiB - 1), { serve: true, reason: 'budget' });
  assert.equal(ask(16 * MiB, 32 * MiB - 1, '10.0.0.2').serve, false);
});

test('with fewer seeders than webSeedMinSources, blocks sent once are still rare', () => {
  const { ask } = setup({ webSeedTorrentRate: 1024, webSeedMinSources: 3 }, { seeders: 1, leechers: 4 });
  for (let i = 0; i < 3; i++)
    assert.deepEqual(ask(0, MiB - 1, `10.0.0.${i}`), { serve: true, reason: 'rare' });
});

test('the budget refills at its rate and holds at most BURST_SECONDS of it', () => {
  const { ask, clock, figures } = setup({ webSeedTorrentRate: MiB });
  figures.seeders = 1;
  // Full bucket (4 MiB): one request of 8 MiB is admitted, then the bucket is at -4 MiB.
  assert.deepEqual(ask(0, 8 * MiB - 1), { serve: true, reason: 'budget' });
  assert.equal(ask(0, MiB - 1, '10.0.0.2').serve, false);
  clock.t += 3_900; // -0.1 MiB
  assert.equal(ask(0, MiB - 1, '10.0.0.3').serve, false);
  clock.t += 200; // +0.1 MiB
  assert.deepEqual(ask(0, MiB - 1, '10.0.0.4'), { serve: true, reason: 'budget' });
  // A long quiet time fills the bucket to BURST_SECONDS only: 4 MiB then refused.
  clock.t += 3_600_000;
  assert.equal(ask(0, BURST_SECONDS * MiB - 1, '10.0.0.5').serve, true);
  assert.equal(ask(0, MiB - 1, '10.0.0.6').serve, false);
});

test('the installation-wide budget refuses across torrents', () => {
  const clock = { t: 5_000_000 };
  const policy = new WebSeedPolicy(
    { ...DEFAULT_POLICY, webSeedTorrentRate: MiB, webSeedTotalRate: 2 * MiB },
    () => ({ seeders: 3, leechers: 3 }),
    () => clock.t,
  );
  const file = (n: number) => ({ path: `media/s/e${n}/e${n}.mkv`, torrent: `media/s/e${n}`, size: 64 * MiB });
  assert.equal(policy.decide(file(1), [{ start: 0, end: 16 * MiB - 1 }], 'a').serve, true);
  // Torrent 2's own bucket is full, but the installation's is 8 MiB in debt.
  assert.equal(policy.decide(file(2), [{ start: 0, end: MiB - 1 }], 'a').serve, false);
});

test('rare bytes debit the budget: after a first copy it admits nothing until repaid', () => {
  const { ask, clock, figures } = setup({ webSeedTorrentRate: MiB });
  assert.equal(ask(0, 48 * MiB - 1).serve, true); // rare: the whole first copy, 4 MiB - 48 MiB
  figures.seeders = 1;
  assert.equal(ask(0, MiB - 1, 'b').serve, false);
  clock.t += 43_900;
  assert.equal(ask(0, MiB - 1, 'c').serve, false);
  clock.t += 200;
  assert.deepEqual(ask(0, MiB - 1, 'd'), { serve: true, reason: 'budget' });
});

test('a client back for a refused range after Retry-After is served; earlier it is refused again', () => {
  const { ask, clock } = setup({ webSeedTorrentRate: 1024, webSeedRetryAfter: 10 });
  assert.equal(ask(0, 16 * MiB - 1, 'x').serve, true);
  assert.equal(ask(0, 16 * MiB - 1, 'y').serve, false);
  clock.t += 5_000;
  // Too early to be "back"; the budget is still in debt for the first 16 MiB.
  assert.equal(ask(0, 16 * MiB - 1, 'y').serve, false);
  // Another client asking for it is not "back" .
  clock.t += 5_000;
  assert.equal(ask(0, 16 * MiB - 1, 'z').serve, false);
  assert.deepEqual(ask(0, 16 * MiB - 1, 'y'), { serve: true, reason: 'back' });
});

test('aria2 and Transmission (they drop a web seed after a 503) are served where another client is refused', () => {
  const { ask, policy } = setup({ webSeedTorrentRate: 1024 });
  assert.equal(ask(0, 16 * MiB - 1).serve, true);
  assert.equal(ask(0, 16 * MiB - 1, 'b').serve, false);
  assert.deepEqual(policy.decide(FILE, [{ start: 0, end: 16 * MiB - 1 }], 'c', false), {
    serve: true,
    reason: 'client',
  });
  assert.equal(neverReturns('aria2/1.36.0'), true);
  assert.equal(neverReturns('Transmission/3.00'), true);
  assert.equal(neverReturns('libtorrent/2.0.8.0'), false);
  assert.equal(neverReturns(undefined), false);
});

test('a whole-file request (no Range) is judged on every block', () => {
  const { policy } = setup({ webSeedTorrentRate: 1024 });
  assert.equal(policy.decide(FILE, [{ start: 0, end: FILE.size / 2 - 1 }], 'a').serve, true);
  // Half of it never sent: the whole file is rare, once.
  assert.deepEqual(policy.decide(FILE, null, 'b'), { serve: true, reason: 'rare' });
  assert.equal(policy.decide(FILE, null, 'c').serve, false);
  assert.deepEqual(policy.counts, { off: 0, alone: 0, rare: 2, back: 0, client: 0, budget: 0, refused: 1 });
});

test('blocks: a power of two of at least 16 KiB, at most MAX_BLOCKS a file; partial blocks not marked', () => {
  const small = new FileCopies(100_000);
  assert.equal(small.shift, 14);
  const big = new FileCopies(20 * 1024 * MiB);
  assert.ok(big.sent.length <= MAX_BLOCKS);
  small.mark(1000, 40_000, 7); // covers block 1 (16384..32767) whole only
  assert.deepEqual([...small.sent.slice(0, 3)], [0, 7, 0]);
  small.mark(90_000, 99_999, 7); // the end of the file: its last block counts whole
  assert.equal(small.sent[small.sent.length - 1], 7);
  assert.equal(small.rareIn(16_384, 32_767, 6), false);
  assert.equal(small.rareIn(16_384, 32_768, 6), true);
});

test('settings: 0, negative, fractional or non-number budgets are one-line errors', () => {
  const ok = { ...DEFAULT_POLICY };
  checkPolicySettings(ok);
  for (const [k, v] of [
    ['webSeedTorrentRate', 0],
    ['webSeedTotalRate', -5],
    ['webSeedTorrentRate', 1.5],
    ['webSeedTotalRate', '10MB'],
    ['webSeedMinSources', 0],
    ['webSeedRetryAfter', 0],
    ['webSeedPolicy', 'yes'],
  ] as const)
    assert.throws(() => checkPolicySettings({ ...ok, [k]: v }), new RegExp(k));
  assert.throws(
    () => checkPolicySettings({ ...ok, webSeedTorrentRate: 10 * MiB, webSeedTotalRate: MiB }),
    /webSeedTotalRate must not be less/,
  );
});

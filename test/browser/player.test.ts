/**
 * The in-browser player in headless Chromium, against a real `fjord serve` and a WebM clip made by
 * ffmpeg and published with `fjord publish` (a hybrid torrent, with BEP 47 padding before the video).
 *
 * 1. With no other peer anywhere, pressing "Play and share" plays the episode from the web seed alone:
 *    WebTorrent (served by fjord) streams into <video> through its service worker, currentTime
 *    advances, both subtitle languages are listed as text tracks and their WebVTT cues load under the
 *    page's Content-Security-Policy; nothing is logged as an error; the browser joins the swarm on
 *    fjord's WebSocket tracker (the page's live figures count it). A screenshot of the page is kept in
 *    test-artifacts/.
 * 2. A second browser playing the same episode meets the first through the WebSocket tracker, and
 *    both pages show that they share with one other viewer.
 * 3. An episode without subtitles (a torrent of one file, which WebTorrent treats as a single-file
 *    torrent) plays from the web seed too: the player's .torrent names the file in its url-list.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { program, skipUnless } from '../helpers/programs.js';
import { artifact, launchChromium, watchedPage, type Watched } from '../web/browser-helpers.js';
import { makeWebm, publish, SRT_EN, SRT_NB, startSite, waitFor, type Site } from '../web/site-helpers.js';

const skip = skipUnless(program('chromium'), program('ffmpeg'));
const EPISODE = '/series/kystliv/s01e01';
const ONE_FILE = '/series/kystliv/s01e02';
let site: Site;
let browser: Browser;
let v1 = '';

before(async () => {
  if (skip) return;
  site = await startSite('fjord-player-');
  const clip = join(site.work, 'clip.webm');
  assert.ok(makeWebm(clip, 6), 'ffmpeg made the test clip');
  writeFileSync(join(site.work, 'nb.srt'), SRT_NB);
  writeFileSync(join(site.work, 'en.srt'), SRT_EN);
  ({ v1 } = await publish(site, {
    file: clip,
    series: 'Kystliv',
    season: 1,
    episode: 1,
    title: 'Testbilde',
    description: 'Fargestriper og en tone.',
    subtitles: [
      ['nb', join(site.work, 'nb.srt')],
      ['en', join(site.work, 'en.srt')],
    ],
  }));
  await publish(site, { file: clip, series: 'kystliv', season: 1, episode: 2, title: 'Uten undertekster' });
  await waitFor(async () => (await site.get(ONE_FILE)).status === 200, 10_000, 'pickup');
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await site?.stop();
});

/** What the page's player shows (run in the page). */
const PLAYER_STATE = `(() => {
  const v = document.getElementById('player-video');
  return {
    time: v.currentTime, src: v.src, error: v.error && v.error.message,
    tracks: [...v.textTracks].map((t) => t.language + ':' + t.label),
    status: document.getElementById('player-status').textContent,
    peersLine: document.getElementById('player-peers').textContent,
    peers: document.getElementById('player').dataset.peers,
  };
})()`;

interface PlayerState {
  time: number;
  src: string;
  error: string | null;
  tracks: string[];
  status: string;
  peersLine: string;
  peers?: string;
}

/**
 * For waitForFunction: a function, not a string, since Playwright evaluates a string predicate with
 * eval, which the page's Content-Security-Policy rightly refuses.
 */
function playedPast(seconds: number): boolean {
  const doc = (
    globalThis as unknown as { document: { getElementById(id: string): { currentTime: number } | null } }
  ).document;
  return (doc.getElementById('player-video')?.currentTime ?? 0) > seconds;
}

const state = async (w: Watched): Promise<PlayerState> =>
  (await w.page.evaluate(PLAYER_STATE)) as PlayerState;

async function play(w: Watched, episode = EPISODE): Promise<void> {
  await w.page.goto(site.base + episode);
  await w.page.getByRole('button', { name: 'Play and share' }).click();
}

let first: Watched | null = null;

test(
  'the player plays from the web seed alone, with subtitles, and shares',
  { skip, timeout: 120_000 },
  async () => {
    const w = await watchedPage(browser, 'en-GB');
    first = w;
    await w.page.goto(site.base + EPISODE);
    // The subtitle tracks are in the page before anything plays.
    assert.deepEqual((await state(w)).tracks, ['en:English', 'nb:Norwegian Bokmål']);
    const started = Date.now();
    await w.page.getByRole('button', { name: 'Play and share' }).click();
    try {
      await w.page.waitForFunction(playedPast, 1.5, { timeout: 60_000, polling: 200 });
    } catch (err) {
      throw new Error(`${String(err)}\n${JSON.stringify(await state(w))}\n${w.log.join('\n')}`);
    }
    process.stdout.write(`# playing ${((Date.now() - started) / 1000).toFixed(1)} s after the click\n`);
    const s = await state(w);
    assert.ok(s.src.startsWith(`${site.base}/webtorrent/${v1}/`), `streamed through WebTorrent: ${s.src}`);
    assert.equal(s.error, null);
    assert.equal(s.status, 'Playing.');
    assert.equal(s.peers, '0', 'no other peer: the web seed alone');
    assert.match(s.peersLine, /^Sharing with 0 other viewers\./);
    // The WebVTT cues load (same origin, under the page's CSP).
    const cues = await w.page.evaluate(`(async () => {
    const t = document.getElementById('player-video').textTracks[1];
    t.mode = 'hidden';
    for (let i = 0; i < 50 && (!t.cues || t.cues.length === 0); i++) await new Promise((r) => setTimeout(r, 100));
    return t.cues ? [...t.cues].map((c) => c.text) : [];
  })()`);
    assert.deepEqual(cues, ['Hei, <i>verden</i>!', 'Ha det.']);
    // The browser is in the swarm on fjord's WebSocket tracker: the live figures count it.
    await waitFor(
      async () => {
        const f = JSON.parse((await site.get(`${EPISODE}/stats.json`)).text) as Record<string, number>;
        return f.seeders + f.leechers >= 1;
      },
      20_000,
      'the browser in the live figures',
    );
    await w.page.screenshot({ path: artifact('player-episode.png'), fullPage: true });
    assert.deepEqual(w.errors, [], w.log.join('\n'));
  },
);

test(
  'a second viewer meets the first through the WebSocket tracker; both pages count one peer',
  { skip, timeout: 120_000 },
  async () => {
    assert.ok(first, 'the first viewer is still on the page');
    const second = await watchedPage(browser, 'en-GB');
    try {
      await play(second);
      const both = async () =>
        (await state(first as Watched)).peers === '1' && (await state(second)).peers === '1';
      try {
        await waitFor(both, 60_000, 'both pages sharing with each other');
      } catch (err) {
        throw new Error(
          `${String(err)}\nfirst: ${JSON.stringify(await state(first))}\nsecond: ${JSON.stringify(await state(second))}\n${second.log.join('\n')}`,
        );
      }
      assert.match((await state(second)).peersLine, /^Sharing with 1 other viewer\./);
      await second.page.waitForFunction(playedPast, 0.5, { timeout: 60_000, polling: 200 });
      assert.deepEqual(second.errors, [], second.log.join('\n'));
      assert.deepEqual(first.errors, [], first.log.join('\n'));
    } finally {
      await second.page.context().close();
      await first.page.context().close();
    }
  },
);

test(
  'an episode of one file (no subtitles) plays from the web seed too',
  { skip, timeout: 120_000 },
  async () => {
    const w = await watchedPage(browser, 'en-GB');
    try {
      await play(w, ONE_FILE);
      try {
        await w.page.waitForFunction(playedPast, 1, { timeout: 60_000, polling: 200 });
      } catch (err) {
        throw new Error(`${String(err)}\n${JSON.stringify(await state(w))}\n${w.log.join('\n')}`);
      }
      const s = await state(w);
      assert.deepEqual(s.tracks, []);
      assert.equal(s.peers, '0');
      assert.deepEqual(w.errors, [], w.log.join('\n'));
    } finally {
      await w.page.context().close();
    }
  },
);

/**
 * Community subtitles end to end in headless Chromium, against a real `fjord serve` with a WebM clip
 * made by ffmpeg and published by `fjord publish`, and a moderator made by `fjord user add`:
 *
 * 1. A viewer fills in the contribute form on the episode page (language, a WebVTT file, a name, the
 *    licence) and lands on the status page: waiting for moderation.
 * 2. The moderator opens /admin/moderation, is sent to the login form, then (one-time password) to
 *    the password form, then back to the queue; opens the submission, whose preview player lists
 *    the candidate as a track whose cues load (from the moderator-only URL, under the page's CSP);
 *    approves it.
 * 3. The episode page's player lists the translation as a track (video.textTracks) and its cues
 *    load; the series feed has it as media:subTitle; the status page says approved.
 * No page logs an error or a CSP violation. Screenshots in test-artifacts/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { runFjord } from '../helpers/cli.js';
import { program, skipUnless } from '../helpers/programs.js';
import { artifact, launchChromium, watchedPage } from '../web/browser-helpers.js';
import { makeWebm, publish, SRT_NB } from '../web/site-helpers.js';
import { eventually, startSubtitleSite, type SubtitleSite } from '../subtitles/helpers.js';

const skip = skipUnless(program('chromium'), program('ffmpeg'));
const EPISODE = '/series/kystliv/s01e01';
const GERMAN =
  'WEBVTT\n\n00:00.500 --> 00:01.500\nHallo, <i>Welt</i>!\n\n00:02.000 --> 00:02.800\nTschüss &amp; bis bald.\n';
let site: SubtitleSite;
let browser: Browser;
let moderatorPassword = '';

before(async () => {
  if (skip) return;
  site = await startSubtitleSite('fjord-subbrowser-');
  const clip = join(site.work, 'clip.webm');
  assert.ok(makeWebm(clip, 6), 'ffmpeg made the test clip');
  writeFileSync(join(site.work, 'nb.srt'), SRT_NB);
  await publish(site, {
    file: clip,
    series: 'Kystliv',
    season: 1,
    episode: 1,
    title: 'Testbilde',
    subtitles: [['nb', join(site.work, 'nb.srt')]],
  });
  const user = runFjord(['user', 'add', 'mia', '--role', 'moderator', '--data', site.data]);
  assert.equal(user.status, 0, user.stderr);
  moderatorPassword = /^one-time password: (\S+)$/m.exec(user.stdout)?.[1] ?? '';
  assert.ok(moderatorPassword !== '', user.stdout);
  await eventually(async () => (await site.get(EPISODE)).status === 200, 10_000, 'the episode page');
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await site?.stop();
});

/** The tracks of a page's <video> as "language:label" (run in the page). */
const TRACKS = `(() => [...document.querySelector('video').textTracks].map((t) => t.language + ':' + t.label))()`;

/** Shows a track (by label) and returns its cues' text once loaded (run in the page). */
function cuesOf(page: Page, label: string): Promise<string[]> {
  return page.evaluate(`(async () => {
    const t = [...document.querySelector('video').textTracks].find((x) => x.label === ${JSON.stringify(label)});
    if (!t) return ['no such track'];
    t.mode = 'hidden';
    for (let i = 0; i < 100 && (!t.cues || t.cues.length === 0); i++) await new Promise((r) => setTimeout(r, 100));
    return t.cues ? [...t.cues].map((c) => c.text) : [];
  })()`) as Promise<string[]>;
}

test(
  'a viewer submits a translation, a moderator approves it, the player and the feed have it',
  { skip, timeout: 180_000 },
  async () => {
    const started = Date.now();
    // 1. The viewer.
    const viewer = await watchedPage(browser, 'en-GB');
    await viewer.page.goto(site.base + EPISODE);
    assert.deepEqual(await viewer.page.evaluate(TRACKS), ['nb:Norwegian Bokmål']);
    // The form is one step away, behind its disclosure.
    await viewer.page.locator('#translate summary').click();
    await viewer.page.fill('#sub-language', 'de');
    await viewer.page.setInputFiles('#sub-file', {
      name: 'kystliv.de.vtt',
      mimeType: 'text/vtt',
      buffer: Buffer.from(GERMAN),
    });
    await viewer.page.fill('#sub-name', 'Greta Schmidt');
    await viewer.page.check('#sub-licence');
    await Promise.all([
      viewer.page.waitForURL(/\/subtitle-status\/[A-Za-z0-9_-]{43}\?new=1$/, { timeout: 20_000 }),
      viewer.page.getByRole('button', { name: 'Send for moderation' }).click(),
    ]);
    const statusUrl = viewer.page.url().replace(/\?new=1$/, '');
    assert.equal(await viewer.page.textContent('#submission-status'), 'Waiting for moderation');
    await viewer.page.screenshot({ path: artifact('subtitles-status.png'), fullPage: true });

    // 2. The moderator: login, the forced password change, the queue, the review, approval.
    const mod = await watchedPage(browser, 'en-GB');
    await mod.page.goto(`${site.base}/admin/moderation`);
    assert.match(mod.page.url(), /\/admin\/login\?next=%2Fadmin%2Fmoderation$/);
    await mod.page.fill('#name', 'mia');
    await mod.page.fill('#password', moderatorPassword);
    await Promise.all([
      mod.page.waitForURL(/\/admin\/password\?next=/, { timeout: 20_000 }),
      mod.page.getByRole('button', { name: 'Log in' }).click(),
    ]);
    const fresh = 'moderating is a fine job';
    await mod.page.fill('#current', moderatorPassword);
    await mod.page.fill('#new', fresh);
    await mod.page.fill('#repeat', fresh);
    await Promise.all([
      mod.page.waitForURL(`${site.base}/admin/moderation`, { timeout: 20_000 }),
      mod.page.locator('main button[type="submit"]').click(),
    ]);
    await Promise.all([
      mod.page.waitForURL(/\/admin\/moderation\/\d+$/, { timeout: 20_000 }),
      mod.page.getByRole('link', { name: 'Review' }).first().click(),
    ]);
    assert.deepEqual(await mod.page.evaluate(TRACKS), ['de:Candidate: German', 'nb:Norwegian Bokmål']);
    assert.deepEqual(await cuesOf(mod.page, 'Candidate: German'), [
      'Hallo, <i>Welt</i>!',
      'Tschüss &amp; bis bald.',
    ]);
    await mod.page.screenshot({ path: artifact('subtitles-review.png'), fullPage: true });
    await Promise.all([
      mod.page.waitForURL(/\?done=approved$/, { timeout: 20_000 }),
      mod.page.getByRole('button', { name: 'Approve and publish' }).click(),
    ]);
    assert.equal(await mod.page.getAttribute('#status', 'data-status'), 'approved');

    // 3. The translation in the player's track list and in the feed.
    await eventually(
      async () => {
        await viewer.page.goto(site.base + EPISODE);
        return ((await viewer.page.evaluate(TRACKS)) as string[]).includes('de:German (by viewers)');
      },
      15_000,
      'the German track on the episode page',
    );
    assert.deepEqual(await viewer.page.evaluate(TRACKS), ['nb:Norwegian Bokmål', 'de:German (by viewers)']);
    assert.deepEqual(await cuesOf(viewer.page, 'German (by viewers)'), [
      'Hallo, <i>Welt</i>!',
      'Tschüss &amp; bis bald.',
    ]);
    assert.match(
      (await viewer.page.textContent('#subtitles + table')) ?? '',
      /Translated by Greta Schmidt · CC BY 4\.0/,
    );
    await viewer.page.screenshot({ path: artifact('subtitles-episode.png'), fullPage: true });
    const feed = await (await viewer.page.request.get(`${site.base}/feeds/kystliv.rss`)).text();
    assert.match(
      feed,
      new RegExp(
        `<media:subTitle type="text/vtt" lang="de" href="${site.base}/community-subtitles/kystliv/kystliv-s01e01/kystliv-s01e01\\.de\\.[0-9a-f]{16}\\.vtt"/>`,
      ),
    );
    await viewer.page.goto(statusUrl);
    assert.equal(await viewer.page.textContent('#submission-status'), 'Approved and published');

    assert.deepEqual(viewer.errors, [], viewer.log.join('\n'));
    assert.deepEqual(mod.errors, [], mod.log.join('\n'));
    process.stdout.write(
      `# submit, moderate, approve and see it: ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    await viewer.page.context().close();
    await mod.page.context().close();
  },
);

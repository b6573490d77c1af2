/**
 * Every audience page in headless Chromium, in both languages: it renders with no console error, no
 * page error and no Content-Security-Policy violation (the policy is the real one fjord sends), the
 * document's language is the one chosen (Accept-Language from the browser's locale, then the visible
 * switch), and the basics of keyboard use hold: the first Tab reaches the skip link, which is visible
 * with a focus ring and moves focus to the main content; every form field has a label.
 *
 * The 404 page is answered with status 404, which Chromium itself reports on the console ("Failed to
 * load resource ... 404"): that one line, for the page's own URL, is expected; anything else is not.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { program, skipUnless } from '../helpers/programs.js';
import { randomFile } from '../publish/publish-helpers.js';
import { launchChromium, watchedPage } from '../web/browser-helpers.js';
import { publish, SRT_NB, startSite, waitFor, type Site } from '../web/site-helpers.js';

const skip = skipUnless(program('chromium'));
let site: Site;
let browser: Browser;

before(async () => {
  if (skip) return;
  site = await startSite('fjord-pages-');
  const video = join(site.work, 'video.mkv');
  randomFile(video, 100_000);
  writeFileSync(join(site.work, 'nb.srt'), SRT_NB);
  await publish(site, {
    file: video,
    series: 'Skjærgårdsliv',
    season: 1,
    episode: 2,
    title: 'Fyr og flamme',
    description: 'Om fyret.',
    subtitles: [['nb', join(site.work, 'nb.srt')]],
  });
  await waitFor(
    async () => (await site.get('/series/skjaergardsliv/s01e02')).status === 200,
    10_000,
    'pickup',
  );
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await site?.stop();
});

const PAGES: Array<[path: string, status: number]> = [
  ['/', 200],
  ['/series/skjaergardsliv', 200],
  ['/series/skjaergardsliv/s01e02', 200],
  ['/about', 200],
  ['/series/skjaergardsliv/s09e09', 404],
  ['/no/such/page', 404],
];

for (const [locale, lang] of [
  ['nb-NO', 'nb'],
  ['en-GB', 'en'],
] as const) {
  test(
    `every page renders without console errors or CSP violations (${lang})`,
    { skip, timeout: 120_000 },
    async () => {
      const w = await watchedPage(browser, locale);
      try {
        for (const [path, status] of PAGES) {
          const url = site.base + path;
          const before = w.errors.length;
          const r = await w.page.goto(url, { waitUntil: 'load' });
          assert.equal(r?.status(), status, path);
          assert.match(String(r?.headers()['content-security-policy']), /script-src 'self'/, `${path}: CSP`);
          // Give module scripts and late requests a moment to report.
          await w.page.waitForTimeout(300);
          const errors = w.errors
            .slice(before)
            .filter((e) => !(status === 404 && e.includes('status of 404') && e.includes(`(${url})`)));
          assert.deepEqual(errors, [], `${path}: ${errors.join('\n')}\n${w.log.join('\n')}`);
          assert.equal(await w.page.getAttribute('html', 'lang'), lang, `${path}: the document's language`);
          assert.equal(await w.page.locator('h1').count(), 1, `${path}: one h1`);
          // Every visible form field has a label (hidden ones, such as the form token, have none).
          const unlabelled = await w.page.$$eval(
            'input:not([type=hidden]), select, textarea',
            (els) =>
              els.filter((el) => (el as unknown as { labels: ArrayLike<unknown> }).labels.length === 0)
                .length,
          );
          assert.equal(unlabelled, 0, `${path}: fields without a label`);
        }
      } finally {
        await w.page.context().close();
      }
    },
  );
}

test(
  'keyboard: the first Tab reaches the skip link, visibly, and it leads to the content',
  { skip },
  async () => {
    const w = await watchedPage(browser, 'en-GB');
    try {
      await w.page.goto(`${site.base}/series/skjaergardsliv/s01e02`);
      await w.page.keyboard.press('Tab');
      // Strings run in the page (the tests' TypeScript has no DOM types).
      const focused = (await w.page.evaluate(`(() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        return { cls: el.className, top: el.getBoundingClientRect().top, outline: style.outlineStyle };
      })()`)) as { cls: string; top: number; outline: string };
      assert.equal(focused.cls, 'skip');
      assert.ok(focused.top >= 0, 'the skip link is on screen when focused');
      assert.notEqual(focused.outline, 'none', 'a focus ring');
      await w.page.keyboard.press('Enter');
      assert.equal(await w.page.evaluate('location.hash'), '#main');
      assert.equal(await w.page.evaluate('document.activeElement.id'), 'main');
      assert.deepEqual(w.errors, []);
    } finally {
      await w.page.context().close();
    }
  },
);

test(
  'the language switch: a link to the other language, remembered for the next page',
  { skip },
  async () => {
    const w = await watchedPage(browser, 'nb-NO');
    try {
      await w.page.goto(`${site.base}/about`);
      assert.equal(await w.page.getAttribute('html', 'lang'), 'nb');
      await w.page.getByRole('link', { name: 'English' }).click();
      await w.page.waitForURL(/\?lang=en$/);
      assert.equal(await w.page.getAttribute('html', 'lang'), 'en');
      await w.page.getByRole('link', { name: 'Home', exact: true }).first().click();
      await w.page.waitForURL(`${site.base}/`);
      assert.equal(await w.page.getAttribute('html', 'lang'), 'en', 'the cookie keeps the choice');
      assert.deepEqual(w.errors, []);
    } finally {
      await w.page.context().close();
    }
  },
);

/**
 * The programme-first pages in headless Chromium (issue 16), at a phone's width (390 px) and a
 * desktop's (1280 px), light and dark: screenshots kept in test-artifacts/ (gitignored), and the
 * layout facts checked in the page: no horizontal scroll, every image loaded with a text alternative,
 * the 16:9 player with its poster frame above the fold, the Download button before the BitTorrent
 * details (which are closed), and no serious or critical axe-core violation. Also: the brand's name
 * in place of fjord's, an announced episode shown as "available from" with nothing to download, and
 * a withdrawn one answering 410 with a link to its series.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { runFjord } from '../helpers/cli.js';
import { program, skipUnless } from '../helpers/programs.js';
import { artifact, launchChromium, watchedPage } from '../web/browser-helpers.js';
import { makeWebm, publish, startSite, waitFor, type Site } from '../web/site-helpers.js';

const skip = skipUnless(program('chromium'), program('ffmpeg'));
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let site: Site;
let browser: Browser;

const EPISODE = '/series/kystliv/s01e02';

before(async () => {
  if (skip) return;
  site = await startSite('fjord-showcase-', { siteName: 'Nordlys TV', accentColour: '#c0392b' });
  const video = join(site.work, 'kyst.webm');
  assert.ok(makeWebm(video, 4));
  const common = { file: video, series: 'Kystliv' };
  await publish(site, {
    ...common,
    season: 1,
    episode: 1,
    title: 'Fyrvokteren',
    description: 'Om fyret på Lista.',
  });
  await publish(site, {
    ...common,
    season: 1,
    episode: 2,
    title: 'Sildefisket',
    description: 'Vinter på havet.',
  });
  await publish(site, { ...common, season: 1, episode: 3, title: 'Tatt av vinden' });
  const later = new Date(Date.now() + 3 * 86400_000).toISOString();
  await publish(site, {
    ...common,
    season: 2,
    episode: 1,
    title: 'Ny sesong',
    extra: ['--available-from', later],
  });
  await publish(site, { file: video, series: 'Fjellfolk', season: 1, episode: 1, title: 'Seterliv' });
  const banner = join(site.work, 'banner.png');
  const poster = join(site.work, 'poster.png');
  await sharp({ create: { width: 1600, height: 900, channels: 3, background: '#2e6b8a' } })
    .png()
    .toFile(banner);
  await sharp({ create: { width: 600, height: 900, channels: 3, background: '#8a5a2e' } })
    .png()
    .toFile(poster);
  const d = ['--data', site.data];
  for (const args of [
    [
      'series',
      'edit',
      ...d,
      '--series',
      'kystliv',
      '--banner',
      banner,
      '--poster',
      poster,
      '--description',
      'Livet langs kysten.',
    ],
    ['episode', 'edit', ...d, '--series', 'kystliv', '--season', '2', '--episode', '1', '--announce'],
    ['unpublish', ...d, '--series', 'kystliv', '--season', '1', '--episode', '3'],
  ]) {
    const r = runFjord(args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  await waitFor(
    async () =>
      (await site.get(EPISODE)).text.includes('poster="/images/') &&
      (await site.get('/series/kystliv')).text.includes('Ny sesong') &&
      (await site.get('/series/kystliv/s01e03')).status === 410 &&
      (await site.get('/series/fjellfolk/s01e01')).status === 200,
    20_000,
    'publications, artwork, announcement and withdrawal picked up',
  );
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await site?.stop();
});

interface Facts {
  scrollWidth: number;
  innerWidth: number;
  innerHeight: number;
  images: Array<{ src: string; alt: string | null; loaded: boolean }>;
}

async function layoutFacts(page: Page): Promise<Facts> {
  // Lazy images below the fold load once scrolled to; scroll through the page first.
  await page.evaluate(`(async () => {
    for (let y = 0; y < document.body.scrollHeight; y += innerHeight) { scrollTo(0, y); await new Promise((r) => setTimeout(r, 50)); }
    scrollTo(0, 0);
  })()`);
  await page.waitForLoadState('networkidle');
  return (await page.evaluate(`(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth,
    innerHeight,
    images: [...document.images].map((i) => ({ src: i.currentSrc, alt: i.getAttribute('alt'), loaded: i.complete && i.naturalWidth > 0 })),
  }))()`)) as Facts;
}

async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not apply to.
  await page.evaluate(axeSource);
  const result = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as {
    violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }>;
  };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

const PAGES = [
  ['home', '/'],
  ['series', '/series/kystliv'],
  ['episode', EPISODE],
  ['about', '/about'],
  ['search', '/search?q=fyr'],
] as const;

for (const width of [390, 1280]) {
  for (const scheme of ['light', 'dark'] as const) {
    test(
      `${width} px, ${scheme}: no sideways scroll, images with alt text, no serious axe violation`,
      { skip, timeout: 180_000 },
      async () => {
        const w = await watchedPage(browser, 'en-GB');
        try {
          await w.page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
          await w.page.emulateMedia({ colorScheme: scheme });
          for (const [name, path] of PAGES) {
            const r = await w.page.goto(site.base + path, { waitUntil: 'load' });
            assert.equal(r?.status(), 200, path);
            const f = await layoutFacts(w.page);
            assert.ok(
              f.scrollWidth <= f.innerWidth,
              `${path}: page ${f.scrollWidth} px wide in a ${f.innerWidth} px window`,
            );
            for (const img of f.images) {
              assert.ok(img.loaded, `${path}: ${img.src} loaded`);
              assert.ok(img.alt !== null && img.alt.trim() !== '', `${path}: ${img.src} has alt text`);
            }
            if (name === 'home' || name === 'series' || name === 'search')
              assert.ok(f.images.length > 0, `${path}: pictures`);
            await w.page.screenshot({
              path: artifact(`showcase-${width}-${scheme}-${name}.png`),
              fullPage: true,
            });
            assert.deepEqual(await axeViolations(w.page), [], `${path} (${width} px, ${scheme})`);
            const visible =
              (await w.page.locator('main').innerText()) + (await w.page.locator('header').innerText());
            // The cookie's name (fjord_lang, in the privacy notice) is a fact, not branding.
            assert.doesNotMatch(
              visible.replace(/fjord_lang/g, ''),
              /fjord/i,
              `${path}: the brand replaces fjord`,
            );
          }
          assert.deepEqual(w.errors, []);
        } finally {
          await w.page.context().close();
        }
      },
    );
  }
}

test(
  'the episode page: 16:9 player with its poster above the fold, Download first, details closed',
  { skip, timeout: 120_000 },
  async () => {
    for (const width of [390, 1280]) {
      const w = await watchedPage(browser, 'en-GB');
      try {
        await w.page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
        await w.page.goto(site.base + EPISODE, { waitUntil: 'load' });
        const box = await w.page.locator('#player-video').boundingBox();
        assert.ok(box, 'the player');
        const vh = width === 390 ? 844 : 800;
        assert.ok(
          box.y + box.height <= vh,
          `${width} px: the player (bottom ${box.y + box.height}) is above the fold (${vh})`,
        );
        assert.ok(Math.abs(box.width / box.height - 16 / 9) < 0.02, `16:9 (${box.width}×${box.height})`);
        const poster = await w.page.getAttribute('#player-video', 'poster');
        assert.match(poster ?? '', /^\/images\/kystliv-s1e2-still-[0-9a-f]{12}\/1280\.jpg$/);
        const still = await w.page.request.get(site.base + poster);
        assert.equal(still.status(), 200);
        assert.equal(still.headers()['content-type'], 'image/jpeg');
        assert.equal(still.headers()['cache-control'], 'public, max-age=31536000, immutable');
        const webp = await w.page.request.get(site.base + poster!.replace('1280.jpg', '640.webp'));
        assert.equal(webp.headers()['content-type'], 'image/webp');
        assert.equal((await sharp(await webp.body()).metadata()).width, 640);
        const avif = await w.page.request.get(site.base + poster!.replace('1280.jpg', '320.avif'));
        assert.equal(avif.headers()['content-type'], 'image/avif');
        assert.equal((await sharp(await avif.body()).metadata()).format, 'heif');
        assert.equal(
          (await w.page.request.get(site.base + poster!.replace('1280.jpg', '333.jpg'))).status(),
          404,
          'only the layout sizes',
        );
        const download = w.page.getByRole('link', { name: /^Download \(\.torrent/ });
        assert.ok(await download.isVisible(), 'a Download button');
        assert.equal(await w.page.locator('#details').getAttribute('open'), null, 'details closed');
        assert.equal(
          await w.page.locator('#details dd.hash').first().isVisible(),
          false,
          'info hashes one step away',
        );
        assert.equal(await w.page.locator('#translate').getAttribute('open'), null);
        await w.page.locator('#details summary').click();
        assert.ok(await w.page.locator('#details dd.hash').first().isVisible(), 'and shown on request');
        const og = await w.page.getAttribute('meta[property="og:image"]', 'content');
        assert.equal(og, site.base + poster);
        assert.equal(
          await w.page.getAttribute('meta[property="og:title"]', 'content'),
          'Kystliv S01E02: Sildefisket',
        );
        assert.equal(
          await w.page.getAttribute('meta[name="twitter:card"]', 'content'),
          'summary_large_image',
        );
      } finally {
        await w.page.context().close();
      }
    }
  },
);

test(
  'an announced episode says when it comes and offers nothing; a withdrawn one is 410',
  { skip, timeout: 60_000 },
  async () => {
    const w = await watchedPage(browser, 'en-GB');
    try {
      await w.page.goto(site.base + '/series/kystliv', { waitUntil: 'load' });
      const card = w.page.locator('.card.upcoming');
      assert.equal(await card.count(), 1);
      assert.match(await card.innerText(), /Ny sesong[\s\S]*Available from/);
      assert.equal(await card.locator('a').count(), 0, 'no link, no download');
      assert.equal((await site.get('/series/kystliv/s02e01')).status, 404, 'no page before its window');
      const feed = (await site.get('/feeds/kystliv.rss')).text;
      assert.match(feed, /<title>Kystliv: Ny sesong \(available from [^<]+\)<\/title>/);
      assert.equal(
        (feed.match(/<enclosure /g) ?? []).length,
        2,
        'enclosures for the two distributed episodes only',
      );
      assert.match(
        feed,
        /<media:thumbnail url="http:\/\/127\.0\.0\.1:\d+\/images\/kystliv-s1e2-still-[0-9a-f]{12}\/640\.jpg"/,
      );
      assert.match(feed, /<language>nb<\/language>/);
      assert.match(feed, /<image><url>http:[^<]+\/images\/kystliv-poster-[0-9a-f]{12}\/640\.jpg<\/url>/);
      const r = await w.page.goto(site.base + '/series/kystliv/s01e03', { waitUntil: 'load' });
      assert.equal(r?.status(), 410);
      assert.equal(await w.page.locator('h1').innerText(), 'No longer available');
      await w.page.getByRole('link', { name: 'See other episodes of Kystliv' }).click();
      await w.page.waitForURL(site.base + '/series/kystliv');
      await w.page.screenshot({ path: artifact('showcase-upcoming.png'), fullPage: true });
    } finally {
      await w.page.context().close();
    }
  },
);

test(
  'search: the box in the header finds series and episodes shown now, as cards',
  { skip, timeout: 60_000 },
  async () => {
    const w = await watchedPage(browser, 'en-GB');
    try {
      await w.page.goto(site.base + '/', { waitUntil: 'load' });
      await w.page.getByRole('searchbox', { name: 'Search the programmes' }).fill('sildef');
      await Promise.all([
        w.page.waitForURL(/\/search\?q=sildef$/),
        w.page.getByRole('button', { name: 'Search' }).click(),
      ]);
      assert.equal(await w.page.locator('h1').innerText(), 'Results for “sildef”');
      const cards = w.page.locator('main .card a');
      assert.equal(await cards.count(), 1);
      assert.equal(await cards.first().getAttribute('href'), EPISODE);
      const titles = async (q: string) => {
        await w.page.goto(`${site.base}/search?q=${encodeURIComponent(q)}`);
        return w.page.locator('main .card-title').allInnerTexts();
      };
      assert.deepEqual(await titles('kysten'), ['Kystliv'], 'a series by its description');
      assert.deepEqual(await titles('vinden'), [], 'a withdrawn episode is not found');
      assert.deepEqual(await titles('sesong'), [], 'nor one not yet available');
      assert.deepEqual(await titles('<script>'), []);
      assert.match(await w.page.locator('main').innerText(), /No series or episode matches/);
      assert.equal(await w.page.inputValue('#site-search'), '<script>', 'the box keeps the words, as text');
      assert.deepEqual(w.errors, []);
    } finally {
      await w.page.context().close();
    }
  },
);

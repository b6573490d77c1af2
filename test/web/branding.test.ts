/**
 * The broadcaster's brand (issue 16): accent colours kept at WCAG AA whatever is chosen, logo files
 * checked (not an image, too large, an SVG with scripts: refused in one line), and a real
 * `fjord serve` showing the site name, logo, footer and about text where fjord's were, with "fjord"
 * nowhere in what a viewer reads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { defaults, validateConfig } from '../../src/config.js';
import { accentColours, contrast, loadBranding } from '../../src/web/branding.js';
import { checkImage } from '../../src/publish/images.js';
import { serveFjord } from '../helpers/cli.js';
import { tempDir } from '../helpers/tracker.js';
import { randomFile } from '../publish/publish-helpers.js';
import { publish, startSite, waitFor } from './site-helpers.js';

const CLEAN_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32" viewBox="0 0 120 32"><rect width="120" height="32" fill="#c00"/><text x="4" y="22">Nordlys</text></svg>';

test('contrast follows WCAG 2 and a weak accent is adjusted per scheme, saying so', () => {
  assert.equal(contrast('#ffffff', '#000000').toFixed(1), '21.0');
  assert.equal(contrast('#777777', '#ffffff').toFixed(2), '4.48');
  const yellow = accentColours('#ffcc00');
  assert.notEqual(yellow.light, '#ffcc00');
  assert.ok(contrast(yellow.light, '#ffffff') >= 4.5, yellow.light);
  assert.equal(yellow.dark, '#ffcc00', 'yellow already reads on the dark pages');
  assert.equal(yellow.notes.length, 1);
  assert.match(yellow.notes[0], /^accentColour #ffcc00 has 1\.\d:1 contrast on the light pages .*using #/);
  const navy = accentColours('#002b5c');
  assert.equal(navy.light, '#002b5c');
  assert.ok(contrast(navy.dark, '#121417') >= 4.5);
  assert.equal(accentColours('#0b4f9c').notes.length, 0, "fjord's own colours need no note");
});

test('branding settings are validated in one line', () => {
  const bad = (over: Record<string, unknown>, re: RegExp) =>
    assert.throws(() => validateConfig({ ...defaults, ...over }), re);
  bad({ accentColour: 'red' }, /^Error: accentColour must be a colour as #rrggbb \(got red\)$/);
  bad({ siteName: '' }, /siteName must be text of 1 to 80 characters/);
  bad({ footerText: 'a\u202eb' }, /footerText contains control characters/);
  bad({ siteLogo: 42 }, /siteLogo must be the path/);
  validateConfig({ ...defaults, siteName: 'Nordlys TV', accentColour: '#abc', footerText: null });
});

test('images: not an image, too large, damaged, SVG with scripts or references are refused', async () => {
  const png = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#336699' } })
    .png()
    .toBuffer();
  const ok = await checkImage(png, { what: 'poster', allowSvg: false });
  assert.deepEqual([ok.format, ok.width, ok.height, ok.ext], ['png', 40, 20, 'png']);
  const refuse = (bytes: Buffer, o: Parameters<typeof checkImage>[1], re: RegExp) =>
    assert.rejects(checkImage(bytes, o), (e: Error) => re.test(e.message) && !e.message.includes('\n'));
  await refuse(
    Buffer.from('hello, not a picture'),
    { what: 'poster', allowSvg: false },
    /^the poster is not an image \(JPEG, PNG or WebP\)$/,
  );
  await refuse(
    png,
    { what: 'logo', allowSvg: true, maxBytes: 100 },
    /^the logo is too large \(\d+ bytes; at most 100\)$/,
  );
  await refuse(png.subarray(0, png.length - 30), { what: 'poster', allowSvg: false }, /damaged|not an image/);
  await refuse(
    Buffer.from(CLEAN_SVG),
    { what: 'poster', allowSvg: false },
    /must be JPEG, PNG or WebP, not SVG/,
  );
  const svg = (inner: string) => Buffer.from(CLEAN_SVG.replace('</svg>', `${inner}</svg>`));
  await refuse(
    svg('<script>alert(1)</script>'),
    { what: 'logo', allowSvg: true },
    /^the logo is an SVG with a script/,
  );
  await refuse(svg('<rect onload="alert(1)"/>'), { what: 'logo', allowSvg: true }, /event handler/);
  await refuse(
    svg('<image href="https://tracker.example/p.png"/>'),
    { what: 'logo', allowSvg: true },
    /reference to another file/,
  );
  await refuse(
    svg('<a href="javascript:alert(1)"><rect/></a>'),
    { what: 'logo', allowSvg: true },
    /javascript: URL|reference/,
  );
  await refuse(
    svg('<foreignObject><div/></foreignObject>'),
    { what: 'logo', allowSvg: true },
    /foreignObject/,
  );
  const clean = await checkImage(Buffer.from(CLEAN_SVG), { what: 'logo', allowSvg: true });
  assert.deepEqual([clean.format, clean.width, clean.height, clean.type], ['svg', 120, 32, 'image/svg+xml']);
});

test('a JPEG logo is refused by loadBranding (SVG or PNG only), naming the file', async () => {
  const dir = tempDir('fjord-brand-');
  const jpg = join(dir, 'logo.jpg');
  writeFileSync(
    jpg,
    await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } })
      .jpeg()
      .toBuffer(),
  );
  await assert.rejects(
    loadBranding({
      siteName: 'X',
      siteLogo: jpg,
      accentColour: '#0b4f9c',
      footerText: null,
      aboutText: null,
    }),
    /^Error: siteLogo .*logo\.jpg: the logo must be SVG or PNG \(got jpeg\)$/,
  );
});

test('fjord serve refuses to start with an SVG logo that has a script, in one line', async () => {
  const dir = tempDir('fjord-brand-');
  const logo = join(dir, 'logo.svg');
  writeFileSync(logo, CLEAN_SVG.replace('</svg>', '<script>alert(1)</script></svg>'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'fjord.json'), JSON.stringify({ siteLogo: logo }));
  const args = ['--data', join(dir, 'data'), '--http', '127.0.0.1:0', '--udp', '127.0.0.1:0'];
  await assert.rejects(
    serveFjord([...args, '--web', '127.0.0.1:0', '--admin', 'off'], ['http', 'web']).then((s) => s.stop()),
    (e: Error) =>
      /siteLogo .*logo\.svg: the logo is an SVG with a script: remove it and try again\n?$/.test(e.message),
  );
});

/** What a viewer reads: the text of the page without tags, scripts' data or code samples. */
function visibleText(page: string): string {
  return page
    .replace(/<head>[\s\S]*?<\/head>/, '')
    .replace(/<code>[\s\S]*?<\/code>/g, '')
    .replace(/<[^>]+>/g, ' ');
}

test('the brand replaces fjord on every page and feed of a real site', async () => {
  const dir = tempDir('fjord-brand-');
  const logo = join(dir, 'logo.svg');
  writeFileSync(logo, CLEAN_SVG);
  const site = await startSite('fjord-brand-site-', {
    siteName: 'Nordlys TV',
    siteLogo: logo,
    accentColour: '#ffcc00',
    footerText: 'Nordlys TV AS, Tromsø. Programmene deles av seerne.',
    aboutText: 'Nordlys TV sender fra Nord-Norge.\n\nAndre avsnitt om oss.',
  });
  try {
    const video = join(site.work, 'video.mkv');
    randomFile(video, 100_000);
    await publish(site, { file: video, series: 'Polarnatt', season: 1, episode: 1, title: 'Mørketid' });
    await waitFor(async () => (await site.get('/series/polarnatt/s01e01')).status === 200, 10_000, 'episode');
    const logLines = site.served.stderr();
    assert.match(
      logLines,
      /site: accentColour #ffcc00 has 1\.\d:1 contrast on the light pages \(AA needs 4\.5:1\): using #[0-9a-f]{6}/,
    );
    for (const path of ['/', '/series/polarnatt', '/series/polarnatt/s01e01', '/about', '/no-such-page']) {
      for (const lang of ['nb', 'en']) {
        const r = await site.get(`${path}?lang=${lang}`);
        assert.doesNotMatch(visibleText(r.text), /fjord/i, `${path} ${lang}`);
        assert.match(r.text, /<title>[^<]* – Nordlys TV<\/title>/);
        const img =
          /<p class="brand">\s*<a href="\/"\s*><img\s+src="(\/assets\/logo\.[0-9a-f]{12}\.svg)"\s+alt="Nordlys TV"\s+width="120"\s+height="32"/.exec(
            r.text,
          );
        /<p class="brand">\s*<a href="\/"\s*><img src="(\/assets\/logo\.[0-9a-f]{12}\.svg)" alt="Nordlys TV" width="120" height="32"/.exec(
          r.text,
        );
        assert.ok(img, `${path}: header logo`);
        assert.match(r.text, /Nordlys TV AS, Tromsø\. Programmene deles av seerne\./);
        const logoRes = await site.get(img[1]);
        assert.equal(logoRes.status, 200);
        assert.equal(logoRes.headers['content-type'], 'image/svg+xml');
        assert.equal(logoRes.text, CLEAN_SVG);
        const css = /<link rel="stylesheet" href="(\/assets\/brand\.[0-9a-f]{12}\.css)"/.exec(r.text);
        assert.ok(css, 'brand stylesheet linked');
        const sheet = (await site.get(css[1])).text;
        const light = /:root \{ --accent: (#[0-9a-f]{6});/.exec(sheet)?.[1] ?? '';
        assert.ok(contrast(light, '#ffffff') >= 4.5, `light accent ${light}`);
        assert.match(sheet, /prefers-color-scheme: dark\) \{ :root \{ --accent: #ffcc00;/);
      }
    }
    const about = (await site.get('/about?lang=en')).text;
    assert.match(about, /<p>Nordlys TV sender fra Nord-Norge\.<\/p>\s*<p>Andre avsnitt om oss\.<\/p>/);
    const feed = (await site.get('/feeds/all.rss')).text;
    assert.match(feed, /<channel>\s*<title>Nordlys TV<\/title>/);
  } finally {
    await site.stop();
  }
});

/**
 * The audience site over real HTTP, from a `fjord serve` child with episodes published by the real
 * `fjord publish`: every page in both languages with its security headers, the 404 and 400 pages,
 * downloads (.torrent, WebVTT), magnet links, feeds with conditional GET, live swarm figures, the
 * player's files, and hostile titles, descriptions and rights holders that must come out escaped
 * everywhere. An unpublished episode leaves pages and feeds at once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { truncateV2 } from '../../src/catalog/index.js';
import { parseTorrent } from '../../src/protocol/metainfo.js';
import { announcePath, httpGet } from '../helpers/tracker.js';
import { fjord, randomFile } from '../publish/publish-helpers.js';
import { publish, SRT_EN, SRT_NB, startSite, waitFor, type Site } from './site-helpers.js';

const EVIL_TITLE = '<script>alert(1)</script>';
const EVIL_DESC = '"><img src=x onerror=alert(2)> & \u0001';
const EVIL_HOLDER = "<b onclick='alert(3)'>Holder</b>";
const EVIL_SERIES = 'Evil <script>alert(4)</script> Show';
let site: Site;
let ep1: { v1: string; v2: string; name: string };
let ep2: { v1: string; v2: string; name: string };

before(async () => {
  site = await startSite('fjord-site-');
  const video = join(site.work, 'video.mkv');
  randomFile(video, 200_000);
  const nb = join(site.work, 'nb.srt');
  const en = join(site.work, 'en.srt');
  writeFileSync(nb, SRT_NB);
  writeFileSync(en, SRT_EN);
  ep1 = await publish(site, {
    file: video,
    series: 'Skjærgårdsliv',
    season: 1,
    episode: 2,
    title: 'Fyr og flamme',
    description: 'Om fyret på Lista.',
    subtitles: [
      ['nb', nb],
      ['en', en],
    ],
  });
  ep2 = await publish(site, {
    file: video,
    series: EVIL_SERIES,
    season: 1,
    episode: 1,
    title: EVIL_TITLE,
    description: EVIL_DESC,
    extra: ['--rights-holder', EVIL_HOLDER],
  });
  // Both episodes: the server may pick up the first publication before the second is made.
  await waitFor(
    async () =>
      (await site.get('/series/skjaergardsliv/s01e02')).status === 200 &&
      (await site.get('/series/evil-script-alert-4-script-show/s01e01')).status === 200,
    10_000,
    'both episode pages',
  );
});
after(() => site?.stop());

/** Every page of the site as it stands. */
const PAGES = [
  '/',
  '/about',
  '/series/skjaergardsliv',
  '/series/skjaergardsliv/s01e02',
  '/series/evil-script-alert-4-script-show',
  '/series/evil-script-alert-4-script-show/s01e01',
];

/** assert.match without printing a whole page when it fails. */
function has(text: string, re: RegExp, what = ''): void {
  assert.ok(re.test(text), `${what} expected ${re} in: ${text.slice(0, 300)}...`);
}

function checkSecurityHeaders(path: string, h: Record<string, string | string[] | undefined>): void {
  const csp = String(h['content-security-policy']);
  assert.match(csp, /default-src 'none'/, `${path}: CSP`);
  assert.match(csp, /script-src 'self'(;|$)/, `${path}: scripts from this origin only`);
  assert.match(csp, /frame-ancestors 'none'/, path);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
  assert.equal(h['x-content-type-options'], 'nosniff', path);
  assert.equal(h['referrer-policy'], 'no-referrer', path);
}

test('every page: 200, HTML in the chosen language, security headers, no inline script', async () => {
  for (const path of PAGES) {
    for (const [headers, lang] of [
      [{}, 'nb'],
      [{ 'Accept-Language': 'en-GB,en;q=0.9' }, 'en'],
      [{ 'Accept-Language': 'de-DE' }, 'en'],
      [{ 'Accept-Language': 'en', Cookie: 'fjord_lang=nb' }, 'nb'],
    ] as const) {
      const r = await site.get(path, headers);
      assert.equal(r.status, 200, `${path} ${JSON.stringify(headers)}`);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      has(r.text, new RegExp(`^<!doctype html>\\s*<html lang="${lang}">`), `${path}: lang ${lang}`);
      assert.equal(r.headers['content-language'], lang);
      checkSecurityHeaders(path, r.headers);
      // Scripts only as files of this site, never inline.
      for (const m of r.text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
        assert.match(m[0], /^<script type="module" src="\/assets\/[^"]+"><\/script>$/, `${path}: ${m[0]}`);
      }
      // Attribute values are escaped text (a hostile description in <meta content>): look at tags only.
      const tags = r.text.replace(/"[^"]*"/g, '""');
      assert.ok(!/<[a-z][^<>]*\son[a-z]+\s*=/i.test(tags), `${path}: no event handler attributes`);
      has(r.text, /<a class="skip" href="#main">/, `${path}: skip link`);
      has(r.text, /<main id="main"/);
    }
  }
});

test('the language switch: ?lang= answers in that language and remembers it in a cookie', async () => {
  const r = await site.get('/about?lang=en', { 'Accept-Language': 'nb' });
  assert.equal(r.status, 200);
  has(r.text, /<html lang="en">/);
  assert.match(String(r.headers['set-cookie']), /^fjord_lang=en; Path=\/; Max-Age=\d+; SameSite=Lax$/);
  has(r.text, /<a href="\?lang=nb" lang="nb" hreflang="nb">Norsk bokmål<\/a>/);
  const again = await site.get('/about', { Cookie: 'fjord_lang=en', 'Accept-Language': 'nb' });
  has(again.text, /<html lang="en">/);
  assert.equal(again.headers['set-cookie'], undefined, 'no cookie without a switch');
});

test('unknown ids get the 404 page; malformed query strings a 400 page; both with the headers', async () => {
  for (const path of [
    '/series/nope',
    '/series/skjaergardsliv/s01e09',
    '/series/skjaergardsliv/s9',
    '/series/skjaergardsliv/s01e02x',
    '/series/skjaergardsliv/s01e02/stats.json/x',
    '/feeds/nope.rss',
    '/feeds/all.xml',
    '/torrents/nope.torrent',
    '/torrents/nope.v1.torrent',
    '/torrents/.v1.torrent',
    '/torrents/..%2Fcatalog.sqlite',
    '/subtitles/skjaergardsliv/../../catalog.sqlite',
    '/subtitles/skjaergardsliv/skjaergardsliv-s01e02/skjaergardsliv-s01e02.de.vtt',
    '/assets/nope.js',
    '/no/such/page',
    '/%3Cscript%3Ealert(1)%3C/script%3E',
  ]) {
    const r = await site.get(path, { 'Accept-Language': 'en' });
    assert.equal(r.status, 404, path);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8', path);
    has(r.text, /<h1>Page not found<\/h1>/, path);
    assert.doesNotMatch(r.text, /<script>alert/, path);
    checkSecurityHeaders(path, r.headers);
  }
  for (const path of [
    '/?lang=de',
    '/?lang=en&lang=nb',
    '/about?x=%zz',
    '/feeds/all.rss?a=%C3',
    '/series/skjaergardsliv?q=%00',
  ]) {
    const r = await site.get(path, { 'Accept-Language': 'en' });
    assert.equal(r.status, 400, path);
    has(r.text, /<h1>Bad request<\/h1>/, path);
    checkSecurityHeaders(path, r.headers);
  }
});

test('markup in titles, descriptions, rights holders and series names never comes out unescaped', async () => {
  const bodies: Array<[string, string]> = [];
  for (const path of PAGES) bodies.push([path, (await site.get(path)).text]);
  for (const path of ['/feeds/all.rss', '/feeds/evil-script-alert-4-script-show.rss'])
    bodies.push([path, (await site.get(path)).text]);
  for (const [path, text] of bodies) {
    for (const bad of ['<script>alert', '<img src=x', '<b onclick', "'alert(3)'", '\u0001'])
      assert.ok(!text.includes(bad), `${path} contains ${JSON.stringify(bad)}`);
  }
  const page = (await site.get('/series/evil-script-alert-4-script-show/s01e01')).text;
  has(page, /<h1>&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/h1>/);
  assert.ok(page.includes('&quot;&gt;&lt;img src=x onerror=alert(2)&gt; &amp; \uFFFD'));
  assert.ok(page.includes('&lt;b onclick=&#39;alert(3)&#39;&gt;Holder&lt;/b&gt;'));
  const feed = (await site.get('/feeds/evil-script-alert-4-script-show.rss')).text;
  assert.ok(
    feed.includes(
      '<title>Evil &lt;script&gt;alert(4)&lt;/script&gt; Show S01E01: &lt;script&gt;alert(1)&lt;/script&gt;</title>',
    ),
  );
});

test('the episode page: magnet with v1 and v2 xt, dn, trackers, web seed and xs; downloads; rights', async () => {
  const r = await site.get('/series/skjaergardsliv/s01e02', { 'Accept-Language': 'en' });
  const magnet = /<a class="button secondary" href="(magnet:[^"]+)"/.exec(r.text)?.[1];
  assert.ok(magnet, 'a magnet link');
  const p = new URLSearchParams(magnet.replace(/&amp;/g, '&').slice('magnet:?'.length));
  assert.deepEqual(p.getAll('xt'), [`urn:btih:${ep1.v1}`, `urn:btmh:1220${ep1.v2}`]);
  assert.equal(p.get('dn'), ep1.name);
  assert.deepEqual(p.getAll('tr'), [
    `http://127.0.0.1:${site.ports.http}/announce`,
    `ws://127.0.0.1:${site.ports.ws}/announce`,
  ]);
  assert.deepEqual(p.getAll('ws'), [`${site.base}/media/skjaergardsliv/`]);
  assert.equal(p.get('xs'), `${site.base}/torrents/${ep1.name}.torrent`);
  has(r.text, /<dd>\s*<ul>\s*<li><bdi>NRK<\/bdi><\/li>\s*<\/ul>\s*<\/dd>/);
  has(r.text, /<dd>Creative Commons Attribution 4\.0 \(CC BY 4\.0\)<\/dd>/);
  has(r.text, /Om fyret på Lista\./);
  // The player: tracks for each language, WebTorrent served here, the WebSocket tracker in the CSP.
  has(
    r.text,
    /<track\s+kind="subtitles"\s+srclang="nb"\s+label="Norwegian Bokmål"\s+src="\/subtitles\/[^"]+\.nb\.vtt"/,
  );
  has(
    r.text,
    /<track\s+kind="subtitles"\s+srclang="en"\s+label="English"\s+src="\/subtitles\/[^"]+\.en\.vtt"/,
  );
  has(r.text, /data-webtorrent="\/assets\/webtorrent-\d+\.\d+\.\d+\.min\.js"/);
  has(r.text, new RegExp(`data-trackers="ws://127\\.0\\.0\\.1:${site.ports.ws}/announce"`));
  assert.match(
    String(r.headers['content-security-policy']),
    new RegExp(`connect-src 'self' ws://127\\.0\\.0\\.1:${site.ports.ws} `),
  );

  const t = await httpGet(site.ports.web, `/torrents/${ep1.name}.torrent`);
  assert.equal(t.status, 200);
  assert.equal(t.headers['content-type'], 'application/x-bittorrent');
  assert.match(
    String(t.headers['content-disposition']),
    /^attachment; filename="skjaergardsliv-s01e02.torrent"$/,
  );
  assert.ok(
    t.body.equals(readFileSync(join(site.data, 'torrents', `${ep1.name}.torrent`))),
    'the .torrent bytes',
  );
  // The v1 twin for older clients: one small link, a v1 torrent of the same pieces under its own hash.
  const twinPath = /<a href="(\/torrents\/[^"]+\.v1\.torrent)" download/.exec(r.text)?.[1];
  assert.equal(twinPath, `/torrents/${ep1.name}.v1.torrent`);
  has(r.text, />\.torrent for older clients \(Transmission 3\)</);
  const twin = await httpGet(site.ports.web, twinPath);
  assert.equal(twin.status, 200);
  assert.equal(twin.headers['content-type'], 'application/x-bittorrent');
  const hybrid = parseTorrent(t.body);
  const v1 = parseTorrent(twin.body);
  assert.equal(v1.version, 'v1');
  assert.equal(v1.infoHashV1, hybrid.infoHashV1Twin);
  assert.deepEqual([v1.pieces, v1.urlList], [hybrid.pieces, hybrid.urlList]);
  const vttPath = /src="(\/subtitles\/[^"]+\.nb\.vtt)"/.exec(r.text)?.[1] as string;
  const vtt = await site.get(vttPath);
  assert.equal(vtt.status, 200);
  assert.equal(vtt.headers['content-type'], 'text/vtt; charset=utf-8');
  has(vtt.text, /^WEBVTT\n/);
  assert.ok(vtt.text.includes('Hei, <i>verden</i>!'));
  const srtPath = /href="(\/media\/[^"]+\.en\.srt)"/.exec(r.text)?.[1] as string;
  assert.equal((await site.get(srtPath)).status, 200, 'the SRT link is the web seed');
});

test('feeds: conditional GET with ETag and Last-Modified; HEAD; enclosure length is the .torrent size', async () => {
  const r = await httpGet(site.ports.web, '/feeds/skjaergardsliv.rss');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-type'], 'application/rss+xml; charset=utf-8');
  const etag = String(r.headers.etag);
  const lastModified = String(r.headers['last-modified']);
  assert.match(etag, /^"[\w-]+"$/);
  const text = r.body.toString();
  const size = statSync(join(site.data, 'torrents', `${ep1.name}.torrent`)).size;
  assert.ok(text.includes(`length="${size}" type="application/x-bittorrent"`));
  assert.ok(text.includes(`<guid isPermaLink="false">${ep1.v1}</guid>`));
  assert.equal(
    (await httpGet(site.ports.web, '/feeds/skjaergardsliv.rss', { headers: { 'If-None-Match': etag } }))
      .status,
    304,
  );
  assert.equal(
    (
      await httpGet(site.ports.web, '/feeds/skjaergardsliv.rss', {
        headers: { 'If-Modified-Since': lastModified },
      })
    ).status,
    304,
  );
  const stale = await httpGet(site.ports.web, '/feeds/skjaergardsliv.rss', {
    headers: { 'If-None-Match': '"other"' },
  });
  assert.equal(stale.status, 200);
  const all = (await site.get('/feeds/all.rss')).text;
  assert.equal(all.match(/<item>/g)?.length, 2, 'everything: both series');
});

test('live swarm figures: v1 and v2 swarms of one torrent are counted once per peer', async () => {
  const stats = async () =>
    JSON.parse((await site.get('/series/skjaergardsliv/s01e02/stats.json')).text) as Record<string, number>;
  assert.deepEqual(
    { ...(await stats()), formatted: undefined },
    { seeders: 0, leechers: 0, completed: 0, formatted: undefined },
  );
  // One client announcing both names of the hybrid torrent (as libtorrent does), one v1-only leecher.
  const ann = async (hex: string, port: number, left: number, event?: string) => {
    const r = await httpGet(
      site.ports.http,
      announcePath({ hash: Buffer.from(hex, 'hex'), port, left, event }),
    );
    assert.equal(r.status, 200);
  };
  await ann(ep1.v1, 7001, 0, 'completed');
  await ann(truncateV2(ep1.v2), 7001, 0, 'completed');
  await ann(ep1.v1, 7002, 1000);
  // The page caches figures for two seconds.
  await waitFor(async () => (await stats()).leechers === 1, 5000, 'figures');
  const s = await stats();
  assert.equal(s.seeders, 1);
  assert.equal(s.leechers, 1);
  assert.equal(s.completed, 1, 'the larger of the two swarms');
  const page = await site.get('/series/skjaergardsliv/s01e02');
  has(page.text, /<data id="swarm-seeders" value="1">1<\/data>/);
});

test("the player's files: hashed assets cached for good, the service worker at the root", async () => {
  const page = (await site.get('/series/skjaergardsliv/s01e02')).text;
  const urls = [...page.matchAll(/(?:href|src|data-webtorrent)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  assert.ok(urls.length >= 4, urls.join(' '));
  for (const u of urls) {
    const r = await httpGet(site.ports.web, u);
    assert.equal(r.status, 200, u);
    assert.match(String(r.headers['cache-control']), /immutable/, u);
    assert.match(String(r.headers['content-type']), /^(text\/css|text\/javascript|image\/svg\+xml)/, u);
  }
  const sw = await httpGet(site.ports.web, '/webtorrent-sw.js');
  assert.equal(sw.status, 200);
  assert.equal(sw.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(sw.headers['cache-control'], 'no-cache');
});

test('an episode of one file: the folder URL gets the file (libtorrent), the player torrent names it (WebTorrent)', async () => {
  const folder = `/media/evil-script-alert-4-script-show/${ep2.name}`;
  const file = `${folder}/${ep2.name}.mkv`;
  const direct = await httpGet(site.ports.web, file);
  const viaFolder = await httpGet(site.ports.web, folder, { headers: { Range: 'bytes=0-99' } });
  assert.equal(viaFolder.status, 206);
  assert.ok(viaFolder.body.equals(direct.body.subarray(0, 100)));
  assert.equal((await httpGet(site.ports.web, `${folder}/`)).status, 404, 'still no listing');
  // Two files (video and subtitles): the folder is not a file.
  assert.equal((await httpGet(site.ports.web, `/media/skjaergardsliv/${ep1.name}`)).status, 404);

  const player = await httpGet(
    site.ports.web,
    '/series/evil-script-alert-4-script-show/s01e01/player.torrent',
  );
  assert.equal(player.status, 200);
  const t = parseTorrent(player.body);
  assert.equal(t.infoHashV1, ep2.v1, 'same info dictionary');
  assert.equal(t.infoHashV2, ep2.v2);
  assert.deepEqual(t.urlList, [`${site.base}${file}`]);
  const original = readFileSync(join(site.data, 'torrents', `${ep2.name}.torrent`));
  const forTwo = await httpGet(site.ports.web, '/series/skjaergardsliv/s01e02/player.torrent');
  assert.ok(
    forTwo.body.equals(readFileSync(join(site.data, 'torrents', `${ep1.name}.torrent`))),
    'several files: as published',
  );
  assert.ok(!player.body.equals(original));
  // The magnet's web seed names the file too (WebTorrent and libtorrent read `ws` the same way).
  const page = (await site.get('/series/evil-script-alert-4-script-show/s01e01')).text;
  const magnet = /href="(magnet:[^"]+)"/.exec(page)?.[1] ?? '';
  assert.deepEqual(new URLSearchParams(magnet.replace(/&amp;/g, '&').slice(8)).getAll('ws'), [
    `${site.base}${file}`,
  ]);
});

test('an unpublished episode leaves its page, its series, the feeds and its downloads', async () => {
  const r = await fjord([
    'unpublish',
    '--data',
    site.data,
    '--series',
    'evil-script-alert-4-script-show',
    '--season',
    '1',
    '--episode',
    '1',
  ]);
  assert.equal(r.status, 0, r.stderr);
  await waitFor(
    async () => (await site.get('/series/evil-script-alert-4-script-show/s01e01')).status === 410,
    10_000,
    'the page goes',
  );
  // 410 Gone, saying so and linking to the series.
  const gone = await site.get('/series/evil-script-alert-4-script-show/s01e01?lang=en');
  assert.match(gone.text, /<h1>No longer available<\/h1>/);
  assert.match(
    gone.text,
    /<a href="\/series\/evil-script-alert-4-script-show">See other episodes of Evil &lt;script&gt;/,
  );
  assert.equal(
    (await site.get('/series/evil-script-alert-4-script-show/s01e09')).status,
    404,
    'never published: 404',
  );
  assert.equal(
    (await site.get('/series/evil-script-alert-4-script-show')).status,
    404,
    'a series with nothing to show',
  );
  assert.equal((await site.get(`/torrents/${ep2.name}.torrent`)).status, 404);
  assert.equal((await site.get(`/torrents/${ep2.name}.v1.torrent`)).status, 404);
  const feed = await site.get('/feeds/evil-script-alert-4-script-show.rss');
  assert.equal(feed.status, 200, 'the feed stays for its subscribers');
  assert.equal(feed.text.match(/<item>/g), null, 'with no items');
  assert.equal((await site.get('/feeds/all.rss')).text.match(/<item>/g)?.length, 1);
  assert.doesNotMatch((await site.get('/')).text, /evil-script/);
});

/**
 * Units of the audience pages: the one escaping helper and its templates, the language choice from
 * ?lang, the cookie and Accept-Language, strict query strings, the Content-Security-Policy, magnet
 * links, and the feed XML (well-formed as a real XML parser reads it, whatever the catalog holds).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { escapeText, html, join, raw, safeUrl, xml, Markup } from '../../src/web/html.js';
import {
  chooseLanguage,
  languageCookie,
  languageFromAccept,
  languageFromCookie,
  parseAcceptLanguage,
} from '../../src/web/i18n.js';
import { contentSecurityPolicy, cspSource, parseQuery } from '../../src/web/layout.js';
import { renderFeed, feedEntity } from '../../src/web/feeds.js';
import { magnetLink } from '../../src/protocol/magnet.js';
import type { EpisodeEntry, SeriesEntry } from '../../src/web/site-data.js';
import { episodePage, playerTracks, type PageLinks } from '../../src/web/pages.js';
import { program, skipUnless } from '../helpers/programs.js';

test('escapeText escapes the five special characters and replaces what XML forbids', () => {
  assert.equal(
    escapeText(`<a href="x" title='y'>&amp;</a>`),
    '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;',
  );
  assert.equal(escapeText('a\u0000b\u0001c\td\ne\rf'), 'a\uFFFDb\uFFFDc\td\ne\rf');
  assert.equal(escapeText('\uFFFE\uFFFF'), '\uFFFD\uFFFD');
  assert.equal(escapeText('x\uD800y'), 'x\uFFFDy', 'a lone high surrogate');
  assert.equal(escapeText('x\uDC00y'), 'x\uFFFDy', 'a lone low surrogate');
  assert.equal(escapeText('😀 Skjærgårdsliv'), '😀 Skjærgårdsliv', 'pairs and non-ASCII stay');
});

test('escapeText never leaves a tag, quote or raw ampersand (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      const out = escapeText(s);
      assert.ok(!/[<>"']/.test(out));
      assert.ok(!/&(?!(amp|lt|gt|quot|#39);)/.test(out));
    }),
  );
});

test('html`` escapes values, keeps nested markup, joins arrays, drops null/undefined/false', () => {
  const evil = '<script>alert(1)</script>';
  // prettier-ignore
  const m = html`<p title="${evil}">${evil}${html`<b>${'&'}</b>`}${[1, '<', html`<i></i>`]}${null}${undefined}${false}</p>`;
  assert.ok(m instanceof Markup);
  assert.equal(
    m.value,
    '<p title="&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;alert(1)&lt;/script&gt;<b>&amp;</b>1&lt;<i></i></p>',
  );
  assert.equal(raw('<!doctype html>').value, '<!doctype html>');
  assert.equal(join(['a', html`<b></b>`, '<'], ', ').value, 'a, <b></b>, &lt;');
  assert.equal(xml`<t a="${'"'}">${"'"}</t>`.value, '<t a="&quot;">&#39;</t>');
});

test('templates refuse unquoted attribute values and text between attributes', () => {
  const v = 'x onmouseover=alert(1)';
  // prettier-ignore
  assert.throws(() => html`<a href=${v}>`, /unquoted attribute/);
  // prettier-ignore
  assert.throws(() => html`<a ${v}>`, /between attributes/);
  // Inside quotes, even after "?lang=", is fine; so is markup (or nothing) between attributes.
  // prettier-ignore
  assert.equal(html`<a href="?lang=${'en'}">`.value, '<a href="?lang=en">');
  // prettier-ignore
  assert.equal(html`<a href="/"${html` download`}${''}>`.value, '<a href="/" download>');
  assert.throws(() => html`<p>${{ a: 1 } as unknown as string}</p>`, /cannot put/);
});

test('safeUrl lets through http(s), magnet and site paths only', () => {
  assert.equal(safeUrl('https://x.no/a'), 'https://x.no/a');
  assert.equal(safeUrl('magnet:?xt=urn:btih:00'), 'magnet:?xt=urn:btih:00');
  assert.equal(safeUrl('/series/a'), '/series/a');
  for (const bad of [
    'javascript:alert(1)',
    ' JavaScript:alert(1)',
    'data:text/html,x',
    '//evil.example/',
    'vbscript:x',
  ])
    assert.equal(safeUrl(bad), '#', bad);
});

test('Accept-Language: parsing, q values, and the language chosen', () => {
  assert.deepEqual(parseAcceptLanguage('en-GB;q=0.8, nb, *;q=0.1, bad tag, de;q=2'), [
    { tag: 'nb', q: 1 },
    { tag: 'en-gb', q: 0.8 },
    { tag: '*', q: 0.1 },
  ]);
  assert.equal(languageFromAccept('nb-NO,nb;q=0.9,en;q=0.8'), 'nb');
  assert.equal(languageFromAccept('no'), 'nb');
  assert.equal(languageFromAccept('nn-NO'), 'nb', 'Nynorsk readers get Bokmål');
  assert.equal(languageFromAccept('en-US,en;q=0.9'), 'en');
  assert.equal(languageFromAccept('de, en;q=0.5, nb;q=0.4'), 'en');
  assert.equal(languageFromAccept('nb;q=0, en'), 'en', 'q=0 means not acceptable');
  assert.equal(languageFromAccept('de, fr'), null);
  assert.equal(languageFromAccept(undefined), null);
});

test('chooseLanguage: ?lang, then the cookie, then Accept-Language, then the defaults', () => {
  assert.deepEqual(chooseLanguage({ query: 'en', cookie: 'fjord_lang=nb', acceptLanguage: 'nb' }), {
    lang: 'en',
    source: 'query',
  });
  assert.deepEqual(chooseLanguage({ query: null, cookie: 'a=1; fjord_lang=en', acceptLanguage: 'nb' }), {
    lang: 'en',
    source: 'cookie',
  });
  assert.deepEqual(chooseLanguage({ query: null, cookie: 'fjord_lang=xx', acceptLanguage: 'en' }), {
    lang: 'en',
    source: 'accept-language',
  });
  assert.equal(chooseLanguage({ query: null }).lang, 'nb', 'nothing said: Bokmål');
  assert.equal(
    chooseLanguage({ query: null, acceptLanguage: 'de-DE' }).lang,
    'en',
    'other languages: English',
  );
  assert.equal(languageFromCookie('fjord_lang=en'), 'en');
  assert.equal(languageFromCookie('fjord_langx=en'), null);
  assert.match(languageCookie('nb'), /^fjord_lang=nb; Path=\/; Max-Age=\d+; SameSite=Lax$/);
});

test('parseQuery is strict: bad percent-escapes and control characters are refused', () => {
  assert.deepEqual(
    [...(parseQuery('lang=en&a=1&a=2&b') ?? [])],
    [
      ['lang', ['en']],
      ['a', ['1', '2']],
      ['b', ['']],
    ],
  );
  assert.deepEqual([...(parseQuery('q=a+b%20c%C3%A6') ?? [])], [['q', ['a b cæ']]]);
  assert.equal(parseQuery('a=%zz'), null);
  assert.equal(parseQuery('a=%C3'), null, 'not UTF-8');
  assert.equal(parseQuery('a=%00'), null);
  assert.equal(parseQuery('=x'), null, 'no key');
  assert.equal(parseQuery('x'.repeat(3000)), null, 'too long');
  assert.equal(parseQuery('')?.size, 0);
});

test('the Content-Security-Policy allows only this origin, plus the origins a page names', () => {
  const base = contentSecurityPolicy();
  for (const d of [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ])
    assert.ok(base.split('; ').includes(d), `${d} in ${base}`);
  assert.ok(!/unsafe-inline|unsafe-eval|\*/.test(base));
  const player = contentSecurityPolicy({
    connect: [
      'ws://127.0.0.1:6969/announce',
      'http://cdn.example.no/media/x/',
      'javascript:alert(1)',
      'not a url',
    ],
    media: ['http://cdn.example.no/media/x/'],
  });
  assert.match(player, /connect-src 'self' ws:\/\/127\.0\.0\.1:6969 http:\/\/cdn\.example\.no;/);
  assert.match(player, /media-src 'self' blob: http:\/\/cdn\.example\.no;/);
  assert.equal(cspSource('wss://t.example.no:443/announce'), 'wss://t.example.no');
  assert.equal(cspSource("http://a.no/'none'"), 'http://a.no');
});

test('magnet links carry v1 and v2 xt, dn, every tr, ws and xs, each percent-encoded', () => {
  const v1 = 'a'.repeat(40);
  const v2 = 'b'.repeat(64);
  const m = magnetLink({
    v1,
    v2,
    name: 'show-s01e02',
    trackers: [
      'http://t.example/announce?x=1&y=2',
      'udp://t.example:6969/announce',
      'ws://t.example/announce',
    ],
    webSeeds: ['http://tv.example/media/show/'],
    xs: 'http://tv.example/torrents/show-s01e02.torrent',
  });
  const u = new URL(m);
  assert.equal(u.protocol, 'magnet:');
  const p = new URLSearchParams(u.search);
  assert.deepEqual(p.getAll('xt'), [`urn:btih:${v1}`, `urn:btmh:1220${v2}`]);
  assert.equal(p.get('dn'), 'show-s01e02');
  assert.deepEqual(p.getAll('tr'), [
    'http://t.example/announce?x=1&y=2',
    'udp://t.example:6969/announce',
    'ws://t.example/announce',
  ]);
  assert.deepEqual(p.getAll('ws'), ['http://tv.example/media/show/']);
  assert.equal(p.get('xs'), 'http://tv.example/torrents/show-s01e02.torrent');
});

/** An episode entry as SiteData builds it, with hostile text everywhere text can come from. */
function hostileEntry(): EpisodeEntry {
  const at = new Date('2026-03-03T17:00:00Z');
  const evil = `<script>alert("x")</script> & ]]> \u0001 \uFFFF`;
  return {
    episode: {
      id: 1,
      seriesId: 1,
      seriesSlug: 'show',
      seriesTitle: `Show ${evil}`,
      season: 1,
      episode: 2,
      title: `Title ${evil}`,
      description: `Desc ${evil}`,
      durationSeconds: 4,
      publishedAt: at,
      createdAt: at,
      updatedAt: at,
      withdrawnAt: null,
      stillPath: null,
      announce: false,
      rights: {
        licence: 'CC-BY-4.0',
        holders: [evil],
        clearedWorldwide: true,
        availableFrom: at,
        availableUntil: null,
      },
      media: [],
      torrents: [],
      subtitles: [],
    },
    code: 'S01E02',
    path: '/series/show/s01e02',
    twinTorrentPath: '/torrents/show-s01e02.v1.torrent',
    torrent: {
      id: 1,
      infoHashV1: 'a'.repeat(40),
      infoHashV2: 'b'.repeat(64),
      infoHashAria2: 'c'.repeat(40),
      infoHashV1Twin: 'c'.repeat(40),
      path: 'torrents/show-s01e02.torrent',
      sizeBytes: 1234,
      pieceLength: 16384,
      mode: 'hybrid',
      createdAt: at,
    },
    torrentPath: '/torrents/show-s01e02.torrent',
    infoHash: 'a'.repeat(40),
    facts: { name: 'show-s01e02', contentLength: 99999, trackers: [], webSeeds: [], files: [] },
    video: {
      path: 'media/show/show-s01e02/show-s01e02.webm',
      inTorrent: 'show-s01e02/show-s01e02.webm',
      mimeType: 'video/webm',
      sizeBytes: 1,
      unplayable: [],
    },
    still: null,
    subtitles: [
      { language: 'nb', kind: 'official', srt: null, vtt: 'subtitles/show/show-s01e02/show-s01e02.nb.vtt' },
    ],
  };
}

test(
  'a feed with hostile text is well-formed XML that a real parser reads back',
  { skip: skipUnless(program('python3')) },
  () => {
    const e = hostileEntry();
    const body = renderFeed({
      title: e.episode.seriesTitle,
      link: 'http://tv.example/series/show',
      self: 'http://tv.example/feeds/show.rss',
      description: 'd <b>',
      lastBuildDate: new Date('2026-03-04T00:00:00Z'),
      ttlMinutes: 30,
      items: [e],
      urls: { abs: (p) => `http://tv.example${p}`, magnet: () => 'magnet:?xt=urn:btih:aaa&dn=x' },
    });
    assert.ok(!body.includes('<script>'));
    assert.ok(!body.includes('\u0001') && !body.includes('\uFFFF'));
    const py = `
import sys, xml.etree.ElementTree as ET, json
root = ET.fromstring(sys.stdin.buffer.read())
ns = {'media': 'http://search.yahoo.com/mrss/', 'torrent': 'http://xmlns.ezrss.it/0.1/'}
item = root.find('channel/item')
print(json.dumps({
  'title': item.findtext('title'), 'description': item.findtext('description'),
  'guid': item.findtext('guid'), 'guidPermaLink': item.find('guid').get('isPermaLink'),
  'enclosure': item.find('enclosure').attrib, 'pubDate': item.findtext('pubDate'),
  'magnet': item.findtext('torrent:magnetURI', namespaces=ns),
  'infoHash': item.findtext('torrent:infoHash', namespaces=ns),
  'subtitles': [s.attrib for s in item.findall('media:subTitle', ns)],
  'ttl': root.findtext('channel/ttl'), 'lastBuildDate': root.findtext('channel/lastBuildDate'),
}))
`;
    const r = spawnSync('python3', ['-c', py], { input: body, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(
      got.title,
      'Show <script>alert("x")</script> & ]]> \uFFFD \uFFFD S01E02: Title <script>alert("x")</script> & ]]> \uFFFD \uFFFD',
    );
    // A description is HTML to feed readers: the text arrives HTML-escaped, so it shows as text.
    assert.equal(
      got.description,
      'Desc &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; ]]&gt; \uFFFD \uFFFD',
    );
    assert.equal(got.guid, 'a'.repeat(40));
    assert.equal(got.guidPermaLink, 'false');
    assert.deepEqual(got.enclosure, {
      url: 'http://tv.example/torrents/show-s01e02.torrent',
      length: '1234',
      type: 'application/x-bittorrent',
    });
    assert.equal(got.pubDate, 'Tue, 03 Mar 2026 17:00:00 GMT');
    assert.equal(got.magnet, 'magnet:?xt=urn:btih:aaa&dn=x');
    assert.equal(got.infoHash, 'a'.repeat(40));
    assert.deepEqual(got.subtitles, [
      {
        type: 'text/vtt',
        lang: 'nb',
        href: 'http://tv.example/subtitles/show/show-s01e02/show-s01e02.nb.vtt',
      },
    ]);
    assert.equal(got.ttl, '30');
    assert.equal(got.lastBuildDate, 'Wed, 04 Mar 2026 00:00:00 GMT');
  },
);

test('feedEntity: a strong ETag from the bytes, Last-Modified in whole seconds', () => {
  const a = feedEntity('<rss/>', new Date('2026-03-03T17:00:00.900Z'));
  const b = feedEntity('<rss/>', null);
  const c = feedEntity('<rss />', null);
  assert.match(a.etag, /^"[A-Za-z0-9_-]+"$/);
  assert.equal(a.etag, b.etag);
  assert.notEqual(a.etag, c.etag);
  assert.equal(a.lastModified?.toISOString(), '2026-03-03T17:00:00.000Z');
  assert.equal(a.size, 6);
});

test('player tracks: the page language first, on by default only when the programme is in another', () => {
  const sub = (language: string, kind: 'official' | 'community' = 'official') => ({
    language,
    kind,
    srt: null,
    vtt: `subtitles/x/${language}-${kind}.vtt`,
  });
  const subs = [sub('de'), sub('en'), sub('nb'), sub('en', 'community'), { ...sub('fr'), vtt: null }];
  const en = playerTracks('en', subs, { programmeLanguage: 'nb' });
  assert.deepEqual(
    en.map((t) => `${t.language}/${t.kind}/${t.on}`),
    ['en/official/true', 'en/community/false', 'de/official/false', 'nb/official/false'],
  );
  const nb = playerTracks('nb', subs, { programmeLanguage: 'nb' });
  assert.deepEqual(
    nb.map((t) => `${t.language}/${t.on}`),
    ['nb/false', 'de/false', 'en/false', 'en/false'],
  );
  const off = playerTracks('en', subs, { programmeLanguage: 'nb', subtitlesOnWhenForeign: false });
  assert.equal(off[0].language, 'en');
  assert.ok(off.every((t) => !t.on));
  // In the page: one <track default>, the first.
  const e = hostileEntry();
  e.subtitles = [sub('nb'), sub('en')];
  const page = episodePage(
    'en',
    e,
    hostileSeries(e),
    { seeders: 0, leechers: 0, completed: 0 },
    links(),
    undefined,
  );
  const tracks = [...page.main.value.matchAll(/<track[^>]*>/g)].map((m) => m[0]);
  assert.equal(tracks.length, 2);
  assert.match(tracks[0], /srclang="en"[\s\S]*default/);
  assert.doesNotMatch(tracks[1], /default/);
});

function hostileSeries(e: EpisodeEntry): SeriesEntry {
  return {
    series: {
      id: 1,
      slug: 'show',
      title: e.episode.seriesTitle,
      description: null,
      createdAt: new Date(0),
      posterPath: null,
      bannerPath: null,
    },
    poster: null,
    banner: null,
    upcoming: [],
    path: '/series/show',
    feedPath: '/feeds/show.rss',
    episodes: [e],
    lastChange: null,
  };
}

function links(): PageLinks {
  return {
    abs: (p) => `http://tv.example${p}`,
    magnet: () => 'magnet:?xt=urn:btih:aaa',
    allFeed: '/feeds/all.rss',
    player: {
      programmeLanguage: 'nb',
      script: '/p.js',
      webtorrent: '/w.js',
      serviceWorker: '/sw.js',
      wsTrackers: [],
      iceServers: [],
    },
  };
}

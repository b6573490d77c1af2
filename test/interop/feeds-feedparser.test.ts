/**
 * fjord's RSS feeds read by a real feed parser: Debian's python3-feedparser (under /usr/bin/python3),
 * fetching from a running `fjord serve` as a subscriber would. Every field a torrent client or a
 * podcast app uses must come back: titles with S01E02, the BEP 36 enclosure (url, length = the
 * .torrent's size, type), guid (the info hash, not a permalink), pubDate, the ezRSS torrent namespace,
 * Media RSS content, subtitles and peer link, ttl and lastBuildDate. feedparser's own conditional GET
 * (ETag, then Last-Modified) gets 304. An episode published with a window a few seconds long leaves
 * the feed when the window closes, with no command, and lastBuildDate moves on.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pythonModule, skipUnless } from '../helpers/programs.js';
import { randomFile } from '../publish/publish-helpers.js';
import { publish, SRT_EN, SRT_NB, startSite, waitFor, type Site } from '../web/site-helpers.js';

const skip = skipUnless(pythonModule('feedparser'));

/** Reads a feed with feedparser; prints what it understood as JSON. */
const READ_FEED = `
import sys, json, calendar, feedparser
url, etag, modified = sys.argv[1], sys.argv[2] or None, sys.argv[3] or None
d = feedparser.parse(url, etag=etag, modified=modified)
def when(t):
    return None if t is None else calendar.timegm(t)
print(json.dumps({
  'status': d.get('status'), 'bozo': d.get('bozo'), 'bozo_exception': str(d.get('bozo_exception', '')),
  'etag': d.get('etag'), 'modified': d.get('modified'), 'version': d.get('version'),
  'feed': {k: d.feed.get(k) for k in ('title', 'link', 'subtitle', 'ttl', 'generator')},
  'updated': when(d.feed.get('updated_parsed')),
  'namespaces': d.get('namespaces'),
  'entries': [{
    'title': e.get('title'), 'link': e.get('link'), 'id': e.get('id'), 'guidislink': e.get('guidislink'),
    'summary': e.get('summary'), 'published': when(e.get('published_parsed')),
    'tags': [t.get('term') for t in e.get('tags', [])],
    'enclosures': [dict(x) for x in e.get('enclosures', [])],
    'torrent_infohash': e.get('torrent_infohash'), 'torrent_contentlength': e.get('torrent_contentlength'),
    'torrent_filename': e.get('torrent_filename'), 'torrent_magneturi': e.get('torrent_magneturi'),
    'media_content': e.get('media_content'), 'media_subtitle': e.get('media_subtitle'),
    'media_peerlink': e.get('media_peerlink'),
  } for e in d.entries],
}))
`;

interface Parsed {
  status: number;
  bozo: number | boolean;
  bozo_exception: string;
  etag: string | null;
  modified: string | null;
  version: string;
  feed: Record<string, string | null>;
  updated: number | null;
  namespaces: Record<string, string>;
  entries: Array<{
    title: string;
    link: string;
    id: string;
    guidislink: boolean;
    summary: string;
    published: number;
    tags: string[];
    enclosures: Array<Record<string, string>>;
    torrent_infohash: string;
    torrent_contentlength: string;
    torrent_filename: string;
    torrent_magneturi: string;
    media_content: Array<Record<string, string>>;
    media_subtitle: Record<string, string>;
    media_peerlink: Record<string, string>;
  }>;
}

function feedparser(url: string, etag = '', modified = ''): Parsed {
  const r = spawnSync('/usr/bin/python3', ['-c', READ_FEED, url, etag, modified], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Parsed;
}

let site: Site;
let ep1: { v1: string; v2: string; name: string };
let ep2: { v1: string; v2: string; name: string };
let until: Date;

before(async () => {
  if (skip) return;
  site = await startSite('fjord-feeds-');
  const video = join(site.work, 'video.mkv');
  randomFile(video, 150_000);
  writeFileSync(join(site.work, 'nb.srt'), SRT_NB);
  writeFileSync(join(site.work, 'en.srt'), SRT_EN);
  ep1 = await publish(site, {
    file: video,
    series: 'Kystliv',
    season: 1,
    episode: 1,
    title: 'Fyr & flamme',
    description: 'Om fyret <på> Lista.',
    subtitles: [
      ['nb', join(site.work, 'nb.srt')],
      ['en', join(site.work, 'en.srt')],
    ],
  });
  // A window of a few seconds: the episode must leave the feed by itself.
  until = new Date(Math.ceil((Date.now() + 9000) / 1000) * 1000);
  ep2 = await publish(site, {
    file: video,
    series: 'kystliv',
    season: 1,
    episode: 2,
    title: 'Kort vindu',
    extra: ['--available-until', until.toISOString()],
  });
  await waitFor(
    async () => ((await site.get('/feeds/kystliv.rss')).text.match(/<item>/g) ?? []).length === 2,
    5000,
    'both episodes in the feed',
  );
});
after(() => site?.stop());

test('feedparser reads every field of a series feed', { skip, timeout: 60_000 }, () => {
  const url = `${site.base}/feeds/kystliv.rss`;
  const d = feedparser(url);
  assert.equal(d.status, 200);
  assert.ok(!d.bozo, `well-formed: ${d.bozo_exception}`);
  assert.equal(d.version, 'rss20');
  assert.equal(d.feed.title, 'Kystliv');
  assert.equal(d.feed.link, `${site.base}/series/kystliv`);
  assert.equal(d.feed.ttl, '30');
  assert.equal(d.feed.generator, 'fjord');
  assert.equal(d.namespaces.torrent, 'http://xmlns.ezrss.it/0.1/');
  assert.equal(d.namespaces.media, 'http://search.yahoo.com/mrss/');
  assert.equal(d.entries.length, 2);
  // Newest first: episode 2 was published last.
  const [e2, e1] = d.entries;
  assert.equal(e1.title, 'Kystliv S01E01: Fyr & flamme');
  assert.equal(e2.title, 'Kystliv S01E02: Kort vindu');
  assert.equal(e1.link, `${site.base}/series/kystliv/s01e01`);
  // Descriptions are HTML to readers: the publisher's text comes out as text, never as markup.
  assert.equal(e1.summary, 'Om fyret &lt;på&gt; Lista.');
  assert.deepEqual(e1.tags, ['Kystliv']);
  assert.equal(e1.id, ep1.v1, 'guid: the v1 info hash');
  assert.equal(e1.guidislink, false);
  const torrentUrl = `${site.base}/torrents/${ep1.name}.torrent`;
  const torrentSize = statSync(join(site.data, 'torrents', `${ep1.name}.torrent`)).size;
  assert.deepEqual(e1.enclosures, [
    { href: torrentUrl, length: String(torrentSize), type: 'application/x-bittorrent' },
  ]);
  assert.ok(Math.abs(e1.published * 1000 - Date.now()) < 120_000, 'pubDate: publication time');
  assert.ok(e2.published >= e1.published);
  assert.equal(e1.torrent_infohash, ep1.v1);
  assert.equal(e1.torrent_filename, `${ep1.name}.torrent`);
  assert.ok(Number(e1.torrent_contentlength) > 150_000, 'content bytes: video and subtitles');
  const magnet = new URLSearchParams(e1.torrent_magneturi.slice('magnet:?'.length));
  assert.deepEqual(magnet.getAll('xt'), [`urn:btih:${ep1.v1}`, `urn:btmh:1220${ep1.v2}`]);
  assert.equal(magnet.get('xs'), torrentUrl);
  assert.ok(magnet.getAll('tr').includes(`http://127.0.0.1:${site.ports.http}/announce`));
  assert.deepEqual(magnet.getAll('ws'), [`${site.base}/media/kystliv/`]);
  assert.equal(e1.media_content.length, 1);
  assert.equal(e1.media_content[0].url, torrentUrl);
  assert.equal(e1.media_content[0].type, 'application/x-bittorrent');
  assert.equal(e1.media_content[0].filesize, String(torrentSize));
  assert.equal(e1.media_content[0].medium, 'video');
  // feedparser keeps one media:subTitle per item (the last; languages are in order, so nb); the next
  // test reads them all.
  assert.deepEqual(e1.media_subtitle, {
    type: 'text/vtt',
    lang: 'nb',
    href: `${site.base}/subtitles/kystliv/${ep1.name}/${ep1.name}.nb.vtt`,
  });
  assert.deepEqual(e1.media_peerlink, { type: 'application/x-bittorrent', href: torrentUrl });
  assert.equal(e2.media_subtitle, null, 'no subtitles, no media:subTitle');
  assert.ok(d.updated !== null && d.updated >= e2.published, 'lastBuildDate: the last change');
});

test(
  'every subtitle language is listed (read with a plain XML parser, which keeps them all)',
  { skip },
  async () => {
    const xml = (await site.get('/feeds/kystliv.rss')).text;
    const r = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        `import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
for s in root.iter('{http://search.yahoo.com/mrss/}subTitle'): print(s.get('lang'), s.get('type'), s.get('href'))`,
      ],
      { input: xml, encoding: 'utf8', timeout: 20_000 },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      `en text/vtt ${site.base}/subtitles/kystliv/${ep1.name}/${ep1.name}.en.vtt`,
      `nb text/vtt ${site.base}/subtitles/kystliv/${ep1.name}/${ep1.name}.nb.vtt`,
    ]);
    for (const lang of ['en', 'nb']) {
      const vtt = await site.get(`/subtitles/kystliv/${ep1.name}/${ep1.name}.${lang}.vtt`);
      assert.equal(vtt.status, 200);
    }
  },
);

test("feedparser's conditional GET gets 304, with the ETag and with Last-Modified", { skip }, () => {
  const url = `${site.base}/feeds/kystliv.rss`;
  const first = feedparser(url);
  assert.ok(first.etag, 'an ETag');
  assert.ok(first.modified, 'a Last-Modified');
  assert.equal(feedparser(url, first.etag ?? '').status, 304);
  assert.equal(feedparser(url, '', first.modified ?? '').status, 304);
  const all = feedparser(`${site.base}/feeds/all.rss`);
  assert.equal(all.status, 200);
  assert.equal(all.entries.length, 2);
  assert.equal(feedparser(`${site.base}/feeds/all.rss`, all.etag ?? '').status, 304);
});

test(
  'an episode leaves the feed when its window closes, and lastBuildDate moves on',
  { skip, timeout: 60_000 },
  async () => {
    const url = `${site.base}/feeds/kystliv.rss`;
    const before = feedparser(url);
    assert.equal(before.entries.length, 2, 'still open');
    const wait = until.getTime() - Date.now();
    assert.ok(wait > 0, 'the window was still open when the test began');
    await new Promise((r) => setTimeout(r, wait + 300));
    await waitFor(
      async () => !(await site.get('/feeds/kystliv.rss')).text.includes(ep2.v1),
      5000,
      'the item leaves',
    );
    const after = feedparser(url, before.etag ?? '', before.modified ?? '');
    assert.equal(after.status, 200, 'changed: no 304');
    assert.deepEqual(
      after.entries.map((e) => e.title),
      ['Kystliv S01E01: Fyr & flamme'],
    );
    assert.equal(after.updated, until.getTime() / 1000, 'lastBuildDate: the moment the window closed');
    assert.notEqual(after.etag, before.etag);
    assert.equal((await site.get(`/torrents/${ep2.name}.torrent`)).status, 404);
    assert.equal(feedparser(`${site.base}/feeds/all.rss`).entries.length, 1);
  },
);

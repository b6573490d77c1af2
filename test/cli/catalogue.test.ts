/**
 * `fjord episode ...` and `fjord series ...` (issue 17, findings 2 and 3) as a user runs them (child
 * processes) against a data directory that a real `fjord serve` is serving: edits show on the
 * episode page and in the feeds within seconds while the .torrent and its info hashes stay as they
 * were; an unpublished episode can be restored; a never-distributed one is deleted with its files,
 * and its number can be published again; every change is in the audit log.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCatalog } from '../../src/catalog/index.js';
import { runFjord } from '../helpers/cli.js';
import { randomFile, sha256, tinyVideo } from '../publish/publish-helpers.js';
import { publish, startSite, waitFor, type Site } from '../web/site-helpers.js';

let site: Site;
let video: string;

before(async () => {
  site = await startSite('fjord-catalogue-');
  video = join(site.work, 'source.mkv');
  randomFile(video, 200_000);
});
after(() => site.stop());

const cli = (...args: string[]) => runFjord([...args, '--data', site.data]);
const where = (season: number, episode: number) => [
  '--series',
  'skjaergardsliv',
  '--season',
  String(season),
  '--episode',
  String(episode),
];

test('episode edit and series edit: pages and feeds change within seconds, the torrent does not', async () => {
  const { v1 } = await publish(site, {
    file: video,
    series: 'Skjærgårdsliv',
    season: 1,
    episode: 1,
    title: 'Fyr og flame',
    description: 'Om fyrvoktere.',
  });
  const torrentPath = join(site.data, 'torrents/skjaergardsliv-s01e01.torrent');
  const torrentBefore = sha256(readFileSync(torrentPath));
  await waitFor(async () => (await site.get('/series/skjaergardsliv/s01e01')).status === 200, 20_000, 'page');

  const r = cli(
    'episode',
    'edit',
    ...where(1, 1),
    ...['--title', 'Fyr og flamme', '--description', 'Om fyrvokterne på kysten.'],
    ...['--credit', 'NRK', '--credit', 'Fyrhistorisk lag'],
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^edited skjaergardsliv-s01e01: "Fyr og flamme"; credits: NRK, Fyrhistorisk lag; info hashes unchanged/,
  );
  const s = cli(
    'series',
    'edit',
    '--series',
    'skjaergardsliv',
    '--title',
    'Skjærgårdsliv i vinter',
    '--description',
    'Kystliv.',
  );
  assert.equal(s.status, 0, s.stderr);

  await waitFor(
    async () => {
      const page = (await site.get('/series/skjaergardsliv/s01e01')).text;
      return (
        page.includes('Fyr og flamme') &&
        page.includes('Om fyrvokterne på kysten.') &&
        page.includes('Fyrhistorisk lag')
      );
    },
    20_000,
    'the episode page shows the edit',
  );
  await waitFor(
    async () => {
      const feed = (await site.get('/feeds/skjaergardsliv.rss')).text;
      return feed.includes('Fyr og flamme') && feed.includes('Skjærgårdsliv i vinter');
    },
    20_000,
    'the series feed shows the edit',
  );
  assert.ok(!(await site.get('/series/skjaergardsliv/s01e01')).text.includes('Fyr og flame<'));
  assert.equal(
    sha256(readFileSync(torrentPath)),
    torrentBefore,
    'the .torrent file is byte for byte the same',
  );

  const c = await openCatalog({ dataDir: site.data });
  try {
    const e = await c.getEpisode('skjaergardsliv', 1, 1);
    assert.equal(e?.torrents[0].infoHashV1, v1, 'the info hash is unchanged');
    const events = await c.listEvents({ limit: 5 });
    assert.deepEqual(
      events.slice(0, 2).map((x) => x.action),
      ['series.edit', 'episode.edit'],
    );
    assert.match(events[1].actor, /^cli/);
  } finally {
    await c.close();
  }

  const nothing = cli('episode', 'edit', ...where(1, 1));
  assert.equal(nothing.status, 1);
  assert.match(
    nothing.stderr,
    /^fjord: nothing to change: give --title, --description, --credit, --still or --announce\n$/,
  );
});

test('an unpublished episode is restored; a distributed one cannot be deleted', async () => {
  await publish(site, {
    file: video,
    series: 'skjaergardsliv',
    season: 1,
    episode: 2,
    title: 'To',
    extra: ['--new-series'],
  });
  assert.equal(cli('unpublish', ...where(1, 2)).status, 0);
  let list = cli('episode', 'list', '--series', 'skjaergardsliv');
  assert.match(list.stdout, /^skjaergardsliv-s01e02 {2}withdrawn {2}"To"$/m);
  const r = cli('episode', 'restore', ...where(1, 2));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^restored skjaergardsliv-s01e02: "To" is now distributing\n$/);
  list = cli('episode', 'list');
  assert.match(list.stdout, /^skjaergardsliv-s01e02 {2}distributing {2}"To"$/m);
  await waitFor(
    async () => (await site.get('/series/skjaergardsliv/s01e02')).status === 200,
    20_000,
    'restored page',
  );
  const d = cli('episode', 'delete', ...where(1, 2));
  assert.equal(d.status, 1);
  assert.match(d.stderr, /has been distributed, so peers may hold it: it cannot be deleted/);
});

test('a never-distributed episode is deleted with its files, and its number is free again', async () => {
  // A slip: published without --cleared (never distributed), with the wrong file.
  const r1 = runFjord([
    'publish',
    video,
    '--no-probe',
    ...['--data', site.data, ...where(2, 1), '--title', 'Feil fil', '-q'],
  ]);
  assert.equal(r1.status, 0, r1.stderr);
  const dirs = ['media/skjaergardsliv/skjaergardsliv-s02e01', 'torrents/skjaergardsliv-s02e01.torrent'];
  for (const d of dirs) assert.ok(existsSync(join(site.data, d)), d);
  const list = cli('episode', 'list');
  assert.match(list.stdout, /^skjaergardsliv-s02e01 {2}blocked, never distributed {2}"Feil fil"$/m);

  const d = cli('episode', 'delete', ...where(2, 1));
  assert.equal(d.status, 0, d.stderr);
  assert.match(
    d.stdout,
    /^deleted skjaergardsliv-s02e01: "Feil fil" and its files; season 2 episode 1 is free again\n$/,
  );
  for (const p of dirs) assert.ok(!existsSync(join(site.data, p)), `${p} removed`);
  assert.doesNotMatch(cli('episode', 'list').stdout, /s02e01/);

  const again = runFjord([
    'publish',
    video,
    '--no-probe',
    ...['--data', site.data, ...where(2, 1), '--title', 'Riktig', '-q'],
  ]);
  assert.equal(again.status, 0, again.stderr);
  const c = await openCatalog({ dataDir: site.data });
  try {
    const events = await c.listEvents({ limit: 3 });
    assert.deepEqual(
      events.slice(0, 2).map((x) => x.action),
      ['episode.publish', 'episode.delete'],
    );
  } finally {
    await c.close();
  }
});

test('an unknown series suggests the closest one', () => {
  const r = cli('episode', 'list', '--series', 'skjargardsliv');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^fjord: unknown series "skjargardsliv" \(did you mean skjaergardsliv\?\)\n$/);
  const p = runFjord([
    'publish',
    video,
    '--no-probe',
    '--data',
    site.data,
    '--series',
    'skjargardsliv',
    '--season',
    '9',
    '--episode',
    '9',
    '--title',
    'x',
  ]);
  assert.equal(p.status, 1);
  assert.match(
    p.stderr,
    /unknown series "skjargardsliv": no series "skjargardsliv" in the catalog \(did you mean skjaergardsliv\?\); add --new-series/,
  );
});

test('a video browsers cannot play: the episode page offers the download instead of the player', async () => {
  const clip = join(site.work, 'clip.mkv');
  assert.ok(tinyVideo(clip), 'ffmpeg made an MPEG-4 part 2 clip');
  const r = runFjord([
    'publish',
    clip,
    ...['--data', site.data, '--series', 'skjaergardsliv', '--season', '3', '--episode', '1'],
    ...['--title', 'Klipp', '--cleared', '-q'],
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /browsers cannot play video mpeg4/);
  let page = '';
  await waitFor(
    async () => {
      const p = await site.get('/series/skjaergardsliv/s03e01', { 'Accept-Language': 'en' });
      page = p.text;
      return p.status === 200;
    },
    20_000,
    'the page',
  );
  assert.match(page, /id="not-playable">Browsers cannot play this file \(video mpeg4\)/);
  assert.doesNotMatch(page, /<video/);
  assert.match(page, /\.torrent/, 'the download is offered');
  // Media published unprobed keeps the player (nothing is known against it).
  assert.match((await site.get('/series/skjaergardsliv/s01e01')).text, /<video\s+id="player-video"/);
});

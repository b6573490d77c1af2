/**
 * `fjord publish` and `fjord unpublish`: the happy path as a user runs it (a child process), the
 * catalog rows and the files it leaves, the torrent it makes (parsed back), reproducibility, and every
 * kind of bad input: one line naming the problem, a non-zero exit, and the data directory (catalog
 * and files) exactly as it was.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { openCatalog, truncateV2 } from '../../src/catalog/index.js';
import { parseTorrent } from '../../src/protocol/metainfo.js';
import { parseNumber, parseTime } from '../../src/cli/publish.js';
import { catalogLocation } from '../../src/catalog/index.js';
import { runFjord, NODE_ARGS } from '../helpers/cli.js';
import { tempDir } from '../helpers/tracker.js';
import { hasProgram } from '../helpers/programs.js';
import {
  fjord,
  listFiles,
  randomFile,
  sha256,
  sha256File,
  snapshot,
  tinyVideo,
  SRT_NB,
  VTT_EN,
} from './publish-helpers.js';

const WORK = tempDir('fjord-publish-');
const VIDEO = join(WORK, 'Episode One (final cut).mkv');
let videoBytes: Buffer;
const NB = join(WORK, 'nb.srt');
const EN = join(WORK, 'en.vtt');

before(() => {
  videoBytes = randomFile(VIDEO, 300_000);
  writeFileSync(NB, SRT_NB);
  writeFileSync(EN, VTT_EN);
});

test('happy path: files in the store, catalog rows, a torrent with the subtitles, printed hashes and magnet', async () => {
  const data = join(WORK, 'happy');
  const r = runFjord([
    'publish',
    '--no-probe',
    VIDEO,
    '--data',
    data,
    '--series',
    'Skjærgårdsliv',
    '--new-series',
    '--season',
    '1',
    '--episode',
    '2',
    '--title',
    'Fyr og flamme',
    '--description',
    'Om fyrvokterne.',
    '--subtitle',
    `nb:${NB}`,
    '--subtitle',
    `en-gb:${EN}`,
    '--licence',
    'CC-BY-4.0',
    '--rights-holder',
    'NRK',
    '--rights-holder',
    'Fyrhistorisk lag',
    '--cleared',
    '--available-from',
    '2020-01-01',
    '--available-until',
    '2099-12-01T18:00:00+01:00',
    '--tracker',
    'http://tracker.example:6969/announce',
    '--tracker',
    'udp://tracker.example:6969/announce',
    '--web-url',
    'https://tv.example/',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const name = 'skjaergardsliv-s01e02';
  const dir = `media/skjaergardsliv/${name}`;
  assert.deepEqual(listFiles(data), [
    `${dir}/${name}.en-GB.srt`,
    `${dir}/${name}.mkv`,
    `${dir}/${name}.nb.srt`,
    `subtitles/skjaergardsliv/${name}/${name}.en-GB.vtt`,
    `subtitles/skjaergardsliv/${name}/${name}.nb.vtt`,
    `torrents/${name}.torrent`,
  ]);
  assert.ok(readFileSync(join(data, dir, `${name}.mkv`)).equals(videoBytes));
  assert.match(
    readFileSync(join(data, dir, `${name}.nb.srt`), 'utf8'),
    /^1\n00:00:00,500 --> 00:00:01,500\nHei, <i>verden<\/i>!/,
  );
  assert.match(
    readFileSync(join(data, `subtitles/skjaergardsliv/${name}/${name}.en-GB.vtt`), 'utf8'),
    /^WEBVTT\n/,
  );

  // The torrent: a folder named after the episode (not its title) with the video and the SRTs.
  const t = parseTorrent(readFileSync(join(data, `torrents/${name}.torrent`)));
  assert.equal(t.name, name);
  assert.equal(t.version, 'hybrid');
  assert.equal(t.singleFile, false);
  assert.deepEqual(
    t.files.filter((f) => !f.padding).map((f) => f.path.join('/')),
    [`${name}.en-GB.srt`, `${name}.mkv`, `${name}.nb.srt`],
  );
  assert.ok(
    t.files.some((f) => f.padding),
    'a hybrid aligns files with padding',
  );
  assert.equal(t.announce, 'http://tracker.example:6969/announce');
  assert.deepEqual(t.announceList, [
    ['http://tracker.example:6969/announce'],
    ['udp://tracker.example:6969/announce'],
  ]);
  assert.deepEqual(t.urlList, ['https://tv.example/media/skjaergardsliv/']);

  // Printed: both hashes and a magnet link carrying them, the trackers and the web seed.
  assert.match(r.stdout, new RegExp(`info hash v1: ${t.infoHashV1}`));
  assert.match(r.stdout, new RegExp(`info hash v2: ${t.infoHashV2}`));
  const magnet = /^magnet: (.+)$/m.exec(r.stdout)?.[1] ?? '';
  assert.ok(magnet.includes(`xt=urn:btih:${t.infoHashV1}`));
  assert.ok(magnet.includes(`xt=urn:btmh:1220${t.infoHashV2}`));
  assert.ok(magnet.includes(`ws=${encodeURIComponent('https://tv.example/media/skjaergardsliv/')}`));
  assert.ok(magnet.includes(`tr=${encodeURIComponent('udp://tracker.example:6969/announce')}`));
  assert.match(r.stdout, /distributed now until 2099-12-01T18:00:00\+01:00/);

  const c = await openCatalog({ dataDir: data });
  try {
    const e = await c.getEpisode('skjaergardsliv', 1, 2);
    assert.ok(e);
    assert.equal(e.seriesTitle, 'Skjærgårdsliv');
    assert.equal(e.title, 'Fyr og flamme');
    assert.equal(e.description, 'Om fyrvokterne.');
    assert.deepEqual(e.rights, {
      licence: 'CC-BY-4.0',
      holders: ['NRK', 'Fyrhistorisk lag'],
      clearedWorldwide: true,
      availableFrom: new Date('2020-01-01T00:00:00Z'),
      availableUntil: new Date('2099-12-01T17:00:00Z'),
    });
    assert.deepEqual(
      e.media.map((m) => [m.role, m.path, m.sizeBytes, m.sha256, m.mimeType]),
      [['video', `${dir}/${name}.mkv`, videoBytes.length, sha256(videoBytes), 'video/x-matroska']],
    );
    assert.equal(e.torrents.length, 1);
    assert.equal(e.torrents[0].infoHashV1, t.infoHashV1);
    assert.equal(e.torrents[0].infoHashV2, t.infoHashV2);
    assert.ok(t.infoHashAria2, 'a hybrid torrent has an aria2 alias');
    assert.equal(e.torrents[0].infoHashAria2, t.infoHashAria2);
    assert.equal(e.torrents[0].path, `torrents/${name}.torrent`);
    assert.equal(e.torrents[0].mode, 'hybrid');
    assert.equal(e.torrents[0].pieceLength, t.pieceLength);
    assert.deepEqual(e.subtitles.map((s) => [s.language, s.kind, s.format, s.path]).sort(), [
      ['en-GB', 'official', 'srt', `${dir}/${name}.en-GB.srt`],
      ['en-GB', 'official', 'vtt', `subtitles/skjaergardsliv/${name}/${name}.en-GB.vtt`],
      ['nb', 'official', 'srt', `${dir}/${name}.nb.srt`],
      ['nb', 'official', 'vtt', `subtitles/skjaergardsliv/${name}/${name}.nb.vtt`],
    ]);
    const { allowed } = await c.distributableInfoHashes();
    assert.ok(e.torrents[0].infoHashV1Twin, 'a hybrid torrent has a v1 twin');
    assert.notEqual(e.torrents[0].infoHashV1Twin, t.infoHashV1);
    assert.deepEqual(
      allowed.sort(),
      [t.infoHashV1, truncateV2(t.infoHashV2 ?? ''), t.infoHashAria2, e.torrents[0].infoHashV1Twin].sort(),
    );
    const [event] = await c.listEvents({ subject: `episode:${e.id}` });
    assert.equal(event.action, 'episode.publish');
  } finally {
    await c.close();
  }
});

test('without --cleared the episode is stored but not distributed, and the user is told', async () => {
  const data = join(WORK, 'uncleared');
  const r = await fjord([
    'publish',
    '--no-probe',
    VIDEO,
    '--data',
    data,
    '--series',
    'Show',
    '--new-series',
    '--season',
    '1',
    '--episode',
    '1',
    '--title',
    'T',
    '-q',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /NOT distributed/);
  assert.match(r.stderr, /not cleared for distribution/);
  const c = await openCatalog({ dataDir: data });
  try {
    assert.deepEqual(await c.distributableInfoHashes(), { allowed: [], withdrawn: [] });
    assert.equal((await c.listEpisodes()).length, 1);
  } finally {
    await c.close();
  }
});

test('no subtitles: still a folder torrent holding the one video; --v1 and --link', async () => {
  const data = join(WORK, 'v1');
  const r = await fjord([
    'publish',
    '--no-probe',
    VIDEO,
    '--data',
    data,
    '--series',
    'show',
    '--new-series',
    '--season',
    '3',
    '--episode',
    '10',
    '--title',
    'T',
    '--v1',
    '--link',
    '--cleared',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const t = parseTorrent(readFileSync(join(data, 'torrents/show-s03e10.torrent')));
  assert.equal(t.version, 'v1');
  assert.equal(t.singleFile, false);
  assert.deepEqual(
    t.files.map((f) => f.path),
    [['show-s03e10.mkv']],
  );
  assert.match(r.stdout, /^info hash v1: [0-9a-f]{40}$/m);
  assert.doesNotMatch(r.stdout, /info hash v2/);
  // Hard-linked: the store's file is the original's inode (same filesystem here).
  const stored = statSync(join(data, 'media/show/show-s03e10/show-s03e10.mkv'));
  assert.equal(stored.ino, statSync(VIDEO).ino);
  assert.match(r.stdout, /linked/);
});

test('reproducible: same file and numbers give the same torrent whatever the title; another episode does not', async () => {
  const a = join(WORK, 'repro-a');
  const b = join(WORK, 'repro-b');
  const base = [
    '--series',
    'Dagsrevyen',
    '--new-series',
    '--season',
    '1',
    '--episode',
    '5',
    '--subtitle',
    `nb:${NB}`,
    '-q',
    '--cleared',
  ];
  assert.equal(
    (await fjord(['publish', VIDEO, '--no-probe', '--data', a, ...base, '--title', 'First title'])).status,
    0,
  );
  assert.equal(
    (await fjord(['publish', VIDEO, '--no-probe', '--data', b, ...base, '--title', 'Quite another title']))
      .status,
    0,
  );
  const ta = readFileSync(join(a, 'torrents/dagsrevyen-s01e05.torrent'));
  const tb = readFileSync(join(b, 'torrents/dagsrevyen-s01e05.torrent'));
  assert.ok(ta.equals(tb), 'byte-identical .torrent files');
  // Renaming the episode in the catalog leaves its torrent (file and recorded hashes) alone.
  const c = await openCatalog({ dataDir: a });
  try {
    const e = await c.getEpisode('dagsrevyen', 1, 5);
    assert.ok(e);
    const renamed = await c.renameEpisode(e.id, 'Renamed', 'test');
    assert.deepEqual(renamed.torrents, e.torrents);
  } finally {
    await c.close();
  }
  assert.ok(readFileSync(join(a, 'torrents/dagsrevyen-s01e05.torrent')).equals(ta));
  // The same file as another episode: another name, so another torrent (and no duplicate hash).
  const r = await fjord([
    'publish',
    '--no-probe',
    VIDEO,
    '--data',
    a,
    ...base.map((x) => (x === '5' ? '6' : x)),
    '--title',
    'x',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.notEqual(sha256File(join(a, 'torrents/dagsrevyen-s01e06.torrent')), sha256(ta));
});

test(
  'ffprobe: the duration is recorded, and subtitles past the end are refused',
  { skip: hasProgram('ffprobe') && hasProgram('ffmpeg') ? false : 'needs ffmpeg and ffprobe' },
  async () => {
    const data = join(WORK, 'probe');
    const video = join(WORK, 'clip.mkv');
    assert.ok(tinyVideo(video));
    const past = join(WORK, 'past.srt');
    writeFileSync(
      past,
      '1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:09,000 --> 00:00:10,000\ntoo late\n',
    );
    const args = [
      'publish',
      video,
      '--data',
      data,
      '--series',
      'clips',
      '--new-series',
      '--season',
      '1',
      '-q',
    ];
    let r = await fjord([...args, '--episode', '1', '--title', 'Clip', '--subtitle', `nb:${NB}`]);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /skipped/);
    assert.match(
      r.stderr,
      /fjord: note: browsers cannot play video mpeg4: the web player offers the download instead/,
    );
    const c = await openCatalog({ dataDir: data });
    try {
      const e = await c.getEpisode('clips', 1, 1);
      assert.equal(e?.durationSeconds, 3);
      // The probed codecs are recorded; mpeg4 part 2 plays in desktop players, not in browsers.
      assert.deepEqual(e?.media[0].codecs, { video: ['mpeg4'], audio: [] });
    } finally {
      await c.close();
    }
    const before = await snapshot(data);
    r = await fjord([...args, '--episode', '2', '--title', 'Clip', '--subtitle', `nb:${past}`]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^fjord: subtitle file \(nb\) .*past\.srt: .*\(past-end\)\n$/);
    assert.deepEqual(await snapshot(data), before);
  },
);

test('without a readable duration the past-the-end check is skipped, with a note', async () => {
  const data = join(WORK, 'noprobe');
  const r = await fjord([
    'publish',
    '--no-probe',
    VIDEO,
    '--data',
    data,
    '--series',
    'x',
    '--new-series',
    '--season',
    '1',
    '--episode',
    '1',
    '--title',
    'T',
    '--subtitle',
    `nb:${NB}`,
    '-q',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stderr,
    /fjord: note: not probed \(--no-probe\).*the check for subtitle cues past the end of the video was skipped/,
  );
});

test('--help lists every publish and unpublish flag', async () => {
  const r = await fjord(['publish', '--help']);
  assert.equal(r.status, 0);
  for (const flag of [
    '--data',
    '--series',
    '--new-series',
    '--season',
    '--episode',
    '--title',
    '--description',
    '--subtitle',
    '--licence',
    '--rights-holder',
    '--cleared',
    '--available-from',
    '--available-until',
    '--v1',
    '--link',
    '--tracker',
    '--web-url',
    '--catalog',
    '--config',
  ])
    assert.ok(r.stdout.includes(flag), flag);
  const u = await fjord(['unpublish', '--help']);
  for (const flag of ['--data', '--series', '--season', '--episode'])
    assert.ok(u.stdout.includes(flag), flag);
  const missing = await fjord(['publish', VIDEO, '--series', 'x']);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /required option '--season <n>' not specified/);
});

test('the catalog location: SQLite in the data directory, or a URL with an optional schema parameter', () => {
  assert.deepEqual(catalogLocation({ dataDir: '/d', catalogUrl: null }), { dataDir: '/d' });
  assert.deepEqual(catalogLocation({ dataDir: '/d', catalogUrl: 'postgres://u@h:5432/db' }), {
    url: 'postgres://u@h:5432/db',
  });
  assert.deepEqual(
    catalogLocation({ dataDir: '/d', catalogUrl: 'postgres://u@h/db?schema=fjord&sslmode=require' }),
    {
      url: 'postgres://u@h/db?sslmode=require',
      schema: 'fjord',
    },
  );
});

test('flag parsing: numbers and times', () => {
  assert.equal(parseNumber('12', '--season'), 12);
  for (const bad of ['0', '-1', 'abc', '1.5', '', '1e3', ' '])
    assert.throws(() => parseNumber(bad, '--season'), /--season must be a positive whole number/, bad);
  assert.equal(parseTime('2026-12-01T18:00:00+01:00', 'x').toISOString(), '2026-12-01T17:00:00.000Z');
  assert.equal(parseTime('2026-12-01', 'x').toISOString(), '2026-12-01T00:00:00.000Z');
  assert.equal(parseTime('2026-12-01T18:00Z', 'x').toISOString(), '2026-12-01T18:00:00.000Z');
  for (const bad of ['tomorrow', '2026-02-30', '2026-12-01T18:00:00', '01.12.2026', '2026-13-01'])
    assert.throws(() => parseTime(bad, '--available-from'), /--available-from ".*" is not a time/, bad);
});

test('bad input: one line naming the problem, exit 1, catalog and files unchanged', async () => {
  const data = join(WORK, 'bad');
  const ok = await fjord([
    'publish',
    '--no-probe',
    VIDEO,
    '--data',
    data,
    '--series',
    'Show',
    '--new-series',
    '--season',
    '1',
    '--episode',
    '1',
    '--title',
    'T',
    '-q',
  ]);
  assert.equal(ok.status, 0, ok.stderr);
  const latin1 = join(WORK, 'latin1.srt');
  writeFileSync(latin1, Buffer.from('1\n00:00:01,000 --> 00:00:02,000\nbl\xe5b\xe6r\n', 'latin1'));
  const garbage = join(WORK, 'garbage.srt');
  writeFileSync(garbage, 'this is not\na subtitle file\n');
  const utf16 = join(WORK, 'utf16.srt');
  writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SRT_NB, 'utf16le')]));
  const folder = join(WORK, 'a-folder.mkv');
  mkdirSync(folder, { recursive: true });
  const empty = join(WORK, 'empty.mkv');
  writeFileSync(empty, '');
  const text = join(WORK, 'notes.txt');
  writeFileSync(text, 'x');

  const base = (o: Record<string, string | null> = {}, file = VIDEO): string[] => {
    const flags: Record<string, string | null> = {
      '--data': data,
      '--series': 'Show',
      '--season': '1',
      '--episode': '2',
      '--title': 'T',
      ...o,
    };
    return [
      'publish',
      '--no-probe',
      file,
      ...Object.entries(flags).flatMap(([k, v]) => (v === null ? [] : v === '' ? [k] : [k, v])),
      '-q',
    ];
  };
  const cases: Array<[string, string[], RegExp]> = [
    [
      'unknown series',
      base({ '--series': 'Nyheter' }),
      /unknown series "Nyheter": no series "nyheter" in the catalog \(known: show\); add --new-series/,
    ],
    ['season 0', base({ '--season': '0' }), /--season must be a positive whole number \(got "0"\)/],
    ['season abc', base({ '--season': 'abc' }), /--season must be a positive whole number \(got "abc"\)/],
    ['episode -1', base({ '--episode': '-1' }), /--episode must be a positive whole number/],
    ['episode 1.5', base({ '--episode': '1.5' }), /--episode must be a positive whole number/],
    ['duplicate episode', base({ '--episode': '1' }), /episode already exists: show season 1 episode 1/],
    ['missing file', base({}, join(WORK, 'nope.mkv')), /cannot read media file .*nope\.mkv: no such file/],
    ['a folder', base({}, folder), /media file .*a-folder\.mkv is a folder, not a file/],
    ['an empty file', base({}, empty), /media file .*empty\.mkv is empty/],
    ['not a media type', base({}, text), /notes\.txt: unsupported media type "\.txt"/],
    [
      'missing subtitle',
      base({ '--subtitle': `nb:${join(WORK, 'nope.srt')}` }),
      /cannot read subtitle file \(nb\) .*nope\.srt: no such file/,
    ],
    [
      'subtitle not UTF-8',
      base({ '--subtitle': `nb:${latin1}` }),
      /subtitle file \(nb\) .*latin1\.srt: line 3: .*not valid UTF-8.*\(not-utf8\)/,
    ],
    [
      'subtitle UTF-16',
      base({ '--subtitle': `nb:${utf16}` }),
      /subtitle file \(nb\) .*utf16\.srt: .*\(not-utf8\)/,
    ],
    [
      'subtitle unparsable',
      base({ '--subtitle': `nb:${garbage}` }),
      /subtitle file \(nb\) .*garbage\.srt: .*\(unparsable\)/,
    ],
    [
      'bad language',
      base({ '--subtitle': `not a language:${NB}` }),
      /bad subtitle language "not a language"/,
    ],
    [
      'language twice',
      [
        'publish',
        '--no-probe',
        VIDEO,
        '--data',
        data,
        '--series',
        'Show',
        '--season',
        '1',
        '--episode',
        '2',
        '--title',
        'T',
        '--subtitle',
        `nb:${NB}`,
        '--subtitle',
        `NB:${NB}`,
      ],
      /two --subtitle files for language nb/,
    ],
    ['bad --subtitle', base({ '--subtitle': NB }), /--subtitle ".*" is not LANG:FILE/],
    [
      'window ends before it starts',
      base({
        '--available-from': '2026-12-01T18:00:00+01:00',
        '--available-until': '2026-12-01T17:00:00+01:00',
      }),
      /the availability window ends \(2026-12-01T16:00:00Z\) before it starts \(2026-12-01T17:00:00Z\)/,
    ],
    [
      'window ends before now (from defaults to now)',
      base({ '--available-until': '2001-01-01' }),
      /the availability window ends \(2001-01-01T00:00:00Z\) before it starts/,
    ],
    ['bad time', base({ '--available-from': 'tomorrow' }), /--available-from "tomorrow" is not a time/],
    [
      'time without a zone',
      base({ '--available-until': '2026-12-01T18:00' }),
      /--available-until "2026-12-01T18:00" is not a time/,
    ],
    ['empty title', base({ '--title': ' ' }), /--title is empty/],
    ['bad licence', base({ '--licence': 'not a licence' }), /bad licence id "not a licence"/],
    [
      'bad web URL',
      base({ '--web-url': 'ftp://x/' }),
      /web URL "ftp:\/\/x\/" must start with http:\/\/ or https:\/\//,
    ],
    ['bad tracker URL', base({ '--tracker': 'nonsense' }), /tracker URL "nonsense" is not a URL/],
  ];
  const before = await snapshot(data);
  for (const [what, args, reason] of cases) {
    const r = await fjord(args);
    assert.equal(r.status, 1, `${what}: exit status (stdout: ${r.stdout})`);
    assert.match(r.stderr, /^fjord: [^\n]+\n$/, `${what}: one line: ${r.stderr}`);
    assert.match(r.stderr, reason, what);
    assert.equal(r.stdout, '', what);
    assert.deepEqual(await snapshot(data), before, `${what}: data directory unchanged`);
  }
});

test('an unreadable file is refused by name (a real process, as another user when run as root)', async () => {
  const data = join(WORK, 'unreadable');
  const dir = join(WORK, 'locked');
  mkdirSync(dir, { recursive: true });
  cpSync(VIDEO, join(dir, 'locked.mkv'));
  chmodSync(join(dir, 'locked.mkv'), 0o000);
  const asRoot = process.getuid?.() === 0;
  const args = [
    'publish',
    '--no-probe',
    join(dir, 'locked.mkv'),
    '--data',
    data,
    '--series',
    's',
    '--new-series',
    '--season',
    '1',
    '--episode',
    '1',
    '--title',
    'T',
  ];
  // root reads anything; run the command as nobody then (it needs to read the checkout and write tsx's cache).
  const r = asRoot
    ? spawnSync(process.execPath, [...NODE_ARGS, ...args], {
        encoding: 'utf8',
        uid: 65534,
        gid: 65534,
        timeout: 60_000,
      })
    : spawnSync(process.execPath, [...NODE_ARGS, ...args], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^fjord: cannot read media file .*locked\.mkv: permission denied\n$/);
  assert.equal(existsSync(data), false, 'no data directory, let alone a catalog, was made');
});

test('unpublish withdraws, logs the event, deletes nothing; again is a no-op; unknown ones are refused', async () => {
  const data = join(WORK, 'unpublish');
  assert.equal(
    (
      await fjord([
        'publish',
        '--no-probe',
        VIDEO,
        '--data',
        data,
        '--series',
        'Show',
        '--new-series',
        '--season',
        '2',
        '--episode',
        '3',
        '--title',
        'T',
        '--cleared',
        '-q',
      ])
    ).status,
    0,
  );
  const files = listFiles(data);
  let r = await fjord(['unpublish', '--data', data, '--series', 'Show', '--season', '2', '--episode', '3']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^withdrew show-s02e03: "T" at \S+Z; a running fjord serve stops distributing it within seconds \(nothing was deleted\)\n$/,
  );
  assert.deepEqual(listFiles(data), files);
  const c = await openCatalog({ dataDir: data });
  try {
    const e = await c.getEpisode('show', 2, 3);
    assert.ok(e?.withdrawnAt);
    const { allowed, withdrawn } = await c.distributableInfoHashes();
    assert.equal(allowed.length, 0);
    assert.equal(
      withdrawn.length,
      4,
      'v1, truncated v2, the aria2 alias and the v1 twin: "no longer available"',
    );
    assert.equal((await c.listEvents({ subject: `episode:${e.id}` }))[0].action, 'episode.unpublish');
  } finally {
    await c.close();
  }
  const before = await snapshot(data);
  r = await fjord(['unpublish', '--data', data, '--series', 'show', '--season', '2', '--episode', '3']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /already withdrawn/);
  for (const [args, reason] of [
    [['--series', 'Show', '--season', '2', '--episode', '4'], /no episode show-s02e04/],
    [['--series', 'Other', '--season', '2', '--episode', '3'], /unknown series "Other"/],
    [['--series', 'Show', '--season', 'x', '--episode', '3'], /--season must be a positive whole number/],
  ] as const) {
    r = await fjord(['unpublish', '--data', data, ...args]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, reason);
  }
  assert.deepEqual(await snapshot(data), before);
});

test('DATA/fjord.json supplies the public URLs; flags override it', async () => {
  const data = join(WORK, 'settings');
  mkdirSync(data, { recursive: true });
  writeFileSync(
    join(data, 'fjord.json'),
    JSON.stringify({
      publicTrackerUrls: ['udp://t.example:1/announce'],
      publicWebUrl: 'https://cdn.example/tv',
    }),
  );
  const args = [
    'publish',
    '--no-probe',
    VIDEO,
    '--data',
    data,
    '--series',
    'a',
    '--new-series',
    '--season',
    '1',
    '-q',
    '--title',
    'T',
  ];
  assert.equal((await fjord([...args, '--episode', '1'])).status, 0);
  let t = parseTorrent(readFileSync(join(data, 'torrents/a-s01e01.torrent')));
  assert.equal(t.announce, 'udp://t.example:1/announce');
  assert.deepEqual(t.urlList, ['https://cdn.example/tv/media/a/']);
  assert.equal((await fjord([...args, '--episode', '2', '--web-url', 'http://w.example'])).status, 0);
  t = parseTorrent(readFileSync(join(data, 'torrents/a-s01e02.torrent')));
  assert.deepEqual(t.urlList, ['http://w.example/media/a/']);
  writeFileSync(join(data, 'fjord.json'), JSON.stringify({ publicWebUrl: 'x', nonsense: 1 }));
  const r = await fjord([...args, '--episode', '3']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /unknown setting "nonsense"/);
});

test('rights: an episode stored without --cleared is cleared later, and can be stopped again', async () => {
  const data = join(WORK, 'rights');
  const where = ['--data', data, '--series', 'Later', '--season', '1', '--episode', '1'];
  let r = await fjord(['publish', VIDEO, '--no-probe', ...where, '--new-series', '--title', 'L', '-q']);
  assert.equal(r.status, 0, r.stderr);
  const allowed = async () => {
    const c = await openCatalog({ dataDir: data });
    try {
      return (await c.distributableInfoHashes()).allowed.length;
    } finally {
      await c.close();
    }
  };
  assert.equal(await allowed(), 0, 'stored, not distributed');
  r = await fjord(['rights', ...where, '--cleared', '--available-until', '2999-01-01T00:00:00Z']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^later-s01e01: cleared worldwide, window \S+ to 2999-01-01T00:00:00Z, .*; distributed now\n$/,
  );
  assert.equal(await allowed(), 4, 'v1, truncated v2, the aria2 alias and the v1 twin');
  r = await fjord(['rights', ...where, '--available-until', 'none']);
  assert.match(r.stdout, /to open, .*distributed now/);
  r = await fjord(['rights', ...where, '--not-cleared']);
  assert.match(r.stdout, /not cleared, so not distributed/);
  assert.equal(await allowed(), 0);
  for (const [args, reason] of [
    [['--cleared', '--not-cleared'], /only one of --cleared and --not-cleared/],
    [['--available-from', 'soon'], /--available-from/],
  ] as const) {
    r = await fjord(['rights', ...where, ...args]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, reason);
  }
  r = await fjord([
    'rights',
    '--data',
    data,
    '--series',
    'Later',
    '--season',
    '1',
    '--episode',
    '9',
    '--cleared',
  ]);
  assert.match(r.stderr, /no episode later-s01e09/);
});

/**
 * `fjord torrent reissue` (issue 17, finding 5), run as a user runs it: torrents made before the
 * public addresses were set carry 127.0.0.1; after setting them in DATA/fjord.json, reissue rewrites
 * announce, announce-list and url-list, and the info hashes (v1 and v2) stay exactly the same.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCatalog } from '../../src/catalog/index.js';
import { parseTorrent } from '../../src/protocol/metainfo.js';
import { runFjord } from '../helpers/cli.js';
import { tempDir } from '../helpers/tracker.js';
import { randomFile } from '../publish/publish-helpers.js';

test('reissue rewrites the addresses of existing torrents; the info hashes do not change', async () => {
  const work = tempDir('fjord-reissue-');
  const data = join(work, 'data');
  const video = join(work, 'v.mkv');
  randomFile(video, 150_000);
  for (const n of ['1', '2']) {
    const r = runFjord([
      'publish',
      video,
      '--no-probe',
      ...['--data', data, '--series', 'Kyst', '--new-series', '--season', '1', '--episode', n],
      ...['--title', `Del ${n}`, '--cleared', '-q'],
    ]);
    assert.equal(r.status, 0, r.stderr);
  }
  const file = join(data, 'torrents/kyst-s01e01.torrent');
  const before = parseTorrent(readFileSync(file));
  assert.match(before.announce ?? '', /^http:\/\/127\.0\.0\.1:6969\//, 'made with the local defaults');

  writeFileSync(
    join(data, 'fjord.json'),
    JSON.stringify({
      publicWebUrl: 'https://tv.example',
      publicTrackerUrls: ['https://tracker.tv.example/announce', 'udp://tracker.tv.example:6969/announce'],
    }),
  );
  // The next publication gets the new addresses and says the earlier ones do not have them.
  const third = runFjord([
    'publish',
    video,
    '--no-probe',
    ...[
      '--data',
      data,
      '--series',
      'kyst',
      '--season',
      '1',
      '--episode',
      '3',
      '--title',
      'Del 3',
      '--cleared',
      '-q',
    ],
  ]);
  assert.equal(third.status, 0, third.stderr);
  assert.match(
    third.stderr,
    /fjord: note: 2 earlier torrents carry other tracker or web seed addresses than publicTrackerUrls\/publicWebUrl: fjord torrent reissue rewrites them/,
  );
  const dry = runFjord(['torrent', 'reissue', '--data', data, '--dry-run']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /^would reissue torrents\/kyst-s01e01\.torrent: /m);
  assert.deepEqual(parseTorrent(readFileSync(file)).announce, before.announce, '--dry-run changes nothing');

  const r = runFjord([
    'torrent',
    'reissue',
    '--data',
    data,
    '--series',
    'kyst',
    '--season',
    '1',
    '--episode',
    '1',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^reissued torrents\/kyst-s01e01\.torrent: trackers https:\/\/tracker\.tv\.example\/announce udp:\/\/tracker\.tv\.example:6969\/announce \(were http:\/\/127\.0\.0\.1:6969\/announce udp:\/\/127\.0\.0\.1:6969\/announce\), web seed https:\/\/tv\.example\/media\/kyst\/; info hashes unchanged$/m,
  );
  assert.match(r.stdout, /^1 of 1 torrents rewritten$/m);
  const after = parseTorrent(readFileSync(file));
  assert.equal(after.infoHashV1, before.infoHashV1, 'v1 info hash unchanged');
  assert.equal(after.infoHashV2, before.infoHashV2, 'v2 info hash unchanged');
  assert.equal(after.announce, 'https://tracker.tv.example/announce');
  assert.deepEqual(after.announceList, [
    ['https://tracker.tv.example/announce'],
    ['udp://tracker.tv.example:6969/announce'],
  ]);
  assert.deepEqual(after.urlList, ['https://tv.example/media/kyst/']);
  assert.deepEqual(after.files, before.files);

  const c = await openCatalog({ dataDir: data });
  try {
    const e = await c.getEpisode('kyst', 1, 1);
    assert.equal(e?.torrents[0].infoHashV1, before.infoHashV1);
    assert.equal(e?.torrents[0].sizeBytes, readFileSync(file).length, 'the catalog has the new size');
    const [event] = await c.listEvents({ subject: `episode:${e?.id}`, limit: 1 });
    assert.equal(event.action, 'torrent.reissue');
  } finally {
    await c.close();
  }
  // The rest, then nothing left to do.
  assert.match(runFjord(['torrent', 'reissue', '--data', data]).stdout, /^1 of 3 torrents rewritten$/m);
  assert.match(
    runFjord(['torrent', 'reissue', '--data', data]).stdout,
    /^all 3 torrents already carry these addresses; nothing changed$/m,
  );
});

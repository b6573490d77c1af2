/**
 * What `fjord publish` refuses before anything is written (issue 17, finding 4), run as a user runs
 * it (a child process): subtitle languages not in the IANA language subtag registry, with the tag
 * that was meant; media that ffprobe cannot read or that holds no video; and publishing at all
 * without ffprobe unless --no-probe says so. Each refusal is one line, exit 1, and leaves the data
 * directory (catalog and files) exactly as it was.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCatalog } from '../../src/catalog/index.js';
import { runFjord } from '../helpers/cli.js';
import { program, skipUnless } from '../helpers/programs.js';
import { tempDir } from '../helpers/tracker.js';
import { snapshot, tinyVideo, SRT_NB } from './publish-helpers.js';

const WORK = tempDir('fjord-publish-checks-');
const DATA = join(WORK, 'data');
const VIDEO = join(WORK, 'clip.mkv');
const SRT = join(WORK, 'nb.srt');
const needs = { skip: skipUnless(program('ffmpeg'), program('ffprobe')) };

const publish = (file: string, episode: number, ...extra: string[]) =>
  runFjord([
    'publish',
    file,
    ...['--data', DATA, '--series', 'Klipp', '--new-series', '--season', '1', '--episode', String(episode)],
    ...['--title', 'Klipp', '--cleared', '-q', ...extra],
  ]);

before(async () => {
  if (needs.skip === false) assert.ok(tinyVideo(VIDEO), 'ffmpeg made a test video');
  writeFileSync(SRT, SRT_NB);
  // A catalog with one episode, so "unchanged" is a real comparison.
  if (needs.skip === false) assert.equal(publish(VIDEO, 1).status, 0);
});

test(
  'subtitle languages must be registered tags; the refusal names the tag that was meant',
  needs,
  async () => {
    const before = await snapshot(DATA);
    const cases: Array<[string, RegExp]> = [
      // "norsk" is well-formed BCP 47 (a 5-letter language subtag) but registered as nothing.
      ['norsk', /bad subtitle language "norsk": .*'norsk'.*; did you mean no or nb or nn\?/],
      ['xx', /bad subtitle language "xx": .*'xx'.* \(need a registered BCP 47 tag/],
      ['nb_NO', /bad subtitle language "nb_NO": .*did you mean nb-NO\?/],
      ['norwegian', /bad subtitle language "norwegian": .*did you mean no or nb or nn\?/],
      ['iw', /bad subtitle language "iw": .*did you mean he\?/],
    ];
    for (const [lang, why] of cases) {
      const r = publish(VIDEO, 2, '--subtitle', `${lang}:${SRT}`);
      assert.equal(r.status, 1, `${lang}: ${r.stderr}`);
      assert.match(r.stderr, /^fjord: [^\n]+\n$/, lang);
      assert.match(r.stderr, why, lang);
    }
    assert.deepEqual(await snapshot(DATA), before, 'nothing was written');
    // Registered tags still pass, in canonical case.
    const ok = publish(VIDEO, 3, '--subtitle', `nb-no:${SRT}`, '--subtitle', `se:${SRT}`);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /subtitles: nb-NO, se /);
  },
);

test('a file ffprobe cannot read, or one without a video stream, is refused', needs, async () => {
  const text = join(WORK, 'notes.mp4');
  writeFileSync(text, 'This is a text file with a video extension.\n'.repeat(200));
  const audio = join(WORK, 'radio.mp4');
  const made = spawnSync(
    'ffmpeg',
    ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=duration=2', '-c:a', 'aac', audio],
    { timeout: 30_000 },
  );
  assert.equal(made.status, 0, String(made.stderr));
  const before = await snapshot(DATA);
  const r = publish(text, 4);
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr,
    /^fjord: media file .*notes\.mp4: ffprobe cannot read it as media .*; not published\n$/,
  );
  const a = publish(audio, 4);
  assert.equal(a.status, 1, a.stderr);
  assert.match(
    a.stderr,
    /^fjord: media file .*radio\.mp4 has no video stream ffprobe can read \(found: audio aac\); not published\n$/,
  );
  assert.deepEqual(await snapshot(DATA), before, 'nothing was written');
});

test('without ffprobe, publishing says so and refuses; --no-probe publishes unchecked', needs, async () => {
  // A PATH that has no ffprobe (the CLI runs node by its full path).
  const bin = join(WORK, 'bin-without-ffprobe');
  mkdirSync(bin, { recursive: true });
  symlinkSync('/bin/sh', join(bin, 'sh'));
  const env = { ...process.env, PATH: bin };
  const before = await snapshot(DATA);
  const args = ['publish', VIDEO, '--data', DATA, '--series', 'klipp', '--season', '1', '--episode', '5'];
  const r = runFjord([...args, '--title', 'X', '-q'], { env });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^fjord: ffprobe \(part of ffmpeg\) is not installed, .*pass --no-probe/);
  assert.deepEqual(await snapshot(DATA), before, 'nothing was written');
  const ok = runFjord([...args, '--title', 'X', '-q', '--no-probe'], { env });
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stderr, /fjord: note: not probed \(--no-probe\)/);
  const c = await openCatalog({ dataDir: DATA });
  try {
    const probed = await c.getEpisode('klipp', 1, 1);
    assert.deepEqual(probed?.media[0].codecs, { video: ['mpeg4'], audio: [] });
    const unprobed = await c.getEpisode('klipp', 1, 5);
    assert.equal(unprobed?.media[0].codecs, null, 'not probed: no codecs recorded');
  } finally {
    await c.close();
  }
});

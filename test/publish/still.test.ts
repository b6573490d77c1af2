/**
 * The still image made at publication (issue 16): on a video made by ffmpeg that opens with three
 * seconds of black and a fade, the frame chosen is from the picture after it, not the black; the
 * rule itself on measured figures; and `fjord publish` records the still, which `fjord episode edit
 * --still` replaces, refusing what is not an image in one line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { openCatalog, type Catalog } from '../../src/catalog/index.js';
import { chooseStillTime, grabFrame, measureFrames, pickFrame } from '../../src/publish/still.js';
import { tempDir } from '../helpers/tracker.js';
import { runFjord } from '../helpers/cli.js';
import { fjord } from './publish-helpers.js';

const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
const skip = !hasFfmpeg && process.env.CI !== 'true' ? 'ffmpeg is not installed' : false;

async function inCatalog(dataDir: string, fn: (c: Catalog) => Promise<void>): Promise<void> {
  const c = await openCatalog({ dataDir });
  try {
    await fn(c);
  } finally {
    await c.close();
  }
}

/** 3 s black, 1 s dark grey (a fade's flat frame), then 4 s of ffmpeg's test pattern. */
function blackOpening(path: string): void {
  const r = spawnSync(
    'ffmpeg',
    [
      ...['-v', 'error', '-y'],
      ...['-f', 'lavfi', '-i', 'color=black:size=320x180:rate=25:duration=3'],
      ...['-f', 'lavfi', '-i', 'color=0x202020:size=320x180:rate=25:duration=1'],
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=4'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=8'],
      ...['-filter_complex', '[0][1][2]concat=n=3:v=1[v]', '-map', '[v]', '-map', '3'],
      ...['-c:v', 'libvpx', '-b:v', '300k', '-c:a', 'libvorbis', '-shortest', path],
    ],
    { stdio: 'ignore', timeout: 60_000 },
  );
  assert.equal(r.status, 0, 'ffmpeg made the test video');
}

test('the rule: first frame past the opening that is neither dark, flat nor white', () => {
  const f = (t: number, mean: number, min: number, max: number) => ({ t, mean, min, max });
  assert.equal(pickFrame([f(0, 16, 16, 16), f(1, 16, 16, 16), f(2, 30, 30, 30), f(2.5, 120, 10, 240)]), 2.5);
  assert.equal(
    pickFrame([f(0, 120, 0, 255), f(0.5, 16, 16, 16), f(1, 130, 5, 250)]),
    1,
    'not the first instant',
  );
  assert.equal(pickFrame([f(1, 100, 99, 101), f(2, 120, 0, 250)]), 2, 'a flat grey frame is skipped');
  assert.equal(
    pickFrame([f(1, 250, 240, 255), f(2, 60, 59, 61), f(3, 20, 19, 21)]),
    2,
    'else the brightest not white',
  );
  assert.equal(pickFrame([]), null);
});

test('on a video opening in black, the still comes from the picture after it', { skip }, async () => {
  const dir = tempDir('fjord-still-');
  const video = join(dir, 'opening.webm');
  blackOpening(video);
  const frames = await measureFrames(video, 8000);
  assert.ok(frames.length >= 14, `sampled ${frames.length} frames`);
  assert.ok(
    frames.filter((x) => x.t < 3).every((x) => x.mean < 20),
    'the opening is black',
  );
  const t = await chooseStillTime(video, 8000);
  assert.ok(t !== null && t >= 4 && t < 5, `chosen at ${t} s`);
  const jpeg = await grabFrame(video, t);
  const stats = await sharp(jpeg).stats();
  const meta = await sharp(jpeg).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 320, 180]);
  const mean = stats.channels.slice(0, 3).reduce((a, c) => a + c.mean, 0) / 3;
  assert.ok(mean > 60, `the frame is not black (mean ${mean.toFixed(0)})`);
  // The black frame at 1 s, for comparison, is.
  const black = await sharp(await grabFrame(video, 1)).stats();
  assert.ok(black.channels[0].mean < 20);
});

test(
  'fjord publish records a still; fjord episode edit --still replaces it or refuses',
  { skip },
  async () => {
    const dir = tempDir('fjord-still-');
    const data = join(dir, 'data');
    const video = join(dir, 'opening.webm');
    blackOpening(video);
    const base = [
      '--data',
      data,
      '--web-url',
      'http://127.0.0.1:8080',
      '--tracker',
      'http://127.0.0.1:6969/announce',
    ];
    const r = await fjord([
      'publish',
      video,
      ...base,
      '--series',
      'Polarnatt',
      '--new-series',
      '--season',
      '1',
      '--episode',
      '1',
      '--title',
      'Mørketid',
      '--licence',
      'CC-BY-4.0',
      '--rights-holder',
      'NRK',
      '--cleared',
      '-q',
    ]);
    assert.equal(r.status, 0, r.stderr);
    await inCatalog(data, async (c) => {
      const e = await c.getEpisode('polarnatt', 1, 1);
      assert.match(e?.stillPath ?? '', /^artwork\/polarnatt-s1e1-still-[0-9a-f]{12}\.jpg$/);
      const still = readFileSync(join(data, e!.stillPath!));
      assert.ok((await sharp(still).stats()).channels[0].mean > 60, 'not the black opening');
    });
    const notImage = join(dir, 'still.png');
    writeFileSync(notImage, 'this is text');
    const edit = (...more: string[]) =>
      runFjord([
        'episode',
        'edit',
        '--data',
        data,
        '--series',
        'polarnatt',
        '--season',
        '1',
        '--episode',
        '1',
        ...more,
      ]);
    const bad = edit('--still', notImage);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr.trim(), /still\.png: the still image is not an image \(JPEG, PNG or WebP\)$/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    const png = join(dir, 'own.png');
    await sharp({ create: { width: 64, height: 36, channels: 3, background: '#884422' } })
      .png()
      .toFile(png);
    const ok = edit('--still', png, '--announce');
    assert.equal(ok.status, 0, ok.stderr);
    await inCatalog(data, async (c) => {
      const e = await c.getEpisode('polarnatt', 1, 1);
      assert.match(e?.stillPath ?? '', /^artwork\/polarnatt-s1e1-still-[0-9a-f]{12}\.png$/);
      assert.equal(e?.announce, true);
      assert.ok(existsSync(join(data, e!.stillPath!)));
    });
    // Series artwork: a poster that is too big is refused before anything is recorded.
    const poster = join(dir, 'poster.jpg');
    await sharp({ create: { width: 200, height: 300, channels: 3, background: '#224488' } })
      .jpeg()
      .toFile(poster);
    const set = runFjord([
      'series',
      'edit',
      '--data',
      data,
      '--series',
      'polarnatt',
      '--poster',
      poster,
      '--banner',
      notImage,
    ]);
    assert.notEqual(set.status, 0);
    assert.match(set.stderr, /still\.png: the banner is not an image/);
    const good = runFjord([
      'series',
      'edit',
      '--data',
      data,
      '--series',
      'polarnatt',
      '--poster',
      poster,
      '--description',
      'Vinter i nord.',
    ]);
    assert.equal(good.status, 0, good.stderr);
    await inCatalog(data, async (c) => {
      const s = await c.getSeriesBySlug('polarnatt');
      assert.match(s?.posterPath ?? '', /^artwork\/polarnatt-poster-[0-9a-f]{12}\.jpg$/);
      assert.equal(s?.description, 'Vinter i nord.');
    });
  },
);

/**
 * A running `fjord serve` (a child process) follows the catalog that `fjord publish` and `fjord
 * unpublish` write, with no restart and no signal: the tracker allows a published episode's hashes
 * (v1 and truncated v2) and the web seed serves its files within seconds; after unpublish, or when
 * its window closes (no command at all), announces get "this programme is no longer available" and
 * the web seed answers 404; a scheduled window opens on time.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { truncateV2 } from '../../src/catalog/index.js';
import { MESSAGE_NOT_ALLOWED, MESSAGE_WITHDRAWN } from '../../src/tracker/access-list.js';
import { serveFjord, type Served } from '../helpers/cli.js';
import { httpGet, tempDir } from '../helpers/tracker.js';
import { announceReason, within as watch } from '../helpers/serve-watch.js';
import { fjord, randomFile } from './publish-helpers.js';

const DATA = tempDir('fjord-pickup-');
const VIDEO = join(DATA, '..', `pickup-${process.pid}.mkv`);
let served: Served;

before(async () => {
  randomFile(VIDEO, 100_000);
  served = await serveFjord(
    [
      '--data',
      DATA,
      '--http',
      '127.0.0.1:0',
      '--udp',
      '127.0.0.1:0',
      '--web',
      '127.0.0.1:0',
      '--admin',
      'off',
      '--interval',
      '10',
    ],
    ['udp', 'http', 'web'],
  );
});
after(() => served.stop());

const announce = (hex: string): Promise<string> => announceReason(served.ports.http, hex);

const webStatus = async (path: string): Promise<number> =>
  (await httpGet(served.ports.web, `/${path}`)).status;

const within = <T>(seconds: number, fn: () => Promise<T>, want: T, what: string) =>
  watch(seconds, fn, want, what, () => served.stderr());

async function publish(episode: number, extra: string[]): Promise<{ v1: string; v2: string; video: string }> {
  const r = await fjord([
    'publish',
    '--no-probe',
    VIDEO,
    '--data',
    DATA,
    '--series',
    'Pickup',
    '--new-series',
    '--season',
    '1',
    '--episode',
    String(episode),
    '--title',
    `E${episode}`,
    '-q',
    ...extra,
  ]);
  assert.equal(r.status, 0, r.stderr);
  const v1 = /^info hash v1: (\w+)$/m.exec(r.stdout)?.[1] ?? '';
  const v2 = /^info hash v2: (\w+)$/m.exec(r.stdout)?.[1] ?? '';
  const name = `pickup-s01e${String(episode).padStart(2, '0')}`;
  return { v1, v2: truncateV2(v2), video: `media/pickup/${name}/${name}.mkv` };
}

test('publish --cleared: allowed and served within seconds; unpublish: "no longer available" and 404 within seconds', async () => {
  const e = await publish(1, ['--cleared']);
  const took = await within(5, () => announce(e.v1), 'ok', 'v1 allowed after publish');
  assert.equal(await announce(e.v2), 'ok', 'the truncated v2 hash too');
  await within(2, () => webStatus(e.video), 200, 'web seed serves it');
  process.stdout.write(`# picked up ${took.toFixed(1)} s after publish\n`);

  const r = await fjord([
    'unpublish',
    '--data',
    DATA,
    '--series',
    'pickup',
    '--season',
    '1',
    '--episode',
    '1',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const gone = await within(5, () => announce(e.v1), MESSAGE_WITHDRAWN, 'withdrawn after unpublish');
  assert.equal(await announce(e.v2), MESSAGE_WITHDRAWN);
  await within(2, () => webStatus(e.video), 404, 'web seed stops serving');
  process.stdout.write(`# withdrawn ${gone.toFixed(1)} s after unpublish\n`);
  assert.match(served.stderr(), /catalog: distributing pickup s01e01 "E1"/);
  assert.match(served.stderr(), /catalog: no longer distributing pickup s01e01 "E1" \(withdrawn\)/);
});

test('a window closing withdraws the episode with no command; a scheduled window opens on time', async () => {
  const closesAt = new Date(Date.now() + 4000);
  const opensAt = new Date(Date.now() + 3000);
  const closing = await publish(2, ['--cleared', '--available-until', closesAt.toISOString()]);
  const scheduled = await publish(3, ['--cleared', '--available-from', opensAt.toISOString()]);
  await within(5, () => announce(closing.v1), 'ok', 'allowed while the window is open');
  assert.equal(await announce(scheduled.v1), MESSAGE_NOT_ALLOWED, 'not yet published');
  assert.equal(await webStatus(scheduled.video), 404);

  await within(6, () => announce(scheduled.v1), 'ok', 'allowed once the window opens');
  const late = (Date.now() - opensAt.getTime()) / 1000;
  assert.ok(late < 1.5, `opened ${late} s after its time`);
  assert.equal(await webStatus(scheduled.video), 200);

  await within(6, () => announce(closing.v1), MESSAGE_WITHDRAWN, 'withdrawn when the window closes');
  const after = (Date.now() - closesAt.getTime()) / 1000;
  assert.ok(after < 1.5, `withdrawn ${after} s after the window closed`);
  assert.equal(await webStatus(closing.video), 404);
  assert.match(served.stderr(), /catalog: no longer distributing pickup s01e02 "E2" \(window closed\)/);
});

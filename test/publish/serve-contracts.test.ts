/**
 * Issue 14 on a real `fjord serve` (a child process): the parties' contracts and the cue sheets
 * decide distribution through the existing window machinery. A performers' contract ending at a
 * given instant stops the tracker (announces get "no longer available"), the web seed (404), the
 * episode page (404) and the feed at that instant; a cue sheet with an uncovered cue keeps an
 * episode off everywhere until a licence covers the cue. The commands run as a user runs them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MESSAGE_NOT_ALLOWED, MESSAGE_WITHDRAWN } from '../../src/tracker/access-list.js';
import { runFjord, serveFjord, type Served } from '../helpers/cli.js';
import { httpGet, tempDir } from '../helpers/tracker.js';
import { announceReason, within as watch } from '../helpers/serve-watch.js';
import { randomFile } from './publish-helpers.js';

const DATA = tempDir('fjord-contracts-');
const VIDEO = join(DATA, '..', `contracts-${process.pid}.mkv`);
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
    ],
    ['udp', 'http', 'web'],
  );
});
after(() => served.stop());

function cli(args: string[]): string {
  const r = runFjord([...args, '--data', DATA]);
  assert.equal(r.status, 0, `fjord ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const announce = (hex: string): Promise<string> => announceReason(served.ports.http, hex);
const web = async (path: string) => httpGet(served.ports.web, path);
const status = async (path: string) => (await web(path)).status;
const inFeed = async (title: string) =>
  (await web('/feeds/fjordliv.rss')).body.toString().includes(`: ${title}</title>`);

const within = <T>(seconds: number, fn: () => Promise<T>, want: T, what: string) =>
  watch(seconds, fn, want, what, () => served.stderr());

function publish(episode: number): { v1: string; video: string; page: string } {
  const out = cli([
    'publish',
    '--no-probe',
    VIDEO,
    '--series',
    'Fjordliv',
    '--new-series',
    '--season',
    '1',
    '--episode',
    String(episode),
    '--title',
    `Fjordliv ${episode}`,
    '--cleared',
    '-q',
  ]);
  const v1 = /^info hash v1: (\w+)$/m.exec(out)?.[1] ?? '';
  const name = `fjordliv-s01e0${episode}`;
  return { v1, video: `/media/fjordliv/${name}/${name}.mkv`, page: `/series/fjordliv/s01e0${episode}` };
}

test("a performers' contract ending at a given instant stops tracker, web seed, page and feed then", async () => {
  const e = publish(1);
  await within(5, () => announce(e.v1), 'ok', 'distributed: only the broadcaster has a say so far');
  cli(['party', 'add', 'Fjordkoret', '--kind', 'performers']);
  const added = cli([
    ...['contract', 'add', '--party', 'fjordkoret', '--covers', 'fjordliv/s01e01', '--status', 'signed'],
    ...['--from', '2020-01-01', '--until', '2099-01-31T11:00:00Z'],
    ...['--compensation', 'per-download', '--amount', '0.05'],
  ]);
  assert.match(
    added,
    /fjordliv s01e01 "Fjordliv 1": distributing; ends 2099-01-31 12:00 when the performers' contract ends \(Fjordkoret, contract 1\)/,
  );
  // End it a few seconds from now (each command is a child process: seconds on a busy machine).
  const endsAt = new Date(Date.now() + 8000);
  const ended = cli(['contract', 'end', '1', '--at', endsAt.toISOString()]);
  assert.match(ended, /^ended contract 1 /);
  assert.ok(
    Date.now() < endsAt.getTime() - 1000,
    'the machine is too slow for this test: the end passed already',
  );
  assert.equal(await announce(e.v1), 'ok');
  assert.equal(await status(e.video), 200);
  assert.equal(await status(e.page), 200);
  assert.ok(await inFeed('Fjordliv 1'));

  await within(12, () => announce(e.v1), MESSAGE_WITHDRAWN, 'withdrawn when the contract ends');
  const late = (Date.now() - endsAt.getTime()) / 1000;
  assert.ok(late >= 0 && late < 1.5, `stopped ${late} s after the contract ended`);
  assert.equal(await status(e.video), 404, 'web seed');
  // Distributed, then stopped: the page answers 410 Gone (issue 16).
  assert.equal(await status(e.page), 410, 'episode page');
  assert.equal(await inFeed('Fjordliv 1'), false, 'feed');
  process.stdout.write(`# stopped ${late.toFixed(2)} s after the contract's end\n`);

  const why = cli(['contract', 'why', '--series', 'fjordliv']);
  assert.match(
    why,
    /fjordliv s01e01 "Fjordliv 1": expired; blocked by: Fjordkoret \(performers\): contract 1 ended/,
  );
});

test('a cue sheet with an uncovered cue keeps an episode off; a licence covering it brings it on', async () => {
  const e = publish(2);
  await within(5, () => announce(e.v1), 'ok', 'distributed before the cue sheet');
  const csv = join(DATA, '..', `cues-${process.pid}.csv`);
  writeFileSync(
    csv,
    'Cue,Title,Composer,Label,Duration,Usage\n1,Opning,A. Aasen,,0:30,theme\n3,Fjordsang,B. Berg,Label X,1:35,featured\n',
  );
  const imported = cli(['cues', 'import', 'fjordliv/s01e02', csv]);
  assert.match(imported, /imported 2 music cues/);
  assert.match(
    imported,
    /blocked by: music cue 1 'Opning': no contract; music cue 3 'Fjordsang' \(label Label X\): no contract/,
  );
  await within(5, () => announce(e.v1), MESSAGE_WITHDRAWN, 'off with uncovered cues');
  assert.equal(await status(e.video), 404);
  assert.equal(await status(e.page), 410);

  writeFileSync(
    csv,
    'Cue,Title,Composer,Label,Duration,Usage,Licence,Library\n1,Opning,A. Aasen,,0:30,theme,CC-BY-4.0,\n3,Fjordsang,B. Berg,Label X,1:35,featured,,Magnatune\n',
  );
  cli(['cues', 'import', 'fjordliv/s01e02', csv]);
  await within(5, () => announce(e.v1), 'ok', 'on once every cue is covered');
  assert.equal(await status(e.page), 200);
  assert.notEqual(await announce('ab'.repeat(20)), 'ok');
  assert.equal(await announce('ab'.repeat(20)), MESSAGE_NOT_ALLOWED);
});

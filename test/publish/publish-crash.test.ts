/**
 * A publication that fails or dies part-way leaves the catalog as it was and no files behind:
 *   - an error injected at every phase up to and including the commit (in-process);
 *   - Ctrl-C / SIGTERM while hashing (a child process, through fjord publish's signal handling);
 *   - SIGKILL while hashing, and SIGKILL after the files were moved into place but before the
 *     commit: nothing is served meanwhile (the catalog does not name the files), and the next
 *     publication removes the leftovers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { openCatalog, type Catalog } from '../../src/catalog/index.js';
import { Publication, type Phase, type PublishRequest } from '../../src/publish/pipeline.js';
import { closeIdleWorkers } from '../../src/publish/torrent/pool.js';
import { tempDir } from '../helpers/tracker.js';
import { fjord, listFiles, randomFile, snapshot } from './publish-helpers.js';

const WORK = tempDir('fjord-crash-');
const SMALL = join(WORK, 'small.mkv');
const BIG = join(WORK, 'big.mkv');
const CHILD = fileURLToPath(new URL('./publish-crash-child.ts', import.meta.url));

before(() => {
  randomFile(SMALL, 200_000);
  // Big enough that hashing runs on the workers for a while; small enough for a shared machine.
  randomFile(BIG, 32 * 1024 * 1024);
});
after(() => closeIdleWorkers());

function request(dataDir: string, overrides: Partial<PublishRequest> = {}): PublishRequest {
  return {
    dataDir,
    openCatalog: () => openCatalog({ dataDir }),
    file: SMALL,
    series: 'Show',
    newSeries: true,
    season: 1,
    episode: 2,
    title: 'T',
    subtitles: [],
    licence: 'all-rights-reserved',
    holders: [],
    cleared: true,
    mode: 'hybrid',
    link: false,
    trackers: ['http://127.0.0.1:6969/announce'],
    webUrl: 'http://127.0.0.1:8080',
    actor: 'test',
    probe: false,
    ...overrides,
  };
}

async function seeded(name: string): Promise<string> {
  const data = join(WORK, name);
  const r = await fjord([
    'publish',
    '--no-probe',
    SMALL,
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
    'first',
    '-q',
    '--cleared',
  ]);
  assert.equal(r.status, 0, r.stderr);
  return data;
}

test('an error at any phase up to the commit leaves the catalog and the files as they were', async () => {
  const data = await seeded('inject');
  const before = await snapshot(data);
  for (const phase of ['checked', 'staged', 'hashed', 'torrent-written', 'moved'] as Phase[]) {
    const job = new Publication(
      request(data, {
        onPhase: (p) => {
          if (p === phase) throw new Error(`injected at ${p}`);
        },
      }),
    );
    await assert.rejects(job.run(), new RegExp(`injected at ${phase}`));
    assert.deepEqual(await snapshot(data), before, `failure at ${phase}`);
  }
  // The commit itself failing (the database refuses, the disk is full...): rolled back as well.
  const failing = (c: Catalog): Catalog =>
    new Proxy(c, {
      get(target, key, receiver) {
        if (key === 'publishEpisode') return () => Promise.reject(new Error('the database went away'));
        const v: unknown = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  const job = new Publication(
    request(data, { openCatalog: async () => failing(await openCatalog({ dataDir: data })) }),
  );
  await assert.rejects(job.run(), /the database went away/);
  assert.deepEqual(await snapshot(data), before, 'failed commit');
  // And the same request with nothing injected goes through.
  const ok = await new Publication(request(data)).run();
  assert.equal(ok.episode.title, 'T');
  assert.ok(listFiles(data).includes('torrents/show-s01e02.torrent'));
});

interface Child {
  wait(line: RegExp): Promise<void>;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<number | null>;
  stderr(): string;
}

function child(dataDir: string, pauseAt: Phase): Child {
  const p = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, JSON.stringify({ dataDir, file: BIG, pauseAt })],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  p.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    for (const w of waiters.splice(0)) w();
  });
  p.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) =>
    p.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  return {
    wait: (line) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${line} from the child: ${out} ${err}`)), 60_000);
        const check = (): void => {
          if (line.test(out)) {
            clearTimeout(timer);
            resolve();
          } else if (p.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`child exited (${p.exitCode}): ${out} ${err}`));
          } else waiters.push(check);
        };
        check();
      }),
    kill: (signal) => p.kill(signal),
    exited,
    stderr: () => err,
  };
}

const storeFiles = (data: string): string[] => listFiles(data).filter((f) => !f.startsWith('.staging/'));

test('SIGTERM while hashing: exit 143, no files at all (staging removed), catalog unchanged', async () => {
  const data = await seeded('sigterm');
  const before = await snapshot(data);
  const c = child(data, 'hashed');
  await c.wait(/^hashing$/m);
  c.kill('SIGTERM');
  assert.equal(await c.exited, 143, c.stderr());
  assert.match(c.stderr(), /SIGTERM: stopped; nothing was published/);
  assert.deepEqual(await snapshot(data), before);
  assert.equal(existsSync(join(data, '.staging')), false);
});

test('SIGKILL while hashing: nothing in the store or the catalog; the next publication sweeps the staging folder', async () => {
  const data = await seeded('sigkill-hashing');
  const before = await snapshot(data);
  const c = child(data, 'hashed');
  await c.wait(/^hashing$/m);
  c.kill('SIGKILL');
  await c.exited;
  const after = await snapshot(data);
  assert.equal(after.version, before.version);
  assert.equal(after.episodes, before.episodes);
  assert.deepEqual(storeFiles(data), before.files, 'media/, subtitles/ and torrents/ untouched');
  assert.ok(readdirSync(join(data, '.staging')).length > 0, 'a dead staging folder remains for now');
  const r = await fjord([
    'publish',
    '--no-probe',
    SMALL,
    '--data',
    data,
    '--series',
    'Show',
    '--season',
    '1',
    '--episode',
    '3',
    '--title',
    'next',
    '-q',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(existsSync(join(data, '.staging')), false, 'swept');
  assert.deepEqual(
    listFiles(data),
    [...before.files, 'media/show/show-s01e03/show-s01e03.mkv', 'torrents/show-s01e03.torrent'].sort(),
  );
});

test('SIGKILL after moving into place, before the commit: never in the catalog; the next publication removes the files', async () => {
  const data = await seeded('sigkill-moved');
  const before = await snapshot(data);
  const c = child(data, 'moved');
  await c.wait(/^paused moved$/m);
  c.kill('SIGKILL');
  await c.exited;
  // The files are in place but no catalog row names them, so nothing serves them.
  assert.ok(storeFiles(data).includes('torrents/crash-s01e01.torrent'));
  const cat = await openCatalog({ dataDir: data });
  try {
    assert.equal(await cat.getEpisode('crash', 1, 1), null);
    assert.equal(await cat.getSeriesBySlug('crash'), null);
    assert.equal(await cat.catalogVersion(new Date(0)), before.version);
  } finally {
    await cat.close();
  }
  const r = await fjord([
    'publish',
    '--no-probe',
    SMALL,
    '--data',
    data,
    '--series',
    'Show',
    '--season',
    '1',
    '--episode',
    '3',
    '--title',
    'next',
    '-q',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(
    listFiles(data),
    [...before.files, 'media/show/show-s01e03/show-s01e03.mkv', 'torrents/show-s01e03.torrent'].sort(),
  );
  assert.ok(!(await snapshot(data)).dirs.some((d) => d.includes('crash')), 'no empty series folders either');
});

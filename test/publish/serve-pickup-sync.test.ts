/**
 * CatalogSync on its own (in-process, SQLite): a write is picked up at the next poll; a window edge is
 * met by the timer aimed at nextRightsChange() even when polling is slow; a catalog that cannot be
 * read keeps the previous lists, says so once, and recovers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { openCatalog, type Catalog, type PublishEpisodeInput } from '../../src/catalog/index.js';
import { CatalogSync, type CatalogSnapshot } from '../../src/publish/catalog-sync.js';
import { tempDir } from '../helpers/tracker.js';

const hex = (s: string, n: number): string => createHash('sha256').update(s).digest('hex').slice(0, n);

function input(episode: number, rights: Partial<PublishEpisodeInput['rights']> = {}): PublishEpisodeInput {
  const dir = `media/s/s-s01e${String(episode).padStart(2, '0')}`;
  return {
    series: { title: 'S' },
    season: 1,
    episode,
    title: `E${episode}`,
    rights: {
      licence: 'all-rights-reserved',
      holders: [],
      clearedWorldwide: true,
      availableFrom: new Date(Date.now() - 1000),
      availableUntil: null,
      ...rights,
    },
    media: [{ path: `${dir}/v.mkv`, sizeBytes: 1, mimeType: 'video/x-matroska' }],
    torrent: {
      infoHashV1: hex(`v1 ${episode}`, 40),
      path: `torrents/${episode}.torrent`,
      sizeBytes: 1,
      pieceLength: 16384,
      mode: 'v1',
    },
    actor: 'test',
  };
}

async function withSync(
  pollMs: number,
  fn: (
    c: Catalog,
    sync: CatalogSync,
    next: (pred: (s: CatalogSnapshot) => boolean) => Promise<number>,
    logs: string[],
  ) => Promise<void>,
  wrap: (c: Catalog) => Catalog = (c) => c,
): Promise<void> {
  const catalog = await openCatalog({ dataDir: tempDir('fjord-sync-') });
  const logs: string[] = [];
  const sync = new CatalogSync(wrap(catalog), { pollMs, log: (m) => logs.push(m) });
  const snapshots: CatalogSnapshot[] = [];
  sync.onChange((s) => snapshots.push(s));
  await sync.start();
  /** Resolves with the milliseconds until a snapshot satisfying pred arrives. */
  const next = (pred: (s: CatalogSnapshot) => boolean): Promise<number> => {
    const start = Date.now();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (snapshots.some(pred)) return resolve(Date.now() - start);
        if (Date.now() - start > 5000)
          return reject(new Error(`no such snapshot; logs: ${logs.join(' | ')}`));
        setTimeout(check, 10);
      };
      check();
    });
  };
  try {
    await fn(catalog, sync, next, logs);
  } finally {
    sync.stop();
    await sync.settled();
    await catalog.close();
  }
}

test('a write is picked up at the next poll', async () => {
  await withSync(200, async (c, _sync, next, logs) => {
    const e = await c.publishEpisode(input(1));
    const ms = await next((s) => s.allowed.includes(e.torrents[0].infoHashV1 ?? ''));
    assert.ok(ms < 1000, `${ms} ms`);
    await c.unpublishEpisode('s', 1, 1, 'test');
    await next((s) => s.withdrawn.includes(e.torrents[0].infoHashV1 ?? ''));
    assert.ok(logs.some((l) => /distributing s s01e01 "E1"/.test(l)));
    assert.ok(logs.some((l) => /no longer distributing s s01e01 "E1" \(withdrawn\)/.test(l)));
  });
});

test('a window edge is met on time by the nextRightsChange timer, not by polling', async () => {
  const c = await openCatalog({ dataDir: tempDir('fjord-sync-') });
  const until = new Date(Date.now() + 1500);
  const e = await c.publishEpisode(input(2, { availableUntil: until }));
  const h = e.torrents[0].infoHashV1 ?? '';
  const logs: string[] = [];
  // Polling every 30 s: only the timer aimed at the edge can notice in time.
  const sync = new CatalogSync(c, { pollMs: 30_000, log: (m) => logs.push(m) });
  let withdrawnAt = 0;
  sync.onChange((snap) => {
    if (!withdrawnAt && snap.withdrawn.includes(h)) withdrawnAt = Date.now();
  });
  try {
    const first = await sync.start();
    assert.ok(first.allowed.includes(h));
    assert.equal(first.nextChange?.getTime(), until.getTime());
    while (!withdrawnAt && Date.now() < until.getTime() + 3000) await new Promise((r) => setTimeout(r, 10));
    assert.ok(withdrawnAt, 'withdrawn by the timer');
    const late = withdrawnAt - until.getTime();
    assert.ok(late >= 0 && late < 500, `${late} ms after the edge`);
    assert.ok(
      logs.some((l) => /no longer distributing s s01e02 "E2" \(window closed\)/.test(l)),
      logs.join(' | '),
    );
  } finally {
    sync.stop();
    await sync.settled();
    await c.close();
  }
});

test('a catalog that cannot be read keeps the previous lists, says so once, and recovers', async () => {
  let broken = false;
  const flaky = (c: Catalog): Catalog =>
    new Proxy(c, {
      get(target, key, receiver) {
        const v: unknown = Reflect.get(target, key, receiver);
        if (typeof v !== 'function') return v;
        return (...args: unknown[]) => {
          if (broken) return Promise.reject(new Error('connection refused'));
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  await withSync(
    100,
    async (c, sync, next, logs) => {
      const e = await c.publishEpisode(input(3));
      const h = e.torrents[0].infoHashV1 ?? '';
      await next((s) => s.allowed.includes(h));
      broken = true;
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(sync.current?.allowed.includes(h), 'the previous lists stay');
      assert.equal(
        logs.filter((l) => /cannot read \(connection refused\)/.test(l)).length,
        1,
        logs.join(' | '),
      );
      broken = false;
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(logs.some((l) => /reading again/.test(l)));
    },
    flaky,
  );
});

/**
 * The catalog's behaviour, written once and run against every backend (as chihaya runs one suite
 * against each storage). A backend test file supplies a factory of fresh, empty stores.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sql } from 'kysely';
import {
  CatalogError,
  nextRightsChange,
  openCatalog,
  truncateV2,
  type Catalog,
  type CatalogErrorCode,
  type CatalogLocation,
} from '../../src/catalog/index.js';
import { openBackend } from '../../src/catalog/backend.js';
import { migrate } from '../../src/catalog/migrate.js';
import { migrations } from '../../src/catalog/migrations/index.js';
import { DAY, T0, TestClock, sampleEpisode, sha1, sha256 } from './fixtures.js';

export interface CatalogStore {
  /** Where the store is: openCatalog(location) reaches the same data every time. */
  location: CatalogLocation;
  destroy(): Promise<void>;
}

export interface ConformanceOptions {
  /** A reason to skip the whole suite (e.g. no PostgreSQL), or false. */
  skip: string | false;
  /** Several connections write at once (PostgreSQL). SQLite in one process has a single connection. */
  concurrentConnections: boolean;
}

export async function rejectsWith(
  p: Promise<unknown>,
  code: CatalogErrorCode,
  pattern?: RegExp,
): Promise<CatalogError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CatalogError, `expected a CatalogError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.ok(!err.message.includes('\n'), 'one-line message');
    if (pattern) assert.match(err.message, pattern);
    return err;
  }
  assert.fail(`expected CatalogError ${code}`);
}

/** Everything a test could see change: used to prove that a refused write changed nothing. */
async function snapshot(c: Catalog) {
  return {
    version: await c.catalogVersion(),
    series: await c.listSeries(),
    episodes: await c.listEpisodes(),
    events: await c.listEvents({ limit: 1000 }),
    hashes: await c.distributableInfoHashes(),
  };
}

export function catalogConformance(
  name: string,
  newStore: () => Promise<CatalogStore>,
  options: ConformanceOptions,
): void {
  describe(`catalog on ${name}`, { skip: options.skip }, () => {
    /** A fresh empty store and a catalog on it with a pinned clock; both are cleaned up afterwards. */
    async function withCatalog(fn: (c: Catalog, clock: TestClock, store: CatalogStore) => Promise<void>) {
      const store = await newStore();
      const clock = new TestClock();
      const catalog = await openCatalog({ ...store.location, clock: clock.now });
      try {
        await fn(catalog, clock, store);
      } finally {
        await catalog.close();
        await store.destroy();
      }
    }

    test('migrations run once, are recorded, and reopening changes nothing', async () => {
      const store = await newStore();
      try {
        const backend = await openBackend(store.location);
        try {
          assert.deepEqual(
            await migrate(backend, migrations, () => T0),
            migrations.map((m) => m.version),
          );
          assert.deepEqual(await migrate(backend, migrations, () => T0), []);
          const rows = await backend.db.selectFrom('catalog_migrations').selectAll().execute();
          assert.deepEqual(
            rows.map((r) => [Number(r.version), r.name, Number(r.applied_at)]),
            migrations.map((m) => [m.version, m.name, T0]),
          );
        } finally {
          await backend.close();
        }
        // openCatalog on an up-to-date store, twice, keeps the data.
        const a = await openCatalog(store.location);
        await a.publishEpisode(sampleEpisode());
        await a.close();
        const b = await openCatalog(store.location);
        assert.equal((await b.listEpisodes()).length, 1);
        await b.close();
      } finally {
        await store.destroy();
      }
    });

    test('a failing migration leaves neither its tables nor its record', async () => {
      const store = await newStore();
      try {
        const backend = await openBackend(store.location);
        try {
          const broken = {
            version: migrations.length + 1,
            name: 'broken',
            async up(ctx: Parameters<(typeof migrations)[number]['up']>[0]) {
              await ctx.schema.createTable('half_done').addColumn('x', 'integer').execute();
              throw new Error('the last migration fails on purpose');
            },
          };
          await assert.rejects(
            migrate(backend, [...migrations, broken], () => T0),
            /fails on purpose/,
          );
          const versions = await backend.db.selectFrom('catalog_migrations').select('version').execute();
          assert.deepEqual(
            versions.map((v) => Number(v.version)),
            migrations.map((m) => m.version),
          );
          // The table created before the failure was rolled back with it (transactional DDL).
          await assert.rejects(sql`select count(*) from half_done`.execute(backend.db));
        } finally {
          await backend.close();
        }
      } finally {
        await store.destroy();
      }
    });

    test('a catalog newer than this fjord is refused', async () => {
      const store = await newStore();
      try {
        const backend = await openBackend(store.location);
        await migrate(backend, migrations, () => T0);
        await backend.db
          .insertInto('catalog_migrations')
          .values({ version: 99, name: 'future', applied_at: T0 })
          .execute();
        await backend.close();
        await rejectsWith(openCatalog(store.location), 'schema-too-new', /99/);
      } finally {
        await store.destroy();
      }
    });

    if (options.concurrentConnections) {
      test('catalogs opened at the same time on an empty store migrate it once', async () => {
        const store = await newStore();
        try {
          const opened = await Promise.all([1, 2, 3].map(() => openCatalog(store.location)));
          await opened[0].publishEpisode(sampleEpisode());
          assert.equal((await opened[2].listEpisodes()).length, 1);
          await Promise.all(opened.map((c) => c.close()));
        } finally {
          await store.destroy();
        }
      });
    }

    test('records the probed codecs of media files (migration 005), null when not probed', async () => {
      await withCatalog(async (c) => {
        const input = sampleEpisode();
        const codecs = { video: ['h264'], audio: ['aac', 'opus'] };
        const e = await c.publishEpisode({ ...input, media: [{ ...input.media[0], codecs }] });
        assert.deepEqual(e.media[0].codecs, codecs);
        const other = await c.publishEpisode(sampleEpisode({ episode: 2 }));
        assert.equal(other.media[0].codecs, null);
      });
    });

    test('publishes an episode and reads every part of it back', async () => {
      await withCatalog(async (c) => {
        const input = sampleEpisode({
          season: 2,
          episode: 3,
          seasonTitle: 'Vinter',
          subtitles: [
            { language: 'nb-no', kind: 'official', format: 'srt', path: 'media/x/e.nb.srt' },
            { language: 'se', kind: 'community', format: 'vtt', path: 'media/x/e.se.vtt' },
          ],
        });
        const e = await c.publishEpisode(input);
        assert.equal(e.seriesSlug, 'der-ingen-skulle-tru-at-nokon-kunne-bu');
        assert.equal(e.seriesTitle, 'Der ingen skulle tru at nokon kunne bu');
        assert.deepEqual([e.season, e.episode, e.title], [2, 3, 'Episode 3']);
        assert.equal(e.description, input.description);
        assert.equal(e.durationSeconds, 1740);
        assert.deepEqual(
          [e.createdAt, e.updatedAt, e.publishedAt],
          [new Date(T0), new Date(T0), new Date(T0)],
        );
        assert.equal(e.withdrawnAt, null);
        assert.deepEqual(e.rights, input.rights);
        assert.deepEqual(
          e.media.map(({ id: _id, ...m }) => m),
          input.media.map((m) => ({ role: 'video', codecs: null, ...m })),
        );
        assert.equal(e.torrents.length, 1);
        const { id: _tid, ...torrent } = e.torrents[0];
        assert.deepEqual(torrent, {
          infoHashAria2: null,
          infoHashV1Twin: null,
          ...input.torrent,
          createdAt: new Date(T0),
        });
        assert.deepEqual(
          e.subtitles.map((s) => [s.language, s.kind, s.format, s.path, s.status]),
          [
            ['nb-NO', 'official', 'srt', 'media/x/e.nb.srt', null],
            ['se', 'community', 'vtt', 'media/x/e.se.vtt', 'pending'],
          ],
        );

        // The same episode by every way of asking.
        assert.deepEqual(await c.getEpisode(e.seriesSlug, 2, 3), e);
        assert.deepEqual(await c.getEpisodeById(e.id), e);
        assert.deepEqual(await c.listEpisodes({ seriesSlug: e.seriesSlug }), [e]);
        assert.deepEqual(await c.episodeByInfoHash(input.torrent.infoHashV1!.toUpperCase()), e);
        assert.deepEqual(await c.episodeByInfoHash(input.torrent.infoHashV2!), e);
        assert.deepEqual(await c.episodeByInfoHash(truncateV2(input.torrent.infoHashV2!)), e);
        assert.equal(await c.episodeByInfoHash(sha1('nothing')), null);
        assert.equal(await c.getEpisode(e.seriesSlug, 2, 4), null);
        assert.deepEqual(await c.listEpisodes({ seriesSlug: 'other' }), []);
        await rejectsWith(c.episodeByInfoHash('abc'), 'invalid-info-hash');

        const series = await c.getSeriesBySlug(e.seriesSlug);
        assert.deepEqual(series, {
          id: e.seriesId,
          slug: e.seriesSlug,
          title: e.seriesTitle,
          description: null,
          createdAt: new Date(T0),
          posterPath: null,
          bannerPath: null,
        });
        const [event] = await c.listEvents({ subject: `episode:${e.id}` });
        assert.equal(event.action, 'episode.publish');
        assert.equal(event.actor, 'editor@nrk.no');
        assert.deepEqual(event.at, new Date(T0));
        assert.deepEqual(
          event.details !== null && typeof event.details === 'object' && !Array.isArray(event.details)
            ? [event.details.series, event.details.season, event.details.episode, event.details.infoHashV1]
            : null,
          [e.seriesSlug, 2, 3, input.torrent.infoHashV1],
        );
      });
    });

    test('a second episode joins the existing series and season', async () => {
      await withCatalog(async (c) => {
        const a = await c.publishEpisode(sampleEpisode({ episode: 1 }));
        const b = await c.publishEpisode(
          sampleEpisode({ episode: 2, seriesTitle: 'Der ingen skulle tru at nokon kunne bu' }),
        );
        assert.equal(b.seriesId, a.seriesId);
        assert.equal((await c.listSeries()).length, 1);
        assert.deepEqual(
          (await c.listEpisodes()).map((e) => e.episode),
          [1, 2],
        );
      });
    });

    test('refuses a duplicate episode with a one-line error and leaves the catalog as it was', async () => {
      await withCatalog(async (c) => {
        await c.publishEpisode(sampleEpisode());
        const before = await snapshot(c);
        const dup = sampleEpisode({ seed: 'another file of the same episode' });
        const err = await rejectsWith(c.publishEpisode(dup), 'duplicate-episode');
        assert.equal(
          err.message,
          'episode already exists: der-ingen-skulle-tru-at-nokon-kunne-bu season 1 episode 1',
        );
        assert.deepEqual(await snapshot(c), before);
      });
    });

    test('a failure after the episode row was written leaves nothing of it (atomic publish)', async () => {
      await withCatalog(async (c) => {
        const first = await c.publishEpisode(sampleEpisode());
        const before = await snapshot(c);
        // A new series whose torrent reuses the first torrent's v1 hash: series, season, episode,
        // rights and media rows are inserted before the torrent insert hits the unique constraint.
        const clash = sampleEpisode({ seriesTitle: 'Skjærgårdsliv', seed: 'clash', episode: 7 });
        clash.torrent.infoHashV1 = first.torrents[0].infoHashV1!;
        await rejectsWith(
          c.publishEpisode(clash),
          'duplicate-info-hash',
          new RegExp(first.torrents[0].infoHashV1!),
        );
        assert.deepEqual(await snapshot(c), before);
        assert.equal(await c.getSeriesBySlug('skjaergardsliv'), null);
        assert.equal(await c.getEpisode('skjaergardsliv', 1, 7), null);

        // The same for a clash on the v2 hash only (v1 fresh).
        const clash2 = sampleEpisode({ seriesTitle: 'Skjærgårdsliv', seed: 'clash 2', episode: 7 });
        clash2.torrent.infoHashV2 = first.torrents[0].infoHashV2!;
        await rejectsWith(c.publishEpisode(clash2), 'duplicate-info-hash');
        assert.deepEqual(await snapshot(c), before);

        // Nothing was left behind to block a correct retry (its episode number and media paths are free).
        const retry = sampleEpisode({ seriesTitle: 'Skjærgårdsliv', seed: 'clash', episode: 7 });
        const ok = await c.publishEpisode(retry);
        assert.equal(ok.seriesSlug, 'skjaergardsliv');
        assert.equal(ok.media[0].path, clash.media[0].path);
      });
    });

    test('refuses a media file already recorded for another episode, atomically', async () => {
      await withCatalog(async (c) => {
        const first = await c.publishEpisode(sampleEpisode());
        const before = await snapshot(c);
        const other = sampleEpisode({ episode: 2 });
        other.media = [{ ...other.media[0], path: first.media[0].path }];
        await rejectsWith(c.publishEpisode(other), 'duplicate-file');
        assert.deepEqual(await snapshot(c), before);
      });
    });

    test('validates input before touching the database', async () => {
      await withCatalog(async (c) => {
        const before = await snapshot(c);
        const cases: Array<[CatalogErrorCode, ReturnType<typeof sampleEpisode>]> = [
          [
            'invalid-window',
            sampleEpisode({ rights: { availableFrom: new Date(T0), availableUntil: new Date(T0 - 1) } }),
          ],
          [
            'invalid-window',
            sampleEpisode({ rights: { availableFrom: new Date(T0), availableUntil: new Date(T0) } }),
          ],
          ['invalid-window', sampleEpisode({ rights: { availableFrom: new Date(Number.NaN) } })],
          ['invalid-number', sampleEpisode({ season: 0 })],
          ['invalid-number', sampleEpisode({ season: -1 })],
          ['invalid-number', sampleEpisode({ episode: 1.5 })],
          ['invalid-number', sampleEpisode({ durationSeconds: -3 })],
          [
            'invalid-language',
            sampleEpisode({
              subtitles: [{ language: 'nb_NO', kind: 'official', format: 'srt', path: 'a.srt' }],
            }),
          ],
          [
            'invalid-language',
            sampleEpisode({ subtitles: [{ language: '', kind: 'official', format: 'srt', path: 'a.srt' }] }),
          ],
          // Well-formed BCP 47 but not in the IANA registry (issue 17).
          ...['norsk', 'xx', 'nb-XQ'].map(
            (language): [CatalogErrorCode, ReturnType<typeof sampleEpisode>] => [
              'invalid-language',
              sampleEpisode({ subtitles: [{ language, kind: 'official', format: 'srt', path: 'a.srt' }] }),
            ],
          ),
          [
            'invalid-input',
            sampleEpisode({
              media: [
                {
                  path: 'm/e.mp4',
                  sizeBytes: 1,
                  mimeType: 'video/mp4',
                  codecs: { video: ['h 264'], audio: [] },
                },
              ],
            }),
          ],
          ['invalid-slug', sampleEpisode({ seriesSlug: 'Not A Slug' })],
          ['invalid-slug', sampleEpisode({ seriesTitle: '!!!' })],
          [
            'invalid-path',
            sampleEpisode({ media: [{ path: '../etc/passwd', sizeBytes: 1, mimeType: 'video/mp4' }] }),
          ],
          [
            'invalid-path',
            sampleEpisode({ media: [{ path: '/abs/file.mp4', sizeBytes: 1, mimeType: 'video/mp4' }] }),
          ],
          ['invalid-input', sampleEpisode({ media: [] })],
          ['invalid-input', sampleEpisode({ title: '  ' })],
          ['invalid-input', sampleEpisode({ rights: { licence: 'CC BY' } })],
          ['invalid-input', sampleEpisode({ rights: { holders: ['NRK', ''] } })],
          [
            'invalid-info-hash',
            sampleEpisode({
              torrent: {
                mode: 'hybrid',
                infoHashV1: sha1('x'),
                path: 't.torrent',
                sizeBytes: 1,
                pieceLength: 16384,
              },
            }),
          ],
          [
            'invalid-info-hash',
            sampleEpisode({
              torrent: {
                mode: 'v1',
                infoHashV1: 'zz'.repeat(20),
                path: 't.torrent',
                sizeBytes: 1,
                pieceLength: 16384,
              },
            }),
          ],
          [
            'invalid-number',
            sampleEpisode({
              torrent: {
                mode: 'v2',
                infoHashV2: sha256('x'),
                path: 't.torrent',
                sizeBytes: 1,
                pieceLength: 30000,
              },
            }),
          ],
        ];
        for (const [code, input] of cases) await rejectsWith(c.publishEpisode(input), code);
        assert.deepEqual(await snapshot(c), before);
      });
    });

    test('renaming an episode changes its title and never its torrents', async () => {
      await withCatalog(async (c, clock) => {
        const e = await c.publishEpisode(sampleEpisode());
        const hashes = await c.distributableInfoHashes();
        const version = await c.catalogVersion();
        clock.set(T0 + 60_000);
        const renamed = await c.renameEpisode(e.id, 'Lofoten i februar', 'desk@nrk.no');
        assert.equal(renamed.title, 'Lofoten i februar');
        assert.deepEqual(renamed.torrents, e.torrents);
        assert.deepEqual(renamed.updatedAt, new Date(T0 + 60_000));
        assert.deepEqual(renamed.createdAt, e.createdAt);
        assert.deepEqual(renamed.publishedAt, e.publishedAt);
        assert.deepEqual(
          await c.distributableInfoHashes(T0 + 60_000 > 0 ? new Date(T0) : new Date(0)),
          hashes,
        );
        assert.notEqual(await c.catalogVersion(new Date(T0)), version);
        const [event] = await c.listEvents({ subject: `episode:${e.id}`, limit: 1 });
        assert.deepEqual(
          [event.action, event.actor, event.details],
          ['episode.rename', 'desk@nrk.no', { from: 'Episode 1', to: 'Lofoten i februar' }],
        );
        await rejectsWith(c.renameEpisode(e.id + 1000, 'x'), 'not-found');
        await rejectsWith(c.renameEpisode(e.id, ''), 'invalid-input');
      });
    });

    for (const [what, key, message] of [
      ['aria2 alias', 'infoHashAria2', /aria2 info hash/],
      ['v1 twin', 'infoHashV1Twin', /v1 twin info hash/],
    ] as const)
      test(`a hybrid torrent's ${what} is stored, allowed, withdrawn and found like its other names`, async () => {
        await withCatalog(async (c, clock) => {
          const input = sampleEpisode();
          const alias = sha1(what);
          const e = await c.publishEpisode({
            ...input,
            torrent: { ...input.torrent, [key]: alias.toUpperCase() },
          });
          assert.equal(e.torrents[0][key], alias);
          assert.equal((await c.episodeByInfoHash(alias))?.id, e.id);
          const v1 = e.torrents[0].infoHashV1!;
          const v2short = truncateV2(e.torrents[0].infoHashV2!);
          assert.deepEqual((await c.distributableInfoHashes()).allowed.sort(), [v1, v2short, alias].sort());
          // One swarm, one torrent: a second torrent with the same alias is refused, atomically.
          const before = await snapshot(c);
          const dup = sampleEpisode({ episode: 2 });
          await rejectsWith(
            c.publishEpisode({ ...dup, torrent: { ...dup.torrent, [key]: alias } }),
            'duplicate-info-hash',
            message,
          );
          assert.deepEqual(await snapshot(c), before);
          // Only a hybrid torrent has one.
          const v1only = sampleEpisode({ episode: 3 });
          await rejectsWith(
            c.publishEpisode({
              ...v1only,
              torrent: {
                mode: 'v1',
                infoHashV1: sha1('v1 only'),
                path: 'x/v1.torrent',
                sizeBytes: 1,
                pieceLength: 1 << 20,
                [key]: sha1('y'),
              },
            }),
            'invalid-info-hash',
            /only a hybrid torrent/,
          );
          clock.set(T0 + 1000);
          await c.unpublishEpisode(e.seriesSlug, 1, 1, 'rights@nrk.no');
          assert.deepEqual((await c.distributableInfoHashes()).withdrawn.sort(), [v1, v2short, alias].sort());
        });
      });

    test('editing: title, description, credits and series text change, audited; hashes and files do not', async () => {
      await withCatalog(async (c, clock) => {
        const e = await c.publishEpisode(sampleEpisode());
        const hashes = await c.distributableInfoHashes();
        const version = await c.catalogVersion();
        clock.set(T0 + 60_000);
        const edited = await c.editEpisode(
          e.id,
          { title: 'Lofoten i februar', description: '', credits: ['NRK', 'Fjordfilm'] },
          'desk@nrk.no',
        );
        assert.equal(edited.title, 'Lofoten i februar');
        assert.equal(edited.description, null, "'' clears the description");
        assert.deepEqual(edited.rights.holders, ['NRK', 'Fjordfilm']);
        assert.deepEqual(edited.torrents, e.torrents, 'the torrent rows are untouched');
        assert.deepEqual(edited.media, e.media);
        assert.deepEqual(edited.updatedAt, new Date(T0 + 60_000));
        assert.deepEqual(await c.distributableInfoHashes(), hashes);
        assert.notEqual(await c.catalogVersion(), version, 'a running server sees the change');
        const [event] = await c.listEvents({ subject: `episode:${e.id}`, limit: 1 });
        assert.deepEqual(
          [event.action, event.actor, event.details],
          [
            'episode.edit',
            'desk@nrk.no',
            {
              before: { title: 'Episode 1', description: e.description, credits: ['NRK'] },
              after: { title: 'Lofoten i februar', description: null, credits: ['NRK', 'Fjordfilm'] },
            },
          ],
        );
        // The same values again: no event.
        const count = (await c.listEvents()).length;
        await c.editEpisode(e.id, { title: 'Lofoten i februar' }, 'desk@nrk.no');
        assert.equal((await c.listEvents()).length, count);
        await rejectsWith(c.editEpisode(e.id, {}, 'x'), 'invalid-input', /nothing to change/);
        await rejectsWith(c.editEpisode(e.id, { title: ' ' }, 'x'), 'invalid-input');
        await rejectsWith(c.editEpisode(e.id + 1000, { title: 'x' }, 'x'), 'not-found');

        const s = await c.editSeries(
          e.seriesSlug,
          { title: 'Der ingen bur', description: 'Ny tekst.' },
          'desk@nrk.no',
        );
        assert.deepEqual([s.slug, s.title, s.description], [e.seriesSlug, 'Der ingen bur', 'Ny tekst.']);
        assert.equal((await c.getEpisodeById(e.id))?.seriesTitle, 'Der ingen bur');
        const [se] = await c.listEvents({ subject: `series:${e.seriesSlug}`, limit: 1 });
        assert.equal(se.action, 'series.edit');
        assert.deepEqual(se.details, {
          before: { title: 'Der ingen skulle tru at nokon kunne bu', description: null },
          after: { title: 'Der ingen bur', description: 'Ny tekst.' },
        });
        await rejectsWith(c.editSeries('no-such', { title: 'x' }, 'x'), 'not-found');
      });
    });

    test('artwork and announcements are set, cleared and audited; bad paths are refused', async () => {
      await withCatalog(async (c) => {
        const e = await c.publishEpisode(sampleEpisode());
        assert.deepEqual([e.stillPath, e.announce], [null, false]);
        const before = await c.getSeriesBySlug(e.seriesSlug);
        assert.deepEqual([before?.posterPath, before?.bannerPath], [null, null]);
        const s = await c.setSeriesArtwork(
          e.seriesSlug,
          'poster',
          'artwork/series-1-poster-ab12.png',
          'desk',
        );
        assert.equal(s.posterPath, 'artwork/series-1-poster-ab12.png');
        assert.equal(s.bannerPath, null);
        const b = await c.setSeriesArtwork(
          e.seriesSlug,
          'banner',
          'artwork/series-1-banner-cd34.jpg',
          'desk',
        );
        assert.deepEqual(
          [b.posterPath, b.bannerPath],
          ['artwork/series-1-poster-ab12.png', 'artwork/series-1-banner-cd34.jpg'],
        );
        const [ev] = await c.listEvents({ subject: `series:${e.seriesSlug}`, limit: 1 });
        assert.equal(ev.action, 'series.artwork');
        assert.deepEqual(ev.details, { kind: 'banner', from: null, to: 'artwork/series-1-banner-cd34.jpg' });
        assert.equal((await c.setSeriesArtwork(e.seriesSlug, 'poster', null, 'desk')).posterPath, null);
        const still = await c.setEpisodeStill(e.id, 'artwork/episode-1-still-ef56.jpg', 'desk');
        assert.equal(still.stillPath, 'artwork/episode-1-still-ef56.jpg');
        assert.equal((await c.setEpisodeAnnounce(e.id, true, 'desk')).announce, true);
        assert.equal((await c.getEpisodeById(e.id))?.announce, true);
        const [ea] = await c.listEvents({ subject: `episode:${e.id}`, limit: 1 });
        assert.deepEqual([ea.action, ea.details], ['episode.announce', { announce: true }]);
        await rejectsWith(c.setSeriesArtwork(e.seriesSlug, 'poster', '../etc/passwd', 'x'), 'invalid-input');
        await rejectsWith(c.setEpisodeStill(e.id, '/abs/still.jpg', 'x'), 'invalid-input');
        await rejectsWith(c.setSeriesArtwork('no-such', 'poster', null, 'x'), 'not-found');
        await rejectsWith(c.setEpisodeStill(e.id + 1000, null, 'x'), 'not-found');
      });
    });

    test('search finds series and episodes by words and word beginnings, kept in step with edits', async () => {
      await withCatalog(async (c) => {
        const e = await c.publishEpisode(sampleEpisode());
        const s = await c.getSeriesBySlug(e.seriesSlug);
        await c.editEpisode(e.id, { title: 'Fyret på Lista', description: 'Om fyrvokteren og havet.' }, 'x');
        assert.deepEqual(await c.search('fyr'), { series: [], episodes: [e.id] }, 'a word beginning');
        assert.deepEqual((await c.search('HAVET fyrvokteren')).episodes, [e.id], 'every word, any case');
        assert.deepEqual((await c.search('fyret ørken')).episodes, [], 'all words must match');
        assert.deepEqual((await c.search('   ')).episodes, []);
        assert.deepEqual((await c.search('"); DROP TABLE series; --')).episodes, []);
        await c.editSeries(e.seriesSlug, { description: 'Livet langs kysten.' }, 'x');
        assert.deepEqual(await c.search('kysten'), { series: [s!.id], episodes: [] });
        await c.editEpisode(e.id, { title: 'Noe annet', description: null }, 'x');
        assert.deepEqual((await c.search('fyr')).episodes, [], 'the old words are gone');
      });
    });

    test('restoring undoes an unpublish within the rights; deleting frees a never-distributed number', async () => {
      await withCatalog(async (c, clock) => {
        const e = await c.publishEpisode(sampleEpisode());
        const v1 = e.torrents[0].infoHashV1!;
        clock.set(T0 + 1000);
        await c.unpublishEpisode(e.seriesSlug, 1, 1, 'x');
        assert.ok((await c.distributableInfoHashes()).withdrawn.includes(v1));
        clock.set(T0 + 2000);
        const r = await c.restoreEpisode(e.id, 'rights@nrk.no');
        assert.equal(r.withdrawnAt, null);
        assert.deepEqual(r.publishedAt, e.publishedAt);
        assert.ok((await c.distributableInfoHashes()).allowed.includes(v1), 'distributed again');
        assert.equal(
          (await c.listEvents({ subject: `episode:${e.id}`, limit: 1 }))[0].action,
          'episode.restore',
        );
        // Distributed once: cannot be deleted (peers may hold it).
        await rejectsWith(c.deleteEpisode(e.id, 'x'), 'distributed');

        // Never cleared: deleted, its number free again, audited.
        const n = await c.publishEpisode(sampleEpisode({ episode: 2, rights: { clearedWorldwide: false } }));
        const gone = await c.deleteEpisode(n.id, 'desk@nrk.no');
        assert.deepEqual(
          gone.paths.sort(),
          [n.media[0].path, n.subtitles[0].path, n.torrents[0].path].sort(),
        );
        assert.equal(await c.getEpisodeById(n.id), null);
        assert.equal(await c.episodeByInfoHash(n.torrents[0].infoHashV1!), null);
        const [event] = await c.listEvents({ subject: `episode:${n.id}`, limit: 1 });
        assert.deepEqual([event.action, event.actor], ['episode.delete', 'desk@nrk.no']);
        const again = await c.publishEpisode(
          sampleEpisode({ episode: 2, rights: { clearedWorldwide: false } }),
        );
        assert.equal(again.episode, 2, 'the number is free again');
        // Scheduled, not yet open: never distributed either.
        const later = await c.publishEpisode(
          sampleEpisode({ episode: 3, rights: { availableFrom: new Date(T0 + DAY) } }),
        );
        await c.deleteEpisode(later.id, 'x');
        await rejectsWith(c.deleteEpisode(later.id, 'x'), 'not-found');
      });
    });

    test('unpublishing withdraws an episode from the allowed list, keeps it in the catalog, and logs it', async () => {
      await withCatalog(async (c, clock) => {
        const e = await c.publishEpisode(sampleEpisode());
        const other = await c.publishEpisode(sampleEpisode({ episode: 2 }));
        const v1 = e.torrents[0].infoHashV1!;
        const v2short = truncateV2(e.torrents[0].infoHashV2!);
        const before = await c.distributableInfoHashes();
        assert.ok(before.allowed.includes(v1) && before.allowed.includes(v2short));
        assert.deepEqual(before.withdrawn, []);
        const version = await c.catalogVersion();

        clock.set(T0 + 1000);
        const w = await c.unpublishEpisode(e.seriesSlug, 1, 1, 'rights@nrk.no');
        assert.deepEqual(w.withdrawnAt, new Date(T0 + 1000));
        assert.deepEqual(w.publishedAt, e.publishedAt, 'published_at never moves back');
        const after = await c.distributableInfoHashes();
        assert.deepEqual(
          after.allowed.sort(),
          [other.torrents[0].infoHashV1!, truncateV2(other.torrents[0].infoHashV2!)].sort(),
        );
        assert.deepEqual(after.withdrawn.sort(), [v1, v2short].sort());
        assert.notEqual(await c.catalogVersion(), version);
        // Still in the catalog, found by its hash (the tracker's "no longer available" answer needs it).
        assert.equal((await c.listEpisodes()).length, 2);
        assert.equal((await c.episodeByInfoHash(v1))?.id, e.id);
        const events = await c.listEvents({ subject: `episode:${e.id}` });
        assert.deepEqual(
          events.map((x) => [x.action, x.actor]),
          [
            ['episode.unpublish', 'rights@nrk.no'],
            ['episode.publish', 'editor@nrk.no'],
          ],
        );

        // Again: nothing changes, nothing more is logged.
        clock.set(T0 + 2000);
        const again = await c.unpublishEpisode(e.seriesSlug, 1, 1, 'rights@nrk.no');
        assert.deepEqual(again.withdrawnAt, new Date(T0 + 1000));
        assert.equal((await c.listEvents({ subject: `episode:${e.id}` })).length, 2);
        await rejectsWith(c.unpublishEpisode(e.seriesSlug, 1, 9, 'x'), 'not-found', /season 1 episode 9/);
      });
    });

    test('an episode withdrawn before its window opened is never listed as withdrawn', async () => {
      await withCatalog(async (c, clock) => {
        const e = await c.publishEpisode(sampleEpisode({ rights: { availableFrom: new Date(T0 + DAY) } }));
        assert.deepEqual(e.publishedAt, new Date(T0 + DAY), 'scheduled publication');
        const w = await c.unpublishEpisode(e.seriesSlug, 1, 1, 'x');
        assert.equal(w.publishedAt, null);
        clock.set(T0 + 2 * DAY);
        assert.deepEqual(await c.distributableInfoHashes(), { allowed: [], withdrawn: [] });
      });
    });

    test('rights windows: not yet open, open, closed, against a given now', async () => {
      await withCatalog(async (c) => {
        // Published at T0. A opens tomorrow; B is open for two days from now; C closes tomorrow;
        // D has a window but no worldwide clearance.
        const a = await c.publishEpisode(
          sampleEpisode({ episode: 1, rights: { availableFrom: new Date(T0 + DAY) } }),
        );
        const b = await c.publishEpisode(
          sampleEpisode({
            episode: 2,
            rights: { availableFrom: new Date(T0), availableUntil: new Date(T0 + 2 * DAY) },
          }),
        );
        const cc = await c.publishEpisode(
          sampleEpisode({
            episode: 3,
            rights: { availableFrom: new Date(T0 - DAY), availableUntil: new Date(T0 + DAY) },
          }),
        );
        const d = await c.publishEpisode(sampleEpisode({ episode: 4, rights: { clearedWorldwide: false } }));
        assert.equal(d.publishedAt, null);

        const v1 = (e: typeof a) => e.torrents[0].infoHashV1!;
        const names = new Map([a, b, cc, d].map((e, i) => [v1(e), 'ABCD'[i]]));
        const at = async (t: number) => {
          const h = await c.distributableInfoHashes(new Date(t));
          const pick = (list: string[]) =>
            list
              .flatMap((x) => names.get(x) ?? [])
              .sort()
              .join('');
          return {
            allowed: pick(h.allowed),
            withdrawn: pick(h.withdrawn),
            total: h.allowed.length + h.withdrawn.length,
          };
        };
        assert.deepEqual(await at(T0), { allowed: 'BC', withdrawn: '', total: 4 });
        assert.deepEqual(await at(T0 + DAY - 1), { allowed: 'BC', withdrawn: '', total: 4 });
        // The window is half-open: C is gone at the very millisecond it ends, A is there as it starts.
        assert.deepEqual(await at(T0 + DAY), { allowed: 'AB', withdrawn: 'C', total: 6 });
        assert.deepEqual(await at(T0 + 2 * DAY), { allowed: 'A', withdrawn: 'BC', total: 6 });

        assert.deepEqual(await c.nextRightsChange(new Date(T0)), new Date(T0 + DAY));
        assert.deepEqual(await c.nextRightsChange(new Date(T0 + DAY)), new Date(T0 + 2 * DAY));
        assert.equal(await c.nextRightsChange(new Date(T0 + 2 * DAY)), null);

        const calendar = await c.rightsCalendar(new Date(T0), new Date(T0 + 3 * DAY));
        assert.deepEqual(
          calendar.map((x) => [x.at.getTime() - T0, x.change, x.episode, x.clearedWorldwide]),
          [
            [0, 'opens', 2, true],
            [DAY, 'opens', 1, true],
            [DAY, 'closes', 3, true],
            [2 * DAY, 'closes', 2, true],
          ],
        );
        const earlier = await c.rightsCalendar(new Date(T0 - 2 * DAY), new Date(T0));
        assert.deepEqual(
          earlier.map((x) => [x.at.getTime() - T0, x.change, x.episode, x.clearedWorldwide]),
          [
            [-DAY, 'opens', 3, true],
            [-DAY, 'opens', 4, false],
          ],
        );

        // The version moves when a window edge passes, with no write at all, and only then.
        const v = (t: number) => c.catalogVersion(new Date(t));
        assert.equal(await v(T0 + 1000), await v(T0 + DAY - 1));
        assert.notEqual(await v(T0 + DAY - 1), await v(T0 + DAY));
        assert.equal(await v(T0 + DAY), await v(T0 + 2 * DAY - 1));
        assert.notEqual(await v(T0 + 2 * DAY - 1), await v(T0 + 2 * DAY));
      });
    });

    test('nextRightsChange agrees with the pure rule on random windows', async () => {
      await withCatalog(async (c) => {
        const windows = fc.sample(
          fc.record({
            from: fc.integer({ min: -5, max: 5 }),
            length: fc.option(fc.integer({ min: 1, max: 5 })),
            cleared: fc.boolean(),
          }),
          { numRuns: 12, seed: 52 },
        );
        let n = 0;
        for (const w of windows) {
          n += 1;
          await c.publishEpisode(
            sampleEpisode({
              episode: n,
              rights: {
                clearedWorldwide: w.cleared,
                availableFrom: new Date(T0 + w.from * DAY),
                availableUntil: w.length === null ? null : new Date(T0 + (w.from + w.length) * DAY),
              },
            }),
          );
        }
        await c.unpublishEpisode('der-ingen-skulle-tru-at-nokon-kunne-bu', 1, 1, 'x');
        const episodes = await c.listEpisodes();
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: -7 * DAY, max: 12 * DAY }), async (offset) => {
            const now = new Date(T0 + offset);
            assert.deepEqual(
              await c.nextRightsChange(now),
              nextRightsChange(
                episodes.map((e) => ({ rights: e.rights, withdrawnAt: e.withdrawnAt })),
                now,
              ),
            );
          }),
          { numRuns: 40 },
        );
      });
    });

    test('setRights: late clearance publishes, published_at never moves back, old rights are logged', async () => {
      await withCatalog(async (c, clock) => {
        const e = await c.publishEpisode(sampleEpisode({ rights: { clearedWorldwide: false } }));
        assert.equal(e.publishedAt, null);
        assert.deepEqual((await c.distributableInfoHashes()).allowed, []);

        clock.set(T0 + 1000);
        const cleared = await c.setRights(
          e.id,
          { ...e.rights, clearedWorldwide: true, holders: ['NRK', 'TONO'] },
          'rights@nrk.no',
        );
        assert.deepEqual(cleared.publishedAt, new Date(T0 + 1000));
        assert.deepEqual(cleared.rights.holders, ['NRK', 'TONO']);
        assert.equal((await c.distributableInfoHashes()).allowed.length, 2);

        clock.set(T0 + 2000);
        const moved = await c.setRights(
          e.id,
          { ...cleared.rights, availableFrom: new Date(T0 - 30 * DAY) },
          'rights@nrk.no',
        );
        assert.deepEqual(moved.publishedAt, new Date(T0 + 1000));
        const [event] = await c.listEvents({ subject: `episode:${e.id}`, limit: 1 });
        assert.equal(event.action, 'episode.rights');
        assert.deepEqual(event.details, {
          before: {
            licence: 'CC-BY-4.0',
            holders: ['NRK', 'TONO'],
            clearedWorldwide: true,
            availableFrom: new Date(T0 - DAY).toISOString(),
            availableUntil: null,
          },
          after: {
            licence: 'CC-BY-4.0',
            holders: ['NRK', 'TONO'],
            clearedWorldwide: true,
            availableFrom: new Date(T0 - 30 * DAY).toISOString(),
            availableUntil: null,
          },
        });
        await rejectsWith(
          c.setRights(e.id, { ...moved.rights, availableUntil: new Date(T0 - 31 * DAY) }, 'x'),
          'invalid-window',
        );
        await rejectsWith(c.setRights(e.id + 99, moved.rights, 'x'), 'not-found');
      });
    });

    test('slugs: Norwegian letters fold to ASCII, explicit slugs are kept, upsert updates', async () => {
      await withCatalog(async (c) => {
        const s = await c.upsertSeries({
          title: 'Skjærgårdsliv på Østlandet',
          description: 'Sommer ved sjøen',
        });
        assert.equal(s.slug, 'skjaergardsliv-pa-ostlandet');
        assert.deepEqual(await c.getSeriesBySlug('skjaergardsliv-pa-ostlandet'), s);
        const renamed = await c.upsertSeries({ slug: s.slug, title: 'Skjærgårdsliv' });
        assert.equal(renamed.id, s.id);
        assert.equal(renamed.title, 'Skjærgårdsliv');
        assert.equal(renamed.description, 'Sommer ved sjøen', 'an absent description keeps the old one');
        await c.upsertSeries({
          slug: 'hurtigruten-minutt-for-minutt',
          title: 'Hurtigruten – minutt for minutt',
        });
        const e = await c.publishEpisode(sampleEpisode({ seriesTitle: 'Ærlig talt: Øya i Åfjord' }));
        assert.equal(e.seriesSlug, 'aerlig-talt-oya-i-afjord');
        assert.deepEqual(
          (await c.listSeries()).map((x) => x.slug),
          ['aerlig-talt-oya-i-afjord', 'hurtigruten-minutt-for-minutt', 'skjaergardsliv-pa-ostlandet'],
        );
        await rejectsWith(c.upsertSeries({ slug: 'Øya', title: 'Øya' }), 'invalid-slug');
      });
    });

    test('rights holders keep their order', async () => {
      await withCatalog(async (c) => {
        // Twelve, so that ordering by a position compared as text ("10" < "2") would show.
        const holders = [
          'Zeta Film',
          'Alpha Musikk',
          'NRK',
          ...Array.from({ length: 9 }, (_, i) => `Holder ${9 - i}`),
        ];
        const e = await c.publishEpisode(sampleEpisode({ rights: { holders } }));
        assert.deepEqual(e.rights.holders, holders);
        assert.deepEqual((await c.getEpisodeById(e.id))?.rights.holders, holders);
        const none = await c.publishEpisode(sampleEpisode({ episode: 2, rights: { holders: [] } }));
        assert.deepEqual(none.rights.holders, []);
      });
    });

    test('catalogVersion changes with every write and not with reads', async () => {
      await withCatalog(async (c) => {
        const seen = new Set<string>();
        const step = async (write: () => Promise<unknown>) => {
          const before = await c.catalogVersion();
          assert.equal(await c.catalogVersion(), before);
          await write();
          const after = await c.catalogVersion();
          assert.notEqual(after, before);
          assert.ok(!seen.has(after));
          seen.add(before);
        };
        await step(() => c.upsertSeries({ title: 'Fjordane' }));
        let id = 0;
        await step(async () => (id = (await c.publishEpisode(sampleEpisode())).id));
        await step(() => c.renameEpisode(id, 'Ny tittel'));
        await step(() => c.unpublishEpisode('der-ingen-skulle-tru-at-nokon-kunne-bu', 1, 1, 'x'));
      });
    });

    test('concurrent publishes into one new series all succeed', async () => {
      await withCatalog(async (c) => {
        const results = await Promise.all(
          [1, 2, 3, 4].map((n) =>
            c.publishEpisode(sampleEpisode({ seriesTitle: 'Nordlandsbanen', episode: n })),
          ),
        );
        assert.equal(new Set(results.map((r) => r.seriesId)).size, 1);
        assert.equal((await c.listEpisodes({ seriesSlug: 'nordlandsbanen' })).length, 4);
      });
    });
  });
}

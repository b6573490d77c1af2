/**
 * The community subtitle service on one catalog backend (run by service-sqlite.test.ts and
 * service-postgres.test.ts): what a submission writes, the rate limit over a moving clock and under
 * a race, decisions and their audit events, the newest approved version per language, history and
 * diff bases, bans, and episodes that are not distributable.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openCatalog, type Catalog, type CatalogLocation } from '../../src/catalog/index.js';
import { buildSiteData, TorrentFactsCache } from '../../src/web/site-data.js';
import { CommunitySubtitles, type SubmissionInput } from '../../src/subtitles/service.js';
import { DAY, T0, TestClock, sampleEpisode } from '../catalog/fixtures.js';

export interface Store {
  location: CatalogLocation;
  destroy(): Promise<void>;
}

const HOUR = 3_600_000;
const VTT = (text: string) => Buffer.from(`WEBVTT\n\n00:01.000 --> 00:02.000\n${text}\n`);

export function serviceSuite(
  name: string,
  newStore: () => Promise<Store>,
  o: { skip: string | false },
): void {
  describe(`community subtitles on ${name}`, { skip: o.skip }, () => {
    async function withService(
      fn: (
        s: CommunitySubtitles,
        c: Catalog,
        clock: TestClock,
        dataDir: string,
        slug: string,
      ) => Promise<void>,
      options: {
        rateLimit?: number;
        pending?: [perAddress: number, perRange: number, perEpisode: number];
      } = {},
    ): Promise<void> {
      const store = await newStore();
      const dataDir = mkdtempSync(join(tmpdir(), 'fjord-subsvc-'));
      const clock = new TestClock(T0);
      const catalog = await openCatalog({ ...store.location, clock: clock.now } as Parameters<
        typeof openCatalog
      >[0]);
      try {
        const e = await catalog.publishEpisode(sampleEpisode({ durationSeconds: 60 }));
        // The official Norwegian subtitle, where the catalog says it is.
        const official = join(dataDir, e.subtitles[0].path);
        mkdirSync(dirname(official), { recursive: true });
        writeFileSync(official, '1\n00:00:01,000 --> 00:00:02,000\nHei, verden!\n');
        const service = new CommunitySubtitles(catalog, {
          dataDir,
          licence: 'CC-BY-4.0',
          licenceUrl: null,
          rateLimit: options.rateLimit ?? 5,
          rateWindowMs: HOUR,
          ...(options.pending === undefined
            ? {}
            : {
                pendingPerAddress: options.pending[0],
                pendingPerRange: options.pending[1],
                pendingPerEpisode: options.pending[2],
              }),
          clock: () => clock.t,
        });
        await fn(service, catalog, clock, dataDir, e.seriesSlug);
      } finally {
        await catalog.close();
        rmSync(dataDir, { recursive: true, force: true });
        await store.destroy();
      }
    }

    const input = (slug: string, over: Partial<SubmissionInput> = {}): SubmissionInput => ({
      seriesSlug: slug,
      season: 1,
      episode: 1,
      language: 'en',
      credit: 'Kari',
      licenceAccepted: true,
      honeypot: '',
      file: VTT('Hello, world!'),
      address: '192.0.2.1',
      ...over,
    });

    async function submitOk(
      s: CommunitySubtitles,
      i: SubmissionInput,
    ): Promise<{ id: number; token: string }> {
      assert.equal(await s.admit(i.address), null);
      const r = await s.submit(i);
      assert.ok(r.ok, !r.ok ? `${r.code}: ${r.reason}` : '');
      return r;
    }

    test('a submission: two pending files, the submission, an audit event, a new catalog version', async () => {
      await withService(async (s, c, _clock, dataDir, slug) => {
        const before = await c.catalogVersion();
        const r = await submitOk(s, input(slug, { language: 'EN-gb', credit: '  Kari \n Nordmann ' }));
        assert.notEqual(await c.catalogVersion(), before);
        const e = await c.getEpisode(slug, 1, 1);
        const community = e?.subtitles.filter((x) => x.kind === 'community') ?? [];
        assert.deepEqual(
          community.map((x) => [x.language, x.format, x.status]),
          [
            ['en-GB', 'vtt', 'pending'],
            ['en-GB', 'srt', 'pending'],
          ],
        );
        for (const x of community)
          assert.ok(readdirSync(join(dataDir, dirname(x.path))).includes(x.path.split('/').pop() as string));
        const d = await s.get(r.id);
        assert.equal(d?.credit, 'Kari Nordmann');
        assert.equal(d?.status, 'pending');
        assert.equal((await s.statusByToken(r.token))?.id, r.id);
        assert.equal(await s.statusByToken('x'.repeat(43)), null);
        const events = await c.listEvents({ subject: `subtitle:${r.id}` });
        assert.deepEqual(
          events.map((x) => [x.actor, x.action]),
          [['public', 'subtitle.submit']],
        );
        assert.deepEqual(
          (await s.queue()).map((x) => x.id),
          [r.id],
        );
      });
    });

    test('refusals: honeypot, language, name, licence, file, the official text again, past the end', async () => {
      await withService(async (s, _c, _clock, dataDir, slug) => {
        const cases: Array<[Partial<SubmissionInput>, string]> = [
          [{ honeypot: 'x' }, 'honeypot'],
          [{ seriesSlug: 'nope' }, 'not-found'],
          [{ language: 'english please' }, 'bad-language'],
          [{ credit: ' ' }, 'bad-name'],
          [{ licenceAccepted: false }, 'licence-not-accepted'],
          [{ file: null }, 'no-file'],
          [{ file: VTT('<b>Hei, verden!</b>') }, 'duplicate-official'],
          [{ file: Buffer.from('WEBVTT\n\n01:10.000 --> 01:11.000\nLate\n') }, 'past-end'],
        ];
        for (const [over, code] of cases) {
          const r = await s.submit(input(slug, over));
          assert.ok(!r.ok && r.code === code, `${code}: ${JSON.stringify(r)}`);
        }
        assert.deepEqual(
          readdirSync(dataDir).filter((f) => f === 'community-subtitles'),
          [],
          'no file written',
        );
      });
    });

    test('the rate limit counts accepted submissions over the window, and again inside the write', async () => {
      await withService(
        async (s, _c, clock, dataDir, slug) => {
          await submitOk(s, input(slug));
          await submitOk(s, input(slug));
          const third = await s.admit('192.0.2.1');
          assert.equal(third?.code, 'rate-limited');
          assert.equal(third?.status, 429);
          assert.equal(third?.retryAfter, 3600);
          assert.equal(await s.admit('192.0.2.2'), null, 'another address');
          clock.set(T0 + HOUR + 1);
          assert.equal(await s.admit('192.0.2.1'), null, 'an hour later');
          // Two uploads admitted at once for the last slot: one is refused inside the transaction.
          clock.set(T0 + 2 * HOUR + 2);
          await submitOk(s, input(slug, { address: '192.0.2.9' }));
          assert.equal(await s.admit('192.0.2.9'), null);
          assert.equal(await s.admit('192.0.2.9'), null);
          const [a, b] = await Promise.all([
            s.submit(input(slug, { address: '192.0.2.9' })),
            s.submit(input(slug, { address: '192.0.2.9' })),
          ]);
          assert.deepEqual([a.ok, b.ok].sort(), [false, true]);
          const refused = a.ok ? b : a;
          assert.ok(!refused.ok && refused.code === 'rate-limited', JSON.stringify(refused));
          const files = readdirSync(join(dataDir, 'community-subtitles', slug, `${slug}-s01e01`));
          assert.equal(files.length, 2 * 4, 'the refused one left no files');
        },
        { rateLimit: 2 },
      );
    });

    test('pending caps: per address, per network (IPv4 /24, IPv6 /48), per episode, also inside the write', async () => {
      await withService(
        async (s, _c, _clock, _dataDir, slug) => {
          const one = async (address: string) => {
            const r = await s.submit(input(slug, { address }));
            return r.ok ? 'ok' : `${r.code} ${r.status} ${r.reason}`;
          };
          const first = await submitOk(s, input(slug, { address: '192.0.2.1' }));
          await submitOk(s, input(slug, { address: '192.0.2.1' }));
          const third = await s.admit('192.0.2.1');
          assert.equal(third?.code, 'too-many-pending');
          assert.equal(third?.status, 429);
          assert.match(third?.reason ?? '', /^2 submissions from your address are already waiting/);
          // A decision frees the slot.
          await s.reject(first.id, 'mia', 'test');
          assert.equal(await s.admit('192.0.2.1'), null);
          // The network: 192.0.2.0/24 holds 1 + 2 more; 192.0.20.x is another network.
          assert.equal(await one('192.0.2.2'), 'ok');
          assert.equal(await one('192.0.20.1'), 'ok');
          const [a, b] = await Promise.all([one('192.0.2.3'), one('192.0.2.4')]);
          assert.deepEqual([a, b].filter((x) => x === 'ok').length, 1, `${a} / ${b}`);
          assert.match(
            [a, b].find((x) => x !== 'ok') ?? '',
            /^too-many-pending 429 3 submissions from your network \(192\.0\.2\.0\/24\)/,
          );
          // IPv6: /64s of one /48 count together; the episode then fills up (7 pending, its cap).
          assert.equal(await one('2001:db8:5:1::1'), 'ok');
          assert.equal(await one('2001:db8:5:2::1'), 'ok');
          assert.equal(await one('2001:db8:5:3::1'), 'ok');
          assert.match(await one('2001:db8:5:4::1'), /network \(2001:db8:5::\/48\)/);
          assert.match(await one('198.51.100.1'), /^too-many-pending 429 7 submissions for this episode/);
        },
        { rateLimit: 100, pending: [2, 3, 7] },
      );
    });

    test('decisions: approve, reject with a reason, withdraw; credits and the newest approved version', async () => {
      await withService(async (s, c, clock, _dataDir, slug) => {
        const a = await submitOk(s, input(slug, { credit: 'First', file: VTT('One') }));
        clock.set(T0 + 1000);
        const b = await submitOk(
          s,
          input(slug, { credit: 'Second', file: VTT('Two'), address: '192.0.2.3' }),
        );
        await s.approve(a.id, 'web:mod');
        await assert.rejects(s.approve(a.id, 'web:mod'), /approved already/);
        await assert.rejects(s.reject(b.id, 'web:mod', '   '), /give a reason/);
        const da = await s.get(a.id);
        assert.equal(s.credit(da?.vttPath as string)?.name, 'First');
        assert.equal(s.credit(da?.srtPath as string)?.licence, 'CC-BY-4.0');
        await s.approve(b.id, 'web:mod');
        const approvedFiles = async () =>
          (await c.getEpisode(slug, 1, 1))?.subtitles.filter(
            (x) => x.kind === 'community' && x.status === 'approved',
          );
        const db = await s.get(b.id);
        assert.equal((await approvedFiles())?.length, 4, 'both approved versions stay in the catalog');
        await s.reject(b.id, 'web:mod', 'Wrong\nnames');
        const rejected = await s.statusByToken(b.token);
        assert.equal(rejected?.status, 'rejected');
        assert.equal(rejected?.reason, 'Wrong names');
        assert.equal(s.credit(db?.vttPath as string), undefined, 'a withdrawn one has no credit');
        const actions = (await c.listEvents({ subject: `subtitle:${b.id}` })).map((x) => x.action).reverse();
        assert.deepEqual(actions, ['subtitle.submit', 'subtitle.approve', 'subtitle.reject']);
        // History and diff bases of a third version.
        clock.set(T0 + 2000);
        const c3 = await submitOk(
          s,
          input(slug, { credit: 'Third', file: VTT('Three'), address: '192.0.2.4' }),
        );
        const d3 = await s.get(c3.id);
        assert.ok(d3);
        assert.deepEqual(
          (await s.versions(d3.episodeId, 'en')).map((x) => x.credit),
          ['First', 'Second', 'Third'],
        );
        const e = await c.getEpisode(slug, 1, 1);
        const bases = await s.diffBases(d3, e);
        assert.deepEqual(
          bases.bases.map((x) => x.key),
          [String(b.id), String(a.id)],
        );
        assert.equal(bases.default, String(a.id), 'the newest approved earlier version');
        const diff = await s.diff(d3, bases.bases[1], e);
        assert.deepEqual(diff?.ops, [
          { op: 'removed', text: 'One' },
          { op: 'added', text: 'Three' },
        ]);
      });
    });

    test('the site lists the newest approved version of a language', async () => {
      await withService(async (s, c, clock, _dataDir, slug) => {
        const a = await submitOk(s, input(slug, { file: VTT('One') }));
        clock.set(T0 + 1000);
        const b = await submitOk(s, input(slug, { file: VTT('Two'), address: '192.0.2.5' }));
        await s.approve(b.id, 'web:mod');
        await s.approve(a.id, 'web:mod'); // approved later, but submitted earlier: b is newer
        const e = await c.getEpisode(slug, 1, 1);
        assert.ok(e);
        // The site's rule, through buildSiteData with the episode's torrent facts stubbed.
        const facts = new TorrentFactsCache('/nonexistent');
        const name = `${slug}-s01e01`;
        const stub = {
          name,
          contentLength: 1,
          trackers: [],
          webSeeds: [],
          files: [{ path: `${name}/episode.mp4`, length: 1 }],
        };
        (facts as unknown as { get: () => Promise<typeof stub> }).get = async () => stub;
        const site = await buildSiteData({
          version: 'v',
          at: new Date(T0),
          series: await c.listSeries(),
          distributable: [e],
          all: [e],
          facts,
        });
        const entry = site.allSeries[0].episodes[0];
        const en = entry.subtitles.filter((x) => x.kind === 'community');
        assert.deepEqual(
          en.map((x) => [x.vtt, x.srt]),
          [[(await s.get(b.id))?.vttPath, (await s.get(b.id))?.srtPath]],
        );
      });
    });

    test('a ban rejects the address’s pending submissions and refuses new ones until lifted', async () => {
      await withService(async (s, c, _clock, _dataDir, slug) => {
        const spam = '2001:db8:9:9::/64';
        const a = await submitOk(s, input(slug, { address: spam }));
        const keep = await submitOk(s, input(slug, { address: '192.0.2.6' }));
        assert.deepEqual(await s.ban(spam, 'web:mod', ''), [a.id]);
        assert.equal((await s.get(a.id))?.status, 'rejected');
        assert.equal((await s.get(a.id))?.reason, 'address banned: spam');
        assert.equal((await s.get(keep.id))?.status, 'pending');
        assert.equal((await s.admit(spam))?.code, 'banned');
        assert.deepEqual(
          (await s.bans()).map((b) => [b.address, b.reason, b.bannedBy]),
          [[spam, 'spam', 'web:mod']],
        );
        assert.equal(await s.unban(spam, 'web:mod'), true);
        assert.equal(await s.unban(spam, 'web:mod'), false);
        assert.equal(await s.admit(spam), null);
        const actions = (await c.listEvents({ subject: `address:${spam}` })).map((x) => x.action).reverse();
        assert.deepEqual(actions, ['subtitle.ban', 'subtitle.unban']);
      });
    });

    test('episodes that are not distributable take no submissions', async () => {
      await withService(async (s, _c, clock, _dataDir, slug) => {
        assert.ok(await s.findEpisode(slug, 1, 1));
        assert.equal(await s.findEpisode(slug, 1, 2), null);
        assert.equal(await s.findEpisode(slug, 0, 1), null);
        clock.set(T0 - 2 * DAY); // before the window opens
        assert.equal(await s.findEpisode(slug, 1, 1), null);
        const r = await s.submit(input(slug));
        assert.ok(!r.ok && r.code === 'not-found');
      });
    });

    test('submissions closed: rate limit 0', async () => {
      await withService(
        async (s) => {
          assert.equal(s.open, false);
          assert.equal((await s.admit('192.0.2.1'))?.code, 'closed');
        },
        { rateLimit: 0 },
      );
    });
  });
}

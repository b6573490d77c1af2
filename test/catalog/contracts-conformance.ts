/**
 * The rights register (issue 14: parties, contracts, cue sheets) on every backend, like
 * conformance.ts: a backend test file calls `contractsConformance` with a factory of empty stores.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import {
  openCatalog,
  type Catalog,
  type CatalogErrorCode,
  type ContractInput,
} from '../../src/catalog/index.js';
import { openBackend } from '../../src/catalog/backend.js';
import { migrate } from '../../src/catalog/migrate.js';
import { migrations } from '../../src/catalog/migrations/index.js';
import { issueStatement, listStatements, partyReport } from '../../src/reports/party-report.js';
import { DAY, T0, TestClock, sampleEpisode, sha1 } from './fixtures.js';
import { rejectsWith, type CatalogStore, type ConformanceOptions } from './conformance.js';

const H = 3_600_000;

async function refused(p: Promise<unknown>, code: CatalogErrorCode, pattern: RegExp): Promise<void> {
  await rejectsWith(p, code, pattern);
}

/** What a refused write must leave as it was. */
async function state(c: Catalog) {
  return {
    version: await c.catalogVersion(),
    parties: await c.contracts.listParties(),
    contracts: await c.contracts.listContracts(),
    events: await c.listEvents({ limit: 1000 }),
  };
}

const signed = (o: Partial<ContractInput> = {}): ContractInput => ({
  party: 'Fjordkoret',
  status: 'signed',
  validFrom: new Date(T0 - DAY),
  validUntil: null,
  coverage: [{ series: 'fjordliv' }],
  compensation: 'per-download',
  amountMicros: 50_000,
  currency: 'NOK',
  reference: 'Avtale 2025/17, arkiv B3',
  ...o,
});

export function contractsConformance(
  name: string,
  newStore: () => Promise<CatalogStore>,
  options: ConformanceOptions,
): void {
  describe(`rights register on ${name}`, { skip: options.skip }, () => {
    async function withCatalog(fn: (c: Catalog, clock: TestClock) => Promise<void>) {
      const store = await newStore();
      const clock = new TestClock();
      const catalog = await openCatalog({ ...store.location, clock: clock.now });
      try {
        await fn(catalog, clock);
      } finally {
        await catalog.close();
        await store.destroy();
      }
    }

    /** A cleared episode of "Fjordliv" with the broadcaster's window open from a day ago. */
    async function fjordliv(c: Catalog, episode = 1) {
      return c.publishEpisode(sampleEpisode({ seriesTitle: 'Fjordliv', episode }));
    }
    const allowed = async (c: Catalog, hash: string) =>
      (await c.distributableInfoHashes()).allowed.includes(hash);

    test('parties: the broadcaster is there from the migration; names are unique; changes are audited', async () => {
      await withCatalog(async (c) => {
        assert.deepEqual(
          (await c.contracts.listParties()).map((p) => [p.name, p.kind]),
          [['Broadcaster', 'broadcaster']],
        );
        const p = await c.contracts.addParty(
          {
            name: 'Fjordkoret',
            kind: 'performers',
            contact: 'post@fjordkoret.no',
            reportingAddress: 'rapport@fjordkoret.no',
          },
          'rights@nrk.no',
        );
        assert.equal(p.kind, 'performers');
        assert.equal(p.reportingAddress, 'rapport@fjordkoret.no');
        const before = await state(c);
        await refused(
          c.contracts.addParty({ name: 'FJORDKORET', kind: 'music' }, 'x'),
          'invalid-input',
          /already exists/,
        );
        await refused(
          c.contracts.addParty({ name: 'Y', kind: 'band' as 'music' }, 'x'),
          'invalid-input',
          /party kind "band" is not one of/,
        );
        assert.deepEqual(await state(c), before);
        const ev = await c.listEvents({ subject: 'party:fjordkoret' });
        assert.equal(ev[0].action, 'party.add');
        assert.equal(ev[0].actor, 'rights@nrk.no');
      });
    });

    test('contracts: stored with coverage and terms, audited; bad input refused in one line, nothing changed', async () => {
      await withCatalog(async (c) => {
        await fjordliv(c);
        await c.contracts.addParty({ name: 'Fjordkoret', kind: 'performers' }, 'x');
        const k = await c.contracts.addContract(signed(), 'rights@nrk.no');
        assert.equal(k.partyName, 'Fjordkoret');
        assert.deepEqual(
          k.coverage.map((x) => x.seriesSlug),
          ['fjordliv'],
        );
        assert.equal(k.amountMicros, 50_000);
        assert.equal(k.currency, 'NOK');
        assert.equal(k.reference, 'Avtale 2025/17, arkiv B3');
        assert.deepEqual(k.allows, { download: true, p2p: true, worldwide: true });
        assert.equal((await c.listEvents({ subject: `contract:${k.id}` }))[0].action, 'contract.add');

        const before = await state(c);
        await refused(
          c.contracts.addContract(signed({ party: 'Fjordkor' }), 'x'),
          'not-found',
          /unknown party "Fjordkor" \(did you mean "Fjordkoret"\?\)/,
        );
        await refused(
          c.contracts.addContract(signed({ validFrom: new Date(T0), validUntil: new Date(T0 - H) }), 'x'),
          'invalid-window',
          /ends .* before it starts/,
        );
        await refused(
          c.contracts.addContract(signed({ coverage: [{ series: 'fjordli' }] }), 'x'),
          'not-found',
          /coverage 1: unknown series "fjordli" \(did you mean "fjordliv"\?\)/,
        );
        await refused(
          c.contracts.addContract(
            signed({ coverage: [{ series: 'fjordliv', season: 1, episode: 1, cue: 9 }] }),
            'x',
          ),
          'not-found',
          /has no music cue 9/,
        );
        // Overlapping: the same party, the same series (a season inside it), overlapping windows.
        await refused(
          c.contracts.addContract(
            signed({ coverage: [{ series: 'fjordliv', season: 1 }], validFrom: new Date(T0 + DAY) }),
            'x',
          ),
          'invalid-window',
          new RegExp(`overlaps contract ${k.id} of Fjordkoret`),
        );
        // Contradictory: a refusal over the signed contract's time.
        await refused(
          c.contracts.addContract(
            signed({ status: 'refused', compensation: 'none', amountMicros: null }),
            'x',
          ),
          'invalid-window',
          new RegExp(`contradicts contract ${k.id}`),
        );
        await refused(
          c.contracts.addContract(signed({ compensation: 'per-play', amountMicros: null }), 'x'),
          'invalid-input',
          /amount: per-play needs an amount/,
        );
        await refused(c.contracts.endContract(k.id, new Date(T0 - 2 * DAY), 'x'), 'invalid-window', /starts/);
        await refused(c.contracts.endContract(999, new Date(T0), 'x'), 'not-found', /no contract 999/);
        assert.deepEqual(await state(c), before);

        // A renewal starting where the first one ends is no overlap.
        await c.contracts.endContract(k.id, new Date(T0 + DAY), 'x');
        const renewal = await c.contracts.addContract(signed({ validFrom: new Date(T0 + DAY) }), 'x');
        assert.equal(renewal.validFrom.getTime(), T0 + DAY);
      });
    });

    test('the rule: a party with a say keeps an episode off until signed; a contract ending stops it at that instant', async () => {
      await withCatalog(async (c, clock) => {
        const e = await fjordliv(c);
        const v1 = e.torrents[0].infoHashV1 as string;
        assert.ok(await allowed(c, v1), 'only the broadcaster has a say: as before');
        await c.contracts.addParty({ name: 'Fjordkoret', kind: 'performers' }, 'x');
        const k = await c.contracts.addContract(signed({ status: 'negotiating' }), 'x');
        assert.ok(!(await allowed(c, v1)), 'negotiating: off');
        const got = await c.getEpisodeById(e.id);
        assert.ok(got !== null);
        assert.equal((await import('../../src/catalog/index.js')).episodeState(got, clock.now()), 'blocked');
        const x = await c.contracts.explain(got, clock.now(), (d) => d.toISOString());
        assert.deepEqual(x.blockers, [`Fjordkoret (performers): contract ${k.id} is still being negotiated`]);

        await c.contracts.setContractStatus(k.id, 'signed', 'x');
        assert.ok(await allowed(c, v1), 'signed: on');

        const end = T0 + 10 * 60_000;
        await c.contracts.endContract(k.id, new Date(end), 'x');
        assert.equal((await c.nextRightsChange())?.getTime(), end, 'the timer aims at the contract end');
        const v = await c.catalogVersion(new Date(end - 1));
        assert.ok(await allowed(c, v1));
        assert.ok((await c.distributableInfoHashes(new Date(end - 1))).allowed.includes(v1));
        assert.notEqual(await c.catalogVersion(new Date(end)), v, 'the version moves at the edge');
        const at = await c.distributableInfoHashes(new Date(end));
        assert.ok(!at.allowed.includes(v1), 'off at the minute the contract ends');
        assert.ok(at.withdrawn.includes(v1), 'and announced as no longer available');
        const later = await c.getEpisodeById(e.id);
        assert.ok(later !== null);
        const why = await c.contracts.explain(later, new Date(end), (d) => d.toISOString());
        assert.deepEqual(why.blockers, [
          `Fjordkoret (performers): contract ${k.id} ended ${new Date(end).toISOString()}`,
        ]);
        // A party's contract on another series has no say here.
        const other = await c.publishEpisode(sampleEpisode({ seriesTitle: 'Havet', episode: 1 }));
        assert.ok(
          (await c.distributableInfoHashes(new Date(end))).allowed.includes(
            other.torrents[0].infoHashV1 as string,
          ),
        );
      });
    });

    test('cue sheets: an uncovered cue keeps the episode off; a licence or the label contract covers it', async () => {
      await withCatalog(async (c, clock) => {
        const e = await fjordliv(c);
        const v1 = e.torrents[0].infoHashV1 as string;
        await c.contracts.addParty({ name: 'Label X', kind: 'music' }, 'x');
        const cues = await c.contracts.replaceCues(
          e.id,
          [
            { number: 1, title: 'Opning', durationSeconds: 30, use: 'theme', licence: 'CC-BY-4.0' },
            { number: 2, title: 'Bølgja', durationSeconds: 12, use: 'background', library: 'Magnatune' },
            {
              number: 3,
              title: 'Fjordsang',
              durationSeconds: 95,
              use: 'featured',
              publisher: 'Label X',
              composer: 'A. Aasen',
            },
          ],
          'x',
        );
        assert.equal(
          cues[2].partyId,
          (await c.contracts.getParty('label x'))?.id,
          'linked by publisher name',
        );
        assert.ok(!(await allowed(c, v1)), 'cue 3 uncovered: off');
        const got = await c.getEpisodeById(e.id);
        assert.ok(got !== null);
        const why = await c.contracts.explain(got, clock.now(), String);
        assert.deepEqual(why.blockers, ["music cue 3 'Fjordsang' (label Label X): no contract"]);

        const k = await c.contracts.addContract(
          signed({
            party: 'Label X',
            coverage: [{ series: 'fjordliv', season: 1, episode: 1, cue: 3 }],
            validUntil: new Date(T0 + DAY),
          }),
          'x',
        );
        assert.ok(await allowed(c, v1), 'covered: on');
        const on = await c.contracts.explain((await c.getEpisodeById(e.id))!, clock.now(), (d) =>
          d.toISOString(),
        );
        assert.deepEqual(on.ends, {
          at: new Date(T0 + DAY),
          because: `when the contract for music cue 3 'Fjordsang' ends (contract ${k.id})`,
        });

        // The calendar names the edge and what it switches off.
        const cal = await c.contracts.calendar(await c.listEpisodes(), new Date(T0), new Date(T0 + 2 * DAY));
        assert.equal(cal.length, 1);
        assert.equal(cal[0].change, 'ends');
        assert.deepEqual(cal[0].switchesOff, ['fjordliv s01e01 "Episode 1"']);

        // A cue sheet with a refused row changes nothing.
        const before = await c.contracts.listCues(e.id);
        await refused(
          c.contracts.replaceCues(
            e.id,
            [{ number: 1, title: 'A', durationSeconds: 1, use: 'x', party: 'Labl X' }],
            'x',
          ),
          'not-found',
          /cue 1: unknown party "Labl X" \(did you mean "Label X"\?\)/,
        );
        assert.deepEqual(await c.contracts.listCues(e.id), before);
        // Deleting a never-distributed episode takes its cue sheet along.
        const fresh = await c.publishEpisode(
          sampleEpisode({ seriesTitle: 'Fjordliv', episode: 2, rights: { clearedWorldwide: false } }),
        );
        await c.contracts.replaceCues(
          fresh.id,
          [{ number: 1, title: 'A', durationSeconds: 1, use: 'x' }],
          'x',
        );
        await c.deleteEpisode(fresh.id, 'x');
        assert.deepEqual(await c.contracts.listCues(fresh.id), []);
      });
    });

    test('reports: works the party covers; statements are kept as issued, corrections are new ones', async () => {
      await withCatalog(async (c) => {
        await fjordliv(c, 1);
        await c.publishEpisode(sampleEpisode({ seriesTitle: 'Havet', episode: 1 }));
        await c.contracts.addParty({ name: 'Fjordkoret', kind: 'performers' }, 'x');
        await c.contracts.addContract(signed(), 'x');
        const r = await partyReport(c, 'fjordkoret', '2025-03', 'Europe/Oslo');
        assert.deepEqual(
          r.works.map((w) => [w.work, w.completedDownloads, w.owedMicros, w.browserPlays]),
          [['fjordliv s01e01', 0, 0, null]],
        );
        // March 2025 in Oslo: from 1 March 00:00 +01:00 to 1 April 00:00 +02:00 (summer time).
        assert.equal(r.from.toISOString(), '2025-02-28T23:00:00.000Z');
        assert.equal(r.until.toISOString(), '2025-03-31T22:00:00.000Z');
        await rejectsWith(partyReport(c, 'fjordkoret', '2025-13', 'Europe/Oslo'), 'invalid-input', /YYYY-MM/);

        const first = await issueStatement(c, r, 'rights@nrk.no', null, new Date(T0));
        await rejectsWith(
          issueStatement(c, r, 'x', null),
          'invalid-input',
          /already has statement \d+ for 2025-03: issue a correction with --corrects/,
        );
        const second = await issueStatement(c, { ...r, notes: ['corrected'] }, 'x', first.id);
        const all = await listStatements(c, first.partyId);
        assert.deepEqual(
          all.map((s) => [s.id, s.corrects]),
          [
            [first.id, null],
            [second.id, first.id],
          ],
        );
        assert.deepEqual(all[0].report, first.report, 'the first statement is unchanged');
        assert.deepEqual(all[0].report.notes, []);
        assert.equal(
          (await c.listEvents({ subject: `statement:${second.id}` }))[0].action,
          'statement.issue',
        );
      });
    });

    test('a catalogue made at the previous schema keeps its episodes, clearance and windows after migrating', async () => {
      const store = await newStore();
      try {
        const backend = await openBackend(store.location);
        const previous = migrations.filter((m) => m.name !== 'rights-contracts');
        assert.equal(previous.length, migrations.length - 1);
        await migrate(backend, previous, () => T0);
        // Rows as fjord at the previous schema wrote them: a cleared episode with a closing window,
        // and one that is not cleared.
        const db = backend.db;
        await sql`insert into series (slug, title, description, created_at) values ('gamal', 'Gamal', null, ${T0})`.execute(
          db,
        );
        const sid = (await sql<{ id: number }>`select id from series where slug = 'gamal'`.execute(db))
          .rows[0].id;
        await sql`insert into seasons (series_id, number, title) values (${sid}, 1, null)`.execute(db);
        for (const [n, cleared] of [
          [1, 1],
          [2, 0],
        ]) {
          await sql`insert into episodes (series_id, season_number, episode_number, title, description, duration_seconds,
              published_at, created_at, updated_at, withdrawn_at)
            values (${sid}, 1, ${n}, ${`E${n}`}, null, null, ${cleared ? T0 - DAY : null}, ${T0}, ${T0}, null)`.execute(
            db,
          );
          const eid = (
            await sql<{
              id: number;
            }>`select id from episodes where series_id = ${sid} and episode_number = ${n}`.execute(db)
          ).rows[0].id;
          await sql`insert into episode_rights (episode_id, licence, cleared_worldwide, available_from, available_until)
            values (${eid}, 'all-rights-reserved', ${cleared}, ${T0 - DAY}, ${T0 + DAY})`.execute(db);
          await sql`insert into torrents (episode_id, info_hash_v1, info_hash_v2, info_hash_v2_truncated, info_hash_aria2,
              path, size_bytes, piece_length, mode, created_at)
            values (${eid}, ${sha1(`old ${n}`)}, null, null, null, ${`t/${n}.torrent`}, 1, 16384, 'v1', ${T0})`.execute(
            db,
          );
        }
        // An account with a live session: both survive the users table's rebuild (SQLite).
        await sql`insert into users (name, role, password_hash, must_change_password, created_at, updated_at)
          values ('redaktor', 'editor', 'scrypt$x', 0, ${T0}, ${T0})`.execute(db);
        await sql`insert into sessions (id_hash, user_id, csrf_token, created_at, expires_at, address)
          select 'h1', id, 'c', ${T0}, ${T0 + DAY}, null from users where name = 'redaktor'`.execute(db);
        await backend.close();

        const clock = new TestClock();
        const c = await openCatalog({ ...store.location, clock: clock.now });
        try {
          const [one, two] = await c.listEpisodes();
          assert.equal(one.rights.clearedWorldwide, true);
          assert.equal(one.rights.availableUntil?.getTime(), T0 + DAY);
          assert.equal(two.rights.clearedWorldwide, false);
          assert.equal(one.rights.contractSpans, undefined, 'nobody else has a say yet');
          const hashes = await c.distributableInfoHashes();
          assert.deepEqual(hashes.allowed, [sha1('old 1')]);
          // The old window still closes the old episode, and --cleared still clears the other.
          assert.deepEqual((await c.distributableInfoHashes(new Date(T0 + DAY))).allowed, []);
          await c.setRights(two.id, { ...two.rights, clearedWorldwide: true }, 'x');
          assert.deepEqual(
            (await c.distributableInfoHashes()).allowed.sort(),
            [sha1('old 1'), sha1('old 2')].sort(),
          );
          // Its clearance is now the broadcaster's own, named as such when it blocks.
          await c.setRights(two.id, { ...two.rights, clearedWorldwide: false }, 'x');
          const why = await c.contracts.explain((await c.getEpisodeById(two.id))!, clock.now(), String);
          assert.match(why.blockers[0], /broadcaster's own clearance: not cleared worldwide/);
          assert.ok((await c.contracts.getParty('broadcaster')) !== null);
          const sessions = await sql<{ name: string; role: string; party_id: number | null }>`
            select u.name, u.role, u.party_id from sessions s join users u on u.id = s.user_id`.execute(
            c.backend.db,
          );
          assert.deepEqual(
            sessions.rows.map((r) => [r.name, r.role, r.party_id]),
            [['redaktor', 'editor', null]],
          );
          const { Accounts } = await import('../../src/auth/accounts.js');
          const party = await c.contracts.addParty({ name: 'Label X', kind: 'music' }, 'x');
          const { user } = await new Accounts(c.backend, { scryptN: 1024 }).addUser(
            'labelx',
            'rights-holder',
            'x',
            party.id,
          );
          assert.equal(user.partyId, party.id);
          // Deleting the user still ends its sessions (the reference follows the rebuilt table).
          await sql`delete from users where name = 'redaktor'`.execute(c.backend.db);
          assert.equal((await sql`select * from sessions`.execute(c.backend.db)).rows.length, 0);
        } finally {
          await c.close();
        }
      } finally {
        await store.destroy();
      }
    });
  });
}

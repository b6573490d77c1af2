/**
 * The rights register (issue 14): parties, their contracts and the episodes' music cue sheets, in
 * the catalog's database (migration 010). Every write goes through the catalog's write rule
 * (write-rule.ts: version bump, so a running fjord serve re-reads within a second, and an audit
 * event). The decision is clearance.ts's; this file loads and stores what it decides on.
 */
import type { Backend, Db } from './backend.js';
import {
  clears,
  COMPENSATIONS,
  CONTRACT_STATUSES,
  contractSpans,
  coversCue,
  coversEpisode,
  explain,
  PARTY_KINDS,
  type Compensation,
  type ContractStatus,
  type ContractTerms,
  type Coverage,
  type CueTerms,
  type EpisodeKey,
  type Explanation,
  type PartyKind,
} from './clearance.js';
import { CatalogError } from './errors.js';
import { closest } from '../protocol/suggest.js';
import type { Episode, Span } from './types.js';
import { optionalText, positiveInteger, text, validDate } from './validate.js';
import { auditEvent, writeCatalog } from './write-rule.js';

export interface Party {
  id: number;
  name: string;
  kind: PartyKind;
  contact: string | null;
  reportingAddress: string | null;
  createdAt: Date;
}

export interface PartyInput {
  name: string;
  kind: PartyKind;
  contact?: string;
  reportingAddress?: string;
}

/** A coverage item as given: the series by slug. */
export interface CoverageInput {
  series: string;
  season?: number;
  episode?: number;
  cue?: number;
}

export interface ContractCoverage extends Coverage {
  seriesSlug: string;
}

export interface Contract extends ContractTerms {
  coverage: ContractCoverage[];
  compensation: Compensation;
  /** Millionths of the currency unit: per download, per play, or the flat fee. Null for 'none'. */
  amountMicros: number | null;
  currency: string | null;
  reference: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ContractInput {
  /** The party's name, any case. */
  party: string;
  status: ContractStatus;
  /** Each defaults to true. */
  allows?: { download?: boolean; p2p?: boolean; worldwide?: boolean };
  validFrom: Date;
  validUntil: Date | null;
  coverage: CoverageInput[];
  compensation: Compensation;
  amountMicros?: number | null;
  currency?: string | null;
  reference?: string;
}

export interface MusicCue extends CueTerms {
  composer: string | null;
  performer: string | null;
  durationSeconds: number;
  use: string;
}

export interface CueInput {
  number: number;
  title: string;
  composer?: string;
  performer?: string;
  publisher?: string;
  durationSeconds: number;
  use: string;
  /** The party it belongs to, by name; absent: the party named like its publisher, if any. */
  party?: string;
  licence?: string;
  library?: string;
}

export interface ContractCalendarEntry {
  at: Date;
  change: 'starts' | 'ends';
  contract: Contract;
  /** Episodes that this edge switches: on (they become distributable) or off. */
  switchesOn: string[];
  switchesOff: string[];
}

const date = (n: number): Date => new Date(Number(n));
const dateOrNull = (n: number | null): Date | null => (n === null ? null : date(n));
const contractSubject = (id: number): string => `contract:${id}`;

/** One label for episodes in messages: fjordliv s01e02. */
export const episodeLabel = (slug: string, season: number, episode: number): string =>
  `${slug} s${String(season).padStart(2, '0')}e${String(episode).padStart(2, '0')}`;

function coverageLabel(c: ContractCoverage): string {
  if (c.season === null) return c.seriesSlug;
  if (c.episode === null) return `${c.seriesSlug} season ${c.season}`;
  const e = episodeLabel(c.seriesSlug, c.season, c.episode);
  return c.cue === null ? e : `${e} cue ${c.cue}`;
}
export { coverageLabel };

/** Two coverage items name something in common (one contains the other). */
function overlaps(a: Coverage, b: Coverage): boolean {
  const eq = (x: number | null, y: number | null) => x === null || y === null || x === y;
  return a.seriesId === b.seriesId && eq(a.season, b.season) && eq(a.episode, b.episode) && eq(a.cue, b.cue);
}

/** Statuses that may overlap in time for one party and one work: a refusal beside a new negotiation. */
function mayCoexist(a: ContractStatus, b: ContractStatus): boolean {
  if (a === 'expired' || b === 'expired') return true;
  const pair = [a, b].sort().join('+');
  return pair === 'negotiating+refused' || pair === 'refused+refused';
}

export class ContractStore {
  readonly #backend: Backend;
  readonly #clock: () => Date;

  constructor(backend: Backend, clock: () => Date) {
    this.#backend = backend;
    this.#clock = clock;
  }

  get #db(): Db {
    return this.#backend.db;
  }

  // ---- parties ----

  async addParty(input: PartyInput, actor: string): Promise<Party> {
    const name = text(input.name, 'party name');
    if (!PARTY_KINDS.includes(input.kind))
      throw new CatalogError(
        'invalid-input',
        `party kind "${String(input.kind)}" is not one of ${PARTY_KINDS.join(', ')}`,
      );
    const contact = optionalText(input.contact, 'contact');
    const reporting = optionalText(input.reportingAddress, 'reporting address');
    const who = text(actor, 'actor');
    const now = this.#clock().getTime();
    await writeCatalog(this.#backend, async (trx) => {
      const existing = await trx
        .selectFrom('parties')
        .select('name')
        .where('name_key', '=', name.toLowerCase())
        .executeTakeFirst();
      if (existing !== undefined)
        throw new CatalogError('invalid-input', `a party named "${existing.name}" already exists`);
      await trx
        .insertInto('parties')
        .values({
          name,
          name_key: name.toLowerCase(),
          kind: input.kind,
          contact,
          reporting_address: reporting,
          created_at: now,
        })
        .execute();
      await auditEvent(trx, {
        at: now,
        actor: who,
        action: 'party.add',
        subject: `party:${name.toLowerCase()}`,
        details: { name, kind: input.kind, contact, reportingAddress: reporting },
      });
    });
    return (await this.getParty(name)) as Party;
  }

  async listParties(): Promise<Party[]> {
    const rows = await this.#db.selectFrom('parties').selectAll().orderBy('name_key').execute();
    return rows.map(toParty);
  }

  async getParty(name: string): Promise<Party | null> {
    const row = await this.#db
      .selectFrom('parties')
      .selectAll()
      .where('name_key', '=', name.trim().toLowerCase())
      .executeTakeFirst();
    return row === undefined ? null : toParty(row);
  }

  async getPartyById(id: number): Promise<Party | null> {
    const row = await this.#db.selectFrom('parties').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : toParty(row);
  }

  /** The party by name, or a one-line refusal that suggests the closest names. */
  async requireParty(name: string, db: Db = this.#db): Promise<Party> {
    const row = await db
      .selectFrom('parties')
      .selectAll()
      .where('name_key', '=', name.trim().toLowerCase())
      .executeTakeFirst();
    if (row !== undefined) return toParty(row);
    const names = (await db.selectFrom('parties').select('name').execute()).map((r) => r.name);
    const near = closest(name.trim(), names);
    const hint = near.length > 0 ? ` (did you mean ${near.map((n) => `"${n}"`).join(' or ')}?)` : '';
    throw new CatalogError('not-found', `unknown party "${name}"${hint}; fjord party list shows them`);
  }

  // ---- contracts ----

  async addContract(input: ContractInput, actor: string): Promise<Contract> {
    const who = text(actor, 'actor');
    const terms = checkTerms(input);
    const now = this.#clock().getTime();
    const id = await writeCatalog(this.#backend, async (trx) => {
      const party = await this.requireParty(input.party, trx);
      const coverage = await resolveCoverage(trx, input.coverage);
      await refuseConflicts(trx, null, party, terms.status, terms.from, terms.until, coverage);
      const inserted = await trx
        .insertInto('contracts')
        .values({
          party_id: party.id,
          status: terms.status,
          allows_download: terms.allows.download ? 1 : 0,
          allows_p2p: terms.allows.p2p ? 1 : 0,
          worldwide: terms.allows.worldwide ? 1 : 0,
          valid_from: terms.from,
          valid_until: terms.until,
          compensation: terms.compensation,
          amount_micros: terms.amountMicros,
          currency: terms.currency,
          reference: terms.reference,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const cid = Number(inserted.id);
      await trx
        .insertInto('contract_coverage')
        .values(
          coverage.map((c, position) => ({
            contract_id: cid,
            position,
            series_id: c.seriesId,
            season_number: c.season,
            episode_number: c.episode,
            cue_number: c.cue,
          })),
        )
        .execute();
      await auditEvent(trx, {
        at: now,
        actor: who,
        action: 'contract.add',
        subject: contractSubject(cid),
        details: {
          party: party.name,
          status: terms.status,
          allows: terms.allows,
          from: new Date(terms.from).toISOString(),
          until: terms.until === null ? null : new Date(terms.until).toISOString(),
          coverage: coverage.map(coverageLabel),
          compensation: terms.compensation,
          amountMicros: terms.amountMicros,
          currency: terms.currency,
          reference: terms.reference,
        },
      });
      return cid;
    });
    return (await this.getContract(id)) as Contract;
  }

  async getContract(id: number): Promise<Contract | null> {
    return (await loadContracts(this.#db, id))[0] ?? null;
  }

  async listContracts(filter: { partyId?: number } = {}): Promise<Contract[]> {
    const all = await loadContracts(this.#db);
    return filter.partyId === undefined ? all : all.filter((k) => k.partyId === filter.partyId);
  }

  /** Ends a contract's window at `at` (now by default): distribution it allowed stops then. */
  async endContract(id: number, at: Date | undefined, actor: string): Promise<Contract> {
    const who = text(actor, 'actor');
    const now = this.#clock().getTime();
    const end = at === undefined ? now : validDate(at, 'end').getTime();
    await writeCatalog(this.#backend, async (trx) => {
      const k = (await loadContracts(trx, id))[0];
      if (k === undefined)
        throw new CatalogError('not-found', `no contract ${id}; fjord contract show lists them`);
      if (end <= k.validFrom.getTime())
        throw new CatalogError(
          'invalid-window',
          `contract ${id} cannot end ${new Date(end).toISOString()}: it starts ${k.validFrom.toISOString()}`,
        );
      if (k.validUntil !== null && end > k.validUntil.getTime())
        throw new CatalogError(
          'invalid-window',
          `contract ${id} already ends ${k.validUntil.toISOString()}; to extend it, add a new contract`,
        );
      await trx
        .updateTable('contracts')
        .set({ valid_until: end, updated_at: now })
        .where('id', '=', id)
        .execute();
      await auditEvent(trx, {
        at: now,
        actor: who,
        action: 'contract.end',
        subject: contractSubject(id),
        details: { until: new Date(end).toISOString(), previousUntil: k.validUntil?.toISOString() ?? null },
      });
    });
    return (await this.getContract(id)) as Contract;
  }

  /** Moves a contract to another status (negotiating → signed, signed → expired, ...), audited. */
  async setContractStatus(id: number, status: ContractStatus, actor: string): Promise<Contract> {
    const who = text(actor, 'actor');
    if (!CONTRACT_STATUSES.includes(status))
      throw new CatalogError(
        'invalid-input',
        `status "${String(status)}" is not one of ${CONTRACT_STATUSES.join(', ')}`,
      );
    const now = this.#clock().getTime();
    await writeCatalog(this.#backend, async (trx) => {
      const k = (await loadContracts(trx, id))[0];
      if (k === undefined)
        throw new CatalogError('not-found', `no contract ${id}; fjord contract show lists them`);
      const party = (await this.getPartyByIdIn(trx, k.partyId)) as Party;
      await refuseConflicts(
        trx,
        id,
        party,
        status,
        k.validFrom.getTime(),
        k.validUntil?.getTime() ?? null,
        k.coverage,
      );
      await trx.updateTable('contracts').set({ status, updated_at: now }).where('id', '=', id).execute();
      await auditEvent(trx, {
        at: now,
        actor: who,
        action: 'contract.status',
        subject: contractSubject(id),
        details: { status, previous: k.status },
      });
    });
    return (await this.getContract(id)) as Contract;
  }

  private async getPartyByIdIn(db: Db, id: number): Promise<Party | null> {
    const row = await db.selectFrom('parties').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? null : toParty(row);
  }

  // ---- cue sheets ----

  /**
   * Replaces an episode's cue sheet as a whole (one transaction, audited with the old sheet).
   * `where(i)` names cue i in refusals ("cue 3", or "line 4" for a CSV import).
   */
  async replaceCues(
    episodeId: number,
    cues: CueInput[],
    actor: string,
    where: (i: number) => string = (i) => `cue ${i + 1}`,
  ): Promise<MusicCue[]> {
    const who = text(actor, 'actor');
    const now = this.#clock().getTime();
    const seen = new Set<number>();
    const checked = cues.map((c, i) => {
      const at = where(i);
      const number = positiveInteger(c.number, `${at}: number`);
      if (seen.has(number))
        throw new CatalogError('invalid-input', `${at}: cue number ${number} is given twice`);
      seen.add(number);
      const durationSeconds = c.durationSeconds;
      if (!Number.isSafeInteger(durationSeconds) || durationSeconds < 0)
        throw new CatalogError('invalid-input', `${at}: duration must be whole seconds, 0 or more`);
      return {
        number,
        title: text(c.title, `${at}: title`),
        composer: optionalText(c.composer, `${at}: composer`),
        performer: optionalText(c.performer, `${at}: performer`),
        publisher: optionalText(c.publisher, `${at}: publisher`),
        durationSeconds,
        use: text(c.use, `${at}: use`),
        party: optionalText(c.party, `${at}: party`),
        licence: optionalText(c.licence, `${at}: licence`),
        library: optionalText(c.library, `${at}: library`),
      };
    });
    await writeCatalog(this.#backend, async (trx) => {
      const e = await trx.selectFrom('episodes').select('id').where('id', '=', episodeId).executeTakeFirst();
      if (e === undefined) throw new CatalogError('not-found', `no episode with id ${episodeId}`);
      const parties = (await trx.selectFrom('parties').select(['id', 'name_key']).execute()).map((p) => ({
        id: Number(p.id),
        key: p.name_key,
      }));
      const rows = [];
      for (const [i, c] of checked.entries()) {
        let partyId: number | null = null;
        if (c.party !== null) {
          try {
            partyId = (await this.requireParty(c.party, trx)).id;
          } catch (err) {
            throw err instanceof CatalogError
              ? new CatalogError(err.code, `${where(i)}: ${err.message}`)
              : err;
          }
        } else if (c.publisher !== null) {
          partyId = parties.find((p) => p.key === c.publisher?.toLowerCase())?.id ?? null;
        }
        rows.push({
          episode_id: episodeId,
          number: c.number,
          title: c.title,
          composer: c.composer,
          performer: c.performer,
          publisher: c.publisher,
          duration_seconds: c.durationSeconds,
          use: c.use,
          party_id: partyId,
          licence: c.licence,
          library: c.library,
        });
      }
      const before = await trx
        .selectFrom('music_cues')
        .selectAll()
        .where('episode_id', '=', episodeId)
        .execute();
      await trx.deleteFrom('music_cues').where('episode_id', '=', episodeId).execute();
      if (rows.length > 0) await trx.insertInto('music_cues').values(rows).execute();
      await auditEvent(trx, {
        at: now,
        actor: who,
        action: 'cues.replace',
        subject: `episode:${episodeId}`,
        details: { before: before.map((r) => ({ ...r, episode_id: undefined })), cues: rows.length },
      });
    });
    return this.listCues(episodeId);
  }

  async listCues(episodeId: number): Promise<MusicCue[]> {
    return (await loadCues(this.#db, [episodeId])).get(episodeId) ?? [];
  }

  // ---- the rule, explained ----

  /** What blocks the episode now, or when and why it ends; `fmt` prints times. */
  async explain(e: Episode, now: Date, fmt: (d: Date) => string): Promise<Explanation> {
    const contracts = await loadContracts(this.#db);
    const cues = (await loadCues(this.#db, [e.id])).get(e.id) ?? [];
    return explain(keyOf(e), e.rights, e.withdrawnAt, contracts, cues, now, fmt);
  }

  /** `explain` for many episodes at once (one read of the contracts and cue sheets). */
  async explainAll(
    episodes: readonly Episode[],
    now: Date,
    fmt: (d: Date) => string,
  ): Promise<Map<number, Explanation>> {
    const contracts = await loadContracts(this.#db);
    const cues = await loadCues(
      this.#db,
      episodes.map((e) => e.id),
    );
    return new Map(
      episodes.map((e) => [
        e.id,
        explain(keyOf(e), e.rights, e.withdrawnAt, contracts, cues.get(e.id) ?? [], now, fmt),
      ]),
    );
  }

  /**
   * Contract starts and ends in [from, to), in time order, each with the episodes it switches on or
   * off (evaluated just before and at the edge, with everything else as recorded).
   */
  async calendar(episodes: readonly Episode[], from: Date, to: Date): Promise<ContractCalendarEntry[]> {
    const a = from.getTime();
    const b = to.getTime();
    const contracts = await loadContracts(this.#db);
    const cues = await loadCues(
      this.#db,
      episodes.map((e) => e.id),
    );
    const out: ContractCalendarEntry[] = [];
    for (const k of contracts) {
      const marks: Array<['starts' | 'ends', number]> = [['starts', k.validFrom.getTime()]];
      if (k.validUntil !== null) marks.push(['ends', k.validUntil.getTime()]);
      for (const [change, at] of marks) {
        if (at < a || at >= b) continue;
        const on: string[] = [];
        const off: string[] = [];
        for (const e of episodes) {
          const key = keyOf(e);
          const sheet = cues.get(e.id) ?? [];
          if (!coversEpisode(k, key) && !sheet.some((c) => coversCue(k, key, c))) continue;
          const ok = (t: number) =>
            explain(key, e.rights, e.withdrawnAt, contracts, sheet, new Date(t), String).distributable;
          const was = ok(at - 1);
          const is = ok(at);
          const label = `${episodeLabel(e.seriesSlug, e.season, e.episode)} "${e.title}"`;
          if (!was && is) on.push(label);
          if (was && !is) off.push(label);
        }
        out.push({ at: new Date(at), change, contract: k, switchesOn: on, switchesOff: off });
      }
    }
    return out.sort((x, y) => x.at.getTime() - y.at.getTime() || x.contract.id - y.contract.id);
  }
}

const keyOf = (e: { seriesId: number; season: number; episode: number }): EpisodeKey => ({
  seriesId: e.seriesId,
  season: e.season,
  episode: e.episode,
});

interface CheckedTerms {
  status: ContractStatus;
  allows: { download: boolean; p2p: boolean; worldwide: boolean };
  from: number;
  until: number | null;
  compensation: Compensation;
  amountMicros: number | null;
  currency: string | null;
  reference: string | null;
}

function checkTerms(input: ContractInput): CheckedTerms {
  if (!CONTRACT_STATUSES.includes(input.status))
    throw new CatalogError(
      'invalid-input',
      `status "${String(input.status)}" is not one of ${CONTRACT_STATUSES.join(', ')}`,
    );
  if (!COMPENSATIONS.includes(input.compensation))
    throw new CatalogError(
      'invalid-input',
      `compensation "${String(input.compensation)}" is not one of ${COMPENSATIONS.join(', ')}`,
    );
  const from = validDate(input.validFrom, 'from').getTime();
  const until = input.validUntil === null ? null : validDate(input.validUntil, 'until').getTime();
  if (until !== null && until <= from)
    throw new CatalogError(
      'invalid-window',
      `the contract's window ends (${new Date(until).toISOString()}) before it starts (${new Date(from).toISOString()})`,
    );
  const amount = input.amountMicros ?? null;
  if (input.compensation === 'none' && amount !== null)
    throw new CatalogError('invalid-input', 'amount: a contract without compensation has no amount');
  if (input.compensation !== 'none' && (amount === null || !Number.isSafeInteger(amount) || amount < 0))
    throw new CatalogError('invalid-input', `amount: ${input.compensation} needs an amount of 0 or more`);
  const currency = input.compensation === 'none' ? null : (input.currency ?? null);
  if (currency !== null && !/^[A-Z]{3}$/.test(currency))
    throw new CatalogError(
      'invalid-input',
      `currency "${currency}" is not an ISO 4217 code such as NOK or EUR`,
    );
  if (input.coverage.length === 0)
    throw new CatalogError(
      'invalid-input',
      'coverage: a contract must cover a series, season, episode or cue',
    );
  return {
    status: input.status,
    allows: {
      download: input.allows?.download ?? true,
      p2p: input.allows?.p2p ?? true,
      worldwide: input.allows?.worldwide ?? true,
    },
    from,
    until,
    compensation: input.compensation,
    amountMicros: amount,
    currency,
    reference: optionalText(input.reference, 'reference'),
  };
}

async function resolveCoverage(db: Db, items: CoverageInput[]): Promise<ContractCoverage[]> {
  const out: ContractCoverage[] = [];
  for (const [i, c] of items.entries()) {
    const where = `coverage ${i + 1}`;
    const slug = c.series.trim();
    const s = await db
      .selectFrom('series')
      .select(['id', 'slug'])
      .where('slug', '=', slug)
      .executeTakeFirst();
    if (s === undefined) {
      const near = closest(
        slug,
        (await db.selectFrom('series').select('slug').execute()).map((r) => r.slug),
      );
      const hint = near.length > 0 ? ` (did you mean ${near.map((n) => `"${n}"`).join(' or ')}?)` : '';
      throw new CatalogError('not-found', `${where}: unknown series "${c.series}"${hint}`);
    }
    const season = c.season === undefined ? null : positiveInteger(c.season, `${where}: season`);
    const episode = c.episode === undefined ? null : positiveInteger(c.episode, `${where}: episode`);
    const cue = c.cue === undefined ? null : positiveInteger(c.cue, `${where}: cue`);
    if (episode !== null && season === null)
      throw new CatalogError('invalid-input', `${where}: an episode needs its season`);
    if (cue !== null && episode === null)
      throw new CatalogError('invalid-input', `${where}: a cue needs its episode`);
    if (cue !== null) {
      const row = await db
        .selectFrom('music_cues as m')
        .innerJoin('episodes as e', 'e.id', 'm.episode_id')
        .select('m.number')
        .where('e.series_id', '=', Number(s.id))
        .where('e.season_number', '=', season as number)
        .where('e.episode_number', '=', episode as number)
        .where('m.number', '=', cue)
        .executeTakeFirst();
      if (row === undefined)
        throw new CatalogError(
          'not-found',
          `${where}: ${episodeLabel(s.slug, season as number, episode as number)} has no music cue ${cue} (fjord cues import first)`,
        );
    }
    out.push({ seriesId: Number(s.id), seriesSlug: s.slug, season, episode, cue });
  }
  return out;
}

/** Refuses a contract that overlaps (or contradicts) another of the same party on the same work. */
async function refuseConflicts(
  db: Db,
  self: number | null,
  party: Party,
  status: ContractStatus,
  from: number,
  until: number | null,
  coverage: ContractCoverage[],
): Promise<void> {
  const others = (await loadContracts(db)).filter((k) => k.partyId === party.id && k.id !== self);
  for (const k of others) {
    const kUntil = k.validUntil?.getTime() ?? Infinity;
    if (!(from < kUntil && k.validFrom.getTime() < (until ?? Infinity))) continue;
    if (mayCoexist(status, k.status)) continue;
    const shared = coverage.find((c) => k.coverage.some((d) => overlaps(c, d)));
    if (shared === undefined) continue;
    const word = status === k.status ? 'overlaps' : 'contradicts';
    const window = `${k.validFrom.toISOString()} to ${k.validUntil?.toISOString() ?? 'open'}`;
    throw new CatalogError(
      'invalid-window',
      `${word} contract ${k.id} of ${party.name} (${k.status}, ${window}) on ${coverageLabel(shared)}: end that one first or change the window`,
    );
  }
}

/** Every contract with its party and coverage (all of them, or the one with `id`). */
async function loadContracts(db: Db, id?: number): Promise<Contract[]> {
  let q = db
    .selectFrom('contracts as k')
    .innerJoin('parties as p', 'p.id', 'k.party_id')
    .selectAll('k')
    .select(['p.name as party_name', 'p.kind as party_kind']);
  if (id !== undefined) q = q.where('k.id', '=', id);
  const rows = await q.orderBy('k.id').execute();
  if (rows.length === 0) return [];
  let cq = db
    .selectFrom('contract_coverage as c')
    .innerJoin('series as s', 's.id', 'c.series_id')
    .selectAll('c')
    .select('s.slug');
  if (id !== undefined) cq = cq.where('c.contract_id', '=', id);
  const cov = await cq.orderBy('c.contract_id').orderBy('c.position').execute();
  const byContract = new Map<number, ContractCoverage[]>();
  for (const c of cov) {
    const item: ContractCoverage = {
      seriesId: Number(c.series_id),
      seriesSlug: c.slug,
      season: c.season_number,
      episode: c.episode_number,
      cue: c.cue_number,
    };
    const list = byContract.get(Number(c.contract_id));
    if (list === undefined) byContract.set(Number(c.contract_id), [item]);
    else list.push(item);
  }
  return rows.map((r) => ({
    id: Number(r.id),
    partyId: Number(r.party_id),
    partyName: r.party_name,
    partyKind: r.party_kind as PartyKind,
    status: r.status as ContractStatus,
    allows: { download: r.allows_download === 1, p2p: r.allows_p2p === 1, worldwide: r.worldwide === 1 },
    validFrom: date(r.valid_from),
    validUntil: dateOrNull(r.valid_until),
    coverage: byContract.get(Number(r.id)) ?? [],
    compensation: r.compensation as Compensation,
    amountMicros: r.amount_micros === null ? null : Number(r.amount_micros),
    currency: r.currency,
    reference: r.reference,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
  }));
}

const CHUNK = 500;

async function loadCues(db: Db, ids: number[]): Promise<Map<number, MusicCue[]>> {
  const out = new Map<number, MusicCue[]>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db
      .selectFrom('music_cues')
      .selectAll()
      .where('episode_id', 'in', ids.slice(i, i + CHUNK))
      .orderBy('episode_id')
      .orderBy('number')
      .execute();
    for (const r of rows) {
      const cue: MusicCue = {
        number: r.number,
        title: r.title,
        composer: r.composer,
        performer: r.performer,
        publisher: r.publisher,
        durationSeconds: r.duration_seconds,
        use: r.use,
        partyId: r.party_id === null ? null : Number(r.party_id),
        licence: r.licence,
        library: r.library,
      };
      const list = out.get(Number(r.episode_id));
      if (list === undefined) out.set(Number(r.episode_id), [cue]);
      else list.push(cue);
    }
  }
  return out;
}

/**
 * The contracts' part of each episode's window (clearance.ts contractSpans), for the catalog to
 * attach to the episodes it reads; episodes nobody else has a say over are left out of the map.
 */
export async function loadContractSpans(
  db: Db,
  episodes: ReadonlyArray<{ id: number; seriesId: number; season: number; episode: number }>,
): Promise<Map<number, Span[]>> {
  const out = new Map<number, Span[]>();
  if (episodes.length === 0) return out;
  const [contracts, cues] = await Promise.all([
    loadContracts(db),
    loadCues(
      db,
      episodes.map((e) => e.id),
    ),
  ]);
  if (contracts.length === 0 && cues.size === 0) return out;
  for (const e of episodes) {
    const spans = contractSpans(keyOf(e), contracts, cues.get(e.id) ?? []);
    if (spans !== undefined) out.set(e.id, spans);
  }
  return out;
}

/** Contract edges (starts and ends) at or before t, and the first after it: catalogVersion's and the timer's. */
export async function contractEdges(db: Db, t: number): Promise<{ passed: number; next: number | null }> {
  const row = await db
    .selectFrom('contracts')
    .select((eb) => [
      eb.fn.countAll<number>().as('n'),
      eb.fn.sum<number>(eb.case().when('valid_from', '<=', t).then(1).else(0).end()).as('started'),
      eb.fn.sum<number>(eb.case().when('valid_until', '<=', t).then(1).else(0).end()).as('ended'),
    ])
    .executeTakeFirstOrThrow();
  const [a, b] = await Promise.all([
    db
      .selectFrom('contracts')
      .select((eb) => eb.fn.min('valid_from').as('at'))
      .where('valid_from', '>', t)
      .executeTakeFirst(),
    db
      .selectFrom('contracts')
      .select((eb) => eb.fn.min('valid_until').as('at'))
      .where('valid_until', '>', t)
      .executeTakeFirst(),
  ]);
  const next = [a?.at, b?.at].filter((x): x is number => x !== null && x !== undefined).map(Number);
  return {
    passed: Number(row.started ?? 0) + Number(row.ended ?? 0),
    next: next.length === 0 ? null : Math.min(...next),
  };
}

function toParty(r: {
  id: number;
  name: string;
  kind: string;
  contact: string | null;
  reporting_address: string | null;
  created_at: number;
}): Party {
  return {
    id: Number(r.id),
    name: r.name,
    kind: r.kind as PartyKind,
    contact: r.contact,
    reportingAddress: r.reporting_address,
    createdAt: date(r.created_at),
  };
}

export { clears };

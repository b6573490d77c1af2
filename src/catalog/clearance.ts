/**
 * The rights rule of issue 14, as pure code: no database, no clock. An episode is distributable at
 * `now` exactly when
 *   - the broadcaster's own clearance allows it (episode_rights: `--cleared` and its window, see
 *     rights-window.ts), and
 *   - every party with a say over the episode (a party with any contract, in any status, covering its
 *     series, season or the episode itself) has a signed contract covering the episode that allows
 *     online download, peer-to-peer and worldwide distribution, with now inside its window, and
 *   - every music cue on its cue sheet is covered: by a licence that allows this use (a Creative
 *     Commons licence without NC or ND, CC0, or a music library's licence), or by a signed, allowing
 *     contract in its window that names the cue, or that covers the episode and belongs to the party
 *     the cue is registered to (its label or publisher).
 * Its window is the intersection of all of these: a set of half-open spans [from, until).
 *
 * The catalog attaches the parties' and cues' part (`contractSpans`) to each episode's rights, so
 * rights-window.ts's isDistributable, and with it the tracker, web seed, feeds and pages, follow it.
 */
import type { RightsWindow, Span } from './types.js';

export type PartyKind =
  'music' | 'performers' | 'production-company' | 'format-owner' | 'archive' | 'broadcaster';
export const PARTY_KINDS: readonly PartyKind[] = [
  'music',
  'performers',
  'production-company',
  'format-owner',
  'archive',
  'broadcaster',
];

export type ContractStatus = 'negotiating' | 'signed' | 'refused' | 'expired';
export const CONTRACT_STATUSES: readonly ContractStatus[] = ['negotiating', 'signed', 'refused', 'expired'];

export type Compensation = 'none' | 'flat-fee' | 'per-download' | 'per-play';
export const COMPENSATIONS: readonly Compensation[] = ['none', 'flat-fee', 'per-download', 'per-play'];

/** What one coverage item names: a series, a season, an episode, or one cue of an episode. */
export interface Coverage {
  seriesId: number;
  season: number | null;
  episode: number | null;
  cue: number | null;
}

/** What the rule needs to know of a contract. */
export interface ContractTerms {
  id: number;
  partyId: number;
  partyName: string;
  partyKind: PartyKind;
  status: ContractStatus;
  allows: { download: boolean; p2p: boolean; worldwide: boolean };
  validFrom: Date;
  validUntil: Date | null;
  coverage: Coverage[];
}

/** What the rule needs to know of a music cue. */
export interface CueTerms {
  number: number;
  title: string;
  publisher: string | null;
  partyId: number | null;
  licence: string | null;
  library: string | null;
}

export interface EpisodeKey {
  seriesId: number;
  season: number;
  episode: number;
}

/** Millisecond spans; from -Infinity / until Infinity for "no start" and "no end". */
interface Interval {
  from: number;
  until: number;
}

const ALL: Interval[] = [{ from: -Infinity, until: Infinity }];

/**
 * Creative Commons licences that allow a broadcaster to put the music in a programme and hand it
 * out: not ND (a programme is an adaptation), not NC (distribution may carry advertising elsewhere).
 */
export function licenceAllows(spdx: string): boolean {
  return /^(CC0-1\.0|CC-BY-[1-4]\.0|CC-BY-SA-[1-4]\.0|CC-PDDC)$/i.test(spdx.trim());
}

function matchesEpisode(c: Coverage, e: EpisodeKey): boolean {
  return (
    c.seriesId === e.seriesId &&
    (c.season === null || c.season === e.season) &&
    (c.episode === null || c.episode === e.episode)
  );
}

/** The contract gives its party a say over the whole episode (not only over one cue). */
export function coversEpisode(k: ContractTerms, e: EpisodeKey): boolean {
  return k.coverage.some((c) => c.cue === null && matchesEpisode(c, e));
}

/** The contract speaks for this cue: it names it, or it is the cue's party's contract for the episode. */
export function coversCue(k: ContractTerms, e: EpisodeKey, cue: CueTerms): boolean {
  return k.coverage.some(
    (c) =>
      matchesEpisode(c, e) &&
      (c.cue === cue.number || (c.cue === null && cue.partyId !== null && k.partyId === cue.partyId)),
  );
}

/** Signed, and allows everything a torrent needs. */
export function clears(k: ContractTerms): boolean {
  return k.status === 'signed' && k.allows.download && k.allows.p2p && k.allows.worldwide;
}

const spanOf = (k: ContractTerms): Interval => ({
  from: k.validFrom.getTime(),
  until: k.validUntil === null ? Infinity : k.validUntil.getTime(),
});

function union(spans: Interval[]): Interval[] {
  const sorted = spans.filter((s) => s.from < s.until).sort((a, b) => a.from - b.from);
  const out: Interval[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && s.from <= last.until) last.until = Math.max(last.until, s.until);
    else out.push({ ...s });
  }
  return out;
}

function intersect(a: Interval[], b: Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const from = Math.max(a[i].from, b[j].from);
    const until = Math.min(a[i].until, b[j].until);
    if (from < until) out.push({ from, until });
    if (a[i].until < b[j].until) i++;
    else j++;
  }
  return out;
}

const contains = (spans: Interval[], t: number): Interval | undefined =>
  spans.find((s) => s.from <= t && t < s.until);

/** One thing that must allow the episode: a party with a say, or a cue. */
type Constraint =
  | {
      kind: 'party';
      partyId: number;
      name: string;
      partyKind: PartyKind;
      contracts: ContractTerms[];
      spans: Interval[];
    }
  | { kind: 'cue'; cue: CueTerms; contracts: ContractTerms[]; spans: Interval[] };

function constraints(
  e: EpisodeKey,
  contracts: readonly ContractTerms[],
  cues: readonly CueTerms[],
): Constraint[] {
  const out: Constraint[] = [];
  const byParty = new Map<number, ContractTerms[]>();
  for (const k of contracts) {
    if (!coversEpisode(k, e)) continue;
    const list = byParty.get(k.partyId);
    if (list === undefined) byParty.set(k.partyId, [k]);
    else list.push(k);
  }
  for (const [partyId, list] of [...byParty].sort((a, b) => a[0] - b[0])) {
    out.push({
      kind: 'party',
      partyId,
      name: list[0].partyName,
      partyKind: list[0].partyKind,
      contracts: list,
      spans: union(list.filter(clears).map(spanOf)),
    });
  }
  for (const cue of [...cues].sort((a, b) => a.number - b.number)) {
    const byLicence =
      (cue.licence !== null && licenceAllows(cue.licence)) ||
      (cue.library !== null && cue.library.trim() !== '');
    const list = contracts.filter((k) => coversCue(k, e, cue));
    out.push({
      kind: 'cue',
      cue,
      contracts: list,
      spans: byLicence ? ALL : union(list.filter(clears).map(spanOf)),
    });
  }
  return out;
}

const toSpans = (xs: Interval[]): Span[] =>
  xs.map((s) => ({
    from: s.from === -Infinity ? null : new Date(s.from),
    until: s.until === Infinity ? null : new Date(s.until),
  }));

const fromSpans = (xs: readonly Span[]): Interval[] =>
  xs.map((s) => ({
    from: s.from === null ? -Infinity : s.from.getTime(),
    until: s.until === null ? Infinity : s.until.getTime(),
  }));

/**
 * When the parties' contracts and the cue sheet allow the episode: sorted, disjoint spans, or
 * undefined when nobody but the broadcaster has a say (no contract covers it and it has no cues).
 */
export function contractSpans(
  e: EpisodeKey,
  contracts: readonly ContractTerms[],
  cues: readonly CueTerms[],
): Span[] | undefined {
  const cs = constraints(e, contracts, cues);
  if (cs.length === 0) return undefined;
  return toSpans(cs.reduce((acc, c) => intersect(acc, c.spans), ALL));
}

/** The broadcaster's own clearance as spans. */
function ownSpans(r: RightsWindow): Interval[] {
  if (!r.clearedWorldwide) return [];
  return [
    {
      from: r.availableFrom.getTime(),
      until: r.availableUntil === null ? Infinity : r.availableUntil.getTime(),
    },
  ];
}

/** Everything that decides the episode, as spans: the broadcaster's clearance ∩ the contracts' part. */
export function effectiveSpans(r: RightsWindow): Span[] {
  const own = ownSpans(r);
  return toSpans(r.contractSpans === undefined ? own : intersect(own, fromSpans(r.contractSpans)));
}

/** In the contracts' part (true when it has none). */
export function insideContracts(r: RightsWindow, t: number): boolean {
  return r.contractSpans === undefined || contains(fromSpans(r.contractSpans), t) !== undefined;
}

// ---- why not ----

const POSSESSIVE: Record<PartyKind, string> = {
  music: "label's",
  performers: "performers'",
  'production-company': "production company's",
  'format-owner': "format owner's",
  archive: "archive's",
  broadcaster: "broadcaster's",
};

export const KIND_LABEL: Record<PartyKind, string> = {
  music: 'label/publisher',
  performers: 'performers',
  'production-company': 'production company',
  'format-owner': 'format owner',
  archive: 'archive',
  broadcaster: 'broadcaster',
};

export interface Explanation {
  distributable: boolean;
  /** What keeps it off now, one line each: "music cue 3 'Fjordsang' (label X): no contract". */
  blockers: string[];
  /** While distributable: when that ends and why ("ends ... when the performers' contract ends"). */
  ends: { at: Date; because: string } | null;
  /** While not distributable: when it would start, if everything is already scheduled to allow it. */
  opensAt: Date | null;
}

/** Why one constraint does not allow the episode at t. */
function blocker(c: Constraint, t: number, fmt: (d: Date) => string): string {
  const who =
    c.kind === 'party'
      ? `${c.name} (${KIND_LABEL[c.partyKind]})`
      : `music cue ${c.cue.number} '${c.cue.title}'${c.cue.publisher === null ? '' : ` (label ${c.cue.publisher})`}`;
  const ks = [...c.contracts].sort((a, b) => a.id - b.id);
  const upcoming = ks.filter((k) => clears(k) && k.validFrom.getTime() > t);
  if (upcoming.length > 0) return `${who}: contract ${upcoming[0].id} starts ${fmt(upcoming[0].validFrom)}`;
  const limited = ks.find((k) => k.status === 'signed' && !clears(k));
  if (limited !== undefined) {
    const missing = [
      limited.allows.download ? null : 'download',
      limited.allows.p2p ? null : 'peer-to-peer',
      limited.allows.worldwide ? null : 'worldwide distribution',
    ].filter((x) => x !== null);
    return `${who}: contract ${limited.id} does not allow ${missing.join(', ')}`;
  }
  const negotiating = ks.find((k) => k.status === 'negotiating');
  if (negotiating !== undefined) return `${who}: contract ${negotiating.id} is still being negotiated`;
  const refused = ks.find((k) => k.status === 'refused');
  if (refused !== undefined) return `${who}: contract ${refused.id} was refused`;
  const ended = ks.filter((k) => clears(k) && k.validUntil !== null && k.validUntil.getTime() <= t);
  if (ended.length > 0) {
    const last = ended[ended.length - 1];
    return `${who}: contract ${last.id} ended ${fmt(last.validUntil as Date)}`;
  }
  const expired = ks.find((k) => k.status === 'expired');
  if (expired !== undefined) return `${who}: contract ${expired.id} has expired`;
  if (c.kind === 'cue' && c.cue.licence !== null)
    return `${who}: licence ${c.cue.licence} does not allow this use, and no contract`;
  return `${who}: no contract`;
}

function ending(c: Constraint, k: ContractTerms | undefined): string {
  const id = k === undefined ? '' : `, contract ${k.id}`;
  return c.kind === 'party'
    ? `when the ${POSSESSIVE[c.partyKind]} contract ends (${c.name}${id})`
    : `when the contract for music cue ${c.cue.number} '${c.cue.title}' ends${k === undefined ? '' : ` (contract ${k.id})`}`;
}

/**
 * Names what blocks an episode at `now`, or when and why its distribution ends. `contracts` and
 * `cues` are the episode's (the catalog's explain loads them); `fmt` prints a time.
 */
export function explain(
  e: EpisodeKey,
  rights: RightsWindow,
  withdrawnAt: Date | null,
  contracts: readonly ContractTerms[],
  cues: readonly CueTerms[],
  now: Date,
  fmt: (d: Date) => string,
): Explanation {
  const t = now.getTime();
  const cs = constraints(e, contracts, cues);
  const own = ownSpans(rights);
  const all = cs.reduce((acc, c) => intersect(acc, c.spans), own);
  const withdrawn = withdrawnAt !== null && withdrawnAt.getTime() <= t;
  const current = withdrawn ? undefined : contains(all, t);
  if (current !== undefined) {
    let ends: Explanation['ends'] = null;
    const w = withdrawnAt?.getTime() ?? Infinity;
    const until = Math.min(current.until, w);
    if (until !== Infinity) {
      let because = 'when it is unpublished';
      if (until !== w) {
        const mine = contains(own, t);
        if (mine !== undefined && mine.until === until) because = "when the broadcaster's own window ends";
        for (const c of cs) {
          if (contains(c.spans, t)?.until !== until) continue;
          because = ending(
            c,
            c.contracts.find((k) => clears(k) && k.validUntil?.getTime() === until),
          );
          break;
        }
      }
      ends = { at: new Date(until), because };
    }
    return { distributable: true, blockers: [], ends, opensAt: null };
  }
  const blockers: string[] = [];
  if (withdrawn) blockers.push(`withdrawn (unpublished) ${fmt(withdrawnAt)}`);
  if (!rights.clearedWorldwide)
    blockers.push("the broadcaster's own clearance: not cleared worldwide (fjord rights --cleared)");
  else if (contains(own, t) === undefined) {
    blockers.push(
      rights.availableFrom.getTime() > t
        ? `the broadcaster's own window opens ${fmt(rights.availableFrom)}`
        : `the broadcaster's own window closed ${fmt(rights.availableUntil as Date)}`,
    );
  }
  for (const c of cs) if (contains(c.spans, t) === undefined) blockers.push(blocker(c, t, fmt));
  const next = withdrawn ? undefined : all.find((s) => s.from > t);
  return {
    distributable: false,
    blockers,
    ends: null,
    opensAt: next === undefined ? null : new Date(next.from),
  };
}

/** Every instant at which the rule's answer for these inputs may change, for calendars and timers. */
export function edges(spans: readonly Span[]): Date[] {
  return spans.flatMap((s) => [s.from, s.until]).filter((d): d is Date => d !== null);
}

/**
 * The rights rule of issue 14 (src/catalog/clearance.ts) against an independent, deliberately naive
 * model that decides one instant at a time straight from the wording of the rule: random parties,
 * contracts (statuses, what they allow, windows, coverage) and cue sheets; at random instants the
 * episode is distributable exactly when the rule's spans contain the instant.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  contractSpans,
  effectiveSpans,
  explain,
  type ContractTerms,
  type CueTerms,
  type EpisodeKey,
} from '../../src/catalog/clearance.js';
import { isDistributable } from '../../src/catalog/rights-window.js';
import type { RightsWindow } from '../../src/catalog/types.js';

const EP: EpisodeKey = { seriesId: 1, season: 2, episode: 3 };
const H = 3_600_000;

/** The model: the rule as written in the issue, checked at one instant. */
function model(own: RightsWindow, contracts: ContractTerms[], cues: CueTerms[], t: number): boolean {
  const inWindow = (k: ContractTerms) =>
    k.validFrom.getTime() <= t && (k.validUntil === null || t < k.validUntil.getTime());
  const good = (k: ContractTerms) =>
    k.status === 'signed' && k.allows.download && k.allows.p2p && k.allows.worldwide && inWindow(k);
  const namesEpisode = (k: ContractTerms) =>
    k.coverage.some(
      (c) =>
        c.seriesId === EP.seriesId &&
        (c.season === null || c.season === EP.season) &&
        (c.episode === null || c.episode === EP.episode),
    );
  const wholeEpisode = (k: ContractTerms) =>
    k.coverage.some(
      (c) =>
        c.cue === null &&
        c.seriesId === EP.seriesId &&
        (c.season === null || c.season === EP.season) &&
        (c.episode === null || c.episode === EP.episode),
    );
  if (!own.clearedWorldwide) return false;
  if (t < own.availableFrom.getTime()) return false;
  if (own.availableUntil !== null && t >= own.availableUntil.getTime()) return false;
  const sayers = new Set(contracts.filter(wholeEpisode).map((k) => k.partyId));
  for (const p of sayers) {
    if (!contracts.some((k) => k.partyId === p && wholeEpisode(k) && good(k))) return false;
  }
  for (const cue of cues) {
    if (cue.licence === 'CC-BY-4.0' || cue.licence === 'CC0-1.0' || cue.library !== null) continue;
    const covering = contracts.filter(
      (k) =>
        namesEpisode(k) &&
        k.coverage.some(
          (c) =>
            c.seriesId === EP.seriesId &&
            (c.season === null || c.season === EP.season) &&
            (c.episode === null || c.episode === EP.episode) &&
            (c.cue === cue.number || (c.cue === null && cue.partyId === k.partyId)),
        ),
    );
    if (!covering.some(good)) return false;
  }
  return true;
}

const hour = fc.integer({ min: 0, max: 40 });
const coverage = fc.record({
  seriesId: fc.constantFrom(1, 2),
  season: fc.constantFrom(null, 2, 5),
  episode: fc.constantFrom(null, 3, 4),
  cue: fc.constantFrom(null, null, 1, 2),
});
const contract = fc
  .record({
    partyId: fc.integer({ min: 1, max: 3 }),
    status: fc.constantFrom('negotiating', 'signed', 'signed', 'signed', 'refused', 'expired' as const),
    download: fc.constantFrom(true, true, true, false),
    p2p: fc.constantFrom(true, true, true, false),
    worldwide: fc.constantFrom(true, true, true, false),
    from: hour,
    length: fc.option(fc.integer({ min: 1, max: 30 })),
    coverage: fc.array(coverage, { minLength: 1, maxLength: 2 }),
  })
  // Episodes need their season, cues their episode (the store refuses anything else).
  .map((r) => ({
    ...r,
    coverage: r.coverage.map((c) => ({
      ...c,
      season: c.episode !== null || c.cue !== null ? 2 : c.season,
      episode: c.cue !== null ? 3 : c.episode,
    })),
  }));
const cue = fc.record({
  partyId: fc.constantFrom(null, 1, 2, 3),
  licence: fc.constantFrom(null, null, 'CC-BY-4.0', 'CC-BY-ND-4.0', 'CC0-1.0', 'CC-BY-NC-4.0'),
  library: fc.constantFrom(null, null, null, 'Magnatune'),
});

test('distributable exactly when the naive model says so, at every instant (property)', () => {
  fc.assert(
    fc.property(
      fc.array(contract, { maxLength: 6 }),
      fc.array(cue, { maxLength: 3 }),
      fc.record({
        cleared: fc.constantFrom(true, true, false),
        from: hour,
        length: fc.option(fc.integer({ min: 1, max: 40 })),
      }),
      fc.array(fc.integer({ min: -2, max: 80 }), { minLength: 1, maxLength: 10 }),
      (ks, cs, own, instants) => {
        const contracts: ContractTerms[] = ks.map((k, i) => ({
          id: i + 1,
          partyId: k.partyId,
          partyName: `P${k.partyId}`,
          partyKind: 'performers',
          status: k.status,
          allows: { download: k.download, p2p: k.p2p, worldwide: k.worldwide },
          validFrom: new Date(k.from * H),
          validUntil: k.length === null ? null : new Date((k.from + k.length) * H),
          coverage: k.coverage,
        }));
        const cues: CueTerms[] = cs.map((c, i) => ({
          number: i + 1,
          title: `Cue ${i + 1}`,
          publisher: null,
          partyId: c.partyId,
          licence: c.licence,
          library: c.library,
        }));
        const rights: RightsWindow = {
          clearedWorldwide: own.cleared,
          availableFrom: new Date(own.from * H),
          availableUntil: own.length === null ? null : new Date((own.from + own.length) * H),
        };
        const spans = contractSpans(EP, contracts, cues);
        if (spans !== undefined) rights.contractSpans = spans;
        // Instants on the hour (every edge) and half an hour later.
        for (const h of instants) {
          for (const t of [h * H, h * H + H / 2, h * H - 1]) {
            const want = model(rights, contracts, cues, t);
            const now = new Date(t);
            assert.equal(isDistributable(rights, null, now), want, `at ${t / H} h`);
            assert.equal(
              effectiveSpans(rights).some(
                (s) =>
                  (s.from === null || s.from.getTime() <= t) && (s.until === null || t < s.until.getTime()),
              ),
              want,
            );
            const x = explain(EP, rights, null, contracts, cues, now, (d) => d.toISOString());
            assert.equal(x.distributable, want);
            // Off: something is named; on: nothing is.
            assert.equal(x.blockers.length === 0, want, x.blockers.join('; '));
          }
        }
      },
    ),
    { numRuns: 400 },
  );
});

test('why not: the blocking cue, party and the end are named', () => {
  const rights: RightsWindow = { clearedWorldwide: true, availableFrom: new Date(0), availableUntil: null };
  const performers: ContractTerms = {
    id: 5,
    partyId: 2,
    partyName: 'Fjordkoret',
    partyKind: 'performers',
    status: 'signed',
    allows: { download: true, p2p: true, worldwide: true },
    validFrom: new Date(0),
    validUntil: new Date(10 * H),
    coverage: [{ seriesId: 1, season: null, episode: null, cue: null }],
  };
  const fjordsang: CueTerms = {
    number: 3,
    title: 'Fjordsang',
    publisher: 'X',
    partyId: 7,
    licence: null,
    library: null,
  };
  const fmt = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');
  const off = explain(EP, rights, null, [performers], [fjordsang], new Date(H), fmt);
  assert.equal(off.distributable, false);
  assert.deepEqual(off.blockers, ["music cue 3 'Fjordsang' (label X): no contract"]);

  const on = explain(
    EP,
    rights,
    null,
    [performers],
    [{ ...fjordsang, licence: 'CC-BY-4.0' }],
    new Date(H),
    fmt,
  );
  assert.equal(on.distributable, true);
  assert.deepEqual(on.ends, {
    at: new Date(10 * H),
    because: "when the performers' contract ends (Fjordkoret, contract 5)",
  });

  const nd = explain(EP, rights, null, [], [{ ...fjordsang, licence: 'CC-BY-ND-4.0' }], new Date(H), fmt);
  assert.match(nd.blockers[0], /licence CC-BY-ND-4.0 does not allow this use/);

  const negotiating = explain(
    EP,
    rights,
    null,
    [{ ...performers, status: 'negotiating' }],
    [],
    new Date(H),
    fmt,
  );
  assert.deepEqual(negotiating.blockers, ['Fjordkoret (performers): contract 5 is still being negotiated']);

  const ended = explain(EP, rights, null, [performers], [], new Date(11 * H), fmt);
  assert.deepEqual(ended.blockers, ['Fjordkoret (performers): contract 5 ended 1970-01-01 10:00']);

  const notCleared = explain(EP, { ...rights, clearedWorldwide: false }, null, [], [], new Date(H), fmt);
  assert.match(notCleared.blockers[0], /broadcaster's own clearance: not cleared/);
});

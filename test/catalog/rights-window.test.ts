import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  firstVisibleAt,
  isDistributable,
  nextChange,
  nextRightsChange,
  wasWithdrawnOrExpired,
  type RightsWindow,
} from '../../src/catalog/index.js';

const t = (iso: string) => new Date(iso);
const window = (from: string, until: string | null, cleared = true): RightsWindow => ({
  clearedWorldwide: cleared,
  availableFrom: t(from),
  availableUntil: until === null ? null : t(until),
});

test('isDistributable: cleared, not withdrawn, inside the half-open window', () => {
  const w = window('2025-06-01T00:00:00Z', '2025-07-01T00:00:00Z');
  assert.equal(isDistributable(w, null, t('2025-05-31T23:59:59.999Z')), false, 'not yet open');
  assert.equal(isDistributable(w, null, t('2025-06-01T00:00:00Z')), true, 'opens at from');
  assert.equal(isDistributable(w, null, t('2025-06-30T23:59:59.999Z')), true);
  assert.equal(isDistributable(w, null, t('2025-07-01T00:00:00Z')), false, 'closed at until');
  assert.equal(
    isDistributable(window('2025-06-01T00:00:00Z', null), null, t('2099-01-01T00:00:00Z')),
    true,
    'no end',
  );
  const uncleared = window('2025-06-01T00:00:00Z', null, false);
  assert.equal(isDistributable(uncleared, null, t('2025-06-02T00:00:00Z')), false, 'not cleared worldwide');
  const withdrawn = t('2025-06-10T00:00:00Z');
  assert.equal(isDistributable(w, withdrawn, t('2025-06-09T23:59:59Z')), true, 'before the withdrawal');
  assert.equal(isDistributable(w, withdrawn, t('2025-06-10T00:00:00Z')), false, 'withdrawn');
});

test('nextChange: the next edge after now, or null when nothing is scheduled', () => {
  const w = window('2025-06-01T00:00:00Z', '2025-07-01T00:00:00Z');
  assert.deepEqual(nextChange(w, null, t('2025-05-01T00:00:00Z')), t('2025-06-01T00:00:00Z'));
  assert.deepEqual(nextChange(w, null, t('2025-06-01T00:00:00Z')), t('2025-07-01T00:00:00Z'));
  assert.equal(nextChange(w, null, t('2025-07-01T00:00:00Z')), null);
  assert.equal(nextChange(window('2025-06-01T00:00:00Z', null), null, t('2025-06-02T00:00:00Z')), null);
  assert.equal(
    nextChange(window('2025-06-01T00:00:00Z', null, false), null, t('2025-05-01T00:00:00Z')),
    null,
  );
  assert.equal(
    nextChange(w, t('2025-05-15T00:00:00Z'), t('2025-05-20T00:00:00Z')),
    null,
    'already withdrawn',
  );
  assert.deepEqual(
    nextChange(w, t('2025-06-15T00:00:00Z'), t('2025-06-10T00:00:00Z')),
    t('2025-06-15T00:00:00Z'),
    'a withdrawal ahead counts',
  );
  assert.deepEqual(
    nextRightsChange(
      [
        { rights: w, withdrawnAt: null },
        { rights: window('2025-06-20T00:00:00Z', null), withdrawnAt: null },
        { rights: window('2025-06-05T00:00:00Z', null, false), withdrawnAt: null },
      ],
      t('2025-06-10T00:00:00Z'),
    ),
    t('2025-06-20T00:00:00Z'),
  );
  assert.equal(nextRightsChange([], t('2025-06-10T00:00:00Z')), null);
});

test('firstVisibleAt: now, the scheduled opening, or never', () => {
  const now = t('2025-06-10T00:00:00Z');
  assert.deepEqual(firstVisibleAt(window('2025-06-01T00:00:00Z', null), null, now), now);
  assert.deepEqual(
    firstVisibleAt(window('2025-06-20T00:00:00Z', null), null, now),
    t('2025-06-20T00:00:00Z'),
  );
  assert.equal(
    firstVisibleAt(window('2025-06-01T00:00:00Z', '2025-06-10T00:00:00Z'), null, now),
    null,
    'closed',
  );
  assert.equal(firstVisibleAt(window('2025-06-01T00:00:00Z', null, false), null, now), null, 'not cleared');
  assert.equal(firstVisibleAt(window('2025-06-01T00:00:00Z', null), now, now), null, 'withdrawn');
});

test('wasWithdrawnOrExpired: only what was once published and is not now', () => {
  const w = window('2025-06-01T00:00:00Z', '2025-07-01T00:00:00Z');
  const published = t('2025-06-01T00:00:00Z');
  assert.equal(wasWithdrawnOrExpired(w, null, published, t('2025-06-15T00:00:00Z')), false, 'still on');
  assert.equal(wasWithdrawnOrExpired(w, null, published, t('2025-07-01T00:00:00Z')), true, 'expired');
  assert.equal(
    wasWithdrawnOrExpired(w, t('2025-06-15T00:00:00Z'), published, t('2025-06-16T00:00:00Z')),
    true,
  );
  assert.equal(wasWithdrawnOrExpired(w, null, null, t('2025-07-02T00:00:00Z')), false, 'never published');
  assert.equal(
    wasWithdrawnOrExpired(w, null, published, t('2025-05-01T00:00:00Z')),
    false,
    'not yet published',
  );
});

// Times within a few years of 2025, to the millisecond; windows of any length.
const instant = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) });
const rights = fc
  .record({
    from: instant,
    length: fc.option(fc.integer({ min: 1, max: 400 * 86_400_000 })),
    cleared: fc.boolean(),
  })
  .map(({ from, length, cleared }): RightsWindow => ({
    clearedWorldwide: cleared,
    availableFrom: new Date(from),
    availableUntil: length === null ? null : new Date(from + length),
  }));
const withdrawnAt = fc.option(instant.map((n) => new Date(n)));

test('property: never distributable before the window opens or once it has closed', () => {
  fc.assert(
    fc.property(rights, withdrawnAt, instant, (r, w, n) => {
      const now = new Date(n);
      const outside =
        n < r.availableFrom.getTime() || (r.availableUntil !== null && n >= r.availableUntil.getTime());
      if (outside || !r.clearedWorldwide || (w !== null && w.getTime() <= n)) {
        assert.equal(isDistributable(r, w, now), false);
      } else {
        assert.equal(isDistributable(r, w, now), true);
      }
    }),
    { numRuns: 2000 },
  );
});

test('property: the answer holds until nextChange, and nothing is scheduled when it returns null', () => {
  fc.assert(
    fc.property(rights, withdrawnAt, instant, fc.double({ min: 0, max: 1, noNaN: true }), (r, w, n, f) => {
      const now = new Date(n);
      const answer = isDistributable(r, w, now);
      const next = nextChange(r, w, now);
      // A point strictly between now and the next change (or up to ten years on when none is due).
      const horizon = next === null ? n + 10 * 365 * 86_400_000 : next.getTime();
      const between = n + Math.floor(f * (horizon - n - 1));
      if (between > n && between < horizon) assert.equal(isDistributable(r, w, new Date(between)), answer);
      if (next !== null) assert.ok(next.getTime() > n);
    }),
    { numRuns: 2000 },
  );
});

test('property: published_at from firstVisibleAt is a moment the episode is distributable', () => {
  fc.assert(
    fc.property(rights, instant, (r, n) => {
      const at = firstVisibleAt(r, null, new Date(n));
      if (at === null) return;
      assert.ok(at.getTime() >= n);
      assert.equal(isDistributable(r, null, at), true);
    }),
    { numRuns: 2000 },
  );
});

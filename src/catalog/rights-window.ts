/**
 * The rule that decides whether fjord may distribute an episode, and when that answer changes.
 * Pure: no database, no clock. The catalog loads rows and asks here, so the tracker's allowed list,
 * the web seed and the feeds all follow one definition.
 *
 * An episode is distributable at `now` when all of these hold:
 *   - its rights are cleared worldwide (a torrent swarm cannot be kept inside one country),
 *   - it has not been withdrawn (a withdrawal takes effect at `withdrawnAt`),
 *   - the window has opened: availableFrom <= now,
 *   - the window has not closed: availableUntil is null or now < availableUntil,
 *   - the parties' contracts and the cue sheet allow it (`contractSpans`, see clearance.ts).
 * The window is half-open, [from, until), so an episode "available until 2025-06-01T00:00Z" is gone at
 * that instant, and two back-to-back windows never overlap or leave a gap.
 */
import { edges, insideContracts } from './clearance.js';
import type { RightsWindow } from './types.js';

export function isWithdrawn(withdrawnAt: Date | null, now: Date): boolean {
  return withdrawnAt !== null && withdrawnAt.getTime() <= now.getTime();
}

export function isDistributable(rights: RightsWindow, withdrawnAt: Date | null, now: Date): boolean {
  const t = now.getTime();
  return (
    rights.clearedWorldwide &&
    !isWithdrawn(withdrawnAt, now) &&
    rights.availableFrom.getTime() <= t &&
    (rights.availableUntil === null || t < rights.availableUntil.getTime()) &&
    insideContracts(rights, t)
  );
}

/**
 * The earliest instant after `now` at which `isDistributable` may give a different answer for this
 * episode, or null when nothing is scheduled to change (uncleared, already withdrawn, or open with no
 * end). The tracker re-reads the catalog at that instant rather than polling the clock blindly.
 */
export function nextChange(rights: RightsWindow, withdrawnAt: Date | null, now: Date): Date | null {
  if (!rights.clearedWorldwide || isWithdrawn(withdrawnAt, now)) return null;
  const t = now.getTime();
  let next = Infinity;
  const contractEdges = rights.contractSpans === undefined ? [] : edges(rights.contractSpans);
  for (const d of [rights.availableFrom, rights.availableUntil, withdrawnAt, ...contractEdges]) {
    if (d !== null && d.getTime() > t && d.getTime() < next) next = d.getTime();
  }
  return next === Infinity ? null : new Date(next);
}

/** `nextChange` over many episodes: when the allowed list as a whole must be rebuilt next. */
export function nextRightsChange(
  episodes: Iterable<{ rights: RightsWindow; withdrawnAt: Date | null }>,
  now: Date,
): Date | null {
  let next: Date | null = null;
  for (const e of episodes) {
    const n = nextChange(e.rights, e.withdrawnAt, now);
    if (n !== null && (next === null || n.getTime() < next.getTime())) next = n;
  }
  return next;
}

/**
 * The value `published_at` should take when an episode's rights are recorded or changed at `now`:
 * the moment it becomes distributable (now, or the future opening of its window), or null when that
 * will not happen (not cleared, withdrawn, or the window has already closed). Callers keep an existing
 * `published_at` that is already in the past: the first publication never moves.
 */
export function firstVisibleAt(rights: RightsWindow, withdrawnAt: Date | null, now: Date): Date | null {
  if (!rights.clearedWorldwide || isWithdrawn(withdrawnAt, now)) return null;
  const start = Math.max(now.getTime(), rights.availableFrom.getTime());
  if (rights.availableUntil !== null && start >= rights.availableUntil.getTime()) return null;
  return new Date(start);
}

/**
 * Whether an episode counts as "no longer available" at `now`: it was distributable once (its
 * `published_at` has passed) but is not now. The tracker answers announces for these with a reason
 * instead of "unknown torrent".
 */
export function wasWithdrawnOrExpired(
  rights: RightsWindow,
  withdrawnAt: Date | null,
  publishedAt: Date | null,
  now: Date,
): boolean {
  return (
    publishedAt !== null &&
    publishedAt.getTime() <= now.getTime() &&
    !isDistributable(rights, withdrawnAt, now)
  );
}

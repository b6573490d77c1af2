/**
 * Where an episode stands, in one word, for the catalogue views (CLI and dashboard), and which
 * actions fit it. The decision is rights-window.ts's; this only names the cases.
 */
import { effectiveSpans } from './clearance.js';
import { isDistributable } from './rights-window.js';
import type { Episode } from './types.js';

export type EpisodeState =
  /** Allowed on the tracker and web seed now. */
  | 'distributing'
  /** Cleared, its window (and every party's contract) opens later. */
  | 'scheduled'
  /** Not cleared for worldwide distribution, or a party's contract or a music cue keeps it off. */
  | 'blocked'
  /** Its window, or a contract it needs, has closed. */
  | 'expired'
  /** Unpublished. */
  | 'withdrawn';

export function episodeState(e: Episode, now: Date): EpisodeState {
  if (e.withdrawnAt !== null && e.withdrawnAt.getTime() <= now.getTime()) return 'withdrawn';
  if (isDistributable(e.rights, e.withdrawnAt, now)) return 'distributing';
  if (!e.rights.clearedWorldwide) return 'blocked';
  const t = now.getTime();
  const spans = effectiveSpans(e.rights);
  if (spans.some((s) => s.from !== null && s.from.getTime() > t)) return 'scheduled';
  if (e.rights.availableUntil !== null && e.rights.availableUntil.getTime() <= t) return 'expired';
  // Allowed once, and nothing allows it again: a contract it needed has ended.
  if (spans.some((s) => s.until !== null && s.until.getTime() <= t)) return 'expired';
  return 'blocked';
}

/**
 * Never distributable so far: no peer can hold its torrent from fjord, so it may be deleted and its
 * number used again (the catalog's deleteEpisode applies the same rule).
 */
export function neverDistributed(e: Episode, now: Date): boolean {
  return e.publishedAt === null || e.publishedAt.getTime() > now.getTime();
}

export interface EpisodeActions {
  edit: boolean;
  unpublish: boolean;
  /** Withdrawn: restoring brings it back as its rights allow. */
  restore: boolean;
  delete: boolean;
}

export function episodeActions(e: Episode, now: Date): EpisodeActions {
  const state = episodeState(e, now);
  return {
    edit: true,
    unpublish: state !== 'withdrawn',
    restore: state === 'withdrawn',
    delete: neverDistributed(e, now),
  };
}

/**
 * Login throttling (issue 19, items 4, 5 and 7): which login attempts are refused before any password
 * check, kept in the serving process's memory (a restart lifts every lock).
 *
 * Three counters, each of failed password checks within WINDOW_MS of the first:
 *
 *   pair:NAME ADDRESS   PAIR_FAILURES (5) on one account from one address lock that pair
 *   addr:ADDRESS        ADDRESS_FAILURES (20) from one address, whatever the names, lock the address
 *   user:NAME           ACCOUNT_FAILURES (20) on one account from addresses it has never logged in
 *                       from lock it for such addresses; its known addresses are not held back
 *
 * (ADDRESS is an IPv4 address or an IPv6 /64.) A lock lasts LOCK_MS from the failure that set it:
 * attempts it refuses are not checked, not counted and do not renew it, so the right password during a
 * lock neither counts as a failure nor extends it. A correct password raises no counter; it clears
 * only its own pair's count.
 *
 * An attempt is reserved before its password check (`reserve`) and settled after it (`settle`):
 * reserved attempts count as failures until settled, so concurrent guesses see each other and at most
 * a limit's worth are ever checked at once. Unknown names are counted the same way, so the answers do
 * not tell which names exist.
 */

export const PAIR_FAILURES = 5;
export const ADDRESS_FAILURES = 20;
export const ACCOUNT_FAILURES = 20;
export const WINDOW_MS = 15 * 60_000;
export const LOCK_MS = 15 * 60_000;
/** Counters kept at most; beyond, the stalest go first (a flood of made-up names stays bounded). */
export const MAX_ENTRIES = 100_000;

export type ThrottleKind = 'pair' | 'addr' | 'user';

const LIMITS: Record<ThrottleKind, number> = {
  pair: PAIR_FAILURES,
  addr: ADDRESS_FAILURES,
  user: ACCOUNT_FAILURES,
};

interface Entry {
  kind: ThrottleKind;
  failures: number;
  /** Reserved attempts not yet settled. */
  pending: number;
  /** The first failure of the window (epoch ms). */
  since: number;
  /** 0, or when the lock ends. */
  lockedUntil: number;
}

export interface ThrottleKey {
  kind: ThrottleKind;
  key: string;
}

export type Reservation =
  { ok: true; keys: readonly string[] } | { ok: false; kind: ThrottleKind; retryAt: number };

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: () => number = Date.now) {}

  private live(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    const expired =
      e.pending === 0 && (e.lockedUntil > 0 ? e.lockedUntil <= now : now - e.since >= WINDOW_MS);
    if (expired) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /**
   * Reserves one attempt on every key, or refuses it (the first key that is locked or full, and when to
   * try again). Synchronous, so two concurrent attempts can never both take the last place.
   */
  reserve(keys: readonly ThrottleKey[]): Reservation {
    const now = this.clock();
    for (const { kind, key } of keys) {
      const e = this.live(key, now);
      if (e === undefined) continue;
      if (e.lockedUntil > now) return { ok: false, kind, retryAt: e.lockedUntil };
      // Full with attempts still being checked: one of them may yet fail and lock.
      if (e.failures + e.pending >= LIMITS[kind]) return { ok: false, kind, retryAt: now + 1000 };
    }
    for (const { kind, key } of keys) {
      const e = this.live(key, now) ?? this.add(key, kind, now);
      e.pending++;
    }
    return { ok: true, keys: keys.map((k) => k.key) };
  }

  /** Ends a reservation: a failure counts (and may lock); a success clears the pair's count. */
  settle(reserved: readonly string[], failed: boolean): void {
    const now = this.clock();
    for (const key of reserved) {
      const e = this.entries.get(key);
      if (e === undefined) continue;
      e.pending = Math.max(0, e.pending - 1);
      if (failed) {
        if (e.failures === 0) e.since = now;
        e.failures++;
        if (e.failures >= LIMITS[e.kind] && e.lockedUntil <= now) e.lockedUntil = now + LOCK_MS;
      } else if (e.kind === 'pair' && e.pending === 0) this.entries.delete(key);
      else if (e.failures === 0 && e.pending === 0) this.entries.delete(key);
    }
  }

  /** Failed checks counted on a key now (for the failure delay). */
  failures(key: string): number {
    return this.live(key, this.clock())?.failures ?? 0;
  }

  /** Whether a key is locked now. */
  locked(key: string): boolean {
    const e = this.live(key, this.clock());
    return e !== undefined && e.lockedUntil > this.clock();
  }

  /** When the counting on a key began (0 when it has none): a password set later lifts its lock. */
  since(key: string): number {
    const e = this.live(key, this.clock());
    return e === undefined || e.failures === 0 ? 0 : e.since;
  }

  /** Forgets keys (a password reset lifts the account's locks). Reservations in flight stay counted. */
  clear(match: (key: string) => boolean): void {
    for (const [key, e] of this.entries)
      if (match(key)) {
        if (e.pending === 0) this.entries.delete(key);
        else {
          e.failures = 0;
          e.lockedUntil = 0;
        }
      }
  }

  /** Counters held and locks in force, by kind (the login statistics). */
  summary(): Record<ThrottleKind, { counters: number; locked: number }> {
    const now = this.clock();
    const out = {
      pair: { counters: 0, locked: 0 },
      addr: { counters: 0, locked: 0 },
      user: { counters: 0, locked: 0 },
    };
    for (const key of [...this.entries.keys()]) {
      const e = this.live(key, now);
      if (e === undefined) continue;
      out[e.kind].counters++;
      if (e.lockedUntil > now) out[e.kind].locked++;
    }
    return out;
  }

  private add(key: string, kind: ThrottleKind, now: number): Entry {
    if (this.entries.size >= MAX_ENTRIES) this.prune(now);
    const e: Entry = { kind, failures: 0, pending: 0, since: now, lockedUntil: 0 };
    this.entries.set(key, e);
    return e;
  }

  /** Drops expired counters, then (still full) the oldest idle ones; never a lock or a reservation. */
  private prune(now: number): void {
    for (const key of [...this.entries.keys()]) this.live(key, now);
    for (const [key, e] of this.entries) {
      if (this.entries.size < MAX_ENTRIES * 0.9) break;
      if (e.pending === 0 && e.lockedUntil <= now) this.entries.delete(key);
    }
  }
}

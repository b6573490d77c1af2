/**
 * Dashboard accounts in the catalog database: users with a role, server-side sessions, login
 * throttling, and an audit event (the catalog's `events` table) for every change and every login.
 *
 * Sessions: the cookie carries 32 random bytes; the database keeps only their SHA-256, with the user,
 * a per-session CSRF token and an absolute expiry. Logging out or removing the user deletes them.
 *
 * Logins (the policy is in login-throttle.ts and the README, "Admin login"): an attempt is first
 * reserved against the per-address, per-(account, address) and per-account counters, and refused at
 * once (no password check) when one is full or locked. Addresses an account has logged in from
 * (`auth_known_addresses`) are exempt from the per-account and per-address counters for that account.
 * A name that does not exist costs no scrypt work: the answer waits the typical check's duration
 * instead. Password checks run at most two at a time, a known address's first. Each failure is
 * answered after a delay that doubles with the pair's failures (250 ms, 500 ms, ... at most 8 s; the
 * HTTP layer waits it out, holding nothing).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { auditEvent, type Backend, type Db } from '../catalog/index.js';
import { authDb, type AuthDb, type UserRow } from './schema.js';
import { generatePassword, hashPassword, verifyPassword, SCRYPT_N } from './password.js';
import { isRole, ROLE_PERMISSIONS, type Permission, type Role } from './roles.js';
import { addressKey } from '../protocol/address-key.js';
import { LoginThrottle, type ThrottleKey, type ThrottleKind } from './login-throttle.js';

export { ACCOUNT_FAILURES, ADDRESS_FAILURES, LOCK_MS, PAIR_FAILURES, WINDOW_MS } from './login-throttle.js';
/** Known addresses kept per account (the most recently used). */
export const KNOWN_ADDRESSES_PER_USER = 20;
/** Password checks run at once (each holds scrypt's 128 MiB). */
export const CONCURRENT_CHECKS = 2;
export const SESSION_MS = 12 * 3_600_000;
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MIN_PASSWORD_LENGTH = 12;

export class AuthError extends Error {
  constructor(
    readonly code:
      'invalid-name' | 'invalid-role' | 'exists' | 'not-found' | 'weak-password' | 'wrong-password',
    message: string,
  ) {
    super(message);
  }
}

export interface User {
  id: number;
  name: string;
  role: Role;
  permissions: readonly Permission[];
  mustChangePassword: boolean;
  createdAt: Date;
  /** The party a rights-holder account speaks for; null for the other roles. */
  partyId: number | null;
}

export interface Session {
  user: User;
  csrfToken: string;
  expiresAt: Date;
  /** SHA-256 of the cookie value (the row's key). */
  idHash: string;
}

export type LoginResult =
  | { ok: true; sessionId: string; session: Session }
  | { ok: false; reason: 'invalid'; delayMs: number }
  /** Refused before any check: `by` says which counter (pair, address, account), `retryAt` when. */
  | { ok: false; reason: 'locked'; delayMs: number; by: ThrottleKind; retryAt: number };

/** What logins have cost since the process started (GET /admin/api/login-stats). */
export interface LoginCounters {
  /** Submitted passwords checked against a stored hash (scrypt runs). */
  passwordChecks: number;
  /** Attempts for names that do not exist, answered after the typical check's time, no scrypt. */
  unknownNames: number;
  /** Attempts refused before any check, by the counter that refused them. */
  refused: Record<ThrottleKind, number>;
  failures: number;
  successes: number;
}

export interface AccountsOptions {
  clock?: () => number;
  /** scrypt cost for new hashes (tests lower it). */
  scryptN?: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

function toUser(r: UserRow): User {
  const role = isRole(r.role) ? r.role : 'moderator';
  return {
    id: Number(r.id),
    name: r.name,
    role,
    permissions: ROLE_PERMISSIONS[role],
    mustChangePassword: Number(r.must_change_password) === 1,
    createdAt: new Date(Number(r.created_at)),
    partyId: r.party_id === null || r.party_id === undefined ? null : Number(r.party_id),
  };
}

/** The delay before answering the k-th consecutive failure: 250 ms doubling, at most 8 s. */
export function failureDelayMs(failures: number): number {
  return failures <= 0 ? 0 : Math.min(8000, 250 * 2 ** (failures - 1));
}

/** Equal-time string comparison (for CSRF tokens). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Accounts {
  private readonly clock: () => number;
  private readonly scryptN: number;
  /** Password checks in progress: at most CONCURRENT_CHECKS at a time. */
  private verifying = 0;
  /** Checks waiting: [0] from an account's known address, [1] the rest; [0] goes first. */
  private readonly waiting: [Array<() => void>, Array<() => void>] = [[], []];
  /** The typical check's duration (ms, moving average); null until one hash was timed. */
  private typicalMs: number | null = null;
  private calibrating: Promise<void> | null = null;
  readonly throttle: LoginThrottle;
  readonly counters: LoginCounters = {
    passwordChecks: 0,
    unknownNames: 0,
    refused: { pair: 0, addr: 0, user: 0 },
    failures: 0,
    successes: 0,
  };

  constructor(
    private readonly backend: Backend,
    options: AccountsOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.scryptN = options.scryptN ?? SCRYPT_N;
    this.throttle = new LoginThrottle(this.clock);
  }

  private get db(): AuthDb {
    return authDb(this.backend.db);
  }

  private write<T>(fn: (db: AuthDb) => Promise<T>): Promise<T> {
    return this.backend.write((trx: Db) => fn(authDb(trx)));
  }

  private async audit(
    db: AuthDb,
    actor: string,
    action: string,
    subject: string,
    details: object,
  ): Promise<void> {
    await auditEvent(db, { at: this.clock(), actor, action, subject, details });
  }

  // ---- users ----

  /** Creates a user with a one-time password (returned, never stored in clear). */
  async addUser(
    name: string,
    role: string,
    actor: string,
    partyId: number | null = null,
  ): Promise<{ user: User; password: string }> {
    if (!NAME.test(name))
      throw new AuthError(
        'invalid-name',
        `user name "${name}": 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit`,
      );
    if (!isRole(role))
      throw new AuthError('invalid-role', `role "${role}": one of admin, editor, moderator, rights-holder`);
    if ((role === 'rights-holder') !== (partyId !== null))
      throw new AuthError(
        'invalid-role',
        role === 'rights-holder'
          ? 'a rights-holder account needs its party (--party)'
          : '--party is only for rights-holder accounts',
      );
    const password = generatePassword();
    const hash = await hashPassword(password, this.scryptN);
    const now = this.clock();
    await this.write(async (db) => {
      const exists = await db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst();
      if (exists) throw new AuthError('exists', `user "${name}" exists already`);
      await db
        .insertInto('users')
        .values({
          name,
          role,
          password_hash: hash,
          must_change_password: 1,
          created_at: now,
          updated_at: now,
          party_id: partyId,
        } as UserRow)
        .execute();
      await this.audit(
        db,
        actor,
        'user.add',
        `user:${name}`,
        partyId === null ? { role } : { role, partyId },
      );
    });
    const user = await this.getUser(name);
    if (user === null) throw new AuthError('not-found', `user "${name}" vanished`);
    return { user, password };
  }

  async getUser(name: string): Promise<User | null> {
    const r = await this.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? toUser(r) : null;
  }

  async listUsers(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('name').execute();
    return rows.map(toUser);
  }

  /** Removes a user and ends their sessions. */
  async removeUser(name: string, actor: string): Promise<void> {
    await this.write(async (db) => {
      const u = await db
        .selectFrom('users')
        .select(['id', 'role'])
        .where('name', '=', name)
        .executeTakeFirst();
      if (!u) throw new AuthError('not-found', `no user "${name}"`);
      await db.deleteFrom('sessions').where('user_id', '=', Number(u.id)).execute();
      await db.deleteFrom('auth_known_addresses').where('user_id', '=', Number(u.id)).execute();
      await db.deleteFrom('users').where('id', '=', Number(u.id)).execute();
      await this.audit(db, actor, 'user.remove', `user:${name}`, { role: u.role });
    });
  }

  /** Sets a new one-time password (returned), ends the user's sessions and lifts a lockout. */
  async resetPassword(name: string, actor: string): Promise<string> {
    const password = generatePassword();
    const hash = await hashPassword(password, this.scryptN);
    await this.write(async (db) => {
      const u = await db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst();
      if (!u) throw new AuthError('not-found', `no user "${name}"`);
      await db
        .updateTable('users')
        .set({ password_hash: hash, must_change_password: 1, updated_at: this.clock() })
        .where('id', '=', Number(u.id))
        .execute();
      await db.deleteFrom('sessions').where('user_id', '=', Number(u.id)).execute();
      await this.audit(db, actor, 'user.passwd', `user:${name}`, {});
    });
    // In this process at once; a serving process sees the new updated_at at the next attempt.
    this.throttle.clear((k) => k === `user:${name}` || k.startsWith(`pair:${name} `));
    return password;
  }

  /** A signed-in user changes their own password (the current one is checked again). */
  async changePassword(session: Session, current: string, next: string): Promise<void> {
    if (next.length < MIN_PASSWORD_LENGTH)
      throw new AuthError('weak-password', `a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
    if (next === current)
      throw new AuthError('weak-password', 'the new password must differ from the current one');
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', session.user.id)
      .executeTakeFirst();
    if (!row) throw new AuthError('not-found', 'no such user');
    if (!(await this.verify(current, row.password_hash, true)))
      throw new AuthError('wrong-password', 'the current password is wrong');
    const hash = await hashPassword(next, this.scryptN);
    await this.write(async (db) => {
      await db
        .updateTable('users')
        .set({ password_hash: hash, must_change_password: 0, updated_at: this.clock() })
        .where('id', '=', session.user.id)
        .execute();
      // Other sessions of this user end; this one stays.
      await db
        .deleteFrom('sessions')
        .where('user_id', '=', session.user.id)
        .where('id_hash', '<>', session.idHash)
        .execute();
      await this.audit(db, row.name, 'user.password-change', `user:${row.name}`, {});
    });
  }

  // ---- logins and sessions ----

  /** Runs `fn` when one of the CONCURRENT_CHECKS places is free; `first` jumps the queue. */
  private async checkSlot<T>(first: boolean, fn: () => Promise<T>): Promise<T> {
    if (this.verifying >= CONCURRENT_CHECKS)
      await new Promise<void>((resolve) => this.waiting[first ? 0 : 1].push(resolve));
    this.verifying++;
    try {
      return await fn();
    } finally {
      this.verifying--;
      (this.waiting[0].shift() ?? this.waiting[1].shift())?.();
    }
  }

  /** Checks a password, timing the scrypt work for the typical duration. */
  private verify(password: string, hash: string, first = false): Promise<boolean> {
    return this.checkSlot(first, async () => {
      this.counters.passwordChecks++;
      const t0 = performance.now();
      const ok = await verifyPassword(password, hash);
      this.observe(performance.now() - t0);
      return ok;
    });
  }

  private observe(ms: number): void {
    this.typicalMs = this.typicalMs === null ? ms : this.typicalMs * 0.8 + ms * 0.2;
  }

  /** How long a check takes here: timed once on a throwaway hash (one scrypt per process). */
  private async typicalCheckMs(): Promise<number> {
    if (this.typicalMs === null) {
      this.calibrating ??= this.checkSlot(false, async () => {
        const t0 = performance.now();
        await hashPassword(generatePassword(), this.scryptN);
        if (this.typicalMs === null) this.observe(performance.now() - t0);
      });
      await this.calibrating;
    }
    return this.typicalMs ?? 0;
  }

  /** Whether `user` has logged in from `address` (its throttle key) before. */
  private async known(userId: number, address: string): Promise<boolean> {
    const r = await this.db
      .selectFrom('auth_known_addresses')
      .select('address')
      .where('user_id', '=', userId)
      .where('address', '=', address)
      .executeTakeFirst();
    return r !== undefined;
  }

  /** Checks a name and password from `address`; on success opens a session. */
  async login(name: string, password: string, address: string): Promise<LoginResult> {
    const who = name.slice(0, 64);
    const from = addressKey(address) ?? (address || 'unknown');
    const pair = `pair:${who} ${from}`;
    const row = NAME.test(name)
      ? await this.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst()
      : undefined;
    const known = row !== undefined && (await this.known(Number(row.id), from));
    // A password set since counting began (`fjord user passwd`, even from another process) lifts
    // the account's locks.
    if (row !== undefined) {
      const setAt = Number(row.updated_at);
      const user = `user:${who}`;
      if (this.throttle.since(user) > 0 && this.throttle.since(user) < setAt)
        this.throttle.clear((k) => k === user);
      if (this.throttle.since(pair) > 0 && this.throttle.since(pair) < setAt)
        this.throttle.clear((k) => k === pair);
    }
    // A known address answers only for its own failures on this account.
    const keys: ThrottleKey[] = [{ kind: 'pair', key: pair }];
    if (!known) keys.push({ kind: 'addr', key: `addr:${from}` }, { kind: 'user', key: `user:${who}` });
    const r = this.throttle.reserve(keys);
    if (!r.ok) {
      this.counters.refused[r.kind]++;
      await this.write((db) =>
        this.audit(db, who || '(empty)', 'login.locked', `user:${who}`, { address, by: r.kind }),
      );
      return { ok: false, reason: 'locked', delayMs: 0, by: r.kind, retryAt: r.retryAt };
    }
    let ok = false;
    try {
      if (row === undefined) {
        // No scrypt for a name that does not exist, but the same time to answer.
        this.counters.unknownNames++;
        await sleep(await this.typicalCheckMs());
      } else ok = await this.verify(password, row.password_hash, known);
    } finally {
      this.throttle.settle(r.keys, !ok);
    }
    const now = this.clock();
    if (ok && row) {
      this.counters.successes++;
      const sessionId = randomBytes(32).toString('base64url');
      const csrfToken = randomBytes(32).toString('base64url');
      const idHash = sha256(sessionId);
      const expiresAt = now + SESSION_MS;
      const userId = Number(row.id);
      await this.write(async (db) => {
        await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
        await db
          .insertInto('sessions')
          .values({
            id_hash: idHash,
            user_id: userId,
            csrf_token: csrfToken,
            created_at: now,
            expires_at: expiresAt,
            address,
          })
          .execute();
        await db
          .insertInto('auth_known_addresses')
          .values({ user_id: userId, address: from, first_at: now, last_at: now })
          .onConflict((oc) => oc.columns(['user_id', 'address']).doUpdateSet({ last_at: now }))
          .execute();
        const stale = await db
          .selectFrom('auth_known_addresses')
          .select('address')
          .where('user_id', '=', userId)
          .orderBy('last_at', 'desc')
          .orderBy('address')
          .offset(KNOWN_ADDRESSES_PER_USER)
          .limit(1000)
          .execute();
        if (stale.length > 0)
          await db
            .deleteFrom('auth_known_addresses')
            .where('user_id', '=', userId)
            .where(
              'address',
              'in',
              stale.map((x) => x.address),
            )
            .execute();
        await this.audit(db, row.name, 'login', `user:${row.name}`, { address });
      });
      return {
        ok: true,
        sessionId,
        session: { user: toUser(row), csrfToken, expiresAt: new Date(expiresAt), idHash },
      };
    }
    this.counters.failures++;
    await this.write((db) => this.audit(db, who || '(empty)', 'login.failed', `user:${who}`, { address }));
    return { ok: false, reason: 'invalid', delayMs: failureDelayMs(this.throttle.failures(pair)) };
  }

  /** Whether a login for this name from this address would be refused now without a check. */
  async isLocked(name: string, address: string): Promise<boolean> {
    const who = name.slice(0, 64);
    const from = addressKey(address) ?? (address || 'unknown');
    const row = NAME.test(name)
      ? await this.db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst()
      : undefined;
    const known = row !== undefined && (await this.known(Number(row.id), from));
    const keys = [`pair:${who} ${from}`, ...(known ? [] : [`addr:${from}`, `user:${who}`])];
    return keys.some((k) => this.throttle.locked(k));
  }

  /** The live session for a cookie value, or null. */
  async session(sessionId: string): Promise<Session | null> {
    if (sessionId.length < 20 || sessionId.length > 100) return null;
    const idHash = sha256(sessionId);
    const r = await this.db
      .selectFrom('sessions')
      .innerJoin('users', 'users.id', 'sessions.user_id')
      .selectAll('users')
      .select(['sessions.csrf_token', 'sessions.expires_at'])
      .where('sessions.id_hash', '=', idHash)
      .executeTakeFirst();
    if (!r || Number(r.expires_at) <= this.clock()) return null;
    return { user: toUser(r), csrfToken: r.csrf_token, expiresAt: new Date(Number(r.expires_at)), idHash };
  }

  async logout(session: Session): Promise<void> {
    await this.write(async (db) => {
      await db.deleteFrom('sessions').where('id_hash', '=', session.idHash).execute();
      await this.audit(db, session.user.name, 'logout', `user:${session.user.name}`, {});
    });
  }
}

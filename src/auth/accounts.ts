/**
 * Dashboard accounts in the catalog database: users with a role, server-side sessions, login
 * throttling, and an audit event (the catalog's `events` table) for every change and every login.
 *
 * Sessions: the cookie carries 32 random bytes; the database keeps only their SHA-256, with the user,
 * a per-session CSRF token and an absolute expiry. Logging out or removing the user deletes them.
 *
 * Failed logins are counted per account ("user:NAME", whether or not it exists, so lockout does not
 * tell which names exist) and per client address ("addr:IP"). Each failure is answered after a delay
 * that doubles with the failures (250 ms, 500 ms, ... at most 8 s; the HTTP layer waits it out);
 * LOCK_ACCOUNT_AFTER failures on an account, or LOCK_ADDRESS_AFTER from one address, lock it for
 * LOCK_MS, during which even the right password is refused. Counts older than LOCK_MS start over.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Backend, Db } from '../catalog/index.js';
import { authDb, type AuthDb, type UserRow } from './schema.js';
import { generatePassword, hashPassword, verifyPassword, SCRYPT_N } from './password.js';
import { isRole, ROLE_PERMISSIONS, type Permission, type Role } from './roles.js';

export const LOCK_ACCOUNT_AFTER = 5;
export const LOCK_ADDRESS_AFTER = 20;
export const LOCK_MS = 15 * 60_000;
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
  | { ok: false; reason: 'invalid' | 'locked'; delayMs: number };

export interface AccountsOptions {
  clock?: () => number;
  /** scrypt cost for new hashes (tests lower it). */
  scryptN?: number;
}

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
  /** Password checks in progress: at most two at a time (each holds scrypt's memory). */
  private verifying = 0;
  private readonly waiting: Array<() => void> = [];
  /** A hash to check unknown names against, so they take as long as known ones. */
  private dummy: Promise<string> | null = null;

  constructor(
    private readonly backend: Backend,
    options: AccountsOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.scryptN = options.scryptN ?? SCRYPT_N;
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
    await db
      .insertInto('events')
      .values({ at: this.clock(), actor, action, subject, details: JSON.stringify(details) })
      .execute();
  }

  // ---- users ----

  /** Creates a user with a one-time password (returned, never stored in clear). */
  async addUser(name: string, role: string, actor: string): Promise<{ user: User; password: string }> {
    if (!NAME.test(name))
      throw new AuthError(
        'invalid-name',
        `user name "${name}": 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit`,
      );
    if (!isRole(role)) throw new AuthError('invalid-role', `role "${role}": one of admin, editor, moderator`);
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
        } as UserRow)
        .execute();
      await this.audit(db, actor, 'user.add', `user:${name}`, { role });
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
      await db.deleteFrom('users').where('id', '=', Number(u.id)).execute();
      await db.deleteFrom('auth_throttle').where('key', '=', `user:${name}`).execute();
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
      await db.deleteFrom('auth_throttle').where('key', '=', `user:${name}`).execute();
      await this.audit(db, actor, 'user.passwd', `user:${name}`, {});
    });
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
    if (!(await this.verify(current, row.password_hash)))
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

  private async verify(password: string, hash: string): Promise<boolean> {
    if (this.verifying >= 2) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.verifying++;
    try {
      return await verifyPassword(password, hash);
    } finally {
      this.verifying--;
      this.waiting.shift()?.();
    }
  }

  /** Checks a name and password from `address`; on success opens a session. */
  async login(name: string, password: string, address: string): Promise<LoginResult> {
    const now = this.clock();
    const keys = [`user:${name.slice(0, 64)}`, `addr:${address}`];
    const throttle = await this.db.selectFrom('auth_throttle').selectAll().where('key', 'in', keys).execute();
    const live = throttle.filter((t) => now - Number(t.last_failure_at) < LOCK_MS);
    const locked = live.some((t) => t.locked_until !== null && Number(t.locked_until) > now);
    const row = NAME.test(name)
      ? await this.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst()
      : undefined;
    // Always one scrypt computation, whether the name exists or the account is locked.
    this.dummy ??= hashPassword(generatePassword(), this.scryptN);
    const ok = await this.verify(password, row ? row.password_hash : await this.dummy);
    if (ok && row && !locked) {
      const sessionId = randomBytes(32).toString('base64url');
      const csrfToken = randomBytes(32).toString('base64url');
      const idHash = sha256(sessionId);
      const expiresAt = now + SESSION_MS;
      await this.write(async (db) => {
        await db.deleteFrom('auth_throttle').where('key', '=', keys[0]).execute();
        await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
        await db
          .insertInto('sessions')
          .values({
            id_hash: idHash,
            user_id: Number(row.id),
            csrf_token: csrfToken,
            created_at: now,
            expires_at: expiresAt,
            address,
          })
          .execute();
        await this.audit(db, row.name, 'login', `user:${row.name}`, { address });
      });
      return {
        ok: true,
        sessionId,
        session: { user: toUser(row), csrfToken, expiresAt: new Date(expiresAt), idHash },
      };
    }
    // A failure (or a locked account): count it against the account and the address.
    let worst = 0;
    await this.write(async (db) => {
      for (const key of keys) {
        const t = await db.selectFrom('auth_throttle').selectAll().where('key', '=', key).executeTakeFirst();
        const fresh = t !== undefined && now - Number(t.last_failure_at) < LOCK_MS;
        const failures = (fresh ? Number(t.failures) : 0) + 1;
        const limit = key.startsWith('user:') ? LOCK_ACCOUNT_AFTER : LOCK_ADDRESS_AFTER;
        const lockedUntil =
          failures >= limit
            ? now + LOCK_MS
            : fresh && t.locked_until !== null
              ? Number(t.locked_until)
              : null;
        if (key.startsWith('user:')) worst = Math.max(worst, failures);
        if (t === undefined)
          await db
            .insertInto('auth_throttle')
            .values({ key, failures, last_failure_at: now, locked_until: lockedUntil })
            .execute();
        else
          await db
            .updateTable('auth_throttle')
            .set({ failures, last_failure_at: now, locked_until: lockedUntil })
            .where('key', '=', key)
            .execute();
      }
      await this.audit(
        db,
        name.slice(0, 64) || '(empty)',
        locked ? 'login.locked' : 'login.failed',
        `user:${name.slice(0, 64)}`,
        {
          address,
        },
      );
    });
    return { ok: false, reason: locked ? 'locked' : 'invalid', delayMs: failureDelayMs(worst) };
  }

  /** Whether logins for this name or from this address are locked now (for tests and the login page). */
  async isLocked(name: string, address: string): Promise<boolean> {
    const now = this.clock();
    const rows = await this.db
      .selectFrom('auth_throttle')
      .selectAll()
      .where('key', 'in', [`user:${name}`, `addr:${address}`])
      .execute();
    return rows.some((t) => t.locked_until !== null && Number(t.locked_until) > now);
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

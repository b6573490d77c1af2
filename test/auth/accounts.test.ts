/**
 * Accounts: scrypt hashes (never plaintext, parameters stored, verified in constant time), one-time
 * passwords, lockout per (account, address), per address and per account with known addresses exempt,
 * the failure delay, sessions and the audit log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCatalog, type Catalog } from '../../src/catalog/index.js';
import {
  Accounts,
  AuthError,
  ACCOUNT_FAILURES,
  ADDRESS_FAILURES,
  LOCK_MS,
  PAIR_FAILURES,
  SESSION_MS,
  KNOWN_ADDRESSES_PER_USER,
  failureDelayMs,
} from '../../src/auth/accounts.js';
import { hashPassword, verifyPassword } from '../../src/auth/password.js';
import { authDb } from '../../src/auth/schema.js';
import { can } from '../../src/auth/roles.js';
import { freshSchema, postgresSkip } from '../helpers/postgres.js';

const FAST = 1 << 10;

async function withAccounts(
  fn: (a: Accounts, c: Catalog, clock: { t: number }) => Promise<void>,
): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'fjord-auth-'));
  const catalog = await openCatalog({ dataDir });
  const clock = { t: Date.UTC(2026, 0, 1) };
  try {
    await fn(new Accounts(catalog.backend, { clock: () => clock.t, scryptN: FAST }), catalog, clock);
  } finally {
    await catalog.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

test('password hashes: scrypt with salt and parameters, not the password, verified only by the password', async () => {
  const h = await hashPassword('correct horse battery staple', FAST);
  assert.match(h, /^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{86}$/);
  assert.ok(!h.includes('correct horse'));
  assert.notEqual(await hashPassword('correct horse battery staple', FAST), h, 'a fresh salt each time');
  assert.equal(await verifyPassword('correct horse battery staple', h), true);
  assert.equal(await verifyPassword('correct horse battery stapl', h), false);
  assert.equal(await verifyPassword('x', 'plain-text-password'), false);
  assert.equal(await verifyPassword('x', h.replace('$1024$', '$1073741824$')), false, 'absurd cost refused');
  // The default cost (OWASP's minimum for scrypt) is what new accounts get.
  const strong = await hashPassword('another one');
  assert.match(strong, /^scrypt\$131072\$8\$1\$/);
  assert.equal(await verifyPassword('another one', strong), true);
});

test('user add prints a one-time password; the stored hash is not it; duplicates and bad input refused', () =>
  withAccounts(async (a, c) => {
    const { user, password } = await a.addUser('kari', 'editor', 'cli:root');
    assert.equal(user.role, 'editor');
    assert.equal(user.mustChangePassword, true);
    assert.ok(password.length >= 20);
    const row = await authDb(c.backend.db).selectFrom('users').selectAll().executeTakeFirstOrThrow();
    assert.ok(!row.password_hash.includes(password));
    assert.equal(await verifyPassword(password, row.password_hash), true);
    await assert.rejects(
      a.addUser('kari', 'admin', 'cli:root'),
      (e: unknown) => e instanceof AuthError && e.code === 'exists',
    );
    await assert.rejects(a.addUser('Kari Nordmann', 'admin', 'x'), /user name/);
    await assert.rejects(a.addUser('ola', 'boss', 'x'), /role "boss"/);
    assert.deepEqual(
      (await a.listUsers()).map((u) => u.name),
      ['kari'],
    );
    const events = await c.listEvents({ subject: 'user:kari' });
    assert.deepEqual(
      events.map((e) => [e.actor, e.action]),
      [['cli:root', 'user.add']],
    );
    assert.ok(!JSON.stringify(events).includes(password));
  }));

test('login opens a session; the one-time password must be changed; changing ends other sessions', () =>
  withAccounts(async (a, c, clock) => {
    const { password } = await a.addUser('kari', 'editor', 'cli:root');
    const r1 = await a.login('kari', password, '192.0.2.1');
    assert.ok(r1.ok);
    const r2 = await a.login('kari', password, '192.0.2.1');
    assert.ok(r2.ok);
    const s1 = await a.session(r1.sessionId);
    assert.ok(s1 && s1.user.mustChangePassword);
    // Stored hashed: the cookie value is not in the table.
    const rows = await authDb(c.backend.db).selectFrom('sessions').selectAll().execute();
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r) => r.id_hash !== r1.sessionId && r.id_hash.length === 64));

    await assert.rejects(a.changePassword(s1, 'wrong', 'a new long password'), /current password is wrong/);
    await assert.rejects(a.changePassword(s1, password, 'short'), /at least 12/);
    await a.changePassword(s1, password, 'a new long password');
    assert.equal((await a.session(r1.sessionId))?.user.mustChangePassword, false);
    assert.equal(await a.session(r2.sessionId), null, 'the other session ended');
    assert.equal((await a.login('kari', password, '192.0.2.1')).ok, false);

    // Sessions expire; logout and removal end them.
    clock.t += SESSION_MS;
    assert.equal(await a.session(r1.sessionId), null);
    const r3 = await a.login('kari', 'a new long password', '192.0.2.1');
    assert.ok(r3.ok);
    await a.logout(r3.session);
    assert.equal(await a.session(r3.sessionId), null);
    const r4 = await a.login('kari', 'a new long password', '192.0.2.1');
    assert.ok(r4.ok);
    await a.removeUser('kari', 'cli:root');
    assert.equal(await a.session(r4.sessionId), null);
    const actions = (await c.listEvents({ subject: 'user:kari', limit: 50 })).map((e) => e.action).reverse();
    assert.deepEqual(actions, [
      'user.add',
      'login',
      'login',
      'user.password-change',
      'login.failed',
      'login',
      'logout',
      'login',
      'user.remove',
    ]);
  }));

test(`${PAIR_FAILURES} failures lock one (account, address) pair for ${LOCK_MS / 60000} minutes; the lock is not renewed`, () =>
  withAccounts(async (a, _c, clock) => {
    const { password } = await a.addUser('ola', 'admin', 'cli:root');
    const delays: number[] = [];
    for (let i = 0; i < PAIR_FAILURES; i++) {
      const r = await a.login('ola', 'guess' + i, '198.51.100.1');
      assert.equal(r.ok, false);
      if (!r.ok) delays.push(r.delayMs);
    }
    assert.deepEqual(delays, [250, 500, 1000, 2000, 4000]);
    assert.equal(await a.isLocked('ola', '198.51.100.1'), true);
    assert.equal(await a.isLocked('ola', '203.0.113.9'), false, 'other addresses are not locked');
    const locked = await a.login('ola', password, '198.51.100.1');
    assert.ok(!locked.ok && locked.reason === 'locked' && locked.by === 'pair');
    const until = locked.retryAt;
    clock.t += LOCK_MS / 2;
    const again = await a.login('ola', password, '198.51.100.1');
    assert.ok(!again.ok && again.reason === 'locked' && again.retryAt === until, 'not renewed');
    assert.equal((await a.login('ola', password, '203.0.113.9')).ok, true);
    clock.t += LOCK_MS / 2 + 1;
    assert.equal((await a.login('ola', password, '198.51.100.1')).ok, true);
    // Unknown names count too, so lockout does not reveal which names exist.
    for (let i = 0; i < PAIR_FAILURES; i++) await a.login('nobody', 'x', '203.0.113.10');
    assert.equal(await a.isLocked('nobody', '203.0.113.10'), true);
    assert.equal(a.counters.passwordChecks, 7, 'no scrypt for unknown names or locked attempts');
    assert.equal(failureDelayMs(20), 8000);
  }));

test(`an address locks after ${ADDRESS_FAILURES} failures across accounts; an account after ${ACCOUNT_FAILURES}, except from its known addresses`, () =>
  withAccounts(async (a, _c, clock) => {
    const { password } = await a.addUser('per', 'moderator', 'cli:root');
    for (let i = 0; i < ADDRESS_FAILURES; i++) await a.login(`user${i}`, 'x', '192.0.2.66');
    const r = await a.login('per', password, '192.0.2.66');
    assert.ok(!r.ok && r.reason === 'locked' && r.by === 'addr');
    assert.equal((await a.login('per', password, '192.0.2.67')).ok, true, 'other addresses are not affected');
    clock.t += LOCK_MS + 1;
    assert.equal((await a.login('per', password, '192.0.2.66')).ok, true);
    // IPv6: one /64 is one address.
    for (let i = 0; i < ADDRESS_FAILURES; i++) await a.login(`v6user${i}`, 'x', `2001:db8:1:2::${i + 1}`);
    assert.equal(await a.isLocked('anyone', '2001:db8:1:2:ffff::9'), true);
    // Failures from many addresses lock the account for new addresses, not for known ones.
    await Promise.all(
      Array.from({ length: ACCOUNT_FAILURES + 5 }, (_, i) => a.login('per', 'x', `198.18.0.${i + 1}`)),
    );
    assert.equal(await a.isLocked('per', '192.0.2.200'), true);
    assert.equal(await a.isLocked('per', '192.0.2.67'), false, 'a known address');
    assert.equal((await a.login('per', password, '192.0.2.67')).ok, true);
    // user passwd lifts an account lockout and sets a new one-time password.
    const fresh = await a.resetPassword('per', 'cli:root');
    assert.equal(await a.isLocked('per', '192.0.2.200'), false);
    assert.equal((await a.login('per', fresh, '192.0.2.200')).ok, true);
  }));

for (const dialect of ['SQLite', 'PostgreSQL'] as const)
  test(
    `${dialect}: addresses an account logged in from are kept (the newest ${KNOWN_ADDRESSES_PER_USER}) and outlast a restart`,
    { skip: dialect === 'PostgreSQL' ? postgresSkip : false },
    async () => {
      const pgSchema = dialect === 'PostgreSQL' ? await freshSchema() : null;
      const dataDir = await mkdtemp(join(tmpdir(), 'fjord-auth-'));
      const open = () => openCatalog(pgSchema ? pgSchema.location : { dataDir });
      const clock = { t: Date.UTC(2026, 0, 1) };
      let catalog = await open();
      try {
        let a = new Accounts(catalog.backend, { clock: () => clock.t, scryptN: FAST });
        const { password } = await a.addUser('liv', 'editor', 'cli:root');
        for (let i = 0; i < KNOWN_ADDRESSES_PER_USER + 5; i++) {
          clock.t += 1000;
          assert.equal((await a.login('liv', password, `192.0.2.${i + 1}`)).ok, true);
        }
        clock.t += 1000;
        assert.equal((await a.login('liv', password, '192.0.2.25')).ok, true, 'again from one of them');
        const rows = () =>
          authDb(catalog.backend.db)
            .selectFrom('auth_known_addresses')
            .selectAll()
            .orderBy('address')
            .execute();
        const kept = (await rows()).map((r) => r.address);
        assert.equal(kept.length, KNOWN_ADDRESSES_PER_USER);
        assert.ok(!kept.includes('192.0.2.1') && kept.includes('192.0.2.25'), 'the oldest went');
        // A new process: the account is locked for new addresses, not for a remembered one.
        await catalog.close();
        catalog = await open();
        a = new Accounts(catalog.backend, { clock: () => clock.t, scryptN: FAST });
        for (let i = 0; i < ACCOUNT_FAILURES; i++) await a.login('liv', 'x', `198.18.1.${i + 1}`);
        assert.equal((await a.login('liv', password, '203.0.113.1')).ok, false);
        assert.equal((await a.login('liv', password, '192.0.2.25')).ok, true);
        await a.removeUser('liv', 'cli:root');
        assert.equal((await rows()).length, 0);
      } finally {
        await catalog.close();
        await pgSchema?.destroy();
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  );

test('role matrix', () => {
  assert.ok(
    can('admin', 'stats') && can('admin', 'audit') && can('admin', 'subtitles') && can('admin', 'users'),
  );
  assert.ok(
    can('editor', 'stats') &&
      can('editor', 'publish') &&
      !can('editor', 'subtitles') &&
      !can('editor', 'audit'),
  );
  assert.ok(can('moderator', 'subtitles') && !can('moderator', 'stats') && !can('moderator', 'publish'));
});

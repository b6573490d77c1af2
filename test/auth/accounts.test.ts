/**
 * Accounts: scrypt hashes (never plaintext, parameters stored, verified in constant time), one-time
 * passwords, lockout per account and per address, the failure delay, sessions and the audit log.
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
  LOCK_ACCOUNT_AFTER,
  LOCK_ADDRESS_AFTER,
  LOCK_MS,
  SESSION_MS,
  failureDelayMs,
} from '../../src/auth/accounts.js';
import { hashPassword, verifyPassword } from '../../src/auth/password.js';
import { authDb } from '../../src/auth/schema.js';
import { can } from '../../src/auth/roles.js';

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

test(`an account locks after ${LOCK_ACCOUNT_AFTER} failures, even for the right password, for ${LOCK_MS / 60000} minutes`, () =>
  withAccounts(async (a, _c, clock) => {
    const { password } = await a.addUser('ola', 'admin', 'cli:root');
    const delays: number[] = [];
    for (let i = 0; i < LOCK_ACCOUNT_AFTER; i++) {
      const r = await a.login('ola', 'guess' + i, `198.51.100.${i}`);
      assert.equal(r.ok, false);
      if (!r.ok) delays.push(r.delayMs);
    }
    assert.deepEqual(delays, [250, 500, 1000, 2000, 4000]);
    assert.equal(await a.isLocked('ola', '203.0.113.9'), true);
    const locked = await a.login('ola', password, '203.0.113.9');
    assert.ok(!locked.ok && locked.reason === 'locked');
    clock.t += LOCK_MS + 1;
    assert.equal((await a.login('ola', password, '203.0.113.9')).ok, true);
    // Unknown names count too, so lockout does not reveal which names exist.
    for (let i = 0; i < LOCK_ACCOUNT_AFTER; i++) await a.login('nobody', 'x', '203.0.113.10');
    assert.equal(await a.isLocked('nobody', '203.0.113.11'), true);
    assert.equal(failureDelayMs(20), 8000);
  }));

test(`an address locks after ${LOCK_ADDRESS_AFTER} failures across accounts`, () =>
  withAccounts(async (a, _c, clock) => {
    const { password } = await a.addUser('per', 'moderator', 'cli:root');
    for (let i = 0; i < LOCK_ADDRESS_AFTER; i++) await a.login(`user${i}`, 'x', '192.0.2.66');
    const r = await a.login('per', password, '192.0.2.66');
    assert.ok(!r.ok && r.reason === 'locked');
    assert.equal((await a.login('per', password, '192.0.2.67')).ok, true, 'other addresses are not affected');
    clock.t += LOCK_MS + 1;
    assert.equal((await a.login('per', password, '192.0.2.66')).ok, true);
    // user passwd lifts an account lockout and sets a new one-time password.
    for (let i = 0; i < LOCK_ACCOUNT_AFTER; i++) await a.login('per', 'x', `192.0.2.${100 + i}`);
    assert.equal(await a.isLocked('per', '192.0.2.200'), true);
    const fresh = await a.resetPassword('per', 'cli:root');
    assert.equal(await a.isLocked('per', '192.0.2.200'), false);
    assert.equal((await a.login('per', fresh, '192.0.2.200')).ok, true);
  }));

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

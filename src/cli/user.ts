/**
 * `fjord user`: dashboard accounts in the catalog database.
 *
 *   fjord user add NAME --role admin|editor|moderator   prints a one-time password (changed at first login)
 *   fjord user list
 *   fjord user remove NAME
 *   fjord user passwd NAME                               prints a new one-time password; ends NAME's sessions
 *
 * Each change is in the catalog's audit log, with the operating-system user as the actor. The options
 * and help are in commands/user.ts.
 */
import { userInfo } from 'node:os';
import { Accounts, AuthError } from '../auth/accounts.js';
import type { Config } from '../config.js';
import { loadSettings, type CommonFlags } from './settings.js';
import type { Catalog } from '../catalog/index.js';
import { openCatalogFor } from './publish.js';

export type UserFlags = CommonFlags;

function settings(o: UserFlags): Config {
  return loadSettings(o);
}

function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

async function withAccounts<T>(o: UserFlags, fn: (a: Accounts, catalog: Catalog) => Promise<T>): Promise<T> {
  const catalog = await openCatalogFor(settings(o));
  try {
    return await fn(new Accounts(catalog.backend), catalog);
  } catch (e) {
    if (e instanceof AuthError) throw new Error(e.message);
    throw e;
  } finally {
    await catalog.close();
  }
}

export async function addUser(name: string, o: UserFlags & { role: string; party?: string }): Promise<void> {
  const { user: u, password } = await withAccounts(o, async (a, catalog) => {
    const party = o.party === undefined ? null : (await catalog.contracts.requireParty(o.party)).id;
    return a.addUser(name, o.role, actor(), party);
  });
  process.stdout.write(
    `user ${u.name} (${u.role}) created\none-time password: ${password}\n` +
      'It is shown only now; it must be changed at the first login.\n',
  );
}

export async function listUsers(o: UserFlags): Promise<void> {
  const users = await withAccounts(o, (a) => a.listUsers());
  if (users.length === 0) process.stdout.write('no users (fjord user add NAME --role admin)\n');
  for (const u of users)
    process.stdout.write(
      `${u.name}\t${u.role}\t${u.createdAt.toISOString()}${u.mustChangePassword ? '\t(one-time password not changed yet)' : ''}\n`,
    );
}

export async function removeUser(name: string, o: UserFlags): Promise<void> {
  await withAccounts(o, (a) => a.removeUser(name, actor()));
  process.stdout.write(`user ${name} removed\n`);
}

export async function resetPassword(name: string, o: UserFlags): Promise<void> {
  const password = await withAccounts(o, (a) => a.resetPassword(name, actor()));
  process.stdout.write(`new one-time password for ${name}: ${password}\n`);
}

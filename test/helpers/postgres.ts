/**
 * PostgreSQL for the suites that run on both databases: whether a server is reachable (skip with
 * the reason on a user's machine, fail under CI=true), and a fresh fjord_test_<random> schema per
 * test, dropped afterwards, so test files running in parallel never see each other's rows.
 */
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import { skipUnless } from './programs.js';

export const postgresUrl = process.env.FJORD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    // Ending a client that never connected can reject too; the answer is already decided.
    await client.end().catch(() => undefined);
  }
}

/** The `skip` option for the PostgreSQL suites (false when a server answers). */
export const postgresSkip = skipUnless({
  ok: await reachable(),
  what: `PostgreSQL at ${postgresUrl} (set FJORD_TEST_POSTGRES_URL)`,
});

const admin = postgresSkip === false ? new pg.Pool({ connectionString: postgresUrl, max: 2 }) : null;
after(() => admin?.end());

/** A store location in a new schema (created by the code under test), and how to drop it. */
export async function freshSchema(): Promise<{
  location: { url: string; schema: string };
  destroy: () => Promise<void>;
}> {
  const schema = `fjord_test_${randomBytes(6).toString('hex')}`;
  return {
    location: { url: postgresUrl, schema },
    destroy: async () => {
      await admin?.query(`drop schema if exists "${schema}" cascade`);
    },
  };
}

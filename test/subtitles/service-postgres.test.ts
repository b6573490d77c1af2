/**
 * The community subtitle service on PostgreSQL: a fresh fjord_test_<random> schema per test, dropped
 * afterwards. Without a reachable server it skips with the reason; under CI=true it fails instead.
 */
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import pg from 'pg';
import { skipUnless } from '../helpers/programs.js';
import { serviceSuite } from './service-suite.js';

const url = process.env.FJORD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const skip = skipUnless({
  ok: await reachable(),
  what: `PostgreSQL at ${url} (set FJORD_TEST_POSTGRES_URL)`,
});
const admin = skip === false ? new pg.Pool({ connectionString: url, max: 2 }) : null;
after(() => admin?.end());

serviceSuite(
  'PostgreSQL',
  async () => {
    const schema = `fjord_test_${randomBytes(6).toString('hex')}`;
    return {
      location: { url, schema },
      destroy: async () => {
        await admin?.query(`drop schema if exists "${schema}" cascade`);
      },
    };
  },
  { skip },
);

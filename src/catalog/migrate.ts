/**
 * Brings a catalog database up to the schema this build of fjord expects.
 *
 * Our own small runner rather than kysely's Migrator: kysely runs SQLite migrations outside any
 * transaction (its SQLite adapter reports no transactional DDL, though SQLite has it), and it decides
 * whether its bookkeeping table exists by looking in every schema, which mixes up several catalogs
 * kept in one PostgreSQL database. Here each migration and the row recording it commit together, on
 * both backends, under a lock, so two processes opening the same catalog at once apply each
 * migration exactly once.
 */
import { sql } from 'kysely';
import type { Backend, Db } from './backend.js';
import { CatalogError } from './errors.js';
import type { Migration } from './migrations/index.js';

/** Applies the pending migrations; returns the versions it applied (empty when up to date). */
export async function migrate(
  backend: Backend,
  migrations: readonly Migration[],
  now: () => number,
): Promise<number[]> {
  migrations.forEach((m, i) => {
    // A programming error, caught by the first test run: versions must be 1, 2, 3, … in order.
    if (m.version !== i + 1)
      throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });

  const applied = await backend.write(async (trx) => {
    await lock(backend, trx);
    await trx.schema
      .createTable('catalog_migrations')
      .ifNotExists()
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('applied_at', 'bigint', (c) => c.notNull())
      .execute();
    return appliedVersions(trx);
  });

  const newest = Math.max(0, ...applied);
  if (newest > migrations.length) {
    // An older fjord must not write to a schema it does not know.
    throw new CatalogError(
      'schema-too-new',
      `the catalog has schema version ${newest}, this fjord knows only up to ${migrations.length}: upgrade fjord`,
    );
  }

  const done: number[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    const ran = await backend.write(async (trx) => {
      await lock(backend, trx);
      // Another process may have applied it while we waited for the lock.
      if ((await appliedVersions(trx)).has(m.version)) return false;
      await m.up({ schema: trx.schema, db: trx, dialect: backend.dialect, now: now() });
      await trx
        .insertInto('catalog_migrations')
        .values({ version: m.version, name: m.name, applied_at: now() })
        .execute();
      return true;
    });
    if (ran) done.push(m.version);
  }
  return done;
}

async function appliedVersions(trx: Db): Promise<Set<number>> {
  const rows = await trx.selectFrom('catalog_migrations').select('version').execute();
  return new Set(rows.map((r) => Number(r.version)));
}

/**
 * SQLite: the write transaction (BEGIN IMMEDIATE) already excludes other writers. PostgreSQL: a
 * transaction-scoped advisory lock keyed by the schema, so catalogs in different schemas of one
 * database (as in the test suite) migrate in parallel, while two processes on one catalog take turns.
 */
async function lock(backend: Backend, trx: Db): Promise<void> {
  if (backend.dialect === 'postgres') {
    await sql`select pg_advisory_xact_lock(hashtext('fjord catalog migrations ' || current_schema()))`.execute(
      trx,
    );
  }
}

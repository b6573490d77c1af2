/**
 * The two places a catalog can live, behind one kysely instance: an SQLite file in the data
 * directory (the embedded default) or a PostgreSQL database (for installations that outgrow one
 * machine). Everything dialect-specific is here and in the migrations; the queries are shared.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect, sql, CompiledQuery } from 'kysely';
import type { CatalogDatabase } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export type CatalogLocation =
  | { dataDir: string }
  /** `schema`: a PostgreSQL schema to keep the catalog in (created if missing); default: the search path. */
  | { url: string; schema?: string };

export type Db = Kysely<CatalogDatabase>;

export interface Backend {
  readonly dialect: DialectName;
  readonly db: Db;
  /** Runs `fn` in a write transaction: all of it commits, or none of it. */
  write<T>(fn: (trx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export const SQLITE_FILE = 'catalog.sqlite';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export async function openBackend(location: CatalogLocation): Promise<Backend> {
  return 'dataDir' in location ? openSqlite(location.dataDir) : openPostgres(location.url, location.schema);
}

function openSqlite(dataDir: string): Backend {
  mkdirSync(dataDir, { recursive: true });
  // `timeout`: how long a writer waits for another process's write lock (fjord publish while fjord
  // serve is reading and writing statistics) before SQLITE_BUSY.
  const raw = new Database(join(dataDir, SQLITE_FILE), { timeout: 5000 });
  // WAL: readers (the tracker polling catalogVersion) never block the writer and vice versa.
  raw.pragma('journal_mode = WAL');
  // SQLite leaves foreign keys off unless asked, per connection.
  raw.pragma('foreign_keys = ON');
  const db = new Kysely<CatalogDatabase>({ dialect: new SqliteDialect({ database: raw }) });
  return {
    dialect: 'sqlite',
    db,
    write: (fn) =>
      // kysely's own transactions start with a deferred BEGIN, which takes the write lock only at the
      // first write; if another process wrote in between, SQLite fails at once with SQLITE_BUSY instead
      // of waiting. BEGIN IMMEDIATE takes the lock up front, where the busy timeout applies.
      db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        try {
          const result = await fn(conn);
          await sql`commit`.execute(conn);
          return result;
        } catch (err) {
          if (raw.inTransaction) await sql`rollback`.execute(conn);
          throw err;
        }
      }),
    close: () => db.destroy(),
  };
}

// PostgreSQL's BIGINT (oid 20) arrives as a string by default, because it can exceed 2^53. The catalog's
// BIGINTs are epoch milliseconds, byte sizes, ids and counts, all far below 2^53, so numbers are exact.
const INT8_OID = 20;
const parseInt8 = (value: string): number => Number(value);

async function openPostgres(url: string, schema: string | undefined): Promise<Backend> {
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`bad PostgreSQL schema name "${schema}": lower case letters, digits and _`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: 5,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection dropped by the server (restart, failover) is emitted here and already removed
  // from the pool; without a listener Node would crash the whole process. The next query opens a new
  // connection and reports any lasting problem itself.
  pool.on('error', () => undefined);
  const db = new Kysely<CatalogDatabase>({
    dialect: new PostgresDialect({
      pool,
      onCreateConnection: async (conn) => {
        if (schema !== undefined)
          await conn.executeQuery(CompiledQuery.raw(`set search_path to "${schema}"`));
      },
    }),
  });
  try {
    if (schema !== undefined) await createSchema(db, schema);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return {
    dialect: 'postgres',
    db,
    // READ COMMITTED is enough: every write transaction first bumps the one catalog_state row, which
    // serializes writers (see catalog.ts), and reads inside it see what earlier writers committed.
    write: (fn) => db.transaction().execute(fn),
    close: () => db.destroy(),
  };
}

async function createSchema(db: Db, schema: string): Promise<void> {
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch (err) {
    // Two processes creating the same schema at once: the loser gets a unique violation on the
    // catalog table pg_namespace even with IF NOT EXISTS. The schema exists either way.
    if (pgCode(err) !== '23505' && pgCode(err) !== '42P06') throw err;
  }
}

function pgCode(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/** The table and columns of a unique constraint a statement violated, on either backend, or null. */
export function uniqueViolation(err: unknown): { table: string; columns: string[] } | null {
  if (!(err instanceof Error) || !('code' in err)) return null;
  if (err.code === 'SQLITE_CONSTRAINT_UNIQUE' || err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // "UNIQUE constraint failed: episodes.series_id, episodes.season_number, episodes.episode_number"
    const m = /constraint failed: (.+)$/.exec(err.message);
    if (m === null) return null;
    const parts = m[1].split(',').map((s) => s.trim().split('.'));
    return { table: parts[0][0], columns: parts.map((p) => p[1]) };
  }
  if (err.code === '23505' && 'table' in err && 'detail' in err) {
    // detail: "Key (series_id, season_number, episode_number)=(1, 1, 2) already exists."
    const m = /^Key \(([^)]*)\)=/.exec(String(err.detail));
    if (m === null) return null;
    return { table: String(err.table), columns: m[1].split(',').map((s) => s.trim()) };
  }
  return null;
}

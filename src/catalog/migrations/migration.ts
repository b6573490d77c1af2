/**
 * What a schema migration is. Migrations are plain TypeScript objects, numbered, listed in order in
 * ./index.ts and compiled into fjord, so a released binary always carries exactly the schema it expects.
 * See docs/catalog.md, "Adding a migration".
 */
import type { QueryExecutorProvider, SchemaModule } from 'kysely';
import type { DialectName } from '../backend.js';

export interface MigrationContext {
  /** kysely's schema builder, bound to the migration's transaction. */
  schema: SchemaModule;
  /** For raw statements: sql`...`.execute(ctx.db). Bound to the migration's transaction. */
  db: QueryExecutorProvider;
  dialect: DialectName;
  /** Epoch milliseconds, for rows a migration seeds. */
  now: number;
}

export interface Migration {
  /** 1, 2, 3, …: applied in this order, each exactly once, recorded in catalog_migrations. */
  version: number;
  name: string;
  /**
   * Runs inside a transaction together with the row recording it: on both SQLite and PostgreSQL,
   * DDL is transactional, so a failing migration leaves the schema as it was. No down(): to undo a
   * release, add a new migration.
   */
  up(ctx: MigrationContext): Promise<void>;
}

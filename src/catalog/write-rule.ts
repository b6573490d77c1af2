/**
 * The catalog's write rule, in one place for every module that writes to the catalog's database
 * (the catalog itself, community subtitles, accounts, the publish-time backfills):
 *
 *   - `writeCatalog`: one transaction that first bumps the one catalog_state row's version. Other
 *     processes' catalog sync re-reads when it changes, and on PostgreSQL the row lock makes writers
 *     take turns.
 *   - `auditEvent`: appends one row to the audit log (the `events` table), details as JSON.
 */
import type { Kysely } from 'kysely';
import type { Backend, Db } from './backend.js';
import type { EventsTable } from './schema.js';

/** Runs `fn` in a write transaction that first bumps catalog_state.version. */
export function writeCatalog<T>(backend: Backend, fn: (trx: Db) => Promise<T>): Promise<T> {
  return backend.write(async (trx) => {
    await trx
      .updateTable('catalog_state')
      .set((eb) => ({ version: eb('version', '+', 1) }))
      .where('id', '=', 1)
      .execute();
    return fn(trx);
  });
}

/** One audit entry: who did what to which subject, when (epoch ms), with details kept as JSON. */
export interface AuditEntry {
  at: number;
  actor: string;
  action: string;
  subject: string;
  details: unknown;
}

/**
 * Appends `e` to the audit log (the `events` table) inside the caller's transaction. `trx` may be a
 * module's own view of the catalog database (`withTables`), as long as it has the `events` table.
 */
export async function auditEvent<DB extends { events: object }>(
  trx: Kysely<DB>,
  e: AuditEntry,
): Promise<void> {
  // Kysely's database type is invariant; only the events table is written here.
  await (trx as unknown as Kysely<{ events: EventsTable }>)
    .insertInto('events')
    .values({
      at: e.at,
      actor: e.actor,
      action: e.action,
      subject: e.subject,
      details: JSON.stringify(e.details),
    })
    .execute();
}

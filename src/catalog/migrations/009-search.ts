/**
 * Full-text search over series and episode titles and descriptions (issue 16), in each database's
 * own engine:
 *
 * - SQLite: an FTS5 table `catalog_search` (kind 's' or 'e', ref = the row's id, title,
 *   description; tokenizer unicode61 with diacritics folded), kept in step by triggers on `series`
 *   and `episodes`, filled from the rows there now.
 * - PostgreSQL: GIN indexes on to_tsvector('simple', title || ' ' || description) of both tables;
 *   the queries use the same expression. 'simple': titles mix Norwegian and English, so no stemming.
 *
 * Self-contained: no table of its own on PostgreSQL, one virtual table and its triggers on SQLite.
 */
import { sql } from 'kysely';
import type { Migration } from './migration.js';

export const search: Migration = {
  version: 9,
  name: 'search',
  async up({ db, dialect }) {
    if (dialect === 'postgres') {
      for (const table of ['series', 'episodes'])
        await sql`CREATE INDEX ${sql.raw(`${table}_search`)} ON ${sql.table(table)}
          USING gin (to_tsvector('simple', title || ' ' || coalesce(description, '')))`.execute(db);
      return;
    }
    await sql`CREATE VIRTUAL TABLE catalog_search USING fts5(
      kind UNINDEXED, ref UNINDEXED, title, description,
      tokenize = 'unicode61 remove_diacritics 2')`.execute(db);
    for (const [table, kind] of [
      ['series', 's'],
      ['episodes', 'e'],
    ] as const) {
      const t = sql.raw(table);
      const k = sql.lit(kind);
      await sql`INSERT INTO catalog_search (kind, ref, title, description)
        SELECT ${k}, id, title, coalesce(description, '') FROM ${t}`.execute(db);
      await sql`CREATE TRIGGER ${sql.raw(`${table}_search_insert`)} AFTER INSERT ON ${t} BEGIN
        INSERT INTO catalog_search (kind, ref, title, description)
          VALUES (${k}, new.id, new.title, coalesce(new.description, ''));
      END`.execute(db);
      await sql`CREATE TRIGGER ${sql.raw(`${table}_search_update`)} AFTER UPDATE OF title, description ON ${t} BEGIN
        UPDATE catalog_search SET title = new.title, description = coalesce(new.description, '')
          WHERE kind = ${k} AND ref = new.id;
      END`.execute(db);
      await sql`CREATE TRIGGER ${sql.raw(`${table}_search_delete`)} AFTER DELETE ON ${t} BEGIN
        DELETE FROM catalog_search WHERE kind = ${k} AND ref = old.id;
      END`.execute(db);
    }
  },
};

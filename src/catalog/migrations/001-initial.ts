/**
 * The first catalog schema: series, seasons, episodes with their rights, files and torrents, and the
 * audit log. Column meanings are in docs/catalog.md; the constraints below are the catalog's last line
 * of defence (the API validates first, with friendlier messages).
 */
import { sql, type ColumnDefinitionBuilder } from 'kysely';
import type { Migration } from './migration.js';

export const initial: Migration = {
  version: 1,
  name: 'initial',
  async up({ schema, db, dialect }) {
    // Surrogate keys: SQLite's INTEGER PRIMARY KEY is the rowid (AUTOINCREMENT: never reused after a
    // row is gone); PostgreSQL's identity column is the standard form. Both are 64-bit.
    const idType = dialect === 'sqlite' ? 'integer' : 'bigint';
    const id = (c: ColumnDefinitionBuilder) =>
      dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedByDefaultAsIdentity();

    await schema
      .createTable('series')
      .addColumn('id', idType, id)
      .addColumn('slug', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('series_slug_unique', ['slug'])
      .execute();

    await schema
      .createTable('seasons')
      .addColumn('series_id', 'bigint', (c) => c.notNull().references('series.id'))
      .addColumn('number', 'integer', (c) => c.notNull().check(sql`number > 0`))
      .addColumn('title', 'text')
      .addPrimaryKeyConstraint('seasons_pk', ['series_id', 'number'])
      .execute();

    await schema
      .createTable('episodes')
      .addColumn('id', idType, id)
      .addColumn('series_id', 'bigint', (c) => c.notNull())
      .addColumn('season_number', 'integer', (c) => c.notNull())
      .addColumn('episode_number', 'integer', (c) => c.notNull().check(sql`episode_number > 0`))
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('duration_seconds', 'integer', (c) => c.check(sql`duration_seconds >= 0`))
      .addColumn('published_at', 'bigint')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('withdrawn_at', 'bigint')
      .addForeignKeyConstraint('episodes_season_fk', ['series_id', 'season_number'], 'seasons', [
        'series_id',
        'number',
      ])
      .addUniqueConstraint('episodes_number_unique', ['series_id', 'season_number', 'episode_number'])
      .execute();
    // Feeds list the newest publications first.
    await schema.createIndex('episodes_published_at').on('episodes').column('published_at').execute();

    await schema
      .createTable('episode_rights')
      .addColumn('episode_id', 'bigint', (c) => c.primaryKey().references('episodes.id'))
      .addColumn('licence', 'text', (c) => c.notNull())
      .addColumn('cleared_worldwide', 'integer', (c) => c.notNull().check(sql`cleared_worldwide in (0, 1)`))
      .addColumn('available_from', 'bigint', (c) => c.notNull())
      .addColumn('available_until', 'bigint')
      .addCheckConstraint(
        'episode_rights_window',
        sql`available_until is null or available_until > available_from`,
      )
      .execute();
    // The rights calendar, nextRightsChange and catalogVersion search by window edges.
    await schema.createIndex('episode_rights_from').on('episode_rights').column('available_from').execute();
    await schema.createIndex('episode_rights_until').on('episode_rights').column('available_until').execute();

    await schema
      .createTable('rights_holders')
      .addColumn('episode_id', 'bigint', (c) => c.notNull().references('episodes.id'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('rights_holders_pk', ['episode_id', 'position'])
      .execute();

    await schema
      .createTable('media_files')
      .addColumn('id', idType, id)
      .addColumn('episode_id', 'bigint', (c) => c.notNull().references('episodes.id'))
      .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('video')`))
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('size_bytes', 'bigint', (c) => c.notNull().check(sql`size_bytes >= 0`))
      .addColumn('sha256', 'text')
      .addColumn('mime_type', 'text', (c) => c.notNull())
      // The web seed finds a file by its path; one file belongs to one episode.
      .addUniqueConstraint('media_files_path_unique', ['path'])
      .execute();
    await schema.createIndex('media_files_episode').on('media_files').column('episode_id').execute();

    await schema
      .createTable('torrents')
      .addColumn('id', idType, id)
      .addColumn('episode_id', 'bigint', (c) => c.notNull().references('episodes.id'))
      .addColumn('info_hash_v1', 'text')
      .addColumn('info_hash_v2', 'text')
      .addColumn('info_hash_v2_truncated', 'text')
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('size_bytes', 'bigint', (c) => c.notNull())
      .addColumn('piece_length', 'integer', (c) => c.notNull())
      .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('v1', 'v2', 'hybrid')`))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      // NULLs never collide in a unique constraint (both backends), so v1-only and v2-only torrents fit.
      .addUniqueConstraint('torrents_v1_unique', ['info_hash_v1'])
      .addUniqueConstraint('torrents_v2_unique', ['info_hash_v2'])
      .addUniqueConstraint('torrents_v2_truncated_unique', ['info_hash_v2_truncated'])
      .addCheckConstraint('torrents_has_hash', sql`info_hash_v1 is not null or info_hash_v2 is not null`)
      .execute();
    await schema.createIndex('torrents_episode').on('torrents').column('episode_id').execute();

    await schema
      .createTable('subtitle_files')
      .addColumn('id', idType, id)
      .addColumn('episode_id', 'bigint', (c) => c.notNull().references('episodes.id'))
      .addColumn('language', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('official', 'community')`))
      .addColumn('format', 'text', (c) => c.notNull().check(sql`format in ('srt', 'vtt')`))
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.check(sql`status in ('pending', 'approved', 'rejected')`))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await schema.createIndex('subtitle_files_episode').on('subtitle_files').column('episode_id').execute();

    await schema
      .createTable('events')
      .addColumn('id', idType, id)
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      // JSON as text on both backends, so the same code reads it back.
      .addColumn('details', 'text', (c) => c.notNull())
      .execute();
    await schema.createIndex('events_subject').on('events').columns(['subject', 'at']).execute();
    await schema.createIndex('events_at').on('events').column('at').execute();

    await schema
      .createTable('catalog_state')
      .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
      .addColumn('version', 'bigint', (c) => c.notNull())
      .execute();
    await sql`insert into catalog_state (id, version) values (1, 0)`.execute(db);
  },
};

/**
 * Community subtitles (issue 8): viewers submit translations, moderators approve or reject them.
 *
 * Each submission's two files (the WebVTT and SRT fjord writes from the upload) are ordinary
 * `subtitle_files` rows of kind 'community', whose `status` (pending, approved, rejected) is the one
 * the audience site already reads. What only moderation needs lives beside them:
 *
 *   subtitle_submissions   one row per accepted upload: who to credit, the licence accepted, the
 *                          submitter's address (for rate limits and bans), a hash of the status link's
 *                          token, the two subtitle_files rows, and the moderator's decision
 *   subtitle_bans          addresses whose submissions are refused
 *
 * The file paths are unique here (subtitle_files has no such constraint, and adding one to a table
 * that already holds rows could fail on an old catalog): a submission can never take another's file.
 * Kysely types: src/subtitles/schema.ts.
 */
import { sql, type ColumnDefinitionBuilder } from 'kysely';
import type { Migration } from './migration.js';

export const communitySubtitles: Migration = {
  version: 3,
  name: 'community-subtitles',
  async up({ schema, dialect }) {
    const idType = dialect === 'sqlite' ? 'integer' : 'bigint';
    const id = (c: ColumnDefinitionBuilder) =>
      dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedByDefaultAsIdentity();

    await schema
      .createTable('subtitle_submissions')
      .addColumn('id', idType, id)
      .addColumn('episode_id', 'bigint', (c) => c.notNull().references('episodes.id'))
      // BCP 47, canonical case (as subtitle_files.language).
      .addColumn('language', 'text', (c) => c.notNull())
      // The name to credit, as the submitter typed it (one line, at most 100 characters).
      .addColumn('credit', 'text', (c) => c.notNull())
      // The licence the submitter accepted (an SPDX id): the setting may change later, this does not.
      .addColumn('licence', 'text', (c) => c.notNull())
      // SHA-256 (hex) of the status link's token: a copy of the database holds no working links.
      .addColumn('token_hash', 'text', (c) => c.notNull())
      // The address as rate limits and bans see it (an IPv4 address, or an IPv6 /64).
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('source_format', 'text', (c) => c.notNull().check(sql`source_format in ('srt', 'vtt')`))
      .addColumn('cues', 'integer', (c) => c.notNull())
      .addColumn('size_bytes', 'integer', (c) => c.notNull())
      // SHA-256 of the uploaded bytes, so a moderator sees the same file submitted twice.
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('vtt_file_id', 'bigint', (c) => c.notNull().references('subtitle_files.id'))
      .addColumn('srt_file_id', 'bigint', (c) => c.notNull().references('subtitle_files.id'))
      .addColumn('vtt_path', 'text', (c) => c.notNull())
      .addColumn('srt_path', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('decided_at', 'bigint')
      .addColumn('decided_by', 'text')
      .addColumn('reason', 'text')
      .addUniqueConstraint('subtitle_submissions_token_unique', ['token_hash'])
      .addUniqueConstraint('subtitle_submissions_vtt_unique', ['vtt_path'])
      .addUniqueConstraint('subtitle_submissions_srt_unique', ['srt_path'])
      .execute();
    // The history of one language of one episode; the rate limit's count per address.
    await schema
      .createIndex('subtitle_submissions_episode')
      .on('subtitle_submissions')
      .columns(['episode_id', 'language'])
      .execute();
    await schema
      .createIndex('subtitle_submissions_address')
      .on('subtitle_submissions')
      .columns(['address', 'created_at'])
      .execute();
    // The moderation queue reads pending files by status.
    await schema.createIndex('subtitle_files_status').on('subtitle_files').column('status').execute();

    await schema
      .createTable('subtitle_bans')
      .addColumn('address', 'text', (c) => c.primaryKey())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('banned_by', 'text', (c) => c.notNull())
      .addColumn('banned_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

/**
 * The community subtitle tables (catalog migration 003) as kysely sees them, together with the
 * catalog's own tables they join (subtitle_files, episodes, events, catalog_state).
 */
import type { Generated, Kysely } from 'kysely';
import type { Db } from '../catalog/index.js';
import type { CatalogDatabase } from '../catalog/schema.js';

export interface SubmissionsTable {
  id: Generated<number>;
  episode_id: number;
  language: string;
  credit: string;
  licence: string;
  token_hash: string;
  address: string;
  source_format: string;
  cues: number;
  size_bytes: number;
  sha256: string;
  vtt_file_id: number;
  srt_file_id: number;
  vtt_path: string;
  srt_path: string;
  created_at: number;
  decided_at: number | null;
  decided_by: string | null;
  reason: string | null;
}

export interface BansTable {
  address: string;
  reason: string;
  banned_by: string;
  banned_at: number;
}

export type SubtitleTables = CatalogDatabase & {
  subtitle_submissions: SubmissionsTable;
  subtitle_bans: BansTable;
};

export type SubtitleDb = Kysely<SubtitleTables>;

export const subtitleDb = (db: Db): SubtitleDb =>
  db.withTables<Omit<SubtitleTables, keyof CatalogDatabase>>();

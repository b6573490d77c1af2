/**
 * The tables as kysely sees them, after all migrations. Both backends store the same values:
 * times as UTC epoch milliseconds (BIGINT), booleans as 0/1 integers, JSON as text. That keeps every
 * query identical on SQLite and PostgreSQL; the API turns them into Dates and booleans.
 */
import type { Generated } from 'kysely';

export interface SeriesTable {
  id: Generated<number>;
  slug: string;
  title: string;
  description: string | null;
  created_at: number;
  /** Artwork paths relative to the data directory, or null (migration 008). */
  poster_path: string | null;
  banner_path: string | null;
}

export interface SeasonsTable {
  series_id: number;
  number: number;
  title: string | null;
}

export interface EpisodesTable {
  id: Generated<number>;
  series_id: number;
  season_number: number;
  episode_number: number;
  title: string;
  description: string | null;
  duration_seconds: number | null;
  published_at: number | null;
  created_at: number;
  updated_at: number;
  withdrawn_at: number | null;
  /** The still image's path relative to the data directory, or null (migration 008). */
  still_path: string | null;
  /** 1: announced on its series page and feed while scheduled (migration 008). */
  announce: Generated<number>;
}

export interface EpisodeRightsTable {
  episode_id: number;
  licence: string;
  cleared_worldwide: number;
  available_from: number;
  available_until: number | null;
}

export interface RightsHoldersTable {
  episode_id: number;
  position: number;
  name: string;
}

export interface MediaFilesTable {
  id: Generated<number>;
  episode_id: number;
  role: string;
  path: string;
  size_bytes: number;
  sha256: string | null;
  mime_type: string;
  /** JSON {"video": [...], "audio": [...]} of ffprobe codec names, or null when not probed (migration 005). */
  codecs: string | null;
}

export interface TorrentsTable {
  id: Generated<number>;
  episode_id: number;
  info_hash_v1: string | null;
  info_hash_v2: string | null;
  /** First 40 hex digits of info_hash_v2: what v2 clients announce (BEP 52). Indexed for lookups. */
  info_hash_v2_truncated: string | null;
  /** Hybrid: the 40 hex digits aria2 announces (migration 006, src/protocol/metainfo.ts). */
  info_hash_aria2: string | null;
  /** Hybrid: the v1 hash of its v1 twin, for clients that cannot read BEP 52 (migration 007). */
  info_hash_v1_twin: string | null;
  path: string;
  size_bytes: number;
  piece_length: number;
  mode: string;
  created_at: number;
}

export interface SubtitleFilesTable {
  id: Generated<number>;
  episode_id: number;
  language: string;
  kind: string;
  format: string;
  path: string;
  status: string | null;
  created_at: number;
}

export interface EventsTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  subject: string;
  details: string;
}

/** One row (id = 1) whose counter every write transaction bumps: see `catalogVersion`. */
export interface CatalogStateTable {
  id: number;
  version: number;
}

export interface CatalogMigrationsTable {
  version: number;
  name: string;
  applied_at: number;
}

/** Rights holders (migration 010). */
export interface PartiesTable {
  id: Generated<number>;
  name: string;
  name_key: string;
  kind: string;
  contact: string | null;
  reporting_address: string | null;
  created_at: number;
}

export interface ContractsTable {
  id: Generated<number>;
  party_id: number;
  status: string;
  allows_download: number;
  allows_p2p: number;
  worldwide: number;
  valid_from: number;
  valid_until: number | null;
  compensation: string;
  amount_micros: number | null;
  currency: string | null;
  reference: string | null;
  created_at: number;
  updated_at: number;
}

export interface ContractCoverageTable {
  contract_id: number;
  position: number;
  series_id: number;
  season_number: number | null;
  episode_number: number | null;
  cue_number: number | null;
}

export interface MusicCuesTable {
  episode_id: number;
  number: number;
  title: string;
  composer: string | null;
  performer: string | null;
  publisher: string | null;
  duration_seconds: number;
  use: string;
  party_id: number | null;
  licence: string | null;
  library: string | null;
}

export interface RightsStatementsTable {
  id: Generated<number>;
  party_id: number;
  month: string;
  time_zone: string;
  body: string;
  corrects: number | null;
  issued_at: number;
  issued_by: string;
}

export interface CatalogDatabase {
  series: SeriesTable;
  seasons: SeasonsTable;
  episodes: EpisodesTable;
  episode_rights: EpisodeRightsTable;
  rights_holders: RightsHoldersTable;
  media_files: MediaFilesTable;
  torrents: TorrentsTable;
  subtitle_files: SubtitleFilesTable;
  events: EventsTable;
  catalog_state: CatalogStateTable;
  catalog_migrations: CatalogMigrationsTable;
  parties: PartiesTable;
  contracts: ContractsTable;
  contract_coverage: ContractCoverageTable;
  music_cues: MusicCuesTable;
  rights_statements: RightsStatementsTable;
}

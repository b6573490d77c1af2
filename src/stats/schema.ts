/**
 * The statistics tables (catalog migration 002) as kysely sees them. Buckets are UTC epoch ms of the
 * minute or hour a row covers; every count is a number (BIGINT parsed to a number on PostgreSQL).
 */
import type { Db } from '../catalog/index.js';
import type { Kysely } from 'kysely';

export type SwarmRow = {
  bucket: number;
  /** The catalog's torrents.id; 0 = every torrent the tracker saw. */
  torrent_id: number;
  samples: number;
  seeders_sum: number;
  leechers_sum: number;
  peers_max: number;
  peers_max_at: number;
  completions: number;
  announces_udp4: number;
  announces_udp6: number;
  announces_http4: number;
  announces_http6: number;
  announces_ws4: number;
  announces_ws6: number;
  partial_bytes: number;
};

export type ClientRow = {
  bucket: number;
  client: string;
  /** Announces by this client, estimated from the sample (samples x the sampling stride). */
  announces: number;
  samples: number;
};

export type WebSeedRow = {
  bucket: number;
  /** The file's catalog path (media/<series>/<name>/<file>). */
  path: string;
  bytes: number;
};

export type StatsTables = {
  stats_swarm_minute: SwarmRow;
  stats_swarm_hour: SwarmRow;
  stats_client_minute: ClientRow;
  stats_client_hour: ClientRow;
  stats_webseed_minute: WebSeedRow;
  stats_webseed_hour: WebSeedRow;
};

export type StatsDb = Kysely<StatsTables>;

export const statsDb = (db: Db): StatsDb => db.withTables<StatsTables>() as unknown as StatsDb;

export const TOTAL = 0;
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export const SWARM_COUNTERS = [
  'completions',
  'announces_udp4',
  'announces_udp6',
  'announces_http4',
  'announces_http6',
  'announces_ws4',
  'announces_ws6',
  'partial_bytes',
] as const;

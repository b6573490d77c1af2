/**
 * The account tables (catalog migrations 002 and 004) as kysely sees them. `auth_throttle` is no
 * longer written: login throttling lives in memory (login-throttle.ts).
 */
import type { Kysely } from 'kysely';
import type { Db } from '../catalog/index.js';

export type UserRow = {
  id: number;
  name: string;
  role: string;
  password_hash: string;
  must_change_password: number;
  created_at: number;
  updated_at: number;
  /** A rights-holder's party (migration 007); null for every other role. */
  party_id: number | null;
};

export type SessionRow = {
  id_hash: string;
  user_id: number;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  address: string | null;
};

export type ThrottleRow = {
  key: string;
  failures: number;
  last_failure_at: number;
  locked_until: number | null;
};

export type KnownAddressRow = {
  user_id: number;
  address: string;
  first_at: number;
  last_at: number;
};

export type AuthTables = {
  users: UserRow;
  sessions: SessionRow;
  auth_throttle: ThrottleRow;
  auth_known_addresses: KnownAddressRow;
  events: { id?: number; at: number; actor: string; action: string; subject: string; details: string };
};

export type AuthDb = Kysely<AuthTables>;

export const authDb = (db: Db): AuthDb => db.withTables<AuthTables>() as unknown as AuthDb;

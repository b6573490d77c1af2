/**
 * Rights as contracts (issue 14): the parties with a say over an episode, their contracts, and the
 * music cue sheets. The decision itself is src/catalog/clearance.ts; the store is
 * src/catalog/contracts.ts.
 *
 *   parties             rights holders: a label or music publisher, performers, a production
 *                       company, a format owner, an archive, the broadcaster itself
 *   contracts           one party's clearance: status, what it allows, its window [from, until),
 *                       its compensation terms, the paper contract's reference
 *   contract_coverage   what a contract covers: a series, a season, an episode or one music cue
 *   music_cues          an episode's cue sheet, each cue covered by a contract or a licence
 *   rights_statements   issued monthly statements, kept exactly as issued
 *   users               gains the role `rights-holder` and `party_id`, the party such a
 *                       dashboard account speaks for (the role's CHECK is widened; on SQLite by
 *                       rebuilding users and the tables referencing it, every row kept)
 *
 * Old catalogues keep working unchanged: episode_rights (`--cleared`, `--available-from/--until`)
 * stays, and is read as the broadcaster's own clearance. Seeded here: the broadcaster's party row,
 * so contracts the broadcaster signs itself (an archive clearance) have a party to belong to.
 */
import { sql, type ColumnDefinitionBuilder, type QueryExecutorProvider } from 'kysely';
import type { DialectName } from '../backend.js';
import type { Migration } from './migration.js';

export const rightsContracts: Migration = {
  version: 10,
  name: 'rights-contracts',
  async up({ schema, db, dialect, now }) {
    const idType = dialect === 'sqlite' ? 'integer' : 'bigint';
    const id = (c: ColumnDefinitionBuilder) =>
      dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedByDefaultAsIdentity();

    await schema
      .createTable('parties')
      .addColumn('id', idType, id)
      .addColumn('name', 'text', (c) => c.notNull())
      // Lower-cased name: one party per name whatever its case.
      .addColumn('name_key', 'text', (c) => c.notNull().unique())
      .addColumn('kind', 'text', (c) =>
        c
          .notNull()
          .check(
            sql`kind in ('music', 'performers', 'production-company', 'format-owner', 'archive', 'broadcaster')`,
          ),
      )
      .addColumn('contact', 'text')
      .addColumn('reporting_address', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await schema
      .createTable('contracts')
      .addColumn('id', idType, id)
      .addColumn('party_id', 'bigint', (c) => c.notNull().references('parties.id'))
      .addColumn('status', 'text', (c) =>
        c.notNull().check(sql`status in ('negotiating', 'signed', 'refused', 'expired')`),
      )
      // What it allows (0/1): online download, peer-to-peer, worldwide (a swarm cannot be fenced).
      .addColumn('allows_download', 'integer', (c) => c.notNull())
      .addColumn('allows_p2p', 'integer', (c) => c.notNull())
      .addColumn('worldwide', 'integer', (c) => c.notNull())
      .addColumn('valid_from', 'bigint', (c) => c.notNull())
      .addColumn('valid_until', 'bigint')
      .addColumn('compensation', 'text', (c) =>
        c.notNull().check(sql`compensation in ('none', 'flat-fee', 'per-download', 'per-play')`),
      )
      // Amounts in millionths of the currency unit: exact sums for fractions of a cent per download.
      .addColumn('amount_micros', 'bigint')
      .addColumn('currency', 'text')
      .addColumn('reference', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await schema.createIndex('contracts_party').on('contracts').column('party_id').execute();
    // catalogVersion and nextRightsChange search contract edges, as they do episode windows.
    await schema.createIndex('contracts_from').on('contracts').column('valid_from').execute();
    await schema.createIndex('contracts_until').on('contracts').column('valid_until').execute();

    await schema
      .createTable('contract_coverage')
      .addColumn('contract_id', 'bigint', (c) => c.notNull().references('contracts.id'))
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('series_id', 'bigint', (c) => c.notNull().references('series.id'))
      // Null: the whole series (season), the whole season (episode), the whole episode (cue).
      .addColumn('season_number', 'integer')
      .addColumn('episode_number', 'integer')
      .addColumn('cue_number', 'integer')
      .addPrimaryKeyConstraint('contract_coverage_pk', ['contract_id', 'position'])
      .execute();
    await schema
      .createIndex('contract_coverage_series')
      .on('contract_coverage')
      .column('series_id')
      .execute();

    await schema
      .createTable('music_cues')
      .addColumn('episode_id', 'bigint', (c) => c.notNull().references('episodes.id'))
      .addColumn('number', 'integer', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('composer', 'text')
      .addColumn('performer', 'text')
      .addColumn('publisher', 'text')
      .addColumn('duration_seconds', 'integer', (c) => c.notNull())
      .addColumn('use', 'text', (c) => c.notNull())
      // The party whose contract covers it (its publisher or label), when it is one of ours.
      .addColumn('party_id', 'bigint', (c) => c.references('parties.id'))
      // A licence that covers it without a contract: an SPDX id (CC-BY-4.0) ...
      .addColumn('licence', 'text')
      // ... or a music library's licence, by the library's name (Magnatune).
      .addColumn('library', 'text')
      .addPrimaryKeyConstraint('music_cues_pk', ['episode_id', 'number'])
      .execute();

    await schema
      .createTable('rights_statements')
      .addColumn('id', idType, id)
      .addColumn('party_id', 'bigint', (c) => c.notNull().references('parties.id'))
      // YYYY-MM, in the configured time zone.
      .addColumn('month', 'text', (c) => c.notNull())
      .addColumn('time_zone', 'text', (c) => c.notNull())
      // The report as issued, JSON: figures never recomputed once issued.
      .addColumn('body', 'text', (c) => c.notNull())
      // The statement this one corrects, if any.
      .addColumn('corrects', 'bigint', (c) => c.references('rights_statements.id'))
      .addColumn('issued_at', 'bigint', (c) => c.notNull())
      .addColumn('issued_by', 'text', (c) => c.notNull())
      .execute();
    await schema
      .createIndex('rights_statements_party')
      .on('rights_statements')
      .columns(['party_id', 'month'])
      .execute();

    await widenUsers(db, dialect);

    await sql`insert into parties (name, name_key, kind, contact, reporting_address, created_at)
      values ('Broadcaster', 'broadcaster', 'broadcaster', null, null, ${now})`.execute(db);
  },
};

const ROLES = sql`role in ('admin', 'editor', 'moderator', 'rights-holder')`;

async function widenUsers(db: QueryExecutorProvider, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') {
    await sql`alter table users drop constraint users_role_check`.execute(db);
    await sql`alter table users add constraint users_role_check check (${ROLES})`.execute(db);
    await sql`alter table users add column party_id bigint references parties (id)`.execute(db);
    return;
  }
  // SQLite cannot change a CHECK in place, and with foreign keys on (as fjord runs) renaming a
  // table rewrites its children's references while dropping it cascades into them. So the users
  // table and the two tables that reference it (sessions, auth_known_addresses: migrations 002
  // and 004) are copied under new names, the old ones dropped children first, and the copies
  // renamed into place: every row, session and known address is kept.
  await sql`create table users_new (
      id integer primary key autoincrement,
      name text not null,
      role text not null check (${ROLES}),
      password_hash text not null,
      must_change_password integer not null check (must_change_password in (0, 1)),
      created_at bigint not null,
      updated_at bigint not null,
      party_id bigint references parties (id),
      constraint users_name_unique unique (name)
    )`.execute(db);
  await sql`insert into users_new (id, name, role, password_hash, must_change_password, created_at, updated_at)
      select id, name, role, password_hash, must_change_password, created_at, updated_at from users`.execute(
    db,
  );
  await sql`create table sessions_new (
      id_hash text primary key,
      user_id bigint not null references users_new (id) on delete cascade,
      csrf_token text not null,
      created_at bigint not null,
      expires_at bigint not null,
      address text
    )`.execute(db);
  await sql`insert into sessions_new select id_hash, user_id, csrf_token, created_at, expires_at, address from sessions`.execute(
    db,
  );
  await sql`create table auth_known_addresses_new (
      user_id bigint not null references users_new (id) on delete cascade,
      address text not null,
      first_at bigint not null,
      last_at bigint not null,
      constraint auth_known_addresses_pk primary key (user_id, address)
    )`.execute(db);
  await sql`insert into auth_known_addresses_new select user_id, address, first_at, last_at from auth_known_addresses`.execute(
    db,
  );
  await sql`drop table sessions`.execute(db);
  await sql`drop table auth_known_addresses`.execute(db);
  await sql`drop table users`.execute(db);
  await sql`alter table users_new rename to users`.execute(db);
  await sql`alter table sessions_new rename to sessions`.execute(db);
  await sql`alter table auth_known_addresses_new rename to auth_known_addresses`.execute(db);
  await sql`create index sessions_user on sessions (user_id)`.execute(db);
  await sql`create index sessions_expires on sessions (expires_at)`.execute(db);
}

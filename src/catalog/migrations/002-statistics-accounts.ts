/**
 * Statistics (minute and hour rows, see docs/statistics.md) and dashboard accounts (users, sessions,
 * login throttling). Their kysely types live with their code: src/stats/schema.ts, src/auth/schema.ts.
 *
 * Statistics rows are keyed by their bucket (UTC epoch ms of the minute or hour they start) and what
 * they count; the roll-up replaces an hour's rows whole, so the primary keys make it idempotent.
 */
import { sql, type ColumnDefinitionBuilder } from 'kysely';
import type { Migration } from './migration.js';

export const statisticsAccounts: Migration = {
  version: 2,
  name: 'statistics-accounts',
  async up({ schema, dialect }) {
    const idType = dialect === 'sqlite' ? 'integer' : 'bigint';
    const id = (c: ColumnDefinitionBuilder) =>
      dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedByDefaultAsIdentity();
    const counter = (c: ColumnDefinitionBuilder) => c.notNull().defaultTo(0);

    // Per torrent (the catalog's torrents.id; 0 = every torrent the tracker saw, catalog or not).
    for (const grain of ['minute', 'hour']) {
      const table = `stats_swarm_${grain}`;
      await schema
        .createTable(table)
        .addColumn('bucket', 'bigint', (c) => c.notNull())
        .addColumn('torrent_id', 'bigint', (c) => c.notNull())
        // Minute samples summed into the row (1 for a minute row): averages are sum / samples.
        .addColumn('samples', 'integer', counter)
        .addColumn('seeders_sum', 'bigint', counter)
        .addColumn('leechers_sum', 'bigint', counter)
        .addColumn('peers_max', 'integer', counter)
        .addColumn('peers_max_at', 'bigint', (c) => c.notNull())
        .addColumn('completions', 'bigint', counter)
        .addColumn('announces_udp4', 'bigint', counter)
        .addColumn('announces_udp6', 'bigint', counter)
        .addColumn('announces_http4', 'bigint', counter)
        .addColumn('announces_http6', 'bigint', counter)
        .addColumn('announces_ws4', 'bigint', counter)
        .addColumn('announces_ws6', 'bigint', counter)
        .addColumn('partial_bytes', 'bigint', counter)
        .addPrimaryKeyConstraint(`${table}_pk`, ['bucket', 'torrent_id'])
        .execute();
      await schema.createIndex(`${table}_torrent`).on(table).columns(['torrent_id', 'bucket']).execute();

      await schema
        .createTable(`stats_client_${grain}`)
        .addColumn('bucket', 'bigint', (c) => c.notNull())
        .addColumn('client', 'text', (c) => c.notNull())
        .addColumn('announces', 'bigint', counter)
        .addColumn('samples', 'bigint', counter)
        .addPrimaryKeyConstraint(`stats_client_${grain}_pk`, ['bucket', 'client'])
        .execute();

      await schema
        .createTable(`stats_webseed_${grain}`)
        .addColumn('bucket', 'bigint', (c) => c.notNull())
        .addColumn('path', 'text', (c) => c.notNull())
        .addColumn('bytes', 'bigint', counter)
        .addPrimaryKeyConstraint(`stats_webseed_${grain}_pk`, ['bucket', 'path'])
        .execute();
      await schema
        .createIndex(`stats_webseed_${grain}_path`)
        .on(`stats_webseed_${grain}`)
        .columns(['path', 'bucket'])
        .execute();
    }

    await schema
      .createTable('users')
      .addColumn('id', idType, id)
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'editor', 'moderator')`))
      // "scrypt$N$r$p$salt$hash" (base64url parts): the parameters travel with the hash.
      .addColumn('password_hash', 'text', (c) => c.notNull())
      // Set for the one-time password `fjord user add` / `user passwd` prints: change it before anything else.
      .addColumn('must_change_password', 'integer', (c) =>
        c.notNull().check(sql`must_change_password in (0, 1)`),
      )
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('users_name_unique', ['name'])
      .execute();

    await schema
      .createTable('sessions')
      // SHA-256 of the session id: a copy of the database does not hold usable cookies.
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('address', 'text')
      .execute();
    await schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
    await schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();

    // Failed logins per account ("user:NAME") and per address ("addr:IP").
    await schema
      .createTable('auth_throttle')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('failures', 'integer', (c) => c.notNull())
      .addColumn('last_failure_at', 'bigint', (c) => c.notNull())
      .addColumn('locked_until', 'bigint')
      .execute();
  },
};

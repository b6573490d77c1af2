/**
 * Addresses each dashboard account has logged in from (issue 19, item 4). A login from one of them is
 * not held back by other addresses' failed guesses at that account (src/auth/login-throttle.ts), so an
 * attacker cannot lock an admin out of the office or home connection they use. The address is the
 * throttle's key (an IPv4 address, or an IPv6 /64); the newest few per account are kept (accounts.ts).
 * Kysely types: src/auth/schema.ts.
 */
import type { Migration } from './migration.js';

export const loginAddresses: Migration = {
  version: 4,
  name: 'login-addresses',
  async up({ schema }) {
    await schema
      .createTable('auth_known_addresses')
      .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('first_at', 'bigint', (c) => c.notNull())
      .addColumn('last_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('auth_known_addresses_pk', ['user_id', 'address'])
      .execute();
  },
};

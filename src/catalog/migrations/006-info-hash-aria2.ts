/**
 * The aria2 alias of hybrid torrents (issue 17, item 1): the 40 hex digits aria2 announces for a
 * hybrid torrent instead of its v1 hash, because it hashes the info dictionary with every empty-string
 * key removed (src/protocol/metainfo.ts, aria2InfoHash). The tracker allows it and statistics count
 * it as the torrent's third swarm. Null for v1 and v2 torrents.
 *
 * Existing rows are not filled in here: the hash needs the .torrent file, which a migration cannot
 * read (a PostgreSQL catalog may be far from the data directory). `fjord serve` fills them in at
 * start from DATA/<torrent path> and logs what it did (src/publish/aria2-alias.ts).
 */
import type { Migration } from './migration.js';

export const infoHashAria2: Migration = {
  version: 6,
  name: 'info-hash-aria2',
  async up({ schema }) {
    await schema.alterTable('torrents').addColumn('info_hash_aria2', 'text').execute();
    // Unique like the other names: one swarm belongs to one torrent. NULLs do not collide.
    await schema
      .createIndex('torrents_aria2_unique')
      .unique()
      .on('torrents')
      .column('info_hash_aria2')
      .execute();
  },
};

/**
 * The v1 twin of hybrid torrents (issue 17, item 1): the v1 info hash of the v1-only torrent derived
 * from a hybrid one by dropping its v2 part (src/protocol/metainfo.ts, v1Twin). Transmission 3.00
 * cannot parse any BEP 52 torrent (it refuses the empty-string keys of the file tree), so the site
 * offers it the twin, and the tracker allows and statistics count the twin's swarm as the torrent's.
 * Null for v1 and v2 torrents.
 *
 * Existing rows are not filled in here: the hash needs the .torrent file, which a migration cannot
 * read (a PostgreSQL catalog may be far from the data directory). `fjord serve` fills them in at
 * start from DATA/<torrent path> and logs what it did (src/publish/derived-hashes.ts).
 */
import type { Migration } from './migration.js';

export const infoHashV1Twin: Migration = {
  version: 7,
  name: 'info-hash-v1-twin',
  async up({ schema }) {
    await schema.alterTable('torrents').addColumn('info_hash_v1_twin', 'text').execute();
    // Unique like the other names: one swarm belongs to one torrent. NULLs do not collide.
    await schema
      .createIndex('torrents_v1_twin_unique')
      .unique()
      .on('torrents')
      .column('info_hash_v1_twin')
      .execute();
  },
};

/**
 * Artwork and announcements (issue 16): a series' poster (2:3) and wide banner (16:9 or wider), an
 * episode's still image (made from its video at publication, replaceable by an editor), and whether
 * an episode scheduled for later is announced on its series page and feed before its window opens.
 *
 * The image columns hold paths relative to the data directory (`artwork/<name fjord made>.<ext>`),
 * null when there is none. `announce` is 0/1; 0 (the default) keeps a scheduled episode unseen until
 * its window opens, as before this migration. Self-contained: nullable columns and one default.
 */
import type { Migration } from './migration.js';

export const artwork: Migration = {
  version: 8,
  name: 'artwork',
  async up({ schema }) {
    await schema.alterTable('series').addColumn('poster_path', 'text').execute();
    await schema.alterTable('series').addColumn('banner_path', 'text').execute();
    await schema.alterTable('episodes').addColumn('still_path', 'text').execute();
    await schema
      .alterTable('episodes')
      .addColumn('announce', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};

/**
 * The codecs ffprobe found in an episode's media (issue 17): `media_files.codecs`, JSON text
 * `{"video":["h264"],"audio":["aac"]}`, or NULL for media published before this migration or with
 * `--no-probe`. The site reads it to tell whether a browser can play the file or should be offered
 * the download. Self-contained: one nullable column, so old rows need no backfill.
 */
import type { Migration } from './migration.js';

export const mediaCodecs: Migration = {
  version: 5,
  name: 'media-codecs',
  async up({ schema }) {
    await schema.alterTable('media_files').addColumn('codecs', 'text').execute();
  },
};

/**
 * Every catalog migration, in order. To change the schema, add a file `NNN-what.ts` exporting a
 * `Migration` with the next version number and append it here; never edit one that has shipped.
 */
import { initial } from './001-initial.js';
import { statisticsAccounts } from './002-statistics-accounts.js';
import { communitySubtitles } from './003-community-subtitles.js';
import { loginAddresses } from './004-login-addresses.js';
import { mediaCodecs } from './005-media-codecs.js';
import { infoHashAria2 } from './006-info-hash-aria2.js';
import { infoHashV1Twin } from './007-info-hash-v1-twin.js';
import { artwork } from './008-artwork.js';
import { search } from './009-search.js';
import { rightsContracts } from './010-rights-contracts.js';
import type { Migration } from './migration.js';

export type { Migration, MigrationContext } from './migration.js';

export const migrations: readonly Migration[] = [
  initial,
  statisticsAccounts,
  communitySubtitles,
  loginAddresses,
  mediaCodecs,
  infoHashAria2,
  infoHashV1Twin,
  artwork,
  search,
  rightsContracts,
];

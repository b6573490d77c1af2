/**
 * The catalog's public surface: open one, and the types and rules it speaks in.
 */
export { openCatalog, type Catalog, type OpenCatalogOptions } from './catalog.js';
export { CatalogError, isCatalogUnavailable, type CatalogErrorCode } from './errors.js';
export { auditEvent, writeCatalog, type AuditEntry } from './write-rule.js';
export { SQLITE_FILE, type Backend, type CatalogLocation, type Db } from './backend.js';
export { catalogLocation } from './location.js';
export { slugify } from './slug.js';
export { truncateV2 } from './info-hash.js';
export {
  isDistributable,
  isWithdrawn,
  nextChange,
  nextRightsChange,
  firstVisibleAt,
  wasWithdrawnOrExpired,
} from './rights-window.js';
export type { Migration, MigrationContext } from './migrations/index.js';
export type * from './types.js';
export {
  episodeActions,
  episodeState,
  neverDistributed,
  type EpisodeActions,
  type EpisodeState,
} from './episode-state.js';
export {
  ContractStore,
  coverageLabel,
  episodeLabel,
  type Contract,
  type ContractCalendarEntry,
  type ContractInput,
  type CoverageInput,
  type CueInput,
  type MusicCue,
  type Party,
  type PartyInput,
} from './contracts.js';
export {
  COMPENSATIONS,
  CONTRACT_STATUSES,
  KIND_LABEL,
  PARTY_KINDS,
  effectiveSpans,
  licenceAllows,
  type Compensation,
  type ContractStatus,
  type Explanation,
  type PartyKind,
} from './clearance.js';

/**
 * Every refusal the catalog gives has a stable code (for the CLI's exit status, the admin pages
 * and tests) and a one-line message naming the problem (for people).
 */
export type CatalogErrorCode =
  | 'duplicate-episode'
  | 'duplicate-info-hash'
  | 'duplicate-file'
  | 'invalid-number'
  | 'invalid-window'
  | 'invalid-language'
  | 'invalid-slug'
  | 'invalid-info-hash'
  | 'invalid-path'
  | 'invalid-input'
  | 'not-found'
  | 'distributed'
  | 'schema-too-new';

export class CatalogError extends Error {
  override readonly name = 'CatalogError';

  constructor(
    readonly code: CatalogErrorCode,
    message: string,
  ) {
    // One line: the CLI prints it as is after "fjord: ".
    super(message.replace(/\s*\n\s*/g, ' '));
  }
}

const UNAVAILABLE_CODES = new Set([
  // the database server cannot be reached (node:net)
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // PostgreSQL: shutting down, crashed, starting up, too many connections
  '57P01',
  '57P02',
  '57P03',
  '53300',
  // SQLite: locked by another writer for longer than the busy timeout; the disk is full
  'SQLITE_BUSY',
  'SQLITE_FULL',
]);

/**
 * Whether an error means the catalog's database is unavailable for now (stopped, restarting,
 * unreachable, full) rather than that the request was wrong: the web answers 503, not 500.
 */
export function isCatalogUnavailable(err: unknown): boolean {
  if (err instanceof AggregateError) return err.errors.some(isCatalogUnavailable);
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || /^08/.test(code))) return true;
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    err.message,
  );
}

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

/**
 * Subtitle languages are BCP 47 tags. The catalog already has the check (via Intl.getCanonicalLocales),
 * so this reuses it rather than keeping a second copy that could drift.
 */
// Exempt from the import boundary until issue 12's composition-root part moves the language check
// below both (protocol/subtitles stops importing the catalog there).
/* eslint-disable no-restricted-imports */
import { CatalogError } from '../../catalog/errors.js';
import { checkLanguage } from '../../catalog/validate.js';
/* eslint-enable no-restricted-imports */

/** The canonical form of a BCP 47 tag ("nb-no" → "nb-NO"), or null if it is not one. */
export function isValidLanguageTag(tag: string): string | null {
  try {
    return checkLanguage(tag);
  } catch (e) {
    if (e instanceof CatalogError) return null;
    throw e;
  }
}

export { checkLanguage };

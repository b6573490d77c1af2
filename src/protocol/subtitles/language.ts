/**
 * Subtitle languages are BCP 47 tags, checked against the IANA registry by the same code the
 * catalog uses (../language-tag.ts), so the two checks cannot drift apart.
 */
import { checkLanguageTag } from '../language-tag.js';

/** The canonical form of a registered BCP 47 tag ("nb-no" → "nb-NO"), or null if it is not one. */
export function isValidLanguageTag(tag: string): string | null {
  const c = checkLanguageTag(tag);
  return c.ok ? c.tag : null;
}

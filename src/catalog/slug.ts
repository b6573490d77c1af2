/**
 * Series slugs appear in URLs and feed paths, so they are plain ASCII: lower case letters, digits and
 * single hyphens. Norwegian letters fold the way Norwegian URLs usually spell them (æ → ae, ø → o,
 * å → a), so "Der ingen skulle tru at nokon kunne bu" and "Skjærgårdsliv" read naturally.
 */
import { CatalogError } from './errors.js';

/**
 * Letters that Unicode does not decompose into an ASCII base letter plus marks, so NFKD alone would
 * drop them. Keys are lower case: the title is lower-cased first.
 */
const FOLD: Record<string, string> = {
  æ: 'ae',
  ø: 'o',
  å: 'a', // decomposes too, but listed so the Norwegian trio is visibly handled together
  œ: 'oe',
  ß: 'ss',
  þ: 'th',
  ð: 'd',
  đ: 'd',
  ł: 'l',
  ı: 'i',
};

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_LENGTH = 100;

export function slugify(title: string): string {
  const folded = [...title.toLowerCase()].map((ch) => FOLD[ch] ?? ch).join('');
  const slug = folded
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // combining marks left by NFKD: é → e, ü → u
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_LENGTH)
    .replace(/-+$/, '');
  if (slug === '') {
    throw new CatalogError('invalid-slug', `cannot derive a slug from the title "${title}": give one`);
  }
  return slug;
}

export function checkSlug(slug: string): string {
  if (!SLUG.test(slug) || slug.length > MAX_LENGTH) {
    throw new CatalogError(
      'invalid-slug',
      `bad slug "${slug}": use lower case ASCII letters, digits and single hyphens (at most ${MAX_LENGTH})`,
    );
  }
  return slug;
}

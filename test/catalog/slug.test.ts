import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CatalogError, slugify } from '../../src/catalog/index.js';
import { checkSlug } from '../../src/catalog/slug.js';

test('slugify folds Norwegian and other letters to ASCII words joined by hyphens', () => {
  assert.equal(slugify('Der ingen skulle tru at nokon kunne bu'), 'der-ingen-skulle-tru-at-nokon-kunne-bu');
  assert.equal(slugify('Skjærgårdsliv'), 'skjaergardsliv');
  assert.equal(slugify('ØYA I ÅFJORD – DEL 2'), 'oya-i-afjord-del-2');
  assert.equal(slugify('Blåfjell: Æresord!'), 'blafjell-aeresord');
  assert.equal(slugify('Sámi dálkkádat: Čáhci'), 'sami-dalkkadat-cahci');
  assert.equal(slugify('Straße & Smørbrød'), 'strasse-smorbrod');
  assert.equal(slugify('  --Nytt  år-- '), 'nytt-ar');
  assert.throws(
    () => slugify('!!! ???'),
    (e) => e instanceof CatalogError && e.code === 'invalid-slug',
  );
});

test('property: a slug is always valid, and slugify is idempotent on it', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (title) => {
      let slug: string;
      try {
        slug = slugify(title);
      } catch (e) {
        assert.ok(e instanceof CatalogError && e.code === 'invalid-slug');
        return;
      }
      assert.equal(checkSlug(slug), slug);
      assert.equal(slugify(slug), slug);
    }),
    { numRuns: 1000 },
  );
});

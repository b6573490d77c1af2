/**
 * Language tags (BCP 47, RFC 5646) checked against the IANA language subtag registry through the
 * `language-tags` package (which carries the registry as `language-subtag-registry`), not a hand
 * list: "norsk" and "xx" are well-formed but registered as nothing, so they are refused, with the
 * tag the user probably meant ("norsk" is Norwegian's own name for itself: no, nb or nn).
 *
 * Names come from two places: the registry's English descriptions ("Norwegian Bokmål") and the
 * platform's CLDR data via Intl.DisplayNames, which knows each language's name for itself ("norsk
 * bokmål", "davvisámegiella"). Building the name index costs a few milliseconds, only on a refusal.
 */
import tags from 'language-tags';
import { closest } from './suggest.js';

export type LanguageCheck = { ok: true; tag: string } | { ok: false; reason: string; suggestions: string[] };

/** The canonical form of a registered tag ("nb-no" → "nb-NO"), or why not and what was meant. */
export function checkLanguageTag(input: string): LanguageCheck {
  const raw = typeof input === 'string' ? input.trim() : '';
  if (raw === '') return { ok: false, reason: 'empty', suggestions: [] };
  const canonical = registered(raw);
  if (canonical !== null) return { ok: true, tag: canonical };
  return { ok: false, reason: whyNot(raw), suggestions: suggestLanguages(raw) };
}

/** A registered, well-formed tag in canonical case, or null. */
function registered(tag: string): string | null {
  if (!/^[A-Za-z0-9-]{1,35}$/.test(tag)) return null;
  const t = tags(tag);
  // Grandfathered and private-use-only tags ("i-klingon", "x-foo") are valid BCP 47 that no player
  // understands; Intl refuses them, so they stay refused as before.
  if (!t.valid() || t.language() === undefined) return null;
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? null;
  } catch {
    return null;
  }
}

function whyNot(tag: string): string {
  if (!/^[A-Za-z0-9-]{1,35}$/.test(tag)) return 'not a language tag (letters, digits and "-" only)';
  const errors = tags(tag).errors();
  const first = errors[0];
  if (first === undefined) return 'not a language tag players understand';
  // The library's messages name the subtag: "Unknown code 'xx'", "The subtag 'iw' is deprecated."
  return `${first.message.replace(/\.$/, '')} (IANA language subtag registry)`;
}

/** Likely meant tags for a refused one: a fixed separator, a replacement for a deprecated code, a name. */
export function suggestLanguages(input: string, limit = 3): string[] {
  const out: string[] = [];
  const add = (t: string | null): void => {
    if (t !== null && !out.includes(t)) out.push(t);
  };
  const dashed = input.trim().replace(/_/g, '-');
  if (dashed !== input.trim()) add(registered(dashed));
  if (/^[A-Za-z0-9-]{1,35}$/.test(dashed)) {
    const t = tags(dashed);
    // Tag.preferred() reads the registry record of a whole-tag entry and throws for any other tag.
    let preferred: string | null = null;
    try {
      preferred = t.preferred()?.format() ?? null;
    } catch {
      // not a grandfathered or redundant tag
    }
    add(preferred === null ? null : registered(preferred));
    for (const s of t.subtags()) {
      const p = s.deprecated() ? s.preferred() : null;
      if (p !== null) add(registered(dashed.toLowerCase().replace(s.format().toLowerCase(), p.format())));
    }
  }
  for (const code of byName(input)) add(code);
  return out.slice(0, limit);
}

let names: Map<string, string[]> | null = null;

const fold = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();

/** Name (folded) → language codes, for the two-letter (ISO 639-1) languages. */
function nameIndex(): Map<string, string[]> {
  if (names !== null) return names;
  const index = new Map<string, string[]>();
  const put = (name: string | undefined, code: string): void => {
    if (name === undefined || name === code) return;
    const key = fold(name);
    const list = index.get(key);
    if (list === undefined) index.set(key, [code]);
    else if (!list.includes(code)) list.push(code);
  };
  const english = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'none' });
  const a = 'a'.charCodeAt(0);
  for (let i = 0; i < 26; i++) {
    for (let j = 0; j < 26; j++) {
      const code = String.fromCharCode(a + i, a + j);
      const subtag = tags.language(code);
      if (subtag === null || subtag.deprecated()) continue;
      for (const d of subtag.descriptions()) put(d, code);
      put(english.of(code), code);
      try {
        put(new Intl.DisplayNames([code], { type: 'language', fallback: 'none' }).of(code), code);
      } catch {
        // ICU has no data for this language's own name
      }
    }
  }
  names = index;
  return index;
}

/** Codes whose name is the input, then whose name starts with it ("norsk" → "norsk bokmål"), then near misses. */
function byName(input: string): string[] {
  const q = fold(input);
  if (q.length < 2) return [];
  const index = nameIndex();
  const exact = index.get(q) ?? [];
  const prefixed = [...index.keys()].filter((k) => k.startsWith(`${q} `)).sort();
  const near = closest(q, index.keys());
  // Registered three-letter languages named exactly so ("Southern Sami" → sma).
  const three = tags
    .search(new RegExp(`^${q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'i'))
    .filter((s) => s.type() === 'language')
    .map((s) => s.format());
  return [
    ...exact,
    ...prefixed.flatMap((k) => index.get(k) ?? []),
    ...three,
    ...near.flatMap((k) => index.get(k) ?? []),
  ];
}

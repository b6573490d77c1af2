/**
 * Languages of the audience pages: Norwegian Bokmål (nb) and English (en).
 *
 * Which one a request gets (chooseLanguage):
 *   1. `?lang=nb|en` in the URL: the visible switch on every page links there; the choice is then
 *      remembered in a cookie (`fjord_lang`, the only cookie fjord sets; no other data in it);
 *   2. that cookie;
 *   3. Accept-Language, highest q first: nb, no (Norwegian) and nn (Nynorsk, whose readers read
 *      Bokmål) give nb; en gives English;
 *   4. otherwise: nb when the browser said nothing, English when it named only other languages
 *      (a German viewer reads English more likely than Norwegian).
 *
 * Messages: each part of the site keeps its own dictionary with defineMessages(), typed so that a
 * key missing in one language is a compile error:
 *
 *   const adminText = defineMessages<{ title: string; count: (n: number) => string }>({
 *     nb: { title: 'Oversikt', count: (n) => `${n} episoder` },
 *     en: { title: 'Overview', count: (n) => `${n} episodes` },
 *   });
 *   const m = adminText[ctx.lang];
 *
 * Messages are plain text (escaped where they are used, like any other value); the formatting
 * helpers below give dates, numbers and sizes in the page's language.
 */

export const LANGUAGES = ['nb', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];
export const DEFAULT_LANG: Lang = 'nb';
export const LANG_COOKIE = 'fjord_lang';

export function isLang(v: string): v is Lang {
  return (LANGUAGES as readonly string[]).includes(v);
}

/** Each language's own name, for the switch (shown in that language). */
export const LANGUAGE_NAMES: Record<Lang, string> = { nb: 'Norsk bokmål', en: 'English' };

/** BCP 47 locale used for Intl formatting. */
export const LOCALES: Record<Lang, string> = { nb: 'nb-NO', en: 'en-GB' };

export interface AcceptedLanguage {
  tag: string;
  q: number;
}

/** Parses an Accept-Language header (RFC 9110 §12.5.4); bad entries are skipped. Highest q first. */
export function parseAcceptLanguage(header: string | undefined): AcceptedLanguage[] {
  if (!header) return [];
  const out: AcceptedLanguage[] = [];
  for (const part of header.split(',').slice(0, 32)) {
    const m =
      /^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?))?\s*$/.exec(
        part,
      );
    if (!m) continue;
    out.push({ tag: m[1].toLowerCase(), q: m[2] === undefined ? 1 : Number(m[2]) });
  }
  // A stable sort keeps the header's order among equal q values.
  return out.sort((a, b) => b.q - a.q);
}

/** The supported language an Accept-Language header asks for, or null if it names none of them. */
export function languageFromAccept(header: string | undefined): Lang | null {
  for (const { tag, q } of parseAcceptLanguage(header)) {
    if (q === 0) continue;
    const primary = tag.split('-')[0];
    if (primary === 'nb' || primary === 'no' || primary === 'nn') return 'nb';
    if (primary === 'en') return 'en';
  }
  return null;
}

/** Reads one cookie's value from a Cookie header; null when absent or not a supported language. */
export function languageFromCookie(header: string | undefined): Lang | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0 || part.slice(0, i).trim() !== LANG_COOKIE) continue;
    const v = part.slice(i + 1).trim();
    return isLang(v) ? v : null;
  }
  return null;
}

export interface LanguageChoice {
  lang: Lang;
  /** How it was chosen; 'query' means the viewer switched, so the choice should be remembered. */
  source: 'query' | 'cookie' | 'accept-language' | 'default';
}

export function chooseLanguage(input: {
  /** The `lang` query parameter, already checked to be a supported language, or null. */
  query: Lang | null;
  cookie?: string;
  acceptLanguage?: string;
}): LanguageChoice {
  if (input.query !== null) return { lang: input.query, source: 'query' };
  const fromCookie = languageFromCookie(input.cookie);
  if (fromCookie !== null) return { lang: fromCookie, source: 'cookie' };
  const fromHeader = languageFromAccept(input.acceptLanguage);
  if (fromHeader !== null) return { lang: fromHeader, source: 'accept-language' };
  const named = parseAcceptLanguage(input.acceptLanguage).some((a) => a.tag !== '*' && a.q > 0);
  return { lang: named ? 'en' : DEFAULT_LANG, source: 'default' };
}

/** The Set-Cookie value that remembers a switched language for a year. */
export function languageCookie(lang: Lang): string {
  return `${LANG_COOKIE}=${lang}; Path=/; Max-Age=31536000; SameSite=Lax`;
}

/** A dictionary per language, complete in both (checked by the type). */
export function defineMessages<T>(messages: Record<Lang, T>): Record<Lang, T> {
  return messages;
}

// ---- formatting in the page's language ----

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * A date and time, e.g. "3. mars 2026 kl. 18:00" / "3 March 2026 at 18:00", in `timeZone` (an IANA
 * name; the dashboard passes the configured zone) or the process's own zone when absent.
 */
export function formatDateTime(
  lang: Lang,
  d: Date,
  timeZone?: string,
  style: { dateStyle?: 'long' | 'medium' | 'short'; timeStyle?: 'short' } = {
    dateStyle: 'long',
    timeStyle: 'short',
  },
): string {
  const key = `${lang} ${timeZone ?? ''} ${style.dateStyle ?? ''} ${style.timeStyle ?? ''}`;
  let f = dateFormats.get(key);
  if (f === undefined) {
    f = new Intl.DateTimeFormat(LOCALES[lang], { ...style, ...(timeZone ? { timeZone } : {}) });
    dateFormats.set(key, f);
  }
  return f.format(d);
}

export function formatNumber(lang: Lang, n: number): string {
  return new Intl.NumberFormat(LOCALES[lang]).format(n);
}

/** Bytes in binary units, e.g. "1,5 MiB" / "1.5 MiB". */
export function formatBytes(lang: Lang, n: number): string {
  if (n < 1024) return `${formatNumber(lang, n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  const s = new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits: 1 }).format(v);
  return `${s} ${units[i]}`;
}

/** A duration as h:mm:ss or m:ss. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A BCP 47 tag's name in the page's language ("nb" → "norsk bokmål" / "Norwegian Bokmål"). */
export function languageName(lang: Lang, tag: string): string {
  try {
    const name = new Intl.DisplayNames([LOCALES[lang]], { type: 'language' }).of(tag);
    if (name && name !== tag) return name.charAt(0).toLocaleUpperCase(LOCALES[lang]) + name.slice(1);
  } catch {
    // Not a tag Intl knows: the tag itself is the best name there is.
  }
  return tag;
}

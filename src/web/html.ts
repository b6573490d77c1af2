/**
 * Markup that cannot be injected into: the one escaping helper for every page and feed fjord serves.
 *
 *   import { html, xml, raw, type Markup } from './html.js';
 *   const item = html`<li><a href="${url}">${episode.title}</a></li>`;   // title escaped
 *   const list = html`<ul>${episodes.map((e) => html`<li>${e.title}</li>`)}</ul>`;
 *   res.end(list.value);
 *
 * Every value put into an `html` (or `xml`, the same thing under the name feeds read better with)
 * template is escaped by escapeText() unless it is itself Markup, i.e. the result of another
 * template. So markup can only come from template literals written in fjord's own source; text from
 * a viewer, a publisher (titles, descriptions, rights holders, subtitle labels) or the catalog can
 * never become tags, attributes or entities. There is no way to mark a runtime string as safe except
 * raw(), which exists for fixed strings (a doctype, an XML declaration) and must never get data.
 *
 * Rules the templates check for themselves (a mistake throws when the template runs, in tests):
 *   - a value may not directly follow `=` (an unquoted attribute value): write `href="${url}"`;
 *   - values may be string, number, Markup, arrays of those, or null/undefined/false (nothing), so
 *     `${cond && html`...`}` works and `${someObject}` is a type error.
 * Inside quoted attributes, escapeText() is enough: it escapes both quote characters. URLs from
 * outside fjord go through safeUrl() first, so a `javascript:` URL cannot reach an href.
 *
 * Prettier formats html`` templates as HTML (as it does for lit): whitespace between tags may move,
 * never the meaning; where a test needs the exact bytes, put `// prettier-ignore` above it.
 *
 * escapeText() also replaces characters that XML 1.0 forbids (C0 controls other than tab, line feed
 * and carriage return; U+FFFE, U+FFFF; unpaired surrogates) with U+FFFD: a title containing \x01
 * would otherwise make a feed ill-formed, which real feed readers reject as a whole. It removes the
 * bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069): one in a
 * name ("U+202E") makes what follows it display reversed, beyond the name, so text could show other
 * than it says. The catalog refuses them on input (src/catalog/validate.ts); this covers what came
 * in before, or from elsewhere (submitters' names). Directional text itself needs none of them.
 */

const brand: unique symbol = Symbol('fjord.markup');

/** A piece of trusted markup: only html``, xml`` and raw() make these. */
export class Markup {
  readonly [brand] = true;
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type Interpolation = string | number | Markup | null | undefined | false | readonly Interpolation[];

const SPECIAL = /[&<>"']/g;
const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
// Characters not allowed in XML 1.0 documents (and never wanted in HTML text either).
const NOT_XML =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** Text → markup-safe text, for element content and quoted attribute values, in HTML and XML alike. */
export function escapeText(text: string): string {
  return text
    .replace(NOT_XML, '\uFFFD')
    .replace(BIDI_CONTROLS, '')
    .replace(SPECIAL, (c) => ENTITIES[c]);
}

function render(v: Interpolation): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Markup) return v.value;
  if (typeof v === 'string') return escapeText(v);
  if (typeof v === 'number') return escapeText(String(v));
  if (Array.isArray(v)) return v.map(render).join('');
  // Reached only by a value the types forbid (an object, `true`): refuse rather than print it.
  throw new TypeError(`cannot put a ${typeof v} (${String(v)}) into markup`);
}

/** Where a value lands: element text, inside a quoted attribute, between attributes, or unquoted. */
type Slot = 'text' | 'quoted' | 'tag' | 'unquoted';
const slotsOf = new WeakMap<TemplateStringsArray, Slot[]>();

/**
 * Follows the static parts of a template (tags, quotes) to learn where each value goes. Computed
 * once per template (a call site's strings array is the same object on every call).
 */
function slots(strings: TemplateStringsArray): Slot[] {
  let out = slotsOf.get(strings);
  if (out !== undefined) return out;
  out = [];
  let state: 'text' | 'tag' | 'dq' | 'sq' = 'text';
  for (let i = 0; i < strings.length - 1; i++) {
    for (const ch of strings[i]) {
      if (state === 'text') state = ch === '<' ? 'tag' : 'text';
      else if (state === 'tag') state = ch === '"' ? 'dq' : ch === "'" ? 'sq' : ch === '>' ? 'text' : 'tag';
      else if (state === 'dq') state = ch === '"' ? 'tag' : 'dq';
      else state = ch === "'" ? 'tag' : 'sq';
    }
    out.push(
      state === 'text' ? 'text' : state !== 'tag' ? 'quoted' : /=\s*$/.test(strings[i]) ? 'unquoted' : 'tag',
    );
  }
  slotsOf.set(strings, out);
  return out;
}

/** The template tag: static parts as written, every value escaped unless it is Markup. */
export function html(strings: TemplateStringsArray, ...values: Interpolation[]): Markup {
  const where = slots(strings);
  let out = strings[0];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (where[i] === 'unquoted')
      throw new Error(`unquoted attribute value in template near "${strings[i].slice(-40)}": quote it`);
    // Between attributes only whole attributes written as markup may go (or nothing).
    if (
      where[i] === 'tag' &&
      !(v instanceof Markup) &&
      v !== null &&
      v !== undefined &&
      v !== false &&
      v !== ''
    )
      throw new Error(`text between attributes near "${strings[i].slice(-40)}": use an html\`\` attribute`);
    out += render(v) + strings[i + 1];
  }
  return new Markup(out);
}

/** The same tag, for feeds: XML has the same five special characters in text and attributes. */
export const xml = html;

/** Trusted markup from a fixed string (a doctype, an XML declaration). Never pass data to it. */
export function raw(fixed: string): Markup {
  return new Markup(fixed);
}

/** Joins markup pieces with a separator (itself escaped when it is a string). */
export function join(items: readonly Interpolation[], separator: Interpolation): Markup {
  const sep = render(separator);
  return new Markup(items.map(render).join(sep));
}

/**
 * A URL that may go into href/src: http(s), magnet, or a path on this site; anything else (a
 * `javascript:` or `data:` URL from a publisher's field, say) becomes '#'. Escaping still applies.
 */
export function safeUrl(url: string): string {
  const u = url.trim();
  if (u.startsWith('/') && !u.startsWith('//')) return u;
  if (/^(https?:\/\/|magnet:\?)/i.test(u)) return u;
  return '#';
}

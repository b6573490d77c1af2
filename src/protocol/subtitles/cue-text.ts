/**
 * Cue text: the markup each format allows, and the one representation fjord keeps.
 *
 * WebVTT cue text (https://www.w3.org/TR/webvtt1/#cue-text) is text plus a small tag language:
 *
 *   <b> <i> <u> <c> <ruby> <rt>   optionally with classes: <c.yellow.big>, <i.whisper>
 *   <v Name>  <v.loud Name>       voice (speaker), the annotation is the speaker's name
 *   <lang nb>                     language span, the annotation is a BCP 47 tag
 *   </b> </i> ... </lang>         end tags, no classes
 *   <00:00:01.000> <01:02.500>    karaoke timestamps
 *   &amp; &lt; &gt; &nbsp; &#233; character references (a literal "<" or "&" must be escaped)
 *
 * Tag names are lower case, as the WebVTT parser only knows them so. Anything else in angle brackets
 * (<script>, <img onerror=...>, <font>, <br>, <I>) is refused as bad-markup: a browser's WebVTT
 * parser would drop it, but a page, feed or other player that mistook the text for HTML would not.
 * Class names are limited to ASCII letters, digits, "_" and "-"; a voice name may not contain "<",
 * ">" or "&". Only common character references are known (the Latin-1 names, typographic quotes and
 * dashes, direction marks, numeric references); an unknown name is refused rather than guessed at,
 * since files are UTF-8 and can hold the character itself.
 *
 * SRT has no specification. What players agree on is <b>, <i>, <u> (any case) and <font color=...>.
 * fjord accepts those: b/i/u are kept, <font color> tags are accepted but removed (colour is not
 * carried over, and no other font attribute is accepted), ASS-style override codes such as {\an8}
 * are removed. Elsewhere "<" is literal text when followed by a space, digit or punctuation ("a < b",
 * "<3") and the start of a tag, which must then be one of those, when followed by a letter, "/", "!"
 * or "?". "&" is always literal in SRT: there are no character references.
 *
 * Whatever the source, the parsed cue text is kept in WebVTT syntax with tags as written (SRT's
 * lower-cased) and every literal "&", "<", ">" escaped; character references are decoded and
 * re-escaped, so "&#233;" and "é" become the same text.
 */
import { isValidLanguageTag } from './language.js';
import { parseVttTimestamp } from './time.js';
import { quote } from './types.js';

export type Dialect = 'vtt' | 'srt';

export type CueToken =
  | { kind: 'text'; text: string }
  | { kind: 'tag'; name: string; close: boolean; raw: string }
  | { kind: 'time'; raw: string };

export type LineTokens = { ok: true; tokens: CueToken[] } | { ok: false; problem: string };

const VTT_TAG_NAMES = new Set(['b', 'i', 'u', 'c', 'ruby', 'rt', 'v', 'lang']);
const VTT_ALLOWED = 'allowed: <b> <i> <u> <c> <v> <lang> <ruby> <rt> and timestamps';
const SRT_ALLOWED = 'SRT allows <b> <i> <u> and <font color>';

// Code points U+00A0..U+00FF in order, by their HTML names.
const LATIN1 =
  'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 ' +
  'sup3 acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc ' +
  'Atilde Auml Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve ' +
  'Oacute Ocirc Otilde Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute ' +
  'acirc atilde auml aring aelig ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ' +
  'ograve oacute ocirc otilde ouml divide oslash ugrave uacute ucirc uuml yacute thorn yuml';

export const NAMED_REFERENCES: ReadonlyMap<string, string> = new Map([
  ...LATIN1.split(' ').map((name, i): [string, string] => [name, String.fromCodePoint(0xa0 + i)]),
  ...Object.entries({
    amp: '&',
    lt: '<',
    gt: '>',
    quot: '"',
    apos: "'",
    lrm: '\u200e',
    rlm: '\u200f',
    zwj: '\u200d',
    zwnj: '\u200c',
    ensp: '\u2002',
    emsp: '\u2003',
    thinsp: '\u2009',
    ndash: '\u2013',
    mdash: '\u2014',
    lsquo: '\u2018',
    rsquo: '\u2019',
    sbquo: '\u201a',
    ldquo: '\u201c',
    rdquo: '\u201d',
    bdquo: '\u201e',
    lsaquo: '\u2039',
    rsaquo: '\u203a',
    hellip: '\u2026',
    bull: '\u2022',
    dagger: '\u2020',
    Dagger: '\u2021',
    permil: '\u2030',
    prime: '\u2032',
    Prime: '\u2033',
    euro: '\u20ac',
    trade: '\u2122',
    OElig: '\u0152',
    oelig: '\u0153',
    Scaron: '\u0160',
    scaron: '\u0161',
    Yuml: '\u0178',
    fnof: '\u0192',
    circ: '\u02c6',
    tilde: '\u02dc',
  }),
]);

const SRT_TAG_START = /^[A-Za-z/!?]$/;
const REFERENCE_START = /^[#A-Za-z]$/;
const VTT_PLAIN = /[^<&]*/y;
const SRT_PLAIN = /[^<{]*/y;
const REFERENCE = /&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);/y;
const VTT_START_TAG = /^([a-z]+)((?:\.[A-Za-z0-9_-]+)*)(?:[ \t]+([^]*))?$/;

/** The character a reference stands for, or null for an unknown name or a code point that may not appear. */
function decodeReference(body: string): string | null {
  if (body[0] !== '#') return NAMED_REFERENCES.get(body) ?? null;
  const cp = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
  // Control characters are refused too: "&#10;" would smuggle a line break (and so a blank line) into a cue.
  if (!(cp <= 0x10ffff) || cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0xd800 && cp <= 0xdfff))
    return null;
  return String.fromCodePoint(cp);
}

/** Longest tag looked at; anything longer is refused unread, which keeps tokenizing linear. */
const MAX_TAG_LENGTH = 200;

function tooLong(inner: string, dialect: Dialect, lenient: boolean): string {
  if (lenient) return ''; // the reason would be thrown away
  return `markup ${quote(`<${inner.slice(0, 40)}`)} is not allowed (${dialect === 'vtt' ? VTT_ALLOWED : SRT_ALLOWED})`;
}

function vttTag(inner: string): CueToken | string {
  const shown = quote(`<${inner}>`); // at most MAX_TAG_LENGTH long
  // "-->" inside a tag would read as a cue timing line if the tag were written back out.
  if (inner.endsWith('--')) return `markup ${shown} is not allowed (${VTT_ALLOWED})`;
  if (inner.startsWith('/')) {
    const name = inner.slice(1);
    if (VTT_TAG_NAMES.has(name)) return { kind: 'tag', name, close: true, raw: `</${name}>` };
    return `markup ${shown} is not allowed (${VTT_ALLOWED})`;
  }
  if (/^[0-9]/.test(inner)) {
    if (parseVttTimestamp(inner) !== null) return { kind: 'time', raw: `<${inner}>` };
    return `bad timestamp tag ${shown} (expected e.g. <00:01:02.500>)`;
  }
  const m = VTT_START_TAG.exec(inner);
  if (m === null || !VTT_TAG_NAMES.has(m[1])) return `markup ${shown} is not allowed (${VTT_ALLOWED})`;
  const name = m[1];
  const annotation = (m[3] ?? '').trim();
  if (name === 'v') {
    if (annotation === '' || /[<>&]/.test(annotation)) {
      return `a voice tag needs a speaker name without "<", ">" or "&": ${shown}`;
    }
  } else if (name === 'lang') {
    if (isValidLanguageTag(annotation) === null) return `a <lang> tag needs a BCP 47 language tag: ${shown}`;
  } else if (annotation !== '') {
    return `markup ${shown} is not allowed: <${name}> takes no attributes (${VTT_ALLOWED})`;
  }
  return { kind: 'tag', name, close: false, raw: `<${inner}>` };
}

const SRT_BASIC_TAG = /^(\/?)([biu])$/i;
const SRT_FONT_TAG =
  /^(?:font(?:[ \t]+color[ \t]*=[ \t]*(?:"#?[A-Za-z0-9]+"|'#?[A-Za-z0-9]+'|#?[A-Za-z0-9]+))?|\/font)[ \t]*$/i;

function srtTag(inner: string): CueToken | null | string {
  const basic = SRT_BASIC_TAG.exec(inner);
  if (basic !== null) {
    const name = basic[2].toLowerCase();
    const close = basic[1] === '/';
    return { kind: 'tag', name, close, raw: close ? `</${name}>` : `<${name}>` };
  }
  if (SRT_FONT_TAG.test(inner)) return null; // accepted, colour dropped
  return `markup ${quote(`<${inner}>`)} is not allowed (${SRT_ALLOWED})`;
}

/**
 * Splits one line of cue text into tokens. Strict mode (parsing an upload) returns the first problem;
 * lenient mode (writing out cue text that came from elsewhere) turns anything invalid into literal
 * text, so writers never fail and never emit markup the parser would refuse.
 */
export function tokenizeLine(line: string, dialect: Dialect, lenient = false): LineTokens {
  const tokens: CueToken[] = [];
  let text = '';
  const flush = () => {
    if (text !== '') tokens.push({ kind: 'text', text });
    text = '';
  };
  // Positions of the next ">" and "}" are cached so a long line of "<<<<" stays linear in lenient mode.
  let nextGt = -2;
  let nextBrace = -2;
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === '<' && (dialect === 'vtt' || SRT_TAG_START.test(line[i + 1] ?? ''))) {
      if (nextGt !== -1 && nextGt <= i) nextGt = line.indexOf('>', i + 1);
      if (nextGt === -1) {
        if (!lenient) {
          const hint = dialect === 'vtt' ? 'write &lt; for a literal "<"' : 'a tag needs a closing ">"';
          return { ok: false, problem: `unclosed tag ${quote(line.slice(i), 20)}: ${hint}` };
        }
        text += c;
        i++;
        continue;
      }
      const inner = line.slice(i + 1, nextGt);
      const tok =
        inner.length > MAX_TAG_LENGTH
          ? tooLong(inner, dialect, lenient)
          : dialect === 'vtt'
            ? vttTag(inner)
            : srtTag(inner);
      if (typeof tok === 'string') {
        if (!lenient) return { ok: false, problem: tok };
        text += c;
        i++;
        continue;
      }
      if (tok !== null) {
        flush();
        tokens.push(tok);
      }
      i = nextGt + 1;
    } else if (c === '&' && dialect === 'vtt' && REFERENCE_START.test(line[i + 1] ?? '')) {
      REFERENCE.lastIndex = i;
      const m = REFERENCE.exec(line);
      const decoded = m === null ? null : decodeReference(m[1]);
      if (m !== null && decoded === null && !lenient) {
        return {
          ok: false,
          problem: `unknown character reference ${quote(m[0])}: write the character itself (the file is UTF-8)`,
        };
      }
      if (m !== null && decoded !== null) {
        text += decoded;
        i += m[0].length;
      } else {
        text += c;
        i++;
      }
    } else if (c === '{' && line[i + 1] === '\\' && dialect === 'srt') {
      if (nextBrace !== -1 && nextBrace <= i) nextBrace = line.indexOf('}', i + 2);
      if (nextBrace === -1) {
        text += c;
        i++;
      } else {
        i = nextBrace + 1; // an ASS override code such as {\an8}: dropped
      }
    } else if (c === '<' || c === '&' || c === '{') {
      text += c; // one that turned out to be literal here
      i++;
    } else {
      // A run of characters with no meaning in this dialect, taken in one step.
      const plain = dialect === 'vtt' ? VTT_PLAIN : SRT_PLAIN;
      plain.lastIndex = i + 1;
      const end = plain.test(line) ? plain.lastIndex : i + 1;
      text += line.slice(i, end);
      i = end;
    }
  }
  flush();
  return { ok: true, tokens };
}

export function escapeCueText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Tokens back to WebVTT cue text: tags as they are, literal characters escaped. */
export function renderVtt(tokens: CueToken[]): string {
  return tokens.map((t) => (t.kind === 'text' ? escapeCueText(t.text) : t.raw)).join('');
}

/**
 * The text a viewer reads: tags removed, references decoded, lines joined with "\n". For diffs,
 * comparisons and anywhere the text is shown outside the player (escape it there).
 */
export function cuePlainText(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => {
      const r = tokenizeLine(line, 'vtt', true);
      return r.ok ? r.tokens.map((t) => (t.kind === 'text' ? t.text : '')).join('') : line;
    })
    .join('\n');
}

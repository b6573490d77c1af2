/**
 * Writing cues out as WebVTT or SRT.
 *
 * The writers take any ParsedSubtitle, including ones not made by the parser (read back from a
 * database, edited), and always produce a file that fjord's parser reads back with the same number
 * of cues and the same times. The cue text is re-checked on the way out and cannot break the format:
 *
 * - Line breaks of any kind split lines; blank and whitespace-only lines are dropped (they would end
 *   the cue). NUL and lone surrogates become U+FFFD.
 * - WebVTT: tags that are not allowed, and stray "<" or "&", are escaped as &lt; and &amp;; ">" is
 *   always &gt; in text, so no text line can contain "-->". Ids that are empty, contain "-->" or
 *   could be read as NOTE/STYLE/REGION are left out; settings are cleaned (cleanCueSettings).
 * - SRT: <b>, <i>, <u> are kept (classes dropped), every other tag is dropped (<v>, <c>, <lang>,
 *   <ruby>, <rt>, timestamps), character references are written as the characters. SRT cannot
 *   escape, so where literal text would read as markup a ZERO WIDTH SPACE (U+200B) is put in: after
 *   a "<" before a letter, "/", "!" or "?", after a "{" before "\", and between "--" and ">". Text
 *   that came from an SRT file never needs this, so SRT → WebVTT → SRT is exact. Cues are numbered
 *   from 1.
 *
 * Output uses "\n" line endings, no BOM, and ends with a newline.
 */
import { cleanCueSettings } from './parse.js';
import { renderVtt, tokenizeLine, type CueToken } from './cue-text.js';
import { formatTimestamp } from './time.js';
import { isBlank, type ParsedSubtitle, type SubtitleCue } from './types.js';

function wellFormed(s: string): string {
  return s
    .replace(/\0/g, '\uFFFD')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** The cue's text as tokens per line, with anything invalid turned into literal text. */
function textLines(cue: SubtitleCue): CueToken[][] {
  const text = typeof cue.text === 'string' ? wellFormed(cue.text) : '';
  return text.split(/\r\n|\r|\n/).map((line) => {
    const r = tokenizeLine(line, 'vtt', true);
    return r.ok ? r.tokens : [{ kind: 'text', text: line }];
  });
}

function timing(cue: SubtitleCue, sep: ',' | '.'): string {
  return `${formatTimestamp(cue.startMs, sep)} --> ${formatTimestamp(cue.endMs, sep)}`;
}

function vttId(id: string | undefined): string | null {
  if (typeof id !== 'string') return null;
  const clean = wellFormed(id);
  if (
    isBlank(clean) ||
    /[\r\n]/.test(clean) ||
    clean.includes('-->') ||
    /^(?:NOTE|STYLE|REGION)(?:[ \t]|$)/.test(clean)
  ) {
    return null;
  }
  return clean;
}

export function toWebVtt(parsed: ParsedSubtitle): string {
  const blocks = parsed.cues.map((cue) => {
    const lines: string[] = [];
    const id = vttId(cue.id);
    if (id !== null) lines.push(id);
    const settings = typeof cue.settings === 'string' ? cleanCueSettings(cue.settings) : '';
    lines.push(settings === '' ? timing(cue, '.') : `${timing(cue, '.')} ${settings}`);
    for (const tokens of textLines(cue)) {
      const line = renderVtt(tokens);
      if (!isBlank(line)) lines.push(line);
    }
    return lines.join('\n') + '\n';
  });
  return ['WEBVTT\n', ...blocks].join('\n');
}

const SRT_KEPT = new Set(['b', 'i', 'u']);

/** Literal text for an SRT line, made so the SRT parser cannot read it as a tag, override code or timing. */
function srtLiteral(s: string): string {
  return s
    .replace(/--(?=>)/g, '--\u200B')
    .replace(/<(?=[A-Za-z/!?])/g, '<\u200B')
    .replace(/\{(?=\\)/g, '{\u200B');
}

function renderSrtLine(tokens: CueToken[]): string {
  let out = '';
  let literal = '';
  for (const t of tokens) {
    if (t.kind === 'text') literal += t.text;
    else if (t.kind === 'tag' && SRT_KEPT.has(t.name)) {
      out += srtLiteral(literal) + (t.close ? `</${t.name}>` : `<${t.name}>`);
      literal = '';
    }
    // Other tags are dropped; the text on either side joins up before it is made safe.
  }
  return out + srtLiteral(literal);
}

export function toSrt(parsed: ParsedSubtitle): string {
  const blocks = parsed.cues.map((cue, i) => {
    const lines = [String(i + 1), timing(cue, ',')];
    for (const tokens of textLines(cue)) {
      const line = renderSrtLine(tokens);
      if (!isBlank(line)) lines.push(line);
    }
    return lines.join('\n') + '\n';
  });
  return blocks.join('\n');
}

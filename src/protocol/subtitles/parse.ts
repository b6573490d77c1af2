/**
 * Parsing SRT and WebVTT into cues.
 *
 * The format is detected from the content: a file whose first line starts with "WEBVTT" is WebVTT,
 * anything else is read as SRT. Line endings may be CRLF, LF or CR. Blocks are separated by blank
 * lines (whitespace-only lines count as blank).
 *
 * SRT, a block per cue:          WebVTT:
 *
 *   1                              WEBVTT optional text
 *   00:00:01,000 --> 00:00:04,000  optional header lines
 *   First line of text
 *   second line                    NOTE comments, STYLE and REGION blocks: skipped (and never
 *                                  written back out, so no CSS from an upload reaches the player)
 *   2
 *   ...                            optional-id
 *                                  00:01.000 --> 00:04.000 align:start line:0
 *                                  Cue text, <i>markup</i>, &amp; references
 *
 * The SRT cue number is optional, but when present it is a number. A WebVTT cue id is any line
 * without "-->". Cue settings (vertical, line, position, size, align) are kept when well formed and
 * dropped otherwise, as browsers do; region settings are dropped with the regions.
 *
 * Stricter than the WebVTT parsing algorithm on purpose: a line with "-->" inside a cue's text or a
 * NOTE block, or a block that is neither a cue nor a NOTE/STYLE/REGION block, is refused with its
 * line number instead of silently starting a new cue or vanishing, because for an upload that is
 * nearly always a missing blank line and the uploader should hear about it.
 *
 * The parser never throws: every input gives cues or a SubtitleError. It checks syntax and markup
 * only; timing rules (order, overlaps, the programme's length) are validateSubtitle's.
 */
import { decodeSubtitle } from './decode.js';
import { renderVtt, tokenizeLine, type Dialect } from './cue-text.js';
import { SRT_TIMING, VTT_TIMING, toMs } from './time.js';
import {
  isBlank,
  quote,
  refuse,
  type ParsedSubtitle,
  type SubtitleCue,
  type SubtitleError,
  type SubtitleResult,
} from './types.js';

/** A parse with the file line of each cue's timing line, so later checks can point at it. */
export type DetailedResult = { ok: true; parsed: ParsedSubtitle; cueLines: number[] } | SubtitleError;

export function parseSubtitle(input: Uint8Array | string): SubtitleResult {
  const r = parseSubtitleDetailed(input);
  return r.ok ? { ok: true, parsed: r.parsed } : r;
}

export function parseSubtitleDetailed(input: Uint8Array | string): DetailedResult {
  const decoded = decodeSubtitle(input);
  if (!decoded.ok) return decoded;
  const lines = decoded.text.replace(/\r\n?/g, '\n').split('\n');
  return lines[0].startsWith('WEBVTT') ? parseVtt(lines) : parseSrt(lines);
}

interface Block {
  /** 0-based index of the block's first line. */
  start: number;
  lines: string[];
}

function blocksFrom(lines: string[], from: number): Block[] {
  const blocks: Block[] = [];
  let i = from;
  while (i < lines.length) {
    if (isBlank(lines[i])) {
      i++;
      continue;
    }
    const start = i;
    while (i < lines.length && !isBlank(lines[i])) i++;
    blocks.push({ start, lines: lines.slice(start, i) });
  }
  return blocks;
}

const SRT_TIMING_HINT = 'expected HH:MM:SS,mmm --> HH:MM:SS,mmm';
const VTT_TIMING_HINT = 'expected [HH:]MM:SS.mmm --> [HH:]MM:SS.mmm';

/** Text lines of a cue, checked and turned into the canonical WebVTT cue text. */
function cueText(textLines: string[], firstLine: number, dialect: Dialect): string | SubtitleError {
  const out: string[] = [];
  for (let k = 0; k < textLines.length; k++) {
    const line = textLines[k];
    if (line.includes('-->')) {
      return refuse(
        'unparsable',
        `"-->" inside cue text (a missing blank line between cues?): ${quote(line)}`,
        firstLine + k,
      );
    }
    const t = tokenizeLine(line, dialect);
    if (!t.ok) return refuse('bad-markup', t.problem, firstLine + k);
    out.push(renderVtt(t.tokens));
  }
  return out.join('\n');
}

function parseSrt(lines: string[]): DetailedResult {
  const cues: SubtitleCue[] = [];
  const cueLines: number[] = [];
  for (const block of blocksFrom(lines, 0)) {
    const first = block.start + 1; // 1-based line numbers from here on
    let id: string | undefined;
    let t = 0;
    if (!SRT_TIMING.test(block.lines[0])) {
      const n = block.lines[0].trim();
      if (!/^\d+$/.test(n)) {
        const what = block.lines[0].includes('-->')
          ? `bad timing line (${SRT_TIMING_HINT})`
          : 'expected a cue number or a timing line';
        return refuse('unparsable', `${what}, found ${quote(block.lines[0])}`, first);
      }
      if (block.lines.length < 2)
        return refuse('unparsable', `cue number ${n} has no timing line after it`, first);
      if (!SRT_TIMING.test(block.lines[1])) {
        return refuse(
          'unparsable',
          `bad timing line ${quote(block.lines[1])} (${SRT_TIMING_HINT})`,
          first + 1,
        );
      }
      id = n;
      t = 1;
    }
    const m = SRT_TIMING.exec(block.lines[t]);
    const start = m === null ? null : toMs(m[1], m[2], m[3], m[4]);
    const end = m === null ? null : toMs(m[5], m[6], m[7], m[8]);
    if (start === null || end === null) {
      return refuse(
        'unparsable',
        `bad timing line ${quote(block.lines[t])} (${SRT_TIMING_HINT}, minutes and seconds up to 59)`,
        first + t,
      );
    }
    const text = cueText(block.lines.slice(t + 1), first + t + 1, 'srt');
    if (typeof text !== 'string') return text;
    const cue: SubtitleCue = { startMs: start, endMs: end, text };
    if (id !== undefined) cue.id = id;
    cues.push(cue);
    cueLines.push(first + t);
  }
  return { ok: true, parsed: { format: 'srt', cues }, cueLines };
}

const NON_CUE_BLOCK = /^(NOTE|STYLE|REGION)(?:[ \t]|$)/;

function parseVtt(lines: string[]): DetailedResult {
  if (!/^WEBVTT(?:[ \t]|$)/.test(lines[0])) {
    return refuse('unparsable', `a WebVTT file starts with a line "WEBVTT", found ${quote(lines[0])}`, 1);
  }
  // Header lines run to the first blank line; a timing line also ends them, as in the WebVTT parser.
  let i = 1;
  while (i < lines.length && !isBlank(lines[i]) && !lines[i].includes('-->')) i++;
  const cues: SubtitleCue[] = [];
  const cueLines: number[] = [];
  for (const block of blocksFrom(lines, i)) {
    const first = block.start + 1;
    const kind = NON_CUE_BLOCK.exec(block.lines[0]);
    if (kind !== null) {
      const k = block.lines.findIndex((l) => l.includes('-->'));
      if (k >= 0) {
        return refuse(
          'unparsable',
          `a ${kind[1]} block cannot contain "-->" (a missing blank line before the cue?)`,
          first + k,
        );
      }
      continue;
    }
    let id: string | undefined;
    let t = 0;
    if (!block.lines[0].includes('-->')) {
      if (block.lines.length < 2 || !block.lines[1].includes('-->')) {
        return refuse(
          'unparsable',
          `expected a cue (an optional id, then a timing line), found ${quote(block.lines[block.lines.length < 2 ? 0 : 1])}`,
          block.lines.length < 2 ? first : first + 1,
        );
      }
      id = block.lines[0];
      t = 1;
    }
    const m = VTT_TIMING.exec(block.lines[t]);
    const start = m === null ? null : toMs(m[1], m[2], m[3], m[4]);
    const end = m === null ? null : toMs(m[5], m[6], m[7], m[8]);
    if (m === null || start === null || end === null) {
      return refuse(
        'unparsable',
        `bad timing line ${quote(block.lines[t])} (${VTT_TIMING_HINT}, minutes and seconds up to 59)`,
        first + t,
      );
    }
    const text = cueText(block.lines.slice(t + 1), first + t + 1, 'vtt');
    if (typeof text !== 'string') return text;
    const cue: SubtitleCue = { startMs: start, endMs: end, text };
    if (id !== undefined) cue.id = id;
    const settings = cleanCueSettings(m[9] ?? '');
    if (settings !== '') cue.settings = settings;
    cues.push(cue);
    cueLines.push(first + t);
  }
  return { ok: true, parsed: { format: 'vtt', cues }, cueLines };
}

const PERCENT = String.raw`(?:\d{1,3}(?:\.\d+)?%)`;
const SETTING_VALUES: Record<string, RegExp> = {
  vertical: /^(?:rl|lr)$/,
  line: new RegExp(String.raw`^(?:-?\d{1,4}|${PERCENT})(?:,(?:start|center|end))?$`),
  position: new RegExp(`^${PERCENT}(?:,(?:line-left|center|line-right))?$`),
  size: new RegExp(`^${PERCENT}$`),
  align: /^(?:start|center|end|left|right)$/,
};

/**
 * The well-formed WebVTT cue settings in a settings string, joined by single spaces. Unknown or
 * malformed settings, percentages above 100 and repeated names are dropped, like a browser ignores
 * them; "region" goes because REGION blocks are not kept.
 */
export function cleanCueSettings(settings: string): string {
  const kept = new Map<string, string>();
  for (const token of settings.split(/\s+/)) {
    const colon = token.indexOf(':');
    if (colon <= 0) continue;
    const name = token.slice(0, colon);
    const value = token.slice(colon + 1);
    const valid = Object.hasOwn(SETTING_VALUES, name) ? SETTING_VALUES[name] : undefined;
    if (valid === undefined || !valid.test(value) || kept.has(name)) continue;
    const pct = /^(\d+(?:\.\d+)?)%/.exec(value);
    if (pct !== null && Number(pct[1]) > 100) continue;
    kept.set(name, token);
  }
  return [...kept.values()].join(' ');
}

/**
 * The shapes the subtitle library speaks in, and the one way it refuses a file: a stable code (for
 * the API, the CLI's exit status and tests) plus a one-line reason written for the person who
 * uploaded the file.
 */
/** The two subtitle formats fjord reads and writes (the catalog stores this name). */
export type SubtitleFormat = 'srt' | 'vtt';

export interface SubtitleCue {
  /** Milliseconds from the start of the programme. */
  startMs: number;
  endMs: number;
  /**
   * The cue's text in WebVTT cue-text syntax, whatever the source format: lines joined with "\n",
   * only the allowed tags (see cue-text.ts), and every literal `&`, `<` and `>` written `&amp;`,
   * `&lt;`, `&gt;`. One representation for both formats keeps conversion and comparison simple.
   * It is NOT safe HTML: `<v Name>` or `<c.x>` mean nothing to a browser's HTML parser. Pages, feeds
   * and the player must escape it (or show `cuePlainText(text)` escaped, or set it as textContent).
   */
  text: string;
  /** The cue identifier as written (WebVTT) or the cue number (SRT). */
  id?: string;
  /** WebVTT cue settings that survived validation (e.g. "line:0 align:start"); SRT has none. */
  settings?: string;
}

export interface ParsedSubtitle {
  format: SubtitleFormat;
  cues: SubtitleCue[];
}

export type SubtitleErrorCode =
  | 'too-large'
  | 'not-utf8'
  | 'unparsable'
  | 'no-cues'
  | 'bad-timing'
  | 'overlapping'
  | 'past-end'
  | 'bad-markup'
  | 'duplicate-official';

export interface SubtitleError {
  ok: false;
  code: SubtitleErrorCode;
  /** One line, for people: "line 12: bad timing line ...". */
  reason: string;
  /** 1-based line of the file the problem is on, when there is one. */
  line?: number;
}

export type SubtitleResult = { ok: true; parsed: ParsedSubtitle } | SubtitleError;

export function refuse(code: SubtitleErrorCode, reason: string, line?: number): SubtitleError {
  if (line === undefined) return { ok: false, code, reason };
  return { ok: false, code, reason: `line ${line}: ${reason}`, line };
}

/**
 * A piece of the uploaded file quoted inside a reason: control characters and line breaks become
 * spaces (so the reason stays one line) and it is cut short (so a reason stays a sentence).
 */
export function quote(s: string, max = 40): string {
  let clean = '';
  // Only the start is shown, so only the start is looked at (lines can be half a megabyte long).
  for (const ch of s.length > 2 * max + 2 ? s.slice(0, 2 * max + 2) : s) {
    const c = ch.codePointAt(0) ?? 0;
    clean += c < 0x20 || (c >= 0x7f && c < 0xa0) || c === 0x2028 || c === 0x2029 ? ' ' : ch;
  }
  const chars = Array.from(clean);
  const cut = chars.length > max || s.length > 2 * max + 2;
  return `"${cut ? chars.slice(0, max).join('') + '…' : clean}"`;
}

/** Lines that separate blocks in both formats. Whitespace-only lines count as blank, as most SRT readers treat them. */
export function isBlank(line: string): boolean {
  return line.trim() === '';
}

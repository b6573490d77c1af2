/**
 * Validation of an uploaded subtitle (a community translation, or an official file at publish time).
 * Every refusal has a stable code and a one-line reason, which starts "line N: " when the problem
 * is on a line. Checks run in this order and the first failure is reported:
 *
 *   too-large           more than maxBytes (512 KiB by default), checked before anything is decoded
 *   not-utf8            UTF-16, Latin-1 or other non-UTF-8 bytes (a UTF-8 BOM is fine)
 *   unparsable          not SRT or WebVTT syntax (parse.ts)                   } whichever comes
 *   bad-markup          tags or character references not allowed (cue-text.ts) } first in the file
 *   no-cues             no cue with any text
 *   bad-timing          a cue that does not end after it starts
 *   overlapping         see OVERLAP_TOLERANCE_MS below
 *   past-end            a cue ending after the programme (durationMs + PAST_END_TOLERANCE_MS)
 *   duplicate-official  the same text as one of the episode's official subtitles
 */
import { cuePlainText } from './cue-text.js';
import { parseSubtitleDetailed } from './parse.js';
import { formatTimestamp } from './time.js';
import { refuse, type ParsedSubtitle, type SubtitleError, type SubtitleResult } from './types.js';

export const DEFAULT_MAX_BYTES = 512 * 1024;

/**
 * Overlapping cues. WebVTT shows overlapping cues together (two speakers at once, a sign during
 * dialogue), so overlap alone is not an error; what is refused is overlap that signals broken timing:
 *
 * 1. Cues must be in order of start time (WebVTT requires it; out-of-order cues are a re-timing
 *    accident).
 * 2. A cue may start while earlier cues are still showing only if each of them ends within
 *    OVERLAP_TOLERANCE_MS of its start (a sloppy hand-over between consecutive lines), or starts
 *    within OVERLAP_TOLERANCE_MS of it (a deliberate simultaneous cue, e.g. a second speaker).
 *    So a cue whose end time is typed an hour too late is caught at the next cue.
 * 3. At most MAX_SIMULTANEOUS_CUES cues may be on screen at once (hand-overs not counted).
 */
export const OVERLAP_TOLERANCE_MS = 500;
export const MAX_SIMULTANEOUS_CUES = 3;

/**
 * Slack after the programme's end. Episode durations are kept in whole seconds and a container's
 * duration can differ from the video stream's by a frame or two, so a cue ending a little after the
 * nominal end is fine; one ending seconds later was timed for a different cut.
 */
export const PAST_END_TOLERANCE_MS = 2000;

export interface ValidateOptions {
  /** The programme's length; cues may not end after it (plus PAST_END_TOLERANCE_MS). */
  durationMs?: number;
  /** The episode's official subtitle files; a file repeating one of them is refused. */
  officialText?: Uint8Array[];
  /** Size limit in bytes, 512 KiB by default. */
  maxBytes?: number;
}

/** Never throws for any file content; throws RangeError only for nonsensical options (a negative duration). */
export function validateSubtitle(input: Uint8Array, options: ValidateOptions = {}): SubtitleResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0)
    throw new RangeError(`bad maxBytes ${String(maxBytes)}`);
  const { durationMs } = options;
  if (durationMs !== undefined && !(Number.isFinite(durationMs) && durationMs >= 0)) {
    throw new RangeError(`bad durationMs ${String(durationMs)}`);
  }
  if (input.length > maxBytes) {
    return refuse('too-large', `the file is ${kib(input.length)}; the limit is ${kib(maxBytes)}`);
  }
  const r = parseSubtitleDetailed(input);
  if (!r.ok) return r;
  const { parsed, cueLines } = r;
  const sep = parsed.format === 'srt' ? ',' : '.';
  const ts = (ms: number) => formatTimestamp(ms, sep);
  const cueAt = (i: number) => `cue ${i + 1}`;
  const cues = parsed.cues;

  if (!cues.some((c) => cuePlainText(c.text).trim() !== '')) {
    return refuse(
      'no-cues',
      `no subtitle cues with text found in this ${parsed.format === 'srt' ? 'SRT' : 'WebVTT'} file`,
    );
  }

  for (let i = 0; i < cues.length; i++) {
    const c = cues[i];
    if (c.endMs <= c.startMs) {
      return refuse(
        'bad-timing',
        `${cueAt(i)} ends at ${ts(c.endMs)}, not after it starts (${ts(c.startMs)})`,
        cueLines[i],
      );
    }
  }

  const overlap = checkOverlaps(parsed, cueLines, ts);
  if (overlap !== null) return overlap;

  if (durationMs !== undefined) {
    const limit = durationMs + PAST_END_TOLERANCE_MS;
    const i = cues.findIndex((c) => c.endMs > limit);
    if (i >= 0) {
      return refuse(
        'past-end',
        `${cueAt(i)} ends at ${ts(cues[i].endMs)}, after the programme ends (${ts(durationMs)})`,
        cueLines[i],
      );
    }
  }

  if (options.officialText !== undefined && options.officialText.length > 0) {
    const mine = textSignature(parsed);
    for (const official of options.officialText) {
      const o = parseSubtitleDetailed(official);
      if (!o.ok) continue; // an unreadable official file cannot be copied either
      const theirs = textSignature(o.parsed);
      if (theirs.length === mine.length && theirs.every((t, k) => t === mine[k])) {
        return refuse(
          'duplicate-official',
          'this is the official subtitle again (every cue has the same text); only new translations can be contributed',
        );
      }
    }
  }
  return { ok: true, parsed };
}

function checkOverlaps(
  parsed: ParsedSubtitle,
  cueLines: number[],
  ts: (ms: number) => string,
): SubtitleError | null {
  const cues = parsed.cues;
  let showing: number[] = [];
  for (let i = 0; i < cues.length; i++) {
    const c = cues[i];
    if (i > 0 && c.startMs < cues[i - 1].startMs) {
      return refuse(
        'overlapping',
        `cue ${i + 1} starts at ${ts(c.startMs)}, before cue ${i} (${ts(cues[i - 1].startMs)}): cues must be in time order`,
        cueLines[i],
      );
    }
    // Cues ending within the tolerance of this start are hand-overs and no longer count as showing.
    // Start times never decrease from here on, so a cue that stops showing never shows again.
    showing = showing.filter((j) => cues[j].endMs - c.startMs > OVERLAP_TOLERANCE_MS);
    const apart = showing.find((j) => c.startMs - cues[j].startMs > OVERLAP_TOLERANCE_MS);
    if (apart !== undefined) {
      return refuse(
        'overlapping',
        `cue ${i + 1} starts at ${ts(c.startMs)} while cue ${apart + 1} is showing until ${ts(cues[apart].endMs)}; ` +
          `cues may overlap by at most ${OVERLAP_TOLERANCE_MS / 1000} s unless they start together`,
        cueLines[i],
      );
    }
    if (showing.length + 1 > MAX_SIMULTANEOUS_CUES) {
      return refuse(
        'overlapping',
        `cue ${i + 1} would make ${showing.length + 1} cues on screen at once at ${ts(c.startMs)} (at most ${MAX_SIMULTANEOUS_CUES})`,
        cueLines[i],
      );
    }
    showing.push(i);
  }
  return null;
}

/**
 * What makes two subtitles "the same": their cue texts as read (tags dropped, references decoded,
 * Unicode NFC, case and runs of whitespace folded), in order, empty cues ignored. Timings are not
 * compared: a re-timed or re-formatted copy of the official text is still not a new translation.
 */
function textSignature(parsed: ParsedSubtitle): string[] {
  return parsed.cues
    .map((c) => cuePlainText(c.text).normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim())
    .filter((t) => t !== '');
}

function kib(bytes: number): string {
  return bytes < 1024 ? `${bytes} bytes` : `${Math.ceil(bytes / 1024)} KiB`;
}

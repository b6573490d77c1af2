/**
 * Subtitles: parsing, validating and converting SRT and WebVTT files. Pure functions over bytes and
 * strings, no I/O. Used when publishing official subtitles (which also go out as WebVTT for the web
 * player) and for community translations.
 *
 * The pieces, each with its format notes:
 *   subtitles/decode.ts     UTF-8 only, BOM allowed
 *   subtitles/parse.ts      SRT and WebVTT syntax, format detection
 *   subtitles/cue-text.ts   allowed markup and the canonical cue text
 *   subtitles/validate.ts   the refusal codes and timing rules
 *   subtitles/write.ts      WebVTT and SRT output that cannot break the format
 *
 * Cue text is WebVTT cue-text syntax, not HTML. Anything showing it in a page, feed or player UI
 * must escape it (or use cuePlainText and escape that); the player gets it through toWebVtt.
 */
export type {
  ParsedSubtitle,
  SubtitleCue,
  SubtitleError,
  SubtitleErrorCode,
  SubtitleFormat,
  SubtitleResult,
} from './subtitles/types.js';
export { parseSubtitle, cleanCueSettings } from './subtitles/parse.js';
export {
  validateSubtitle,
  DEFAULT_MAX_BYTES,
  OVERLAP_TOLERANCE_MS,
  MAX_SIMULTANEOUS_CUES,
  PAST_END_TOLERANCE_MS,
  type ValidateOptions,
} from './subtitles/validate.js';
export { toWebVtt, toSrt } from './subtitles/write.js';
export { cuePlainText, escapeCueText } from './subtitles/cue-text.js';
export { formatTimestamp, MAX_TIMESTAMP_MS } from './subtitles/time.js';
export { isValidLanguageTag } from './subtitles/language.js';

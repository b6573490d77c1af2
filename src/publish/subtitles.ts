/**
 * The publish pipeline's view of the subtitle library (src/protocol/subtitles.ts): check an official
 * subtitle file (UTF-8, parsable SRT or WebVTT, sane timing, no cue past the end of the video when its
 * duration is known) and give it back as SRT (inside the torrent, beside the video, for desktop
 * players) and as WebVTT (the web player's copy). Both are written by the library from the parsed
 * cues, so a file with stray markup or odd line endings comes out clean, and the same input always
 * gives the same bytes (the torrent stays reproducible).
 */
import { toSrt, toWebVtt, validateSubtitle } from '../protocol/subtitles.js';

export type ConvertedSubtitle = { ok: true; srt: Buffer; vtt: Buffer } | { ok: false; reason: string };

/** Official subtitles come from the broadcaster: allow files larger than the upload limit for viewers. */
export const OFFICIAL_MAX_BYTES = 8 * 1024 * 1024;

export function convertSubtitle(buf: Buffer, durationMs: number | undefined): ConvertedSubtitle {
  const r = validateSubtitle(buf, { durationMs, maxBytes: OFFICIAL_MAX_BYTES });
  if (!r.ok) return { ok: false, reason: `${r.reason} (${r.code})` };
  return {
    ok: true,
    srt: Buffer.from(toSrt(r.parsed), 'utf8'),
    vtt: Buffer.from(toWebVtt(r.parsed), 'utf8'),
  };
}

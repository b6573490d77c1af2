/**
 * Cue timestamps.
 *
 *   SRT:    HH:MM:SS,mmm             hours of any width (two by convention); "." is accepted for ","
 *                                    because many tools write it.
 *   WebVTT: [HH:]MM:SS.mmm           hours optional, of any width when present.
 *
 * Minutes and seconds are two digits up to 59, milliseconds exactly three. Hours are capped below 1000
 * so every time is a small safe integer; a programme is never that long, and a larger value is a typo.
 */

export const MAX_TIMESTAMP_MS = 1000 * 3600 * 1000 - 1;

const SRT_TS = String.raw`(\d+):(\d{2}):(\d{2})[,.](\d{3})`;
const VTT_TS = String.raw`(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})`;

export const SRT_TIMING = new RegExp(
  String.raw`^[ \t]*${SRT_TS}[ \t]*-->[ \t]*${SRT_TS}` +
    // Some SRT writers append a display rectangle; it is accepted and dropped.
    String.raw`(?:[ \t]+X1:-?\d+[ \t]+X2:-?\d+[ \t]+Y1:-?\d+[ \t]+Y2:-?\d+)?[ \t]*$`,
);
export const VTT_TIMING = new RegExp(String.raw`^${VTT_TS}[ \t]*-->[ \t]*${VTT_TS}(?:[ \t]+(.*))?$`);
const VTT_TIMESTAMP = new RegExp(`^${VTT_TS}$`);

/** Milliseconds from regex groups, or null when a field is out of range. */
export function toMs(h: string | undefined, m: string, s: string, ms: string): number | null {
  const hh = h === undefined ? 0 : Number(h);
  const mm = Number(m);
  const ss = Number(s);
  if (mm > 59 || ss > 59 || !(hh < 1000)) return null;
  return ((hh * 60 + mm) * 60 + ss) * 1000 + Number(ms);
}

export function parseVttTimestamp(s: string): number | null {
  const m = VTT_TIMESTAMP.exec(s);
  return m === null ? null : toMs(m[1], m[2], m[3], m[4]);
}

/**
 * "HH:MM:SS,mmm" (SRT) or "HH:MM:SS.mmm" (WebVTT), hours at least two digits. Out-of-range and
 * non-finite values are clamped so a writer always produces a line its own parser reads back.
 */
export function formatTimestamp(ms: number, separator: ',' | '.'): string {
  const t = Number.isFinite(ms) ? Math.min(MAX_TIMESTAMP_MS, Math.max(0, Math.round(ms))) : 0;
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor(t / 60_000) % 60;
  const s = Math.floor(t / 1000) % 60;
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${separator}${pad(t % 1000, 3)}`;
}

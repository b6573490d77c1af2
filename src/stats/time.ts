/**
 * Wall-clock time in the broadcaster's zone (config `timeZone`, an IANA name such as Europe/Oslo),
 * from Intl alone: local dates, local midnights and ISO 8601 text with the offset in force. Daylight
 * saving is whatever the zone's rules say for that instant, so a day is 23, 24 or 25 hours long.
 */

const formats = new Map<string, Intl.DateTimeFormat>();

function format(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formats.set(timeZone, f);
  }
  return f;
}

/** Throws a one-line error unless `timeZone` is a zone this Node knows. */
export function checkTimeZone(timeZone: string): void {
  try {
    format(timeZone);
  } catch {
    throw new Error(`timeZone "${timeZone}" is not a known IANA time zone (e.g. Europe/Oslo)`);
  }
}

interface Parts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function parts(ms: number, timeZone: string): Parts {
  const out: Record<string, number> = {};
  for (const p of format(timeZone).formatToParts(new Date(ms)))
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  return {
    year: out.year,
    month: out.month,
    day: out.day,
    hour: out.hour,
    minute: out.minute,
    second: out.second,
  };
}

/** The zone's offset from UTC at instant `ms`, in milliseconds (Oslo: +1 h in winter, +2 h in summer). */
export function offsetAt(ms: number, timeZone: string): number {
  const p = parts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** The local calendar date of instant `ms`, as YYYY-MM-DD. */
export function localDay(ms: number, timeZone: string): string {
  const p = parts(ms, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/**
 * The first instant of local date `day` (YYYY-MM-DD): local midnight, or the first moment of the
 * day where a zone skips midnight. Found by correcting a UTC guess with the offset twice, which
 * settles across a DST change.
 */
export function startOfDay(day: string, timeZone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (m === null) throw new Error(`"${day}" is not a date (YYYY-MM-DD)`);
  const midnightUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  let t = midnightUtc - offsetAt(midnightUtc, timeZone);
  t = midnightUtc - offsetAt(t, timeZone);
  // A zone whose clocks jump over midnight: t then falls on the previous day; move to the day's start.
  if (localDay(t, timeZone) !== day) {
    let lo = t;
    let hi = t + 3 * 3_600_000;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (localDay(mid, timeZone) === day) hi = mid;
      else lo = mid;
    }
    t = hi - (hi % 1000);
  }
  return t;
}

/** The local date `n` days after `day` (n may be negative). */
export function addDays(day: string, n: number): string {
  const [y, mo, d] = day.split('-').map(Number);
  const t = new Date(Date.UTC(y, mo - 1, d + n));
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** The first instant of the local day containing `ms`. */
export function startOfDayAt(ms: number, timeZone: string): number {
  return startOfDay(localDay(ms, timeZone), timeZone);
}

/** ISO 8601 in the zone with its offset: 2026-03-29T03:00:00+02:00. */
export function formatLocal(ms: number, timeZone: string): string {
  const p = parts(ms, timeZone);
  const off = Math.round(offsetAt(ms, timeZone) / 60_000);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return (
    `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` +
    `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`
  );
}

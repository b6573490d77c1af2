/**
 * Input checks that run before the catalog touches the database, so that bad input gets a precise
 * one-line error and never a half-written transaction or a raw SQL message.
 */
import { CatalogError } from './errors.js';
import { normalizeV1, normalizeV2 } from './info-hash.js';
import { checkLanguageTag } from '../protocol/language-tag.js';
import { checkSlug, slugify } from './slug.js';
import type {
  MediaCodecs,
  MediaFileInput,
  PublishEpisodeInput,
  Rights,
  SeriesInput,
  SubtitleInput,
  TorrentInput,
} from './types.js';

export function positiveInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new CatalogError('invalid-number', `${what} must be a positive whole number, not ${String(value)}`);
  }
  return value;
}

function sizeInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new CatalogError('invalid-number', `${what} must be a whole number of bytes, not ${String(value)}`);
  }
  return value;
}

/**
 * The bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069). One of
 * them in a name makes the text after it display in another order than it is written ("U+202E
 * txt.exe" reads as "exe.txt"), so a credit or title could show something other than what it says;
 * no title, name or description needs them (the page's own direction handling does the rest).
 */
export const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;

function noBidiControls(t: string, what: string): string {
  const c = BIDI_CONTROL.exec(t)?.[0];
  if (c !== undefined)
    throw new CatalogError(
      'invalid-input',
      `${what} contains the bidirectional control character U+${c.charCodeAt(0).toString(16).toUpperCase()}, ` +
        'which makes text display in another order than it is written: remove it',
    );
  return t;
}

export function text(value: string, what: string): string {
  const t = typeof value === 'string' ? value.trim() : '';
  if (t === '') throw new CatalogError('invalid-input', `${what} is empty`);
  if (/[\r\n]/.test(t)) throw new CatalogError('invalid-input', `${what} must be one line`);
  return noBidiControls(t, what);
}

export function optionalText(value: string | undefined, what: string): string | null {
  if (value === undefined) return null;
  const t = value.trim();
  return t === '' ? null : noBidiControls(t, what);
}

export function validDate(value: Date, what: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new CatalogError('invalid-window', `${what} is not a valid time`);
  }
  return value;
}

// SPDX ids ("CC-BY-4.0", "LicenseRef-nrk-1") and fjord's "all-rights-reserved" all fit this.
const LICENCE = /^[A-Za-z0-9][A-Za-z0-9.+-]*$/;

export function checkRights(rights: Rights): Rights {
  const licence = text(rights.licence, 'licence');
  if (!LICENCE.test(licence)) {
    throw new CatalogError(
      'invalid-input',
      `bad licence id "${licence}": use e.g. CC-BY-4.0 or all-rights-reserved`,
    );
  }
  if (typeof rights.clearedWorldwide !== 'boolean') {
    throw new CatalogError('invalid-input', 'clearedWorldwide must be true or false');
  }
  const from = validDate(rights.availableFrom, 'available-from');
  const until = rights.availableUntil === null ? null : validDate(rights.availableUntil, 'available-until');
  if (until !== null && until.getTime() <= from.getTime()) {
    throw new CatalogError(
      'invalid-window',
      `rights window ends (${until.toISOString()}) before it starts (${from.toISOString()})`,
    );
  }
  const holders = rights.holders.map((h, i) => text(h, `rights holder ${i + 1}`));
  return {
    licence,
    holders,
    clearedWorldwide: rights.clearedWorldwide,
    availableFrom: from,
    availableUntil: until,
  };
}

/**
 * Paths are stored relative to the data directory and later joined onto it by the web seed, so a
 * path that could climb out of it ("..", absolute, backslashes on Windows) is refused here already.
 */
export function checkRelativePath(path: string, what: string): string {
  const segments = path.split('/');
  if (
    path === '' ||
    path.includes('\\') ||
    path.includes('\0') ||
    segments.some((s) => s === '' || s === '.' || s === '..')
  ) {
    throw new CatalogError(
      'invalid-path',
      `bad ${what} path "${path}": must be relative, '/'-separated, without "." or ".."`,
    );
  }
  return path;
}

/**
 * A subtitle language: a BCP 47 tag registered in the IANA language subtag registry (see
 * language.ts), returned in canonical case ("nb-no" → "nb-NO"). A refusal names the tag that was
 * probably meant ("norsk" → no, nb, nn; "nb_NO" → nb-NO).
 */
export function checkLanguage(tag: string): string {
  const c = checkLanguageTag(tag);
  if (c.ok) return c.tag;
  const hint = c.suggestions.length > 0 ? `; did you mean ${c.suggestions.join(' or ')}?` : '';
  throw new CatalogError(
    'invalid-language',
    `bad subtitle language "${tag}": ${c.reason}${hint} (need a registered BCP 47 tag such as nb or en-GB)`,
  );
}

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;
const SHA256 = /^[0-9a-f]{64}$/;

const CODEC = /^[a-z0-9][a-z0-9_.-]{0,31}$/;

function checkCodecs(c: MediaFileInput['codecs'], path: string): MediaCodecs | null {
  if (c === undefined || c === null) return null;
  const list = (v: unknown, kind: string): string[] => {
    if (!Array.isArray(v) || v.length > 16 || !v.every((x) => typeof x === 'string' && CODEC.test(x)))
      throw new CatalogError('invalid-input', `bad ${kind} codec list for ${path}`);
    return v as string[];
  };
  return { video: list(c.video, 'video'), audio: list(c.audio, 'audio') };
}

function checkMedia(m: MediaFileInput): Required<Omit<MediaFileInput, 'sha256' | 'codecs'>> & {
  sha256: string | null;
  codecs: MediaCodecs | null;
} {
  const role = m.role ?? 'video';
  if (role !== 'video') throw new CatalogError('invalid-input', `unknown media role "${String(role)}"`);
  if (!MIME.test(m.mimeType)) throw new CatalogError('invalid-input', `bad MIME type "${m.mimeType}"`);
  const sha256 = m.sha256 === undefined ? null : m.sha256.toLowerCase();
  if (sha256 !== null && !SHA256.test(sha256)) {
    throw new CatalogError('invalid-input', `bad sha256 "${m.sha256}" for ${m.path}: need 64 hex digits`);
  }
  return {
    role,
    path: checkRelativePath(m.path, 'media'),
    sizeBytes: sizeInteger(m.sizeBytes, `size of ${m.path}`),
    mimeType: m.mimeType.toLowerCase(),
    sha256,
    codecs: checkCodecs(m.codecs, m.path),
  };
}

export interface CheckedTorrent {
  infoHashV1: string | null;
  infoHashV2: string | null;
  infoHashAria2: string | null;
  path: string;
  sizeBytes: number;
  pieceLength: number;
  mode: TorrentInput['mode'];
}

export function checkTorrent(t: TorrentInput): CheckedTorrent {
  const v1 = t.infoHashV1 === undefined ? null : normalizeV1(t.infoHashV1);
  const v2 = t.infoHashV2 === undefined ? null : normalizeV2(t.infoHashV2);
  // The mode says which swarms the torrent joins; the hashes present must match it exactly.
  const expected = { v1: [true, false], v2: [false, true], hybrid: [true, true] }[t.mode];
  if (expected === undefined)
    throw new CatalogError('invalid-input', `unknown torrent mode "${String(t.mode)}"`);
  if ((v1 !== null) !== expected[0] || (v2 !== null) !== expected[1]) {
    throw new CatalogError(
      'invalid-info-hash',
      `a ${t.mode} torrent needs ${t.mode === 'hybrid' ? 'both a v1 and a v2' : `only a ${t.mode}`} info hash`,
    );
  }
  const aria2 = t.infoHashAria2 === undefined ? null : normalizeV1(t.infoHashAria2);
  // Only a hybrid torrent has one (a v1 torrent's equals its v1 hash; aria2 cannot read a v2 one).
  if (aria2 !== null && t.mode !== 'hybrid')
    throw new CatalogError(
      'invalid-info-hash',
      `only a hybrid torrent has an aria2 alias, not a ${t.mode} one`,
    );
  // BEP 52: a power of two, at least 16 KiB; fjord uses the same rule for v1 pieces.
  const pl = t.pieceLength;
  if (!Number.isSafeInteger(pl) || pl < 16384 || (pl & (pl - 1)) !== 0) {
    throw new CatalogError(
      'invalid-number',
      `piece length ${String(pl)} must be a power of two of at least 16 KiB`,
    );
  }
  return {
    infoHashV1: v1,
    infoHashV2: v2,
    infoHashAria2: aria2,
    path: checkRelativePath(t.path, 'torrent'),
    sizeBytes: sizeInteger(t.sizeBytes, 'torrent size'),
    pieceLength: pl,
    mode: t.mode,
  };
}

function checkSubtitle(s: SubtitleInput): SubtitleInput {
  if (s.kind !== 'official' && s.kind !== 'community') {
    throw new CatalogError('invalid-input', `unknown subtitle kind "${String(s.kind)}"`);
  }
  if (s.format !== 'srt' && s.format !== 'vtt') {
    throw new CatalogError('invalid-input', `unsupported subtitle format "${String(s.format)}": srt or vtt`);
  }
  return {
    language: checkLanguage(s.language),
    kind: s.kind,
    format: s.format,
    path: checkRelativePath(s.path, 'subtitle'),
  };
}

export interface CheckedSeries {
  slug: string;
  title: string;
  description: string | null;
}

export function checkSeries(s: SeriesInput): CheckedSeries {
  const title = text(s.title, 'series title');
  const slug = s.slug === undefined ? slugify(title) : checkSlug(s.slug);
  return { slug, title, description: optionalText(s.description, 'series description') };
}

export interface CheckedPublish {
  series: CheckedSeries;
  season: number;
  seasonTitle: string | null;
  episode: number;
  title: string;
  description: string | null;
  durationSeconds: number | null;
  rights: Rights;
  media: ReturnType<typeof checkMedia>[];
  torrent: CheckedTorrent;
  subtitles: SubtitleInput[];
  actor: string;
}

export function checkPublish(input: PublishEpisodeInput): CheckedPublish {
  const durationSeconds = input.durationSeconds ?? null;
  if (durationSeconds !== null && (!Number.isSafeInteger(durationSeconds) || durationSeconds < 0)) {
    throw new CatalogError(
      'invalid-number',
      `duration must be a whole number of seconds, not ${String(durationSeconds)}`,
    );
  }
  if (input.media.length === 0)
    throw new CatalogError('invalid-input', 'an episode needs at least one media file');
  return {
    series: checkSeries(input.series),
    season: positiveInteger(input.season, 'season'),
    seasonTitle: optionalText(input.seasonTitle, 'season title'),
    episode: positiveInteger(input.episode, 'episode'),
    title: text(input.title, 'episode title'),
    description: optionalText(input.description, 'description'),
    durationSeconds,
    rights: checkRights(input.rights),
    media: input.media.map(checkMedia),
    torrent: checkTorrent(input.torrent),
    subtitles: (input.subtitles ?? []).map(checkSubtitle),
    actor: text(input.actor, 'actor'),
  };
}

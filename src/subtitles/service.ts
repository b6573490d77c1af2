/**
 * Community subtitles: submissions from viewers, and what moderators do with them. The web layers
 * (src/web/subtitle-submit.ts for viewers, src/web/admin/moderation.ts for moderators) only parse
 * requests and draw pages; every rule is here.
 *
 * A submission, in order (the first failure is the answer, with a stable code and one line):
 *   before the body is read   closed (subtitleRateLimit 0), banned address, too many attempts from
 *                             the address (a flood of refused uploads), too many accepted ones
 *   the form                  honeypot filled, no such episode (or not distributable now), language
 *                             not BCP 47, no name to credit, licence not accepted, no file
 *   the file                  validateSubtitle (src/protocol/subtitles.ts): too-large, not-utf8,
 *                             unparsable, bad-markup, no-cues, bad-timing, overlapping, past-end (the
 *                             catalog's duration), duplicate-official (the episode's official files)
 * An accepted file is written twice by the library (WebVTT, SRT) under server-made names (storage.ts),
 * then one transaction records two `subtitle_files` rows (kind community, status pending), the
 * submission and an audit event, and bumps the catalog's version. The submitter gets a status link
 * holding a random token; only its SHA-256 is stored.
 *
 * Moderation: approve (pending or rejected → approved), reject with a reason (pending or approved →
 * rejected: an approved translation can be withdrawn), ban an address (its pending submissions are
 * rejected), lift a ban. Each is one transaction with its audit event and a version bump, so the
 * running site follows within a second (CatalogSync). The audience site lists, per language, the
 * newest approved version (site-data.ts); older approved ones stay in the catalog and on disk: the
 * history moderators see.
 *
 * Rate limits count per address key (address.ts: IPv4, or IPv6 /64). Accepted submissions are counted
 * in the catalog (so the limit holds across restarts and processes, and is re-checked inside the
 * write transaction, so two racing uploads cannot both pass the last slot); attempts, refused ones
 * included, are counted in memory with a looser limit, to stop a flood of bad uploads cheaply.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { auditEvent, isDistributable, writeCatalog, type Catalog, type Episode } from '../catalog/index.js';
import { BIDI_CONTROL } from '../catalog/validate.js';
import {
  DEFAULT_MAX_BYTES,
  isValidLanguageTag,
  parseSubtitle,
  toSrt,
  toWebVtt,
  validateSubtitle,
  type ParsedSubtitle,
  type SubtitleErrorCode,
} from '../protocol/subtitles.js';
import { cueTexts, diffLines, type CueDiff } from './diff.js';
import { licenceInfo, type LicenceInfo } from './licence.js';
import { rangeKey } from '../protocol/address-key.js';
import { subtitleDb, type SubtitleDb } from './schema.js';
import { CommunityFiles, episodeFolder } from './storage.js';

export type RefusalCode =
  | SubtitleErrorCode
  | 'closed'
  | 'cross-site'
  | 'form-expired'
  | 'banned'
  | 'rate-limited'
  | 'too-many-pending'
  | 'bad-request'
  | 'honeypot'
  | 'not-found'
  | 'bad-language'
  | 'bad-name'
  | 'licence-not-accepted'
  | 'no-file';

export interface Refusal {
  ok: false;
  code: RefusalCode;
  /** One line, for the person submitting. */
  reason: string;
  /** The HTTP status that goes with it. */
  status: number;
  /** For 429: seconds until a submission may succeed again. */
  retryAfter?: number;
}

export type SubmissionStatus = 'pending' | 'approved' | 'rejected';

/** What a status link shows. */
export interface SubmissionStatusView {
  id: number;
  status: SubmissionStatus;
  language: string;
  credit: string;
  licence: string;
  createdAt: Date;
  decidedAt: Date | null;
  reason: string | null;
  episode: { seriesSlug: string; seriesTitle: string; season: number; episode: number; title: string };
}

/** What moderators see of a submission. */
export interface SubmissionDetail extends SubmissionStatusView {
  episodeId: number;
  address: string;
  sourceFormat: 'srt' | 'vtt';
  cues: number;
  sizeBytes: number;
  sha256: string;
  vttPath: string;
  srtPath: string;
  decidedBy: string | null;
}

export interface Ban {
  address: string;
  reason: string;
  bannedBy: string;
  bannedAt: Date;
}

export interface Credit {
  submissionId: number;
  name: string;
  licence: string;
}

/** A version a candidate can be compared with. */
export interface DiffBase {
  /** `official`, or a submission id. */
  key: string;
  kind: 'official' | 'community';
  submission: SubmissionDetail | null;
}

export interface SubmissionInput {
  /** The episode as the request names it; looked up and checked to be distributable now. */
  seriesSlug: string;
  season: number;
  episode: number;
  language: string;
  credit: string;
  licenceAccepted: boolean;
  /** The form's field that must stay empty. */
  honeypot: string;
  file: Buffer | null;
  /** The address key (address.ts). */
  address: string;
}

export interface CommunityOptions {
  dataDir: string;
  /** The licence submitters accept (config subtitleLicence, subtitleLicenceUrl). */
  licence: string;
  licenceUrl: string | null;
  /** Accepted submissions per address per window; 0 closes submissions. */
  rateLimit: number;
  rateWindowMs: number;
  /** Submissions waiting for moderation, at most: per address key, per range (rangeKey), per episode. */
  pendingPerAddress?: number;
  pendingPerRange?: number;
  pendingPerEpisode?: number;
  /** Largest file; the 512 KiB by default. */
  maxBytes?: number;
  clock?: () => number;
  log?: (msg: string) => void;
}

export const MAX_CREDIT_CHARS = 100;
/** Defaults of the pending caps (config subtitlePendingPerAddress, ...PerRange, ...PerEpisode). */
export const DEFAULT_PENDING_PER_ADDRESS = 10;
export const DEFAULT_PENDING_PER_RANGE = 20;
export const DEFAULT_PENDING_PER_EPISODE = 50;
export const MAX_REASON_CHARS = 500;
/** Attempts (refused ones included) per address and window: this many times the accepted limit, at least 20. */
export const ATTEMPT_FACTOR = 4;
const MAX_TRACKED_ADDRESSES = 10_000;

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** One line of text: control characters and runs of whitespace become one space. */
export function oneLineText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\s]+/g, ' ').trim();
}

function refuse(code: RefusalCode, reason: string, status: number, retryAfter?: number): Refusal {
  return retryAfter === undefined
    ? { ok: false, code, reason, status }
    : { ok: false, code, reason, status, retryAfter };
}

export class CommunitySubtitles {
  readonly licence: LicenceInfo;
  readonly maxBytes: number;
  private readonly files: CommunityFiles;
  private readonly clock: () => number;
  private readonly log: (msg: string) => void;
  private readonly attempts = new Map<string, number[]>();
  private credits = new Map<string, Credit>();

  constructor(
    private readonly catalog: Catalog,
    private readonly o: CommunityOptions,
  ) {
    this.licence = licenceInfo(o.licence, o.licenceUrl);
    this.maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
    this.files = new CommunityFiles(o.dataDir);
    this.clock = o.clock ?? Date.now;
    this.log = o.log ?? (() => {});
  }

  get open(): boolean {
    return this.o.rateLimit > 0;
  }

  private get db(): SubtitleDb {
    return subtitleDb(this.catalog.backend.db);
  }

  private write<T>(fn: (db: SubtitleDb, now: number) => Promise<T>): Promise<T> {
    const now = this.clock();
    // Every catalog write bumps the version (docs/catalog.md): the running site re-reads, and on
    // PostgreSQL this row lock makes writers take turns (the rate limit's re-count relies on it).
    return writeCatalog(this.catalog.backend, (trx) => fn(subtitleDb(trx), now));
  }

  private async audit(
    db: SubtitleDb,
    at: number,
    actor: string,
    action: string,
    subject: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await auditEvent(db, { at, actor, action, subject, details });
  }

  // ---- submitting ----

  /**
   * The checks made before a submission's body is read: submissions closed, a banned address, too
   * many attempts or accepted submissions from it. Counts this attempt. Null: go ahead.
   */
  async admit(address: string): Promise<Refusal | null> {
    if (!this.open) return refuse('closed', 'this site does not take subtitle submissions', 403);
    if (await this.isBanned(address))
      return refuse('banned', 'submissions from your address are not accepted', 403);
    const now = this.clock();
    const window = this.o.rateWindowMs;
    const recent = (this.attempts.get(address) ?? []).filter((t) => now - t < window);
    const maxAttempts = Math.max(20, ATTEMPT_FACTOR * this.o.rateLimit);
    if (recent.length >= maxAttempts) {
      this.attempts.set(address, recent);
      return this.tooMany(recent[0] + window - now);
    }
    recent.push(now);
    this.attempts.delete(address); // re-inserted last: the map's order is least recently used first
    this.attempts.set(address, recent);
    if (this.attempts.size > MAX_TRACKED_ADDRESSES) {
      const oldest = this.attempts.keys().next().value;
      if (oldest !== undefined) this.attempts.delete(oldest);
    }
    const accepted = await this.acceptedSince(this.db, address, now - window);
    if (accepted.count >= this.o.rateLimit) return this.tooMany((accepted.oldest ?? now) + window - now);
    return this.pendingRefusal(this.db, address, null);
  }

  /**
   * The caps on submissions waiting for moderation, so that a network cannot bury the queue (and
   * the disk) faster than moderators read it: per address key, per range (an IPv4 /24 or IPv6 /48:
   * many addresses of one network count together) and, when known, per episode. Null: under them.
   */
  private async pendingRefusal(
    db: SubtitleDb,
    address: string,
    episodeId: number | null,
  ): Promise<Refusal | null> {
    const pending = () =>
      db
        .selectFrom('subtitle_submissions as s')
        .innerJoin('subtitle_files as f', 'f.id', 's.vtt_file_id')
        .where('f.status', '=', 'pending');
    const count = async (q: ReturnType<typeof pending>): Promise<number> =>
      Number((await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst())?.n ?? 0);
    const later = 'try again once moderators have reviewed them';
    const perAddress = this.o.pendingPerAddress ?? DEFAULT_PENDING_PER_ADDRESS;
    if ((await count(pending().where('s.address', '=', address))) >= perAddress)
      return refuse(
        'too-many-pending',
        `${perAddress} submissions from your address are already waiting for moderation; ${later}`,
        429,
      );
    // Keys of one range share a textual prefix wider than the range (IPv4 "a.b.c.", IPv6 its first
    // group); the exact range is then decided here, over the few pending rows that match it.
    const range = rangeKey(address);
    const prefix = /^\d+\.\d+\.\d+\./.exec(address)?.[0] ?? /^[0-9a-f]+:/.exec(address)?.[0];
    const near = await pending()
      .select('s.address')
      .where('s.address', prefix === undefined ? '=' : 'like', prefix === undefined ? address : `${prefix}%`)
      .execute();
    const perRange = this.o.pendingPerRange ?? DEFAULT_PENDING_PER_RANGE;
    if (near.filter((r) => rangeKey(r.address) === range).length >= perRange)
      return refuse(
        'too-many-pending',
        `${perRange} submissions from your network (${range}) are already waiting for moderation; ${later}`,
        429,
      );
    const perEpisode = this.o.pendingPerEpisode ?? DEFAULT_PENDING_PER_EPISODE;
    if (episodeId !== null && (await count(pending().where('s.episode_id', '=', episodeId))) >= perEpisode)
      return refuse(
        'too-many-pending',
        `${perEpisode} submissions for this episode are already waiting for moderation; ${later}`,
        429,
      );
    return null;
  }

  private tooMany(waitMs: number): Refusal {
    const minutes = Math.max(1, Math.ceil(waitMs / 60_000));
    return refuse(
      'rate-limited',
      `too many submissions from your address; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`,
      429,
      Math.max(1, Math.ceil(waitMs / 1000)),
    );
  }

  private async acceptedSince(
    db: SubtitleDb,
    address: string,
    since: number,
  ): Promise<{ count: number; oldest: number | null }> {
    const row = await db
      .selectFrom('subtitle_submissions')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')])
      .where('address', '=', address)
      .where('created_at', '>', since)
      .executeTakeFirst();
    return { count: Number(row?.n ?? 0), oldest: row?.oldest == null ? null : Number(row.oldest) };
  }

  private async isBanned(address: string, db: SubtitleDb = this.db): Promise<boolean> {
    const row = await db
      .selectFrom('subtitle_bans')
      .select('address')
      .where('address', '=', address)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The episode if it exists and is distributable now. */
  async findEpisode(seriesSlug: string, season: number, episode: number): Promise<Episode | null> {
    if (!Number.isSafeInteger(season) || !Number.isSafeInteger(episode) || season < 1 || episode < 1)
      return null;
    const e = await this.catalog.getEpisode(seriesSlug, season, episode);
    if (e === null || !isDistributable(e.rights, e.withdrawnAt, new Date(this.clock()))) return null;
    return e;
  }

  /** Checks and records a submission (admit() first). */
  async submit(input: SubmissionInput): Promise<{ ok: true; id: number; token: string } | Refusal> {
    if (input.honeypot.trim() !== '')
      return refuse(
        'honeypot',
        'the form was filled in by a program (a field people cannot see was not empty)',
        400,
      );
    const episode = await this.findEpisode(input.seriesSlug, input.season, input.episode);
    if (episode === null) return refuse('not-found', 'there is no such episode available now', 404);
    const rawLanguage = input.language.trim();
    const language = rawLanguage.length > 35 ? null : isValidLanguageTag(rawLanguage);
    if (language === null)
      return refuse(
        'bad-language',
        rawLanguage === ''
          ? 'choose the language of the subtitles (a BCP 47 tag such as en, de, se or pt-BR)'
          : `"${oneLineText(rawLanguage).slice(0, 35)}" is not a BCP 47 language tag (e.g. en, de, se, pt-BR)`,
        422,
      );
    const credit = oneLineText(input.credit);
    if (BIDI_CONTROL.test(credit))
      return refuse(
        'bad-name',
        'the name to credit contains a character that reverses or reorders text (U+202A-U+202E, U+2066-U+2069)',
        422,
      );
    if (credit === '' || Array.from(credit).length > MAX_CREDIT_CHARS)
      return refuse(
        'bad-name',
        credit === ''
          ? 'give the name to credit for the translation'
          : `the name to credit is longer than ${MAX_CREDIT_CHARS} characters`,
        422,
      );
    if (!input.licenceAccepted)
      return refuse(
        'licence-not-accepted',
        `the translation can only be published under ${this.licence.name}: accept the licence to submit it`,
        422,
      );
    if (input.file === null || input.file.length === 0)
      return refuse('no-file', 'choose a subtitle file (SRT or WebVTT)', 422);
    const crowded = await this.pendingRefusal(this.db, input.address, episode.id);
    if (crowded !== null) return crowded;

    const official = await this.officialTexts(episode);
    const v = validateSubtitle(input.file, {
      maxBytes: this.maxBytes,
      officialText: official,
      ...(episode.durationSeconds === null ? {} : { durationMs: episode.durationSeconds * 1000 }),
    });
    if (!v.ok) return refuse(v.code, v.reason, v.code === 'too-large' ? 413 : 422);

    // What is stored is bounded as the upload is: WebVTT escapes & < > (`&amp;` is five bytes for
    // one), so 512 KiB of ampersands would otherwise be 2.5 MB on disk.
    const vtt = Buffer.from(toWebVtt(v.parsed), 'utf8');
    const srt = Buffer.from(toSrt(v.parsed), 'utf8');
    if (Math.max(vtt.length, srt.length) > this.maxBytes)
      return refuse(
        'too-large',
        `converted to WebVTT the file would be larger than the limit of ${Math.round(this.maxBytes / 1024)} KiB ` +
          '(each &, < and > takes several bytes there): make it smaller',
        413,
      );
    const folder = episodeFolder(episode.seriesSlug, episode.season, episode.episode);
    const pair = await this.files.write(folder, language, { vtt, srt });
    const token = randomBytes(32).toString('base64url');
    try {
      const result = await this.write(async (db, now) => {
        // Again inside the transaction: two uploads racing for the last slot, or a ban meanwhile.
        if (await this.isBanned(input.address, db))
          return refuse('banned', 'submissions from your address are not accepted', 403);
        const accepted = await this.acceptedSince(db, input.address, now - this.o.rateWindowMs);
        if (accepted.count >= this.o.rateLimit)
          return this.tooMany((accepted.oldest ?? now) + this.o.rateWindowMs - now);
        const crowdedNow = await this.pendingRefusal(db, input.address, episode.id);
        if (crowdedNow !== null) return crowdedNow;
        const fileRow = (format: 'vtt' | 'srt', path: string) =>
          db
            .insertInto('subtitle_files')
            .values({
              episode_id: episode.id,
              language,
              kind: 'community',
              format,
              path,
              status: 'pending',
              created_at: now,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
        const vttRow = await fileRow('vtt', pair.vtt);
        const srtRow = await fileRow('srt', pair.srt);
        const row = await db
          .insertInto('subtitle_submissions')
          .values({
            episode_id: episode.id,
            language,
            credit,
            licence: this.licence.id,
            token_hash: sha256(token),
            address: input.address,
            source_format: v.parsed.format,
            cues: v.parsed.cues.length,
            size_bytes: input.file?.length ?? 0,
            sha256: sha256(input.file ?? Buffer.alloc(0)),
            vtt_file_id: Number(vttRow.id),
            srt_file_id: Number(srtRow.id),
            vtt_path: pair.vtt,
            srt_path: pair.srt,
            created_at: now,
            decided_at: null,
            decided_by: null,
            reason: null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const id = Number(row.id);
        await this.audit(db, now, 'public', 'subtitle.submit', `subtitle:${id}`, {
          episodeId: episode.id,
          language,
          credit,
          address: input.address,
          cues: v.parsed.cues.length,
          format: v.parsed.format,
        });
        return { ok: true as const, id, token };
      });
      if (!result.ok) await Promise.all([this.files.remove(pair.vtt), this.files.remove(pair.srt)]);
      return result;
    } catch (e) {
      await Promise.all([this.files.remove(pair.vtt), this.files.remove(pair.srt)]);
      throw e;
    }
  }

  /** The official subtitles' bytes, one file per language (a copy of one is refused). */
  private async officialTexts(e: Episode): Promise<Uint8Array[]> {
    const byLanguage = new Map<string, string>();
    for (const s of e.subtitles)
      if (s.kind === 'official' && (s.format === 'vtt' || !byLanguage.has(s.language)))
        byLanguage.set(s.language, s.path);
    const out: Uint8Array[] = [];
    for (const path of byLanguage.values()) {
      try {
        out.push(await readFile(join(this.o.dataDir, path)));
      } catch (err) {
        this.log(
          `subtitles: cannot read official ${path}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    return out;
  }

  /** What the status link shows, or null for an unknown token. */
  async statusByToken(token: string): Promise<SubmissionStatusView | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
    const [d] = await this.details((q) => q.where('s.token_hash', '=', sha256(token)));
    if (d === undefined) return null;
    return {
      id: d.id,
      status: d.status,
      language: d.language,
      credit: d.credit,
      licence: d.licence,
      createdAt: d.createdAt,
      decidedAt: d.decidedAt,
      reason: d.reason,
      episode: d.episode,
    };
  }

  // ---- moderating ----

  private details(
    filter: (q: ReturnType<CommunitySubtitles['baseQuery']>) => ReturnType<CommunitySubtitles['baseQuery']>,
  ): Promise<SubmissionDetail[]> {
    return filter(this.baseQuery())
      .execute()
      .then((rows) =>
        rows.map((r): SubmissionDetail => ({
          id: Number(r.id),
          episodeId: Number(r.episode_id),
          status: (r.status ?? 'pending') as SubmissionStatus,
          language: r.language,
          credit: r.credit,
          licence: r.licence,
          address: r.address,
          sourceFormat: r.source_format === 'vtt' ? 'vtt' : 'srt',
          cues: Number(r.cues),
          sizeBytes: Number(r.size_bytes),
          sha256: r.sha256,
          vttPath: r.vtt_path,
          srtPath: r.srt_path,
          createdAt: new Date(Number(r.created_at)),
          decidedAt: r.decided_at === null ? null : new Date(Number(r.decided_at)),
          decidedBy: r.decided_by,
          reason: r.reason,
          episode: {
            seriesSlug: r.series_slug,
            seriesTitle: r.series_title,
            season: Number(r.season_number),
            episode: Number(r.episode_number),
            title: r.episode_title,
          },
        })),
      );
  }

  private baseQuery() {
    return this.db
      .selectFrom('subtitle_submissions as s')
      .innerJoin('subtitle_files as f', 'f.id', 's.vtt_file_id')
      .innerJoin('episodes as e', 'e.id', 's.episode_id')
      .innerJoin('series as r', 'r.id', 'e.series_id')
      .select([
        's.id',
        's.episode_id',
        'f.status',
        's.language',
        's.credit',
        's.licence',
        's.address',
        's.source_format',
        's.cues',
        's.size_bytes',
        's.sha256',
        's.vtt_path',
        's.srt_path',
        's.created_at',
        's.decided_at',
        's.decided_by',
        's.reason',
        'r.slug as series_slug',
        'r.title as series_title',
        'e.season_number',
        'e.episode_number',
        'e.title as episode_title',
      ]);
  }

  /** Pending submissions, oldest first (the queue). */
  queue(limit = 200): Promise<SubmissionDetail[]> {
    return this.details((q) => q.where('f.status', '=', 'pending').orderBy('s.id').limit(limit));
  }

  /** The last decisions, newest first. */
  recentDecisions(limit = 20): Promise<SubmissionDetail[]> {
    return this.details((q) =>
      q
        .where('s.decided_at', 'is not', null)
        .orderBy('s.decided_at', 'desc')
        .orderBy('s.id', 'desc')
        .limit(limit),
    );
  }

  async get(id: number): Promise<SubmissionDetail | null> {
    if (!Number.isSafeInteger(id) || id < 1) return null;
    const [d] = await this.details((q) => q.where('s.id', '=', id));
    return d ?? null;
  }

  /** Every submission of one language of one episode, oldest first: the history. */
  versions(episodeId: number, language: string): Promise<SubmissionDetail[]> {
    return this.details((q) =>
      q.where('s.episode_id', '=', episodeId).where('s.language', '=', language).orderBy('s.id'),
    );
  }

  async episodeOf(d: SubmissionDetail): Promise<Episode | null> {
    return this.catalog.getEpisodeById(d.episodeId);
  }

  /** The candidate's WebVTT file on disk (moderators preview it). */
  candidatePath(d: SubmissionDetail): string {
    return this.files.absolute(d.vttPath);
  }

  approve(id: number, actor: string): Promise<SubmissionDetail> {
    return this.decide(id, actor, 'approved', null);
  }

  reject(id: number, actor: string, reason: string): Promise<SubmissionDetail> {
    return this.decide(id, actor, 'rejected', reason);
  }

  private async decide(
    id: number,
    actor: string,
    to: 'approved' | 'rejected',
    reasonText: string | null,
  ): Promise<SubmissionDetail> {
    const reason = reasonText === null ? null : oneLineText(reasonText).slice(0, MAX_REASON_CHARS);
    if (reason === '') throw new ModerationError('reason-required', 'give a reason for the rejection');
    const before = await this.get(id);
    if (before === null) throw new ModerationError('not-found', `no submission ${id}`);
    await this.write(async (db, now) => {
      const changed = await this.setStatus(db, now, before, to, actor, reason);
      if (!changed) throw new ModerationError('unchanged', `submission ${id} is ${before.status} already`);
    });
    await this.refreshCredits();
    return (await this.get(id)) as SubmissionDetail;
  }

  /** One decision inside a transaction; false when the submission already has that status. */
  private async setStatus(
    db: SubtitleDb,
    now: number,
    d: SubmissionDetail,
    to: 'approved' | 'rejected',
    actor: string,
    reason: string | null,
  ): Promise<boolean> {
    const current = await db
      .selectFrom('subtitle_submissions as s')
      .innerJoin('subtitle_files as f', 'f.id', 's.vtt_file_id')
      .select(['f.status', 's.vtt_file_id', 's.srt_file_id'])
      .where('s.id', '=', d.id)
      .executeTakeFirstOrThrow();
    if (current.status === to) return false;
    await db
      .updateTable('subtitle_files')
      .set({ status: to })
      .where('id', 'in', [Number(current.vtt_file_id), Number(current.srt_file_id)])
      .execute();
    await db
      .updateTable('subtitle_submissions')
      .set({ decided_at: now, decided_by: actor, reason })
      .where('id', '=', d.id)
      .execute();
    await this.audit(
      db,
      now,
      actor,
      to === 'approved' ? 'subtitle.approve' : 'subtitle.reject',
      `subtitle:${d.id}`,
      {
        episodeId: d.episodeId,
        language: d.language,
        from: current.status,
        reason,
      },
    );
    return true;
  }

  /**
   * Bans an address key from submitting and rejects its pending submissions (`spam` and the reason).
   * Returns the ids rejected.
   */
  async ban(address: string, actor: string, reasonText: string): Promise<number[]> {
    const reason = oneLineText(reasonText).slice(0, MAX_REASON_CHARS) || 'spam';
    const pending = await this.details((q) =>
      q.where('s.address', '=', address).where('f.status', '=', 'pending').orderBy('s.id'),
    );
    const rejected: number[] = [];
    await this.write(async (db, now) => {
      await db
        .insertInto('subtitle_bans')
        .values({ address, reason, banned_by: actor, banned_at: now })
        .onConflict((oc) => oc.column('address').doUpdateSet({ reason, banned_by: actor, banned_at: now }))
        .execute();
      for (const d of pending)
        if (await this.setStatus(db, now, d, 'rejected', actor, `address banned: ${reason}`))
          rejected.push(d.id);
      await this.audit(db, now, actor, 'subtitle.ban', `address:${address}`, { reason, rejected });
    });
    await this.refreshCredits();
    return rejected;
  }

  async unban(address: string, actor: string): Promise<boolean> {
    return this.write(async (db, now) => {
      const r = await db.deleteFrom('subtitle_bans').where('address', '=', address).executeTakeFirst();
      if (Number(r.numDeletedRows) === 0) return false;
      await this.audit(db, now, actor, 'subtitle.unban', `address:${address}`, {});
      return true;
    });
  }

  async bans(): Promise<Ban[]> {
    const rows = await this.db.selectFrom('subtitle_bans').selectAll().orderBy('banned_at', 'desc').execute();
    return rows.map((r) => ({
      address: r.address,
      reason: r.reason,
      bannedBy: r.banned_by,
      bannedAt: new Date(Number(r.banned_at)),
    }));
  }

  /**
   * The versions a candidate can be compared with (the official subtitle of its language, earlier
   * submissions of it), and the default: the newest earlier approved one, else the official one,
   * else the newest earlier submission.
   */
  async diffBases(
    d: SubmissionDetail,
    episode: Episode | null,
  ): Promise<{ bases: DiffBase[]; default: string | null }> {
    const bases: DiffBase[] = [];
    const official = episode?.subtitles.find(
      (s) => s.kind === 'official' && s.format === 'vtt' && s.language === d.language,
    );
    if (official) bases.push({ key: 'official', kind: 'official', submission: null });
    const earlier = (await this.versions(d.episodeId, d.language)).filter((v) => v.id < d.id).reverse();
    for (const v of earlier) bases.push({ key: String(v.id), kind: 'community', submission: v });
    const approved = earlier.find((v) => v.status === 'approved');
    const def = approved
      ? String(approved.id)
      : official
        ? 'official'
        : earlier[0]
          ? String(earlier[0].id)
          : null;
    return { bases, default: def };
  }

  /** The diff of a candidate against one of its bases (null when that base cannot be read). */
  async diff(d: SubmissionDetail, base: DiffBase, episode: Episode | null): Promise<CueDiff | null> {
    const basePath =
      base.kind === 'official'
        ? episode?.subtitles.find(
            (s) => s.kind === 'official' && s.format === 'vtt' && s.language === d.language,
          )?.path
        : base.submission?.vttPath;
    if (basePath === undefined) return null;
    const [mine, theirs] = await Promise.all([this.readParsed(d.vttPath), this.readParsed(basePath)]);
    if (mine === null || theirs === null) return null;
    return diffLines(cueTexts(theirs), cueTexts(mine));
  }

  /** Every cue of a candidate as "added", for one with no earlier version to compare with. */
  async diffAgainstNothing(d: SubmissionDetail): Promise<CueDiff | null> {
    const mine = await this.readParsed(d.vttPath);
    return mine === null ? null : diffLines([], cueTexts(mine));
  }

  private async readParsed(path: string): Promise<ParsedSubtitle | null> {
    try {
      const r = parseSubtitle(await readFile(join(this.o.dataDir, path)));
      return r.ok ? r.parsed : null;
    } catch {
      return null;
    }
  }

  // ---- credits for the audience site ----

  /** Credit and licence of an approved community subtitle, by its catalog path (.vtt or .srt). */
  credit(path: string): Credit | undefined {
    return this.credits.get(path);
  }

  /** Re-reads the approved submissions' credits (after a decision, and on every catalog snapshot). */
  async refreshCredits(): Promise<void> {
    const rows = await this.db
      .selectFrom('subtitle_submissions as s')
      .innerJoin('subtitle_files as f', 'f.id', 's.vtt_file_id')
      .select(['s.id', 's.credit', 's.licence', 's.vtt_path', 's.srt_path'])
      .where('f.status', '=', 'approved')
      .execute();
    const next = new Map<string, Credit>();
    for (const r of rows) {
      const c = { submissionId: Number(r.id), name: r.credit, licence: r.licence };
      next.set(r.vtt_path, c);
      next.set(r.srt_path, c);
    }
    this.credits = next;
  }
}

export class ModerationError extends Error {
  constructor(
    readonly code: 'not-found' | 'unchanged' | 'reason-required',
    message: string,
  ) {
    super(message);
  }
}

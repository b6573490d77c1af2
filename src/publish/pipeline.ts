/**
 * Publishing one episode: media file (and subtitles) in, a distributable episode out.
 *
 *   check the input          numbers, times, files, the series, duplicates      (nothing written yet)
 *   probe the media          ffprobe must read a video stream (refused without ffprobe unless the
 *                            probe is skipped); codecs recorded, duration for the subtitle check
 *   check the subtitles      UTF-8, parsable, no cue past the end → SRT and WebVTT bytes
 *   stage                    DATA/.staging/<id>/<name>/ = the video (copied or hard-linked) + SRTs
 *   hash                     createTorrent over the staged folder (workers; progress bar)
 *   move into place          media/, subtitles/, torrents/ (journaled: see media-store.ts)
 *   commit                   catalog.publishEpisode: one transaction, all rows or none
 *
 * Any error before the commit leaves the catalog as it was and removes every file this run made; the
 * catalog write is last, so a crash at any point leaves at most files that no catalog row names
 * (never served), which the next publication removes (recoverStaging).
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, constants } from 'node:fs';
import { access, link, mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CatalogError,
  isDistributable,
  slugify,
  type Catalog,
  type Episode,
  type Series,
} from '../catalog/index.js';
import { checkLanguage, checkRights } from '../catalog/validate.js';
import { closest } from '../protocol/suggest.js';
import { createTorrent, type CreatedTorrent, type TorrentMode } from './torrent/index.js';
import { episodeLayout, recoverStaging, Staging, webSeedUrl, type EpisodeLayout } from './media-store.js';
import { probeMedia, unplayableInBrowsers } from './probe.js';
import { chooseStillTime, grabFrame } from './still.js';
import { artworkName, checkImage } from './images.js';
import { convertSubtitle, OFFICIAL_MAX_BYTES } from './subtitles.js';

/** Container types a broadcaster publishes, by extension; the MIME type goes to the catalog and the web seed. */
export const MEDIA_TYPES: Record<string, string> = {
  '.mkv': 'video/x-matroska',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.ts': 'video/mp2t',
  '.ogv': 'video/ogg',
  '.mpg': 'video/mpeg',
  '.mpeg': 'video/mpeg',
  '.avi': 'video/x-msvideo',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.flac': 'audio/flac',
};

export interface SubtitleArg {
  lang: string;
  file: string;
}

export interface PublishRequest {
  /** Absolute. */
  dataDir: string;
  /** Called once the input has passed every check that needs no catalog; closed by the run. */
  openCatalog: () => Promise<Catalog>;
  file: string;
  /** A series' title or slug. */
  series: string;
  /** Create the series when no series has that slug (otherwise an unknown series is an error). */
  newSeries: boolean;
  season: number;
  episode: number;
  title: string;
  description?: string;
  subtitles: SubtitleArg[];
  licence: string;
  holders: string[];
  cleared: boolean;
  /** Default: now. */
  availableFrom?: Date;
  availableUntil?: Date | null;
  mode: TorrentMode;
  /** Hard-link the media into the store instead of copying (falls back to a copy across filesystems). */
  link: boolean;
  trackers: string[];
  webUrl: string;
  actor: string;
  ffprobe?: string;
  /**
   * false: do not run ffprobe (`--no-probe`): the file is published without checking that it is
   * media, no codecs are recorded and the subtitle end check is skipped. Default: probe, and refuse
   * a file ffprobe cannot read, one without a video stream, or any file when ffprobe is missing.
   */
  probe?: boolean;
  /** ffmpeg, for the episode's still image (made when the video was probed; see still.ts). */
  ffmpeg?: string;
  onProgress?: (done: number, total: number) => void;
  /** Called as the pipeline enters each phase; tests use it to fail or stop at a chosen point. */
  onPhase?: (phase: Phase) => void | Promise<void>;
  now?: () => Date;
}

export type Phase = 'checked' | 'staged' | 'hashed' | 'torrent-written' | 'moved' | 'committed';

export interface PublishResult {
  episode: Episode;
  layout: EpisodeLayout;
  torrent: CreatedTorrent;
  /** Things the user should know that are not errors (duration check skipped, not distributed...). */
  notes: string[];
  /** How the media got into the store. */
  stored: 'copied' | 'linked';
}

/** A one-line refusal naming the problem; the CLI prints it and exits non-zero. */
export class PublishError extends Error {
  override readonly name = 'PublishError';
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a folder, not a file';
  return err instanceof Error ? err.message : String(err);
}

/** Checks that `path` is a regular file this process can read (open and read one byte). */
async function readableFile(path: string, what: string): Promise<number> {
  let size: number;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new PublishError(`${what} ${path} is a folder, not a file`);
    if (!st.isFile()) throw new PublishError(`${what} ${path} is not a regular file`);
    size = st.size;
    await access(path, constants.R_OK);
    const fh = await open(path, 'r');
    try {
      await fh.read(Buffer.alloc(1), 0, 1, 0);
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof PublishError) throw err;
    throw new PublishError(`cannot read ${what} ${path}: ${describeFsError(err)}`);
  }
  return size;
}

/** Finds the series by slug (the name as given, or slugified); a new one only when asked for. */
async function resolveSeries(
  catalog: Catalog,
  name: string,
  create: boolean,
): Promise<{ slug: string; title: string; existing: Series | null }> {
  const trimmed = name.trim();
  if (trimmed === '') throw new PublishError('--series is empty');
  const bySlug = /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(trimmed) ? await catalog.getSeriesBySlug(trimmed) : null;
  if (bySlug) return { slug: bySlug.slug, title: bySlug.title, existing: bySlug };
  const slug = slugify(trimmed);
  const found = await catalog.getSeriesBySlug(slug);
  if (found) return { slug: found.slug, title: found.title, existing: found };
  if (!create)
    throw new PublishError(
      `unknown series "${trimmed}": no series "${slug}" in the catalog${await seriesHint(catalog, trimmed)}; add --new-series to create it`,
    );
  return { slug, title: trimmed, existing: null };
}

/**
 * " (did you mean skjaergardsliv?)" for a mistyped series (closest slug or title, by edit distance
 * on the slugified name), else " (known: a, b, ...)", else "".
 */
export async function seriesHint(catalog: Catalog, name: string): Promise<string> {
  const all = await catalog.listSeries();
  if (all.length === 0) return '';
  let key = name.toLowerCase();
  try {
    key = slugify(name);
  } catch {
    // not slugifiable ("!!!"): compare as typed
  }
  const near = closest(
    key,
    all.map((s) => s.slug),
  );
  if (near.length > 0) return ` (did you mean ${near.join(' or ')}?)`;
  const known = all.map((s) => s.slug);
  return ` (known: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', ...' : ''})`;
}

/** Copies src to dst (which must not exist) computing its SHA-256 on the way; flat memory. */
async function copyWithHash(src: string, dst: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(
    createReadStream(src, { highWaterMark: 1 << 20 }),
    new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    }),
    createWriteStream(dst, { flags: 'wx' }),
  );
  return hash.digest('hex');
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes a small file and flushes it to disk: it must survive a power cut once the catalog names it. */
async function writeDurable(path: string, data: Buffer): Promise<void> {
  await writeFile(path, data, { flag: 'wx' });
  await syncPath(path);
}

async function syncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** One publication. `abortNow` lets a signal handler stop it synchronously while that is still safe. */
export class Publication {
  private staging: Staging | null = null;
  private phase: Phase | 'starting' | 'moving' = 'starting';

  constructor(private readonly req: PublishRequest) {}

  /**
   * Stops at once if nothing has been moved into the store yet: removes the staging folder and
   * returns true (the caller exits). Returns false once moving has begun: the run finishes or rolls
   * itself back, which takes milliseconds, and the caller exits after it.
   */
  abortNow(): boolean {
    if (this.phase === 'moving' || this.phase === 'moved' || this.phase === 'committed') return false;
    this.staging?.discardSync();
    return true;
  }

  private async enter(phase: Phase): Promise<void> {
    this.phase = phase;
    await this.req.onPhase?.(phase);
  }

  async run(): Promise<PublishResult> {
    const r = this.req;
    const now = r.now ?? (() => new Date());
    const notes: string[] = [];

    // ---- check everything that needs no catalog ----
    const ext = extname(r.file).toLowerCase();
    const mimeType = MEDIA_TYPES[ext];
    if (mimeType === undefined)
      throw new PublishError(
        `${r.file}: unsupported media type "${ext || '(no extension)'}" (use ${Object.keys(MEDIA_TYPES).join(', ')})`,
      );
    const title = r.title.trim();
    if (title === '') throw new PublishError('--title is empty');
    if (/[\r\n]/.test(title)) throw new PublishError('--title must be one line');
    const size = await readableFile(r.file, 'media file');
    if (size === 0) throw new PublishError(`media file ${r.file} is empty`);
    const langs = new Set<string>();
    const subtitleInputs: Array<{ lang: string; file: string; data: Buffer }> = [];
    for (const s of r.subtitles) {
      let lang: string;
      try {
        lang = checkLanguage(s.lang);
      } catch (err) {
        throw new PublishError(err instanceof Error ? err.message : String(err));
      }
      if (langs.has(lang)) throw new PublishError(`two --subtitle files for language ${lang}`);
      langs.add(lang);
      const subSize = await readableFile(s.file, `subtitle file (${lang})`);
      // Refused before reading it all; the library gives the same reason for smaller limits.
      if (subSize > OFFICIAL_MAX_BYTES)
        throw new PublishError(
          `subtitle file (${lang}) ${s.file} is ${subSize} bytes: too big for subtitles`,
        );
      subtitleInputs.push({ lang, file: s.file, data: await readFile(s.file) });
    }
    const from = r.availableFrom ?? now();
    const until = r.availableUntil ?? null;
    if (until !== null && until.getTime() <= from.getTime())
      throw new PublishError(
        `the availability window ends (${formatTime(until)}) before it starts (${formatTime(from)})`,
      );
    // The catalog's own rules for rights (licence id, holders), applied now rather than after hashing.
    try {
      checkRights({
        licence: r.licence,
        holders: r.holders,
        clearedWorldwide: r.cleared,
        availableFrom: from,
        availableUntil: until,
      });
    } catch (err) {
      throw new PublishError(err instanceof Error ? err.message : String(err));
    }

    // ---- probe: is it media, which codecs, how long ----
    let durationMs: number | undefined;
    let codecs: { video: string[]; audio: string[] } | null = null;
    if (r.probe === false) {
      notes.push(
        'not probed (--no-probe): not checked that it is playable media; no codecs recorded' +
          (subtitleInputs.length > 0
            ? '; the check for subtitle cues past the end of the video was skipped'
            : ''),
      );
    } else {
      const p = await probeMedia(r.file, r.ffprobe);
      if (!p.ok && p.missing)
        throw new PublishError(
          `ffprobe (part of ffmpeg) is not installed, so fjord cannot check that ${r.file} is a video: install ffmpeg, or pass --no-probe to publish it unchecked`,
        );
      if (!p.ok) throw new PublishError(`media file ${r.file}: ${p.reason}; not published`);
      const audioOnly = mimeType.startsWith('audio/');
      const m = p.media;
      if (audioOnly ? m.audio.length === 0 : m.video.length === 0)
        throw new PublishError(
          `media file ${r.file} has no ${audioOnly ? 'audio' : 'video'} stream ffprobe can read` +
            ` (found: ${[...m.video.map((c) => `video ${c}`), ...m.audio.map((c) => `audio ${c}`)].join(', ') || 'none'}); not published`,
        );
      codecs = { video: m.video, audio: m.audio };
      if (m.durationMs !== null) durationMs = m.durationMs;
      else if (subtitleInputs.length > 0)
        notes.push(
          'ffprobe found no duration: the check for subtitle cues past the end of the video was skipped',
        );
      const unplayable = unplayableInBrowsers(m);
      if (unplayable.length > 0)
        notes.push(
          `browsers cannot play ${unplayable.join(', ')}: the web player offers the download instead (desktop players such as VLC or mpv play it)`,
        );
    }
    const subtitles = subtitleInputs.map((s) => {
      const c = convertSubtitle(s.data, durationMs);
      if (!c.ok) throw new PublishError(`subtitle file (${s.lang}) ${s.file}: ${c.reason}`);
      return { lang: s.lang, srt: c.srt, vtt: c.vtt };
    });
    // ---- the catalog: series, duplicates, leftovers of crashed runs ----
    const catalog = await r.openCatalog();
    try {
      return await this.withCatalog(catalog, {
        ext,
        mimeType,
        title,
        size,
        subtitles,
        durationMs,
        codecs,
        from,
        until,
        notes,
        now,
      });
    } finally {
      await catalog.close();
    }
  }

  private async withCatalog(
    catalog: Catalog,
    c: {
      ext: string;
      mimeType: string;
      title: string;
      size: number;
      subtitles: Array<{ lang: string; srt: Buffer; vtt: Buffer }>;
      durationMs: number | undefined;
      codecs: { video: string[]; audio: string[] } | null;
      from: Date;
      until: Date | null;
      notes: string[];
      now: () => Date;
    },
  ): Promise<PublishResult> {
    const r = this.req;
    const { ext, mimeType, title, size, subtitles, durationMs, codecs, from, until, notes, now } = c;
    await recoverStaging(
      r.dataDir,
      async (j) => {
        for (const h of [j.infoHashV1, j.infoHashV2])
          if (h && (await catalog.episodeByInfoHash(h))) return true;
        return false;
      },
      (path) => catalog.artworkInUse(path),
    );
    const series = await resolveSeries(catalog, r.series, r.newSeries);
    if (series.existing && (await catalog.getEpisode(series.slug, r.season, r.episode)))
      throw new PublishError(
        `episode already exists: ${series.slug} season ${r.season} episode ${r.episode} (unpublishing keeps it; choose other numbers)`,
      );
    const layout = episodeLayout(series.slug, r.season, r.episode, ext);
    for (const p of [layout.mediaDir, layout.vttDir, layout.torrent]) {
      const taken = await stat(join(r.dataDir, p)).then(
        () => true,
        () => false,
      );
      if (taken)
        throw new PublishError(
          `${p} already exists in the data directory but not in the catalog; move it away first`,
        );
    }

    await this.enter('checked');

    // ---- stage ----
    const staging = await Staging.create(r.dataDir);
    this.staging = staging;
    try {
      const folder = staging.path(layout.name);
      await mkdir(folder);
      const videoName = layout.video.split('/').pop() as string;
      const stagedVideo = join(folder, videoName);
      let stored: 'copied' | 'linked' = 'copied';
      let sha256: string;
      if (r.link) {
        try {
          await link(r.file, stagedVideo);
          stored = 'linked';
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw err;
          notes.push(`cannot hard-link ${r.file} into the data directory (${code}): copied instead`);
        }
      }
      if (stored === 'linked') sha256 = await sha256File(stagedVideo);
      else {
        sha256 = await copyWithHash(r.file, stagedVideo);
        await syncPath(stagedVideo);
      }
      const stagedSize = (await stat(stagedVideo)).size;
      if (stagedSize !== size) throw new PublishError(`${r.file} changed size while it was being copied`);
      if (subtitles.length > 0) await mkdir(staging.path('vtt'));
      for (const s of subtitles) {
        await writeDurable(join(folder, layout.srt(s.lang).split('/').pop() as string), s.srt);
        await writeDurable(staging.path('vtt', layout.vtt(s.lang).split('/').pop() as string), s.vtt);
      }
      await this.enter('staged');

      // ---- hash ----
      const torrent = await createTorrent(folder, {
        mode: r.mode,
        announce: r.trackers,
        webSeeds: [webSeedUrl(r.webUrl, series.slug)],
        name: layout.name,
        onProgress: r.onProgress,
      });
      await this.enter('hashed');
      const stagedTorrent = staging.path(`${layout.name}.torrent`);
      await writeDurable(stagedTorrent, torrent.torrent);
      await this.enter('torrent-written');

      // ---- move into place, then commit ----
      const hashes = { infoHashV1: torrent.infoHashV1 ?? null, infoHashV2: torrent.infoHashV2 ?? null };
      this.phase = 'moving';
      await staging.moveIntoPlace(
        [
          { from: folder, to: layout.mediaDir },
          ...(subtitles.length > 0 ? [{ from: staging.path('vtt'), to: layout.vttDir }] : []),
          { from: stagedTorrent, to: layout.torrent },
        ],
        hashes,
      );
      let episode: Episode;
      try {
        await this.enter('moved');
        episode = await catalog.publishEpisode({
          series: { slug: series.slug, title: series.title },
          season: r.season,
          episode: r.episode,
          title,
          description: r.description,
          durationSeconds: durationMs === undefined ? undefined : Math.round(durationMs / 1000),
          rights: {
            licence: r.licence,
            holders: r.holders,
            clearedWorldwide: r.cleared,
            availableFrom: from,
            availableUntil: until,
          },
          media: [{ role: 'video', path: layout.video, sizeBytes: size, sha256, mimeType, codecs }],
          torrent: {
            ...(torrent.infoHashV1 ? { infoHashV1: torrent.infoHashV1 } : {}),
            ...(torrent.infoHashV2 ? { infoHashV2: torrent.infoHashV2 } : {}),
            ...(torrent.infoHashAria2 ? { infoHashAria2: torrent.infoHashAria2 } : {}),
            ...(torrent.infoHashV1Twin ? { infoHashV1Twin: torrent.infoHashV1Twin } : {}),
            path: layout.torrent,
            sizeBytes: torrent.torrent.length,
            pieceLength: torrent.pieceLength,
            mode: torrent.mode,
          },
          subtitles: subtitles.flatMap((s) => [
            { language: s.lang, kind: 'official' as const, format: 'srt' as const, path: layout.srt(s.lang) },
            { language: s.lang, kind: 'official' as const, format: 'vtt' as const, path: layout.vtt(s.lang) },
          ]),
          actor: r.actor,
        });
      } catch (err) {
        await staging.rollback();
        this.staging = null;
        throw err instanceof CatalogError ? new PublishError(err.message) : err;
      }
      this.phase = 'committed';
      await this.req.onPhase?.('committed');
      // The still image: after the commit, so that a failure costs only the picture (said in a note).
      // The staging folder stays until the catalog names it: its journal notes the still first, so a
      // process killed in between leaves nothing the next publication does not remove.
      if (c.codecs !== null && c.codecs.video.length > 0)
        try {
          episode = await makeStill(catalog, episode, join(r.dataDir, layout.video), r, staging);
        } catch (err) {
          notes.push(
            `no still image made (${err instanceof Error ? err.message : String(err)}); set one with fjord episode edit --still FILE`,
          );
        }
      await staging.discard();
      this.staging = null;

      const t = now();
      if (!r.cleared)
        notes.push('not cleared for distribution (no --cleared): stored in the catalog, not distributed');
      else if (until !== null && until.getTime() <= t.getTime())
        notes.push('the availability window has already closed: stored in the catalog, not distributed');
      return { episode, layout, torrent, notes, stored };
    } catch (err) {
      // Before the move nothing outside the staging folder exists; after it, rollback has run.
      if (this.staging) await this.staging.discard().catch(() => {});
      this.staging = null;
      throw err;
    }
  }
}

/** Chooses and grabs the still frame, stores it under a name fjord makes, records it. */
async function makeStill(
  catalog: Catalog,
  episode: Episode,
  video: string,
  r: Pick<PublishRequest, 'dataDir' | 'ffmpeg' | 'actor'>,
  staging: Staging,
): Promise<Episode> {
  const ffmpeg = r.ffmpeg ?? 'ffmpeg';
  const durationMs = episode.durationSeconds === null ? null : episode.durationSeconds * 1000;
  const t = await chooseStillTime(video, durationMs, ffmpeg);
  if (t === null) throw new Error('ffmpeg found no frame');
  const img = await checkImage(await grabFrame(video, t, ffmpeg), { what: 'still image', allowSvg: false });
  const path = artworkName(`${episode.seriesSlug}-s${episode.season}e${episode.episode}-still`, img);
  await mkdir(join(r.dataDir, 'artwork'), { recursive: true });
  await staging.noteStill(path);
  await writeDurable(join(r.dataDir, path), img.bytes);
  return catalog.setEpisodeStill(episode.id, path, r.actor);
}

/**
 * A time as ISO 8601 in a fixed offset from UTC (minutes; 0 prints "Z"), to the second, with
 * milliseconds only when there are any: the form a user typed ("2026-12-01T18:00:00+01:00").
 */
export function formatTime(d: Date, offsetMinutes = 0): string {
  const local = new Date(d.getTime() + offsetMinutes * 60_000).toISOString();
  const body = local.endsWith('.000Z') ? local.slice(0, 19) : local.slice(0, 23);
  if (offsetMinutes === 0) return `${body}Z`;
  const a = Math.abs(offsetMinutes);
  const hh = String(Math.floor(a / 60)).padStart(2, '0');
  const mm = String(a % 60).padStart(2, '0');
  return `${body}${offsetMinutes < 0 ? '-' : '+'}${hh}:${mm}`;
}

/** How an episode stands now, in words, for the CLI; times in `fmt` (default: UTC). */
export function distributionStatus(
  e: Episode,
  now: Date,
  fmt: (d: Date) => string = (d) => formatTime(d),
): string {
  const r = e.rights;
  if (e.withdrawnAt && e.withdrawnAt.getTime() <= now.getTime()) return `withdrawn ${fmt(e.withdrawnAt)}`;
  if (!r.clearedWorldwide) return 'NOT distributed: not cleared for worldwide distribution (no --cleared)';
  if (r.availableUntil && r.availableUntil.getTime() <= now.getTime())
    return `not distributed: its window closed ${fmt(r.availableUntil)}`;
  const until = r.availableUntil ? ` until ${fmt(r.availableUntil)}` : '';
  if (r.availableFrom.getTime() > now.getTime())
    return `scheduled: distributed from ${fmt(r.availableFrom)}${until}`;
  // The parties' contracts and the cue sheet have their say too (issue 14, docs/rights.md).
  if (!isDistributable(r, e.withdrawnAt, now))
    return "NOT distributed: a party's contract or a music cue keeps it off (fjord contract why names it)";
  return `distributed now${until}`;
}

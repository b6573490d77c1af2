/**
 * `fjord publish FILE ...` and `fjord unpublish ...`. The work is in src/publish/pipeline.ts; this file
 * turns flags into a request, prints the outcome, and turns every refusal into one line (main.ts
 * prints `fjord: <message>` and exits 1).
 */
import { userInfo } from 'node:os';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  catalogLocation,
  isDistributable,
  openCatalog,
  slugify,
  type Catalog,
  type Episode,
  type Series,
} from '../catalog/index.js';
import type { Config } from '../config.js';
import { loadSettings, type CommonFlags } from './settings.js';
import {
  distributionStatus,
  formatTime,
  PublishError,
  Publication,
  seriesHint,
  type PublishResult,
  type SubtitleArg,
} from '../publish/pipeline.js';
import { episodeLayout, webSeedUrl } from '../publish/media-store.js';
import { addressesOf } from '../publish/reissue.js';
import { progressBar, type ProgressBar } from '../publish/torrent/index.js';
import { formatBytes } from './torrent.js';
import { secureDataDir } from '../storage/data-dir.js';
import type { Io } from './io.js';

export type { Io } from './io.js';

export type { CommonFlags };

export interface PublishFlags extends CommonFlags {
  series: string;
  newSeries?: boolean;
  season: string;
  episode: string;
  title: string;
  description?: string;
  subtitle?: string[];
  licence: string;
  rightsHolder?: string[];
  cleared?: boolean;
  availableFrom?: string;
  availableUntil?: string;
  v1?: boolean;
  link?: boolean;
  tracker?: string[];
  webUrl?: string;
  quiet?: boolean;
  /** false with --no-probe. */
  probe: boolean;
}

/** The settings of publish and the catalogue commands: serve's loader, with --tracker and --web-url. */
export function publishSettings(o: CommonFlags & { tracker?: string[]; webUrl?: string }): Config {
  return loadSettings(o, (c) => {
    if (o.tracker && o.tracker.length > 0) c.publicTrackerUrls = o.tracker;
    if (o.webUrl) c.publicWebUrl = o.webUrl;
  });
}

export function openCatalogFor(s: Pick<Config, 'dataDir' | 'catalogUrl'>): Promise<Catalog> {
  secureDataDir(s.dataDir, !s.catalogUrl, (m) => process.stderr.write(`fjord: ${m}\n`));
  return openCatalog(catalogLocation(s));
}

/** Season and episode numbers: 1, 2, 3, ... ("abc", "0", "-1", "1.5" are refused). */
export function parseNumber(text: string, flag: string): number {
  const t = text.trim();
  const n = Number(t);
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(n) || n < 1)
    throw new PublishError(`${flag} must be a positive whole number (got "${text}")`);
  return n;
}

/**
 * ISO 8601 with a time zone (`2026-12-01T18:00:00+01:00`, `2026-12-01T17:00Z`), or a date alone
 * (`2026-12-01`, meaning 00:00 UTC that day). A time without a zone is refused: a rights window
 * must not depend on the machine's time zone.
 */
export function parseTime(text: string, flag: string): Date {
  const t = text.trim();
  let d: Date | null = null;
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t);
  if (date) {
    d = new Date(`${t}T00:00:00Z`);
    // Refuse dates that do not exist (2026-02-30) rather than let them roll over.
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== t) d = null;
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i.test(t)) {
    d = new Date(t);
    if (Number.isNaN(d.getTime())) d = null;
  }
  if (d === null)
    throw new PublishError(
      `${flag} "${text}" is not a time: use ISO 8601 with a zone (2026-12-01T18:00:00+01:00) or a date (2026-12-01, 00:00 UTC)`,
    );
  return d;
}

/** The offset from UTC a time flag was given in, in minutes ("Z": 0); null for a bare date or none. */
export function zoneOf(text: string | undefined): number | null {
  // Already checked by parseTime: "...Z", a date alone (UTC, no offset expressed), or "...+HH:MM".
  if (text === undefined || !/T/i.test(text)) return null;
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(text.trim());
  return m === null ? 0 : (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** Prints times in the offset of the first time flag given with one (else UTC), as the user wrote them. */
function timeFormat(...given: Array<string | undefined>): (d: Date) => string {
  const offset = given.map(zoneOf).find((z) => z !== null) ?? 0;
  return (d) => formatTime(d, offset);
}

/** LANG:FILE, e.g. nb:episode.nb.srt (the file may itself contain ':'). */
export function parseSubtitleArg(text: string): SubtitleArg {
  const i = text.indexOf(':');
  if (i <= 0 || i === text.length - 1)
    throw new PublishError(`--subtitle "${text}" is not LANG:FILE (e.g. nb:episode.nb.srt)`);
  return { lang: text.slice(0, i), file: text.slice(i + 1) };
}

export function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

export async function publish(file: string, o: PublishFlags, io: Io): Promise<void> {
  // Everything the flags alone can get wrong is refused before the catalog is opened.
  const season = parseNumber(o.season, '--season');
  const episode = parseNumber(o.episode, '--episode');
  const subtitles = (o.subtitle ?? []).map(parseSubtitleArg);
  const from = o.availableFrom === undefined ? undefined : parseTime(o.availableFrom, '--available-from');
  const until = o.availableUntil === undefined ? null : parseTime(o.availableUntil, '--available-until');
  const settings = publishSettings(o);
  const bar = o.quiet ? undefined : progressBar(io.err);
  const job = new Publication({
    dataDir: settings.dataDir,
    // Opened only once the files and flags have passed their checks: a refused publication
    // never even creates a catalog.
    openCatalog: () => openCatalogFor(settings),
    file,
    series: o.series,
    newSeries: o.newSeries === true,
    season,
    episode,
    title: o.title,
    description: o.description,
    subtitles,
    licence: o.licence,
    holders: o.rightsHolder ?? [],
    cleared: o.cleared === true,
    availableFrom: from,
    availableUntil: until,
    mode: o.v1 ? 'v1' : 'hybrid',
    link: o.link === true,
    trackers: settings.publicTrackerUrls,
    webUrl: settings.publicWebUrl,
    actor: actor(),
    probe: o.probe,
    onProgress: bar ? (d, t) => bar.update(d, t) : undefined,
  });
  const result = await runWithSignals(job, io, bar);
  {
    const e = result.episode;
    const t = result.torrent;
    const out = [
      `published ${result.layout.name}: ${e.seriesTitle}, season ${e.season}, episode ${e.episode}: "${e.title}"`,
      `  media:     ${result.layout.video} (${formatBytes(e.media[0]?.sizeBytes ?? 0)}, ${result.stored})`,
    ];
    const langs = e.subtitles.filter((s) => s.format === 'srt').map((s) => s.language);
    if (langs.length > 0)
      out.push(`  subtitles: ${langs.join(', ')} (SRT in the torrent, WebVTT in ${result.layout.vttDir})`);
    out.push(`  torrent:   ${result.layout.torrent} (${t.mode}, pieces of ${formatBytes(t.pieceLength)})`);
    out.push(
      `  status:    ${distributionStatus(e, new Date(), timeFormat(o.availableFrom, o.availableUntil))}`,
    );
    if (t.infoHashV1) out.push(`info hash v1: ${t.infoHashV1}`);
    if (t.infoHashV2) out.push(`info hash v2: ${t.infoHashV2}`);
    out.push(`magnet: ${t.magnet}`);
    io.out.write(out.join('\n') + '\n');
    for (const n of result.notes) io.err.write(`fjord: note: ${n}\n`);
  }
  // Addresses set (or changed) after earlier publications: offer the fix. Not when this torrent
  // was given its own addresses by flag, since the others are then expected to differ.
  if ((o.tracker ?? []).length === 0 && o.webUrl === undefined) {
    const stale = await staleTorrents(settings, result.torrent.name).catch(() => 0);
    if (stale > 0)
      io.err.write(
        `fjord: note: ${stale} earlier torrent${stale === 1 ? '' : 's'} carry other tracker or web seed addresses than publicTrackerUrls/publicWebUrl: fjord torrent reissue rewrites them (info hashes stay)\n`,
      );
  }
}

/** How many of the catalog's most recent torrents (at most 50) do not carry the configured addresses. */
async function staleTorrents(settings: Config, except: string): Promise<number> {
  const catalog = await openCatalogFor(settings);
  try {
    const recent = (await catalog.listEpisodes())
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .slice(0, 50);
    let stale = 0;
    for (const e of recent)
      for (const t of e.torrents) {
        if (t.path.endsWith(`/${except}.torrent`)) continue;
        const has = addressesOf(await readFile(join(settings.dataDir, t.path)));
        const seed = webSeedUrl(settings.publicWebUrl, e.seriesSlug);
        if (
          has.trackers.join(' ') !== settings.publicTrackerUrls.join(' ') ||
          has.webSeeds.join(' ') !== seed
        )
          stale++;
      }
    return stale;
  } finally {
    await catalog.close();
  }
}

/**
 * Runs a publication with Ctrl-C (SIGINT) and SIGTERM handled: while copying or hashing, the staging
 * folder is removed and the process exits at once (130 or 143); once files are being moved into
 * place the run is let finish or roll back (milliseconds), then the process exits.
 */
export async function runWithSignals(job: Publication, io: Io, bar?: ProgressBar): Promise<PublishResult> {
  let deferred: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (job.abortNow()) {
      bar?.finish();
      io.err.write(`fjord: ${signal}: stopped; nothing was published\n`);
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    deferred = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let done = false;
  try {
    const result = await job.run();
    done = true;
    return result;
  } finally {
    bar?.finish();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (deferred) {
      io.err.write(`fjord: ${deferred}: stopped; the publication ${done ? 'had completed' : 'was undone'}\n`);
      process.exit(deferred === 'SIGINT' ? 130 : 143);
    }
  }
}

export interface UnpublishFlags extends CommonFlags {
  series: string;
  season: string;
  episode: string;
}

/** The catalog's episode named by --series (title or slug), --season and --episode, or a one-line error. */
export async function findEpisode(
  catalog: Catalog,
  o: UnpublishFlags,
): Promise<{ episode: Episode; label: string }> {
  const season = parseNumber(o.season, '--season');
  const number = parseNumber(o.episode, '--episode');
  const series = await findSeries(catalog, o.series);
  const episode = await catalog.getEpisode(series.slug, season, number);
  const label = episodeLayout(series.slug, season, number, '').name;
  if (!episode)
    throw new PublishError(`no episode ${label} (${series.title}, season ${season}, episode ${number})`);
  return { episode, label };
}

/** The series named by title or slug, or a one-line error suggesting the closest one. */
export async function findSeries(catalog: Catalog, given: string): Promise<Series> {
  const name = given.trim();
  let series = /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(name) ? await catalog.getSeriesBySlug(name) : null;
  if (!series) {
    let slug = '';
    try {
      slug = slugify(name);
    } catch {
      // reported below as unknown
    }
    series = slug ? await catalog.getSeriesBySlug(slug) : null;
  }
  if (!series) throw new PublishError(`unknown series "${given}"${await seriesHint(catalog, name)}`);
  return series;
}

export async function unpublish(o: UnpublishFlags, io: Io): Promise<void> {
  const settings = publishSettings(o);
  const catalog = await openCatalogFor(settings);
  try {
    const { episode: before, label } = await findEpisode(catalog, o);
    if (before.withdrawnAt) {
      io.out.write(`${label} was already withdrawn at ${formatTime(before.withdrawnAt)}; nothing changed\n`);
      return;
    }
    const after = await catalog.unpublishEpisode(before.seriesSlug, before.season, before.episode, actor());
    io.out.write(
      `withdrew ${label}: "${after.title}" at ${after.withdrawnAt ? formatTime(after.withdrawnAt) : '?'}; ` +
        `a running fjord serve stops distributing it within seconds (nothing was deleted)\n`,
    );
  } finally {
    await catalog.close();
  }
}

export interface RightsFlags extends UnpublishFlags {
  cleared?: boolean;
  notCleared?: boolean;
  availableFrom?: string;
  availableUntil?: string;
  licence?: string;
  rightsHolder?: string[];
}

/** `fjord rights`: change an episode's rights after publishing (clear it, move its window). */
export async function rights(o: RightsFlags, io: Io): Promise<void> {
  if (o.cleared && o.notCleared) throw new PublishError('give only one of --cleared and --not-cleared');
  const from = o.availableFrom === undefined ? undefined : parseTime(o.availableFrom, '--available-from');
  const until =
    o.availableUntil === undefined
      ? undefined
      : o.availableUntil === 'none'
        ? null
        : parseTime(o.availableUntil, '--available-until');
  const settings = publishSettings(o);
  const catalog = await openCatalogFor(settings);
  try {
    const { episode, label } = await findEpisode(catalog, o);
    const r = episode.rights;
    const next = {
      licence: o.licence ?? r.licence,
      holders: o.rightsHolder && o.rightsHolder.length > 0 ? o.rightsHolder : r.holders,
      clearedWorldwide: o.cleared ? true : o.notCleared ? false : r.clearedWorldwide,
      availableFrom: from ?? r.availableFrom,
      availableUntil: until === undefined ? r.availableUntil : until,
    };
    const after = await catalog.setRights(episode.id, next, actor());
    const now = new Date();
    const fmt = timeFormat(o.availableFrom, o.availableUntil === 'none' ? undefined : o.availableUntil);
    const state = isDistributable(after.rights, after.withdrawnAt, now)
      ? 'distributed now'
      : after.withdrawnAt
        ? 'withdrawn (unpublished), so not distributed; fjord episode restore distributes it again'
        : !after.rights.clearedWorldwide
          ? 'not cleared, so not distributed'
          : after.rights.availableFrom > now
            ? `distributed from ${fmt(after.rights.availableFrom)}`
            : 'outside its window, so not distributed';
    io.out.write(
      `${label}: ${after.rights.clearedWorldwide ? 'cleared worldwide' : 'not cleared'}, ` +
        `window ${fmt(after.rights.availableFrom)} to ${after.rights.availableUntil ? fmt(after.rights.availableUntil) : 'open'}, ` +
        `licence ${after.rights.licence}; ${state}\n`,
    );
  } finally {
    await catalog.close();
  }
}

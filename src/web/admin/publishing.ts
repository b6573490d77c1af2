/**
 * Publishing from the dashboard: the server's inbox folder (config `inboxDir`, default DATA/inbox),
 * the form's fields turned into a publish request, and publications run in the background with
 * their progress kept for the progress bar.
 *
 * The work is `Publication` from src/publish/pipeline.ts, the very pipeline `fjord publish` runs,
 * with the same checks, staging, hashing, journaled moves and single catalog transaction: a refused
 * or failed publication leaves the catalog and the data directory as they were. Like the command, it
 * opens the catalog itself (a second connection, closed when it is done); the running server picks
 * the new episode up from the catalog within a second, as it does for `fjord publish`.
 *
 * Only files directly in the inbox are offered, and only regular files (no symbolic links, nothing
 * whose name starts with a dot, as partial uploads often do); the form's file names must be among
 * them, so a form cannot name a file anywhere else.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { Catalog } from '../../catalog/index.js';
import {
  MEDIA_TYPES,
  PublishError,
  Publication,
  type Phase,
  type PublishRequest,
  type PublishResult,
} from '../../publish/pipeline.js';
import { offsetAt } from '../../stats/time.js';

export interface InboxFile {
  name: string;
  size: number;
  modified: Date;
  kind: 'media' | 'subtitle';
}

export interface Inbox {
  dir: string;
  exists: boolean;
  files: InboxFile[];
}

const SUBTITLE_EXTS = new Set(['.srt', '.vtt']);

/**
 * The inbox's media and subtitle files, by name. A missing inbox is created (DATA/inbox does not
 * exist on a new data directory); one that cannot be created is reported as missing.
 */
export async function readInbox(dir: string): Promise<Inbox> {
  let entries;
  try {
    await mkdir(dir, { recursive: true });
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return { dir, exists: false, files: [] };
  }
  const files: InboxFile[] = [];
  for (const e of entries) {
    if (!e.isFile() || e.name.startsWith('.')) continue;
    const ext = extname(e.name).toLowerCase();
    const kind = ext in MEDIA_TYPES ? 'media' : SUBTITLE_EXTS.has(ext) ? 'subtitle' : null;
    if (kind === null) continue;
    try {
      const st = await stat(join(dir, e.name));
      files.push({ name: e.name, size: st.size, modified: st.mtime, kind });
    } catch {
      // Gone between the listing and the stat: not offered.
    }
  }
  files.sort((a, b) => a.name.localeCompare(b.name));
  return { dir, exists: true, files };
}

/** What the form holds, as typed (kept to show the form again after a refusal). */
export interface PublishForm {
  file: string;
  series: string;
  newSeries: boolean;
  season: string;
  episode: string;
  title: string;
  description: string;
  licence: string;
  holders: string;
  cleared: boolean;
  availableFrom: string;
  availableUntil: string;
  link: boolean;
  v1: boolean;
  /** Skip ffprobe (as `--no-probe`). */
  noProbe: boolean;
  /** Subtitle file name → language typed for it ('' for none). */
  subtitles: Map<string, string>;
}

export const SUBTITLE_FIELD = 'subtitle:';

export function emptyForm(): PublishForm {
  return {
    file: '',
    series: '',
    newSeries: false,
    season: '',
    episode: '',
    title: '',
    description: '',
    licence: 'all-rights-reserved',
    holders: '',
    cleared: false,
    availableFrom: '',
    availableUntil: '',
    link: false,
    v1: false,
    noProbe: false,
    subtitles: new Map(),
  };
}

export function formFromFields(f: URLSearchParams): PublishForm {
  const subtitles = new Map<string, string>();
  for (const [k, v] of f) if (k.startsWith(SUBTITLE_FIELD)) subtitles.set(k.slice(SUBTITLE_FIELD.length), v);
  const text = (k: string) => f.get(k) ?? '';
  return {
    file: text('file'),
    series: text('series'),
    newSeries: f.get('newSeries') === 'on',
    season: text('season'),
    episode: text('episode'),
    title: text('title'),
    description: text('description'),
    licence: text('licence'),
    holders: text('holders'),
    cleared: f.get('cleared') === 'on',
    availableFrom: text('availableFrom'),
    availableUntil: text('availableUntil'),
    link: f.get('link') === 'on',
    v1: f.get('v1') === 'on',
    noProbe: f.get('noProbe') === 'on',
    subtitles,
  };
}

function positive(text: string, what: string): number {
  const t = text.trim();
  const n = Number(t);
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(n) || n < 1)
    throw new PublishError(`${what} must be a positive whole number (got "${text}")`);
  return n;
}

/**
 * A `datetime-local` value (YYYY-MM-DDTHH:MM[:SS]) as an instant in `timeZone`. In the hour a DST
 * change skips, the time is taken with the offset before the change; in the hour it repeats, the
 * first of the two.
 */
export function localTime(text: string, timeZone: string, what: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  const asUtc = m
    ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0))
    : NaN;
  const back = new Date(asUtc);
  if (
    !m ||
    Number.isNaN(asUtc) ||
    back.getUTCDate() !== Number(m[3]) ||
    back.getUTCHours() !== Number(m[4]) ||
    back.getUTCMinutes() !== Number(m[5])
  )
    throw new PublishError(`${what} "${text}" is not a date and time (YYYY-MM-DDTHH:MM)`);
  // Correct a UTC guess by the zone's offset, twice: the second settles across a DST change.
  let t = asUtc - offsetAt(asUtc, timeZone);
  t = asUtc - offsetAt(t, timeZone);
  return new Date(t);
}

export interface FormContext {
  inbox: Inbox;
  timeZone: string;
  dataDir: string;
  trackers: string[];
  webUrl: string;
  openCatalog: () => Promise<Catalog>;
  actor: string;
}

/** The publish request for a form, or a one-line PublishError for what the form alone gets wrong. */
export function requestFromForm(
  form: PublishForm,
  c: FormContext,
): Omit<PublishRequest, 'onProgress' | 'onPhase'> {
  const media = c.inbox.files.find((f) => f.kind === 'media' && f.name === form.file);
  if (form.file === '') throw new PublishError('choose a video file from the inbox');
  if (media === undefined) throw new PublishError(`${form.file} is not a video file in the inbox`);
  const subtitles: PublishRequest['subtitles'] = [];
  for (const [name, lang] of form.subtitles) {
    if (lang.trim() === '') continue;
    if (!c.inbox.files.some((f) => f.kind === 'subtitle' && f.name === name))
      throw new PublishError(`${name} is not a subtitle file in the inbox`);
    subtitles.push({ lang: lang.trim(), file: join(c.inbox.dir, name) });
  }
  const season = positive(form.season, 'the season');
  const episode = positive(form.episode, 'the episode number');
  const from =
    form.availableFrom.trim() === ''
      ? undefined
      : localTime(form.availableFrom, c.timeZone, 'available from');
  const until =
    form.availableUntil.trim() === '' ? null : localTime(form.availableUntil, c.timeZone, 'available until');
  const holders = form.holders
    .split(/\r?\n/)
    .map((h) => h.trim())
    .filter((h) => h !== '');
  return {
    dataDir: c.dataDir,
    openCatalog: c.openCatalog,
    file: join(c.inbox.dir, media.name),
    series: form.series,
    newSeries: form.newSeries,
    season,
    episode,
    title: form.title,
    description: form.description.trim() === '' ? undefined : form.description,
    subtitles,
    licence: form.licence.trim() === '' ? 'all-rights-reserved' : form.licence.trim(),
    holders,
    cleared: form.cleared,
    availableFrom: from,
    availableUntil: until,
    mode: form.v1 ? 'v1' : 'hybrid',
    link: form.link,
    probe: !form.noProbe,
    trackers: c.trackers,
    webUrl: c.webUrl,
    actor: c.actor,
  };
}

export type JobState = 'checking' | 'copying' | 'hashing' | 'saving' | 'done' | 'failed';

export interface Job {
  id: string;
  /** What is being published: "skjaergardsliv S01E02 (episode.mkv)". */
  label: string;
  user: string;
  startedAt: Date;
  finishedAt: Date | null;
  state: JobState;
  /** Bytes hashed so far, of total. */
  done: number;
  total: number;
  result: {
    episodeId: number;
    name: string;
    infoHashV1: string | null;
    infoHashV2: string | null;
    magnet: string;
    notes: string[];
  } | null;
  /** One line. */
  error: string | null;
}

const KEEP = 20;

/** The publications started from the dashboard: at most one at a time, the last 20 remembered. */
export class PublishJobs {
  private readonly jobs = new Map<string, Job>();
  private running: { job: Job; publication: Publication } | null = null;

  constructor(private readonly log: (msg: string) => void = () => {}) {}

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  recent(): Job[] {
    return [...this.jobs.values()].reverse();
  }

  /** The publication in progress, if any. */
  active(): Job | null {
    return this.running?.job ?? null;
  }

  /**
   * Starts a publication. Resolves once it has passed its checks (the pipeline's `checked` phase:
   * files, subtitles, series, duplicates; nothing written yet) or has been refused, so the form can
   * show a refusal itself; the rest (copy, hashing, commit) goes on in the background.
   */
  async start(
    request: Omit<PublishRequest, 'onProgress' | 'onPhase'>,
    label: string,
    user: string,
  ): Promise<Job> {
    if (this.running !== null)
      throw new PublishError(
        `another publication is running (${this.running.job.label}, started by ${this.running.job.user})`,
      );
    const job: Job = {
      id: randomBytes(12).toString('base64url'),
      label,
      user,
      startedAt: new Date(),
      finishedAt: null,
      state: 'checking',
      done: 0,
      total: 0,
      result: null,
      error: null,
    };
    let checked: () => void = () => {};
    const passed = new Promise<void>((resolve) => (checked = resolve));
    const onPhase = (phase: Phase): void => {
      if (phase === 'checked') {
        job.state = 'copying';
        checked();
      } else if (phase === 'staged') job.state = 'hashing';
      else if (phase === 'hashed') job.state = 'saving';
    };
    const publication = new Publication({
      ...request,
      onPhase,
      onProgress: (done, total) => {
        job.state = 'hashing';
        job.done = done;
        job.total = total;
      },
    });
    this.running = { job, publication };
    this.remember(job);
    const run = publication.run().then(
      (r: PublishResult) => {
        const t = r.torrent;
        job.result = {
          episodeId: r.episode.id,
          name: r.layout.name,
          infoHashV1: t.infoHashV1 ?? null,
          infoHashV2: t.infoHashV2 ?? null,
          magnet: t.magnet,
          notes: r.notes,
        };
        job.state = 'done';
        if (job.total > 0) job.done = job.total;
        this.log(`publish: ${user} published ${r.layout.name} from the inbox`);
      },
      (e: unknown) => {
        job.error = oneLine(e);
        job.state = 'failed';
        if (!(e instanceof PublishError)) this.log(`publish: ${label}: ${job.error}`);
      },
    );
    void run.finally(() => {
      job.finishedAt = new Date();
      if (this.running?.job === job) this.running = null;
      checked();
    });
    await passed;
    return job;
  }

  private remember(job: Job): void {
    this.jobs.set(job.id, job);
    for (const id of this.jobs.keys()) {
      if (this.jobs.size <= KEEP) break;
      if (this.jobs.get(id)?.finishedAt !== null) this.jobs.delete(id);
    }
  }

  /** At shutdown: a publication still copying or hashing removes its staging folder and stops. */
  abort(): void {
    this.running?.publication.abortNow();
  }
}

/** An error's message as one line (refusals are one line already; anything else is cut at its first). */
export function oneLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split(/\r?\n/)[0].trim() || 'failed';
}

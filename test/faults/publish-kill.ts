/**
 * Fault injection (issue 18): `fjord publish` killed with SIGKILL at random moments of a real
 * publication (a small H.264/AAC video made with ffmpeg, two subtitle files, probed, copied, hashed
 * as a hybrid torrent), again and again in one data directory. After every kill:
 *
 *   - the catalog passes SQLite's integrity check, and the episode is either wholly there (its row,
 *     its media, torrent and subtitle files on disk, the video's size and SHA-256 and the torrent's
 *     info hashes as the catalog records them) or not at all (no row, and no series row when it was
 *     the series' first episode);
 *   - every file below DATA is one the catalog names, or lies in DATA/.staging, or is a target a
 *     journal in DATA/.staging records: leftovers the next run must clean;
 *   - the next run of `fjord publish` succeeds (the same episode again if it is missing), and after
 *     it DATA holds nothing the catalog does not name and no .staging at all.
 *
 * Used by test/faults/publish-kill.test.ts (a few kills, in CI) and by `npm run faults -- publish`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { openCatalog, type Episode } from '../../src/catalog/index.js';
import { parseTorrent } from '../../src/protocol/metainfo.js';
import { NODE_ARGS } from '../helpers/cli.js';

export interface PublishKillOptions {
  /** Where the video, the subtitles and DATA go (created by the caller). */
  work: string;
  kills: number;
  /** Seconds of video (default 8: about 1 MB). */
  seconds?: number;
  /** For the random kill times (default: the clock). */
  seed?: number;
  log?: (line: string) => void;
}

export interface PublishKillResult {
  kills: number;
  /** Kills after which the episode was in the catalog (the commit had happened). */
  committed: number;
  /** Kills after which it was not. */
  absent: number;
  /** Kills that found the process already exited (too late): not counted as kills. */
  late: number;
  /** Kills aimed at a phase, by phase (the others were at a random time). */
  aimed: Record<string, number>;
  /** Kills that left files for the next run to clean, by kind. */
  leftovers: { staging: number; journaled: number };
  /** One clean publication's wall time, ms (what the kill times are spread over; a running average). */
  cleanMs: number;
  startupMs: number;
  /** Problems found; empty when the scenario passed. */
  problems: string[];
}

const SERIES = 'Fault Show';
const SLUG = 'fault-show';

/** Makes a small real video with ffmpeg (test pattern and a tone): null when ffmpeg is missing. */
export function makeVideo(path: string, seconds: number): boolean {
  const r = spawnSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc=duration=${seconds}:size=640x360:rate=25`,
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=440:duration=${seconds}`,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
      '-shortest',
      path,
    ],
    { encoding: 'utf8' },
  );
  return r.status === 0 && existsSync(path);
}

function srt(text: string): string {
  return `1\n00:00:01,000 --> 00:00:03,000\n${text}\n\n2\n00:00:04,000 --> 00:00:06,000\n${text} 2\n`;
}

/** A tiny deterministic generator (mulberry32) so that a seed replays the same kill times. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function walk(dir: string, root = dir, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, root, out);
    else out.push(relative(root, p));
  }
  return out;
}

/** Folders below dir (relative), deepest first. */
function dirs(dir: string, root = dir, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      dirs(p, root, out);
      out.push(relative(root, p));
    }
  }
  return out;
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

/** What is wrong with an episode the catalog names: files missing or not what the row says. */
function checkEpisodeFiles(data: string, e: Episode): string[] {
  const bad: string[] = [];
  if (e.media.length === 0) bad.push('no media row');
  if (e.torrents.length === 0) bad.push('no torrent row');
  if (e.subtitles.length !== 4) bad.push(`${e.subtitles.length} subtitle rows, not 4`);
  for (const m of e.media) {
    const p = join(data, m.path);
    if (!existsSync(p)) bad.push(`${m.path} missing`);
    else if (statSync(p).size !== m.sizeBytes)
      bad.push(`${m.path} size ${statSync(p).size} != ${m.sizeBytes}`);
    else if (m.sha256 && sha256(p) !== m.sha256) bad.push(`${m.path} SHA-256 differs`);
  }
  for (const t of e.torrents) {
    const p = join(data, t.path);
    if (!existsSync(p)) {
      bad.push(`${t.path} missing`);
      continue;
    }
    const meta = parseTorrent(readFileSync(p));
    if ((meta.infoHashV1 ?? null) !== t.infoHashV1) bad.push(`${t.path}: v1 info hash differs`);
    if ((meta.infoHashV2 ?? null) !== t.infoHashV2) bad.push(`${t.path}: v2 info hash differs`);
  }
  for (const s of e.subtitles) if (!existsSync(join(data, s.path))) bad.push(`${s.path} missing`);
  return bad;
}

interface Journal {
  moves: Array<{ to: string }>;
}

/** Targets recorded by the journals in DATA/.staging: what recoverStaging may remove. */
function journaled(data: string): string[] {
  const root = join(data, '.staging');
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const name of readdirSync(root)) {
    const j = join(root, name, 'journal.json');
    if (existsSync(j)) out.push(...(JSON.parse(readFileSync(j, 'utf8')) as Journal).moves.map((m) => m.to));
  }
  return out;
}

interface State {
  problems: string[];
  present: boolean[];
  /** Files outside .staging that no catalog row names. */
  unnamed: string[];
  staging: boolean;
}

/** Everything the catalog and DATA say after a run; `episodes`: the numbers tried so far. */
async function inspect(data: string, episodes: number): Promise<State> {
  const problems: string[] = [];
  const dbFile = join(data, 'catalog.sqlite');
  if (existsSync(dbFile)) {
    const db = new Database(dbFile, { readonly: true });
    try {
      const r = db.pragma('integrity_check', { simple: true });
      if (r !== 'ok') problems.push(`catalog integrity_check: ${String(r)}`);
    } finally {
      db.close();
    }
  }
  const catalog = await openCatalog({ dataDir: data });
  const named = new Set<string>();
  const present: boolean[] = [];
  try {
    for (let n = 1; n <= episodes; n++) {
      const e = await catalog.getEpisode(SLUG, 1, n);
      present.push(e !== null);
      if (!e) continue;
      for (const p of [...e.media, ...e.torrents, ...e.subtitles].map((x) => x.path)) named.add(p);
      if (e.stillPath !== null) named.add(e.stillPath);
      for (const b of checkEpisodeFiles(data, e)) problems.push(`episode ${n}: ${b}`);
    }
    const series = await catalog.getSeriesBySlug(SLUG);
    if (series && !present.some(Boolean)) problems.push('the series row exists without any episode');
  } finally {
    await catalog.close();
  }
  const files = existsSync(data) ? walk(data) : [];
  const unnamed = files.filter(
    (f) => !f.startsWith('catalog.sqlite') && !f.startsWith('.staging/') && !named.has(f),
  );
  return { problems, present, unnamed, staging: existsSync(join(data, '.staging')) };
}

function publishArgs(data: string, work: string, n: number): string[] {
  return [
    'publish',
    join(work, 'video.mp4'),
    '--data',
    data,
    '--series',
    SERIES,
    '--new-series',
    '--season',
    '1',
    '--episode',
    String(n),
    '--title',
    `Episode ${n}`,
    '--subtitle',
    `nb:${join(work, 'nb.srt')}`,
    '--subtitle',
    `en:${join(work, 'en.srt')}`,
    '--cleared',
    '-q',
  ];
}

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  ms: number;
}

/**
 * Runs fjord ARGS; with killAfter, sends SIGKILL that many ms after the spawn; with `when`, polls it
 * every millisecond and kills `extra` ms after it first holds (a moment inside a short phase).
 */
function run(
  args: string[],
  killAfter?: number,
  when?: { ready: () => boolean; extra: number },
): Promise<Run & { killed: boolean }> {
  const started = Date.now();
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let killed = false;
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) killed = child.kill('SIGKILL');
  };
  const timer = killAfter === undefined ? undefined : setTimeout(kill, killAfter);
  const poll =
    when === undefined
      ? undefined
      : setInterval(() => {
          if (!when.ready()) return;
          clearInterval(poll);
          if (when.extra <= 0) kill();
          else setTimeout(kill, when.extra);
        }, 1);
  return new Promise((resolve) => {
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({ status, signal, stderr, ms: Date.now() - started, killed: killed && signal === 'SIGKILL' });
    });
  });
}

/** Moments of a publication a kill can be aimed at (what appears in DATA as it goes). */
const TRIGGERS: Array<{ name: string; ready: (data: string, n: number) => boolean }> = [
  { name: 'staging made', ready: (d) => stagingEntries(d).length > 0 },
  { name: 'torrent staged', ready: (d) => stagingEntries(d).some((s) => /\.torrent$/.test(s)) },
  { name: 'journal written', ready: (d) => stagingEntries(d).some((s) => s.endsWith('journal.json')) },
  { name: 'media moved', ready: (d, n) => existsSync(join(d, 'media', SLUG, `${SLUG}-s01e${pad(n)}`)) },
  {
    name: 'torrent moved',
    ready: (d, n) => existsSync(join(d, 'torrents', `${SLUG}-s01e${pad(n)}.torrent`)),
  },
];

const pad = (n: number) => String(n).padStart(2, '0');

/** Names one level inside each staging folder (`<folder>/<name>`). */
function stagingEntries(data: string): string[] {
  const root = join(data, '.staging');
  try {
    return readdirSync(root).flatMap((f) => {
      try {
        return readdirSync(join(root, f)).map((x) => `${f}/${x}`);
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

export async function publishKill(o: PublishKillOptions): Promise<PublishKillResult> {
  const log = o.log ?? (() => {});
  const rnd = random(o.seed ?? Date.now());
  const data = join(o.work, 'data');
  if (!makeVideo(join(o.work, 'video.mp4'), o.seconds ?? 8))
    throw new Error('ffmpeg could not make the video');
  writeFileSync(join(o.work, 'nb.srt'), srt('Hei'));
  writeFileSync(join(o.work, 'en.srt'), srt('Hello'));
  const problems: string[] = [];
  const res: PublishKillResult = {
    kills: 0,
    committed: 0,
    absent: 0,
    late: 0,
    aimed: {},
    leftovers: { staging: 0, journaled: 0 },
    cleanMs: 0,
    startupMs: 0,
    problems,
  };

  // Calibration: how long the program takes to start (a refusal before any work) and one whole
  // publication (episode 1, which also creates the catalog and the series).
  const refused = await run(['publish', join(o.work, 'missing.mp4'), '--data', join(o.work, 'scratch')]);
  res.startupMs = refused.ms;
  let episode = 1;
  const first = await run(publishArgs(data, o.work, episode));
  if (first.status !== 0) throw new Error(`the first publication failed: ${first.stderr}`);
  res.cleanMs = first.ms;
  log(`startup ${res.startupMs} ms, one publication ${res.cleanMs} ms`);

  while (res.kills < o.kills) {
    episode++;
    // Half the kills at a random time over the part of the run after start-up (and a little beyond
    // its usual end); half aimed at a random short phase: 0 to 30 ms after a moment of it shows in DATA
    // (0 to 300 ms after the last move).
    let at = Math.round(res.startupMs * 0.7 + rnd() * (res.cleanMs * 1.1 - res.startupMs * 0.7));
    let how = `at ${at} ms`;
    let when: { ready: () => boolean; extra: number } | undefined;
    if (rnd() < 0.5) {
      const t = TRIGGERS[Math.floor(rnd() * TRIGGERS.length)];
      const n = episode;
      // After the last move, up to 300 ms: through the commit and the clean-up after it.
      const extra = Math.floor(rnd() * (t.name === 'torrent moved' ? 301 : 31));
      when = { ready: () => t.ready(data, n), extra };
      at = res.cleanMs * 3; // a fallback
      how = `${extra} ms after "${t.name}"`;
      res.aimed[t.name] = (res.aimed[t.name] ?? 0) + 1;
    }
    const r = await run(publishArgs(data, o.work, episode), at, when);
    if (!r.killed) {
      res.late++;
      if (r.status !== 0)
        problems.push(`episode ${episode}: exited ${r.status} unkilled: ${r.stderr.trim()}`);
      if (res.late > o.kills * 3) throw new Error('the kills keep coming too late');
      continue;
    }
    res.kills++;
    const after = await inspect(data, episode);
    const here = after.present[episode - 1];
    if (here) res.committed++;
    else res.absent++;
    const allowed = new Set(journaled(data));
    const stray = after.unnamed.filter(
      (f) => !allowed.has(f) && !allowed.has(f.split('/').slice(0, 3).join('/')),
    );
    if (after.staging) res.leftovers.staging++;
    if (after.unnamed.length > 0) res.leftovers.journaled++;
    for (const p of after.problems) problems.push(`after kill ${res.kills} ${how}: ${p}`);
    for (const f of stray) problems.push(`after kill ${res.kills} ${how}: ${f} is named by nothing`);
    log(
      `kill ${res.kills} ${how}: episode ${episode} ${here ? 'committed' : 'absent'}` +
        `${after.staging ? ', .staging left' : ''}${after.unnamed.length ? `, ${after.unnamed.length} unnamed files` : ''}`,
    );

    // The next run: the same episode again when it is missing, else the next one.
    if (!here) episode--;
    episode++;
    const next = await run(publishArgs(data, o.work, episode));
    if (next.status !== 0) {
      problems.push(`the publication after kill ${res.kills} failed: ${next.stderr.trim()}`);
      continue;
    }
    // The kill times follow how long a whole run takes now (a shared machine's load changes).
    res.cleanMs = Math.round(0.7 * res.cleanMs + 0.3 * next.ms);
    const clean = await inspect(data, episode);
    for (const p of clean.problems) problems.push(`after the run after kill ${res.kills}: ${p}`);
    if (!clean.present[episode - 1]) problems.push(`episode ${episode} not in the catalog after a clean run`);
    if (clean.staging) problems.push(`DATA/.staging left after the run after kill ${res.kills}`);
    for (const f of clean.unnamed) problems.push(`after the run after kill ${res.kills}: orphan ${f}`);
    // Empty folders are leftovers too (an empty media/<series>/ would stay forever).
    for (const d of dirs(data)) {
      if (readdirSync(join(data, d)).length === 0 && !['media', 'subtitles', 'torrents'].includes(d))
        problems.push(`after the run after kill ${res.kills}: empty folder ${d}`);
    }
  }
  return res;
}

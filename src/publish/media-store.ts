/**
 * The data directory's media store: where a published episode's files live, and how they get there
 * without ever leaving half an episode behind.
 *
 *   DATA/media/<series>/<name>/<name>.<ext>          the video   } the torrent's folder, served by the
 *   DATA/media/<series>/<name>/<name>.<lang>.srt     subtitles   } web seed at /media/<series>/<name>/...
 *   DATA/subtitles/<series>/<name>/<name>.<lang>.vtt WebVTT copies for the web player (not in the torrent)
 *   DATA/torrents/<name>.torrent                     the .torrent
 *   DATA/.staging/<pid>-<random>/                     work in progress (same filesystem: renames are atomic)
 *
 * <name> is `<series slug>-s01e02`: it depends on the series and the numbers only, never on the title,
 * so renaming an episode never changes its torrent. It is also the torrent's name, which BEP 19 clients
 * append to the web seed URL; so the URL path below the web root equals the path below DATA.
 *
 * Moving into place: everything is built in a staging folder, then renamed into the store. Before the
 * first rename a journal records each target with the inode it will have (a rename keeps the inode).
 * Undoing (on an error, or after a crash, by the next publish) removes a target only if it still has
 * that inode, so it never removes what another publication put there. Nothing is ever overwritten:
 * folders are renamed (refused onto a non-empty folder) and files are hard-linked (refused onto an
 * existing name).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import {
  link,
  lstat,
  mkdir,
  open,
  readFile,
  readdir,
  rename,
  rm,
  rmdir,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

export const MEDIA_DIR = 'media';
export const SUBTITLES_DIR = 'subtitles';
export const TORRENTS_DIR = 'torrents';
export const STAGING_DIR = '.staging';

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Where one episode's files go, as '/'-separated paths relative to the data directory. */
export interface EpisodeLayout {
  /** `<series>-s01e02`: the torrent's name and its folder's name. */
  name: string;
  /** media/<series>/<name>: the torrent's folder. */
  mediaDir: string;
  /** media/<series>/<name>/<name>.<ext> */
  video: string;
  /** subtitles/<series>/<name> */
  vttDir: string;
  /** torrents/<name>.torrent */
  torrent: string;
  /** media/<series>/<name>/<name>.<lang>.srt */
  srt(lang: string): string;
  /** subtitles/<series>/<name>/<name>.<lang>.vtt */
  vtt(lang: string): string;
}

export function episodeLayout(
  seriesSlug: string,
  season: number,
  episode: number,
  ext: string,
): EpisodeLayout {
  const name = `${seriesSlug}-s${pad2(season)}e${pad2(episode)}`;
  const mediaDir = posix.join(MEDIA_DIR, seriesSlug, name);
  const vttDir = posix.join(SUBTITLES_DIR, seriesSlug, name);
  return {
    name,
    mediaDir,
    video: posix.join(mediaDir, `${name}${ext}`),
    vttDir,
    torrent: posix.join(TORRENTS_DIR, `${name}.torrent`),
    srt: (lang) => posix.join(mediaDir, `${name}.${lang}.srt`),
    vtt: (lang) => posix.join(vttDir, `${name}.${lang}.vtt`),
  };
}

/**
 * The web seed URL a torrent lists: `<base>/media/<series>/`. It ends in '/', so a BEP 19 client
 * appends `<torrent name>/<file path>`, which is the file's path below DATA.
 */
export function webSeedUrl(publicWebUrl: string, seriesSlug: string): string {
  return `${publicWebUrl.replace(/\/+$/, '')}/${MEDIA_DIR}/${encodeURIComponent(seriesSlug)}/`;
}

interface JournalEntry {
  /** Relative to the data directory. */
  to: string;
  dev: number;
  ino: number;
}

export interface Journal {
  pid: number;
  /** The info hashes being published: if the catalog has one, the publication committed. */
  infoHashV1: string | null;
  infoHashV2: string | null;
  moves: JournalEntry[];
  /**
   * The still image written after the commit (DATA-relative), noted before it is written: if the
   * process dies before the catalog names it, the next publication removes it (recoverStaging).
   */
  still?: string;
}

const JOURNAL = 'journal.json';

/** One publication's staging folder inside DATA/.staging. */
export class Staging {
  private constructor(
    readonly dataDir: string,
    readonly dir: string,
  ) {}

  static async create(dataDir: string): Promise<Staging> {
    const root = join(dataDir, STAGING_DIR);
    await mkdir(root, { recursive: true });
    const dir = join(root, `${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(dir);
    return new Staging(dataDir, dir);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /**
   * Moves staged items to their places in the store (paths relative to DATA). Folders are renamed,
   * files hard-linked. On any failure the moves already made are undone and the error rethrown.
   */
  async moveIntoPlace(
    items: Array<{ from: string; to: string }>,
    hashes: { infoHashV1: string | null; infoHashV2: string | null },
  ): Promise<void> {
    const journal: Journal = { pid: process.pid, ...hashes, moves: [] };
    for (const it of items) {
      const st = await lstat(it.from);
      journal.moves.push({ to: it.to, dev: st.dev, ino: st.ino });
    }
    // The journal first (atomically): a crash from here on can be undone by recoverStaging.
    const tmp = this.path(`${JOURNAL}.tmp`);
    await writeFile(tmp, JSON.stringify(journal));
    await rename(tmp, this.path(JOURNAL));
    try {
      for (const it of items) {
        const target = join(this.dataDir, it.to);
        await mkdir(dirname(target), { recursive: true });
        const st = await lstat(it.from);
        if (st.isDirectory()) {
          if (existsSync(target)) throw new Error(`${it.to} already exists in the data directory`);
          await rename(it.from, target);
        } else {
          try {
            await link(it.from, target);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'EEXIST')
              throw new Error(`${it.to} already exists in the data directory`);
            throw err;
          }
        }
      }
      // The new names must survive a power cut before the catalog commit names them.
      for (const dir of new Set(items.map((it) => dirname(join(this.dataDir, it.to))))) await syncDir(dir);
    } catch (err) {
      await undoMoves(this.dataDir, journal);
      throw err;
    }
  }

  /** Notes in the journal (atomically) a file about to be written outside the moves: the still. */
  async noteStill(path: string): Promise<void> {
    const journal = await readJournal(this.dir);
    if (journal === null) throw new Error('no journal to note the still image in');
    const tmp = this.path(`${JOURNAL}.tmp`);
    await writeFile(tmp, JSON.stringify({ ...journal, still: path }));
    await rename(tmp, this.path(JOURNAL));
  }

  /** Removes the moved items (only those that are still ours) and the staging folder. */
  async rollback(): Promise<void> {
    const journal = await readJournal(this.dir);
    if (journal) await undoMoves(this.dataDir, journal);
    await this.discard();
  }

  /** Removes the staging folder (after a commit, or when nothing was moved yet). */
  async discard(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await rmdir(dirname(this.dir)).catch(() => {});
  }

  /** For a signal handler: removes the staging folder synchronously. Only safe before any move. */
  discardSync(): void {
    rmSync(this.dir, { recursive: true, force: true });
    try {
      if (readdirSync(dirname(this.dir)).length === 0) rmSync(dirname(this.dir), { recursive: true });
    } catch {
      // another publication may be using .staging
    }
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function readJournal(dir: string): Promise<Journal | null> {
  try {
    return JSON.parse(await readFile(join(dir, JOURNAL), 'utf8')) as Journal;
  } catch {
    return null;
  }
}

/** Removes each journaled target that still carries the inode we gave it, then empty parents. */
async function undoMoves(dataDir: string, journal: Journal): Promise<void> {
  for (const m of [...journal.moves].reverse()) {
    const target = join(dataDir, m.to);
    let st;
    try {
      st = await lstat(target);
    } catch {
      continue; // never moved
    }
    if (st.dev !== m.dev || st.ino !== m.ino) continue; // someone else's
    if (st.isDirectory()) await rm(target, { recursive: true, force: true });
    else await unlink(target).catch(() => {});
    // Leave no empty series folders behind either (media/<series>, subtitles/<series>).
    let parent = dirname(m.to);
    while (parent !== '.' && parent !== '' && ![MEDIA_DIR, SUBTITLES_DIR, TORRENTS_DIR].includes(parent)) {
      try {
        await rmdir(join(dataDir, parent));
      } catch {
        break;
      }
      parent = dirname(parent);
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Cleans up after publications that died (killed, power cut): their staging folders, and anything
 * they had moved into the store without the catalog commit that would have made it theirs. Folders of
 * publications still running (their process is alive) are left alone. Returns what was cleaned.
 */
export async function recoverStaging(
  dataDir: string,
  committed: (journal: Journal) => Promise<boolean>,
  /** Whether the catalog names an artwork file (a dead publication's still is removed if not). */
  named: (path: string) => Promise<boolean> = async () => true,
): Promise<string[]> {
  const root = join(dataDir, STAGING_DIR);
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const cleaned: string[] = [];
  for (const name of names) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) continue;
    if (pid === process.pid) continue;
    const dir = join(root, name);
    const journal = await readJournal(dir);
    if (journal && !(await committed(journal))) await undoMoves(dataDir, journal);
    if (
      journal?.still !== undefined &&
      /^artwork\/[^/]+$/.test(journal.still) &&
      !(await named(journal.still))
    )
      await unlink(join(dataDir, journal.still)).catch(() => {});
    await rm(dir, { recursive: true, force: true });
    cleaned.push(name);
  }
  await rmdir(root).catch(() => {});
  return cleaned;
}

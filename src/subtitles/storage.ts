/**
 * Where community subtitles live on disk: DATA/community-subtitles/, beside (never inside) the
 * episode's torrent folder under DATA/media/, so a translation can never change a torrent's files and
 * so its info hash.
 *
 *   community-subtitles/<series>/<series>-s01e02/<series>-s01e02.<lang>.<random>.vtt
 *                                                 <series>-s01e02.<lang>.<random>.srt
 *
 * Names are made by the server only: the series slug and numbers (the same name as the torrent's
 * folder), the canonical language tag (letters, digits and `-`) and 16 random hex digits. Nothing
 * from the upload (its file name, its path) is used. Files are created with O_EXCL, so writing one
 * can never replace an existing file; on the unlikely clash of the random part, another is drawn.
 * Two submissions of the same language are therefore two pairs of files, and both are kept.
 *
 * Both formats are written by the subtitle library from the parsed cues (toWebVtt, toSrt), never the
 * uploaded bytes, so what is served is always well-formed and holds only the markup it allows.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export const COMMUNITY_DIR = 'community-subtitles';

export interface StoredPair {
  /** Catalog paths (relative to the data directory, `/`-separated). */
  vtt: string;
  srt: string;
}

const SAFE_SEGMENT = /^[a-z0-9][a-z0-9-]*$/;
const LANGUAGE = /^[A-Za-z0-9-]{1,35}$/;

/** The folder (catalog path) of an episode's community subtitles. */
export function episodeFolder(seriesSlug: string, season: number, episode: number): string {
  if (!SAFE_SEGMENT.test(seriesSlug)) throw new Error(`unexpected series slug "${seriesSlug}"`);
  const pad = (n: number) => String(n).padStart(2, '0');
  const name = `${seriesSlug}-s${pad(season)}e${pad(episode)}`;
  return `${COMMUNITY_DIR}/${seriesSlug}/${name}`;
}

export class CommunityFiles {
  constructor(private readonly dataDir: string) {}

  /** Writes a submission's two files under new names; returns their catalog paths. */
  async write(folder: string, language: string, files: { vtt: Buffer; srt: Buffer }): Promise<StoredPair> {
    if (!LANGUAGE.test(language)) throw new Error(`unexpected language tag "${language}"`);
    await mkdir(join(this.dataDir, folder), { recursive: true });
    const base = folder.slice(folder.lastIndexOf('/') + 1);
    for (let attempt = 0; attempt < 5; attempt++) {
      const stem = `${folder}/${base}.${language}.${randomBytes(8).toString('hex')}`;
      const pair = { vtt: `${stem}.vtt`, srt: `${stem}.srt` };
      if (!(await this.create(pair.vtt, files.vtt))) continue;
      if (!(await this.create(pair.srt, files.srt))) {
        await this.remove(pair.vtt);
        continue;
      }
      return pair;
    }
    throw new Error('could not find a free file name for a subtitle (5 random names taken)');
  }

  /** False when the name exists already (nothing is written then). */
  private async create(path: string, data: Buffer): Promise<boolean> {
    let handle;
    try {
      handle = await open(join(this.dataDir, path), 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (e) {
      await handle.close();
      await this.remove(path);
      throw e;
    }
    await handle.close();
    return true;
  }

  /** Removes files this process just wrote (a submission whose catalog write failed). */
  async remove(path: string): Promise<void> {
    await unlink(join(this.dataDir, path)).catch(() => undefined);
  }

  absolute(path: string): string {
    return join(this.dataDir, path);
  }
}

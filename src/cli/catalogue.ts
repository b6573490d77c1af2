/**
 * `fjord episode ...` and `fjord series ...`: the catalogue after publishing. List with states;
 * edit titles, descriptions and credits (never the torrent: info hashes stay); restore an
 * unpublished episode; delete one that was never distributed (its number free again, its files
 * removed). Every change is one audited catalog write, which a running `fjord serve` picks up
 * within a second (pages, feeds, tracker). The options and help are in commands/catalogue.ts.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { episodeState, neverDistributed, type Catalog, type Episode } from '../catalog/index.js';
import { deleteEpisodeAndFiles } from '../publish/catalogue.js';
import { PublishError } from '../publish/pipeline.js';
import {
  actor,
  findEpisode,
  findSeries,
  openCatalogFor,
  publishSettings,
  type CommonFlags,
  type Io,
  type UnpublishFlags,
} from './publish.js';

async function withCatalog<T>(o: CommonFlags, fn: (c: Catalog, dataDir: string) => Promise<T>): Promise<T> {
  const settings = publishSettings(o);
  const catalog = await openCatalogFor(settings);
  try {
    return await fn(catalog, settings.dataDir);
  } finally {
    await catalog.close();
  }
}

/** One line for an episode: name, state, title. */
export function episodeLine(e: Episode, now: Date): string {
  const name = `${e.seriesSlug}-s${String(e.season).padStart(2, '0')}e${String(e.episode).padStart(2, '0')}`;
  const never = neverDistributed(e, now) ? ', never distributed' : '';
  return `${name}  ${episodeState(e, now)}${never}  "${e.title}"`;
}

export interface EditFlags extends UnpublishFlags {
  title?: string;
  description?: string;
  credit?: string[];
  /** An image file (JPEG, PNG, WebP) to use as the episode's still instead of the one made at publication. */
  still?: string;
  /** Announce the episode on its series page and feed while it is scheduled (--announce / --no-announce). */
  announce?: boolean;
}

export interface SeriesEditFlags extends CommonFlags {
  series: string;
  title?: string;
  description?: string;
  poster?: string;
  banner?: string;
}

/**
 * Reads and checks an image for the catalog's artwork and stores it in DATA/artwork/ under a name
 * fjord makes; returns that path. Refuses (one line) what is not a JPEG, PNG or WebP, or too large.
 */
async function storeArtwork(dataDir: string, file: string, what: string, stem: string): Promise<string> {
  const { checkImage, artworkName, MAX_IMAGE_BYTES } = await import('../publish/images.js');
  let bytes: Buffer;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_IMAGE_BYTES)
      throw new PublishError(`${file}: the ${what} is too large (${size} bytes; at most ${MAX_IMAGE_BYTES})`);
    bytes = await readFile(file);
  } catch (e) {
    if (e instanceof PublishError) throw e;
    throw new PublishError(
      `${file}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
    );
  }
  let img;
  try {
    img = await checkImage(bytes, { what, allowSvg: false });
  } catch (e) {
    throw new PublishError(`${file}: ${(e as Error).message}`);
  }
  const path = artworkName(stem, img);
  await mkdir(join(dataDir, 'artwork'), { recursive: true });
  await writeFile(join(dataDir, path), img.bytes);
  return path;
}

export function listEpisodes(o: CommonFlags & { series?: string }, io: Io): Promise<void> {
  return withCatalog(o, async (c) => {
    const slug = o.series === undefined ? undefined : (await findSeries(c, o.series)).slug;
    const now = new Date();
    const list = await c.listEpisodes(slug === undefined ? {} : { seriesSlug: slug });
    io.out.write(list.map((e) => episodeLine(e, now) + '\n').join('') || 'no episodes\n');
  });
}

export function editEpisode(o: EditFlags, io: Io): Promise<void> {
  return withCatalog(o, async (c, dataDir) => {
    const { episode: e, label } = await findEpisode(c, o);
    const texts = o.title !== undefined || o.description !== undefined || o.credit !== undefined;
    if (!texts && o.still === undefined && o.announce === undefined)
      throw new PublishError(
        'nothing to change: give --title, --description, --credit, --still or --announce',
      );
    let after = e;
    if (o.still !== undefined) {
      const stem = `${e.seriesSlug}-s${e.season}e${e.episode}-still`;
      after = await c.setEpisodeStill(
        e.id,
        await storeArtwork(dataDir, o.still, 'still image', stem),
        actor(),
      );
      io.out.write(`${label}: still image set (${after.stillPath})\n`);
    }
    if (o.announce !== undefined) {
      after = await c.setEpisodeAnnounce(e.id, o.announce, actor());
      io.out.write(
        `${label}: ${o.announce ? 'announced on its series page and feed before its window opens' : 'not announced before its window opens'}\n`,
      );
    }
    if (!texts) return;
    after = await c.editEpisode(
      e.id,
      { title: o.title, description: o.description, credits: o.credit },
      actor(),
    );
    io.out.write(
      `edited ${label}: "${after.title}"; credits: ${after.rights.holders.join(', ') || 'none'}; ` +
        `info hashes unchanged; a running fjord serve shows it within seconds\n`,
    );
  });
}

export function restoreEpisode(o: UnpublishFlags, io: Io): Promise<void> {
  return withCatalog(o, async (c) => {
    const { episode: e, label } = await findEpisode(c, o);
    if (e.withdrawnAt === null) {
      io.out.write(`${label} is not withdrawn (${episodeState(e, new Date())}); nothing changed\n`);
      return;
    }
    const after = await c.restoreEpisode(e.id, actor());
    io.out.write(`restored ${label}: "${after.title}" is now ${episodeState(after, new Date())}\n`);
  });
}

export function deleteEpisode(o: UnpublishFlags, io: Io): Promise<void> {
  return withCatalog(o, async (c, dataDir) => {
    const { episode: e, label } = await findEpisode(c, o);
    if (!neverDistributed(e, new Date()))
      throw new PublishError(
        `${label} has been distributed, so peers may hold it: it cannot be deleted (use fjord unpublish)`,
      );
    const gone = await deleteEpisodeAndFiles(c, dataDir, e.id, actor());
    io.out.write(
      `deleted ${label}: "${gone.episode.title}" and its files; season ${e.season} episode ${e.episode} is free again\n`,
    );
  });
}

export function listSeries(o: CommonFlags, io: Io): Promise<void> {
  return withCatalog(o, async (c) => {
    const episodes = await c.listEpisodes();
    const lines = (await c.listSeries()).map(
      (s) => `${s.slug}  ${episodes.filter((e) => e.seriesId === s.id).length} episodes  "${s.title}"\n`,
    );
    io.out.write(lines.join('') || 'no series\n');
  });
}

export function editSeries(o: SeriesEditFlags, io: Io): Promise<void> {
  return withCatalog(o, async (c, dataDir) => {
    const s = await findSeries(c, o.series);
    const texts = o.title !== undefined || o.description !== undefined;
    if (!texts && o.poster === undefined && o.banner === undefined)
      throw new PublishError('nothing to change: give --title, --description, --poster or --banner');
    // Both images are checked before either is recorded.
    const images: Array<['poster' | 'banner', string]> = [];
    for (const kind of ['poster', 'banner'] as const) {
      const file = o[kind];
      if (file !== undefined)
        images.push([kind, await storeArtwork(dataDir, file, kind, `${s.slug}-${kind}`)]);
    }
    for (const [kind, path] of images) {
      await c.setSeriesArtwork(s.slug, kind, path, actor());
      io.out.write(`series ${s.slug}: ${kind} set (${path})\n`);
    }
    if (!texts) return;
    const after = await c.editSeries(s.slug, { title: o.title, description: o.description }, actor());
    io.out.write(`edited series ${after.slug}: "${after.title}"\n`);
  });
}

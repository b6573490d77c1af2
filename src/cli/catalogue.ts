/**
 * `fjord episode ...` and `fjord series ...`: the catalogue after publishing. List with states;
 * edit titles, descriptions and credits (never the torrent: info hashes stay); restore an
 * unpublished episode; delete one that was never distributed (its number free again, its files
 * removed). Every change is one audited catalog write, which a running `fjord serve` picks up
 * within a second (pages, feeds, tracker). The options and help are in commands/catalogue.ts.
 */
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
}

export interface SeriesEditFlags extends CommonFlags {
  series: string;
  title?: string;
  description?: string;
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
  return withCatalog(o, async (c) => {
    const { episode: e, label } = await findEpisode(c, o);
    if (o.title === undefined && o.description === undefined && o.credit === undefined)
      throw new PublishError('nothing to change: give --title, --description or --credit');
    const after = await c.editEpisode(
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
  return withCatalog(o, async (c) => {
    const s = await findSeries(c, o.series);
    if (o.title === undefined && o.description === undefined)
      throw new PublishError('nothing to change: give --title or --description');
    const after = await c.editSeries(s.slug, { title: o.title, description: o.description }, actor());
    io.out.write(`edited series ${after.slug}: "${after.title}"\n`);
  });
}

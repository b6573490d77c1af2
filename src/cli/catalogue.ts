/**
 * `fjord episode ...` and `fjord series ...`: the catalogue after publishing. List with states;
 * edit titles, descriptions and credits (never the torrent: info hashes stay); restore an
 * unpublished episode; delete one that was never distributed (its number free again, its files
 * removed). Every change is one audited catalog write, which a running `fjord serve` picks up
 * within a second (pages, feeds, tracker).
 */
import type { Command } from 'commander';
import { episodeState, neverDistributed, type Catalog, type Episode } from '../catalog/index.js';
import { deleteEpisodeAndFiles } from '../publish/catalogue.js';
import { PublishError } from '../publish/pipeline.js';
import {
  actor,
  catalogOptions,
  episodeOptions,
  findEpisode,
  findSeries,
  openCatalogFor,
  publishSettings,
  type CommonFlags,
  type Io,
  type UnpublishFlags,
} from './publish.js';

const stdio: Io = { out: process.stdout, err: process.stderr };
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

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

interface EditFlags extends UnpublishFlags {
  title?: string;
  description?: string;
  credit?: string[];
}

export function registerCatalogue(program: Command, io: Io = stdio): void {
  const episode = program
    .command('episode')
    .description('the published episodes: list, edit, restore, delete');

  catalogOptions(episode.command('list'))
    .description('every episode with its state (distributing, scheduled, blocked, expired, withdrawn)')
    .option('--series <name>', 'only this series (title or slug)')
    .action((o: CommonFlags & { series?: string }) =>
      withCatalog(o, async (c) => {
        const slug = o.series === undefined ? undefined : (await findSeries(c, o.series)).slug;
        const now = new Date();
        const list = await c.listEpisodes(slug === undefined ? {} : { seriesSlug: slug });
        io.out.write(list.map((e) => episodeLine(e, now) + '\n').join('') || 'no episodes\n');
      }),
    );

  episodeOptions(
    episode
      .command('edit')
      .description(
        "change an episode's title, description or credits (the torrent and its info hashes stay)",
      ),
  )
    .option('--title <text>', 'the new title')
    .option('--description <text>', "the new description ('' clears it)")
    .option('--credit <name>', 'credits (rights holders) in order, replacing the list; repeatable', collect)
    .action((o: EditFlags) =>
      withCatalog(o, async (c) => {
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
      }),
    );

  episodeOptions(
    episode.command('restore').description('distribute an unpublished episode again, as its rights allow'),
  ).action((o: UnpublishFlags) =>
    withCatalog(o, async (c) => {
      const { episode: e, label } = await findEpisode(c, o);
      if (e.withdrawnAt === null) {
        io.out.write(`${label} is not withdrawn (${episodeState(e, new Date())}); nothing changed\n`);
        return;
      }
      const after = await c.restoreEpisode(e.id, actor());
      io.out.write(`restored ${label}: "${after.title}" is now ${episodeState(after, new Date())}\n`);
    }),
  );

  episodeOptions(
    episode
      .command('delete')
      .description('remove an episode that was never distributed, with its files; its number is free again'),
  ).action((o: UnpublishFlags) =>
    withCatalog(o, async (c, dataDir) => {
      const { episode: e, label } = await findEpisode(c, o);
      if (!neverDistributed(e, new Date()))
        throw new PublishError(
          `${label} has been distributed, so peers may hold it: it cannot be deleted (use fjord unpublish)`,
        );
      const gone = await deleteEpisodeAndFiles(c, dataDir, e.id, actor());
      io.out.write(
        `deleted ${label}: "${gone.episode.title}" and its files; season ${e.season} episode ${e.episode} is free again\n`,
      );
    }),
  );

  const series = program.command('series').description('the series: list, edit');
  catalogOptions(series.command('list'))
    .description('every series with its number of episodes')
    .action((o: CommonFlags) =>
      withCatalog(o, async (c) => {
        const episodes = await c.listEpisodes();
        const lines = (await c.listSeries()).map(
          (s) => `${s.slug}  ${episodes.filter((e) => e.seriesId === s.id).length} episodes  "${s.title}"\n`,
        );
        io.out.write(lines.join('') || 'no series\n');
      }),
    );
  catalogOptions(series.command('edit'))
    .description("change a series' title or description (its slug, and so its addresses, stay)")
    .requiredOption('--series <name>', "the series' title or slug")
    .option('--title <text>', 'the new title')
    .option('--description <text>', "the new description ('' clears it)")
    .showHelpAfterError(false)
    .action((o: CommonFlags & { series: string; title?: string; description?: string }) =>
      withCatalog(o, async (c) => {
        const s = await findSeries(c, o.series);
        if (o.title === undefined && o.description === undefined)
          throw new PublishError('nothing to change: give --title or --description');
        const after = await c.editSeries(s.slug, { title: o.title, description: o.description }, actor());
        io.out.write(`edited series ${after.slug}: "${after.title}"\n`);
      }),
    );
}

/**
 * `fjord episode list|edit|restore|delete` and `fjord series list|edit`: options and help. The work
 * is in ../catalogue.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import type { CommonFlags, UnpublishFlags } from '../publish.js';
import type { EditFlags, SeriesEditFlags } from '../catalogue.js';
import { stdio, type Io } from '../io.js';
import { catalogOptions, collect, episodeOptions } from './options.js';

export function registerCatalogue(program: Command, io: Io = stdio): void {
  const run = () => import('../catalogue.js');
  const episode = program
    .command('episode')
    .description('the published episodes: list, edit, restore, delete');

  catalogOptions(episode.command('list'))
    .description('every episode with its state (distributing, scheduled, blocked, expired, withdrawn)')
    .option('--series <name>', 'only this series (title or slug)')
    .action(async (o: CommonFlags & { series?: string }) => (await run()).listEpisodes(o, io));

  episodeOptions(
    episode
      .command('edit')
      .description(
        "change an episode's title, description, credits, still image or announcement (the torrent and its info hashes stay)",
      ),
  )
    .option('--title <text>', 'the new title')
    .option('--description <text>', "the new description ('' clears it)")
    .option('--credit <name>', 'credits (rights holders) in order, replacing the list; repeatable', collect)
    .option(
      '--still <file>',
      'an image (JPEG, PNG or WebP) to show instead of the frame taken at publication',
    )
    .option('--announce', 'announce it on its series page and feed as "available from" while scheduled')
    .option('--no-announce', 'show it only once its window opens (the default)')
    .action(async (o: EditFlags) => (await run()).editEpisode(o, io));

  episodeOptions(
    episode.command('restore').description('distribute an unpublished episode again, as its rights allow'),
  ).action(async (o: UnpublishFlags) => (await run()).restoreEpisode(o, io));

  episodeOptions(
    episode
      .command('delete')
      .description('remove an episode that was never distributed, with its files; its number is free again'),
  ).action(async (o: UnpublishFlags) => (await run()).deleteEpisode(o, io));

  const series = program.command('series').description('the series: list, edit');
  catalogOptions(series.command('list'))
    .description('every series with its number of episodes')
    .action(async (o: CommonFlags) => (await run()).listSeries(o, io));
  catalogOptions(series.command('edit'))
    .description(
      "change a series' title, description, poster or banner (its slug, and so its addresses, stay)",
    )
    .requiredOption('--series <name>', "the series' title or slug")
    .option('--title <text>', 'the new title')
    .option('--description <text>', "the new description ('' clears it)")
    .option('--poster <file>', 'the poster, 2:3 (JPEG, PNG or WebP, at most 8 MB)')
    .option('--banner <file>', 'the wide banner, 16:9 or wider (JPEG, PNG or WebP, at most 8 MB)')
    .showHelpAfterError(false)
    .action(async (o: SeriesEditFlags) => (await run()).editSeries(o, io));
}

/**
 * `fjord publish`, `fjord unpublish` and `fjord rights`: options and help. The work is in
 * ../publish.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import type { PublishFlags, RightsFlags, UnpublishFlags } from '../publish.js';
import { stdio, type Io } from '../io.js';
import { collect, episodeOptions } from './options.js';

export function registerPublish(program: Command, io: Io = stdio): void {
  const run = () => import('../publish.js');
  program
    .command('publish')
    .description('put an episode in the catalog: store its media, make its torrent, record its rights')
    .argument('<file>', 'the video file')
    .option('--data <dir>', 'data directory (default ./data)')
    .option('--config <file>', 'settings file (JSON; DATA/fjord.json is read too)')
    .option('--catalog <url>', 'postgres://... catalog (default: SQLite in the data directory)')
    .requiredOption('--series <name>', "the series' title or slug")
    .option('--new-series', 'create the series if the catalog does not have it yet')
    .requiredOption('--season <n>', 'season number (1, 2, ...)')
    .requiredOption('--episode <n>', 'episode number within the season (1, 2, ...)')
    .requiredOption('--title <text>', "the episode's title (can change later without changing the torrent)")
    .option('--description <text>', "the episode's description")
    .option(
      '--subtitle <lang:file>',
      'official subtitles (SRT or WebVTT, UTF-8), e.g. nb:ep.srt; repeatable',
      collect,
    )
    .option('--licence <id>', 'licence, an SPDX id or all-rights-reserved', 'all-rights-reserved')
    .option('--rights-holder <name>', 'a rights holder; repeat for more, in credit order', collect)
    .option(
      '--cleared',
      'rights are cleared for worldwide distribution (without it: stored, not distributed)',
    )
    .option('--available-from <time>', 'start of the availability window (ISO 8601; default now)')
    .option('--available-until <time>', 'end of the availability window (ISO 8601; default none)')
    .option('--v1', 'a v1-only torrent (default: hybrid v1+v2)')
    .option('--link', 'hard-link the file into the data directory instead of copying it')
    .option(
      '--tracker <url>',
      'tracker URL written into the torrent; repeatable (default: publicTrackerUrls)',
      collect,
    )
    .option('--web-url <url>', "the web server's public base URL (default: publicWebUrl)")
    .option(
      '--no-probe',
      'publish without ffprobe: the file is not checked to be a video and no codecs are recorded',
    )
    .option('-q, --quiet', 'no progress bar')
    .showHelpAfterError(false)
    .action(async (file: string, o: PublishFlags) => (await run()).publish(file, o, io));

  episodeOptions(
    program
      .command('unpublish')
      .description(
        'withdraw an episode from distribution (the tracker and web seed stop; nothing is deleted)',
      ),
  ).action(async (o: UnpublishFlags) => (await run()).unpublish(o, io));

  episodeOptions(
    program
      .command('rights')
      .description("change an episode's rights after publishing: clear it, move or end its window"),
  )
    .option('--cleared', 'rights are now cleared for worldwide distribution')
    .option('--not-cleared', 'rights are no longer cleared (stops distribution)')
    .option('--available-from <time>', 'new start of the availability window (ISO 8601)')
    .option('--available-until <time>', "new end of the window (ISO 8601), or 'none' for no end")
    .option('--licence <id>', 'new licence (SPDX id or all-rights-reserved)')
    .option('--rights-holder <name>', 'rights holders, replacing the list; repeatable', collect)
    .showHelpAfterError(false)
    .action(async (o: RightsFlags) => (await run()).rights(o, io));
}

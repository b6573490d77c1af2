/**
 * `fjord torrent reissue`: options and help. The work is in ../reissue.ts, loaded when it runs.
 */
import type { Command } from 'commander';
import type { ReissueFlags } from '../reissue.js';
import { stdio, type Io } from '../io.js';
import { catalogOptions, collect } from './options.js';

export function registerReissue(torrent: Command, io: Io = stdio): void {
  catalogOptions(
    torrent
      .command('reissue')
      .description(
        "rewrite the catalog's torrents with the current public tracker and web seed addresses (info hashes stay)",
      ),
  )
    .option('--series <name>', 'only this series (default: every episode)')
    .option('--season <n>', 'only this season (with --series)')
    .option('--episode <n>', 'only this episode (with --series and --season)')
    .option('--tracker <url>', 'tracker URL to write; repeatable (default: publicTrackerUrls)', collect)
    .option('--web-url <url>', "the web server's public base URL (default: publicWebUrl)")
    .option('--dry-run', 'say what would change, change nothing')
    .showHelpAfterError(false)
    .action(async (o: ReissueFlags) => (await import('../reissue.js')).reissueCommand(o, io));
}

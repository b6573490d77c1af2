/**
 * `fjord torrent create|show`: options and help. The work is in ../torrent.ts, loaded when a command
 * runs.
 */
import type { Command } from 'commander';
import type { CreateFlags } from '../torrent.js';
import { collect } from './options.js';

/** Registers `fjord torrent create|show`; returns the `torrent` command for further subcommands. */
export function registerTorrent(program: Command): Command {
  const run = () => import('../torrent.js');
  const torrent = program.command('torrent').description('create and inspect .torrent files');
  torrent
    .command('create')
    .description('make a .torrent for a file or a folder (hybrid v1+v2 by default)')
    .argument('<path>', 'file or folder to share')
    .requiredOption('-o, --output <file>', 'where to write the .torrent')
    .option('--announce <url>', 'tracker URL; repeat for backup trackers, tried in order', collect, [])
    .option('--webseed <url>', 'web seed URL (BEP 19); repeatable', collect, [])
    .option('--v1', 'v1 only, for clients without BitTorrent v2')
    .option('--hybrid', 'v1 and v2 in one torrent (the default)')
    .option('--v2', 'v2 only')
    .option('--piece-length <size>', 'piece length: a power of two, 16K to 256M (default: from the size)')
    .option('--name <name>', "the torrent's name (default: the file or folder name)")
    .option('--private', 'set the private flag (BEP 27)')
    .option('--threads <n>', 'hashing threads (default: all cores)')
    .option('-q, --quiet', 'no progress bar')
    .showHelpAfterError(false)
    .action(async (path: string, flags: CreateFlags) => (await run()).create(path, flags));
  torrent
    .command('show')
    .description("print a .torrent's name, info hashes, files, trackers and web seeds")
    .argument('<file>', '.torrent file')
    .showHelpAfterError(false)
    .action(async (file: string) => (await run()).show(file));
  return torrent;
}

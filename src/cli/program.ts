/**
 * The `fjord` command tree: each subcommand registers its options and help from commands/NAME.ts,
 * which imports nothing of its work (the action loads NAME.ts when the command runs).
 *
 * Help is wrapped at HELP_WIDTH columns at most (narrower terminals get their own width), so the
 * help texts for a terminal of 80 columns or more, or a pipe, are always the same: `npm run build`
 * writes them to dist/cli/help.json (help-texts.ts) and bin/fjord.js prints them from there without
 * loading commander or any of fjord's modules.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { registerCatalogue } from './commands/catalogue.js';
import { registerPublish } from './commands/publish.js';
import { registerReissue } from './commands/reissue.js';
import { registerRights } from './commands/rights.js';
import { registerServe } from './commands/serve.js';
import { registerTorrent } from './commands/torrent.js';
import { registerUser } from './commands/user.js';

export const HELP_WIDTH = 80;

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const width = (s: NodeJS.WriteStream): number =>
  Math.min(HELP_WIDTH, s.isTTY && s.columns > 0 ? s.columns : HELP_WIDTH);

/**
 * `configure` runs on the root command before any subcommand exists: output hooks and exit override
 * set there reach every subcommand (commander copies them when a subcommand is made).
 */
export function buildProgram(configure: (program: Command) => void = () => {}): Command {
  const program = new Command();
  program.configureOutput({
    getOutHelpWidth: () => width(process.stdout),
    getErrHelpWidth: () => width(process.stderr),
  });
  configure(program);
  program
    .name('fjord')
    .description(
      "A broadcaster's own BitTorrent distribution platform: tracker (UDP, HTTP, WebSocket), publishing, feeds and statistics.",
    )
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)');
  registerServe(program);
  registerReissue(registerTorrent(program));
  registerPublish(program);
  registerCatalogue(program);
  registerUser(program);
  registerRights(program);
  return program;
}

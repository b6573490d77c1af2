/**
 * The `fjord` command. Each subcommand registers its options and help here from commands/NAME.ts,
 * which imports nothing of its work: the action loads NAME.ts (and the catalog, tracker, web or
 * hashing code it needs) only when the command runs, so `fjord --help`, `fjord COMMAND --help`
 * and `fjord --version` start in the time node does (test/cli/startup.test.ts).
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { registerCatalogue } from './commands/catalogue.js';
import { registerPublish } from './commands/publish.js';
import { registerReissue } from './commands/reissue.js';
import { registerRights } from './commands/rights.js';
import { registerServe } from './commands/serve.js';
import { registerTorrent } from './commands/torrent.js';
import { registerUser } from './commands/user.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export function buildProgram(): Command {
  const program = new Command();
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

async function main(): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`fjord: ${message}\n`);
    process.exit(1);
  }
}

await main();

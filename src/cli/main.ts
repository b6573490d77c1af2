/**
 * The `fjord` command. Each subcommand lives in its own module and registers itself here.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { registerCatalogue } from './catalogue.js';
import { registerPublish } from './publish.js';
import { registerReissue } from './reissue.js';
import { registerServe } from './serve.js';
import { registerTorrent } from './torrent.js';
import { registerUser } from './user.js';

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

/**
 * The `fjord` command. Each subcommand registers its options and help from commands/NAME.ts
 * (program.ts), which imports nothing of its work: the action loads NAME.ts (and the catalog,
 * tracker, web or hashing code it needs) only when the command runs, so `fjord COMMAND --help` loads
 * commander and the registrations only (test/cli/startup.test.ts). bin/fjord.js answers help and
 * version requests from dist/cli/help.json before this file is loaded at all.
 */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';

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

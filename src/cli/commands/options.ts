/**
 * What the command registrations share: option helpers and the default output. Registrations
 * (this folder) hold only commander's options and help texts, so that `fjord --help`, `fjord
 * COMMAND --help` and `fjord --version` load nothing else; each action imports its command's
 * implementation (src/cli/NAME.ts) when it runs.
 */
import type { Command } from 'commander';

/** A repeatable option's values, in the order given. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** --data, --config and --catalog: where the catalog is, as every catalog command takes them. */
export function catalogOptions(c: Command): Command {
  return c
    .option('--data <dir>', 'data directory (default ./data)')
    .option('--config <file>', 'settings file (JSON; DATA/fjord.json is read too)')
    .option('--catalog <url>', 'postgres://... catalog (default: SQLite in the data directory)');
}

/** The catalog options and the episode: --series, --season, --episode. */
export function episodeOptions(c: Command): Command {
  return catalogOptions(c)
    .requiredOption('--series <name>', "the series' title or slug")
    .requiredOption('--season <n>', 'season number')
    .requiredOption('--episode <n>', 'episode number')
    .showHelpAfterError(false);
}

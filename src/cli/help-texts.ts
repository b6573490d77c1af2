/**
 * Every help and version text `fjord` prints, keyed by its arguments joined with NUL (`publish\0--help`),
 * as commander prints them at HELP_WIDTH columns. `npm run build` writes them to dist/cli/help.json
 * (scripts/build-help.js); bin/fjord.js answers those exact arguments from the file, so
 * `fjord --help` costs node's own start-up and one small file read.
 */
import { Command, CommanderError } from 'commander';
import { buildProgram } from './program.js';

/** The text `fjord ARGS` writes to stdout and its exit status, rendered in this process. */
export function render(args: string[]): { out: string; status: number } {
  let out = '';
  const program = buildProgram((p) => {
    p.exitOverride();
    p.configureOutput({
      writeOut: (s) => (out += s),
      writeErr: (s) => (out += s),
      getOutHelpWidth: () => 80,
      getErrHelpWidth: () => 80,
    });
  });
  try {
    program.parse(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return { out, status: e.exitCode };
    throw e;
  }
  return { out, status: 0 };
}

/** The argument lists whose answer is a fixed text: help of every command, and the version. */
export function helpArgs(program: Command = buildProgram()): string[][] {
  const out: string[][] = [['--version'], ['-V']];
  const walk = (cmd: Command, path: string[]): void => {
    for (const flag of ['--help', '-h']) out.push([...path, flag]);
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return out;
}

/** Every fixed text, for help.json: only those that end the program with status 0. */
export function helpTexts(): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const args of helpArgs()) {
    const r = render(args);
    if (r.status === 0) texts[args.join('\0')] = r.out;
  }
  return texts;
}

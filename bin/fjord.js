#!/usr/bin/env -S node --max-semi-space-size=1
// The `fjord` command: runs the compiled CLI (built by `npm install` through the prepare script).
// The first line passes bin/node-flags.js's V8 flags (env -S splits them); a test keeps them equal.
//
// Help and version requests (`fjord --help`, `fjord publish --help`, `fjord -V`) are answered from
// dist/cli/help.json, which `npm run build` renders (src/cli/help-texts.ts), so they load neither
// commander nor fjord. The texts are used only where they are exactly what commander would print:
// stdout a pipe or a terminal of at least 80 columns, and help.json newer than what it renders.
import { existsSync, readFileSync, statSync } from 'node:fs';

const dist = new URL('../dist/cli/', import.meta.url);
const args = process.argv.slice(2);
const last = args[args.length - 1];
const out = process.stdout;
if (
  (last === '--help' || last === '-h' || last === '--version' || last === '-V') &&
  (!out.isTTY || out.columns >= 80) &&
  printKnownText(args)
) {
  process.exitCode = 0;
} else if (!existsSync(new URL('main.js', dist))) {
  console.error(
    'fjord: the compiled program is missing (dist/). Run `npm run build` in the fjord folder first.',
  );
  process.exit(1);
} else {
  await import(new URL('main.js', dist).href);
}

function printKnownText(args) {
  try {
    const file = new URL('help.json', dist);
    const text = JSON.parse(readFileSync(file, 'utf8')).texts[args.join('\0')];
    // Stale once the program or package.json is newer (rebuilt by tsc alone, a new version).
    const written = statSync(file).mtimeMs;
    if (
      typeof text !== 'string' ||
      statSync(new URL('program.js', dist)).mtimeMs > written ||
      statSync(new URL('../../package.json', dist)).mtimeMs > written
    )
      return false;
    out.write(text);
    return true;
  } catch {
    // No file (not built by npm run build) or an unreadable one: commander renders it.
    return false;
  }
}

#!/usr/bin/env -S node --max-semi-space-size=1
// The `fjord` command: runs the compiled CLI (built by `npm install` through the prepare script).
// The first line passes bin/node-flags.js's V8 flags (env -S splits them); a test keeps them equal.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error(
    'fjord: the compiled program is missing (dist/). Run `npm run build` in the fjord folder first.',
  );
  process.exit(1);
}
await import(main);

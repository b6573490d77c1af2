#!/usr/bin/env node
// The `fjord` command: runs the compiled CLI (built by `npm install` through the prepare script).
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

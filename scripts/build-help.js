#!/usr/bin/env node
// Writes dist/cli/help.json after `tsc` (npm run build): every help and version text of `fjord`
// (src/cli/help-texts.ts), which bin/fjord.js prints without loading commander or fjord. It ignores
// them once dist/cli/program.js or package.json is newer than the file (tsc run alone, a new version).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { helpTexts } = await import(`${root}dist/cli/help-texts.js`);
writeFileSync(`${root}dist/cli/help.json`, JSON.stringify({ texts: helpTexts() }));

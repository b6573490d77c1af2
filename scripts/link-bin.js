#!/usr/bin/env node
// Makes `npx fjord` work inside this checkout: npm links the bins of dependencies into
// node_modules/.bin but not the project's own, so link bin/fjord.js there (run by `npm install`).
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const binDir = join(root, 'node_modules', '.bin');
const link = join(binDir, 'fjord');
mkdirSync(binDir, { recursive: true });
rmSync(link, { force: true });
symlinkSync(relative(binDir, join(root, 'bin', 'fjord.js')), link);

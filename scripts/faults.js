#!/usr/bin/env node
/**
 * Fault-injection scenarios (issue 18), the long versions of what test/faults/ runs in CI.
 *
 *   npm run faults -- publish [--kills 50] [--seed N]   fjord publish killed (SIGKILL) at random moments
 *   npm run faults -- serve [--kills 10] [--seed N]     fjord serve killed under announce load
 *   npm run faults -- --list
 *
 * Each prints what it does as it goes and a summary; exit status 1 when a check failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';

register();

const SCENARIOS = {
  publish: 'fjord publish killed with SIGKILL at random moments of a real publication',
  serve: 'fjord serve killed with SIGKILL under announce load, state checked after each restart',
};

const args = process.argv.slice(2);
if (args.length === 0 || args[0] === '--list' || args[0] === '--help' || !(args[0] in SCENARIOS)) {
  for (const [name, what] of Object.entries(SCENARIOS)) console.log(`${name.padEnd(8)} ${what}`);
  process.exit(args[0] === '--list' || args[0] === '--help' ? 0 : 2);
}
const name = args[0];
const opt = (flag, def) => {
  const i = args.indexOf(flag);
  if (i < 0) return def;
  const n = Number(args[i + 1]);
  if (!Number.isFinite(n) || n < 1) {
    console.error(`faults: ${flag} needs a positive number`);
    process.exit(2);
  }
  return n;
};
const seed = opt('--seed', Date.now() % 1_000_000);
const work = mkdtempSync(join(tmpdir(), `fjord-faults-${name}-`));
const log = (line) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
log(`${name}: seed ${seed}, work ${work}`);
let result;
try {
  if (name === 'publish') {
    const { publishKill } = await import('../test/faults/publish-kill.ts');
    result = await publishKill({ work, kills: opt('--kills', 50), seed, log });
  } else {
    const { serveKill } = await import('../test/faults/serve-kill.ts');
    result = await serveKill({ work, kills: opt('--kills', 10), seed, log });
  }
} finally {
  if (!args.includes('--keep')) rmSync(work, { recursive: true, force: true });
}
const { problems, ...figures } = result;
console.log(JSON.stringify(figures, null, 2));
if (problems.length > 0) {
  console.log(`FAIL: ${problems.length} problems`);
  for (const p of problems) console.log(`  ${p}`);
  process.exit(1);
}
console.log('PASS');

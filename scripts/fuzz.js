#!/usr/bin/env node
/**
 * Property fuzzing of fjord's wire codecs at volume (the properties are in fuzz/codecs.ts; the
 * test suite runs the same ones at 2,000 inputs each in test/protocol/fuzz-codecs.test.ts).
 *
 *   npm run fuzz                               # 10^6 inputs per codec
 *   npm run fuzz -- --runs 200000 --codec bencode --codec udp
 *   npm run fuzz -- --seed 42                  # reproduce a run (the seed is printed)
 *   npm run fuzz -- --list
 *
 * Prints progress while it runs and a table at the end (codec, runs, seconds, failures, RSS after
 * the first 5% of the inputs and at its peak: memory that grows with the inputs shows); a failure prints fast-check's counterexample and its seed, and the exit code is 1.
 */
import { register } from 'tsx/esm/api';

register();
const { CODECS } = await import('../fuzz/codecs.ts');

const args = process.argv.slice(2);
let runs = 1_000_000;
let seed = Date.now() ^ (process.pid << 8);
const only = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--runs') runs = Number(args[++i]);
  else if (a === '--codec') only.push(args[++i]);
  else if (a === '--seed') seed = Number(args[++i]);
  else if (a === '--list') {
    for (const c of CODECS) console.log(`${c.name.padEnd(12)} ${c.checks}`);
    process.exit(0);
  } else {
    console.error(`fuzz: unknown argument ${a} (--runs N, --codec NAME, --seed N, --list)`);
    process.exit(2);
  }
}
if (!Number.isSafeInteger(runs) || runs < 1) {
  console.error('fuzz: --runs must be a positive integer');
  process.exit(2);
}
const unknown = only.filter((n) => !CODECS.some((c) => c.name === n));
if (unknown.length > 0) {
  console.error(`fuzz: unknown codec ${unknown.join(', ')} (${CODECS.map((c) => c.name).join(', ')})`);
  process.exit(2);
}
const chosen = CODECS.filter((c) => only.length === 0 || only.includes(c.name));
console.log(`fuzz: ${runs} inputs per codec, seed ${seed}`);

const rows = [];
let failed = false;
for (const c of chosen) {
  let done = 0;
  let peak = process.memoryUsage().rss;
  let early = 0; // RSS after the first 5% of the inputs, to compare with the peak (growth)
  const start = process.hrtime.bigint();
  const step = Math.max(1000, Math.floor(runs / 20));
  const onRun = () => {
    done++;
    if (done % step === 0) {
      const rss = process.memoryUsage().rss;
      if (rss > peak) peak = rss;
      if (early === 0) early = rss;
      const s = Number(process.hrtime.bigint() - start) / 1e9;
      const text = `  ${c.name}: ${done}/${runs} (${Math.round(done / s)}/s)`;
      process.stdout.write(process.stdout.isTTY ? `\r${text}   ` : `${text}\n`);
    }
  };
  const d = c.check({ numRuns: runs, seed, onRun });
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  if (process.stdout.isTTY) process.stdout.write(`\r${' '.repeat(60)}\r`);
  const failures = d.failed ? 1 : 0;
  if (d.failed) {
    failed = true;
    console.log(`  ${c.name}: FAILED\n${d.report}`);
  } else console.log(`  ${c.name}: ${d.numRuns} runs in ${secs.toFixed(1)} s`);
  const mb = (n) => `${Math.round(n / 2 ** 20)} MB`;
  rows.push([c.name, d.numRuns, secs.toFixed(1), failures, early === 0 ? '-' : mb(early), mb(peak)]);
}
const head = ['codec', 'runs', 'seconds', 'failures', 'RSS at 5%', 'peak RSS'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (r) => `| ${r.map((v, i) => String(v).padEnd(widths[i])).join(' | ')} |`;
console.log(`\n${line(head)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
console.log(`seed ${seed}`);
process.exit(failed ? 1 : 0);

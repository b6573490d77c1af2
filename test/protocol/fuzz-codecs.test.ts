// The codec fuzz properties of fuzz/codecs.ts at a CI-sized count (2,000 inputs per codec, or
// FJORD_FUZZ_RUNS); `npm run fuzz` runs the same properties at volume (10^6 each).
import { test } from 'node:test';
import { CODECS } from '../../fuzz/codecs.js';

const RUNS = Number(process.env.FJORD_FUZZ_RUNS ?? 2000);

for (const c of CODECS) {
  test(`fuzz ${c.name}: ${c.checks}`, () => {
    const r = c.check({ numRuns: RUNS });
    if (r.failed) throw new Error(r.report ?? `${c.name} failed`);
  });
}

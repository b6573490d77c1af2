/**
 * Returning the allocator's free pages (src/tracker/memory-trim.ts, the addon's trim()): when the
 * rule trims, and that a real trim gives memory back after V8 frees array buffers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MemoryTrim, TRIM_AFTER_BYTES, TRIM_AFTER_FREED } from '../../src/tracker/memory-trim.js';
import { ADDON } from '../../src/tracker/native-io.js';

const MB = 1 << 20;

test('trims after the array buffers grew or shrank by TRIM_AFTER_BYTES, or lost TRIM_AFTER_FREED in a second', () => {
  let bytes = 100 * MB;
  let trims = 0;
  const t = new MemoryTrim(
    () => bytes,
    () => trims++,
  );
  t.check(); // the first reading is the reference
  bytes += TRIM_AFTER_BYTES - MB;
  t.check();
  assert.equal(trims, 0, 'grown less than the threshold');
  bytes += MB;
  t.check();
  assert.equal(trims, 1, 'grown by the threshold');
  t.check();
  t.check();
  assert.equal(trims, 1, 'a quiet tracker does not trim');
  bytes -= TRIM_AFTER_FREED;
  t.check();
  assert.equal(trims, 2, 'V8 freed buffers');
  bytes -= TRIM_AFTER_FREED / 2;
  t.check();
  assert.equal(trims, 2);
});

const addon = fileURLToPath(new URL(`../../${ADDON}`, import.meta.url));
const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
const glibc = process.platform === 'linux' && Boolean(report.header?.glibcVersionRuntime);

test('a memory reading that fails (EMFILE when out of descriptors) skips the check, never throws', () => {
  let fail = true;
  let value = 0;
  let trims = 0;
  const m = new MemoryTrim(
    () => {
      if (fail) throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
      return value;
    },
    () => trims++,
  );
  assert.doesNotThrow(() => m.check());
  fail = false;
  m.check();
  value = TRIM_AFTER_BYTES;
  m.check();
  assert.equal(trims, 1, 'checks go on once readings work again');
});

test(
  'the addon trim gives back the pages of freed buffers (glibc)',
  { skip: !glibc || !existsSync(addon) ? 'needs glibc and the built addon' : false },
  () => {
    // 20,000 buffers of 3 KiB (60 MiB, below the mmap threshold: glibc keeps them in its heap), 7 of
    // every 8 freed, which leaves holes of 21 KiB between the kept ones (as grown peer lists leave);
    // resident memory before and after the trim.
    const code = `
    const a = require(${JSON.stringify(addon)});
    let keep = [];
    for (let i = 0; i < 20000; i++) keep.push(new Uint8Array(3072).fill(1));
    keep = keep.filter((_, i) => i % 8 === 0);
    globalThis.gc(); globalThis.gc();
    setTimeout(() => {
      const before = process.memoryUsage.rss();
      const released = a.trim();
      const after = process.memoryUsage.rss();
      console.log(JSON.stringify({ released, before, after, kept: keep.length }));
    }, 200);`;
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', code], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { released: boolean; before: number; after: number };
    assert.equal(out.released, true);
    assert.ok(
      out.before - out.after > 20 * MB,
      `gave back ${((out.before - out.after) / MB).toFixed(1)} MiB`,
    );
  },
);

/**
 * `fjord publish` killed with SIGKILL at 4 random or aimed moments of real publications: the catalog always
 * holds each episode wholly or not at all, and the next run cleans what the killed one left and
 * succeeds (test/faults/publish-kill.ts; `npm run faults -- publish --kills 50` is the long run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tempDir } from '../helpers/tracker.js';
import { program, skipUnless } from '../helpers/programs.js';
import { publishKill } from './publish-kill.js';

test(
  'fjord publish killed at 4 random or aimed moments: catalog whole, no orphan, next run succeeds',
  { skip: skipUnless(program('ffmpeg'), program('ffprobe')), timeout: 120_000 },
  async () => {
    const work = tempDir('fjord-publish-kill-');
    try {
      const r = await publishKill({ work, kills: 4, seconds: 4, seed: 18 });
      assert.deepEqual(r.problems, []);
      assert.equal(r.kills, 4);
      assert.equal(r.committed + r.absent, 4);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
);

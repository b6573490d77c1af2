/**
 * `fjord serve` killed with SIGKILL 3 times under announce load (test/faults/serve-kill.ts; `npm run
 * faults -- serve --kills 20` is the long run): completions acknowledged before the journal's flush
 * window, the catalog, accounts, statistics rows and community submissions all survive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tempDir } from '../helpers/tracker.js';
import { serveKill } from './serve-kill.js';

test(
  'fjord serve killed 3 times under load: completions, catalog, accounts, statistics, submissions intact',
  { timeout: 180_000 },
  async () => {
    const work = tempDir('fjord-serve-kill-');
    try {
      const r = await serveKill({ work, kills: 3, seed: 18, maxLoadMs: 2000 });
      assert.deepEqual(r.problems, []);
      assert.equal(r.kills, 3);
      assert.ok(r.completionsAcked > 0 && r.udpAnnounces > 0, JSON.stringify(r));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
);

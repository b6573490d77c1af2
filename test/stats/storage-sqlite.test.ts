/** The statistics storage suite on SQLite: a fresh data directory per test. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statsStorageSuite } from './storage.js';

statsStorageSuite(
  'SQLite',
  async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'fjord-stats-'));
    return { location: { dataDir }, destroy: () => rm(dataDir, { recursive: true, force: true }) };
  },
  false,
);

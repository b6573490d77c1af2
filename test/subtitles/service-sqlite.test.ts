/** The community subtitle service on SQLite: a temporary data directory per test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceSuite } from './service-suite.js';

serviceSuite(
  'SQLite',
  async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fjord-subsvc-db-'));
    return { location: { dataDir }, destroy: async () => rmSync(dataDir, { recursive: true, force: true }) };
  },
  { skip: false },
);

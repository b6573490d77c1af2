/**
 * The catalog conformance suite on SQLite: a fresh data directory per test, removed afterwards.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { openCatalog, SQLITE_FILE } from '../../src/catalog/index.js';
import { catalogConformance } from './conformance.js';
import { contractsConformance } from './contracts-conformance.js';
import { sampleEpisode } from './fixtures.js';

async function newStore() {
  const dataDir = await mkdtemp(join(tmpdir(), 'fjord-catalog-'));
  return { location: { dataDir }, destroy: () => rm(dataDir, { recursive: true, force: true }) };
}

// SQLite in one process is one connection (kysely queues its users), so no concurrent-connection tests.
catalogConformance('SQLite', newStore, { skip: false, concurrentConnections: false });
contractsConformance('SQLite', newStore, { skip: false, concurrentConnections: false });

test('SQLite: the catalog is <dataDir>/catalog.sqlite in WAL mode, with foreign keys enforced', async () => {
  const store = await newStore();
  const dataDir = join(store.location.dataDir, 'nested', 'data'); // created on open
  try {
    const c = await openCatalog({ dataDir });
    await c.publishEpisode(sampleEpisode());
    assert.ok((await readdir(dataDir)).includes(SQLITE_FILE));
    const raw = new Database(join(dataDir, SQLITE_FILE), { readonly: true });
    try {
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      // A second reader process sees the committed episode while the catalog is still open (WAL).
      const row = raw.prepare('select count(*) as n from episodes').get() as { n: number };
      assert.equal(row.n, 1);
    } finally {
      raw.close();
    }
    await c.close();

    // foreign_keys is per connection: a rights row for a missing episode must be refused.
    const { openBackend } = await import('../../src/catalog/backend.js');
    const backend = await openBackend({ dataDir });
    await assert.rejects(
      backend.db
        .insertInto('episode_rights')
        .values({
          episode_id: 999,
          licence: 'x',
          cleared_worldwide: 1,
          available_from: 0,
          available_until: null,
        })
        .execute(),
      /FOREIGN KEY/,
    );
    await backend.close();
  } finally {
    await store.destroy();
  }
});

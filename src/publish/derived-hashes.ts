/**
 * Fills in the derived names of hybrid torrents published before fjord recorded them: the aria2 alias
 * (migration 006, src/protocol/metainfo.ts aria2InfoHash) and the v1 twin's hash (migration 007,
 * v1TwinInfoHash). Both are computed from the info dictionary, so they are read from each torrent's
 * .torrent file in the data directory, which a migration cannot reach. `fjord serve` runs this at
 * start, before the catalog feeds the tracker's access list, so such torrents are allowed under those
 * names from the first announce. A file that is missing, unreadable or not the catalogued torrent (its
 * v1 hash differs) is left as it is and named in the log; the next start tries again.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCatalog, type Backend } from '../catalog/index.js';
import { parseTorrent } from '../protocol/metainfo.js';

export interface DerivedHashesBackfill {
  filled: number;
  failed: number;
}

export async function backfillDerivedHashes(
  backend: Backend,
  dataDir: string,
  log: (msg: string) => void,
): Promise<DerivedHashesBackfill> {
  const rows = await backend.db
    .selectFrom('torrents')
    .select(['id', 'info_hash_v1', 'path'])
    .where('mode', '=', 'hybrid')
    .where((eb) => eb.or([eb('info_hash_aria2', 'is', null), eb('info_hash_v1_twin', 'is', null)]))
    .orderBy('id')
    .execute();
  const found: Array<{ id: number; aria2: string; twin: string }> = [];
  let failed = 0;
  for (const r of rows) {
    const file = join(dataDir, r.path);
    try {
      const m = parseTorrent(await readFile(file));
      if (m.infoHashV1 !== r.info_hash_v1 || m.infoHashAria2 === undefined || m.infoHashV1Twin === undefined)
        throw new Error(`it is not the catalogued hybrid torrent ${r.info_hash_v1 ?? ''}`);
      found.push({ id: Number(r.id), aria2: m.infoHashAria2, twin: m.infoHashV1Twin });
    } catch (e) {
      failed++;
      log(`catalog: no derived info hashes for ${r.path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (found.length > 0) {
    // Like every catalog write: the version bump tells other processes' catalog sync to re-read.
    await writeCatalog(backend, async (trx) => {
      for (const f of found)
        await trx
          .updateTable('torrents')
          .set({ info_hash_aria2: f.aria2, info_hash_v1_twin: f.twin })
          .where('id', '=', f.id)
          .execute();
    });
  }
  if (rows.length > 0)
    log(
      `catalog: aria2 and v1 twin info hashes of ${found.length} of ${rows.length} hybrid torrents published before fjord recorded them filled in from their .torrent files` +
        (failed > 0 ? ` (${failed} could not be read, see above)` : ''),
    );
  return { filled: found.length, failed };
}

/**
 * Fills in the aria2 alias (migration 006) of hybrid torrents published before fjord knew it.
 *
 * The alias is the hash aria2 announces for a hybrid torrent (src/protocol/metainfo.ts,
 * aria2InfoHash). It needs the info dictionary, so it is read from each torrent's .torrent file in the
 * data directory, which the migration cannot reach. `fjord serve` runs this at start, before the
 * catalog feeds the tracker's access list, so such torrents are allowed under that name from the
 * first announce. A file that is missing, unreadable or not the catalogued torrent (its v1 hash
 * differs) is left without an alias and named in the log; the next start tries again.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCatalog, type Backend } from '../catalog/index.js';
import { parseTorrent } from '../protocol/metainfo.js';

export interface AliasBackfill {
  filled: number;
  failed: number;
}

export async function backfillAria2Aliases(
  backend: Backend,
  dataDir: string,
  log: (msg: string) => void,
): Promise<AliasBackfill> {
  const rows = await backend.db
    .selectFrom('torrents')
    .select(['id', 'info_hash_v1', 'path'])
    .where('mode', '=', 'hybrid')
    .where('info_hash_aria2', 'is', null)
    .orderBy('id')
    .execute();
  const found: Array<{ id: number; alias: string }> = [];
  let failed = 0;
  for (const r of rows) {
    const file = join(dataDir, r.path);
    try {
      const m = parseTorrent(await readFile(file));
      if (m.infoHashV1 !== r.info_hash_v1 || m.infoHashAria2 === undefined)
        throw new Error(`it is not the catalogued hybrid torrent ${r.info_hash_v1 ?? ''}`);
      found.push({ id: Number(r.id), alias: m.infoHashAria2 });
    } catch (e) {
      failed++;
      log(`catalog: no aria2 info hash for ${r.path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (found.length > 0) {
    // Like every catalog write: the version bump tells other processes' catalog sync to re-read.
    await writeCatalog(backend, async (trx) => {
      for (const f of found)
        await trx
          .updateTable('torrents')
          .set({ info_hash_aria2: f.alias })
          .where('id', '=', f.id)
          .where('info_hash_aria2', 'is', null)
          .execute();
    });
  }
  if (rows.length > 0)
    log(
      `catalog: aria2 info hashes of ${found.length} of ${rows.length} hybrid torrents published before fjord recorded them filled in from their .torrent files` +
        (failed > 0 ? ` (${failed} could not be read, see above)` : ''),
    );
  return { filled: found.length, failed };
}

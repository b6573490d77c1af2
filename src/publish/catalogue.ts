/**
 * Catalogue actions that touch files as well as rows, shared by the CLI (`fjord episode delete`)
 * and the dashboard: deleting a never-distributed episode removes its catalog rows (one audited
 * transaction, see Catalog.deleteEpisode) and then its folders and torrent in the data directory.
 * The rows go first: a crash in between leaves files no row names, which nothing serves.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog, DeletedEpisode } from '../catalog/index.js';
import { checkRelativePath } from '../catalog/validate.js';
import { episodeLayout } from './media-store.js';

export async function deleteEpisodeAndFiles(
  catalog: Catalog,
  dataDir: string,
  id: number,
  actor: string,
): Promise<DeletedEpisode> {
  const deleted = await catalog.deleteEpisode(id, actor);
  const e = deleted.episode;
  const layout = episodeLayout(e.seriesSlug, e.season, e.episode, '');
  // The episode's own folders (media with its SRTs, the WebVTT copies), then every file a row named.
  const paths = new Set([layout.mediaDir, layout.vttDir, layout.torrent, ...deleted.paths]);
  for (const p of paths)
    await rm(join(dataDir, checkRelativePath(p, 'episode')), { recursive: true, force: true });
  return deleted;
}

/**
 * `fjord torrent reissue`: rewrites the addresses in the catalog's .torrent files (trackers and web
 * seed) to the public ones now configured (DATA/fjord.json or flags), for torrents made before
 * `publicTrackerUrls`/`publicWebUrl` were set (they carry 127.0.0.1). The info dictionary is copied
 * byte for byte (src/publish/reissue.ts), so info hashes, swarms and statistics stay the same; each
 * rewrite is checked against the catalog's hash before it replaces the file, and audited. The options
 * and help are in commands/reissue.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Episode } from '../catalog/index.js';
import { checkRelativePath } from '../catalog/validate.js';
import { webSeedUrl } from '../publish/media-store.js';
import { PublishError } from '../publish/pipeline.js';
import { addressesOf, infoHashV1, reissue } from '../publish/reissue.js';
import {
  actor,
  findSeries,
  openCatalogFor,
  parseNumber,
  publishSettings,
  type CommonFlags,
  type Io,
} from './publish.js';

export interface ReissueFlags extends CommonFlags {
  series?: string;
  season?: string;
  episode?: string;
  tracker?: string[];
  webUrl?: string;
  dryRun?: boolean;
}

export async function reissueTorrents(o: ReissueFlags, io: Io): Promise<void> {
  if ((o.season !== undefined || o.episode !== undefined) && o.series === undefined)
    throw new PublishError('--season and --episode need --series');
  const settings = publishSettings(o);
  const catalog = await openCatalogFor(settings);
  try {
    let episodes: Episode[];
    if (o.series === undefined) episodes = await catalog.listEpisodes();
    else {
      const s = await findSeries(catalog, o.series);
      const season = o.season === undefined ? undefined : parseNumber(o.season, '--season');
      const number = o.episode === undefined ? undefined : parseNumber(o.episode, '--episode');
      episodes = (await catalog.listEpisodes({ seriesSlug: s.slug })).filter(
        (e) =>
          (season === undefined || e.season === season) && (number === undefined || e.episode === number),
      );
    }
    let changed = 0;
    for (const e of episodes)
      for (const t of e.torrents) {
        const path = join(settings.dataDir, checkRelativePath(t.path, 'torrent'));
        const before = await readFile(path);
        const to = {
          trackers: settings.publicTrackerUrls,
          webSeeds: [webSeedUrl(settings.publicWebUrl, e.seriesSlug)],
        };
        const after = reissue(before, to);
        if (after.equals(before)) continue;
        // Belt and braces: the bytes that name the swarm must be the catalog's.
        if (t.infoHashV1 !== null && infoHashV1(after) !== t.infoHashV1)
          throw new Error(`${t.path}: the rewritten torrent has another info hash; left as it was`);
        changed++;
        const was = addressesOf(before);
        io.out.write(
          `${o.dryRun ? 'would reissue' : 'reissued'} ${t.path}: trackers ${to.trackers.join(' ') || '(none)'} ` +
            `(were ${was.trackers.join(' ') || 'none'}), web seed ${to.webSeeds.join(' ')}; info hashes unchanged\n`,
        );
        if (o.dryRun) continue;
        const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
        await writeFile(tmp, after, { flag: 'wx' });
        await rename(tmp, path);
        await catalog.recordTorrentReissue(
          t.id,
          after.length,
          { path: t.path, before: { ...was }, after: { ...to } },
          actor(),
        );
      }
    io.out.write(
      changed === 0
        ? `all ${episodes.length} torrents already carry these addresses; nothing changed\n`
        : o.dryRun
          ? `${changed} of ${episodes.length} torrents would be rewritten\n`
          : `${changed} of ${episodes.length} torrents rewritten\n`,
    );
  } finally {
    await catalog.close();
  }
}

/**
 * `fjord torrent reissue`: rewrites the addresses in the catalog's .torrent files (trackers and web
 * seed) to the public ones now configured (DATA/fjord.json or flags), for torrents made before
 * `publicTrackerUrls`/`publicWebUrl` were set (they carry 127.0.0.1). The rewriting is
 * src/publish/reissue-torrents.ts's (shared with the dashboard); the options and help are in
 * commands/reissue.ts.
 */
import type { Episode } from '../catalog/index.js';
import { PublishError } from '../publish/pipeline.js';
import { reissueTorrents } from '../publish/reissue-torrents.js';
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

export async function reissueCommand(o: ReissueFlags, io: Io): Promise<void> {
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
    const done = await reissueTorrents(catalog, settings, episodes, {
      dryRun: o.dryRun === true,
      actor: actor(),
      report: (r) =>
        io.out.write(
          `${o.dryRun ? 'would reissue' : 'reissued'} ${r.path}: trackers ${r.to.trackers.join(' ') || '(none)'} ` +
            `(were ${r.was.trackers.join(' ') || 'none'}), web seed ${r.to.webSeeds.join(' ')}; info hashes unchanged\n`,
        ),
    });
    const changed = done.length;
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

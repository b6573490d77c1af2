/**
 * What `fjord serve` starts for community subtitles (issue 8), on the catalog and web server that
 * startDistribution made and the accounts startNewsroom made: the service, the contribute form and
 * API and status pages on the audience site (with the credits the episode page shows), and the
 * moderation pages under /admin/moderation.
 */
import type { AuthHttp } from '../auth/http.js';
import type { AdminPages } from '../web/admin/dashboard.js';
import type { Config } from '../config.js';
import type { Distribution } from './distribution.js';
import { Moderation } from '../web/admin/moderation.js';
import { SubtitleSubmissions } from '../web/subtitle-submit.js';
import { CommunitySubtitles } from '../subtitles/service.js';

export async function startCommunitySubtitles(
  config: Pick<
    Config,
    | 'dataDir'
    | 'publicWebUrl'
    | 'timeZone'
    | 'subtitleLicence'
    | 'subtitleLicenceUrl'
    | 'subtitleRateLimit'
    | 'subtitleRateWindow'
    | 'subtitlePendingPerAddress'
    | 'subtitlePendingPerRange'
    | 'subtitlePendingPerEpisode'
  >,
  distribution: Pick<Distribution, 'catalog' | 'web' | 'audience' | 'sync'>,
  auth: AuthHttp,
  pages: AdminPages,
  log: (msg: string) => void,
): Promise<CommunitySubtitles> {
  const service = new CommunitySubtitles(distribution.catalog, {
    dataDir: config.dataDir,
    licence: config.subtitleLicence,
    licenceUrl: config.subtitleLicenceUrl,
    rateLimit: config.subtitleRateLimit,
    rateWindowMs: config.subtitleRateWindow * 1000,
    pendingPerAddress: config.subtitlePendingPerAddress,
    pendingPerRange: config.subtitlePendingPerRange,
    pendingPerEpisode: config.subtitlePendingPerEpisode,
    log,
  });
  await service.refreshCredits();
  // Decisions made here refresh the credits themselves; this covers any other writer of the catalog.
  distribution.sync.onChange(() => {
    service.refreshCredits().catch((e: unknown) => {
      log(`subtitles: cannot read the credits (${e instanceof Error ? e.message : String(e)})`);
    });
  });
  const submissions = new SubtitleSubmissions({
    service,
    layout: distribution.audience.layout,
    auth,
    publicWebUrl: config.publicWebUrl,
  });
  submissions.register(distribution.web);
  distribution.audience.community = submissions;
  new Moderation({ pages, service, timeZone: config.timeZone }).register(distribution.web);
  return service;
}

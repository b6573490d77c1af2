/**
 * What `fjord serve` runs for published programmes: the data directory's catalog, followed by a
 * CatalogSync that feeds the tracker's access list, the web seed and the audience site, and the web
 * server (`--web`) that the web seed, the pages and feeds (and later the admin area) answer on.
 */
import { catalogLocation, openCatalog, type Catalog } from '../catalog/index.js';
import { formatEndpoint, wsTrackerUrls, type Config, type Endpoint } from '../config.js';
import type { Tracker } from '../tracker/tracker.js';
import { WebServer } from '../web/server.js';
import { WebSeed } from '../web/webseed.js';
import { WebSeedPolicy } from '../web/webseed-policy.js';
import { Audience } from '../web/audience.js';
import { SiteDataSource } from '../web/site-data.js';
import { SwarmStats } from '../web/swarm-stats.js';
import { backfillDerivedHashes } from '../publish/derived-hashes.js';
import { loadBranding } from '../web/branding.js';
import { CatalogSync } from '../publish/catalog-sync.js';

export interface Distribution {
  catalog: Catalog;
  sync: CatalogSync;
  webSeed: WebSeed;
  /** Pages, feeds, downloads and the player (src/web/audience.ts). */
  audience: Audience;
  /** The tracker's bound listeners, once it listens (WebSocket URLs for browsers derive from them). */
  trackerListening(listening: Array<{ protocol: string; endpoint: Endpoint }>): void;
  /** The router: add routes before or after listening. */
  web: WebServer;
  /** Bound web listeners. */
  listening: Endpoint[];
  /** One line on what the catalog distributes now, for the log. */
  summary(): string;
  stop(): Promise<void>;
}

export async function startDistribution(
  config: Config,
  tracker: Tracker,
  log: (msg: string) => void,
  options: { pollMs?: number } = {},
): Promise<Distribution> {
  // The brand first: a bad logo refuses to start before anything is opened.
  const branding = await loadBranding(config);
  for (const note of branding.notes) log(`site: ${note}`);
  const catalog = await openCatalog(catalogLocation(config));
  try {
    await backfillDerivedHashes(catalog.backend, config.dataDir, log);
  } catch (e) {
    // Not fatal: those torrents' aria2 and v1 twin peers stay refused, as before, until the next start.
    log(
      `catalog: filling in aria2 and v1 twin info hashes failed: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const sync = new CatalogSync(catalog, { log, pollMs: options.pollMs });
  const webSeed = new WebSeed(config.dataDir, log);
  const swarmStats = new SwarmStats(tracker);
  // Off, the web seed serves everything (no decision at all).
  if (config.webSeedPolicy)
    webSeed.policy = new WebSeedPolicy(config, (folder) => {
      const t = webSeed.torrentFor(folder);
      return t === undefined ? { seeders: 0, leechers: 0 } : swarmStats.figures(t);
    });
  const web = new WebServer(log, {
    maxConnectionsPerAddress: config.webMaxConnectionsPerAddress,
    trustedProxies: config.trustedProxies,
    onRefused: () => tracker.counters.webConnectionsRefused++,
  });
  webSeed.register(web);
  const site = new SiteDataSource(catalog, config.dataDir, log);
  let boundWs: Endpoint[] = [];
  const audience = new Audience(
    {
      dataDir: config.dataDir,
      publicWebUrl: config.publicWebUrl,
      publicTrackerUrls: config.publicTrackerUrls,
      wsTrackerUrls: () => wsTrackerUrls(config, boundWs),
      iceServers: config.webrtcIceServers,
      peerTimeout: config.peerTimeout,
      wsPeerTimeout: config.wsPeerTimeout,
      log,
      branding,
      timeZone: config.timeZone,
      search: (q) => catalog.search(q, 50),
      programmeLanguage: config.programmeLanguage,
      subtitlesOnWhenForeign: config.subtitlesOnWhenForeign,
    },
    site,
    swarmStats,
  );
  audience.register(web);
  sync.onChange((s) => {
    tracker.access.setCatalog(s.allowed, s.withdrawn);
    webSeed.setEpisodes(s.episodes);
    site.update(s);
  });
  const trackerListening = (l: Array<{ protocol: string; endpoint: Endpoint }>): void => {
    boundWs = l.filter((x) => x.protocol === 'ws').map((x) => x.endpoint);
  };
  const stop = async (): Promise<void> => {
    // What the policy decided, once it decided anything (a start that failed prints one line only).
    if (webSeed.policy !== null && Object.values(webSeed.policy.counts).some((n) => n > 0))
      log(`web seed policy: ${webSeed.policy.summary()}`);
    sync.stop();
    await sync.settled();
    await web.close();
    await catalog.close();
  };
  const listening: Endpoint[] = [];
  try {
    await sync.start();
    for (const e of config.web) {
      try {
        listening.push(await web.listen(e));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new Error(`web address already in use (${formatEndpoint(e)})`);
        if (code === 'EADDRNOTAVAIL')
          throw new Error(`web address not available on this machine (${formatEndpoint(e)})`);
        throw err;
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const summary = (): string => {
    const s = sync.current;
    return s === null
      ? 'catalog: not read yet'
      : `catalog: ${s.episodes.length} episodes distributed (${s.allowed.length} info hashes allowed, ${s.withdrawn.length} no longer available)`;
  };
  return { catalog, sync, webSeed, audience, trackerListening, web, listening, summary, stop };
}

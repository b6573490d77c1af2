/**
 * `fjord serve`: runs the tracker (and, as they land, the web server and WebSocket tracker). The
 * options and help are in commands/serve.ts.
 */
import { resolve } from 'node:path';
import {
  defaults,
  formatEndpoint,
  parseEndpoint,
  readConfigFile,
  readDataDirConfig,
  validateConfig,
  type Config,
} from '../config.js';
import { Tracker, adminToken } from '../tracker/tracker.js';
import { TrackerAdminServer } from '../tracker/admin-server.js';
import { startDistribution } from '../publish/distribution.js';
import { startNewsroom } from '../web/admin/api-service.js';
import { startCommunitySubtitles } from '../subtitles/start.js';
import { secureDataDir } from './data-dir.js';
import { redactRedisUrl } from '../swarm/redis-url.js';

export interface ServeOptions {
  config?: string;
  http?: string[];
  udp?: string[];
  web?: string[];
  catalog?: string;
  ws?: string[];
  admin?: string;
  data?: string;
  whitelist?: string;
  blacklist?: string;
  open?: boolean;
  interval?: number;
  minInterval?: number;
  peerTimeout?: number;
  numwant?: number;
  numwantMax?: number;
  peersPerAddress?: number;
  completionsPerAddress?: number;
  fullScrape?: boolean;
  swarmStore?: string;
  nodeId?: string;
  swarmStoreKeyPrefix?: string;
  trustedProxy?: string[];
  statsNetwork?: string[];
  printConfig?: boolean;
}

/** Builds the effective config: defaults, then the config file, then flags. */
export function configFromOptions(o: ServeOptions): Config {
  const given = o.config ? readConfigFile(o.config) : {};
  // DATA/fjord.json (settings shared with publish and unpublish) under the --config file.
  const file = { ...readDataDirConfig(resolve(o.data ?? given.dataDir ?? defaults.dataDir)), ...given };
  const c: Config = { ...defaults, ...file };
  const lists = [o.whitelist, o.blacklist, o.open].filter((x) => x !== undefined && x !== false).length;
  if (lists > 1) throw new Error('give only one of --whitelist, --blacklist and --open');
  if (o.http || o.udp) {
    c.http = (o.http ?? []).map(parseEndpoint);
    c.udp = (o.udp ?? []).map(parseEndpoint);
  }
  if (o.ws) c.ws = o.ws.map(parseEndpoint);
  if (o.web) c.web = o.web.map(parseEndpoint);
  if (o.catalog) c.catalogUrl = o.catalog;
  if (o.admin !== undefined) c.admin = o.admin === 'off' ? null : parseEndpoint(o.admin);
  if (o.data) c.dataDir = o.data;
  if (o.whitelist) {
    c.mode = 'whitelist';
    c.listFile = o.whitelist;
  } else if (o.blacklist) {
    c.mode = 'blacklist';
    c.listFile = o.blacklist;
  } else if (o.open) {
    c.mode = 'open';
    c.listFile = null;
  }
  if (o.interval !== undefined) c.interval = o.interval;
  // min interval and peer timeout follow the interval unless set themselves (interval / 2, x 1.5).
  c.minInterval = o.minInterval ?? file.minInterval ?? Math.max(1, Math.floor(c.interval / 2));
  c.peerTimeout = o.peerTimeout ?? file.peerTimeout ?? Math.floor(c.interval * 1.5);
  if (o.numwant !== undefined) c.numwantDefault = o.numwant;
  if (o.numwantMax !== undefined) c.numwantMax = o.numwantMax;
  if (o.peersPerAddress !== undefined) c.peersPerAddress = o.peersPerAddress;
  if (o.completionsPerAddress !== undefined) c.completionsPerAddress = o.completionsPerAddress;
  if (o.fullScrape) c.fullScrape = true;
  if (o.swarmStore !== undefined) c.swarmStore = o.swarmStore as Config['swarmStore'];
  if (o.nodeId !== undefined) c.nodeId = o.nodeId;
  if (o.swarmStoreKeyPrefix !== undefined) c.swarmStoreKeyPrefix = o.swarmStoreKeyPrefix;
  if (o.trustedProxy) c.trustedProxies = o.trustedProxy;
  if (o.statsNetwork) c.statsNetworks = o.statsNetwork;
  c.dataDir = resolve(c.dataDir);
  if (c.listFile) c.listFile = resolve(c.listFile);
  return validateConfig(c);
}

/** `fjord serve`: prints the effective configuration (--print-config) or runs the servers. */
export async function serve(o: ServeOptions): Promise<void> {
  const config = configFromOptions(o);
  if (o.printConfig) {
    const shown = {
      ...config,
      http: config.http.map(formatEndpoint),
      udp: config.udp.map(formatEndpoint),
      web: config.web.map(formatEndpoint),
      ws: config.ws.map(formatEndpoint),
      admin: config.admin ? formatEndpoint(config.admin) : null,
      adminToken: config.adminToken ? '(set)' : null,
      swarmStore: redactRedisUrl(config.swarmStore),
    };
    process.stdout.write(JSON.stringify(shown, null, 2) + '\n');
    return;
  }
  await runServe(config);
}

export async function runServe(config: Config): Promise<void> {
  const log = (m: string) => process.stderr.write(`fjord: ${m}\n`);
  // Before anything writes there: the catalog holds password hashes and session secrets.
  secureDataDir(config.dataDir, !config.catalogUrl, log);
  const tracker = new Tracker(config, log);
  if (config.mode === 'whitelist' && !config.listFile)
    log(
      "no --whitelist file: only the catalog's published episodes and torrents added through the admin API are served (use --open to serve any)",
    );
  // Signal handlers go in before anything listens: a SIGHUP that arrives right after the
  // `listening` lines must reload, never end the process (SIGHUP's default action).
  let admin: TrackerAdminServer | null = null;
  let newsroom: Awaited<ReturnType<typeof startNewsroom>> | null = null;
  let distribution: Awaited<ReturnType<typeof startDistribution>> | null = null;
  process.on('SIGHUP', () => {
    if (!config.listFile) return;
    try {
      const r = tracker.access.loadFile();
      log(`access: reloaded ${config.listFile} on SIGHUP: ${r.count} hashes`);
    } catch (e) {
      log(`access: ${e instanceof Error ? e.message : String(e)}; keeping the previous list`);
    }
  });
  // SIGUSR2: record the statistics of the minute so far now (the dashboard shows them at once);
  // documented in docs/statistics.md. Installed before listening: SIGUSR2's default ends the process.
  process.on('SIGUSR2', () => {
    if (newsroom === null) return log('SIGUSR2: statistics are not running yet');
    newsroom.recorder.flush().then(
      () => log('statistics: recorded on SIGUSR2'),
      (e: unknown) => log(`statistics: SIGUSR2: ${e instanceof Error ? e.message : String(e)}`),
    );
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down`);
    await newsroom?.stop();
    await Promise.all([tracker.stop(), admin?.close(), distribution?.stop()]);
    log('state saved; bye');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // The catalog feeds the access list before the first announce can arrive, and the web seed.
  distribution = await startDistribution(config, tracker, log);
  const dist = distribution;
  const listening = await tracker.start().catch(async (e: unknown) => {
    await dist.stop();
    throw e;
  });
  dist.trackerListening(listening);
  if (config.admin) {
    admin = new TrackerAdminServer(tracker, adminToken(config), config.admin);
    try {
      listening.push({ protocol: 'admin' as 'http', endpoint: await admin.listen() });
    } catch (e) {
      await Promise.all([tracker.stop(), dist.stop()]);
      const err = e as NodeJS.ErrnoException;
      throw new Error(
        err.code === 'EADDRINUSE'
          ? `admin address already in use (${formatEndpoint(config.admin)}); use --admin off or another port`
          : err.message,
      );
    }
  }
  // Statistics (a minute timer), accounts, /admin/login and /admin/api on the web server.
  newsroom = await startNewsroom(config, tracker, dist, log);
  // Community subtitles: the contribute form and its API on the pages, moderation under /admin.
  await startCommunitySubtitles(config, dist, newsroom.auth, log);
  for (const l of listening) process.stdout.write(`listening ${l.protocol} ${formatEndpoint(l.endpoint)}\n`);
  for (const e of dist.listening) process.stdout.write(`listening web ${formatEndpoint(e)}\n`);
  log(dist.summary());
}

/**
 * The composition root: the one place that wires a running fjord together. `fjord serve` (through
 * src/cli/serve.ts) hands it a validated configuration; it builds the tracker, the catalog and what
 * follows it (distribution.ts), the statistics and accounts (newsroom.ts) and community subtitles
 * (community-subtitles.ts), installs the signal handlers and prints the `listening` lines. The
 * parts below (tracker, publish, subtitles, auth, stats, web) know nothing of each other's
 * construction; only this folder imports them all.
 */
import { formatEndpoint, type Config } from '../config.js';
import { Tracker, adminToken } from '../tracker/tracker.js';
import { TrackerAdminServer } from '../tracker/admin-server.js';
import { secureDataDir } from '../storage/data-dir.js';
import { startDistribution } from './distribution.js';
import { startNewsroom } from './newsroom.js';
import { startCommunitySubtitles } from './community-subtitles.js';

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
  await startCommunitySubtitles(config, dist, newsroom.auth, newsroom.dashboard, log);
  for (const l of listening) process.stdout.write(`listening ${l.protocol} ${formatEndpoint(l.endpoint)}\n`);
  for (const e of dist.listening) process.stdout.write(`listening web ${formatEndpoint(e)}\n`);
  log(dist.summary());
}

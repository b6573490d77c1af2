/**
 * What `fjord serve` starts for the newsroom: the statistics recorder (a minute timer, the roll-up,
 * pruning), the web seed's byte meter, accounts, the login routes, the admin JSON API and the
 * dashboard's pages (dashboard.ts, on the audience site's layout), all on the catalog database and the
 * web server that startDistribution made.
 */
import { Accounts } from '../auth/accounts.js';
import { AuthHttp } from '../auth/http.js';
import { registerLogin } from '../web/admin/login-page.js';
import type { Config } from '../config.js';
import type { Distribution } from './distribution.js';
import { StatsRecorder, WebSeedMeter } from '../stats/recorder.js';
import { StatsStore } from '../stats/store.js';
import type { Tracker } from '../tracker/tracker.js';
import { NewsroomApi } from '../web/admin/newsroom-api.js';
import { NewsroomReports } from '../reports/newsroom.js';
import { Dashboard } from '../web/admin/dashboard.js';

export interface Newsroom {
  recorder: StatsRecorder;
  stats: StatsStore;
  accounts: Accounts;
  auth: AuthHttp;
  dashboard: Dashboard;
  /** Records the last partial minute; call before the catalog closes. */
  stop(): Promise<void>;
}

export async function startNewsroom(
  config: Config,
  tracker: Tracker,
  distribution: Pick<Distribution, 'catalog' | 'web' | 'webSeed' | 'audience'>,
  log: (msg: string) => void,
): Promise<Newsroom> {
  const backend = distribution.catalog.backend;
  const stats = new StatsStore(backend);
  const meter = new WebSeedMeter();
  distribution.webSeed.onSent = (path, n) => meter.add(path, n);
  const recorder = new StatsRecorder(tracker, stats, { webSeed: meter, log });
  await recorder.start();
  const accounts = new Accounts(backend);
  const auth = new AuthHttp({
    accounts,
    trustedProxies: config.trustedProxies,
    trustProxyTls: config.trustProxyTls,
  });
  const reports = new NewsroomReports({
    catalog: distribution.catalog,
    stats,
    timeZone: config.timeZone,
    httpPricePerGb: config.httpPricePerGb,
    currency: config.currency,
  });
  const api = new NewsroomApi({ auth, reports, catalog: distribution.catalog, timeZone: config.timeZone });
  const dashboard = new Dashboard({
    auth,
    reports,
    catalog: distribution.catalog,
    layout: distribution.audience.layout,
    config,
    log,
    suspects: () => {
      const s = tracker.store;
      return {
        suspects: s.suspects.list(tracker.tick()),
        peersPerAddress: config.peersPerAddress,
        completionsPerAddress: config.completionsPerAddress,
        ...s.limitCounts(),
        unlisted: s.suspects.unlisted,
      };
    },
  });
  registerLogin(distribution.web, auth, dashboard.loginRenderer);
  api.register(distribution.web);
  dashboard.register(distribution.web);
  const stop = async (): Promise<void> => {
    dashboard.stop();
    await recorder.stop();
  };
  return { recorder, stats, accounts, auth, dashboard, stop };
}

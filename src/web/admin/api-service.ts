/**
 * What `fjord serve` starts for the newsroom: the statistics recorder (a minute timer, the roll-up,
 * pruning), the web seed's byte meter, accounts, the login routes and the admin JSON API, all on the
 * catalog database and the web server that startDistribution made. The dashboard pages add their
 * routes with `auth.page(...)` as the guard.
 */
import { Accounts } from '../../auth/accounts.js';
import { AuthHttp } from '../../auth/http.js';
import { registerLogin } from '../../auth/login-page.js';
import type { Config } from '../../config.js';
import type { Distribution } from '../../publish/distribution.js';
import { StatsRecorder, WebSeedMeter } from '../../stats/recorder.js';
import { StatsStore } from '../../stats/store.js';
import type { Tracker } from '../../tracker/tracker.js';
import { AdminApi } from './api.js';

export interface Newsroom {
  recorder: StatsRecorder;
  stats: StatsStore;
  accounts: Accounts;
  auth: AuthHttp;
  /** Records the last partial minute; call before the catalog closes. */
  stop(): Promise<void>;
}

export async function startNewsroom(
  config: Config,
  tracker: Tracker,
  distribution: Pick<Distribution, 'catalog' | 'web' | 'webSeed'>,
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
  registerLogin(distribution.web, auth);
  new AdminApi({
    auth,
    catalog: distribution.catalog,
    stats,
    timeZone: config.timeZone,
    httpPricePerGb: config.httpPricePerGb,
    currency: config.currency,
  }).register(distribution.web);
  return { recorder, stats, accounts, auth, stop: () => recorder.stop() };
}

/**
 * `fjord serve`: its flags made into the effective configuration (the options and help are in
 * commands/serve.ts); src/server/serve.ts runs the servers it describes.
 */
import { formatEndpoint, parseEndpoint, type Config } from '../config.js';
import { loadSettings, type CommonFlags } from './settings.js';
import { runServe } from '../server/serve.js';

export interface ServeOptions extends CommonFlags {
  http?: string[];
  udp?: string[];
  web?: string[];
  ws?: string[];
  admin?: string;
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
  trustedProxy?: string[];
  statsNetwork?: string[];
  printConfig?: boolean;
}

/** Builds the effective config: defaults, then the config files, then flags (cli/settings.ts). */
export function configFromOptions(o: ServeOptions): Config {
  const lists = [o.whitelist, o.blacklist, o.open].filter((x) => x !== undefined && x !== false).length;
  if (lists > 1) throw new Error('give only one of --whitelist, --blacklist and --open');
  return loadSettings(o, (c, file) => {
    if (o.http || o.udp) {
      c.http = (o.http ?? []).map(parseEndpoint);
      c.udp = (o.udp ?? []).map(parseEndpoint);
    }
    if (o.ws) c.ws = o.ws.map(parseEndpoint);
    if (o.web) c.web = o.web.map(parseEndpoint);
    if (o.admin !== undefined) c.admin = o.admin === 'off' ? null : parseEndpoint(o.admin);
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
    if (o.trustedProxy) c.trustedProxies = o.trustedProxy;
    if (o.statsNetwork) c.statsNetworks = o.statsNetwork;
  });
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
    };
    process.stdout.write(JSON.stringify(shown, null, 2) + '\n');
    return;
  }
  await runServe(config);
}

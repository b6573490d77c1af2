/**
 * fjord's one typed configuration. Every setting has its default here, with the reason for it;
 * `fjord serve --print-config` prints the effective values. A config file (--config FILE, JSON)
 * holds the same keys; command-line flags override the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Network } from './protocol/ip.js';
import { checkKeyPrefix, parseRedisUrl } from './swarm/redis-url.js';
import { checkStatisticsSettings } from './stats/settings.js';
import { checkSubtitleSettings } from './subtitles/settings.js';
import { checkPolicySettings, DEFAULT_POLICY } from './web/webseed-policy.js';
import { checkBrandingSettings, DEFAULT_ACCENT } from './web/branding.js';

export interface Endpoint {
  host: string;
  port: number;
}

export type AccessMode = 'whitelist' | 'blacklist' | 'open';
/**
 * The peer stores a tracker can run on (config `swarmStore`): 'memory', or a Redis URL
 * (src/swarm/redis-url.ts: redis://, rediss://, redis+cluster://).
 */
export type SwarmStoreKind = 'memory' | `redis${string}`;

export interface Config {
  /** HTTP tracker listeners (announce at /announce, scrape at /scrape, plus /stats and /metrics). */
  http: Endpoint[];
  /** UDP tracker listeners (BEP 15). */
  udp: Endpoint[];
  /**
   * WebSocket tracker listeners for WebTorrent browsers (ws://HOST:PORT/announce). None by default.
   * An endpoint equal to an `http` one is served on that port: the HTTP tracker hands it upgrades.
   */
  ws: Endpoint[];
  /** Admin API listener; loopback by default so the token never crosses a network. */
  admin: Endpoint | null;
  /** Web server listeners (the web seed under /media/, later pages and feeds). None by default. */
  web: Endpoint[];
  /** The catalog: null for SQLite in DATA/catalog.sqlite, or a postgres:// URL. */
  catalogUrl: string | null;
  /**
   * Tracker URLs written into published torrents (`announce`, one tier each, in order). They are what
   * viewers reach, so not necessarily this process's listeners (a proxy or another host may sit between).
   */
  publicTrackerUrls: string[];
  /**
   * The web server's base URL as viewers reach it; published torrents list `<this>/media/<series>/` as
   * their web seed. Written into each torrent when it is made: changing it later leaves old torrents as
   * they are.
   */
  publicWebUrl: string;
  /**
   * WebSocket tracker URLs for browsers (the web player, and magnet links on the pages). Empty: derived
   * from the --ws listeners (ws://HOST:PORT/announce, loopback for a wildcard host), else
   * ws://127.0.0.1:6969/announce. Set it when viewers reach the tracker through a proxy (wss://...).
   */
  publicWsTrackerUrls: string[];
  /**
   * STUN/TURN servers browsers use for WebRTC (stun:..., turn:...). None by default: a third party's
   * STUN server would learn every viewer's address. Run your own (e.g. coturn) for viewers behind NAT.
   */
  webrtcIceServers: string[];
  /** Where state lives: downloaded counts, the admin token, later the catalog and media. */
  dataDir: string;
  /** whitelist: only listed torrents; blacklist: all but listed; open: any torrent. */
  mode: AccessMode;
  /** The access list file: one hex info hash per line, `#` comments. */
  listFile: string | null;
  /** Seconds clients are asked to wait between announces (BEP 3 `interval`); 30 minutes as opentracker. */
  interval: number;
  /** Seconds a client must wait at least (`min interval`). */
  minInterval: number;
  /** Seconds after its last announce that a peer is forgotten. Default: interval x 1.5. */
  peerTimeout: number;
  /** Peers returned when a client does not say (`numwant` absent or -1). */
  numwantDefault: number;
  /** Most peers ever returned in one reply, whatever the client asks. */
  numwantMax: number;
  /**
   * Peers one IPv4 address (or IPv6 /64) may have in one swarm; a new peer beyond is answered but
   * not stored nor given to others, and its address is listed as suspicious (docs/statistics.md).
   */
  peersPerAddress: number;
  /**
   * Completions counted per torrent from one IPv4 address (or IPv6 /64) in a 12 to 24 hour window;
   * more are not counted and the address is listed as suspicious (docs/statistics.md).
   */
  completionsPerAddress: number;
  /**
   * Where the tracker keeps its swarms (src/swarm/peer-store.ts): 'memory' (the in-process
   * SwarmStore), or a Redis shared by several tracker nodes: redis://[user:pass@]HOST:PORT[/DB],
   * rediss://... (TLS), redis+cluster://HOST:PORT[,HOST:PORT...] (src/swarm/redis-store.ts).
   */
  swarmStore: SwarmStoreKind;
  /** Prefix of the Redis keys (a Cluster hash tag), so several installations share one Redis. */
  swarmStoreKeyPrefix: string;
  /** This node's name among the nodes of a shared store; null: host name and process id. */
  nodeId: string | null;
  /** Allow a scrape without info_hash (all torrents). Off: it lists every torrent a closed tracker has. */
  fullScrape: boolean;
  /** Seconds between full scrapes served to one address when fullScrape is on. */
  fullScrapeInterval: number;
  /** Networks whose X-Forwarded-For (and `ip` parameter) are believed. */
  trustedProxies: string[];
  /** Networks allowed to read /stats and /metrics. */
  statsNetworks: string[];
  /** Largest HTTP request head accepted (request line and headers), bytes. */
  maxHeaderBytes: number;
  /** Seconds an HTTP connection may stay idle or unfinished before it is closed. */
  httpIdleTimeout: number;
  /**
   * Open HTTP tracker connections from one address (trusted proxies excepted); a new one beyond it
   * is closed at once. Real clients open one per announce and close it within milliseconds.
   */
  httpMaxConnectionsPerAddress: number;
  /**
   * File descriptors the HTTP tracker leaves free for the rest of the process (web and admin
   * listeners, files, the catalog), at most a quarter of the limit (`ulimit -n`). When its
   * connections would take them, the one that has waited longest for its client is closed.
   */
  descriptorReserve: number;
  /**
   * Open connections to a --web listener (pages, feeds, the web seed) from one address (trusted
   * proxies excepted); a new one beyond it is closed at once. Generous: viewers behind carrier-grade
   * NAT share one address, and a browser opens about six per site.
   */
  webMaxConnectionsPerAddress: number;
  /** Open connections to the --admin listener from one address (trusted proxies excepted). */
  adminMaxConnectionsPerAddress: number;
  /** Seconds between writes of the downloaded counts to disk (and always at shutdown). */
  saveInterval: number;
  /**
   * Seconds between saves of the memory store's swarms to DATA/swarms.bin (and always at shutdown),
   * loaded at start so a restart loses no swarm; 0: swarms are not saved (forgotten on restart).
   */
  swarmSaveInterval: number;
  /** Admin API token; when null one is generated and kept in DATA/admin-token. */
  adminToken: string | null;
  /**
   * Seconds between a browser's announces. Shorter than `interval`: a browser's offers go only to
   * peers present when it announces, so it re-announces to meet newcomers; 120 as bittorrent-tracker.
   */
  wsInterval: number;
  /** Seconds after its last announce that a browser peer leaves its swarm (its socket may stay). */
  wsPeerTimeout: number;
  /** Seconds between pings; a socket that has not answered (pong or any message) by the next is closed. */
  wsPingInterval: number;
  /** Seconds a WebSocket may send nothing (no message, pongs aside) before it is closed. */
  wsIdleTimeout: number;
  /** Largest WebSocket message accepted, bytes (ws maxPayload); larger closes the socket (1009). */
  wsMaxMessageBytes: number;
  /** Offers relayed from one announce; more are dropped (WebTorrent sends at most 5). */
  wsMaxOffers: number;
  /** Open WebSockets from one address (behind NAT, one per browser tab); more are refused (429). */
  wsMaxConnectionsPerAddress: number;
  /** Swarms one WebSocket may be in at once (a page with many torrents shares one socket). */
  wsMaxPeersPerConnection: number;
  /**
   * Bytes queued for a socket (ws bufferedAmount) above which relays to it are dropped; a socket still
   * above at the next ping, or at 4 times this with its own replies, is closed. Bounds a slow reader.
   */
  wsMaxBufferedBytes: number;
  /** Offers relayed to one socket that it may still answer; the oldest is forgotten beyond. */
  wsMaxPendingOffers: number;
  /** Seconds an offer may be answered (WebTorrent gives up on its offers after 50 s). */
  wsOfferTimeout: number;
  /**
   * Seconds from accept within which a WebSocket handshake (the whole request head) must arrive on a
   * --ws listener of its own; a fixed deadline, not renewed by each byte.
   */
  wsHandshakeTimeout: number;
  /**
   * Offers one WebSocket may have relayed per second, on average (a token bucket); more are dropped.
   * WebTorrent sends 5 or 10 offers an announce, one announce per torrent every wsInterval.
   */
  wsOfferRate: number;
  /** The bucket's size: offers one WebSocket may have relayed at once (a page starting 10 torrents). */
  wsOfferBurst: number;
  /** Malformed messages tolerated on one socket: each gets a `failure reason`, this many closes it. */
  wsMaxMalformed: number;
  /** The broadcaster's time zone (IANA name): statistics' days and the admin API's times. */
  timeZone: string;
  /** What serving a GB (10^9 bytes) over plain HTTP costs, for "delivery cost saved" (src/stats/derived.ts). */
  httpPricePerGb: number;
  /** The currency of httpPricePerGb (ISO 4217 code). */
  currency: string;
  /**
   * The web seed policy (src/web/webseed-policy.ts, docs/webseed.md): the web seed as origin of last
   * resort. Off: every request is served as fast as the client asks (a plain web seed).
   */
  webSeedPolicy: boolean;
  /** Bytes per second one torrent's web seed may send beyond lone viewers, rare ranges and returns. */
  webSeedTorrentRate: number;
  /** Bytes per second the installation's web seed may send so, all torrents together. */
  webSeedTotalRate: number;
  /** Complete sources (seeders, or a recent copy from the web seed) a range needs before it can be refused. */
  webSeedMinSources: number;
  /** Seconds in a refusal's Retry-After; a client back for the same range after that is served. */
  webSeedRetryAfter: number;
  /**
   * fjord's web server is reached only through a TLS-terminating proxy: session cookies are always
   * `Secure`. Without it they are `Secure` when the connection is TLS or a trusted proxy
   * (trustedProxies) says `X-Forwarded-Proto: https`.
   */
  trustProxyTls: boolean;
  /**
   * The folder the dashboard publishes from (/admin/publish lists its media and subtitle files); null:
   * DATA/inbox. Put files there by any means (SFTP, a shared drive); the dashboard only reads it.
   */
  inboxDir: string | null;
  /**
   * The licence viewers accept when they contribute a translation (an SPDX id), shown on the form
   * with its name and link; each submission records the one it was accepted under.
   */
  subtitleLicence: string;
  /** A link to that licence's text; null: fjord's own for CC-BY-4.0, CC-BY-SA-4.0 and CC0-1.0, else none. */
  subtitleLicenceUrl: string | null;
  /**
   * Community subtitles accepted per address (an IPv4 address or an IPv6 /64) per subtitleRateWindow;
   * 0 closes submissions. Refused attempts count apart, with a limit of 4 times this (at least 20).
   */
  subtitleRateLimit: number;
  /** Seconds of that window: 5 an hour by default. */
  subtitleRateWindow: number;
  /**
   * Community subtitles waiting for moderation, at most: per address (IPv4, IPv6 /64), per network
   * (IPv4 /24, IPv6 /48) and per episode; past one, a submission is refused (429) until moderators
   * have reviewed some. Defaults 10, 20 and 50.
   */
  subtitlePendingPerAddress: number;
  subtitlePendingPerRange: number;
  subtitlePendingPerEpisode: number;
  /** The site's name in the header, page titles, feeds and the about page (the broadcaster's brand). */
  siteName: string;
  /**
   * The logo shown in the header instead of the name (which stays as its alt text): an SVG or PNG
   * file, at most 256 KB; an SVG with scripts, event handlers or external references is refused.
   */
  siteLogo: string | null;
  /**
   * Buttons' and links' colour (#rrggbb). One that would miss WCAG AA contrast (4.5:1) on the light
   * or dark pages is adjusted for that scheme, and the start log says so.
   */
  accentColour: string;
  /** The footer's text; null: fjord's line about BitTorrent sharing. */
  footerText: string | null;
  /** The about page's opening paragraph; null: fjord's. Blank lines separate paragraphs. */
  aboutText: string | null;
  /** The language programmes are spoken in (BCP 47), for the player's subtitles. */
  programmeLanguage: string;
  /**
   * Turn on the subtitles in the page's language by default when the programme is in another
   * language (the page's language is always listed first).
   */
  subtitlesOnWhenForeign: boolean;
}

export const defaults: Config = {
  http: [{ host: '127.0.0.1', port: 6969 }],
  udp: [{ host: '127.0.0.1', port: 6969 }],
  ws: [],
  admin: { host: '127.0.0.1', port: 6970 },
  web: [],
  catalogUrl: null,
  publicTrackerUrls: ['http://127.0.0.1:6969/announce', 'udp://127.0.0.1:6969/announce'],
  publicWebUrl: 'http://127.0.0.1:8080',
  publicWsTrackerUrls: [],
  webrtcIceServers: [],
  dataDir: 'data',
  mode: 'whitelist',
  listFile: null,
  interval: 1800,
  minInterval: 900,
  peerTimeout: 2700,
  numwantDefault: 50,
  numwantMax: 200,
  peersPerAddress: 8,
  completionsPerAddress: 8,
  swarmStore: 'memory',
  swarmStoreKeyPrefix: 'fjord:',
  nodeId: null,
  fullScrape: false,
  fullScrapeInterval: 60,
  trustedProxies: [],
  statsNetworks: ['127.0.0.0/8', '::1/128'],
  maxHeaderBytes: 8192,
  httpIdleTimeout: 10,
  httpMaxConnectionsPerAddress: 128,
  descriptorReserve: 256,
  webMaxConnectionsPerAddress: 256,
  adminMaxConnectionsPerAddress: 64,
  saveInterval: 60,
  swarmSaveInterval: 60,
  adminToken: null,
  wsInterval: 120,
  wsPeerTimeout: 300,
  wsPingInterval: 30,
  wsIdleTimeout: 300,
  wsMaxMessageBytes: 64 * 1024,
  wsMaxOffers: 10,
  wsMaxConnectionsPerAddress: 128,
  wsMaxPeersPerConnection: 100,
  wsMaxBufferedBytes: 256 * 1024,
  wsMaxPendingOffers: 32,
  wsOfferTimeout: 60,
  wsMaxMalformed: 3,
  wsHandshakeTimeout: 10,
  wsOfferRate: 10,
  wsOfferBurst: 100,
  timeZone: 'Europe/Oslo',
  httpPricePerGb: 0.05,
  currency: 'EUR',
  ...DEFAULT_POLICY,
  trustProxyTls: false,
  inboxDir: null,
  subtitleLicence: 'CC-BY-4.0',
  subtitleLicenceUrl: null,
  subtitleRateLimit: 5,
  subtitleRateWindow: 3600,
  subtitlePendingPerAddress: 10,
  subtitlePendingPerRange: 20,
  subtitlePendingPerEpisode: 50,
  siteName: 'fjord',
  siteLogo: null,
  accentColour: DEFAULT_ACCENT,
  footerText: null,
  aboutText: null,
  programmeLanguage: 'nb',
  subtitlesOnWhenForeign: true,
};

/** Parses HOST:PORT, [V6]:PORT or PORT (loopback) into an endpoint; throws a one-line reason. */
export function parseEndpoint(text: string): Endpoint {
  const m =
    /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]*):(\d+)$/.exec(text) ?? /^()(\d+)$/.exec(text);
  if (!m) throw new Error(`"${text}" is not HOST:PORT (e.g. 127.0.0.1:6969 or [::1]:6969)`);
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`"${text}": port out of range`);
  return { host: m[1] === '' ? '127.0.0.1' : m[1], port };
}

export function formatEndpoint(e: Endpoint): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

/** Checks a whole config; throws the first problem as a one-line message. */
export function validateConfig(c: Config): Config {
  const posInt = (k: keyof Config, min: number, max: number) => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new Error(`${String(k)} must be a whole number from ${min} to ${max} (got ${String(v)})`);
  };
  posInt('interval', 10, 86400);
  posInt('minInterval', 1, 86400);
  posInt('peerTimeout', 10, 86400);
  posInt('numwantDefault', 0, 1000);
  posInt('numwantMax', 1, 1000);
  posInt('peersPerAddress', 1, 255);
  posInt('completionsPerAddress', 1, 255);
  if (c.swarmStore !== 'memory') {
    if (typeof c.swarmStore !== 'string' || !/^rediss?(\+cluster)?:/i.test(c.swarmStore))
      throw new Error(
        `swarmStore must be memory or a redis://, rediss:// or redis+cluster:// URL (got ${String(c.swarmStore)})`,
      );
    parseRedisUrl(c.swarmStore);
  }
  checkKeyPrefix(c.swarmStoreKeyPrefix);
  if (c.nodeId !== null && (typeof c.nodeId !== 'string' || !/^[\x21-\x7e]{1,100}$/.test(c.nodeId)))
    throw new Error(
      `nodeId must be 1 to 100 printable characters without spaces (got ${JSON.stringify(c.nodeId)})`,
    );
  posInt('fullScrapeInterval', 1, 86400);
  posInt('maxHeaderBytes', 512, 1 << 20);
  posInt('httpIdleTimeout', 1, 3600);
  posInt('httpMaxConnectionsPerAddress', 1, 1 << 20);
  posInt('descriptorReserve', 0, 1 << 20);
  posInt('webMaxConnectionsPerAddress', 1, 1 << 20);
  posInt('adminMaxConnectionsPerAddress', 1, 1 << 20);
  posInt('saveInterval', 1, 86400);
  posInt('swarmSaveInterval', 0, 86400);
  posInt('wsInterval', 10, 86400);
  posInt('wsPeerTimeout', 10, 86400);
  posInt('wsPingInterval', 1, 3600);
  posInt('wsIdleTimeout', 10, 86400);
  posInt('wsMaxMessageBytes', 1024, 16 << 20);
  posInt('wsMaxOffers', 0, 100);
  posInt('wsMaxConnectionsPerAddress', 1, 1 << 20);
  posInt('wsMaxPeersPerConnection', 1, 100000);
  posInt('wsMaxBufferedBytes', 1024, 1 << 30);
  posInt('wsMaxPendingOffers', 1, 10000);
  posInt('wsOfferTimeout', 1, 3600);
  posInt('wsMaxMalformed', 1, 1000);
  posInt('wsHandshakeTimeout', 1, 3600);
  posInt('wsOfferRate', 1, 1_000_000);
  posInt('wsOfferBurst', 1, 1_000_000);
  if (c.minInterval > c.interval) throw new Error('minInterval must not exceed interval');
  checkStatisticsSettings(c);
  checkPolicySettings(c);
  checkSubtitleSettings(c);
  checkBrandingSettings(c);
  if (
    typeof c.programmeLanguage !== 'string' ||
    !/^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(c.programmeLanguage)
  )
    throw new Error(
      `programmeLanguage must be a language tag such as nb or en (got ${String(c.programmeLanguage)})`,
    );
  if (typeof c.subtitlesOnWhenForeign !== 'boolean')
    throw new Error('subtitlesOnWhenForeign must be true or false');
  if (c.inboxDir !== null && (typeof c.inboxDir !== 'string' || c.inboxDir === ''))
    throw new Error('inboxDir must be a folder path (or null for DATA/inbox)');
  if (!['whitelist', 'blacklist', 'open'].includes(c.mode))
    throw new Error(`mode must be whitelist, blacklist or open`);
  for (const n of [...c.trustedProxies, ...c.statsNetworks]) new Network(n);
  checkPublicUrls(c);
  if (c.http.length + c.udp.length + c.ws.length === 0)
    throw new Error('no listener: give --http, --udp and/or --ws');
  return c;
}

/** Reads a JSON config file over the defaults; unknown keys are an error (a typo must not pass silently). */
export function readConfigFile(path: string): Partial<Config> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`config ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`config ${path}: not a JSON object`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!(k in defaults)) throw new Error(`config ${path}: unknown setting "${k}"`);
    if (k === 'http' || k === 'udp' || k === 'ws' || k === 'web') {
      if (!Array.isArray(v)) throw new Error(`config ${path}: ${k} must be a list of "HOST:PORT"`);
      out[k] = v.map((e) => parseEndpoint(String(e)));
    } else if (k === 'admin') out[k] = v === null ? null : parseEndpoint(String(v));
    else out[k] = v;
  }
  return out as Partial<Config>;
}

/** The URLs that go into torrents must be absolute and of a scheme clients speak. */
export function checkPublicUrls(
  c: Pick<Config, 'publicTrackerUrls' | 'publicWebUrl' | 'catalogUrl'> &
    Partial<Pick<Config, 'publicWsTrackerUrls' | 'webrtcIceServers'>>,
): void {
  const url = (u: unknown, what: string, schemes: string[]): void => {
    let parsed: URL;
    try {
      parsed = new URL(String(u));
    } catch {
      throw new Error(`${what} "${String(u)}" is not a URL`);
    }
    if (!schemes.includes(parsed.protocol))
      throw new Error(`${what} "${String(u)}" must start with ${schemes.map((s) => s + '//').join(' or ')}`);
  };
  if (!Array.isArray(c.publicTrackerUrls)) throw new Error('publicTrackerUrls must be a list of URLs');
  for (const u of c.publicTrackerUrls) url(u, 'tracker URL', ['http:', 'https:', 'udp:', 'ws:', 'wss:']);
  url(c.publicWebUrl, 'web URL', ['http:', 'https:']);
  for (const [key, schemes] of [
    ['publicWsTrackerUrls', ['ws:', 'wss:']],
    ['webrtcIceServers', ['stun:', 'stuns:', 'turn:', 'turns:']],
  ] as const) {
    const v = c[key];
    if (v === undefined) continue;
    if (!Array.isArray(v)) throw new Error(`${key} must be a list of URLs`);
    const what = key === 'publicWsTrackerUrls' ? 'WebSocket tracker URL' : 'ICE server';
    for (const u of v) url(u, what, [...schemes]);
  }
  if (c.catalogUrl !== null) url(c.catalogUrl, 'catalog URL', ['postgres:', 'postgresql:']);
}

/**
 * Settings kept in the data directory itself (DATA/fjord.json, same keys as --config), so that every
 * command run on one data directory (serve, publish, unpublish) agrees on the catalog and the public
 * URLs without repeating flags. Lowest precedence after the defaults; absent file: no settings.
 */
export const DATA_CONFIG_FILE = 'fjord.json';

export function readDataDirConfig(dataDir: string): Partial<Config> {
  const path = join(dataDir, DATA_CONFIG_FILE);
  if (!existsSync(path)) return {};
  const c = readConfigFile(path);
  if (c.dataDir !== undefined)
    throw new Error(`config ${path}: dataDir cannot be set inside the data directory`);
  return c;
}

/**
 * The WebSocket tracker URLs browsers use (publicWsTrackerUrls, or derived; see Config). `bound`: the
 * --ws listeners' actual addresses once listening (a port 0 listener's port is known only then).
 */
export function wsTrackerUrls(
  c: Pick<Config, 'publicWsTrackerUrls' | 'publicTrackerUrls' | 'ws'>,
  bound: Endpoint[] = [],
): string[] {
  if (c.publicWsTrackerUrls.length > 0) return c.publicWsTrackerUrls;
  const listed = c.publicTrackerUrls.filter((u) => /^wss?:/i.test(u));
  if (listed.length > 0) return listed;
  const endpoints = bound.length > 0 ? bound : c.ws;
  if (endpoints.length > 0)
    return endpoints.map((e) => {
      const host = e.host === '0.0.0.0' || e.host === '' ? '127.0.0.1' : e.host === '::' ? '::1' : e.host;
      return `ws://${formatEndpoint({ host, port: e.port })}/announce`;
    });
  return ['ws://127.0.0.1:6969/announce'];
}

/**
 * Running counters: bumped on the hot path (one array increment each), read by /stats and
 * /metrics. Nothing here walks the peers.
 */

export const PROTOCOLS = ['udp', 'http', 'ws'] as const;
export const ACTIONS = ['connect', 'announce', 'scrape', 'other'] as const;
export const RESULTS = ['ok', 'error'] as const;
export const FAMILIES = ['ipv4', 'ipv6'] as const;

export const P_UDP = 0;
export const P_HTTP = 1;
export const P_WS = 2;
export const A_CONNECT = 0;
export const A_ANNOUNCE = 1;
export const A_SCRAPE = 2;
export const A_OTHER = 3;
export const R_OK = 0;
export const R_ERROR = 1;

/** Why a request was refused or dropped. */
export const ERROR_KINDS = [
  'malformed',
  'bad_connection_id',
  'unknown_action',
  'not_allowed',
  'withdrawn',
  'too_large',
  'timeout',
  'not_found',
  'rate_limited',
  'forbidden',
  'internal',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];
export const E_MALFORMED = 0;
export const E_BAD_CONNECTION_ID = 1;
export const E_UNKNOWN_ACTION = 2;
export const E_NOT_ALLOWED = 3;
export const E_WITHDRAWN = 4;
export const E_TOO_LARGE = 5;
export const E_TIMEOUT = 6;
export const E_NOT_FOUND = 7;
export const E_RATE_LIMITED = 8;
export const E_FORBIDDEN = 9;
export const E_INTERNAL = 10;

/** Upper bounds (seconds) of the request-handling latency histogram. */
export const LATENCY_BUCKETS = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
];

/** One in SAMPLE_EVERY requests is timed, so the clock is not read on every request. */
export const SAMPLE_EVERY = 16;

export class Counters {
  readonly startedAt = Date.now();
  /** requests[(protocol * ACTIONS + action) * RESULTS + result] */
  readonly requests = new Float64Array(PROTOCOLS.length * ACTIONS.length * RESULTS.length);
  /** errors[protocol * ERROR_KINDS + kind] */
  readonly errors = new Float64Array(PROTOCOLS.length * ERROR_KINDS.length);
  /** announces[protocol * 2 + family] (successful announces by address family) */
  readonly announces = new Float64Array(PROTOCOLS.length * 2);
  /** TCP connections accepted by the HTTP tracker, UDP datagrams received. */
  httpConnections = 0;
  udpPackets = 0;
  fullScrapes = 0;
  /** WebSocket tracker: sockets accepted and open now, messages received, relays and their drops. */
  wsConnections = 0;
  wsOpen = 0;
  wsMessages = 0;
  wsOffersRelayed = 0;
  wsAnswersRelayed = 0;
  /** Answers to an offer this tracker never sent to the answerer (or expired): dropped. */
  wsAnswersDropped = 0;
  /** Relays not sent because the receiving socket had too much queued (a slow reader). */
  wsRelaysDropped = 0;
  /** Sockets closed for reading too slowly (replies or pongs piling up, or relays at the next ping). */
  wsSlowClosed = 0;
  /** Offers not relayed because their socket was over its offer rate (wsOfferRate, wsOfferBurst). */
  wsOffersRateLimited = 0;
  /** Web and admin listener connections closed at once for being over their per-address cap. */
  webConnectionsRefused = 0;
  adminConnectionsRefused = 0;
  /** Latency histogram of sampled requests: counts per bucket (+Inf last), and the sum. */
  readonly latency = new Float64Array(LATENCY_BUCKETS.length + 1);
  latencySum = 0;
  latencyCount = 0;
  private sampleTick = 0;

  request(protocol: number, action: number, result: number): void {
    this.requests[(protocol * ACTIONS.length + action) * RESULTS.length + result]++;
  }

  error(protocol: number, action: number, kind: number): void {
    this.requests[(protocol * ACTIONS.length + action) * RESULTS.length + R_ERROR]++;
    this.errors[protocol * ERROR_KINDS.length + kind]++;
  }

  requestCount(protocol: number, action: number, result: number): number {
    return this.requests[(protocol * ACTIONS.length + action) * RESULTS.length + result];
  }

  errorCount(protocol: number, kind: number): number {
    return this.errors[protocol * ERROR_KINDS.length + kind];
  }

  /** True once every SAMPLE_EVERY calls: the caller then times its request. */
  shouldSample(): boolean {
    return (++this.sampleTick & (SAMPLE_EVERY - 1)) === 0;
  }

  observeLatency(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
    this.latency[i]++;
    this.latencySum += seconds;
    this.latencyCount++;
  }
}

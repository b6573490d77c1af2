/**
 * Reading fjord's swarm state from the outside, as an operator's monitoring does: /stats?mode=json,
 * /stats?mode=peer (opentracker's format), /metrics (Prometheus text) and a scrape over HTTP or
 * UDP. The parsers here are written for the tests, independently of fjord's own codecs.
 */
import assert from 'node:assert/strict';
import { UdpClient, httpGet, percent, udpScrape } from '../helpers/tracker.js';

export type Protocol = 'http' | 'udp';

export interface Stats {
  uptime: number;
  torrents: number;
  peers: number;
  seeders: number;
  leechers: number;
  completedSinceStart: number;
  udp: {
    packets: number;
    connects: number;
    announces: number;
    scrapes: number;
    announcesIPv4: number;
    announcesIPv6: number;
  };
  http: {
    connections: number;
    announces: number;
    scrapes: number;
    fullScrapes: number;
    announcesIPv4: number;
    announcesIPv6: number;
  };
  errors: Record<string, { udp: number; http: number }>;
}

export async function stats(httpPort: number): Promise<Stats> {
  const r = await httpGet(httpPort, '/stats?mode=json');
  assert.equal(r.status, 200, `/stats?mode=json: HTTP ${r.status}: ${r.body.toString()}`);
  const s = JSON.parse(r.body.toString('utf8')) as Stats;
  for (const k of ['torrents', 'peers', 'seeders', 'leechers', 'completedSinceStart'] as const)
    assert.equal(typeof s[k], 'number', `/stats json lacks a number "${k}"`);
  return s;
}

/** Prometheus samples by their series as printed, e.g. `fjord_peers{role="seeder",protocol="bittorrent"}`. */
export type Metrics = Map<string, number>;

export async function metrics(httpPort: number): Promise<Metrics> {
  const r = await httpGet(httpPort, '/metrics');
  assert.equal(r.status, 200, `/metrics: HTTP ${r.status}`);
  const m: Metrics = new Map();
  for (const line of r.body.toString('utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    m.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return m;
}

/** A gauge's value; it must be present. */
function gauge(m: Metrics, series: string): number {
  const v = m.get(series);
  assert.ok(v !== undefined, `/metrics has no ${series}`);
  return v;
}

/** A counter's value; fjord leaves out label sets still at zero. */
function counter(m: Metrics, series: string): number {
  return m.get(series) ?? 0;
}

/** The parts of /stats that only the swarm's clients change (not our own fetches, not the clock). */
function clientSide(s: Stats): string {
  const { uptime: _u, http, udp, ...rest } = s;
  const { connections: _c, ...h } = http;
  const { packets: _p, ...u } = udp;
  return JSON.stringify({ ...rest, http: h, udp: u });
}

export interface Snapshot {
  stats: Stats;
  metrics: Metrics;
  /** /stats?mode=peer: opentracker's "peers \n seeders" lines. */
  peerMode: [number, number];
}

/**
 * /stats, /metrics and /stats?mode=peer read in between two identical /stats readings, so a client
 * announcing in the middle cannot make the two disagree.
 */
export async function snapshot(httpPort: number): Promise<Snapshot> {
  for (let i = 0; i < 20; i++) {
    const a = await stats(httpPort);
    const m = await metrics(httpPort);
    const p = (await httpGet(httpPort, '/stats?mode=peer')).body.toString('utf8').split('\n');
    const b = await stats(httpPort);
    if (clientSide(a) === clientSide(b))
      return { stats: b, metrics: m, peerMode: [Number(p[0]), Number(p[1])] };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the swarm never held still long enough to read /stats and /metrics together');
}

/** Waits (bounded) until /stats shows the swarm the clients should have made. */
export async function waitForSwarm(
  httpPort: number,
  want: { seeders: number; leechers: number; completed?: number },
  ms: number,
): Promise<Stats> {
  const deadline = Date.now() + ms;
  let last: Stats | undefined;
  while (Date.now() < deadline) {
    last = await stats(httpPort);
    if (
      last.seeders === want.seeders &&
      last.leechers === want.leechers &&
      (want.completed === undefined || last.completedSinceStart === want.completed)
    )
      return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  const seen = last
    ? `seeders ${last.seeders}, leechers ${last.leechers}, completed ${last.completedSinceStart}`
    : 'nothing';
  throw new Error(
    `timed out after ${ms} ms waiting for the tracker to show ${JSON.stringify(want)}; it shows ${seen}`,
  );
}

/**
 * Checks that /stats, /stats?mode=peer and /metrics agree with each other and with what the
 * clients did: the expected swarm, announces over `protocol` only, no refused request.
 */
export function assertSwarmCounts(
  snap: Snapshot,
  protocol: Protocol,
  want: { seeders: number; leechers: number; completed: number; minAnnounces: number },
): void {
  const { stats: s, metrics: m } = snap;
  const other: Protocol = protocol === 'http' ? 'udp' : 'http';

  // The swarm, in /stats and /metrics.
  assert.equal(s.torrents, 1, 'torrents');
  assert.equal(gauge(m, 'fjord_swarms'), 1, 'fjord_swarms');
  assert.equal(s.seeders, want.seeders, 'seeders in /stats');
  assert.equal(s.leechers, want.leechers, 'leechers in /stats');
  assert.equal(s.peers, s.seeders + s.leechers, 'peers = seeders + leechers');
  assert.equal(gauge(m, 'fjord_peers{role="seeder",protocol="bittorrent"}'), s.seeders, 'fjord_peers seeder');
  assert.equal(
    gauge(m, 'fjord_peers{role="leecher",protocol="bittorrent"}'),
    s.leechers,
    'fjord_peers leecher',
  );
  assert.deepEqual(snap.peerMode, [s.peers, s.seeders], '/stats?mode=peer');
  assert.equal(s.completedSinceStart, want.completed, 'completedSinceStart');
  assert.equal(counter(m, 'fjord_completions_total'), s.completedSinceStart, 'fjord_completions_total');

  // Announces: over the protocol under test only, the same count everywhere.
  const mine = s[protocol];
  assert.ok(
    mine.announces >= want.minAnnounces,
    `${protocol} announces ${mine.announces} < ${want.minAnnounces}`,
  );
  assert.equal(mine.announcesIPv4, mine.announces, `${protocol} announces are all IPv4`);
  assert.equal(
    counter(m, `fjord_requests_total{protocol="${protocol}",action="announce",result="ok"}`),
    mine.announces,
    `fjord_requests_total ${protocol} announce ok`,
  );
  assert.equal(
    counter(m, `fjord_announces_total{protocol="${protocol}",family="ipv4"}`),
    mine.announces,
    `fjord_announces_total ${protocol} ipv4`,
  );
  assert.equal(s[other].announces, 0, `no ${other} announces`);
  assert.equal(s[other].scrapes, 0, `no ${other} scrapes`);
  assert.equal(counter(m, `fjord_requests_total{protocol="${other}",action="announce",result="ok"}`), 0);
  if (protocol === 'udp') {
    assert.ok(s.udp.connects > 0, 'UDP clients connected first (BEP 15)');
    assert.equal(
      counter(m, 'fjord_requests_total{protocol="udp",action="connect",result="ok"}'),
      s.udp.connects,
    );
  } else {
    assert.equal(s.udp.connects, 0, 'no UDP connects');
  }
  assert.equal(
    counter(m, `fjord_requests_total{protocol="${protocol}",action="scrape",result="ok"}`),
    mine.scrapes,
  );

  // Nothing any client sent was refused or dropped.
  const refused = Object.entries(s.errors).filter(([, v]) => v.udp + v.http > 0);
  assert.deepEqual(refused, [], 'no request errors in /stats');
  const errorSeries = [...m.keys()].filter(
    (k) =>
      k.startsWith('fjord_request_errors_total') ||
      (k.startsWith('fjord_requests_total') && k.includes('result="error"')),
  );
  assert.deepEqual(errorSeries, [], 'no error series in /metrics');
}

export interface ScrapeCounts {
  complete: number;
  incomplete: number;
  downloaded: number;
}

/** Scrapes one torrent over HTTP (BEP 48) or UDP (BEP 15). */
export async function scrape(
  protocol: Protocol,
  ports: { httpPort: number; udpPort: number },
  infoHashHex: string,
): Promise<ScrapeCounts> {
  const hash = Buffer.from(infoHashHex, 'hex');
  if (protocol === 'udp') {
    const c = new UdpClient(ports.udpPort);
    try {
      await c.bind('127.0.0.1');
      const id = await c.connect();
      const r = await c.request(udpScrape(id, [hash], 77));
      assert.equal(r.readUInt32BE(0), 2, `UDP scrape reply action (got ${r.readUInt32BE(0)})`);
      assert.equal(r.readUInt32BE(4), 77, 'UDP scrape transaction id');
      assert.equal(r.length, 8 + 12, 'UDP scrape reply length for one torrent');
      // BEP 15: seeders, completed, leechers.
      return { complete: r.readUInt32BE(8), downloaded: r.readUInt32BE(12), incomplete: r.readUInt32BE(16) };
    } finally {
      c.close();
    }
  }
  const r = await httpGet(ports.httpPort, `/scrape?info_hash=${percent(hash)}`);
  assert.equal(r.status, 200, `HTTP scrape: ${r.status}`);
  const top = bdecode(r.body);
  assert.ok(top instanceof Map, 'HTTP scrape reply is a dictionary');
  const files = top.get('files');
  assert.ok(files instanceof Map, `HTTP scrape reply has "files": ${r.body.toString('latin1')}`);
  const entry = files.get(hash.toString('latin1'));
  assert.ok(entry instanceof Map, 'HTTP scrape reply has the torrent under its raw 20-byte hash');
  const n = (k: string) => {
    const v = entry.get(k);
    assert.equal(typeof v, 'number', `scrape "${k}"`);
    return v as number;
  };
  return { complete: n('complete'), incomplete: n('incomplete'), downloaded: n('downloaded') };
}

type BValue = number | Buffer | BValue[] | Map<string, BValue>;

/** A small strict bencode decoder; dictionary keys come back as latin1 strings (raw bytes). */
export function bdecode(b: Buffer): BValue {
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`bencode: ${why} at ${i}`);
  };
  const value = (): BValue => {
    const c = b[i];
    if (c === 0x69 /* i */) {
      const end = b.indexOf(0x65, i);
      if (end < 0) fail('unterminated integer');
      const text = b.toString('latin1', i + 1, end);
      if (!/^(0|-?[1-9]\d*)$/.test(text)) fail(`bad integer "${text}"`);
      i = end + 1;
      return Number(text);
    }
    if (c === 0x6c /* l */) {
      i++;
      const list: BValue[] = [];
      while (b[i] !== 0x65) {
        if (i >= b.length) fail('unterminated list');
        list.push(value());
      }
      i++;
      return list;
    }
    if (c === 0x64 /* d */) {
      i++;
      const dict = new Map<string, BValue>();
      let prev: string | undefined;
      while (b[i] !== 0x65) {
        if (i >= b.length) fail('unterminated dictionary');
        const k = value();
        if (!Buffer.isBuffer(k)) fail('dictionary key is not a string');
        const key = (k as Buffer).toString('latin1');
        if (prev !== undefined && !(prev < key)) fail('dictionary keys not sorted');
        prev = key;
        dict.set(key, value());
      }
      i++;
      return dict;
    }
    const colon = b.indexOf(0x3a, i);
    if (colon < 0) fail('bad string length');
    const text = b.toString('latin1', i, colon);
    if (!/^(0|[1-9]\d*)$/.test(text)) fail(`bad string length "${text}"`);
    const start = colon + 1;
    const len = Number(text);
    if (start + len > b.length) fail('string runs past the end');
    i = start + len;
    return b.subarray(start, start + len);
  };
  const v = value();
  if (i !== b.length) fail('trailing bytes');
  return v;
}

/**
 * The HTTP tracker listener: GET /announce and GET /scrape (BEP 3, 7, 23, 48), plus /stats and
 * /metrics for the networks allowed to read them.
 *
 * Why a small parser over `net` and not node:http: a tracker request is one GET line and a few
 * headers, and real clients open a new connection per announce. node:http builds request and
 * response objects, parses every header and manages keep-alive; on this path that costs more than
 * the tracker's work (docs/benchmarks.md). This parser reads the request line, looks at only the
 * headers it needs, answers with Content-Length and closes, as opentracker does.
 *
 * Limits: the request head may not exceed maxHeaderBytes (431 then close); a connection idle or
 * unfinished for httpIdleTimeout seconds is closed; a request body is never read.
 */
import net from 'node:net';
import { HttpQuery, MAX_SCRAPE_HASHES, announceProblem, parseQuery } from '../protocol/http-query.js';
import { isV4Mapped, parseIPv4, parseIPv6, inNetworks, Network } from '../protocol/ip.js';
import { bencode } from '../protocol/bencode.js';
import { EVENT_STOPPED } from '../swarm/store.js';
import { clock } from '../swarm/clock.js';
import { ALLOWED, MESSAGE_NOT_ALLOWED, MESSAGE_WITHDRAWN, WITHDRAWN } from './access-list.js';
import {
  A_ANNOUNCE,
  A_OTHER,
  A_SCRAPE,
  E_FORBIDDEN,
  E_INTERNAL,
  E_MALFORMED,
  E_NOT_ALLOWED,
  E_NOT_FOUND,
  E_RATE_LIMITED,
  E_TIMEOUT,
  E_TOO_LARGE,
  E_WITHDRAWN,
  P_HTTP,
  R_OK,
} from './counters.js';
import type { Tracker } from './tracker.js';
import type { Endpoint } from '../config.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');
const OK_HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ';

function onSocketError(this: net.Socket): void {
  this.destroy();
}

/** Extra routes another part of fjord serves on the tracker port (e.g. the web pages). */
export type HttpFallback = (socket: net.Socket, head: Buffer, method: string, target: string) => boolean;

export class HttpTrackerServer {
  readonly server: net.Server;
  private readonly query = new HttpQuery();
  private readonly peer = Buffer.alloc(18);
  private readonly scratch = Buffer.allocUnsafeSlow(64 * 1024);
  private readonly scrapeOrder = new Uint16Array(MAX_SCRAPE_HASHES);
  private readonly trusted: Network[];
  private readonly statsNets: Network[];
  private readonly lastFullScrape = new Map<string, number>();
  /** Open connections and when each was accepted (clock seconds). */
  private readonly sockets = new Map<net.Socket, number>();
  private readonly partial = new Map<net.Socket, Buffer>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly onDataListener: (this: net.Socket, chunk: Buffer) => void;
  private readonly onCloseListener: (this: net.Socket) => void;
  /**
   * Set when the WebSocket tracker shares this port: given each GET /announce, it takes over the
   * connection (and returns true) if the request asks for a WebSocket.
   */
  upgrade: ((socket: net.Socket, head: Buffer, end: number) => boolean) | null = null;

  constructor(
    private readonly tracker: Tracker,
    readonly endpoint: Endpoint,
  ) {
    this.trusted = tracker.config.trustedProxies.map((n) => new Network(n));
    this.statsNets = tracker.config.statsNetworks.map((n) => new Network(n));
    // Listeners shared by every connection (`this` is the socket), so accepting allocates no closures.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.onDataListener = function (this: net.Socket, chunk: Buffer) {
      self.onData(this, chunk);
    };
    this.onCloseListener = function (this: net.Socket) {
      self.onClose(this);
    };
    this.server = net.createServer((socket) => this.onConnection(socket));
  }

  listen(): Promise<Endpoint> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      const v6 = this.endpoint.host.includes(':');
      this.server.listen(
        { port: this.endpoint.port, host: this.endpoint.host, ipv6Only: v6, backlog: 4096 },
        () => {
          this.server.off('error', onError);
          // From now on an error (e.g. too many open files on accept) is logged, never fatal.
          this.server.on('error', (err) =>
            this.tracker.log(`http ${this.endpoint.host}:${this.endpoint.port}: ${err.message}`),
          );
          this.sweepTimer = setInterval(() => this.sweepIdle(), 1000);
          this.sweepTimer.unref();
          const a = this.server.address() as net.AddressInfo;
          resolve({ host: a.address, port: a.port });
        },
      );
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      if (this.sweepTimer) clearInterval(this.sweepTimer);
      for (const sock of this.sockets.keys()) sock.destroy();
    });
  }

  /**
   * Per connection the hot path does only this: count it, remember when it came (for the idle
   * sweep, which replaces a timer per socket), and add three listeners that are shared functions,
   * not closures. A request that arrives in pieces keeps its partial head in `partial`.
   */
  private onConnection(socket: net.Socket): void {
    this.tracker.counters.httpConnections++;
    this.sockets.set(socket, clock.seconds);
    socket.on('data', this.onDataListener);
    socket.on('error', onSocketError);
    socket.on('close', this.onCloseListener);
  }

  private onClose(socket: net.Socket): void {
    this.sockets.delete(socket);
    this.partial.delete(socket);
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    const t = this.tracker;
    let buf: Buffer = chunk;
    const head = this.partial.get(socket);
    if (head !== undefined) {
      buf = Buffer.concat([head, chunk]);
      this.partial.set(socket, buf);
    }
    const end = buf.indexOf(CRLFCRLF);
    if (end < 0) {
      if (buf.length > t.config.maxHeaderBytes) {
        t.counters.error(P_HTTP, A_OTHER, E_TOO_LARGE);
        this.plain(socket, 431, 'request head too large\n');
        return;
      }
      if (head === undefined) this.partial.set(socket, Buffer.from(chunk));
      return;
    }
    if (head !== undefined) this.partial.delete(socket);
    if (end > t.config.maxHeaderBytes) {
      t.counters.error(P_HTTP, A_OTHER, E_TOO_LARGE);
      this.plain(socket, 431, 'request head too large\n');
      return;
    }
    socket.removeListener('data', this.onDataListener);
    try {
      this.onRequest(socket, buf, end);
    } catch (e) {
      // A bug must not end the process or leave the client hanging: answer 500 and count it.
      t.counters.error(P_HTTP, A_OTHER, E_INTERNAL);
      t.log(`http: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      if (!socket.destroyed) this.plain(socket, 500, 'internal error\n');
    }
  }

  /** Closes connections idle or unfinished for longer than httpIdleTimeout (runs every second). */
  private sweepIdle(): void {
    const limit = clock.seconds - this.tracker.config.httpIdleTimeout;
    for (const [socket, since] of this.sockets) {
      if (since > limit) continue;
      this.tracker.counters.error(P_HTTP, A_OTHER, E_TIMEOUT);
      this.sockets.delete(socket);
      socket.destroy();
    }
  }

  /** Another part (WebSocket tracker, web pages) has taken the connection: stop timing it out. */
  private release(socket: net.Socket): void {
    this.sockets.delete(socket);
  }

  /** Handles one request whose head is buf[0, end); always answers and closes. */
  private onRequest(socket: net.Socket, buf: Buffer, end: number): void {
    const t = this.tracker;
    // Request line: METHOD SP TARGET SP HTTP/x.y
    const sp1 = buf.indexOf(32);
    const lineEnd = buf.indexOf(13);
    const sp2 = sp1 < 0 ? -1 : buf.indexOf(32, sp1 + 1);
    if (sp1 <= 0 || sp2 < 0 || sp2 > lineEnd || buf[sp2 + 1] !== 72 /* H */) {
      t.counters.error(P_HTTP, A_OTHER, E_MALFORMED);
      this.plain(socket, 400, 'malformed request line\n');
      return;
    }
    const isGet = sp1 === 3 && buf[0] === 71 && buf[1] === 69 && buf[2] === 84;
    let q = sp1 + 1;
    while (q < sp2 && buf[q] !== 63 /* ? */) q++;
    const path = buf.toString('latin1', sp1 + 1, q);
    const qs = q < sp2 ? q + 1 : sp2;
    if (!isGet) {
      const method = buf.toString('latin1', 0, sp1);
      if (
        t.fallback &&
        t.fallback(socket, buf.subarray(0, end + 4), method, buf.toString('latin1', sp1 + 1, sp2))
      ) {
        this.release(socket);
        return;
      }
      t.counters.error(P_HTTP, A_OTHER, E_MALFORMED);
      this.plain(socket, 405, 'only GET is served here\n');
      return;
    }
    if (path === '/announce') {
      if (this.upgrade !== null && this.upgrade(socket, buf, end)) this.release(socket);
      else this.announce(socket, buf, qs, sp2, end);
    } else if (path === '/scrape') this.scrape(socket, buf, qs, sp2);
    else if (path === '/stats' || path === '/metrics') {
      if (!inNetworks(socket.remoteAddress ?? '', this.statsNets)) {
        t.counters.error(P_HTTP, A_OTHER, E_FORBIDDEN);
        this.plain(socket, 403, 'statistics are not available to this address\n');
        return;
      }
      const query = new URLSearchParams(buf.toString('latin1', qs, sp2));
      if (path === '/stats') {
        const r = t.statsPage(query);
        this.respond(socket, r.status, r.type, Buffer.from(r.body));
      } else {
        void t.metricsText().then(
          (text) => this.respond(socket, 200, 'text/plain; version=0.0.4; charset=utf-8', Buffer.from(text)),
          () => this.plain(socket, 500, 'metrics failed\n'),
        );
      }
    } else {
      if (
        t.fallback &&
        t.fallback(socket, buf.subarray(0, end + 4), 'GET', buf.toString('latin1', sp1 + 1, sp2))
      ) {
        this.release(socket);
        return;
      }
      t.counters.error(P_HTTP, A_OTHER, E_NOT_FOUND);
      this.plain(socket, 404, 'not found: this is a BitTorrent tracker (/announce, /scrape)\n');
    }
  }

  /**
   * The requester's address into this.peer; returns 4 or 16 (its length), or 0 if unusable.
   * Behind a trusted proxy, the rightmost X-Forwarded-For address not itself a trusted proxy is the
   * client (or the `ip` parameter, when there is no such header); otherwise the socket's address.
   */
  private requesterAddress(socket: net.Socket, buf: Buffer, end: number, ipParam: string | null): number {
    let address = socket.remoteAddress ?? '';
    if (this.trusted.length > 0 && inNetworks(address, this.trusted)) {
      const xff = headerValue(buf, end, 'x-forwarded-for');
      if (xff !== null) {
        const hops = xff.split(',').map((s) => s.trim());
        let pick = hops[hops.length - 1];
        for (let i = hops.length - 1; i >= 0; i--) {
          pick = hops[i];
          if (!inNetworks(pick, this.trusted)) break;
        }
        address = pick;
      } else if (ipParam !== null) address = ipParam;
    }
    const v4 = parseIPv4(address);
    if (v4 >= 0) {
      const p = this.peer;
      p[0] = v4 >>> 24;
      p[1] = (v4 >>> 16) & 0xff;
      p[2] = (v4 >>> 8) & 0xff;
      p[3] = v4 & 0xff;
      return 4;
    }
    if (!parseIPv6(address, this.peer, 0)) return 0;
    if (isV4Mapped(this.peer, 0)) {
      this.peer.copyWithin(0, 12, 16);
      return 4;
    }
    return 16;
  }

  private announce(socket: net.Socket, buf: Buffer, qs: number, qe: number, end: number): void {
    const t = this.tracker;
    const sample = t.counters.shouldSample();
    const started = sample ? performance.now() : 0;
    const q = this.query;
    if (!parseQuery(buf, qs, qe, q) || announceProblem(q) !== null) {
      t.counters.error(P_HTTP, A_ANNOUNCE, E_MALFORMED);
      this.failure(socket, 400, q.error ?? announceProblem(q) ?? 'bad request');
      return;
    }
    const access = t.access.check(q.hashes, 0);
    if (access !== ALLOWED) {
      const withdrawn = access === WITHDRAWN;
      t.counters.error(P_HTTP, A_ANNOUNCE, withdrawn ? E_WITHDRAWN : E_NOT_ALLOWED);
      this.failure(socket, 200, withdrawn ? MESSAGE_WITHDRAWN : MESSAGE_NOT_ALLOWED);
      return;
    }
    const addrLen = this.requesterAddress(socket, buf, end, q.ip);
    if (addrLen === 0) {
      t.counters.error(P_HTTP, A_ANNOUNCE, E_MALFORMED);
      this.failure(socket, 400, 'unusable client address');
      return;
    }
    const peer = this.peer;
    peer[addrLen] = q.port >>> 8;
    peer[addrLen + 1] = q.port & 0xff;
    const v6 = addrLen === 16;
    const seed = q.leftZero;
    const store = t.store;
    const swarm = store.announce(q.hashes, 0, peer, 0, v6, seed, q.event, t.tick());
    t.announceStats.http(swarm, v6, q.event, seed, q.downloaded, buf, q.peerIdStart, q.peerIdEnd);

    // Peers: the requester's own family first, then the other, numwant in all (BEP 7: peers6).
    const out = this.scratch;
    let n4 = 0;
    let n6 = 0;
    const want = q.event === EVENT_STOPPED || swarm === undefined ? 0 : t.numwant(q.numwant);
    const BASE4 = 1024;
    const BASE6 = BASE4 + 6 * 1000;
    if (want > 0 && swarm !== undefined) {
      if (v6) {
        n6 = store.selectPeers(swarm.v6, seed, want, out, BASE6);
        n4 = store.selectPeers(swarm.v4, seed, want - n6, out, BASE4);
      } else {
        n4 = store.selectPeers(swarm.v4, seed, want, out, BASE4);
        n6 = store.selectPeers(swarm.v6, seed, want - n4, out, BASE6);
      }
    }
    const complete = swarm === undefined ? 0 : swarm.seeders;
    const incomplete = swarm === undefined ? 0 : swarm.leechers;
    const downloaded = swarm === undefined ? 0 : swarm.downloaded;
    if (q.compact === 0) {
      const body = bencode({
        complete,
        downloaded,
        incomplete,
        interval: t.config.interval,
        'min interval': t.config.minInterval,
        peers: dictPeers(out, BASE4, n4, 4).concat(dictPeers(out, BASE6, n6, 16)),
      });
      t.counters.request(P_HTTP, A_ANNOUNCE, R_OK);
      t.counters.announces[P_HTTP * 2 + (v6 ? 1 : 0)]++;
      this.respond(socket, 200, 'text/plain', body);
      if (sample) t.counters.observeLatency((performance.now() - started) / 1000);
      return;
    }
    // The compact reply, written straight into the response after the head (no body buffer of its
    // own): keys in sorted order as bencoding requires.
    const s = `d8:completei${complete}e10:downloadedi${downloaded}e10:incompletei${incomplete}e8:intervali${t.config.interval}e12:min intervali${t.config.minInterval}e5:peers${n4 * 6}:`;
    const s6 = n6 > 0 ? `6:peers6${n6 * 18}:` : '';
    const bodyLength = s.length + n4 * 6 + s6.length + n6 * 18 + 1;
    const head = OK_HEAD + bodyLength + '\r\nConnection: close\r\n\r\n';
    const res = Buffer.allocUnsafe(head.length + bodyLength);
    let o = res.write(head, 0, 'latin1');
    o += res.write(s, o, 'latin1');
    o += out.copy(res, o, BASE4, BASE4 + n4 * 6);
    if (n6 > 0) {
      o += res.write(s6, o, 'latin1');
      o += out.copy(res, o, BASE6, BASE6 + n6 * 18);
    }
    res[o] = 101; // 'e'
    t.counters.request(P_HTTP, A_ANNOUNCE, R_OK);
    t.counters.announces[P_HTTP * 2 + (v6 ? 1 : 0)]++;
    if (!socket.destroyed) socket.end(res);
    if (sample) t.counters.observeLatency((performance.now() - started) / 1000);
  }

  private scrape(socket: net.Socket, buf: Buffer, qs: number, qe: number): void {
    const t = this.tracker;
    const q = this.query;
    if (!parseQuery(buf, qs, qe, q)) {
      t.counters.error(P_HTTP, A_SCRAPE, E_MALFORMED);
      this.failure(socket, 400, q.error ?? 'bad request');
      return;
    }
    if (q.hashCount === 0) {
      this.fullScrape(socket);
      return;
    }
    // BEP 48: `files` maps each raw 20-byte hash to its counts. Written by hand (this is one
    // request in ten from real clients): keys must be sorted by their bytes and unique, so the
    // hashes are ordered first and repeats skipped.
    const order = this.scrapeOrder;
    const n = q.hashCount;
    for (let i = 0; i < n; i++) {
      const access = t.access.check(q.hashes, i * 20);
      if (access !== ALLOWED) {
        const withdrawn = access === WITHDRAWN;
        t.counters.error(P_HTTP, A_SCRAPE, withdrawn ? E_WITHDRAWN : E_NOT_ALLOWED);
        this.failure(socket, 200, withdrawn ? MESSAGE_WITHDRAWN : MESSAGE_NOT_ALLOWED);
        return;
      }
      order[i] = i;
    }
    const hashes = q.hashes;
    if (n > 1) {
      const sorted = Array.from(order.subarray(0, n)).sort((a, b) =>
        hashes.compare(hashes, b * 20, b * 20 + 20, a * 20, a * 20 + 20),
      );
      order.set(sorted);
    }
    const w = this.scratch;
    let o = w.write('d5:filesd', 0, 'latin1');
    for (let k = 0; k < n; k++) {
      const i = order[k];
      if (
        k > 0 &&
        hashes.compare(hashes, i * 20, i * 20 + 20, order[k - 1] * 20, order[k - 1] * 20 + 20) === 0
      )
        continue;
      const swarm = t.store.get(hashes, i * 20);
      o += w.write('20:', o, 'latin1');
      o += hashes.copy(w, o, i * 20, i * 20 + 20);
      o += w.write(
        swarm === undefined
          ? 'd8:completei0e10:downloadedi0e10:incompletei0ee'
          : `d8:completei${swarm.seeders}e10:downloadedi${swarm.downloaded}e10:incompletei${swarm.leechers}ee`,
        o,
        'latin1',
      );
    }
    o += w.write('ee', o, 'latin1');
    t.counters.request(P_HTTP, A_SCRAPE, R_OK);
    this.respond(socket, 200, 'text/plain', w.subarray(0, o));
  }

  private fullScrape(socket: net.Socket): void {
    const t = this.tracker;
    if (!t.config.fullScrape) {
      t.counters.error(P_HTTP, A_SCRAPE, E_FORBIDDEN);
      this.failure(socket, 200, 'full scrape is disabled on this tracker; scrape with info_hash');
      return;
    }
    const who = socket.remoteAddress ?? '';
    const last = this.lastFullScrape.get(who);
    if (last !== undefined && clock.seconds - last < t.config.fullScrapeInterval) {
      t.counters.error(P_HTTP, A_SCRAPE, E_RATE_LIMITED);
      this.failure(socket, 429, `full scrape at most once every ${t.config.fullScrapeInterval} s`);
      return;
    }
    if (this.lastFullScrape.size > 10000) this.lastFullScrape.clear();
    this.lastFullScrape.set(who, clock.seconds);
    const files: Record<string, { complete: number; downloaded: number; incomplete: number }> = {};
    t.store.torrents.forEach((swarm, key, off) => {
      if (t.access.check(key, off) !== ALLOWED) return;
      files[Buffer.from(key.buffer, key.byteOffset + off, 20).toString('latin1')] = {
        complete: swarm.seeders,
        downloaded: swarm.downloaded,
        incomplete: swarm.leechers,
      };
    });
    t.counters.fullScrapes++;
    t.counters.request(P_HTTP, A_SCRAPE, R_OK);
    this.respond(socket, 200, 'text/plain', bencode({ files }));
  }

  private failure(socket: net.Socket, status: number, reason: string): void {
    this.respond(socket, status, 'text/plain', bencode({ 'failure reason': reason }));
  }

  private plain(socket: net.Socket, status: number, text: string): void {
    this.respond(socket, status, 'text/plain; charset=utf-8', Buffer.from(text));
  }

  private respond(socket: net.Socket, status: number, type: string, body: Buffer): void {
    if (socket.destroyed) return;
    const head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const out = Buffer.allocUnsafe(head.length + body.length);
    out.write(head, 0, 'latin1');
    body.copy(out, head.length);
    socket.end(out);
  }
}

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
};

/** BEP 3's non-compact peer list: dictionaries with ip and port (no peer id: fjord keeps none). */
function dictPeers(
  buf: Buffer,
  off: number,
  n: number,
  addrLen: 4 | 16,
): Array<{ ip: string; port: number }> {
  const out: Array<{ ip: string; port: number }> = [];
  const rec = addrLen + 2;
  for (let i = 0; i < n; i++) {
    const o = off + i * rec;
    let ip: string;
    if (addrLen === 4) ip = `${buf[o]}.${buf[o + 1]}.${buf[o + 2]}.${buf[o + 3]}`;
    else {
      const parts: string[] = [];
      for (let k = 0; k < 16; k += 2) parts.push(buf.readUInt16BE(o + k).toString(16));
      ip = parts.join(':');
    }
    out.push({ ip, port: buf.readUInt16BE(o + addrLen) });
  }
  return out;
}

/** The value of a header (name in lower case) in the request head, or null. */
export function headerValue(buf: Buffer, end: number, name: string): string | null {
  const headText = buf.toString('latin1', 0, end);
  const lines = headText.split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(':');
    if (c > 0 && lines[i].slice(0, c).trim().toLowerCase() === name) return lines[i].slice(c + 1).trim();
  }
  return null;
}

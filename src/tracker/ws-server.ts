/**
 * The WebSocket tracker for WebTorrent browsers (src/protocol/ws-message.ts has the messages).
 *
 * A browser cannot be reached at an address; it reaches other browsers through WebRTC, and the
 * tracker's part is signalling: an announcing browser sends up to numwant WebRTC offers, the tracker
 * hands each to a different browser of the swarm, and the answer comes back the same way. So a
 * browser peer is its open socket, and browser peers live in their own store (src/swarm/ws-store.ts),
 * never given to UDP/HTTP clients, nor those to browsers.
 *
 * One WsTrackerServer serves every --ws endpoint (so browsers on all of them meet in one set of
 * swarms): its own listeners, and upgrades handed over by an HTTP tracker listener on the same port.
 * The handshake is ws's (`handleUpgrade` in noServer mode) on a request head we parse ourselves, so
 * node:http is not involved. Listeners are shared functions, not closures, to keep each socket small.
 *
 * Trust and limits:
 *   - an answer reaches only the browser whose offer it answers: every relayed offer is remembered
 *     on the receiving socket (swarm + offerer + offer id, with an expiry), and an answer not
 *     matching one is dropped and counted. A peer id belongs to the socket that announced it first.
 *   - messages at most wsMaxMessageBytes (ws maxPayload: larger closes with 1009); at most
 *     wsMaxOffers relayed per announce, the rest dropped (a client gets the reply as usual);
 *     wsMaxConnectionsPerAddress sockets per address (more get 429); wsMaxPeersPerConnection swarms
 *     per socket; wsMaxPendingOffers remembered offers per socket.
 *   - a ping every wsPingInterval: a socket that did not answer since the last one is closed, as is
 *     one that sent no message for wsIdleTimeout.
 *   - backpressure: relays to a socket with more than wsMaxBufferedBytes queued are dropped (the
 *     offerer's offer just times out), its own replies close it past 4 times that, and one still
 *     over the bound at the next ping is closed. A slow reader holds at most about 4 x the bound.
 *   - malformed messages get a `failure reason`; the wsMaxMalformed-th closes the socket (1008).
 *     Nothing a client sends can throw out of a handler (a bug is counted, logged, and closes 1011).
 */
import net from 'node:net';
import type { IncomingMessage } from 'node:http';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  WS_EVENT_STOPPED,
  announceReply,
  answerMessage,
  failureMessage,
  json,
  offerMessage,
  parseWsMessage,
  scrapeReply,
  type ScrapeFile,
  type WsAnnounce,
  type WsScrape,
} from '../protocol/ws-message.js';
import {
  WS_ID_TAKEN,
  WS_TOO_MANY,
  WsPeer,
  WsSwarmStore,
  type WsPeerHolder,
  type WsSwarm,
} from '../swarm/ws-store.js';
import { inNetworks, Network } from '../protocol/ip.js';
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
  E_UNKNOWN_ACTION,
  E_WITHDRAWN,
  P_WS,
  R_OK,
} from './counters.js';
import type { Tracker } from './tracker.js';
import type { Endpoint } from '../config.js';

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** An offer relayed to a socket, which that socket may answer once before `expires`. */
interface PendingOffer {
  from: WsPeer<WsConn>;
  to: WsPeer<WsConn>;
  expires: number;
}

/** One open WebSocket. */
class WsConn implements WsPeerHolder<WsConn> {
  readonly peers: Array<WsPeer<WsConn>> = [];
  /** Keyed by info hash + offerer's peer id + offer id (BIN20 each); oldest first. */
  pending: Map<string, PendingOffer> | null = null;
  malformed = 0;
  /** Set by any message or pong, cleared by each ping. */
  alive = true;

  constructor(
    readonly server: WsTrackerServer,
    readonly ws: WebSocket,
    readonly address: string,
    readonly v6: boolean,
    /** clock.seconds of the last message. */
    public seen: number,
  ) {}
}

const kConn = Symbol('fjord.ws.conn');
type Tagged = WebSocket & { [kConn]?: WsConn };

// Shared listeners: `this` is the WebSocket, whose connection is under kConn.
function onSocketMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const c = (this as Tagged)[kConn];
  if (c !== undefined) c.server.onMessage(c, data, isBinary);
}
function onSocketClose(this: WebSocket): void {
  const c = (this as Tagged)[kConn];
  if (c !== undefined) c.server.onClose(c);
}
function onSocketPong(this: WebSocket): void {
  const c = (this as Tagged)[kConn];
  if (c !== undefined) c.alive = true;
}
function onSocketError(this: WebSocket, err: Error & { code?: string }): void {
  // ws closes the socket itself after an error (then 'close' cleans up); only the count is ours.
  const c = (this as Tagged)[kConn];
  if (c === undefined) return;
  const t = c.server.tracker;
  if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') t.counters.error(P_WS, A_OTHER, E_TOO_LARGE);
  else t.counters.error(P_WS, A_OTHER, E_MALFORMED);
}

/** A parsed request head: enough of an IncomingMessage for ws's handleUpgrade. */
interface Head {
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** Request line and headers of buf[0, end) (names in lower case), or null if the line is malformed. */
export function parseHead(buf: Buffer, end: number): Head | null {
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const parts = lines[0].split(' ');
  if (parts.length !== 3 || !parts[2].startsWith('HTTP/')) return null;
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon <= 0) continue;
    const name = lines[i].slice(0, colon).trim().toLowerCase();
    const value = lines[i].slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { method: parts[0], url: parts[1], headers };
}

const UPGRADE = Buffer.from('upgrade:');

/**
 * True when the head buf[0, end) has an `Upgrade:` header line. A scan for line starts, compared
 * case-insensitively over 8 bytes: cheap enough for the HTTP announce path, which calls it only on
 * a port shared with the WebSocket tracker.
 */
export function hasUpgradeHeader(buf: Buffer, end: number): boolean {
  let i = buf.indexOf(10);
  while (i >= 0 && i + 8 < end) {
    let k = 0;
    while (k < 8 && (buf[i + 1 + k] | 0x20) === UPGRADE[k]) k++;
    if (k === 8) return true;
    i = buf.indexOf(10, i + 1);
  }
  return false;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
};

function plain(socket: net.Socket, status: number, text: string, extra = ''): void {
  if (socket.destroyed) return;
  const body = Buffer.from(text);
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n${extra}\r\n${text}`,
  );
}

export class WsTrackerServer {
  readonly store: WsSwarmStore<WsConn>;
  readonly conns = new Set<WsConn>();
  private readonly wss: WebSocketServer;
  private readonly servers: net.Server[] = [];
  private readonly rawSockets = new Set<net.Socket>();
  private readonly perAddress = new Map<string, number>();
  private readonly trusted: Network[];
  private readonly hashBuf = Buffer.alloc(20);
  private readonly targets: Array<WsPeer<WsConn>> = [];
  private readonly result: { swarm: WsSwarm<WsConn> | undefined; peer: WsPeer<WsConn> | null } = {
    swarm: undefined,
    peer: null,
  };
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly tracker: Tracker) {
    const c = tracker.config;
    this.store = new WsSwarmStore<WsConn>(c.wsMaxPeersPerConnection);
    this.trusted = c.trustedProxies.map((n) => new Network(n));
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: c.wsMaxMessageBytes,
    });
    this.timer = setInterval(() => this.heartbeat(), c.wsPingInterval * 1000);
    this.timer.unref();
  }

  /** Browser peers, for /metrics and /stats. */
  peerCounts(): { seeders: number; leechers: number } {
    return { seeders: this.store.seeders, leechers: this.store.leechers };
  }

  /** Binds a listener of its own (the endpoint is not an HTTP tracker's). */
  listen(endpoint: Endpoint): Promise<Endpoint> {
    const server = net.createServer({ noDelay: true }, (s) => this.onRawConnection(s));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const v6 = endpoint.host.includes(':');
      server.listen({ port: endpoint.port, host: endpoint.host, ipv6Only: v6, backlog: 4096 }, () => {
        server.off('error', reject);
        server.on('error', (err) => this.tracker.log(`ws ${endpoint.host}:${endpoint.port}: ${err.message}`));
        const a = server.address() as net.AddressInfo;
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const c of this.conns) c.ws.terminate();
    for (const s of this.rawSockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  /** Reads a request head on our own listener, then upgrades (or answers and closes). */
  private onRawConnection(socket: net.Socket): void {
    const t = this.tracker;
    this.rawSockets.add(socket);
    socket.on('close', () => this.rawSockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(t.config.httpIdleTimeout * 1000, () => {
      t.counters.error(P_WS, A_OTHER, E_TIMEOUT);
      socket.destroy();
    });
    let buf: Buffer | null = null;
    const onData = (chunk: Buffer) => {
      buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
      const end = buf.indexOf(CRLFCRLF);
      if (end < 0 && buf.length <= t.config.maxHeaderBytes) return;
      socket.off('data', onData);
      if (end < 0 || end > t.config.maxHeaderBytes) {
        t.counters.error(P_WS, A_OTHER, E_TOO_LARGE);
        plain(socket, 431, 'request head too large\n');
        return;
      }
      this.rawSockets.delete(socket);
      if (!this.upgrade(socket, buf, end, true)) {
        t.counters.error(P_WS, A_OTHER, E_NOT_FOUND);
        plain(
          socket,
          426,
          'this is a WebSocket tracker: connect to ws://HOST:PORT/announce\n',
          'Upgrade: websocket\r\n',
        );
      }
    };
    socket.on('data', onData);
  }

  /**
   * Takes over a connection whose request head is buf[0, end) if it asks for a WebSocket at
   * /announce, and returns true; returns false (touching nothing) otherwise. The HTTP tracker calls
   * this for GET /announce on a port shared with the WebSocket tracker; `checked` says the caller
   * has not already matched the path.
   */
  upgrade(socket: net.Socket, buf: Buffer, end: number, checked = false): boolean {
    if (!hasUpgradeHeader(buf, end)) return false;
    const t = this.tracker;
    const head = parseHead(buf, end);
    if (head === null || head.method !== 'GET') return false;
    const q = head.url.indexOf('?');
    if ((q < 0 ? head.url : head.url.slice(0, q)) !== '/announce') {
      if (!checked) return false;
      t.counters.error(P_WS, A_OTHER, E_NOT_FOUND);
      plain(socket, 404, 'not found: the WebSocket tracker is at /announce\n');
      return true;
    }
    const address = this.clientAddress(socket, head.headers['x-forwarded-for']);
    const n = this.perAddress.get(address) ?? 0;
    if (n >= t.config.wsMaxConnectionsPerAddress) {
      t.counters.error(P_WS, A_OTHER, E_RATE_LIMITED);
      plain(socket, 429, `at most ${t.config.wsMaxConnectionsPerAddress} WebSockets from one address\n`);
      return true;
    }
    const req = { method: head.method, url: head.url, headers: head.headers, socket };
    // Bytes after the head belong to the WebSocket (a client may send its first frame at once).
    const rest = Buffer.from(buf.subarray(end + 4));
    try {
      this.wss.handleUpgrade(req as unknown as IncomingMessage, socket, rest, (ws) =>
        this.onOpen(ws, address),
      );
    } catch (e) {
      t.counters.error(P_WS, A_OTHER, E_INTERNAL);
      t.log(`ws: upgrade failed: ${e instanceof Error ? e.message : String(e)}`);
      socket.destroy();
    }
    return true;
  }

  /** The client's address: the socket's, or behind a trusted proxy the rightmost untrusted hop. */
  private clientAddress(socket: net.Socket, xff: string | undefined): string {
    let address = socket.remoteAddress ?? '';
    if (xff !== undefined && this.trusted.length > 0 && inNetworks(address, this.trusted)) {
      const hops = xff.split(',').map((s) => s.trim());
      for (let i = hops.length - 1; i >= 0; i--) {
        address = hops[i];
        if (!inNetworks(address, this.trusted)) break;
      }
    }
    return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  }

  private onOpen(ws: WebSocket, address: string): void {
    const t = this.tracker;
    const c = new WsConn(this, ws, address, address.includes(':'), clock.seconds);
    (ws as Tagged)[kConn] = c;
    this.conns.add(c);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    t.counters.wsConnections++;
    t.counters.wsOpen++;
    ws.on('message', onSocketMessage);
    ws.on('close', onSocketClose);
    ws.on('pong', onSocketPong);
    ws.on('error', onSocketError);
  }

  /** The socket closed: its peers leave every swarm they joined. */
  onClose(c: WsConn): void {
    if (!this.conns.delete(c)) return;
    const n = (this.perAddress.get(c.address) ?? 1) - 1;
    if (n <= 0) this.perAddress.delete(c.address);
    else this.perAddress.set(c.address, n);
    this.tracker.counters.wsOpen--;
    this.store.removeHolder(c);
    c.pending = null;
  }

  onMessage(c: WsConn, data: RawData, isBinary: boolean): void {
    const t = this.tracker;
    const counters = t.counters;
    counters.wsMessages++;
    c.seen = clock.seconds;
    c.alive = true;
    const sample = counters.shouldSample();
    const started = sample ? performance.now() : 0;
    try {
      if (isBinary) {
        counters.error(P_WS, A_OTHER, E_MALFORMED);
        this.malformed(c, null, null, 'binary messages are not part of the protocol (send JSON text)');
        return;
      }
      const text = Buffer.isBuffer(data)
        ? data.toString()
        : Array.isArray(data)
          ? Buffer.concat(data).toString()
          : Buffer.from(data).toString();
      const m = parseWsMessage(text, t.config.wsMaxOffers);
      if (m.action === 'announce') this.announce(c, m);
      else if (m.action === 'scrape') this.scrape(c, m);
      else {
        const a = m.replyAction === 'announce' ? A_ANNOUNCE : m.replyAction === 'scrape' ? A_SCRAPE : A_OTHER;
        counters.error(P_WS, a, m.unknownAction ? E_UNKNOWN_ACTION : E_MALFORMED);
        this.malformed(c, m.replyAction, m.infoHash, m.error);
        return;
      }
    } catch (e) {
      // A bug must not end the process: count it, log it, and close this socket only.
      counters.error(P_WS, A_OTHER, E_INTERNAL);
      t.log(`ws: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      c.ws.close(1011, 'internal error');
      return;
    }
    if (sample) counters.observeLatency((performance.now() - started) / 1000);
  }

  private malformed(
    c: WsConn,
    action: 'announce' | 'scrape' | null,
    infoHash: string | null,
    reason: string,
  ): void {
    this.reply(c, failureMessage(action, infoHash, reason));
    if (++c.malformed >= this.tracker.config.wsMaxMalformed) c.ws.close(1008, 'too many malformed messages');
  }

  /** Sends a reply to the socket's own request; one that lets replies pile up this far is closed. */
  private reply(c: WsConn, text: string): void {
    const ws = c.ws;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > 4 * this.tracker.config.wsMaxBufferedBytes) {
      this.tracker.counters.wsSlowClosed++;
      ws.terminate();
      return;
    }
    ws.send(text);
  }

  /** Sends a relayed offer or answer; dropped (false) when the socket is not keeping up. */
  private relay(c: WsConn, text: string): boolean {
    const ws = c.ws;
    if (ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount > this.tracker.config.wsMaxBufferedBytes) {
      this.tracker.counters.wsRelaysDropped++;
      return false;
    }
    ws.send(text);
    return true;
  }

  private announce(c: WsConn, m: WsAnnounce): void {
    const t = this.tracker;
    const cfg = t.config;
    const counters = t.counters;
    this.hashBuf.write(m.infoHash, 0, 'latin1');
    const access = t.access.check(this.hashBuf, 0);
    if (access !== ALLOWED) {
      const withdrawn = access === WITHDRAWN;
      counters.error(P_WS, A_ANNOUNCE, withdrawn ? E_WITHDRAWN : E_NOT_ALLOWED);
      this.reply(
        c,
        failureMessage('announce', m.infoHash, withdrawn ? MESSAGE_WITHDRAWN : MESSAGE_NOT_ALLOWED),
      );
      return;
    }
    const now = clock.seconds;
    // The WebTorrent client sends an answer alone (no left, no event, no offers): it only signals.
    const answerOnly = m.answer !== null && m.left < 0 && m.offers.length === 0 && m.event === 0;
    if (!answerOnly) {
      const r = this.result;
      const status = this.store.announce(
        m.infoHash,
        m.peerId,
        c,
        m.left < 0 ? null : m.left === 0,
        m.event,
        now,
        r,
      );
      if (status === WS_ID_TAKEN) {
        counters.error(P_WS, A_ANNOUNCE, E_FORBIDDEN);
        this.reply(
          c,
          failureMessage('announce', m.infoHash, 'peer_id is in use by another connection in this swarm'),
        );
        return;
      }
      if (status === WS_TOO_MANY) {
        counters.error(P_WS, A_ANNOUNCE, E_RATE_LIMITED);
        this.reply(
          c,
          failureMessage(
            'announce',
            m.infoHash,
            `at most ${cfg.wsMaxPeersPerConnection} torrents on one WebSocket`,
          ),
        );
        return;
      }
      const swarm = r.swarm;
      const peer = r.peer;
      r.swarm = undefined;
      r.peer = null;
      if (m.answer === null) {
        this.reply(
          c,
          swarm === undefined
            ? announceReply(json(m.infoHash), 0, 0, cfg.wsInterval)
            : announceReply(swarm.json, swarm.seeders.length, swarm.leechers.length, cfg.wsInterval),
        );
      }
      if (peer !== null && swarm !== undefined && m.offers.length > 0 && m.event !== WS_EVENT_STOPPED)
        this.relayOffers(swarm, peer, m, now);
      counters.announces[P_WS * 2 + (c.v6 ? 1 : 0)]++;
      t.announceStats.wsAnnounce(m.infoHash, c.v6, m.event, m.left, m.downloaded, m.peerId);
    }
    if (m.answer !== null) this.relayAnswer(c, m, now);
    counters.request(P_WS, A_ANNOUNCE, R_OK);
  }

  /** Hands each offer to a different peer of the swarm (numwant of them at most) and remembers it. */
  private relayOffers(swarm: WsSwarm<WsConn>, peer: WsPeer<WsConn>, m: WsAnnounce, now: number): void {
    const cfg = this.tracker.config;
    const counters = this.tracker.counters;
    const offers = m.offers;
    const want = m.numwant < 0 || m.numwant > offers.length ? offers.length : m.numwant;
    const targets = this.targets;
    const n = this.store.select(swarm, peer, peer.seed, want, targets);
    const expires = now + cfg.wsOfferTimeout;
    for (let i = 0; i < n; i++) {
      const to = targets[i];
      const o = offers[i];
      if (!this.relay(to.holder, offerMessage(swarm.json, peer.idJson, o.offerId, o.sdp))) continue;
      counters.wsOffersRelayed++;
      const conn = to.holder;
      let pending = conn.pending;
      if (pending === null) pending = conn.pending = new Map();
      // Forget expired offers from the front (oldest first), and the oldest when full.
      for (const [k, v] of pending) {
        if (v.expires > now && pending.size < cfg.wsMaxPendingOffers) break;
        pending.delete(k);
      }
      pending.set(swarm.hash + peer.id + o.offerId, { from: peer, to, expires });
    }
    targets.length = 0;
  }

  /** Delivers an answer to the peer whose offer it answers, if this socket was sent that offer. */
  private relayAnswer(c: WsConn, m: WsAnnounce, now: number): void {
    const counters = this.tracker.counters;
    const key = m.infoHash + m.toPeerId + m.offerId;
    const p = c.pending === null ? undefined : c.pending.get(key);
    if (p === undefined || p.expires < now || !p.from.live || p.to.id !== m.peerId) {
      counters.wsAnswersDropped++;
      counters.error(P_WS, A_ANNOUNCE, E_NOT_FOUND);
      return;
    }
    (c.pending as Map<string, PendingOffer>).delete(key);
    if (
      this.relay(p.from.holder, answerMessage(p.from.swarm.json, p.to.idJson, m.offerId, m.answer as string))
    )
      counters.wsAnswersRelayed++;
  }

  private scrape(c: WsConn, m: WsScrape): void {
    const t = this.tracker;
    if (m.infoHashes.length === 0) {
      t.counters.error(P_WS, A_SCRAPE, E_FORBIDDEN);
      this.reply(c, failureMessage('scrape', null, 'name the torrents: scrape with info_hash'));
      return;
    }
    const files = new Map<string, ScrapeFile>();
    for (const h of m.infoHashes) {
      this.hashBuf.write(h, 0, 'latin1');
      const access = t.access.check(this.hashBuf, 0);
      if (access !== ALLOWED) {
        const withdrawn = access === WITHDRAWN;
        t.counters.error(P_WS, A_SCRAPE, withdrawn ? E_WITHDRAWN : E_NOT_ALLOWED);
        this.reply(c, failureMessage('scrape', h, withdrawn ? MESSAGE_WITHDRAWN : MESSAGE_NOT_ALLOWED));
        return;
      }
      const s = this.store.get(h);
      files.set(h, {
        complete: s === undefined ? 0 : s.seeders.length,
        incomplete: s === undefined ? 0 : s.leechers.length,
        downloaded: s === undefined ? 0 : s.downloaded,
      });
    }
    t.counters.request(P_WS, A_SCRAPE, R_OK);
    this.reply(c, scrapeReply(files, t.config.wsInterval));
  }

  /** Every wsPingInterval, off the request path: expiry, idle and dead sockets, slow readers, pings. */
  private heartbeat(): void {
    const t = this.tracker;
    const cfg = t.config;
    const now = clock.seconds;
    this.store.sweep(now, cfg.wsPeerTimeout);
    for (const c of this.conns) {
      const ws = c.ws;
      if (ws.readyState !== WebSocket.OPEN) continue;
      if (now - c.seen >= cfg.wsIdleTimeout || !c.alive) {
        t.counters.error(P_WS, A_OTHER, E_TIMEOUT);
        ws.terminate();
        continue;
      }
      if (ws.bufferedAmount > cfg.wsMaxBufferedBytes) {
        t.counters.wsSlowClosed++;
        ws.terminate();
        continue;
      }
      c.alive = false;
      ws.ping();
      const pending = c.pending;
      if (pending !== null) {
        for (const [k, v] of pending) {
          if (v.expires > now) break;
          pending.delete(k);
        }
        if (pending.size === 0) c.pending = null;
      }
    }
  }
}

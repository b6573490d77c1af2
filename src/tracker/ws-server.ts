/**
 * The WebSocket tracker for WebTorrent browsers (src/protocol/ws-message.ts has the messages,
 * src/protocol/ws-frame.ts the framing).
 *
 * A browser cannot be reached at an address; it reaches other browsers through WebRTC, and the
 * tracker's part is signalling: an announcing browser sends up to numwant WebRTC offers, the tracker
 * hands each to a different browser of the swarm, and the answer comes back the same way. So a
 * browser peer is its open socket, and browser peers live in their own store (src/swarm/ws-store.ts),
 * never given to UDP/HTTP clients, nor those to browsers.
 *
 * One WsTrackerServer serves every --ws endpoint (so browsers on all of them meet in one set of
 * swarms): its own listeners, and upgrades handed over by an HTTP tracker listener on the same port.
 *
 * The WebSocket layer is fjord's own, on net sockets, as the HTTP tracker's parser is: the handshake
 * (RFC 6455 section 4.2), frames read in place from each chunk, a socket's messages of one event
 * loop turn written as one buffer, pings from the heartbeat. The `ws` package's per-connection
 * objects cost more memory than the socket itself and a write per message; see docs/benchmarks.md.
 * Per connection there is one small object (WsConn) and three shared listeners (no closures).
 *
 * Trust and limits:
 *   - an answer reaches only the browser whose offer it answers: every relayed offer is remembered
 *     on the receiving socket (swarm + offerer + offer id, with an expiry), and an answer not
 *     matching one is dropped and counted. A peer id belongs to the socket that announced it first.
 *   - messages at most wsMaxMessageBytes (a larger frame or message closes with 1009, known from
 *     the frame header before its payload arrives); at most wsMaxOffers relayed per announce, the
 *     rest dropped (the client gets its reply as usual); wsMaxConnectionsPerAddress sockets per
 *     address (more get 429); wsMaxPeersPerConnection swarms per socket; wsMaxPendingOffers
 *     remembered offers per socket.
 *   - offers relayed from one socket: a token bucket of wsOfferBurst refilled at wsOfferRate a
 *     second; offers past it are dropped and counted (the announce is answered as usual).
 *   - the handshake on our own listener must be whole within wsHandshakeTimeout of accept (a fixed
 *     deadline: a head trickled a byte at a time does not renew it); a head with bare LF line ends
 *     gets 400 at once (src/protocol/http-head.ts frames heads for both trackers); at most
 *     wsMaxConnectionsPerAddress handshakes at a time from one address, more are closed at once.
 *   - descriptors: the sockets (handshakes and WebSockets, handed-over ones too) join the HTTP
 *     tracker's budget (descriptors.ts), so the reserve stays free for the web and admin
 *     listeners; at its share, a new socket takes the place of the oldest handshake, else of the
 *     WebSocket silent for longest.
 *   - a ping every wsPingInterval: a socket that did not answer since the last one is closed, as is
 *     one that sent no message for wsIdleTimeout.
 *   - backpressure: relays to a socket with more than wsMaxBufferedBytes queued are dropped (the
 *     offerer's offer just times out), its own replies and pongs close it past 4 times that, and one
 *     still over the bound at the next ping is closed. A slow reader holds at most about 4 x the
 *     bound, whatever it sends (pings without reading included).
 *   - malformed messages get a `failure reason`; the wsMaxMalformed-th closes the socket (1008).
 *     Frames that break RFC 6455 close it at once (1002, or 1007 for text that is not UTF-8).
 *     Nothing a client sends can throw out of a handler (a bug is counted, logged, and closes 1011).
 */
import net from 'node:net';
import { isUtf8 } from 'node:buffer';
import {
  WS_EVENT_STOPPED,
  announceReply,
  answerMessage,
  failureMessage,
  json,
  offerMessage,
  bin20Bytes,
  fromByteView,
  parseWsMessage,
  scrapeReply,
  toByteView,
  toByteViews,
  type ScrapeFile,
  type WsAnnounce,
  type WsScrape,
} from '../protocol/ws-message.js';
import {
  CLOSE_INTERNAL,
  CLOSE_INVALID_DATA,
  CLOSE_NORMAL,
  CLOSE_POLICY,
  CLOSE_PROTOCOL_ERROR,
  CLOSE_TOO_BIG,
  Frame,
  OP_BINARY,
  OP_CLOSE,
  OP_CONTINUATION,
  OP_PING,
  OP_TEXT,
  acceptValue,
  closeFrame,
  controlFrame,
  pongFrame,
  textFrame,
  isValidKey,
  readFrame,
} from '../protocol/ws-frame.js';
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
import {
  A_ANNOUNCE,
  A_OTHER,
  A_SCRAPE,
  E_FORBIDDEN,
  E_INTERNAL,
  E_MALFORMED,
  E_NOT_FOUND,
  E_RATE_LIMITED,
  E_TIMEOUT,
  E_TOO_LARGE,
  E_UNKNOWN_ACTION,
  P_WS,
  R_OK,
} from './request-counters.js';
import { AcceptProblems, AddressCounts } from './address-limit.js';
import { processBudget, type DescriptorBudget } from './descriptors.js';
import {
  HEAD_BARE_LF,
  HEAD_INCOMPLETE,
  forwardedClient,
  hasUpgradeHeader,
  headEnd,
  parseHead,
} from '../protocol/http-head.js';
import type { Tracker } from './tracker.js';
import { formatEndpoint, type Endpoint } from '../config.js';

const PING = controlFrame(OP_PING);
/** Fragments of one message at most (browsers send a tracker message whole). */
const MAX_FRAGMENTS = 64;

/**
 * Offers relayed to a socket that it may answer, oldest first, three slots each:
 *   [hash of the offer id, the offerer (a WsPeer: its swarm is the offer's), expiry (clock seconds)]
 * A flat list of small integers and references: about 150 bytes for a handful, where objects with
 * the id strings took over 600 (every browser holds a few). The hash needs no collision defence:
 * an answer goes through only to an offerer that did send this socket an offer in that swarm, and
 * the browser drops an answer whose offer id it does not know.
 */
type PendingOffers = Array<number | WsPeer<WsConn>>;
const PENDING_SLOTS = 3;

/** FNV-1a of a byte-view string, kept within a small integer. */
function offerIdHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h & 0x3fffffff;
}

/** One open WebSocket. */
class WsConn implements WsPeerHolder<WsConn> {
  readonly peers: Array<WsPeer<WsConn>> = [];
  /** Offers relayed to this socket that it may answer (see PendingOffers), or null. */
  pending: PendingOffers | null = null;
  malformed = 0;
  /** Set by any frame, cleared by each ping. */
  alive = true;
  /** A close frame was sent: nothing more is sent or read; the heartbeat destroys it if it lingers. */
  closing = false;
  /** Frames queued in this turn of the event loop, as one byte-view string (written at once). */
  out: string | null = null;
  /** The start of a frame that has not fully arrived. */
  partial: Buffer | null = null;
  /** The frames so far of a fragmented message, and its opcode. */
  fragments: Buffer[] | null = null;
  fragmentBytes = 0;
  fragmentOpcode = 0;
  /** Offers this socket may still have relayed (a token bucket: wsOfferRate a second, wsOfferBurst at most). */
  offerTokens: number;
  /** performance.now() when offerTokens was last topped up. */
  offerTime: number;

  constructor(
    readonly server: WsTrackerServer,
    readonly socket: net.Socket,
    readonly address: string,
    readonly v6: boolean,
    /** clock.seconds of the last message. */
    public seen: number,
  ) {
    this.offerTokens = server.tracker.config.wsOfferBurst;
    this.offerTime = performance.now();
  }
}

const kConn = Symbol('fjord.ws.conn');
type Tagged = net.Socket & { [kConn]?: WsConn };

// Shared listeners: `this` is the socket, whose connection is under kConn.
function onConnData(this: net.Socket, chunk: Buffer): void {
  const c = (this as Tagged)[kConn];
  if (c !== undefined) c.server.onData(c, chunk);
}
function onConnClose(this: net.Socket): void {
  const c = (this as Tagged)[kConn];
  if (c !== undefined) c.server.onClose(c);
}
function onSocketError(this: net.Socket): void {
  this.destroy();
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
  private readonly servers: net.Server[] = [];
  /** Sockets of our own listeners still in their handshake (or refused and closing), oldest first. */
  private readonly rawSockets = new Set<net.Socket>();
  /** WebSockets per client address (behind a trusted proxy: the forwarded address). */
  private readonly perAddress: AddressCounts;
  /** Handshakes in progress per socket address (trusted proxies not counted), with the same cap. */
  private readonly rawPerAddress: AddressCounts;
  /** The process's descriptors, shared with the HTTP tracker's listeners (descriptors.ts). */
  private readonly budget: DescriptorBudget;
  private readonly budgetUser = { open: () => this.rawSockets.size + this.conns.size };
  /** Refused, shed and failed accepts, logged as a line every few seconds. */
  private readonly problems: AcceptProblems;
  private readonly labels: string[] = [];
  private readonly trusted: Network[];
  private readonly frame = new Frame();
  private readonly hashBuf = Buffer.alloc(20);
  private readonly targets: Array<WsPeer<WsConn>> = [];
  private readonly result: { swarm: WsSwarm<WsConn> | undefined; peer: WsPeer<WsConn> | null } = {
    swarm: undefined,
    peer: null,
  };
  private timer: NodeJS.Timeout | null = null;
  private flushing: WsConn[] = [];
  private flushScheduled = false;

  constructor(readonly tracker: Tracker) {
    const c = tracker.config;
    this.store = new WsSwarmStore<WsConn>(c.wsMaxPeersPerConnection);
    this.perAddress = new AddressCounts(c.wsMaxConnectionsPerAddress);
    this.rawPerAddress = new AddressCounts(c.wsMaxConnectionsPerAddress);
    this.trusted = c.trustedProxies.map((n) => new Network(n));
    this.budget = processBudget(c.descriptorReserve);
    this.budget.join(this.budgetUser);
    this.problems = new AcceptProblems((line) => tracker.log(line), 'ws', c.wsMaxConnectionsPerAddress);
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
        // An accept that fails (EMFILE) is counted and logged, a flood of them as one line.
        server.on('error', (err: NodeJS.ErrnoException) => {
          this.problems.acceptErrors++;
          this.problems.error = err.code ?? err.message;
          this.problems.note();
        });
        const a = server.address() as net.AddressInfo;
        const bound = { host: a.address, port: a.port };
        this.labels.push(formatEndpoint(bound));
        this.problems.label = `ws ${this.labels.join(', ')}`;
        resolve(bound);
      });
    });
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.budget.leave(this.budgetUser);
    for (const c of this.conns) c.socket.destroy();
    for (const s of this.rawSockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  /** Reads a request head on our own listener, then upgrades (or answers and closes). */
  private onRawConnection(socket: net.Socket): void {
    const t = this.tracker;
    socket.on('error', onSocketError);
    const from = socket.remoteAddress ?? '';
    const counted = !(this.trusted.length > 0 && inNetworks(from, this.trusted));
    if (counted && this.rawPerAddress.full(from)) {
      // As many handshakes from one address as it may have WebSockets: refused without a word.
      t.counters.error(P_WS, A_OTHER, E_RATE_LIMITED);
      this.problems.refused++;
      this.problems.note();
      socket.destroy();
      return;
    }
    this.makeRoom();
    this.rawSockets.add(socket);
    if (counted) this.rawPerAddress.add(from);
    let answered = false;
    // A fixed deadline from accept, never restarted by activity: a head trickled a line at a time
    // must not hold a descriptor for ever. It also ends a refused socket whose client never closes.
    const deadline = setTimeout(() => {
      if (!answered) t.counters.error(P_WS, A_OTHER, E_TIMEOUT);
      socket.destroy();
    }, t.config.wsHandshakeTimeout * 1000);
    let closed = false;
    const onClose = () => {
      if (closed) return;
      closed = true;
      clearTimeout(deadline);
      this.rawSockets.delete(socket);
      if (counted) this.rawPerAddress.remove(from);
    };
    socket.on('close', onClose);
    let buf: Buffer | null = null;
    const onData = (chunk: Buffer) => {
      buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
      const end = headEnd(buf);
      if (end === HEAD_INCOMPLETE && buf.length <= t.config.maxHeaderBytes) return;
      // The head is read either way: its reader goes (an upgraded connection gets shared listeners).
      socket.off('data', onData);
      answered = true;
      if (end === HEAD_BARE_LF) {
        // Lines ending in a bare LF: the CRLF CRLF that ends a head never comes. Answered at once.
        t.counters.error(P_WS, A_OTHER, E_MALFORMED);
        plain(socket, 400, 'lines must end with CRLF\n');
        return;
      }
      if (end < 0 || end > t.config.maxHeaderBytes) {
        t.counters.error(P_WS, A_OTHER, E_TOO_LARGE);
        plain(socket, 431, 'request head too large\n');
        return;
      }
      if (!this.upgrade(socket, buf, end, true)) {
        t.counters.error(P_WS, A_OTHER, E_NOT_FOUND);
        plain(
          socket,
          426,
          'this is a WebSocket tracker: connect to ws://HOST:PORT/announce\n',
          'Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n',
        );
      } else if ((socket as Tagged)[kConn] !== undefined) {
        // Upgraded: the WebSocket's own timers (ping, idle) take over.
        socket.off('close', onClose);
        onClose();
      }
    };
    socket.on('data', onData);
  }

  /**
   * Keeps the WebSocket tracker's sockets within its share of the process's descriptors (the HTTP
   * tracker's listeners have theirs; the reserve stays free for the web and admin listeners): at
   * the share, before a socket is added, the one longest in its handshake is closed, else the
   * WebSocket that has sent nothing for longest. Counted (`timeout`) and logged.
   */
  private makeRoom(): void {
    const allowed = this.budget.allowance();
    // At least one: a new socket can always take the place of the longest waiting one.
    if (this.rawSockets.size + this.conns.size < Math.max(1, allowed)) return;
    this.tracker.counters.error(P_WS, A_OTHER, E_TIMEOUT);
    this.problems.shed++;
    this.problems.note();
    const raw = this.rawSockets.values().next();
    if (raw.done !== true) {
      this.rawSockets.delete(raw.value);
      raw.value.destroy();
      return;
    }
    // A walk over the sockets, only when the budget is reached (not on the request path).
    let idlest: WsConn | null = null;
    for (const c of this.conns) if (idlest === null || c.seen < idlest.seen) idlest = c;
    if (idlest === null) return;
    this.terminate(idlest);
    this.onClose(idlest);
  }

  /**
   * Takes over a connection whose request head is buf[0, end) if it asks for a WebSocket at
   * /announce, and returns true (answered: upgraded, or refused with an HTTP status); returns false,
   * touching nothing, when it does not ask for a WebSocket. The HTTP tracker calls this for
   * GET /announce on a port shared with the WebSocket tracker (and then stops watching the socket);
   * `checked` says the caller has not already matched the path.
   */
  upgrade(socket: net.Socket, buf: Buffer, end: number, checked = false): boolean {
    if (!hasUpgradeHeader(buf, end)) return false;
    const t = this.tracker;
    const head = parseHead(buf, end);
    if (head === null || head.method !== 'GET') return false;
    const h = head.headers;
    if ((h.upgrade ?? '').toLowerCase() !== 'websocket') return false;
    const q = head.url.indexOf('?');
    if ((q < 0 ? head.url : head.url.slice(0, q)) !== '/announce') {
      if (!checked) return false;
      t.counters.error(P_WS, A_OTHER, E_NOT_FOUND);
      plain(socket, 404, 'not found: the WebSocket tracker is at /announce\n');
      return true;
    }
    // RFC 6455 4.2.1: Connection lists "Upgrade"; version 13; a key of 16 bytes in base64.
    const key = h['sec-websocket-key'];
    if (
      !(h.connection ?? '')
        .toLowerCase()
        .split(',')
        .some((v) => v.trim() === 'upgrade') ||
      !isValidKey(key)
    ) {
      t.counters.error(P_WS, A_OTHER, E_MALFORMED);
      plain(socket, 400, 'not a valid WebSocket handshake (Connection, Sec-WebSocket-Key)\n');
      return true;
    }
    if (h['sec-websocket-version'] !== '13') {
      t.counters.error(P_WS, A_OTHER, E_MALFORMED);
      plain(socket, 426, 'WebSocket version 13 only\n', 'Sec-WebSocket-Version: 13\r\n');
      return true;
    }
    const address = this.clientAddress(socket, h['x-forwarded-for']);
    if (this.perAddress.full(address)) {
      t.counters.error(P_WS, A_OTHER, E_RATE_LIMITED);
      plain(socket, 429, `at most ${t.config.wsMaxConnectionsPerAddress} WebSockets from one address\n`);
      return true;
    }
    if (socket.destroyed || !socket.writable) return true;
    // Handed over by an HTTP tracker listener: it joins this tracker's sockets and share.
    if (!checked) this.makeRoom();
    // No Sec-WebSocket-Protocol (the tracker speaks none) and no extension (no permessage-deflate).
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptValue(key)}\r\n\r\n`,
    );
    socket.setNoDelay(true);
    const c = new WsConn(this, socket, address, address.includes(':'), clock.seconds);
    (socket as Tagged)[kConn] = c;
    this.conns.add(c);
    this.perAddress.add(address);
    t.counters.wsConnections++;
    t.counters.wsOpen++;
    if (socket.listenerCount('error') === 0) socket.on('error', onSocketError);
    socket.on('data', onConnData);
    socket.on('close', onConnClose);
    // Bytes after the head belong to the WebSocket (a client may send its first frame at once).
    if (end + 4 < buf.length) this.onData(c, Buffer.from(buf.subarray(end + 4)));
    return true;
  }

  /** The client's address: the socket's, or behind a trusted proxy the rightmost untrusted hop. */
  private clientAddress(socket: net.Socket, xff: string | undefined): string {
    let address = socket.remoteAddress ?? '';
    if (xff !== undefined && this.trusted.length > 0 && inNetworks(address, this.trusted))
      address = forwardedClient(xff, this.trusted);
    return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  }

  /** The socket closed: its peers leave every swarm they joined. */
  onClose(c: WsConn): void {
    if (!this.conns.delete(c)) return;
    this.perAddress.remove(c.address);
    this.tracker.counters.wsOpen--;
    this.store.removeHolder(c);
    c.closing = true;
    c.pending = null;
    c.out = null;
    c.partial = null;
    c.fragments = null;
  }

  /** Bytes from the socket: whole frames are handled in place; an unfinished one waits in `partial`. */
  onData(c: WsConn, chunk: Buffer): void {
    if (c.closing) return;
    let buf = chunk;
    if (c.partial !== null) {
      buf = Buffer.concat([c.partial, chunk]);
      c.partial = null;
    }
    const max = this.tracker.config.wsMaxMessageBytes;
    const f = this.frame;
    let off = 0;
    while (off < buf.length) {
      const n = readFrame(buf, off, max, f);
      if (n === 0) {
        // Keep the unfinished frame (a copy when it is a piece of a larger chunk, to free the rest).
        c.partial = off === 0 ? buf : Buffer.from(buf.subarray(off));
        return;
      }
      if (n < 0) {
        this.tracker.counters.error(P_WS, A_OTHER, n === -CLOSE_TOO_BIG ? E_TOO_LARGE : E_MALFORMED);
        this.closeConn(c, -n, n === -CLOSE_TOO_BIG ? 'message too big' : 'protocol error');
        return;
      }
      off += n;
      this.onFrame(c, buf, f);
      if (c.closing) return;
    }
  }

  private onFrame(c: WsConn, buf: Buffer, f: Frame): void {
    c.alive = true;
    const op = f.opcode;
    if (op === OP_TEXT || op === OP_BINARY) {
      if (c.fragments !== null) return this.closeConn(c, CLOSE_PROTOCOL_ERROR, 'expected a continuation');
      if (f.fin) return this.onMessage(c, buf, f.start, f.end, op === OP_BINARY);
      c.fragments = [Buffer.from(buf.subarray(f.start, f.end))];
      c.fragmentBytes = f.end - f.start;
      c.fragmentOpcode = op;
    } else if (op === OP_CONTINUATION) {
      const parts = c.fragments;
      if (parts === null) return this.closeConn(c, CLOSE_PROTOCOL_ERROR, 'unexpected continuation');
      c.fragmentBytes += f.end - f.start;
      // Empty fragments add no bytes but still a buffer each: their number is bounded too.
      if (c.fragmentBytes > this.tracker.config.wsMaxMessageBytes || parts.length >= MAX_FRAGMENTS) {
        this.tracker.counters.error(P_WS, A_OTHER, E_TOO_LARGE);
        return this.closeConn(c, CLOSE_TOO_BIG, 'message too big');
      }
      parts.push(Buffer.from(buf.subarray(f.start, f.end)));
      if (!f.fin) return;
      const whole = Buffer.concat(parts);
      c.fragments = null;
      this.onMessage(c, whole, 0, whole.length, c.fragmentOpcode === OP_BINARY);
    } else if (op === OP_PING) {
      // A pong answers the client's own frame: queued with its replies and under their bound, so a
      // client that pings without reading is closed, not buffered for.
      this.own(c, pongFrame(buf, f.start, f.end));
    } else if (op === OP_CLOSE) {
      // Answer the close (echoing a valid code) and end; 'close' then cleans up.
      const code = f.end - f.start >= 2 ? buf.readUInt16BE(f.start) : CLOSE_NORMAL;
      this.closeConn(
        c,
        code >= 1000 && code < 5000 && code !== 1005 && code !== 1006 ? code : CLOSE_NORMAL,
        '',
      );
    }
    // OP_PONG: `alive` is all it says.
  }

  private onMessage(c: WsConn, buf: Buffer, start: number, end: number, isBinary: boolean): void {
    const t = this.tracker;
    const counters = t.counters;
    counters.wsMessages++;
    c.seen = clock.seconds;
    const sample = counters.shouldSample();
    const started = sample ? performance.now() : 0;
    try {
      if (isBinary) {
        counters.error(P_WS, A_OTHER, E_MALFORMED);
        this.malformed(c, null, null, 'binary messages are not part of the protocol (send JSON text)');
        return;
      }
      // RFC 6455 8.1: text that is not UTF-8 fails the connection.
      const bytes = buf.subarray(start, end);
      if (!isUtf8(bytes)) {
        counters.error(P_WS, A_OTHER, E_MALFORMED);
        this.closeConn(c, CLOSE_INVALID_DATA, 'text is not UTF-8');
        return;
      }
      // The bytes as latin1: a byte view (ws-message.ts); decoded as UTF-8 only when that misreads.
      let m = parseWsMessage(buf.toString('latin1', start, end), t.config.wsMaxOffers, true);
      if (m.action === null && m.retryExact) {
        m = parseWsMessage(buf.toString('utf8', start, end), t.config.wsMaxOffers);
        if (m.action !== null) toByteViews(m);
        else {
          m.error = toByteView(m.error);
          if (m.infoHash !== null) m.infoHash = toByteView(m.infoHash);
        }
      }
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
      this.closeConn(c, CLOSE_INTERNAL, 'internal error');
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
    if (++c.malformed >= this.tracker.config.wsMaxMalformed)
      this.closeConn(c, CLOSE_POLICY, 'too many malformed messages');
  }

  /** Bytes waiting for a socket: in its write buffer and queued by us in this turn. */
  private static queued(c: WsConn): number {
    return c.socket.writableLength + (c.out === null ? 0 : c.out.length);
  }

  /** Queues a frame (a byte view); the socket's frames of this turn go out as one write (flushAll). */
  private queue(c: WsConn, frame: string): void {
    if (c.out === null) {
      c.out = frame;
      this.flushing.push(c);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flushAll);
      }
    } else c.out += frame;
  }

  private readonly flushAll = (): void => {
    this.flushScheduled = false;
    const list = this.flushing;
    this.flushing = [];
    for (const c of list) this.flush(c);
  };

  /** Writes a socket's frames of this turn: one latin1 string, one write (see textFrame). */
  private flush(c: WsConn): void {
    const out = c.out;
    c.out = null;
    if (out === null || c.closing || !c.socket.writable) return;
    c.socket.write(out, 'latin1');
  }

  /** Sends a close frame after what is queued (e.g. a failure reason), and ends the socket. */
  private closeConn(c: WsConn, code: number, reason: string): void {
    if (c.closing) return;
    this.flush(c);
    c.closing = true;
    if (c.socket.writable) c.socket.end(closeFrame(code, reason));
  }

  private terminate(c: WsConn): void {
    c.closing = true;
    c.socket.destroy();
  }

  /** Sends a reply to the socket's own request. */
  private reply(c: WsConn, text: string): void {
    this.own(c, textFrame(text));
  }

  /**
   * Queues a frame answering the socket's own (a reply, a pong); a socket that lets these pile up
   * past 4 x wsMaxBufferedBytes is not reading: it is closed and its queue freed.
   */
  private own(c: WsConn, frame: string): void {
    if (c.closing) return;
    if (WsTrackerServer.queued(c) > 4 * this.tracker.config.wsMaxBufferedBytes) {
      this.tracker.counters.wsSlowClosed++;
      this.terminate(c);
      return;
    }
    this.queue(c, frame);
  }

  /** Sends a relayed offer or answer; dropped (false) when the socket is not keeping up. */
  private relay(c: WsConn, text: string): boolean {
    if (c.closing) return false;
    if (WsTrackerServer.queued(c) > this.tracker.config.wsMaxBufferedBytes) {
      this.tracker.counters.wsRelaysDropped++;
      return false;
    }
    this.queue(c, textFrame(text));
    return true;
  }

  private announce(c: WsConn, m: WsAnnounce): void {
    const t = this.tracker;
    const cfg = t.config;
    const counters = t.counters;
    bin20Bytes(m.infoHash, this.hashBuf, 0);
    // Swarms are kept by the hash itself (BIN20), what statistics read; a byte view of 20 characters
    // is ASCII and already that.
    const hash = m.infoHash.length === 20 ? m.infoHash : this.hashBuf.toString('latin1');
    const refusal = t.core.refusal(P_WS, A_ANNOUNCE, this.hashBuf, 0);
    if (refusal !== null) {
      this.reply(c, failureMessage('announce', m.infoHash, refusal));
      return;
    }
    const now = clock.seconds;
    // The WebTorrent client sends an answer alone (no left, no event, no offers): it only signals.
    const answerOnly = m.answer !== null && m.left < 0 && m.offers.length === 0 && m.event === 0;
    if (!answerOnly) {
      const r = this.result;
      const status = this.store.announce(
        hash,
        m.peerId,
        c,
        m.left < 0 ? null : m.left === 0,
        m.event,
        now,
        r,
        m.infoHash,
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
        this.relayOffers(c, swarm, peer, m, now);
      counters.announces[P_WS * 2 + (c.v6 ? 1 : 0)]++;
      t.announceStats.wsAnnounce(hash, c.v6, m.event, m.left, m.downloaded, fromByteView(m.peerId));
    }
    // An answer alone that is dropped was counted as an error (not_found), not also as a success.
    if (m.answer !== null && !this.relayAnswer(c, m, hash, now) && answerOnly) return;
    counters.request(P_WS, A_ANNOUNCE, R_OK);
  }

  /** Hands each offer to a different peer of the swarm (numwant of them at most) and remembers it. */
  private relayOffers(
    c: WsConn,
    swarm: WsSwarm<WsConn>,
    peer: WsPeer<WsConn>,
    m: WsAnnounce,
    now: number,
  ): void {
    const cfg = this.tracker.config;
    const counters = this.tracker.counters;
    const offers = m.offers;
    const want = m.numwant < 0 || m.numwant > offers.length ? offers.length : m.numwant;
    const targets = this.targets;
    let n = this.store.select(swarm, peer, peer.seed, want, targets);
    // The offerer's token bucket: offers past its rate are dropped (not relayed) and counted.
    const t = performance.now();
    const tokens = Math.min(cfg.wsOfferBurst, c.offerTokens + ((t - c.offerTime) * cfg.wsOfferRate) / 1000);
    c.offerTime = t;
    if (n > tokens) {
      const allowed = Math.floor(tokens);
      counters.wsOffersRateLimited += n - allowed;
      n = allowed;
    }
    c.offerTokens = tokens - n;
    const expires = now + cfg.wsOfferTimeout;
    for (let i = 0; i < n; i++) {
      const to = targets[i];
      const o = offers[i];
      if (!this.relay(to.holder, offerMessage(swarm.json, peer.idJson, o.offerId, o.sdp, o.sdpJson)))
        continue;
      counters.wsOffersRelayed++;
      const conn = to.holder;
      let pending = conn.pending;
      if (pending === null) pending = conn.pending = [];
      // Forget expired offers from the front (oldest first), and the oldest when full.
      const max = cfg.wsMaxPendingOffers * PENDING_SLOTS;
      let drop = 0;
      while (drop < pending.length && ((pending[drop + 2] as number) <= now || pending.length - drop >= max))
        drop += PENDING_SLOTS;
      if (drop > 0) pending.splice(0, drop);
      pending.push(offerIdHash(o.offerId), peer, expires);
    }
    targets.length = 0;
  }

  /** Delivers an answer to the peer whose offer it answers, if this socket was sent that offer. */
  private relayAnswer(c: WsConn, m: WsAnnounce, hash: string, now: number): boolean {
    const counters = this.tracker.counters;
    const list = c.pending ?? [];
    const h = offerIdHash(m.offerId);
    let from: WsPeer<WsConn> | null = null;
    let i = list.length - PENDING_SLOTS;
    for (; i >= 0; i -= PENDING_SLOTS) {
      if (list[i] !== h) continue;
      const f = list[i + 1] as WsPeer<WsConn>;
      if (f.id === m.toPeerId && f.swarm.hash === hash) {
        from = f;
        break;
      }
    }
    // The answerer must be this socket's peer in that swarm (the one the offer went to, or another
    // of its peers there: the same socket either way).
    const to = from === null ? undefined : from.swarm.byId.get(m.peerId);
    if (from === null || to === undefined || to.holder !== c || (list[i + 2] as number) < now || !from.live) {
      counters.wsAnswersDropped++;
      counters.error(P_WS, A_ANNOUNCE, E_NOT_FOUND);
      return false;
    }
    list.splice(i, PENDING_SLOTS);
    if (this.relay(from.holder, answerMessage(from.swarm.json, to.idJson, m.offerId, m.answer as string)))
      counters.wsAnswersRelayed++;
    return true;
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
      bin20Bytes(h, this.hashBuf, 0);
      const refusal = t.core.refusal(P_WS, A_SCRAPE, this.hashBuf, 0);
      if (refusal !== null) {
        this.reply(c, failureMessage('scrape', h, refusal));
        return;
      }
      const s = this.store.get(h.length === 20 ? h : this.hashBuf.toString('latin1'));
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
      if (c.closing) {
        // Sent a close a ping interval ago and still open: the client did not finish the close.
        c.socket.destroy();
        continue;
      }
      if (now - c.seen >= cfg.wsIdleTimeout || !c.alive) {
        t.counters.error(P_WS, A_OTHER, E_TIMEOUT);
        this.terminate(c);
        continue;
      }
      if (WsTrackerServer.queued(c) > cfg.wsMaxBufferedBytes) {
        t.counters.wsSlowClosed++;
        this.terminate(c);
        continue;
      }
      c.alive = false;
      c.socket.write(PING);
      const pending = c.pending;
      if (pending !== null) {
        let drop = 0;
        while (drop < pending.length && (pending[drop + 2] as number) <= now) drop += PENDING_SLOTS;
        if (drop === pending.length) c.pending = null;
        else if (drop > 0) pending.splice(0, drop);
      }
    }
  }
}

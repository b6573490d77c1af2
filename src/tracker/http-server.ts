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
 * Two ways in, one request handler. With the native I/O addon (native/io/http_batch.c, Linux) the
 * connections never become net.Socket objects: C accepts them, reads the heads and calls
 * `onBatch` with many at once; `handle()` writes each reply into the addon's output slot and C
 * sends it and closes (a net.Socket per connection costs more than opentracker's whole request:
 * docs/benchmarks.md). Without the addon (or with FJORD_HTTP_NATIVE=0) node:net accepts and
 * `onData` feeds the same `handle()`. The few requests that need a socket (a WebSocket upgrade on
 * a shared port, /metrics) are taken out of the addon as a
 * net.Socket and finished in `slow()`; `handle()` says so before it has changed anything.
 *
 * Limits: the request head may not exceed maxHeaderBytes (431 then close); a connection idle or
 * unfinished for httpIdleTimeout seconds is closed; a request body is never read.
 */
import { closeSync } from 'node:fs';
import net, { isIP } from 'node:net';
import { HttpQuery, MAX_SCRAPE_HASHES, announceProblem, parseQuery } from '../protocol/http-query.js';
import { formatIP, isV4Mapped, parseIPv4, parseIPv6, inNetworks, Network } from '../protocol/ip.js';
import { bencode } from '../protocol/bencode.js';
import { Announced, EVENT_STOPPED, type SwarmCounts } from '../swarm/peer-store.js';
import { clock } from '../swarm/clock.js';
import {
  HEAD_BARE_LF,
  HEAD_INCOMPLETE,
  RequestLine,
  forwardedClient,
  hasUpgradeHeader,
  headEnd,
  headerValue,
  parseRequestLine,
  pathIs,
} from '../protocol/http-head.js';
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
  P_HTTP,
} from './request-counters.js';
import {
  H_ACCEPTED,
  H_ACCEPT_ERRORS,
  H_OPEN,
  H_REFUSED,
  H_SHED,
  NativeHttpListener,
  httpNative,
  httpNativeStatus,
} from './http-native.js';
import { AcceptProblems, AddressCounts } from './address-limit.js';
import { processBudget, type DescriptorBudget } from './descriptors.js';
import type { Tracker } from './tracker.js';
import { formatEndpoint, type Endpoint } from '../config.js';

const OK_HEAD = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ';
/** handle(): the reply did not fit the request's reply buffer and is in its `big`. */
const BIG = -1;
/*
 * handle(): the request needs a net.Socket (see slow()); nothing has been done or counted yet.
 * UPGRADE: GET /announce naming an Upgrade, on a port shared with the WebSocket tracker; METRICS:
 * /metrics, answered when its text is ready.
 */
const UPGRADE = -2;
const METRICS = -3;
/**
 * A head's `end` when a line of it ended in a bare LF before a blank line came (both paths: the
 * addon reports the same value): such a head never gets its CRLFCRLF, so it is answered 400 at
 * once instead of at the idle timeout.
 */
const BARE_LF = HEAD_BARE_LF;
/** The largest reply written into a native output slot (announce: 200 IPv6 peers and the rest). */
const REPLY_SLOT = 8192;

/**
 * What is one request's own while it is handled: where its reply goes and who sent it. Passed to
 * handle() and everything it calls, never kept on the server, so one request (a WebSocket
 * hand-over, a reply written later) cannot change another's client address or reply buffer (issue
 * 12: an `Upgrade: h2c` announce once made the rest of its native batch answer 400). The server's
 * other buffers (query, peer, scratch) are scratch space, each written in full by the request
 * using it before it reads them, within one synchronous call.
 */
class HttpRequest {
  /** A reply that did not fit `out` (handle() returned BIG). */
  big: Buffer | null = null;
  /** The client's address as text; on the native path formatted only when asked (remoteAddress()). */
  remoteText: string | null = null;
  remoteLen: 4 | 16 = 4;

  constructor(
    /** Where handle() writes the reply: a native output slot, or the node:net path's buffer. */
    readonly out: Buffer,
    /** The native path's meta buffer, whose bytes at remoteOffset are the client's address (4 or 16). */
    readonly remoteSource: Buffer | null,
    readonly remoteOffset: number,
  ) {}
}

/** The client's address as text (formatted on demand on the native path). */
function remoteAddress(req: HttpRequest): string {
  if (req.remoteText === null)
    req.remoteText =
      req.remoteSource === null ? '' : formatIP(req.remoteSource, req.remoteOffset, req.remoteLen);
  return req.remoteText;
}

/** On a node:net connection: the address it is counted under in `perAddress` (until uncounted). */
const kCounted = Symbol('fjord.http.counted');
type Counted = net.Socket & { [kCounted]?: string };

function onSocketError(this: net.Socket): void {
  this.destroy();
}

export class HttpTrackerServer {
  /** The node:net server (null while the native listener serves this endpoint). */
  server: net.Server | null = null;
  /** The native listener (null on the node:net path). */
  native: NativeHttpListener | null = null;
  /** Which path serves this endpoint: 'native' (the addon) or 'net'. */
  readonly io: 'native' | 'net';
  private readonly query = new HttpQuery();
  private readonly line = new RequestLine();
  private readonly peer = Buffer.alloc(18);
  /** The store's answers: scratch space like `peer`, written in full by each request. */
  private readonly announced = new Announced();
  private readonly counts: SwarmCounts = { seeders: 0, leechers: 0, downloaded: 0 };
  private readonly scratch = Buffer.allocUnsafeSlow(64 * 1024);
  private readonly scrapeOrder = new Uint16Array(MAX_SCRAPE_HASHES);
  private readonly trusted: Network[];
  private readonly statsNets: Network[];
  private readonly lastFullScrape = new Map<string, number>();
  /** Open node:net connections and when each was accepted (clock seconds). */
  private readonly sockets = new Map<net.Socket, number>();
  private readonly partial = new Map<net.Socket, Buffer>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly onDataListener: (this: net.Socket, chunk: Buffer) => void;
  private readonly onCloseListener: (this: net.Socket) => void;
  /** The node:net path's reply buffer: written by handle() and copied out at once by deliver(). */
  private readonly netReply = Buffer.allocUnsafeSlow(REPLY_SLOT);
  /** The native path's per-slot request contexts (made at listen(), reused batch after batch). */
  private slotRequests: HttpRequest[] = [];
  /** Why this endpoint is on node:net although it was not forced there (null: it is not, or was forced). */
  private readonly netReason: string | null;
  /** The native listener's accept count already added to the tracker's counters. */
  private acceptedSeen = 0;
  private acceptErrorsSeen = 0;
  private refusedSeen = 0;
  private shedSeen = 0;
  /** Open node:net connections per client address (the native path counts in C). */
  private readonly perAddress: AddressCounts;
  /** The process's descriptors, shared with the other listeners; `maxOpen`: this one's share. */
  private readonly budget: DescriptorBudget;
  private readonly budgetUser = { open: () => this.openConnections() };
  private maxOpen = Infinity;
  /** The trusted proxies as the addon's exempt networks (17 bytes each; it takes up to 32). */
  private readonly exemptRecords: Uint8Array;
  /** Accept problems not yet logged (one line every few seconds). */
  private readonly problems: AcceptProblems;
  /** HOST:PORT for the log (the bound port once listening). */
  private label: string;
  /**
   * Set when the WebSocket tracker shares this port: given each GET /announce, it takes over the
   * connection (and returns true) if the request asks for a WebSocket.
   */
  upgrade: ((socket: net.Socket, head: Buffer, end: number) => boolean) | null = null;

  /** `io`: 'net' forces node:net (tests compare the two paths in one process). */
  constructor(
    private readonly tracker: Tracker,
    readonly endpoint: Endpoint,
    io: 'auto' | 'net' = 'auto',
  ) {
    this.trusted = tracker.config.trustedProxies.map((n) => new Network(n));
    this.statsNets = tracker.config.statsNetworks.map((n) => new Network(n));
    this.label = formatEndpoint(endpoint);
    this.perAddress = new AddressCounts(tracker.config.httpMaxConnectionsPerAddress);
    this.problems = new AcceptProblems(
      (line) => tracker.log(line),
      `http ${this.label}`,
      tracker.config.httpMaxConnectionsPerAddress,
    );
    this.budget = processBudget(tracker.config.descriptorReserve);
    this.exemptRecords = new Uint8Array(17 * Math.min(32, this.trusted.length));
    for (let i = 0; i * 17 < this.exemptRecords.length; i++)
      this.trusted[i].writeRecord(this.exemptRecords, i * 17);
    this.netReason =
      io === 'net'
        ? null
        : httpNative === null
          ? `native connections not used: ${httpNativeStatus.reason}`
          : isIP(endpoint.host) === 0 || endpoint.host.includes('%')
            ? 'native connections need an IP address'
            : null;
    this.io = io === 'auto' && httpNative !== null && this.netReason === null ? 'native' : 'net';
    // Listeners shared by every connection (`this` is the socket), so accepting allocates no closures.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.onDataListener = function (this: net.Socket, chunk: Buffer) {
      self.onData(this, chunk);
    };
    this.onCloseListener = function (this: net.Socket) {
      self.onClose(this);
    };
  }

  listen(): Promise<Endpoint> {
    const t = this.tracker;
    if (this.io === 'native' && httpNative !== null) {
      const n = new NativeHttpListener(
        httpNative,
        this.endpoint.host,
        this.endpoint.port,
        4096,
        t.config.maxHeaderBytes,
        REPLY_SLOT,
        (count) => this.onBatch(count),
      );
      this.native = n;
      this.budget.join(this.budgetUser);
      this.applyLimits();
      for (let i = 0; i < n.slots; i++)
        this.slotRequests.push(new HttpRequest(n.replies[i], n.meta, n.addressOffset(i)));
      this.startSweep();
      const bound = n.address();
      this.label = formatEndpoint(bound);
      this.problems.label = `http ${this.label}`;
      t.log(`http ${formatEndpoint(bound)}: native connections (epoll, batches of up to ${n.slots})`);
      return Promise.resolve(bound);
    }
    const server = (this.server = net.createServer((socket) => this.onConnection(socket)));
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      const v6 = this.endpoint.host.includes(':');
      server.listen(
        { port: this.endpoint.port, host: this.endpoint.host, ipv6Only: v6, backlog: 4096 },
        () => {
          server.off('error', onError);
          // From now on an error (e.g. too many open files on accept) is logged, never fatal, and
          // a flood of them is one line every LOG_EVERY seconds.
          server.on('error', (err: NodeJS.ErrnoException) => {
            this.problems.acceptErrors++;
            this.problems.error = err.code ?? err.message;
            this.problems.note();
          });
          this.budget.join(this.budgetUser);
          this.applyLimits();
          this.startSweep();
          const a = server.address() as net.AddressInfo;
          const bound = { host: a.address, port: a.port };
          this.label = formatEndpoint(bound);
          this.problems.label = `http ${this.label}`;
          if (this.netReason !== null) t.log(`http ${formatEndpoint(bound)}: node:net (${this.netReason})`);
          resolve(bound);
        },
      );
    });
  }

  private startSweep(): void {
    this.sweepTimer = setInterval(() => this.sweepIdle(), 1000);
    this.sweepTimer.unref();
  }

  close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.budget.leave(this.budgetUser);
    for (const sock of this.sockets.keys()) sock.destroy();
    if (this.native !== null) {
      this.syncNativeCounters();
      this.native.close();
      return Promise.resolve();
    }
    const server = this.server;
    return new Promise((resolve) => {
      if (server === null) resolve();
      else server.close(() => resolve());
    });
  }

  /**
   * Per connection the hot path does only this: count it, remember when it came (for the idle
   * sweep, which replaces a timer per socket), and add three listeners that are shared functions,
   * not closures. A request that arrives in pieces keeps its partial head in `partial`.
   */
  private onConnection(socket: net.Socket): void {
    const t = this.tracker;
    t.counters.httpConnections++;
    // The limits the native path keeps in C (http_batch.c, accept_some): per address, then the
    // descriptor budget, making room by closing the connection that has waited longest.
    const address = socket.remoteAddress ?? '';
    const exempt = this.trusted.length > 0 && inNetworks(address, this.trusted);
    if (!exempt && this.perAddress.full(address)) {
      t.counters.error(P_HTTP, A_OTHER, E_RATE_LIMITED);
      this.problems.refused++;
      this.problems.note();
      socket.on('error', onSocketError);
      socket.destroy();
      return;
    }
    if (this.sockets.size >= this.maxOpen) {
      const oldest = this.sockets.keys().next();
      t.counters.error(P_HTTP, A_OTHER, E_TIMEOUT);
      this.problems.shed++;
      this.problems.note();
      if (oldest.done === true) {
        socket.on('error', onSocketError);
        socket.destroy();
        return;
      }
      this.sockets.delete(oldest.value);
      oldest.value.destroy();
    }
    if (!exempt) {
      this.perAddress.add(address);
      (socket as Counted)[kCounted] = address;
    }
    this.watch(socket);
    socket.on('data', this.onDataListener);
  }

  /** Connections this listener holds now (the addon's and node:net's). */
  private openConnections(): number {
    return this.sockets.size + (this.native === null ? 0 : this.native.counters[H_OPEN]);
  }

  /** Sets this listener's share of the descriptor budget and the per-address cap (every second). */
  private applyLimits(): void {
    const allowed = this.budget.allowance();
    if (this.native === null) {
      // At least one: a new connection can always take the place of the longest waiting one.
      this.maxOpen = Math.max(1, allowed);
      return;
    }
    // The addon's own connections get what the node:net ones (handed over) leave; 0 is "no limit"
    // to the addon, so at least 1.
    const mine = allowed === Infinity ? 0 : Math.max(1, Math.min(2 ** 31 - 1, allowed - this.sockets.size));
    this.native.limits(mine, this.tracker.config.httpMaxConnectionsPerAddress, this.exemptRecords);
  }

  /** Stops counting a node:net connection against its address (closed, or taken by another part). */
  private uncount(socket: net.Socket): void {
    const address = (socket as Counted)[kCounted];
    if (address === undefined) return;
    (socket as Counted)[kCounted] = undefined;
    this.perAddress.remove(address);
  }

  /** Times a node:net connection out with the others, and keeps its errors from being thrown. */
  private watch(socket: net.Socket): void {
    this.sockets.set(socket, clock.seconds);
    socket.on('error', onSocketError);
    socket.on('close', this.onCloseListener);
  }

  private onClose(socket: net.Socket): void {
    this.uncount(socket);
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
    const end = headEnd(buf);
    if (end === HEAD_INCOMPLETE && buf.length <= t.config.maxHeaderBytes) {
      if (head === undefined) this.partial.set(socket, Buffer.from(chunk));
      return;
    }
    if (head !== undefined) this.partial.delete(socket);
    socket.removeListener('data', this.onDataListener);
    const req = this.socketRequest(socket);
    const r = this.handleSafely(req, buf, end);
    if (r >= 0 || r === BIG) this.deliver(socket, req, r);
    else this.slow(socket, buf, end, r);
  }

  /**
   * The native listener's batch: heads [0, count) are in its input slots. Each reply goes into
   * its output slot; a request that needs a socket leaves the addon as a net.Socket.
   */
  private onBatch(count: number): void {
    const n = this.native;
    if (n === null) return;
    this.syncNativeCounters();
    const slots = this.slotRequests;
    for (let i = 0; i < count; i++) {
      // Each slot has its own context: a request handed over below (whose handling goes on in a
      // context of its own) cannot change what the rest of the batch sees.
      const req = slots[i];
      req.big = null;
      req.remoteText = null;
      req.remoteLen = n.family(i) === 4 ? 4 : 16;
      const head = n.heads[i];
      const end = n.end(i);
      const r = this.handleSafely(req, head, end);
      if (r >= 0) {
        n.setReply(i, r);
        continue;
      }
      // A socket is needed: take the connection out of the addon (its head is copied: the slot
      // is reused by the next batch).
      const fd = n.detach(i);
      let socket: net.Socket;
      try {
        socket = new net.Socket({ fd, readable: true, writable: true });
      } catch (e) {
        this.tracker.log(
          `http: cannot take over a connection: ${e instanceof Error ? e.message : String(e)}`,
        );
        closeQuietly(fd);
        continue;
      }
      this.watch(socket);
      if (r === BIG) this.deliver(socket, req, r);
      else this.slow(socket, Buffer.from(head.subarray(0, n.length(i))), end, r);
    }
  }

  /** Adds the native listener's accepted connections (and accept errors) to the tracker's counters. */
  private syncNativeCounters(): void {
    const n = this.native;
    if (n === null) return;
    const accepted = n.counters[H_ACCEPTED];
    this.tracker.counters.httpConnections += accepted - this.acceptedSeen;
    this.acceptedSeen = accepted;
    const c = this.tracker.counters;
    const errors = n.counters[H_ACCEPT_ERRORS];
    const refused = n.counters[H_REFUSED];
    const shed = n.counters[H_SHED];
    if (errors === this.acceptErrorsSeen && refused === this.refusedSeen && shed === this.shedSeen) return;
    for (let i = this.refusedSeen; i < refused; i++) c.error(P_HTTP, A_OTHER, E_RATE_LIMITED);
    for (let i = this.shedSeen; i < shed; i++) c.error(P_HTTP, A_OTHER, E_TIMEOUT);
    const u = this.problems;
    if (errors !== this.acceptErrorsSeen) u.error = n.lastError();
    u.acceptErrors += errors - this.acceptErrorsSeen;
    u.refused += refused - this.refusedSeen;
    u.shed += shed - this.shedSeen;
    this.acceptErrorsSeen = errors;
    this.refusedSeen = refused;
    this.shedSeen = shed;
    u.note();
  }

  /** handle(), with a bug answered by 500 and counted instead of ending the process. */
  private handleSafely(req: HttpRequest, buf: Buffer, end: number): number {
    const t = this.tracker;
    try {
      if (end === BARE_LF) {
        t.counters.error(P_HTTP, A_OTHER, E_MALFORMED);
        return this.plain(req, 400, 'lines must end with CRLF\n');
      }
      if (end < 0 || end > t.config.maxHeaderBytes) {
        t.counters.error(P_HTTP, A_OTHER, E_TOO_LARGE);
        return this.plain(req, 431, 'request head too large\n');
      }
      return this.handle(req, buf, end, true);
    } catch (e) {
      t.counters.error(P_HTTP, A_OTHER, E_INTERNAL);
      t.log(`http: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      return this.plain(req, 500, 'internal error\n');
    }
  }

  /** Sends handle()'s reply on a node:net socket and ends it (a copy: `out` is reused). */
  private deliver(socket: net.Socket, req: HttpRequest, r: number): void {
    if (socket.destroyed) return;
    socket.end(r === BIG && req.big !== null ? req.big : Buffer.from(req.out.subarray(0, r)));
  }

  /** Closes connections idle or unfinished for longer than httpIdleTimeout (runs every second). */
  private sweepIdle(): void {
    const idle = this.tracker.config.httpIdleTimeout;
    const limit = clock.seconds - idle;
    for (const [socket, since] of this.sockets) {
      if (since > limit) continue;
      this.tracker.counters.error(P_HTTP, A_OTHER, E_TIMEOUT);
      this.sockets.delete(socket);
      socket.destroy();
    }
    if (this.native !== null) {
      this.syncNativeCounters();
      const closed = this.native.sweep(idle);
      for (let i = 0; i < closed; i++) this.tracker.counters.error(P_HTTP, A_OTHER, E_TIMEOUT);
    }
    this.applyLimits();
    this.problems.note();
  }

  /** Another part (WebSocket tracker, web pages) has taken the connection: stop timing it out. */
  private release(socket: net.Socket): void {
    this.uncount(socket);
    this.sockets.delete(socket);
  }

  /** The context of a request that came on a node:net socket (its reply goes to netReply). */
  private socketRequest(socket: net.Socket): HttpRequest {
    const req = new HttpRequest(this.netReply, null, 0);
    req.remoteText = socket.remoteAddress ?? '';
    return req;
  }

  /**
   * Handles one request whose head is buf[0, end): writes the reply into `req.out` and returns its
   * length (BIG: it is in `req.big`), or returns UPGRADE or METRICS, before doing anything,
   * when the request needs a socket (`upgrades`: whether to look for a WebSocket upgrade).
   */
  private handle(req: HttpRequest, buf: Buffer, end: number, upgrades: boolean): number {
    const t = this.tracker;
    const line = this.line;
    if (!parseRequestLine(buf, line)) {
      t.counters.error(P_HTTP, A_OTHER, E_MALFORMED);
      return this.plain(req, 400, 'malformed request line\n');
    }
    if (!line.isGet) return this.notServed(req, false);
    const qs = line.queryStart;
    const sp2 = line.targetEnd;
    if (pathIs(buf, line, '/announce')) {
      if (upgrades && this.upgrade !== null && hasUpgradeHeader(buf, end)) return UPGRADE;
      return this.announce(req, buf, qs, sp2, end);
    }
    if (pathIs(buf, line, '/scrape')) return this.scrape(req, buf, qs, sp2);
    const path = buf.toString('latin1', line.methodEnd + 1, line.pathEnd);
    if (path === '/stats' || path === '/metrics') {
      if (!inNetworks(remoteAddress(req), this.statsNets)) {
        t.counters.error(P_HTTP, A_OTHER, E_FORBIDDEN);
        return this.plain(req, 403, 'statistics are not available to this address\n');
      }
      if (path === '/metrics') return METRICS;
      const r = t.statsPage(new URLSearchParams(buf.toString('latin1', qs, sp2)));
      return this.respond(req, r.status, r.type, Buffer.from(r.body));
    }
    return this.notServed(req, true);
  }

  /** 404 for a GET of a path not served here, 405 for any other method; counted. */
  private notServed(req: HttpRequest, get: boolean): number {
    const t = this.tracker;
    t.counters.error(P_HTTP, A_OTHER, get ? E_NOT_FOUND : E_MALFORMED);
    return get
      ? this.plain(req, 404, 'not found: this is a BitTorrent tracker (/announce, /scrape)\n')
      : this.plain(req, 405, 'only GET is served here\n');
  }

  /** The requests handle() returned UPGRADE or METRICS for (`watch` covers the socket). */
  private slow(socket: net.Socket, buf: Buffer, end: number, kind: number): void {
    const t = this.tracker;
    try {
      if (kind === UPGRADE) {
        if (this.upgrade !== null && this.upgrade(socket, buf, end)) {
          this.release(socket);
          return;
        }
        // It named an Upgrade that is not a WebSocket: an ordinary announce, in a context of its own.
        const req = this.socketRequest(socket);
        this.deliver(socket, req, this.handle(req, buf, end, false));
      } else {
        void t.metricsText().then(
          (text) => this.sendNow(socket, 200, 'text/plain; version=0.0.4; charset=utf-8', Buffer.from(text)),
          () => this.sendNow(socket, 500, 'text/plain; charset=utf-8', Buffer.from('metrics failed\n')),
        );
      }
    } catch (e) {
      t.counters.error(P_HTTP, A_OTHER, E_INTERNAL);
      t.log(`http: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      this.sendNow(socket, 500, 'text/plain; charset=utf-8', Buffer.from('internal error\n'));
    }
  }

  /** Answers on a socket outside handle() (a reply written later, or by slow()). */
  private sendNow(socket: net.Socket, status: number, type: string, body: Buffer): void {
    const req = this.socketRequest(socket);
    this.deliver(socket, req, this.respond(req, status, type, body));
  }

  /**
   * The requester's address into this.peer; returns 4 or 16 (its length), or 0 if unusable.
   * Behind a trusted proxy, the rightmost X-Forwarded-For address not itself a trusted proxy is the
   * client (or the `ip` parameter, when there is no such header); otherwise the connection's address.
   */
  private requesterAddress(req: HttpRequest, buf: Buffer, end: number, ipParam: string | null): 0 | 4 | 16 {
    const p = this.peer;
    let address: string;
    if (this.trusted.length > 0 && inNetworks(remoteAddress(req), this.trusted)) {
      address = remoteAddress(req);
      const xff = headerValue(buf, end, 'x-forwarded-for');
      if (xff !== null) address = forwardedClient(xff, this.trusted);
      else if (ipParam !== null) address = ipParam;
    } else if (req.remoteSource !== null) {
      // The native path has the address as bytes already.
      const src = req.remoteSource;
      const len = req.remoteLen;
      for (let i = 0; i < len; i++) p[i] = src[req.remoteOffset + i];
      if (len === 4) return 4;
      if (isV4Mapped(p, 0)) {
        p.copyWithin(0, 12, 16);
        return 4;
      }
      return 16;
    } else address = req.remoteText ?? '';
    const v4 = parseIPv4(address);
    if (v4 >= 0) {
      p[0] = v4 >>> 24;
      p[1] = (v4 >>> 16) & 0xff;
      p[2] = (v4 >>> 8) & 0xff;
      p[3] = v4 & 0xff;
      return 4;
    }
    if (!parseIPv6(address, p, 0)) return 0;
    if (isV4Mapped(p, 0)) {
      p.copyWithin(0, 12, 16);
      return 4;
    }
    return 16;
  }

  private announce(req: HttpRequest, buf: Buffer, qs: number, qe: number, end: number): number {
    const t = this.tracker;
    const sample = t.counters.shouldSample();
    const started = sample ? performance.now() : 0;
    const q = this.query;
    if (!parseQuery(buf, qs, qe, q) || announceProblem(q) !== null) {
      t.counters.error(P_HTTP, A_ANNOUNCE, E_MALFORMED);
      return this.failure(req, 400, q.error ?? announceProblem(q) ?? 'bad request');
    }
    const core = t.core;
    const refusal = core.refusal(P_HTTP, A_ANNOUNCE, q.hashes, 0);
    if (refusal !== null) return this.failure(req, 200, refusal);
    const addrLen = this.requesterAddress(req, buf, end, q.ip);
    if (addrLen === 0) {
      t.counters.error(P_HTTP, A_ANNOUNCE, E_MALFORMED);
      return this.failure(req, 400, 'unusable client address');
    }
    const peer = this.peer;
    peer[addrLen] = q.port >>> 8;
    peer[addrLen + 1] = q.port & 0xff;
    const v6 = addrLen === 16;
    const seed = q.leftZero;
    const a = this.announced;
    core.announce(
      P_HTTP,
      q.hashes,
      0,
      peer,
      addrLen,
      seed,
      q.event,
      q.downloaded,
      buf,
      q.peerIdStart,
      q.peerIdEnd,
      true,
      a,
    );

    // Peers: the requester's own family first, then the other, numwant in all (BEP 7: peers6).
    const scratch = this.scratch;
    let n4 = 0;
    let n6 = 0;
    const want = q.event === EVENT_STOPPED || !a.known ? 0 : core.numwant(q.numwant);
    const BASE4 = 1024;
    const BASE6 = BASE4 + 6 * 1000;
    if (want > 0) {
      if (v6) {
        n6 = core.selectPeers(a, true, seed, want, scratch, BASE6);
        n4 = core.selectPeers(a, false, seed, want - n6, scratch, BASE4);
      } else {
        n4 = core.selectPeers(a, false, seed, want, scratch, BASE4);
        n6 = core.selectPeers(a, true, seed, want - n4, scratch, BASE6);
      }
    }
    const complete = a.seeders;
    const incomplete = a.leechers;
    const downloaded = a.downloaded;
    let r: number;
    if (q.compact === 0) {
      const body = bencode({
        complete,
        downloaded,
        incomplete,
        interval: t.config.interval,
        'min interval': t.config.minInterval,
        peers: dictPeers(scratch, BASE4, n4, 4).concat(dictPeers(scratch, BASE6, n6, 16)),
      });
      r = this.respond(req, 200, 'text/plain', body);
    } else {
      // The compact reply, written straight after the head (no body buffer of its own): keys in
      // sorted order as bencoding requires.
      const s = `d8:completei${complete}e10:downloadedi${downloaded}e10:incompletei${incomplete}e8:intervali${t.config.interval}e12:min intervali${t.config.minInterval}e5:peers${n4 * 6}:`;
      const s6 = n6 > 0 ? `6:peers6${n6 * 18}:` : '';
      const bodyLength = s.length + n4 * 6 + s6.length + n6 * 18 + 1;
      const head = OK_HEAD + bodyLength + '\r\nConnection: close\r\n\r\n';
      const res = this.target(req, head.length + bodyLength);
      let o = res.write(head, 0, 'latin1');
      o += res.write(s, o, 'latin1');
      o += scratch.copy(res, o, BASE4, BASE4 + n4 * 6);
      if (n6 > 0) {
        o += res.write(s6, o, 'latin1');
        o += scratch.copy(res, o, BASE6, BASE6 + n6 * 18);
      }
      res[o] = 101; // 'e'
      r = this.written(req, res, o + 1);
    }
    if (sample) t.counters.observeLatency((performance.now() - started) / 1000);
    return r;
  }

  private scrape(req: HttpRequest, buf: Buffer, qs: number, qe: number): number {
    const t = this.tracker;
    const q = this.query;
    if (!parseQuery(buf, qs, qe, q)) {
      t.counters.error(P_HTTP, A_SCRAPE, E_MALFORMED);
      return this.failure(req, 400, q.error ?? 'bad request');
    }
    if (q.hashCount === 0) return this.fullScrape(req);
    // BEP 48: `files` maps each raw 20-byte hash to its counts. Written by hand (this is one
    // request in ten from real clients): keys must be sorted by their bytes and unique, so the
    // hashes are ordered first and repeats skipped.
    const order = this.scrapeOrder;
    const n = q.hashCount;
    for (let i = 0; i < n; i++) {
      const refusal = t.core.refusal(P_HTTP, A_SCRAPE, q.hashes, i * 20);
      if (refusal !== null) return this.failure(req, 200, refusal);
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
      const c = this.counts;
      t.core.scrape(hashes, i * 20, c);
      o += w.write('20:', o, 'latin1');
      o += hashes.copy(w, o, i * 20, i * 20 + 20);
      o += w.write(
        `d8:completei${c.seeders}e10:downloadedi${c.downloaded}e10:incompletei${c.leechers}ee`,
        o,
        'latin1',
      );
    }
    o += w.write('ee', o, 'latin1');
    t.core.scraped(P_HTTP);
    return this.respond(req, 200, 'text/plain', w.subarray(0, o));
  }

  private fullScrape(req: HttpRequest): number {
    const t = this.tracker;
    if (!t.config.fullScrape) {
      t.counters.error(P_HTTP, A_SCRAPE, E_FORBIDDEN);
      return this.failure(req, 200, 'full scrape is disabled on this tracker; scrape with info_hash');
    }
    const who = remoteAddress(req);
    const last = this.lastFullScrape.get(who);
    if (last !== undefined && clock.seconds - last < t.config.fullScrapeInterval) {
      t.counters.error(P_HTTP, A_SCRAPE, E_RATE_LIMITED);
      return this.failure(req, 429, `full scrape at most once every ${t.config.fullScrapeInterval} s`);
    }
    if (this.lastFullScrape.size > 10000) this.lastFullScrape.clear();
    this.lastFullScrape.set(who, clock.seconds);
    const files: Record<string, { complete: number; downloaded: number; incomplete: number }> = {};
    t.store.forEach((key, off, swarm) => {
      if (!t.core.serves(key, off)) return;
      files[Buffer.from(key.buffer, key.byteOffset + off, 20).toString('latin1')] = {
        complete: swarm.seeders,
        downloaded: swarm.downloaded,
        incomplete: swarm.leechers,
      };
    });
    t.counters.fullScrapes++;
    t.core.scraped(P_HTTP);
    return this.respond(req, 200, 'text/plain', bencode({ files }));
  }

  private failure(req: HttpRequest, status: number, reason: string): number {
    return this.respond(req, status, 'text/plain', bencode({ 'failure reason': reason }));
  }

  private plain(req: HttpRequest, status: number, text: string): number {
    return this.respond(req, status, 'text/plain; charset=utf-8', Buffer.from(text));
  }

  /** Writes a whole reply (head and body) and returns handle()'s result for it. */
  private respond(req: HttpRequest, status: number, type: string, body: Buffer): number {
    const head = `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const res = this.target(req, head.length + body.length);
    res.write(head, 0, 'latin1');
    body.copy(res, head.length);
    return this.written(req, res, head.length + body.length);
  }

  /** Where a reply of `size` bytes goes: `req.out` if it fits, else a new buffer kept in `req.big`. */
  private target(req: HttpRequest, size: number): Buffer {
    if (size <= req.out.length) return req.out;
    return (req.big = Buffer.allocUnsafe(size));
  }

  /** handle()'s result once `length` bytes were written into `res` (from target()). */
  private written(req: HttpRequest, res: Buffer, length: number): number {
    if (res === req.out) return length;
    req.big = res.subarray(0, length);
    return BIG;
  }
}

/** Closes a descriptor nobody else holds, ignoring errors (it may be gone already). */
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed: nothing to do
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

/**
 * The UDP tracker listener (BEP 15): datagram in, datagram out.
 *
 * Hot path rules, from profiles (docs/benchmarks.md): no allocation of our own per request (the
 * reply is written into a reused buffer, the peer key into a scratch buffer), no clock read (the
 * cached clock), no logging, no closures, no exceptions as control flow.
 *
 * Two I/O paths run the same tracker code (`handle`: request bytes and the source address as
 * bytes in, the reply written into a given buffer, its length out):
 * - the native batching addon (src/tracker/udp-batch.ts, Linux): up to 64 datagrams per
 *   recvmmsg, one call into JavaScript per batch, the replies sent with one sendmmsg;
 * - node:dgram, one `message` event and one send per datagram: the fallback when the addon is not
 *   built, on other systems, for a host that is not an IP literal, or with FJORD_UDP_BATCH=0.
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import {
  ACTION_ANNOUNCE,
  ACTION_CONNECT,
  ACTION_SCRAPE,
  ANNOUNCE_MIN_LENGTH,
  CONNECT_LENGTH,
  OFF_DOWNLOADED,
  OFF_EVENT,
  OFF_INFO_HASH,
  OFF_LEFT,
  OFF_NUMWANT,
  OFF_PEER_ID,
  OFF_PORT,
  SCRAPE_MAX_HASHES,
  checkAnnounceOptions,
  hasProtocolId,
  isZero64,
  readU32,
  readU64,
  writeError,
  writeHeader,
  writeU32,
} from '../protocol/udp.js';
import { parseIPv4, parseIPv6, isV4Mapped } from '../protocol/ip.js';
import { clock } from '../swarm/clock.js';
import { Announced, EVENT_STOPPED, type SwarmCounts } from '../swarm/peer-store.js';
import type { Tracker } from './tracker.js';
import {
  A_ANNOUNCE,
  A_CONNECT,
  A_OTHER,
  A_SCRAPE,
  E_BAD_CONNECTION_ID,
  E_MALFORMED,
  E_UNKNOWN_ACTION,
  P_UDP,
  R_OK,
} from './request-counters.js';
import { formatEndpoint, type Endpoint } from '../config.js';
import { C_RECV_ERRORS, C_SEND_ERRORS, NativeUdpSocket, udpBatch, udpBatchStatus } from './udp-batch.js';

/** Largest reply: 20-byte header + numwantMax (<= 1000) IPv6 peers of 18 bytes. */
const REPLY_BYTES = 20 + 18 * 1000;
/** Kernel socket buffers asked for (the kernel caps them at net.core.rmem_max / wmem_max). */
const SOCKET_BUFFER_BYTES = 4 << 20;

export class UdpTrackerServer {
  /** The node:dgram socket, on the fallback path (null when the addon serves this listener). */
  readonly socket: dgram.Socket | null = null;
  /** The addon's socket, once bound, on the batching path. */
  private native: NativeUdpSocket | null = null;
  /** Which I/O path serves this listener: 'batch' (the native addon) or 'dgram'. */
  readonly io: 'batch' | 'dgram';
  private reply = Buffer.allocUnsafeSlow(REPLY_BYTES);
  /** The requester: address bytes then port (compact form, the peer's key), 6 or 18 bytes used. */
  private readonly peer = Buffer.alloc(18);
  /** The store's answers, reused request after request. */
  private readonly announced = new Announced();
  private readonly counts: SwarmCounts = { seeders: 0, leechers: 0, downloaded: 0 };
  /** Native send/receive errors already logged. */
  private ioErrorsSeen = 0;

  /** `io`: 'dgram' forces the fallback (tests compare the two paths in one process). */
  constructor(
    private readonly tracker: Tracker,
    readonly endpoint: Endpoint,
    io: 'auto' | 'dgram' = 'auto',
  ) {
    const v6 = endpoint.host.includes(':');
    // The addon binds IP literals only (no name lookup, no %zone): anything else goes by dgram.
    this.io =
      io === 'auto' && udpBatch !== null && isIP(endpoint.host) !== 0 && !endpoint.host.includes('%')
        ? 'batch'
        : 'dgram';
    if (this.io === 'dgram') {
      this.socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6, reuseAddr: false });
      this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
    }
  }

  listen(): Promise<Endpoint> {
    if (this.io === 'batch' && udpBatch !== null) {
      try {
        this.native = new NativeUdpSocket(
          udpBatch,
          this.endpoint.host,
          this.endpoint.port,
          REPLY_BYTES,
          SOCKET_BUFFER_BYTES,
          (count) => this.onBatch(count),
        );
      } catch (e) {
        return Promise.reject(e as Error);
      }
      const bound = this.native.address();
      this.tracker.log(
        `udp ${formatEndpoint(bound)}: native batching (recvmmsg/sendmmsg, up to ${this.native.slots} a batch)`,
      );
      return Promise.resolve(bound);
    }
    const socket = this.socket as dgram.Socket;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      socket.once('error', onError);
      socket.bind(this.endpoint.port, this.endpoint.host, () => {
        socket.off('error', onError);
        // A socket error after binding (e.g. ICMP unreachable reported on Linux) must not end the process.
        socket.on('error', (err) =>
          this.tracker.log(`udp ${this.endpoint.host}:${this.endpoint.port}: ${err.message}`),
        );
        try {
          socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
          socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
        } catch {
          // The kernel caps these (net.core.rmem_max); the defaults still work.
        }
        const a = socket.address();
        const bound = { host: a.address, port: a.port };
        this.tracker.log(
          `udp ${formatEndpoint(bound)}: node:dgram${udpBatch === null ? ` (native batching not used: ${udpBatchStatus.reason})` : ''}`,
        );
        resolve(bound);
      });
    });
  }

  close(): Promise<void> {
    if (this.native !== null) {
      this.native.close();
      return Promise.resolve();
    }
    if (this.io === 'batch') return Promise.resolve(); // never bound
    return new Promise((resolve) => (this.socket as dgram.Socket).close(() => resolve()));
  }

  /** The addon's I/O counters (udp-batch.ts C_*), or null on the dgram path. */
  ioCounters(): Float64Array | null {
    return this.native === null ? null : this.native.counters;
  }

  /** node:dgram: one datagram. The source address string becomes bytes, the reply is sent at once. */
  onMessage(msg: Buffer, address: string, port: number): void {
    // The requester's address, as the peer key's first bytes (length 0: not understood).
    const peer = this.peer;
    let addrLen: 0 | 4 | 16 = 0;
    const v4 = parseIPv4(address);
    if (v4 >= 0) {
      writeU32(peer, 0, v4);
      addrLen = 4;
    } else if (parseIPv6(address, peer, 0)) {
      if (isV4Mapped(peer, 0)) {
        peer.copyWithin(0, 12, 16);
        addrLen = 4;
      } else addrLen = 16;
    }
    const len = this.handle(msg, msg.length, addrLen, this.reply);
    if (len > 0) this.send(len, port, address);
  }

  /** The addon: datagrams 0..count-1 of a batch; each reply goes into its slot, sent after return. */
  private onBatch(count: number): void {
    const nat = this.native as NativeUdpSocket;
    const meta = nat.meta;
    const peer = this.peer;
    for (let i = 0; i < count; i++) {
      const len = nat.length(i);
      const family = nat.family(i);
      const a = nat.addressOffset(i);
      let addrLen: 0 | 4 | 16 = 0;
      if (family === 4) {
        peer[0] = meta[a];
        peer[1] = meta[a + 1];
        peer[2] = meta[a + 2];
        peer[3] = meta[a + 3];
        addrLen = 4;
      } else if (family === 6) {
        for (let k = 0; k < 16; k++) peer[k] = meta[a + k];
        if (isV4Mapped(peer, 0)) {
          peer.copyWithin(0, 12, 16);
          addrLen = 4;
        } else addrLen = 16;
      }
      nat.setReply(i, this.handle(nat.message(i, len), len, addrLen, nat.replies[i]));
    }
    const c = nat.counters;
    const errors = c[C_RECV_ERRORS] + c[C_SEND_ERRORS];
    if (errors !== this.ioErrorsSeen) {
      // As the dgram path logs its socket's errors; never fatal.
      this.ioErrorsSeen = errors;
      this.tracker.log(
        `udp ${this.endpoint.host}:${this.endpoint.port}: ${nat.lastError()} (${errors} send/receive errors so far)`,
      );
    }
  }

  private send(len: number, port: number, address: string): void {
    const socket = this.socket as dgram.Socket;
    socket.send(this.reply, 0, len, port, address);
    // Node sends at once when the socket can take it; if the send was queued instead, the queued
    // request still points at this buffer, so write the next reply into a new one.
    if (socket.getSendQueueCount() > 0) this.reply = Buffer.allocUnsafeSlow(REPLY_BYTES);
  }

  private error(msg: Buffer, len: number, out: Buffer, action: number, kind: number, text: string): number {
    this.tracker.counters.error(P_UDP, action, kind);
    return writeError(out, msg, len, text);
  }

  /** A refusal (TrackerCore.refusal counted it) as a BEP 15 error. */
  private refused(msg: Buffer, len: number, out: Buffer, text: string): number {
    return writeError(out, msg, len, text);
  }

  /**
   * An error for a datagram that has not shown it comes from its source address (a connect, or no
   * valid connection id): cut to the datagram's own length, so that a forged source address never
   * gets more bytes than the forger sent (BEP 15's connection id exists to stop amplification).
   */
  private unproven(
    msg: Buffer,
    len: number,
    out: Buffer,
    action: number,
    kind: number,
    text: string,
  ): number {
    const n = this.error(msg, len, out, action, kind, text);
    return n <= len ? n : len;
  }

  /**
   * The tracker's handling of one request, whichever I/O path it came by: `msg[0, len)` is the
   * datagram, the requester's address is in `this.peer[0, addrLen)` (4 or 16 bytes; 0 when the
   * source address was not understood). The reply is written into `out` from 0; returns its
   * length, or 0 for no reply.
   */
  handle(msg: Buffer, len: number, addrLen: 0 | 4 | 16, out: Buffer): number {
    const t = this.tracker;
    const counters = t.counters;
    counters.udpPackets++;
    const sample = counters.shouldSample();
    const started = sample ? performance.now() : 0;
    // Anything shorter than a connect cannot carry a transaction id to answer: drop and count.
    if (len < CONNECT_LENGTH) {
      counters.error(P_UDP, A_OTHER, E_MALFORMED);
      return 0;
    }
    if (addrLen === 0) {
      counters.error(P_UDP, A_OTHER, E_MALFORMED);
      return 0;
    }
    const peer = this.peer;
    const v6 = addrLen === 16;
    const now = clock.seconds;
    const action = readU32(msg, 8);
    let n: number;

    if (action === ACTION_CONNECT) {
      if (!hasProtocolId(msg))
        return this.unproven(msg, len, out, A_CONNECT, E_MALFORMED, 'bad protocol id: not a BEP 15 connect');
      writeHeader(out, ACTION_CONNECT, msg);
      t.connectionIds.issue(now, peer, 0, addrLen, out, 8);
      counters.request(P_UDP, A_CONNECT, R_OK);
      n = 16;
    } else if (action === ACTION_ANNOUNCE || action === ACTION_SCRAPE) {
      const a = action === ACTION_ANNOUNCE ? A_ANNOUNCE : A_SCRAPE;
      if (!t.connectionIds.verify(now, msg, 0, peer, 0, addrLen))
        return this.unproven(msg, len, out, a, E_BAD_CONNECTION_ID, 'bad connection id; connect again');
      n = action === ACTION_ANNOUNCE ? this.announce(msg, len, v6, addrLen, out) : this.scrape(msg, len, out);
    } else {
      // Told in full only to a sender whose connection id proves its address.
      const text = `unknown action ${action}`;
      return t.connectionIds.verify(now, msg, 0, peer, 0, addrLen)
        ? this.error(msg, len, out, A_OTHER, E_UNKNOWN_ACTION, text)
        : this.unproven(msg, len, out, A_OTHER, E_UNKNOWN_ACTION, text);
    }
    if (sample) counters.observeLatency((performance.now() - started) / 1000);
    return n;
  }

  private announce(msg: Buffer, len: number, v6: boolean, addrLen: number, out: Buffer): number {
    const t = this.tracker;
    if (len < ANNOUNCE_MIN_LENGTH || (len > ANNOUNCE_MIN_LENGTH && checkAnnounceOptions(msg, len) < 0)) {
      return this.error(
        msg,
        len,
        out,
        A_ANNOUNCE,
        E_MALFORMED,
        'malformed announce (expected 98 bytes and BEP 41 options)',
      );
    }
    const core = t.core;
    const refusal = core.refusal(P_UDP, A_ANNOUNCE, msg, OFF_INFO_HASH);
    if (refusal !== null) return this.refused(msg, len, out, refusal);
    const event = readU32(msg, OFF_EVENT);
    if (event > 3) return this.error(msg, len, out, A_ANNOUNCE, E_MALFORMED, `unknown event ${event}`);
    // The announced port, after the source address, completes the peer key (BEP 15: the `ip`
    // field is ignored, the source address is the peer's address).
    const peer = this.peer;
    peer[addrLen] = msg[OFF_PORT];
    peer[addrLen + 1] = msg[OFF_PORT + 1];
    const seed = isZero64(msg, OFF_LEFT);
    const a = this.announced;
    const downloaded = readU64(msg, OFF_DOWNLOADED);
    core.announce(
      P_UDP,
      msg,
      OFF_INFO_HASH,
      peer,
      addrLen as 4 | 16,
      seed,
      event,
      downloaded,
      msg,
      OFF_PEER_ID,
      OFF_PEER_ID + 20,
      false,
      a,
    );
    writeHeader(out, ACTION_ANNOUNCE, msg);
    writeU32(out, 8, t.config.interval);
    writeU32(out, 12, a.leechers);
    writeU32(out, 16, a.seeders);
    let n = 0;
    if (a.known && event !== EVENT_STOPPED) {
      const want = core.numwant(
        (msg[OFF_NUMWANT] << 24) |
          (msg[OFF_NUMWANT + 1] << 16) |
          (msg[OFF_NUMWANT + 2] << 8) |
          msg[OFF_NUMWANT + 3],
      );
      // Over UDP a client gets peers of its own address family only (BEP 15 replies carry one kind).
      n = core.selectPeers(a, v6, seed, want, out, 20);
    }
    return 20 + n * (addrLen + 2);
  }

  private scrape(msg: Buffer, len: number, out: Buffer): number {
    const t = this.tracker;
    const count = Math.floor((len - 16) / 20);
    if (count === 0 || (len - 16) % 20 !== 0)
      return this.error(
        msg,
        len,
        out,
        A_SCRAPE,
        E_MALFORMED,
        'malformed scrape (16 bytes then 20 per info hash)',
      );
    if (count > SCRAPE_MAX_HASHES) {
      return this.error(
        msg,
        len,
        out,
        A_SCRAPE,
        E_MALFORMED,
        `too many info hashes in one scrape (at most ${SCRAPE_MAX_HASHES})`,
      );
    }
    for (let i = 0; i < count; i++) {
      const off = 16 + i * 20;
      const refusal = t.core.refusal(P_UDP, A_SCRAPE, msg, off);
      if (refusal !== null) return this.refused(msg, len, out, refusal);
      const c = this.counts;
      t.core.scrape(msg, off, c);
      const o = 8 + i * 12;
      writeU32(out, o, c.seeders);
      writeU32(out, o + 4, c.downloaded);
      writeU32(out, o + 8, c.leechers);
    }
    writeHeader(out, ACTION_SCRAPE, msg);
    t.core.scraped(P_UDP);
    return 8 + count * 12;
  }
}

/**
 * The UDP tracker listener (BEP 15): datagram in, datagram out.
 *
 * Hot path rules, from profiles (docs/benchmarks.md): no allocation of our own per request (the
 * reply is written into a reused buffer, the peer key into a scratch buffer), no clock read (the
 * cached clock), no logging, no closures, no exceptions as control flow.
 */
import dgram from 'node:dgram';
import {
  ACTION_ANNOUNCE,
  ACTION_CONNECT,
  ACTION_SCRAPE,
  ANNOUNCE_MIN_LENGTH,
  CONNECT_LENGTH,
  OFF_EVENT,
  OFF_INFO_HASH,
  OFF_LEFT,
  OFF_NUMWANT,
  OFF_PORT,
  SCRAPE_MAX_HASHES,
  checkAnnounceOptions,
  hasProtocolId,
  isZero64,
  readU32,
  writeError,
  writeHeader,
  writeU32,
} from '../protocol/udp.js';
import { parseIPv4, parseIPv6, isV4Mapped } from '../protocol/ip.js';
import { clock } from '../swarm/clock.js';
import { EVENT_STOPPED } from '../swarm/store.js';
import type { Tracker } from './tracker.js';
import {
  A_ANNOUNCE,
  A_CONNECT,
  A_OTHER,
  A_SCRAPE,
  E_BAD_CONNECTION_ID,
  E_MALFORMED,
  E_NOT_ALLOWED,
  E_UNKNOWN_ACTION,
  E_WITHDRAWN,
  P_UDP,
  R_OK,
} from './counters.js';
import { ALLOWED, MESSAGE_NOT_ALLOWED, MESSAGE_WITHDRAWN, WITHDRAWN } from './access-list.js';
import type { Endpoint } from '../config.js';

/** Largest reply: 20-byte header + numwantMax (<= 1000) IPv6 peers of 18 bytes. */
const REPLY_BYTES = 20 + 18 * 1000;

export class UdpTrackerServer {
  readonly socket: dgram.Socket;
  private reply = Buffer.allocUnsafeSlow(REPLY_BYTES);
  /** The requester: address bytes then port (compact form, the peer's key), 6 or 18 bytes used. */
  private readonly peer = Buffer.alloc(18);

  constructor(
    private readonly tracker: Tracker,
    readonly endpoint: Endpoint,
  ) {
    const v6 = endpoint.host.includes(':');
    this.socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6, reuseAddr: false });
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address, rinfo.port));
  }

  listen(): Promise<Endpoint> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.socket.once('error', onError);
      this.socket.bind(this.endpoint.port, this.endpoint.host, () => {
        this.socket.off('error', onError);
        // A socket error after binding (e.g. ICMP unreachable reported on Linux) must not end the process.
        this.socket.on('error', (err) =>
          this.tracker.log(`udp ${this.endpoint.host}:${this.endpoint.port}: ${err.message}`),
        );
        try {
          this.socket.setRecvBufferSize(4 << 20);
          this.socket.setSendBufferSize(4 << 20);
        } catch {
          // The kernel caps these (net.core.rmem_max); the defaults still work.
        }
        const a = this.socket.address();
        resolve({ host: a.address, port: a.port });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private send(len: number, port: number, address: string): void {
    this.socket.send(this.reply, 0, len, port, address);
    // Node sends at once when the socket can take it; if the send was queued instead, the queued
    // request still points at this buffer, so write the next reply into a new one.
    if (this.socket.getSendQueueCount() > 0) this.reply = Buffer.allocUnsafeSlow(REPLY_BYTES);
  }

  private error(
    msg: Buffer,
    action: number,
    kind: number,
    text: string,
    port: number,
    address: string,
  ): void {
    this.tracker.counters.error(P_UDP, action, kind);
    this.send(writeError(this.reply, msg, msg.length, text), port, address);
  }

  onMessage(msg: Buffer, address: string, port: number): void {
    const t = this.tracker;
    const counters = t.counters;
    counters.udpPackets++;
    const sample = counters.shouldSample();
    const started = sample ? performance.now() : 0;
    const len = msg.length;
    // Anything shorter than a connect cannot carry a transaction id to answer: drop and count.
    if (len < CONNECT_LENGTH) {
      counters.error(P_UDP, A_OTHER, E_MALFORMED);
      return;
    }
    // The requester's address, as the peer key's first bytes.
    const peer = this.peer;
    let v6 = false;
    const v4 = parseIPv4(address);
    if (v4 >= 0) {
      writeU32(peer, 0, v4);
    } else if (parseIPv6(address, peer, 0)) {
      if (isV4Mapped(peer, 0)) peer.copyWithin(0, 12, 16);
      else v6 = true;
    } else {
      counters.error(P_UDP, A_OTHER, E_MALFORMED);
      return;
    }
    const addrLen = v6 ? 16 : 4;
    const now = clock.seconds;
    const action = readU32(msg, 8);

    if (action === ACTION_CONNECT) {
      if (!hasProtocolId(msg)) {
        this.error(
          msg,
          A_CONNECT,
          E_MALFORMED,
          'not a BEP 15 connect request (bad protocol id)',
          port,
          address,
        );
        return;
      }
      const r = this.reply;
      writeHeader(r, ACTION_CONNECT, msg);
      t.connectionIds.issue(now, peer, 0, addrLen, r, 8);
      counters.request(P_UDP, A_CONNECT, R_OK);
      this.send(16, port, address);
    } else if (action === ACTION_ANNOUNCE || action === ACTION_SCRAPE) {
      const a = action === ACTION_ANNOUNCE ? A_ANNOUNCE : A_SCRAPE;
      if (!t.connectionIds.verify(now, msg, 0, peer, 0, addrLen)) {
        this.error(
          msg,
          a,
          E_BAD_CONNECTION_ID,
          'invalid or expired connection id; connect again',
          port,
          address,
        );
        return;
      }
      if (action === ACTION_ANNOUNCE) this.announce(msg, len, v6, addrLen, port, address);
      else this.scrape(msg, len, port, address);
    } else {
      this.error(msg, A_OTHER, E_UNKNOWN_ACTION, `unknown action ${action}`, port, address);
      return;
    }
    if (sample) counters.observeLatency((performance.now() - started) / 1000);
  }

  private announce(
    msg: Buffer,
    len: number,
    v6: boolean,
    addrLen: number,
    port: number,
    address: string,
  ): void {
    const t = this.tracker;
    if (len < ANNOUNCE_MIN_LENGTH || (len > ANNOUNCE_MIN_LENGTH && checkAnnounceOptions(msg, len) < 0)) {
      this.error(
        msg,
        A_ANNOUNCE,
        E_MALFORMED,
        'malformed announce (expected 98 bytes and BEP 41 options)',
        port,
        address,
      );
      return;
    }
    const access = t.access.check(msg, OFF_INFO_HASH);
    if (access !== ALLOWED) {
      if (access === WITHDRAWN) this.error(msg, A_ANNOUNCE, E_WITHDRAWN, MESSAGE_WITHDRAWN, port, address);
      else this.error(msg, A_ANNOUNCE, E_NOT_ALLOWED, MESSAGE_NOT_ALLOWED, port, address);
      return;
    }
    const event = readU32(msg, OFF_EVENT);
    if (event > 3) {
      this.error(msg, A_ANNOUNCE, E_MALFORMED, `unknown event ${event}`, port, address);
      return;
    }
    // The announced port, after the source address, completes the peer key (BEP 15: the `ip`
    // field is ignored, the source address is the peer's address).
    const peer = this.peer;
    peer[addrLen] = msg[OFF_PORT];
    peer[addrLen + 1] = msg[OFF_PORT + 1];
    const seed = isZero64(msg, OFF_LEFT);
    const store = t.store;
    const swarm = store.announce(msg, OFF_INFO_HASH, peer, 0, v6, seed, event, t.tick());
    t.announceStats.udp(swarm, v6, event, seed, msg);
    const r = this.reply;
    writeHeader(r, ACTION_ANNOUNCE, msg);
    writeU32(r, 8, t.config.interval);
    let n = 0;
    if (swarm === undefined) {
      writeU32(r, 12, 0);
      writeU32(r, 16, 0);
    } else {
      writeU32(r, 12, swarm.leechers);
      writeU32(r, 16, swarm.seeders);
      if (event !== EVENT_STOPPED) {
        const want = t.numwant(
          (msg[OFF_NUMWANT] << 24) |
            (msg[OFF_NUMWANT + 1] << 16) |
            (msg[OFF_NUMWANT + 2] << 8) |
            msg[OFF_NUMWANT + 3],
        );
        // Over UDP a client gets peers of its own address family only (BEP 15 replies carry one kind).
        n = store.selectPeers(v6 ? swarm.v6 : swarm.v4, seed, want, r, 20);
      }
    }
    t.counters.request(P_UDP, A_ANNOUNCE, R_OK);
    t.counters.announces[P_UDP * 2 + (v6 ? 1 : 0)]++;
    this.send(20 + n * (addrLen + 2), port, address);
  }

  private scrape(msg: Buffer, len: number, port: number, address: string): void {
    const t = this.tracker;
    const count = Math.floor((len - 16) / 20);
    if (count === 0 || (len - 16) % 20 !== 0) {
      this.error(
        msg,
        A_SCRAPE,
        E_MALFORMED,
        'malformed scrape (16 bytes then 20 per info hash)',
        port,
        address,
      );
      return;
    }
    if (count > SCRAPE_MAX_HASHES) {
      this.error(
        msg,
        A_SCRAPE,
        E_MALFORMED,
        `too many info hashes in one scrape (at most ${SCRAPE_MAX_HASHES})`,
        port,
        address,
      );
      return;
    }
    const r = this.reply;
    for (let i = 0; i < count; i++) {
      const off = 16 + i * 20;
      const access = t.access.check(msg, off);
      if (access !== ALLOWED) {
        if (access === WITHDRAWN) this.error(msg, A_SCRAPE, E_WITHDRAWN, MESSAGE_WITHDRAWN, port, address);
        else this.error(msg, A_SCRAPE, E_NOT_ALLOWED, MESSAGE_NOT_ALLOWED, port, address);
        return;
      }
      const swarm = t.store.get(msg, off);
      const o = 8 + i * 12;
      if (swarm === undefined) {
        writeU32(r, o, 0);
        writeU32(r, o + 4, 0);
        writeU32(r, o + 8, 0);
      } else {
        writeU32(r, o, swarm.seeders);
        writeU32(r, o + 4, swarm.downloaded);
        writeU32(r, o + 8, swarm.leechers);
      }
    }
    writeHeader(r, ACTION_SCRAPE, msg);
    t.counters.request(P_UDP, A_SCRAPE, R_OK);
    this.send(8 + count * 12, port, address);
  }
}

/**
 * Test helpers: a tracker on free loopback ports, and minimal UDP and HTTP tracker clients that
 * speak the wire formats independently of fjord's own codecs.
 */
import dgram from 'node:dgram';
import http from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaults, type Config } from '../../src/config.js';
import { Tracker } from '../../src/tracker/tracker.js';
import type { PeerStore } from '../../src/swarm/peer-store.js';

export interface Running {
  tracker: Tracker;
  udpPort: number;
  httpPort: number;
  udp6Port?: number;
  http6Port?: number;
  dataDir: string;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'fjord-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTracker(
  overrides: Partial<Config> = {},
  opts: { v6?: boolean; store?: PeerStore } = {},
): Promise<Running> {
  const dataDir = overrides.dataDir ?? tempDir();
  const config: Config = {
    ...defaults,
    mode: 'open',
    http: [{ host: '127.0.0.1', port: 0 }, ...(opts.v6 ? [{ host: '::1', port: 0 }] : [])],
    udp: [{ host: '127.0.0.1', port: 0 }, ...(opts.v6 ? [{ host: '::1', port: 0 }] : [])],
    admin: null,
    ...overrides,
    dataDir,
  };
  const logs: string[] = [];
  const tracker = new Tracker(config, (m) => logs.push(m), { store: opts.store });
  const listening = await tracker.start();
  const port = (proto: string, v6: boolean) =>
    listening.find((l) => l.protocol === proto && l.endpoint.host.includes(':') === v6)?.endpoint.port;
  return {
    tracker,
    udpPort: port('udp', false) ?? -1,
    httpPort: port('http', false) ?? -1,
    udp6Port: port('udp', true),
    http6Port: port('http', true),
    dataDir,
    stop: () => tracker.stop(),
  };
}

/** A 20-byte hash from a small number, for readable tests. */
export function hashOf(n: number): Buffer {
  const b = Buffer.alloc(20, 0xab);
  b.writeUInt32BE(n, 0);
  return b;
}

export function percent(b: Buffer): string {
  return [...b].map((x) => '%' + x.toString(16).padStart(2, '0')).join('');
}

export class UdpClient {
  readonly socket: dgram.Socket;
  private waiting: Array<(m: Buffer) => void> = [];
  private queue: Buffer[] = [];

  constructor(
    readonly port: number,
    readonly host = '127.0.0.1',
  ) {
    this.socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.socket.on('message', (m) => {
      const w = this.waiting.shift();
      if (w) w(m);
      else this.queue.push(m);
    });
  }

  bind(address: string): Promise<void> {
    return new Promise((resolve) => this.socket.bind(0, address, () => resolve()));
  }

  send(b: Buffer): void {
    this.socket.send(b, this.port, this.host);
  }

  /** The next datagram, or null after `ms`. */
  next(ms = 1000): Promise<Buffer | null> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== done);
        resolve(null);
      }, ms);
      const done = (m: Buffer) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiting.push(done);
    });
  }

  async request(b: Buffer, ms = 1000): Promise<Buffer> {
    this.send(b);
    const r = await this.next(ms);
    if (!r) throw new Error('no UDP reply');
    return r;
  }

  async connect(txn = 7): Promise<Buffer> {
    const req = Buffer.alloc(16);
    req.writeBigUInt64BE(0x41727101980n, 0);
    req.writeUInt32BE(0, 8);
    req.writeUInt32BE(txn, 12);
    const r = await this.request(req);
    if (r.readUInt32BE(0) !== 0 || r.readUInt32BE(4) !== txn) throw new Error('bad connect reply');
    return r.subarray(8, 16);
  }

  close(): void {
    this.socket.close();
  }
}

export interface AnnounceFields {
  connectionId: Buffer;
  infoHash: Buffer;
  peerId?: Buffer;
  left?: bigint;
  event?: number;
  numwant?: number;
  port: number;
  txn?: number;
  downloaded?: bigint;
}

export function udpAnnounce(f: AnnounceFields): Buffer {
  const b = Buffer.alloc(98);
  f.connectionId.copy(b, 0);
  b.writeUInt32BE(1, 8);
  b.writeUInt32BE(f.txn ?? 42, 12);
  f.infoHash.copy(b, 16);
  (f.peerId ?? Buffer.from('-TS0001-000000000000')).copy(b, 36);
  b.writeBigUInt64BE(f.downloaded ?? 0n, 56);
  b.writeBigUInt64BE(f.left ?? 1000n, 64);
  b.writeUInt32BE(f.event ?? 0, 80);
  b.writeInt32BE(f.numwant ?? -1, 92);
  b.writeUInt16BE(f.port, 96);
  return b;
}

export function udpScrape(connectionId: Buffer, hashes: Buffer[], txn = 9): Buffer {
  const b = Buffer.alloc(16 + 20 * hashes.length);
  connectionId.copy(b, 0);
  b.writeUInt32BE(2, 8);
  b.writeUInt32BE(txn, 12);
  hashes.forEach((h, i) => h.copy(b, 16 + 20 * i));
  return b;
}

/** Parses a UDP announce reply's IPv4 peers as "a.b.c.d:port". */
export function udpPeers4(r: Buffer): string[] {
  const out: string[] = [];
  for (let o = 20; o + 6 <= r.length; o += 6)
    out.push(`${r[o]}.${r[o + 1]}.${r[o + 2]}.${r[o + 3]}:${r.readUInt16BE(o + 4)}`);
  return out;
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function httpGet(
  port: number,
  path: string,
  opts: { host?: string; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: opts.host ?? '127.0.0.1',
        port,
        path,
        headers: opts.headers,
        localAddress: opts.localAddress,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
  });
}

export function announcePath(p: {
  hash: Buffer;
  port: number;
  left?: number;
  downloaded?: number;
  event?: string;
  compact?: number;
  numwant?: number;
  peerId?: string;
  extra?: string;
}): string {
  const peerId = p.peerId ?? '-TS0001-000000000000';
  let s = `/announce?info_hash=${percent(p.hash)}&peer_id=${encodeURIComponent(peerId)}&port=${p.port}&uploaded=0&downloaded=${p.downloaded ?? 0}&left=${p.left ?? 1000}`;
  if (p.event !== undefined) s += `&event=${p.event}`;
  if (p.compact !== undefined) s += `&compact=${p.compact}`;
  if (p.numwant !== undefined) s += `&numwant=${p.numwant}`;
  if (p.extra) s += p.extra;
  return s;
}

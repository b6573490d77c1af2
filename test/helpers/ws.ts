/**
 * A plain WebSocket tracker client for the tests: JSON in, JSON out, with a queue of received
 * messages, written against the wire format (not fjord's own codec).
 */
import { WebSocket, type ClientOptions } from 'ws';
import { defaults, type Config } from '../../src/config.js';
import { Tracker } from '../../src/tracker/tracker.js';
import { tempDir } from './tracker.js';

export type Msg = Record<string, unknown>;

/** A tracker on free loopback ports (open mode) with a WebSocket listener. */
export interface WsRunning {
  tracker: Tracker;
  url: string;
  httpPort: number;
  udpPort: number;
  logs: string[];
  stop(): Promise<void>;
}

export async function startWsTracker(overrides: Partial<Config> = {}): Promise<WsRunning> {
  const config: Config = {
    ...defaults,
    mode: 'open',
    http: [{ host: '127.0.0.1', port: 0 }],
    udp: [{ host: '127.0.0.1', port: 0 }],
    ws: [{ host: '127.0.0.1', port: 0 }],
    admin: null,
    ...overrides,
    dataDir: tempDir(),
  };
  const logs: string[] = [];
  const tracker = new Tracker(config, (m) => logs.push(m));
  const listening = await tracker.start();
  const port = (p: string) => listening.find((l) => l.protocol === p)?.endpoint.port ?? -1;
  return {
    tracker,
    url: `ws://127.0.0.1:${port('ws')}/announce`,
    httpPort: port('http'),
    udpPort: port('udp'),
    logs,
    stop: () => tracker.stop(),
  };
}

/** A BIN20 string (the protocol's 20 bytes as latin1 text). */
export function bin(b: Buffer): string {
  return b.toString('latin1');
}

/** A 20-character peer id from a small number. */
export function peerIdOf(n: number): string {
  return `-WW0001-${String(n).padStart(12, '0')}`;
}

/** A 20-byte offer id from a small number. */
export function offerIdOf(n: number): string {
  const b = Buffer.alloc(20, 0xc3);
  b.writeUInt32BE(n, 0);
  return bin(b);
}

export function sdp(tag: string): string {
  return `v=0\r\no=- ${tag} 2 IN IP4 127.0.0.1\r\ns=-\r\n`;
}

export class WsClient {
  readonly ws: WebSocket;
  readonly received: Msg[] = [];
  private waiting: Array<() => void> = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  closeCode: number | null = null;

  constructor(url: string, opts: ClientOptions = {}) {
    this.ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
    this.ws.on('error', () => {});
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => {
        this.closeCode = code;
        resolve({ code, reason: reason.toString() });
        this.wake();
      }),
    );
    this.ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as Msg);
      this.wake();
    });
  }

  static async open(url: string, opts: ClientOptions = {}): Promise<WsClient> {
    const c = new WsClient(url, opts);
    await c.opened;
    return c;
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = [];
    for (const f of w) f();
  }

  send(m: Msg): void {
    this.ws.send(JSON.stringify(m));
  }

  /** The first received message matching `pred` (removed from the queue), or null after `ms`. */
  async next(pred: (m: Msg) => boolean = () => true, ms = 2000): Promise<Msg | null> {
    const until = Date.now() + ms;
    for (;;) {
      const i = this.received.findIndex(pred);
      if (i >= 0) return this.received.splice(i, 1)[0];
      const left = until - Date.now();
      if (left <= 0 || this.closeCode !== null) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async expect(pred: (m: Msg) => boolean = () => true, ms = 2000): Promise<Msg> {
    const m = await this.next(pred, ms);
    if (m === null)
      throw new Error(`no matching message within ${ms} ms; got ${JSON.stringify(this.received)}`);
    return m;
  }

  /** Announces and waits for the reply (the message with `complete`). */
  async announce(fields: Msg): Promise<Msg> {
    this.send({ action: 'announce', ...fields });
    return this.expect((m) => m.complete !== undefined || m['failure reason'] !== undefined);
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }
}

export const isOffer = (m: Msg) => m.offer !== undefined;
export const isAnswer = (m: Msg) => m.answer !== undefined;

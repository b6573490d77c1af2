/**
 * The native HTTP connections (native/io/http_batch.c) against the node:net fallback: which path
 * is active, the same replies on both for a scripted sequence (IPv4 and IPv6; the same bytes
 * but for the order of peers, which fjord picks from a random start), and what only
 * the native path does by itself: reading heads that come in pieces, draining what a client sends
 * after its head instead of resetting, handing a connection over to a net.Socket (replies larger
 * than a slot, /metrics, WebSocket upgrades), connections closed early, closing with connections
 * open, and running out of file descriptors.
 *
 * The rest of the HTTP tracker's tests (tracker/http, ws, stats, soak) run on whichever path is
 * active; `FJORD_HTTP_NATIVE=0 npm test -- tracker/` runs them on node:net. Under CI the addon
 * must have loaded (a broken build must not hide behind the fallback).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startTracker, httpGet, announcePath, hashOf, percent, type Running } from '../helpers/tracker.js';
import { HttpTrackerServer } from '../../src/tracker/http-server.js';
import { WsTrackerServer } from '../../src/tracker/ws-server.js';
import {
  H_ACCEPTED,
  H_CLOSED_EARLY,
  H_DETACHED,
  H_OPEN,
  httpNative,
  httpNativeStatus,
} from '../../src/tracker/http-native.js';
import { bdecode } from '../../src/protocol/bencode.js';
import { E_INTERNAL, P_HTTP } from '../../src/tracker/request-counters.js';

const forcedOff = process.env.FJORD_HTTP_NATIVE === '0';
const native = httpNative !== null;
const skipNative = native ? false : `the native HTTP path is not in use: ${httpNativeStatus.reason}`;

/** t: listeners on the active path (native when loaded); u: the same settings on node:net. */
let t: Running;
let u: Running;
const netPorts = { v4: 0, v6: 0 };

const settings = { mode: 'whitelist' as const, interval: 1800, numwantDefault: 50, fullScrape: true };

before(async () => {
  t = await startTracker(settings, { v6: true });
  u = await startTracker(settings, { v6: true });
  for (const r of [t, u]) for (let i = 1; i <= 400; i++) r.tracker.access.add(hashOf(i).toString('hex'));
  // u's listeners replaced by ones forced onto node:net.
  for (const s of u.tracker.http) await s.close();
  const net4 = new HttpTrackerServer(u.tracker, { host: '127.0.0.1', port: 0 }, 'net');
  const net6 = new HttpTrackerServer(u.tracker, { host: '::1', port: 0 }, 'net');
  netPorts.v4 = (await net4.listen()).port;
  netPorts.v6 = (await net6.listen()).port;
  u.tracker.http.splice(0, u.tracker.http.length, net4, net6);
  // Both share their ports with a WebSocket tracker, as `--ws` equal to `--http` does (tracker.ts).
  for (const r of [t, u]) {
    const ws = (r.tracker.ws = new WsTrackerServer(r.tracker));
    for (const s of r.tracker.http) s.upgrade = (socket, buf, end) => ws.upgrade(socket, buf, end);
  }
});
after(async () => {
  await t.stop();
  await u.stop();
});

interface Exchange {
  bytes: Buffer;
  /** The socket error code if the connection ended with one (ECONNRESET: reset, not closed). */
  error: string | null;
}

/** Writes `parts` (with `gapMs` between them) on a new connection and reads until it closes. */
function exchange(
  port: number,
  parts: Array<string | Buffer>,
  host = '127.0.0.1',
  gapMs = 30,
): Promise<Exchange> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    const chunks: Buffer[] = [];
    let error: string | null = null;
    s.on('data', (c) => chunks.push(c));
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    s.on('close', () => resolve({ bytes: Buffer.concat(chunks), error }));
    s.setTimeout(5000, () => s.destroy());
    let i = 0;
    const next = () => {
      if (i >= parts.length || s.destroyed) return;
      s.write(parts[i++]);
      if (i < parts.length) setTimeout(next, gapMs);
    };
    s.on('connect', next);
  });
}

function get(path: string, headers = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: tracker\r\n${headers}\r\n`;
}

/**
 * A raw reply with the peers in a fixed order: fjord starts each peer list at a random place, so
 * the same request may list the same peers in another order.
 */
function normalized(reply: Buffer): string {
  const i = reply.indexOf('\r\n\r\n');
  const head = reply.subarray(0, i + 4).toString('latin1');
  let d: Record<string, unknown>;
  try {
    d = bdecode(reply.subarray(i + 4)) as Record<string, unknown>;
  } catch {
    return reply.toString('latin1');
  }
  const sorted = (b: unknown, rec: number) => {
    if (!Buffer.isBuffer(b)) return b;
    const parts: string[] = [];
    for (let o = 0; o < b.length; o += rec) parts.push(b.subarray(o, o + rec).toString('hex'));
    return parts.sort().join(' ');
  };
  const peers = Array.isArray(d.peers)
    ? d.peers
        .map((p) => JSON.stringify(p, (_, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v)))
        .sort()
    : sorted(d.peers, 6);
  return JSON.stringify({ head, ...d, peers, peers6: sorted(d.peers6, 18) }, (_, v: unknown) =>
    Buffer.isBuffer(v) ? v.toString('hex') : v,
  );
}

/** The body of a raw HTTP reply. */
function body(reply: Buffer): Buffer {
  const i = reply.indexOf('\r\n\r\n');
  return i < 0 ? Buffer.alloc(0) : reply.subarray(i + 4);
}

test('the active HTTP path is the one expected', () => {
  if (forcedOff) {
    assert.equal(httpNative, null);
    assert.equal(httpNativeStatus.reason, 'FJORD_HTTP_NATIVE=0');
  } else if (process.env.CI) {
    assert.ok(
      httpNativeStatus.loaded,
      `CI: the native HTTP path must be built and loaded (${httpNativeStatus.reason}); see scripts/build-native.js`,
    );
  }
  for (const s of t.tracker.http) assert.equal(s.io, native ? 'native' : 'net', `http ${s.endpoint.host}`);
  for (const s of u.tracker.http) assert.equal(s.io, 'net');
});

test('both paths give the same replies to the same requests (IPv4 and IPv6)', async () => {
  const h1 = hashOf(1);
  const h2 = hashOf(2);
  const script: Array<[v6: boolean, request: string]> = [
    [false, get(announcePath({ hash: h1, port: 1001 }))],
    [false, get(announcePath({ hash: h1, port: 1002, left: 0 }))],
    [true, get(announcePath({ hash: h1, port: 1003 }))],
    [false, get(announcePath({ hash: h1, port: 1004, compact: 0 }))],
    [true, get(announcePath({ hash: h1, port: 1005, numwant: 1 }))],
    [false, get(announcePath({ hash: h2, port: 1006, event: 'completed', left: 0 }))],
    [false, get(announcePath({ hash: h1, port: 1001, event: 'stopped' }))],
    [false, get(`/scrape?info_hash=${percent(h2)}&info_hash=${percent(h1)}&info_hash=${percent(h2)}`)],
    [true, get(`/scrape?info_hash=${percent(hashOf(3))}`)],
    [false, get(announcePath({ hash: hashOf(999), port: 1007 }))], // not on the whitelist
    [false, get('/announce?info_hash=short&peer_id=x&port=1')],
    [false, get('/nowhere')],
    [false, 'POST /announce HTTP/1.1\r\nContent-Length: 0\r\n\r\n'],
    [false, 'GET /announce\r\n\r\n'],
    [false, '\x00\x01\x02 garbage\r\n\r\n'],
    [false, `GET /announce HTTP/1.1\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`],
    [true, get(announcePath({ hash: h2, port: 1008 }))],
  ];
  for (const [v6, request] of script) {
    const host = v6 ? '::1' : '127.0.0.1';
    const a = await exchange(v6 ? t.http6Port! : t.httpPort, [request], host);
    const b = await exchange(v6 ? netPorts.v6 : netPorts.v4, [request], host);
    const what = `${v6 ? 'IPv6' : 'IPv4'} ${JSON.stringify(request.slice(0, 70))}`;
    assert.ok(a.bytes.length > 0, `a reply to ${what}`);
    assert.equal(a.error, null, `no reset: ${what}`);
    assert.equal(a.bytes.length, b.bytes.length, what);
    assert.equal(normalized(a.bytes), normalized(b.bytes), what);
  }
  // And the same state came of it: the counters agree.
  assert.equal(t.tracker.counters.httpConnections - u.tracker.counters.httpConnections, 0);
  assert.deepEqual(t.tracker.store.totals(), u.tracker.store.totals());
});

test('a request handed over to a socket in the middle of a batch changes no other reply', async () => {
  // Connections opened first, then every request written in one turn: the native path reads them
  // in one batch, in which the Upgrade: h2c announce (not a WebSocket) leaves the addon as a socket.
  const run = async (port: number, base: number) => {
    const requests = Array.from({ length: 24 }, (_, i) =>
      get(
        announcePath({ hash: hashOf(base + i), port: 8000 + i }),
        i % 8 === 3 ? 'Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\n' : '',
      ),
    );
    const sockets = await Promise.all(
      requests.map(
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.connect(port, '127.0.0.1', () => resolve(s));
            s.on('error', () => {});
          }),
      ),
    );
    const replies = sockets.map(
      (s) =>
        new Promise<string>((resolve) => {
          const chunks: Buffer[] = [];
          s.on('data', (c: Buffer) => chunks.push(c));
          s.on('close', () => resolve(normalized(Buffer.concat(chunks))));
        }),
    );
    sockets.forEach((s, i) => s.write(requests[i]));
    return Promise.all(replies);
  };
  const a = await run(t.httpPort, 300);
  const b = await run(netPorts.v4, 300);
  assert.deepEqual(a, b);
  for (const r of a) assert.match(r, /HTTP\/1.1 200 OK/);
});

test('a bug while handling a request is answered with 500 and counted, on both paths', async () => {
  for (const [r, port] of [
    [t, t.httpPort],
    [u, netPorts.v4],
  ] as const) {
    const access = r.tracker.access;
    const check = access.check.bind(access);
    const before = r.tracker.counters.errorCount(P_HTTP, E_INTERNAL);
    access.check = () => {
      throw new Error('a bug, provoked by the test');
    };
    let reply: Exchange;
    try {
      reply = await exchange(port, [get(announcePath({ hash: hashOf(15), port: 4200 }))]);
    } finally {
      access.check = check;
    }
    const text = reply.bytes.toString('latin1');
    assert.match(text, /^HTTP\/1.1 500 Internal Server Error\r\n/);
    assert.equal(body(reply.bytes).toString(), 'internal error\n');
    assert.equal(r.tracker.counters.errorCount(P_HTTP, E_INTERNAL) - before, 1);
    const ok = await httpGet(port, announcePath({ hash: hashOf(15), port: 4200 }));
    assert.equal(ok.status, 200, 'served as before afterwards');
  }
});

test('a head that comes in pieces is read whole; bytes after the head are drained, not reset', async () => {
  const path = announcePath({ hash: hashOf(10), port: 2001 });
  const pieces = await exchange(t.httpPort, [
    get(path).slice(0, 9),
    get(path).slice(9, 40),
    get(path).slice(40),
  ]);
  assert.match(pieces.bytes.toString('latin1'), /^HTTP\/1.1 200 OK\r\n/);
  assert.match(body(pieces.bytes).toString('latin1'), /^d8:completei\d+e/);
  // A body and a second request in the same write: one reply, then an orderly close (no RST).
  const two = await exchange(t.httpPort, [
    `GET ${path} HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello` +
      get(announcePath({ hash: hashOf(11), port: 2002 })),
  ]);
  assert.equal(two.error, null);
  assert.equal(two.bytes.toString('latin1').match(/HTTP\/1.1 /g)?.length, 1);
  assert.match(body(two.bytes).toString('latin1'), /e$/);
  // A head over the limit, sent in one piece: 431 arrives whole, the rest is drained.
  const big = await exchange(t.httpPort, [`GET /announce HTTP/1.1\r\nX-Big: ${'b'.repeat(100_000)}\r\n\r\n`]);
  assert.equal(big.error, null);
  assert.match(big.bytes.toString('latin1'), /^HTTP\/1.1 431 /);
});

test(
  'replies larger than a slot and /metrics leave the addon as sockets (upgrades: ws-limits)',
  { skip: skipNative },
  async () => {
    const n = t.tracker.http[0].native!;
    const detached = n.counters[H_DETACHED];
    // A full scrape of 300 torrents is about 25 kB, over the 8 kB reply slot.
    for (let i = 100; i < 400; i++) await httpGet(t.httpPort, announcePath({ hash: hashOf(i), port: 3000 }));
    const full = await exchange(t.httpPort, [get('/scrape')]);
    assert.equal(full.error, null);
    const files = (bdecode(body(full.bytes)) as { files: Record<string, unknown> }).files;
    assert.ok(Object.keys(files).length >= 300, `${Object.keys(files).length} torrents in the full scrape`);
    assert.ok(body(full.bytes).length > 8192);
    const metrics = await httpGet(t.httpPort, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(
      metrics.body.toString(),
      /fjord_requests_total\{protocol="http",action="announce",result="ok"\} \d+/,
    );
    assert.equal(n.counters[H_DETACHED] - detached, 2);
  },
);

test(
  'connections closed before a request are counted, and the listener goes on',
  { skip: skipNative },
  async () => {
    const n = t.tracker.http[0].native!;
    const early = n.counters[H_CLOSED_EARLY];
    const accepted = n.counters[H_ACCEPTED];
    for (let i = 0; i < 20; i++) {
      const s = net.connect(t.httpPort, '127.0.0.1');
      await once(s, 'connect');
      s.end();
      await once(s, 'close');
    }
    const ok = await httpGet(t.httpPort, announcePath({ hash: hashOf(12), port: 4000 }));
    assert.equal(ok.status, 200);
    assert.equal(n.counters[H_ACCEPTED] - accepted, 21);
    assert.equal(n.counters[H_CLOSED_EARLY] - early, 20);
  },
);

test(
  'a connection is accepted once its request begins, not at the handshake',
  { skip: skipNative },
  async () => {
    const n = t.tracker.http[0].native!;
    const accepted = n.counters[H_ACCEPTED];
    const s = net.connect(t.httpPort, '127.0.0.1');
    await once(s, 'connect');
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(n.counters[H_ACCEPTED] - accepted, 0, 'a silent connection waits in the kernel');
    const reply = new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    });
    s.write(get(announcePath({ hash: hashOf(14), port: 4100 })));
    assert.match(await reply, /^HTTP\/1.1 200 OK/);
    assert.equal(n.counters[H_ACCEPTED] - accepted, 1);
  },
);

test('200 connections at once are all answered and counted', async () => {
  const before = t.tracker.counters.httpConnections;
  const replies = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      // From 200 addresses: one address may have only peersPerAddress (8) peers in a swarm.
      httpGet(t.httpPort, announcePath({ hash: hashOf(13), port: 5000 + i }), {
        localAddress: `127.0.2.${1 + i}`,
      }),
    ),
  );
  assert.ok(replies.every((r) => r.status === 200));
  const swarm = bdecode(replies[199].body) as { incomplete: number };
  assert.ok(swarm.incomplete >= 190, `${swarm.incomplete} leechers seen by the last`);
  await httpGet(t.httpPort, '/stats?mode=conn'); // brings the native accept count up to date
  assert.ok(t.tracker.counters.httpConnections - before >= 200);
});

test('stopping closes the listener and every connection still open in it; the port is free again', async () => {
  const r = await startTracker({ httpIdleTimeout: 30 });
  const port = r.httpPort;
  const waiting = exchange(port, ['GET /announce?info']); // never finished
  await new Promise((resolve) => setTimeout(resolve, 100));
  if (native) assert.equal(r.tracker.http[0].native!.counters[H_OPEN], 1);
  await r.stop();
  const res = await waiting;
  assert.equal(res.bytes.length, 0, 'closed without a reply');
  const again = await startTracker({ http: [{ host: '127.0.0.1', port }] });
  assert.equal(again.httpPort, port);
  await again.stop();
});

test(
  'out of file descriptors: accepting pauses, is logged, and resumes once some are free',
  { skip: skipNative },
  async () => {
    // A tracker in a child process limited to 64 descriptors; 80 connections that stop half-way.
    // No reserve: the tracker may take every descriptor (http-descriptors.test.ts: with one).
    const script = fileURLToPath(new URL('../helpers/fd-limited-tracker.ts', import.meta.url));
    const overrides = JSON.stringify({ descriptorReserve: 0 });
    const child = spawn(
      'prlimit',
      ['--nofile=64:64', process.execPath, '--import', 'tsx', script, overrides],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no port from the child: ${out}`)), 20000);
        child.stdout.on('data', () => {
          const m = /port (\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
      });
      const idle: net.Socket[] = [];
      for (let i = 0; i < 80; i++) {
        // A head begun and never finished (a connection that sends nothing is not even accepted:
        // the listener defers accepting until a request arrives).
        const s = net.connect(port, '127.0.0.1', () => s.write('GET /announce?'));
        s.on('error', () => {});
        idle.push(s);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const s of idle) s.destroy();
      // Accepting resumes within a sweep (1 s); the 80 idle connections are gone or timed out.
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        status = await httpGet(port, announcePath({ hash: hashOf(1), port: 6000 })).then(
          (r) => r.status,
          () => 0,
        );
      }
      assert.equal(status, 200, `served again after the descriptors were freed; the log:\n${out}`);
      assert.match(out, /accept failed \((EMFILE|ENFILE)\)/);
    } finally {
      child.kill();
    }
  },
);

/**
 * Descriptor exhaustion through the WebSocket tracker (issue 19): a real `fjord serve` with its own
 * --ws listener, the HTTP tracker, web and admin listeners runs under `prlimit --nofile=256:256`;
 * 300 WebSocket sockets (completed handshakes and unfinished ones, 30 from each of 10 loopback
 * addresses: well under wsMaxConnectionsPerAddress) are more than the process has descriptors.
 * The WebSocket tracker keeps within its share of the budget the HTTP tracker keeps
 * (descriptors.ts), shedding unfinished handshakes first, then the sockets silent for longest, so a
 * page, an admin request and a fresh WebSocket announce are still answered, and the log does not
 * repeat per accept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { hashOf } from '../helpers/tracker.js';
import { serveAll, statusOf } from '../helpers/connections.js';
import { WsClient, bin, peerIdOf } from '../helpers/ws.js';

const HANDSHAKE =
  'GET /announce HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

interface Held {
  socket: net.Socket;
  /** Whether the server answered 101 (false: it never did within a few seconds, or closed). */
  upgraded: boolean;
}

/**
 * A socket from `from` that completes its handshake (`whole`) or sends only its request line;
 * resolves once the 101 came, the socket closed, or 3 s passed (a server out of descriptors never
 * accepts it: the kernel's backlog holds it).
 */
function open(port: number, from: string, whole: boolean): Promise<Held> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    socket.on('error', () => {});
    let head = '';
    const done = (upgraded: boolean) => {
      clearTimeout(timer);
      resolve({ socket, upgraded });
    };
    const timer = setTimeout(() => done(false), 3000);
    socket.on('connect', () => {
      if (whole) socket.write(HANDSHAKE);
      else socket.write('GET /announce HTTP/1.1\r\n', () => done(false));
    });
    socket.on('data', (c: Buffer) => {
      head += c.toString('latin1');
      if (head.includes('\r\n\r\n')) done(head.startsWith('HTTP/1.1 101'));
    });
    socket.on('close', () => done(false));
  });
}

test('WebSocket sockets keep within the descriptor budget: web, admin and a new WebSocket are served', async (t) => {
  // Long timers: every close seen here is the budget's doing, not a deadline's or the heartbeat's.
  const served = await serveAll(
    { wsHandshakeTimeout: 300, wsPingInterval: 300, wsIdleTimeout: 600, httpIdleTimeout: 120 },
    { ws: true, prefix: ['prlimit', '--nofile=256:256'] },
  );
  const held: net.Socket[] = [];
  let fresh: WsClient | null = null;
  try {
    const port = served.ports.ws;
    // 300 sockets, from 127.0.0.10-19, every other one a completed handshake; in batches of 30.
    let upgraded = 0;
    for (let a = 0; a < 10; a++) {
      const batch = await Promise.all(
        Array.from({ length: 30 }, (_, i) => open(port, `127.0.0.${10 + a}`, i % 2 === 0)),
      );
      for (const h of batch) {
        held.push(h.socket);
        if (h.upgraded) upgraded++;
      }
    }
    const closed = held.filter((s) => s.destroyed || s.readyState === 'closed').length;
    t.diagnostic(`${upgraded} of 150 handshakes completed; ${closed} of 300 sockets closed by the server`);

    const page = await statusOf(served.ports.web, '/');
    const admin = await statusOf(served.ports.admin, '/access');
    let announced = 'no answer';
    try {
      fresh = await Promise.race([
        WsClient.open(`ws://127.0.0.1:${port}/announce`),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error('no handshake in 10 s')), 10_000),
        ),
      ]);
      const r = await fresh.announce({ info_hash: bin(hashOf(1)), peer_id: peerIdOf(1), left: 1 });
      announced = r.incomplete === 1 ? 'ok' : JSON.stringify(r);
    } catch (e) {
      announced = e instanceof Error ? e.message : String(e);
    }
    t.diagnostic(`web ${page}, admin ${admin}, fresh WebSocket announce: ${announced}`);
    assert.ok(page > 0 && page < 500, `a page is served (${page})`);
    assert.ok(admin > 0 && admin < 500, `the admin API answers (${admin})`);
    assert.equal(announced, 'ok', 'a fresh WebSocket announce is answered');
    assert.ok(closed > 0, 'sockets were closed to keep descriptors free');
    // Shed sockets are logged as a line every few seconds, not one per connection.
    const lines = served
      .stderr()
      .split('\n')
      .filter((l) => / ws 127\.0\.0\.1:\d+: /.test(l));
    t.diagnostic(lines.join('\n'));
    assert.ok(lines.length >= 1 && lines.length <= 3, lines.join('\n'));
    assert.match(lines[0], /waiting connections closed to keep descriptors free/);
  } finally {
    fresh?.ws.terminate();
    for (const s of held) s.destroy();
    await served.stop();
  }
});

/**
 * Descriptor exhaustion through the HTTP tracker (issue 19: about 20,000 slow connections took all
 * 20,000 descriptors, and announces, pages, the admin API and WebSockets failed). A real
 * `fjord serve` with tracker, web and admin listeners runs under `prlimit --nofile=256:256`, on both
 * I/O paths: connections from one address beyond httpMaxConnectionsPerAddress are refused; more
 * slow connections than the process has descriptors (from several loopback addresses) leave an
 * announce, a page and an admin request served, because the tracker keeps a reserve free and
 * closes the connections that have waited longest; and the log does not repeat per accept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { until } from '../helpers/cli.js';
import { announcePath, hashOf, httpGet, startTracker } from '../helpers/tracker.js';
import { serveAll, slowConnection, statusOf } from '../helpers/connections.js';
import { HttpTrackerServer } from '../../src/tracker/http-server.js';
import { httpNative, httpNativeStatus } from '../../src/tracker/http-native.js';

const CAP = 30;

/** A connection from `from` that begins a request head and never finishes it. */
const slow = (port: number, from: string) => slowConnection(port, from, 'GET /announce?info_hash=');

/** An announce from `from`: its status, or 0 when the connection ended without a reply. */
const announce = (port: number, from: string, n: number) =>
  statusOf(port, announcePath({ hash: hashOf(n), port: 6000 + n }), from);

for (const io of ['native', 'net'] as const) {
  const skip =
    io === 'native' && httpNative === null ? `no native HTTP path: ${httpNativeStatus.reason}` : false;
  test(`${io} path: per-address cap, and a descriptor reserve the web and admin keep`, { skip }, async () => {
    // A long idle timeout: every close seen below is the limits' doing, not the timeout's.
    const served = await serveAll(
      { httpMaxConnectionsPerAddress: CAP, httpIdleTimeout: 120 },
      { prefix: ['prlimit', '--nofile=256:256'], env: io === 'net' ? { FJORD_HTTP_NATIVE: '0' } : {} },
    );
    const held: net.Socket[] = [];
    try {
      const port = served.ports.http;
      // One address: CAP connections are kept, the rest are closed at once.
      const one = await Promise.all(Array.from({ length: CAP + 10 }, () => slow(port, '127.0.0.2')));
      held.push(...one.map((c) => c.socket));
      let closed = 0;
      for (const c of one) void c.closed.then(() => closed++);
      await until(() => closed >= 10, 20_000, `10 of ${CAP + 10} connections from one address refused`);
      assert.equal(await announce(port, '127.0.0.2', 1), 0, 'a request beyond the cap is refused');
      assert.equal(await announce(port, '127.0.0.3', 2), 200, 'another address is served');
      assert.equal(closed, 10, `the cap's ${CAP} stay open`);

      // Ten more addresses at the cap each: 300 connections, more than the 256 descriptors.
      const many = await Promise.all(
        Array.from({ length: 300 }, (_, i) => slow(port, `127.0.0.${10 + Math.floor(i / CAP)}`)),
      );
      held.push(...many.map((c) => c.socket));
      assert.equal(await announce(port, '127.0.0.1', 3), 200, 'an announce is served');
      const page = await httpGet(served.ports.web, '/');
      assert.ok(page.status > 0 && page.status < 500, `a page is served (${page.status})`);
      const admin = await httpGet(served.ports.admin, '/api/torrents');
      assert.ok(admin.status > 0 && admin.status < 500, `the admin API answers (${admin.status})`);
      // Refusals and closes are logged as a line every few seconds, not one per connection.
      const lines = served
        .stderr()
        .split('\n')
        .filter((l) => / http 127\.0\.0\.1:\d+: /.test(l));
      assert.ok(lines.length <= 3, lines.join('\n'));
    } finally {
      for (const s of held) s.destroy();
      await served.stop();
    }
  });
}

test('trusted proxies are not counted per address; other addresses are (both paths)', async () => {
  const r = await startTracker({ httpMaxConnectionsPerAddress: 3, trustedProxies: ['127.0.0.4/32'] });
  const net4 = new HttpTrackerServer(r.tracker, { host: '127.0.0.1', port: 0 }, 'net');
  const netPort = (await net4.listen()).port;
  const held: net.Socket[] = [];
  try {
    for (const port of [r.httpPort, netPort]) {
      for (let i = 0; i < 6; i++) held.push((await slow(port, '127.0.0.4')).socket);
      for (let i = 0; i < 3; i++) held.push((await slow(port, '127.0.0.5')).socket);
      assert.equal(await announce(port, '127.0.0.4', 10), 200, `a proxy's 7th connection (port ${port})`);
      assert.equal(await announce(port, '127.0.0.5', 11), 0, `another address's 4th (port ${port})`);
    }
  } finally {
    for (const s of held) s.destroy();
    await net4.close();
    await r.stop();
  }
});

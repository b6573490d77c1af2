/**
 * The web (pages, web seed) and admin listeners cap the connections one address holds open
 * (issue 19: one host's slow connections took every descriptor). A real `fjord serve` with small
 * caps: connections beyond webMaxConnectionsPerAddress / adminMaxConnectionsPerAddress from one
 * address are closed at once, counted (/metrics) and logged (once), another address is served meanwhile, and a
 * trusted proxy is not counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type net from 'node:net';
import { until } from '../helpers/cli.js';
import { serveAll, slowConnection, statusOf } from '../helpers/connections.js';
import { httpGet } from '../helpers/tracker.js';

const WEB_CAP = 8;
const ADMIN_CAP = 4;
const EXTRA = 3;

/** A connection from `from` that begins a request and never finishes it. */
const slow = (port: number, from: string) => slowConnection(port, from, 'GET / HTTP/1.1\r\n');

test('web and admin listeners: connections beyond the per-address cap are closed at once', async (t) => {
  const served = await serveAll({
    webMaxConnectionsPerAddress: WEB_CAP,
    adminMaxConnectionsPerAddress: ADMIN_CAP,
    trustedProxies: ['127.0.0.4/32'],
  });
  const held: net.Socket[] = [];
  try {
    for (const [name, port, cap, path] of [
      ['web', served.ports.web, WEB_CAP, '/'],
      ['admin', served.ports.admin, ADMIN_CAP, '/access'],
    ] as const) {
      const one = await Promise.all(Array.from({ length: cap + EXTRA }, () => slow(port, '127.0.0.2')));
      held.push(...one.map((c) => c.socket));
      let closed = 0;
      for (const c of one) void c.closed.then(() => closed++);
      // On today's main nothing is closed until the headers timeout (10 s), and then all of them.
      await until(() => closed >= EXTRA, 8000, `${EXTRA} of ${cap + EXTRA} ${name} connections refused`);
      t.diagnostic(`${name}: ${closed} of ${cap + EXTRA} connections from one address closed`);
      assert.equal(
        await statusOf(port, path, '127.0.0.2'),
        0,
        `${name}: a request beyond the cap is refused`,
      );
      const other = await statusOf(port, path, '127.0.0.3');
      assert.ok(other > 0 && other < 500, `${name}: another address is served (${other})`);
      // A trusted proxy carries many viewers: its connections are not counted.
      for (let i = 0; i < cap + EXTRA; i++) held.push((await slow(port, '127.0.0.4')).socket);
      const proxied = await statusOf(port, path, '127.0.0.4');
      assert.ok(proxied > 0 && proxied < 500, `${name}: a trusted proxy past the cap is served (${proxied})`);
      assert.equal(closed, EXTRA, `${name}: the cap's ${cap} stay open`);
    }
    const lines = served
      .stderr()
      .split('\n')
      .filter((l) => /(web|admin) 127\.0\.0\.1:\d+: .*connections refused/.test(l));
    t.diagnostic(lines.join('\n'));
    assert.equal(lines.length, 2, 'one log line per listener');
    // Counted: the EXTRA connections and the refused request, on each listener.
    const metrics = (await httpGet(served.ports.http, '/metrics')).body.toString();
    for (const listener of ['web', 'admin'])
      assert.match(
        metrics,
        new RegExp(`fjord_connections_refused_total\\{listener="${listener}"\\} ${EXTRA + 1}\\b`),
      );
  } finally {
    for (const s of held) s.destroy();
    await served.stop();
  }
});

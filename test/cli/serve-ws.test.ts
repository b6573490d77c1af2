/**
 * `fjord serve --ws`: its own listener, the same port as --http, the config file key, and
 * --print-config.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runFjord, serveFjord } from '../helpers/cli.js';
import { tempDir, hashOf } from '../helpers/tracker.js';
import { WsClient, bin, peerIdOf } from '../helpers/ws.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

test('--ws on the --http port (and a second on its own) prints `listening ws` and serves browsers', async () => {
  const port = await freePort();
  const s = await serveFjord(
    [
      '--open',
      '--data',
      tempDir(),
      '--admin',
      'off',
      '--http',
      `127.0.0.1:${port}`,
      '--udp',
      '127.0.0.1:0',
      '--ws',
      `127.0.0.1:${port}`,
      '--ws',
      '127.0.0.1:0',
    ],
    ['http', 'udp', 'ws'],
  );
  try {
    assert.equal(s.ports.ws, port, 'the first --ws shares the HTTP port');
    const c = await WsClient.open(`ws://127.0.0.1:${port}/announce`);
    const r = await c.announce({ info_hash: bin(hashOf(1)), peer_id: peerIdOf(1), left: 0 });
    assert.equal(r.complete, 1);
    await c.close();
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('the config file key `ws`, and --print-config shows it', () => {
  const dir = tempDir();
  const cfg = join(dir, 'fjord.json');
  writeFileSync(cfg, JSON.stringify({ ws: ['127.0.0.1:7001'], wsMaxOffers: 5 }));
  const r = runFjord(['serve', '--config', cfg, '--data', dir, '--print-config']);
  assert.equal(r.status, 0, r.stderr);
  const shown = JSON.parse(r.stdout) as { ws: string[]; wsMaxOffers: number; wsInterval: number };
  assert.deepEqual(shown.ws, ['127.0.0.1:7001']);
  assert.equal(shown.wsMaxOffers, 5);
  assert.equal(shown.wsInterval, 120);
  const flag = JSON.parse(
    runFjord(['serve', '--ws', '[::1]:7002', '--print-config', '--data', dir]).stdout,
  ) as {
    ws: string[];
  };
  assert.deepEqual(flag.ws, ['[::1]:7002']);
  const bad = runFjord(['serve', '--ws', 'nonsense', '--data', dir]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /"nonsense" is not HOST:PORT/);
});

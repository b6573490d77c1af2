/**
 * One port served by the HTTP and the WebSocket tracker (`--http` and `--ws` the same), on both
 * I/O paths of a real `fjord serve`: a request that names an Upgrade other than WebSocket is an
 * ordinary announce, and it must not change the replies of the requests handled with it (issue
 * 12: with the native path, one `Upgrade: h2c` announce made the rest of its batch answer
 * `400 unusable client address`, 8 of 40).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { serveFjord } from '../helpers/cli.js';
import { announcePath, hashOf, tempDir } from '../helpers/tracker.js';
import { httpNative, httpNativeStatus } from '../../src/tracker/http-native.js';
import { freePort } from '../web/site-helpers.js';

/** Opens `requests.length` connections, then writes every request in the same turn; the replies. */
async function burst(port: number, requests: string[]): Promise<string[]> {
  const sockets = await Promise.all(
    requests.map(
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(port, '127.0.0.1', () => resolve(s));
          s.once('error', reject);
        }),
    ),
  );
  const replies = sockets.map(
    (s) =>
      new Promise<string>((resolve) => {
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('error', () => {});
        s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
        s.setTimeout(10_000, () => s.destroy());
      }),
  );
  sockets.forEach((s, i) => s.write(requests[i]));
  return Promise.all(replies);
}

for (const io of ['native', 'net'] as const) {
  const skip =
    io === 'native' && httpNative === null ? `no native HTTP path: ${httpNativeStatus.reason}` : false;
  test(
    `${io} path: an Upgrade: h2c announce does not change the other replies of its batch`,
    { skip },
    async () => {
      const port = await freePort();
      const served = await serveFjord(
        ['--open', '--http', `127.0.0.1:${port}`, '--ws', `127.0.0.1:${port}`, '--udp', '127.0.0.1:0'].concat(
          ['--admin', 'off', '--data', tempDir()],
        ),
        ['http', 'ws'],
        { env: io === 'net' ? { FJORD_HTTP_NATIVE: '0' } : {} },
      );
      try {
        for (let round = 0; round < 3; round++) {
          const requests = Array.from({ length: 40 }, (_, i) => {
            const path = announcePath({ hash: hashOf(100 * round + i), port: 7000 + i });
            const extra =
              i === 0
                ? 'Upgrade: h2c\r\nConnection: Upgrade, HTTP2-Settings\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n'
                : '';
            return `GET ${path} HTTP/1.1\r\nHost: tracker\r\n${extra}\r\n`;
          });
          const replies = await burst(port, requests);
          const statuses = replies.map((r) => /^HTTP\/1.1 (\d+)/.exec(r)?.[1] ?? 'none');
          const bad = statuses.map((s, i) => (s === '200' ? null : `#${i}: ${replies[i].slice(0, 200)}`));
          assert.deepEqual(
            bad.filter((b) => b !== null),
            [],
            `round ${round}: ${statuses.filter((s) => s === '200').length} of 40 answered 200`,
          );
          for (const r of replies) assert.match(r, /\r\n\r\nd8:completei0e10:downloadedi0e10:incompletei1e/);
        }
      } finally {
        await served.stop();
      }
    },
  );
}

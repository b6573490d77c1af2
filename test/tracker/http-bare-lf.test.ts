/**
 * Request heads whose lines end in a bare LF ("\n" without "\r") never contain the blank line
 * CRLF CRLF that ends a head; they must be refused at once with 400, not left to the 5 s idle
 * timeout (issue 19). The HTTP tracker on both I/O paths, and the web and admin servers
 * (node:http, which already answers them at once), of a real `fjord serve`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { serveFjord } from '../helpers/cli.js';
import { announcePath, hashOf, tempDir } from '../helpers/tracker.js';
import { httpNative, httpNativeStatus } from '../../src/tracker/http-native.js';

/** Sends `text` on a new connection; the reply and how long it took, or null after `deadlineMs`. */
function ask(port: number, text: string, deadlineMs: number): Promise<{ reply: string; ms: number } | null> {
  return new Promise((resolve) => {
    const started = Date.now();
    const s = net.connect(port, '127.0.0.1', () => s.write(text));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      resolve(null);
    }, deadlineMs);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ reply: Buffer.concat(chunks).toString('latin1'), ms: Date.now() - started });
    });
  });
}

for (const io of ['native', 'net'] as const) {
  const skip =
    io === 'native' && httpNative === null ? `no native HTTP path: ${httpNativeStatus.reason}` : false;
  test(`${io} path: a head with bare LF line ends is answered 400 at once`, { skip }, async () => {
    const served = await serveFjord(
      ['--open', '--http', '127.0.0.1:0', '--udp', '127.0.0.1:0', '--web', '127.0.0.1:0'].concat([
        '--admin',
        '127.0.0.1:0',
        '--data',
        tempDir(),
      ]),
      ['http', 'admin', 'web'],
      { env: io === 'net' ? { FJORD_HTTP_NATIVE: '0' } : {} },
    );
    try {
      const path = announcePath({ hash: hashOf(1), port: 6881 });
      const heads = [
        `GET ${path} HTTP/1.1\nHost: x\n\n`,
        `GET ${path} HTTP/1.1\r\nHost: x\n\n`,
        `GET ${path} HTTP/1.1\nHost: x\n`, // not even finished: the first bare LF decides
      ];
      for (const [name, port] of Object.entries(served.ports)) {
        if (name === 'udp') continue;
        for (const head of heads) {
          // The idle timeout is 10 s by default (the attack saw 5 s): 3 s is well before either.
          const r = await ask(port, head, 3000);
          const what = `${name} ${JSON.stringify(head.slice(-20))}`;
          assert.ok(r !== null, `${what}: no answer within 3 s`);
          assert.match(r.reply, /^HTTP\/1.1 400 /, what);
        }
      }
      // A proper request is served as before.
      const ok = await ask(served.ports.http, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`, 3000);
      assert.match(ok?.reply ?? '', /^HTTP\/1.1 200 OK/);
    } finally {
      await served.stop();
    }
  });
}

/** Connections for the connection-limit tests: slow ones that hold a descriptor, and plain GETs. */
import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serveFjord, type Served } from './cli.js';
import { httpGet, tempDir } from './tracker.js';

/**
 * A connection from `from` that sends `text` (the start of a request head) and never finishes it;
 * resolves once sent, or when the server closed it first. `closed`: when it is closed.
 */
export function slowConnection(
  port: number,
  from: string,
  text: string,
): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: from });
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.on('error', () => {});
    socket.on('connect', () => socket.write(text, () => resolve({ socket, closed })));
    socket.on('close', () => resolve({ socket, closed }));
  });
}

/** A GET's status (from `from`, if given), or 0 when it got no answer (a reset, or 5 s passed). */
export function statusOf(port: number, path: string, from?: string): Promise<number> {
  return httpGet(port, path, { localAddress: from }).then(
    (r) => r.status,
    () => 0,
  );
}

/**
 * `fjord serve --open` on loopback with the HTTP and UDP trackers, web and admin listeners (and a
 * --ws listener of its own with `ws`), the config keys `settings`, and serveFjord's `prefix`/`env`.
 */
export function serveAll(
  settings: Record<string, unknown>,
  opts: { ws?: boolean; prefix?: string[]; env?: Record<string, string> } = {},
): Promise<Served> {
  const dir = tempDir();
  const config = join(dir, 'limits.json');
  writeFileSync(config, JSON.stringify(settings));
  const ws = opts.ws === true ? ['--ws', '127.0.0.1:0'] : [];
  return serveFjord(
    ['--config', config, '--open', '--http', '127.0.0.1:0', '--udp', '127.0.0.1:0', ...ws].concat([
      '--web',
      '127.0.0.1:0',
      '--admin',
      '127.0.0.1:0',
      '--data',
      join(dir, 'data'),
    ]),
    ['http', 'admin', 'web', ...(opts.ws === true ? ['ws'] : [])],
    { prefix: opts.prefix, env: opts.env },
  );
}

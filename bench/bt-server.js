/**
 * bittorrent-tracker as a benchmark peer: UDP and HTTP on one loopback port, closed to the same
 * whitelist as fjord and opentracker (so all three do the same work per request).
 *
 *   node bench/bt-server.js INSTALL_DIR PORT WHITELIST_FILE
 *
 * INSTALL_DIR is the scratch folder holding node_modules/bittorrent-tracker (never a dependency of
 * fjord). We import its `server` entry by file: the package root pulls in a native WebRTC module
 * that does not build here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, portArg, whitelistFile] = process.argv.slice(2);
if (!dir || !portArg || !whitelistFile) {
  process.stderr.write('usage: node bench/bt-server.js INSTALL_DIR PORT WHITELIST_FILE\n');
  process.exit(2);
}
const port = Number(portArg);
const allowed = new Set(
  readFileSync(whitelistFile, 'utf8')
    .split('\n')
    .map((l) => l.trim().toLowerCase())
    .filter(Boolean),
);

const { default: Server } = await import(
  pathToFileURL(join(dir, 'node_modules/bittorrent-tracker/server.js')).href
);
const server = new Server({
  http: true,
  udp: true,
  ws: false,
  stats: false,
  filter(infoHash, _params, cb) {
    cb(allowed.has(infoHash) ? null : new Error('torrent not allowed'));
  },
});
// Errors per request (bad requests, filtered torrents) are part of normal operation.
server.on('error', (err) => process.stderr.write(`bt: ${err.message}\n`));
server.on('warning', () => {});
server.listen({ http: port, udp: port }, { http: '127.0.0.1', udp: '127.0.0.1', udp6: '::1' }, () => {
  process.stdout.write(`listening udp 127.0.0.1:${port}\nlistening http 127.0.0.1:${port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

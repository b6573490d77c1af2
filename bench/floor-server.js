/**
 * Node's I/O floor, measured beside the trackers: a "tracker" with no tracker logic at all, so
 * that fjord's figures can be split into what Node's dgram/net cost and what fjord adds.
 *
 *   node bench/floor-server.js PORT
 *
 * UDP: every request gets a reply of the size a real one has (connect 16 bytes, announce 20 + 50
 * peers x 6, scrape 8 + 12 per torrent), with the request's action and transaction id so the load
 * generator counts it valid, written into one reused buffer; no state, no checks.
 * TCP: on the first bytes of a connection, a fixed HTTP 200 reply with a bencoded announce body of
 * 50 peers, then close; no parsing.
 */
import dgram from 'node:dgram';
import net from 'node:net';

const port = Number(process.argv[2]);
if (!port) {
  process.stderr.write('usage: node bench/floor-server.js PORT\n');
  process.exit(2);
}

const reply = Buffer.alloc(20 + 50 * 6);
const udp = dgram.createSocket('udp4');
udp.on('message', (msg, rinfo) => {
  if (msg.length < 16) return;
  // A connect carries the protocol id where the others carry the connection id: action is at 8.
  const action = msg.readUInt32BE(8);
  reply.writeUInt32BE(action, 0);
  msg.copy(reply, 4, 12, 16);
  let len = 16;
  // A connection id must not be 0 (udp-load takes 0 for "none"); any other is accepted back.
  if (action === 0) reply.writeUInt32BE(0x5eed, 12);
  else if (action === 1) len = 20 + 50 * 6;
  else if (action === 2) len = 8 + 12 * Math.floor((msg.length - 16) / 20);
  udp.send(reply, 0, len, rinfo.port, rinfo.address);
});
udp.bind(port, '127.0.0.1', () => {
  try {
    udp.setRecvBufferSize(4 << 20);
    udp.setSendBufferSize(4 << 20);
  } catch {
    // capped by the kernel; the defaults work
  }
});

const body = Buffer.concat([
  Buffer.from('d8:completei3e10:incompletei7e8:intervali1800e12:min intervali900e5:peers300:'),
  Buffer.alloc(300, 7),
  Buffer.from('e'),
]);
const http = Buffer.concat([
  Buffer.from(
    `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  ),
  body,
]);
const tcp = net.createServer((socket) => {
  socket.once('data', () => socket.end(http));
  socket.on('error', () => {});
});
tcp.listen(port, '127.0.0.1');

const stop = () => {
  udp.close();
  tcp.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

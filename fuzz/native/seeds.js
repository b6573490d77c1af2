#!/usr/bin/env node
/**
 * Writes the seed corpora of the native harnesses (fuzz/native/corpus/NAME/): a handful of valid
 * requests and packets, each wrapped in the script the harness reads (see fake.c: every system
 * call takes its result from the input). Rerun after changing a harness's input format:
 *   node fuzz/native/seeds.js
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'corpus');
const u16 = (n) => [n & 0xff, (n >> 8) & 0xff];
const bytes = (s) => [...Buffer.from(s, 'latin1')];
const write = (name, file, parts) => {
  mkdirSync(join(DIR, name), { recursive: true });
  writeFileSync(join(DIR, name, file), Buffer.from(parts.flat(Infinity)));
};

// ---- http_batch: in_slot 2048 (64 + 1984), out_slot 1024 (64 + 960), IPv4 listener.
const open = (inSlot = 2048) => [u16(inSlot - 64), u16(960), 0, 0x00]; // + epoll_ctl of the listening socket succeeds
const POLL_LISTEN = [0x00, 1, 0]; // a poll callback, epoll_wait reports 1 event: the listening socket (fd 3)
const POLL_CONN = [0x00, 1, 1]; // ... the first watched connection (fd 5, after the epoll fd 4)
const ACCEPT = [0x48, u16(51413), 127, 0, 0, 1]; // accept4: an IPv4 peer
const NO_MORE = [0x00]; // accept4 / read: EAGAIN
const READ = (s) => [0x40, u16(s.length - 1), bytes(s)]; // read: these bytes
const REPLY = (n) => [0x80, 0x80, u16(n)]; // JavaScript: a reply of n bytes
const SENT = [0x00]; // send: all of it
const WATCH_OK = [0x00]; // epoll_ctl succeeds
const EOF = [0x20];
const END = [0xfc, 0];
const hash = '%12%34%56%78%9a%bc%de%f0%12%34%56%78%9a%bc%de%f0%12%34%56%78';
const announce = `GET /announce?info_hash=${hash}&peer_id=-FJ0001-abcdefghijkl&port=6881&uploaded=0&downloaded=0&left=100&compact=1 HTTP/1.1\r\nHost: tracker\r\nUser-Agent: fuzz\r\n\r\n`;
write('http_batch', 'announce-one-read', [
  open(),
  POLL_LISTEN,
  ACCEPT,
  READ(announce),
  NO_MORE,
  REPLY(120),
  SENT,
  END,
]);
write('http_batch', 'announce-split', [
  open(),
  POLL_LISTEN,
  ACCEPT,
  READ(announce.slice(0, 40)),
  WATCH_OK,
  NO_MORE,
  POLL_CONN,
  READ(announce.slice(40, announce.length - 2)),
  NO_MORE,
  POLL_CONN,
  READ(announce.slice(-2)),
  REPLY(120),
  SENT,
  END,
]);
write('http_batch', 'scrape-with-body-drained', [
  open(),
  POLL_LISTEN,
  ACCEPT,
  READ(`GET /scrape?info_hash=${hash} HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello`),
  NO_MORE,
  REPLY(80),
  SENT,
  WATCH_OK,
  POLL_CONN,
  EOF,
  END,
]);
write('http_batch', 'upgrade-detached', [
  open(),
  POLL_LISTEN,
  ACCEPT,
  READ(
    'GET /announce HTTP/1.1\r\nHost: t\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  ),
  NO_MORE,
  [0x00], // JavaScript detaches slot 0
  END,
]);
write('http_batch', 'head-too-large', [
  [0, 0, u16(960), 0, 0x00], // in_slot 64
  POLL_LISTEN,
  ACCEPT,
  READ(`GET /announce?${'x'.repeat(64 - 14)}`), // exactly a slot, no end of head
  NO_MORE,
  REPLY(60),
  SENT,
  WATCH_OK,
  POLL_CONN,
  EOF,
  END,
]);
write('http_batch', 'reply-partial-write', [
  open(),
  POLL_LISTEN,
  ACCEPT,
  READ(announce),
  NO_MORE,
  REPLY(300),
  [0x40, u16(100)], // send: 100 bytes taken
  WATCH_OK,
  POLL_CONN,
  SENT,
  END,
]);

// ---- udp_batch: out_slot 1500 (16 + 1484), IPv4 socket.
const uopen = [u16(1484), 0];
const RECV = (packets) => [0x00, 0x30, packets.length - 1, packets];
const FROM_V4 = [0x00, u16(6881), 10, 0, 0, 1];
const FROM_V6 = [0x80, u16(6881), 0x20, 0x01, 0x0d, 0xb8, Array(11).fill(0), 1];
const dgram = (b, from = FROM_V4) => [u16(b.length), b, from];
const be = (n, size) => {
  const b = Buffer.alloc(size);
  b.writeBigUInt64BE(BigInt(n), size - 8);
  return [...b];
};
const connect = [0x00, 0x00, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78];
const uannounce = [
  be(0x1122334455667788n, 8),
  [0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd],
  Array(20).fill(0x12),
  bytes('-FJ0001-abcdefghijkl'),
  be(0, 8),
  be(100, 8),
  be(0, 8),
  [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x1a, 0xe1],
].flat();
const uscrape = [be(0x1122334455667788n, 8), [0, 0, 0, 2, 1, 2, 3, 4], Array(40).fill(0x34)].flat();
const UREPLY = (n) => [0x80, u16(n)];
const USENT = [0x00];
const UEND = [0xf8, 0];
write('udp_batch', 'connect', [uopen, RECV([dgram(connect)]), UREPLY(16), USENT, UEND]);
write('udp_batch', 'announce-v4-v6', [
  uopen,
  RECV([dgram(uannounce), dgram(uannounce, FROM_V6)]),
  UREPLY(26),
  UREPLY(38),
  USENT,
  UEND,
]);
write('udp_batch', 'scrape', [uopen, RECV([dgram(uscrape)]), UREPLY(32), USENT, UEND]);
write('udp_batch', 'send-blocked', [
  uopen,
  RECV([dgram(connect), dgram(connect)]),
  UREPLY(16),
  UREPLY(16),
  [0x80], // sendmmsg: EAGAIN, wait for writable
  [0x00], // the writable poll
  USENT,
  [0x00, 0x00], // then readable again: nothing (EAGAIN)
  UEND,
]);

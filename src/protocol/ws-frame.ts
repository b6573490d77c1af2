/**
 * WebSocket framing (RFC 6455) for the WebSocket tracker's server side: the opening handshake's
 * accept value, client frames read in place, server frames written several at once. Pure: bytes in,
 * values out; no sockets.
 *
 * A frame:
 *   byte 0     FIN (0x80) | RSV1-3 (0x70, must be 0: no extension is ever negotiated) | opcode
 *              (0x0 continuation, 0x1 text, 0x2 binary, 0x8 close, 0x9 ping, 0xA pong)
 *   byte 1     MASK (0x80: set on every client frame, never on a server frame) | length 0-125,
 *              or 126 then a 16-bit length, or 127 then a 64-bit length (big-endian)
 *   4 bytes    the masking key (client frames only): payload byte i is XORed with key[i % 4]
 *   ...        the payload. Control frames (close, ping, pong) are at most 125 bytes and never
 *              fragmented; a close payload is a 16-bit status code and a UTF-8 reason.
 *
 * Why not the `ws` package's WebSocket objects: per connection they cost about 3.5 KB more
 * resident memory than the socket itself (a Receiver stream, a Sender, the WebSocket, their
 * listeners), and a send per message costs a system call each; a tracker holds every browser's
 * socket open for as long as it watches, and relays many small messages. See docs/benchmarks.md.
 */
import { createHash } from 'node:crypto';

export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** Close codes (RFC 6455 section 7.4.1). */
export const CLOSE_NORMAL = 1000;
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_INVALID_DATA = 1007;
export const CLOSE_POLICY = 1008;
export const CLOSE_TOO_BIG = 1009;
export const CLOSE_INTERNAL = 1011;

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key. */
export function acceptValue(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** A Sec-WebSocket-Key is 16 bytes in base64. */
export function isValidKey(key: string | undefined): key is string {
  return key !== undefined && /^[+/0-9A-Za-z]{22}==$/.test(key);
}

/** What readFrame found; reused by the caller between frames. */
export class Frame {
  fin = false;
  opcode = 0;
  /** Where the (unmasked, in place) payload is in the buffer. */
  start = 0;
  end = 0;
}

/**
 * Reads one client frame at buf[off..]. Returns the bytes it takes (the frame is then complete, its
 * payload unmasked in place at buf[f.start, f.end)), 0 when more bytes are needed, or a negative
 * close code when the frame breaks the protocol (-CLOSE_PROTOCOL_ERROR) or declares a payload over
 * maxPayload (-CLOSE_TOO_BIG; known from the header, before the payload arrives).
 */
export function readFrame(buf: Uint8Array, off: number, maxPayload: number, f: Frame): number {
  const avail = buf.length - off;
  if (avail < 2) return 0;
  const b0 = buf[off];
  const b1 = buf[off + 1];
  const opcode = b0 & 0x0f;
  if ((b0 & 0x70) !== 0 || (b1 & 0x80) === 0) return -CLOSE_PROTOCOL_ERROR;
  const control = opcode >= 0x8;
  if (control ? opcode > OP_PONG : opcode > OP_BINARY) return -CLOSE_PROTOCOL_ERROR;
  let len = b1 & 0x7f;
  let p = off + 2;
  if (control && (len > 125 || (b0 & 0x80) === 0)) return -CLOSE_PROTOCOL_ERROR;
  if (len === 126) {
    if (avail < 4) return 0;
    len = (buf[p] << 8) | buf[p + 1];
    p += 2;
  } else if (len === 127) {
    if (avail < 10) return 0;
    // A length of 2^32 or more is over any maxPayload this server allows.
    if (buf[p] !== 0 || buf[p + 1] !== 0 || buf[p + 2] !== 0 || buf[p + 3] !== 0) return -CLOSE_TOO_BIG;
    len = ((buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]) >>> 0;
    p += 8;
  }
  if (len > maxPayload) return -CLOSE_TOO_BIG;
  if (buf.length - p < 4 + len) return 0;
  const m0 = buf[p];
  const m1 = buf[p + 1];
  const m2 = buf[p + 2];
  const m3 = buf[p + 3];
  p += 4;
  const end = p + len;
  if ((m0 | m1 | m2 | m3) !== 0) {
    let i = p;
    for (; i + 4 <= end; i += 4) {
      buf[i] ^= m0;
      buf[i + 1] ^= m1;
      buf[i + 2] ^= m2;
      buf[i + 3] ^= m3;
    }
    const mask = [m0, m1, m2, m3];
    for (let k = 0; i < end; i++, k++) buf[i] ^= mask[k];
  }
  f.fin = (b0 & 0x80) !== 0;
  f.opcode = opcode;
  f.start = p;
  f.end = end;
  return end - off;
}

/** Bytes of a server frame header for a payload of n bytes. */
export function frameHeaderLength(n: number): number {
  return n < 126 ? 2 : n < 65536 ? 4 : 10;
}

/**
 * A text frame as a byte view (ws-message.ts): the header's bytes as characters, then the payload,
 * itself a byte view, so its length is its size. The WebSocket tracker appends a socket's frames of
 * one event loop turn to one string and writes it as latin1 in one call: one system call for the
 * reply and the offers relayed to a socket (a write per message was most of the time, profiled),
 * nothing to encode, and Node copies a string of up to 16 KiB into a stack buffer for the write, so
 * no allocation per write either.
 */
export function textFrame(payload: string): string {
  const n = payload.length;
  if (n < 126) return String.fromCharCode(0x80 | OP_TEXT, n) + payload;
  if (n < 65536) return String.fromCharCode(0x80 | OP_TEXT, 126, n >>> 8, n & 0xff) + payload;
  return (
    String.fromCharCode(
      0x80 | OP_TEXT,
      127,
      0,
      0,
      0,
      0,
      n >>> 24,
      (n >>> 16) & 0xff,
      (n >>> 8) & 0xff,
      n & 0xff,
    ) + payload
  );
}

/** A control frame (ping, pong) with up to 125 bytes of payload. */
export function controlFrame(opcode: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.allocUnsafe(2 + payload.length);
  out[0] = 0x80 | opcode;
  out[1] = payload.length;
  out.set(payload, 2);
  return out;
}

/**
 * A pong echoing the ping payload at buf[start, end) (at most 125 bytes), as a byte view like
 * textFrame: queued with the socket's other frames of the turn, one write for all of them.
 */
export function pongFrame(buf: Buffer, start: number, end: number): string {
  return String.fromCharCode(0x80 | OP_PONG, end - start) + buf.toString('latin1', start, end);
}

/** A close frame: the status code and a reason (cut to fit the 125-byte limit). */
export function closeFrame(code: number, reason: string): Buffer {
  const r = Buffer.from(reason).subarray(0, 123);
  const out = Buffer.allocUnsafe(4 + r.length);
  out[0] = 0x80 | OP_CLOSE;
  out[1] = 2 + r.length;
  out.writeUInt16BE(code, 2);
  r.copy(out, 4);
  return out;
}

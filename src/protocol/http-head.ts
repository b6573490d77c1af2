/**
 * HTTP/1.1 request heads as bytes (RFC 9112 section 2): where a head ends, and the little the
 * trackers read from one. Pure code (no sockets): the HTTP tracker's node:net path
 * (src/tracker/http-server.ts) and the WebSocket tracker's own listener (src/tracker/ws-server.ts)
 * frame their heads with it, so both answer the same bytes the same way.
 *
 *   request-line CRLF *( field-line CRLF ) CRLF      e.g. "GET /announce HTTP/1.1\r\nHost: x\r\n\r\n"
 *
 * A head whose lines end in a bare LF never contains CRLF CRLF; it is reported at once (HEAD_BARE_LF)
 * so that it is answered 400 instead of waiting for a timeout (issue 19).
 */

const CRLFCRLF = Buffer.from('\r\n\r\n');

/** headEnd(): no blank line yet (and no bare LF): wait for more bytes. */
export const HEAD_INCOMPLETE = -1;
/** headEnd(): a line ended in a bare LF before the blank line came: refuse the head (400). */
export const HEAD_BARE_LF = -2;

/**
 * Where the head in buf ends: the offset of its CRLF CRLF (the head is buf[0, end), the body
 * starts at end + 4), or HEAD_INCOMPLETE, or HEAD_BARE_LF. The bare LF scan runs only while the
 * head is unfinished, so a whole head costs one indexOf.
 */
export function headEnd(buf: Buffer): number {
  const end = buf.indexOf(CRLFCRLF);
  if (end >= 0) return end;
  return hasBareLf(buf) ? HEAD_BARE_LF : HEAD_INCOMPLETE;
}

/** Whether buf holds a line feed not preceded by a carriage return. */
export function hasBareLf(buf: Buffer): boolean {
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1))
    if (i === 0 || buf[i - 1] !== 13) return true;
  return false;
}

/** A parsed request head. */
export interface Head {
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** Request line and headers of buf[0, end) (names in lower case), or null if the line is malformed. */
export function parseHead(buf: Buffer, end: number): Head | null {
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const parts = lines[0].split(' ');
  if (parts.length !== 3 || !parts[2].startsWith('HTTP/')) return null;
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    if (colon <= 0) continue;
    const name = lines[i].slice(0, colon).trim().toLowerCase();
    const value = lines[i].slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { method: parts[0], url: parts[1], headers };
}

const UPGRADE = Buffer.from('upgrade:');

/**
 * True when the head buf[0, end) has an `Upgrade:` header line. A scan for line starts, compared
 * case-insensitively over 8 bytes: cheap enough for the HTTP announce path, which calls it only on
 * a port shared with the WebSocket tracker.
 */
export function hasUpgradeHeader(buf: Buffer, end: number): boolean {
  let i = buf.indexOf(10);
  while (i >= 0 && i + 8 < end) {
    let k = 0;
    while (k < 8 && (buf[i + 1 + k] | 0x20) === UPGRADE[k]) k++;
    if (k === 8) return true;
    i = buf.indexOf(10, i + 1);
  }
  return false;
}

/**
 * HTTP/1.1 request heads as bytes (RFC 9112 section 2): where a head ends, and the little the
 * trackers read from one. Pure code (no sockets): the HTTP tracker (src/tracker/http-server.ts, both
 * I/O paths) and the WebSocket tracker's own listener (src/tracker/ws-server.ts) frame and read
 * their heads with it, so both answer the same bytes the same way.
 *
 *   GET /announce?info_hash=...&port=6881 HTTP/1.1\r\n     request line: METHOD SP TARGET SP HTTP/x.y
 *   Host: tracker.example\r\n                                field lines, one a line
 *   X-Forwarded-For: 203.0.113.7, 10.0.0.2\r\n               (believed only from trusted proxies)
 *   \r\n                                                     the head ends at CRLF CRLF
 *
 * A head whose lines end in a bare LF never contains CRLF CRLF; it is reported at once (HEAD_BARE_LF)
 * so that it is answered 400 instead of waiting for a timeout (issue 19). The tracker's path reads
 * the request line in place (no strings for /announce and /scrape); header values are read as
 * strings only off that path (a proxy's X-Forwarded-For, a WebSocket handshake).
 */
import { inNetworks, type Network } from './ip.js';

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

/** Where the parts of a request line are in its buffer; one per listener, reused request after request. */
export class RequestLine {
  /** The space after the method (so the method is [0, methodEnd)). */
  methodEnd = -1;
  /** The space after the target. */
  targetEnd = -1;
  /** End of the path: the `?` or targetEnd. */
  pathEnd = -1;
  /** Start of the query (after `?`), or targetEnd when there is none. */
  queryStart = -1;
  /** The method is GET. */
  isGet = false;
}

/**
 * Reads the request line of buf into `line`; false when it is malformed (no two spaces before the
 * first CR, or the version does not start with H).
 */
export function parseRequestLine(buf: Buffer, line: RequestLine): boolean {
  const sp1 = buf.indexOf(32);
  const lineEnd = buf.indexOf(13);
  const sp2 = sp1 < 0 ? -1 : buf.indexOf(32, sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || sp2 > lineEnd || buf[sp2 + 1] !== 72 /* H */) return false;
  let q = sp1 + 1;
  while (q < sp2 && buf[q] !== 63 /* ? */) q++;
  line.methodEnd = sp1;
  line.targetEnd = sp2;
  line.pathEnd = q;
  line.queryStart = q < sp2 ? q + 1 : sp2;
  line.isGet = sp1 === 3 && buf[0] === 71 && buf[1] === 69 && buf[2] === 84;
  return true;
}

/** Whether the path of a parsed request line is the ASCII text `path`. */
export function pathIs(buf: Buffer, line: RequestLine, path: string): boolean {
  const at = line.methodEnd + 1;
  if (line.pathEnd - at !== path.length) return false;
  for (let i = 0; i < path.length; i++) if (buf[at + i] !== path.charCodeAt(i)) return false;
  return true;
}

/** The value of a header (name in lower case) in the request head buf[0, end), or null. */
export function headerValue(buf: Buffer, end: number, name: string): string | null {
  const headText = buf.toString('latin1', 0, end);
  const lines = headText.split('\r\n');
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(':');
    if (c > 0 && lines[i].slice(0, c).trim().toLowerCase() === name) return lines[i].slice(c + 1).trim();
  }
  return null;
}

/**
 * The client named by an X-Forwarded-For value that a trusted proxy sent: the rightmost hop that is
 * not itself a trusted proxy (each proxy appends the address it was connected from, so hops to the
 * right of it were added by proxies we trust, and the one left of those is the first we cannot
 * check). All hops trusted: the leftmost. The caller checks that the connection itself came from a
 * trusted proxy; otherwise the header is the client's own words and is ignored.
 */
export function forwardedClient(xff: string, trusted: readonly Network[]): string {
  const hops = xff.split(',');
  let pick = '';
  for (let i = hops.length - 1; i >= 0; i--) {
    pick = hops[i].trim();
    if (!inNetworks(pick, trusted)) break;
  }
  return pick;
}

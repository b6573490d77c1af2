/**
 * HTTP/1.1 request heads as the tracker reads them (RFC 9112): the request line, a few headers, and
 * the X-Forwarded-For rule. Pure: bytes in, values out; the HTTP and WebSocket listeners
 * (src/tracker) and the web layer call it.
 *
 *   GET /announce?info_hash=...&port=6881 HTTP/1.1\r\n     request line: METHOD SP TARGET SP HTTP/x.y
 *   Host: tracker.example\r\n                                headers, one a line
 *   X-Forwarded-For: 203.0.113.7, 10.0.0.2\r\n               (only believed from trusted proxies)
 *   \r\n                                                     the head ends at CRLFCRLF (`end` is its offset)
 *
 * The tracker's path reads the request line in place (no strings for /announce and /scrape);
 * header values are read as strings only off that path (a proxy's X-Forwarded-For).
 */
import { inNetworks, type Network } from './ip.js';

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

/** Whether buf holds a line feed not preceded by a carriage return (a head that never gets CRLFCRLF). */
export function hasBareLf(buf: Buffer): boolean {
  for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1))
    if (i === 0 || buf[i - 1] !== 13) return true;
  return false;
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

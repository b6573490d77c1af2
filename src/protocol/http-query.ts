/**
 * Announce and scrape query strings (BEP 3, BEP 23, BEP 48), parsed straight from the request bytes.
 *
 * Why by hand: URLSearchParams decodes into JS strings, but info_hash and peer_id are 20 raw bytes
 * percent-encoded, and a string per parameter is garbage the hot path does not need. Here values
 * are decoded into a reused struct; info hashes into one reused buffer.
 *
 *   /announce?info_hash=%12%34...&peer_id=...&port=6881&uploaded=0&downloaded=0&left=0
 *            &event=started|completed|stopped|paused|(empty)&compact=0|1&numwant=50&no_peer_id=1
 *   /scrape?info_hash=...&info_hash=...     (any number, each 20 bytes; none = full scrape)
 */

export const MAX_SCRAPE_HASHES = 256;

export class HttpQuery {
  /** Decoded info hashes, 20 bytes each, `hashCount` of them. */
  readonly hashes = Buffer.alloc(20 * MAX_SCRAPE_HASHES);
  hashCount = 0;
  hasPeerId = false;
  /** Where the raw (percent-encoded) peer_id value is in the parsed buffer, when hasPeerId. */
  peerIdStart = 0;
  peerIdEnd = 0;
  port = -1;
  /** Whether `left` was given, and whether it was zero (a seeder). */
  hasLeft = false;
  leftZero = false;
  /** BEP 15 numbering: 0 none, 1 completed, 2 started, 3 stopped. */
  event = 0;
  compact = -1;
  numwant = -1;
  downloaded = 0;
  /** The `ip` parameter as text (used only behind a trusted proxy), or null. */
  ip: string | null = null;
  /** The first problem found, or null. */
  error: string | null = null;

  reset(): void {
    this.hashCount = 0;
    this.hasPeerId = false;
    this.port = -1;
    this.hasLeft = false;
    this.leftZero = false;
    this.event = 0;
    this.compact = -1;
    this.numwant = -1;
    this.downloaded = 0;
    this.ip = null;
    this.error = null;
  }
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Percent-decodes buf[start, end) into out[outOff], writing at most `max` bytes. Returns the number
 * of decoded bytes (which may exceed `max`: only the first `max` are written), or -1 if malformed.
 */
function decodeInto(
  buf: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  outOff: number,
  max: number,
): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    let c = buf[i];
    if (c === 37) {
      if (i + 2 >= end) return -1;
      const h = hexVal(buf[i + 1]);
      const l = hexVal(buf[i + 2]);
      if (h < 0 || l < 0) return -1;
      c = (h << 4) | l;
      i += 2;
    } else if (c === 43) c = 32; // '+' is a space in a query string
    if (n < max) out[outOff + n] = c;
    n++;
  }
  return n;
}

/** A non-negative decimal integer from buf[start, end), or -1 (saturates at 2^53). */
function decimal(buf: Uint8Array, start: number, end: number): number {
  if (start >= end || end - start > 20) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i] - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : v;
}

function keyIs(buf: Uint8Array, start: number, end: number, key: string): boolean {
  if (end - start !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (buf[start + i] !== key.charCodeAt(i)) return false;
  return true;
}

const EVENTS = ['', 'completed', 'started', 'stopped'];

/** Parses buf[start, end) (the text after '?') into q; returns false and sets q.error on a problem. */
export function parseQuery(buf: Uint8Array, start: number, end: number, q: HttpQuery): boolean {
  q.reset();
  let p = start;
  while (p < end) {
    let amp = p;
    while (amp < end && buf[amp] !== 38) amp++;
    let eq = p;
    while (eq < amp && buf[eq] !== 61) eq++;
    const vs = eq < amp ? eq + 1 : amp;
    const c0 = buf[p];
    if (c0 === 105 && keyIs(buf, p, eq, 'info_hash')) {
      if (q.hashCount === MAX_SCRAPE_HASHES)
        return fail(q, `too many info_hash values (at most ${MAX_SCRAPE_HASHES})`);
      const n = decodeInto(buf, vs, amp, q.hashes, q.hashCount * 20, 20);
      if (n !== 20) return fail(q, 'info_hash must be 20 bytes, percent-encoded');
      q.hashCount++;
    } else if (c0 === 112 && keyIs(buf, p, eq, 'peer_id')) {
      const n = decodeInto(buf, vs, amp, q.hashes, 0, 0);
      if (n !== 20) return fail(q, 'peer_id must be 20 bytes');
      q.hasPeerId = true;
      q.peerIdStart = vs;
      q.peerIdEnd = amp;
    } else if (c0 === 112 && keyIs(buf, p, eq, 'port')) {
      q.port = decimal(buf, vs, amp);
      if (q.port < 1 || q.port > 65535) return fail(q, 'port must be a number from 1 to 65535');
    } else if (c0 === 108 && keyIs(buf, p, eq, 'left')) {
      const v = decimal(buf, vs, amp);
      if (v < 0) return fail(q, 'left must be a non-negative number');
      q.hasLeft = true;
      q.leftZero = v === 0;
    } else if (c0 === 101 && keyIs(buf, p, eq, 'event')) {
      let e = -1;
      for (let k = 0; k < EVENTS.length; k++) if (keyIs(buf, vs, amp, EVENTS[k])) e = k;
      if (e < 0 && keyIs(buf, vs, amp, 'paused')) e = 0; // BEP 21: a paused peer is an ordinary peer here
      if (e < 0) return fail(q, 'event must be started, completed, stopped or empty');
      q.event = e;
    } else if (c0 === 99 && keyIs(buf, p, eq, 'compact')) {
      const v = decimal(buf, vs, amp);
      if (v !== 0 && v !== 1) return fail(q, 'compact must be 0 or 1');
      q.compact = v;
    } else if (c0 === 110 && keyIs(buf, p, eq, 'numwant')) {
      // Some clients send negative numbers for "default"; treat anything unparsable the same.
      q.numwant = decimal(buf, vs, amp);
    } else if (c0 === 100 && keyIs(buf, p, eq, 'downloaded')) {
      const v = decimal(buf, vs, amp);
      if (v < 0) return fail(q, 'downloaded must be a non-negative number');
      q.downloaded = v;
    } else if (c0 === 105 && keyIs(buf, p, eq, 'ip')) {
      q.ip = Buffer.from(buf.buffer, buf.byteOffset + vs, amp - vs).toString('latin1');
    }
    // Other parameters (uploaded, key, trackerid, supportcrypto, ...) are accepted and ignored.
    p = amp + 1;
  }
  return true;
}

function fail(q: HttpQuery, message: string): boolean {
  q.error = message;
  return false;
}

/** Checks that an announce has what BEP 3 requires; returns the problem or null. */
export function announceProblem(q: HttpQuery): string | null {
  if (q.hashCount === 0) return 'missing info_hash';
  if (q.hashCount > 1) return 'an announce takes exactly one info_hash';
  if (!q.hasPeerId) return 'missing peer_id';
  if (q.port < 0) return 'missing port';
  if (!q.hasLeft) return 'missing left';
  return null;
}

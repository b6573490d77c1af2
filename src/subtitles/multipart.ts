/**
 * Request bodies for subtitle submissions, read with a hard size limit, and a small
 * multipart/form-data parser (RFC 7578) for the episode page's upload form.
 *
 * Why not a package: the form has five fields and one file of at most 512 KiB, so the whole body is
 * small enough to hold; reading it under a limit and then splitting it on the boundary with
 * Buffer.indexOf is a few dozen lines, where a streaming parser would be a dependency with its own
 * limits to configure. The limit is what matters: readBounded() refuses a body whose Content-Length
 * is too big before reading a byte of it, and stops reading one that grows past the limit (a chunked
 * body has no length), so a client can never make fjord hold more than the limit.
 *
 * The parser never throws: malformed input gives a one-line reason. It follows what browsers send
 * (HTML's "multipart/form-data encoding algorithm"): names and file names as UTF-8 in quoted strings
 * where `"`, CR and LF are percent-encoded and nothing is backslash-escaped.
 */
import type { IncomingMessage } from 'node:http';

export type BoundedBody = { ok: true; body: Buffer } | { ok: false; tooLarge: boolean };

/**
 * The request body if it is at most `limit` bytes. Too large (declared or actual): `tooLarge`, with
 * the rest left unread (the stream is paused). A client that goes away: not ok, not tooLarge.
 */
export function readBounded(req: IncomingMessage, limit: number): Promise<BoundedBody> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && !(/^\d+$/.test(declared) && Number(declared) <= limit)) {
    return Promise.resolve({ ok: false, tooLarge: /^\d+$/.test(declared) });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (r: BoundedBody): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
      if (!r.ok) req.pause();
      resolve(r);
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) return finish({ ok: false, tooLarge: true });
      chunks.push(c);
    };
    const onEnd = (): void => finish({ ok: true, body: Buffer.concat(chunks, size) });
    const onGone = (): void => finish({ ok: false, tooLarge: false });
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}

/**
 * After answering a request whose body was refused unread: let the client finish sending (up to
 * `drainLimit` bytes, thrown away) so that it sees the answer, as a browser that is cut off while
 * uploading shows a connection error instead; beyond that, or after `ms`, the connection is closed.
 */
export function discardRest(req: IncomingMessage, drainLimit = 4 << 20, ms = 10_000): void {
  if (req.complete) return;
  let seen = 0;
  const timer = setTimeout(() => req.destroy(), ms);
  timer.unref();
  req.on('data', (c: Buffer) => {
    seen += c.length;
    if (seen > drainLimit) {
      clearTimeout(timer);
      req.destroy();
    }
  });
  req.on('end', () => clearTimeout(timer));
  req.on('close', () => clearTimeout(timer));
  req.resume();
}

export interface FormPart {
  name: string;
  /** The file name the browser gave (never used for storage), or null for a plain field. */
  filename: string | null;
  contentType: string | null;
  data: Buffer;
}

export type MultipartResult = { ok: true; parts: FormPart[] } | { ok: false; reason: string };

export interface MultipartLimits {
  /** Most parts (fields and files) in one body. */
  maxParts: number;
  /** Largest header block of one part. */
  maxHeaderBytes: number;
}

const DEFAULT_LIMITS: MultipartLimits = { maxParts: 16, maxHeaderBytes: 2048 };
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The boundary parameter of a multipart/form-data Content-Type, or null. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (contentType === undefined) return null;
  const [type, ...params] = splitParams(contentType);
  if (type.toLowerCase() !== 'multipart/form-data') return null;
  const b = params.find((p) => p.key === 'boundary')?.value;
  // RFC 2046: 1 to 70 characters of a restricted set, not ending in a space.
  if (b === undefined || !/^[0-9A-Za-z'()+_,./:=? -]{0,69}[0-9A-Za-z'()+_,./:=?-]$/.test(b)) return null;
  return b;
}

/** `type; key=value; key="quoted value"` → the type and lower-case keys with their values. */
function splitParams(header: string): [string, ...Array<{ key: string; value: string }>] {
  const semi = header.indexOf(';');
  const type = (semi < 0 ? header : header.slice(0, semi)).trim();
  const params: Array<{ key: string; value: string }> = [];
  let i = semi < 0 ? header.length : semi + 1;
  while (i < header.length) {
    const eq = header.indexOf('=', i);
    if (eq < 0) break;
    const key = header.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (header[j] === ' ' || header[j] === '\t') j++;
    let value: string;
    if (header[j] === '"') {
      // No backslash escapes: browsers percent-encode `"` instead, and a Windows path keeps its `\`.
      const close = header.indexOf('"', j + 1);
      if (close < 0) break;
      value = header.slice(j + 1, close);
      const next = header.indexOf(';', close + 1);
      i = next < 0 ? header.length : next + 1;
    } else {
      const next = header.indexOf(';', j);
      value = header.slice(j, next < 0 ? header.length : next).trim();
      i = next < 0 ? header.length : next + 1;
    }
    params.push({ key, value });
  }
  return [type, ...params];
}

/** Undoes the browser's escaping of `"`, CR and LF in names (%22, %0D, %0A); other `%` are literal. */
function unescapeName(s: string): string {
  return s.replace(/%(22|0D|0A)/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function decodeUtf8(b: Buffer): string | null {
  try {
    return UTF8.decode(b);
  } catch {
    return null;
  }
}

/** Splits a multipart/form-data body into its parts. */
export function parseMultipart(
  body: Buffer,
  boundary: string,
  limits: MultipartLimits = DEFAULT_LIMITS,
): MultipartResult {
  const bad = (reason: string): MultipartResult => ({ ok: false, reason: `malformed form data: ${reason}` });
  const dash = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter starts the body, or follows a preamble and a line break.
  let pos: number;
  if (body.subarray(0, dash.length).equals(dash)) pos = dash.length;
  else {
    const at = body.indexOf(next);
    if (at < 0) return bad('no boundary');
    pos = at + next.length;
  }
  const parts: FormPart[] = [];
  for (;;) {
    // After a delimiter: "--" ends the body; otherwise optional whitespace, then CRLF.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return { ok: true, parts };
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++;
    if (!(body[pos] === CRLF[0] && body[pos + 1] === CRLF[1]))
      return bad('a boundary is not followed by a line break');
    pos += 2;
    if (parts.length >= limits.maxParts) return bad(`more than ${limits.maxParts} parts`);
    // An empty header block leaves the CRLF of its end right here.
    const headEnd =
      body[pos] === CRLF[0] && body[pos + 1] === CRLF[1] ? pos - 2 : body.indexOf(HEADER_END, pos);
    if (headEnd < 0 || headEnd - pos > limits.maxHeaderBytes)
      return bad('part headers too long or unfinished');
    const head = decodeUtf8(body.subarray(pos, Math.max(pos, headEnd)));
    if (head === null) return bad('part headers are not UTF-8');
    const contentStart = headEnd + 4;
    const end = body.indexOf(next, contentStart);
    if (end < 0) return bad('the last part is not closed by the boundary');
    let disposition: string | null = null;
    let contentType: string | null = null;
    for (const line of head.split('\r\n')) {
      if (line === '') continue;
      const colon = line.indexOf(':');
      if (colon <= 0) return bad('a part header without a name');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-disposition') disposition = value;
      else if (name === 'content-type') contentType = value;
    }
    if (disposition === null) return bad('a part without Content-Disposition');
    const [type, ...params] = splitParams(disposition);
    if (type.toLowerCase() !== 'form-data') return bad('a part that is not form-data');
    const name = params.find((p) => p.key === 'name')?.value;
    if (name === undefined || name === '') return bad('a part without a name');
    const filename = params.find((p) => p.key === 'filename')?.value;
    parts.push({
      name: unescapeName(name),
      filename: filename === undefined ? null : unescapeName(filename),
      contentType,
      data: body.subarray(contentStart, end),
    });
    pos = end + next.length;
  }
}

/** Form fields (not files) as text; null when one is not UTF-8 or longer than `maxChars`. */
export function fieldText(part: FormPart, maxChars: number): string | null {
  const s = decodeUtf8(part.data);
  return s === null || s.length > maxChars ? null : s;
}

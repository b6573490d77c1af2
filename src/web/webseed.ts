/**
 * The web seed (BEP 19): published episodes' files over HTTP, so a torrent downloads even when no
 * viewer seeds it.
 *
 * URLs: a published torrent lists `<publicWebUrl>/media/<series>/` in `url-list`; clients append
 * `<torrent name>/<file path>`, so a file's URL path is exactly its path below the data directory
 * (`/media/<series>/<name>/<name>.mkv` is DATA/media/<series>/<name>/<name>.mkv) and its catalog path.
 *
 * What is served: only the files the catalog lists (media files and official SRT subtitles) of
 * episodes that are distributable now; setEpisodes() replaces that set (the catalog sync calls it on
 * every change, so a withdrawn or expired episode stops being served within seconds). Everything else
 * is 404, and there is no listing. A request path is checked raw and decoded segment by segment:
 * backslashes, NUL, empty, `.` and `..` segments (encoded or not) and encoded slashes are refused
 * before any lookup; the lookup is an exact match against the catalog's paths, and the file finally
 * opened must resolve (symbolic links included) inside DATA/media.
 *
 * One file: a torrent is always a folder, but libtorrent 2.x takes a torrent of one file for a
 * single-file torrent and asks for `<url-list entry><torrent name>` (the folder's URL, no slash):
 * it gets the folder's one file.
 *
 * BEP 47: a hybrid torrent's v1 file list holds padding files `.pad/<N>` that exist nowhere on disk.
 * Clients that do not know BEP 47 (aria2 1.36) ask the web seed for `<name>/.pad/<N>`; it answers N
 * zero bytes for published hybrid torrents (N at most the piece length).
 *
 * HTTP: GET and HEAD; single and multiple byte ranges (206, multipart/byteranges; 416 with
 * `Content-Range: bytes *\/size` when none is satisfiable); overlapping and adjacent ranges are
 * coalesced, and a set of more than MAX_MERGED_RANGES disjoint ranges, or one whose multipart reply
 * would be longer than the file, gets the whole file with a plain 200, so a reply is never longer
 * than the file however the Range header is written; If-Range; strong ETag and Last-Modified
 * with 304 for If-None-Match / If-Modified-Since, 412 for If-Match / If-Unmodified-Since; bodies
 * streamed from disk. CORS is open (`*`): WebTorrent in browsers uses web seeds through fetch.
 *
 * Policy: with `policy` set (config `webSeedPolicy`, src/web/webseed-policy.ts), every GET with a body
 * of a servable file is decided after the rights (only distributable files get this far) and the
 * Range header, before a byte is sent: served at full speed, or `503` with `Retry-After` at once.
 * Statistics: `onSent` is told each body chunk once the socket took it (its write callback).
 */
import { randomBytes } from 'node:crypto';
import { open, realpath } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { posix, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { Episode, Torrent } from '../catalog/index.js';
import { sendText, type WebServer } from './server.js';
import { neverReturns, type WebSeedPolicy } from './webseed-policy.js';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/** More range specs than this in one header and the Range header is ignored (RFC 9110 lets a server). */
export const MAX_RANGES = 32;

/**
 * More disjoint ranges than this after coalescing and the whole file is sent with a plain 200 instead
 * of a multipart reply (RFC 9110 §14.2 lets a server ignore such a Range header, as nginx and Apache
 * do). Web seed clients (libtorrent, qBittorrent, aria2, WebTorrent) ask for one range at a time.
 */
export const MAX_MERGED_RANGES = 8;

/**
 * Parses a Range header against a representation of `size` bytes (RFC 9110 §14.1.2):
 *   null                  ignore it (absent, another unit, bad syntax, first > last, too many ranges)
 *   []                    syntactically fine but nothing satisfiable: 416
 *   [{start, end}, ...]   the satisfiable ranges, in the order asked, ends clipped to the size
 */
export function parseRange(header: string | undefined, size: number): ByteRange[] | null {
  if (header === undefined) return null;
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m) return null;
  const specs = m[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (specs.length === 0 || specs.length > MAX_RANGES) return null;
  const out: ByteRange[] = [];
  for (const spec of specs) {
    const r = /^(\d*)-(\d*)$/.exec(spec);
    if (!r || (r[1] === '' && r[2] === '')) return null;
    if (r[1] === '') {
      const n = Number(r[2]);
      if (n === 0 || size === 0) continue; // "-0" selects nothing
      out.push({ start: Math.max(0, size - n), end: size - 1 });
      continue;
    }
    const start = Number(r[1]);
    const last = r[2] === '' ? Infinity : Number(r[2]);
    if (last < start) return null; // invalid, so the whole header is ignored
    if (start >= size) continue;
    out.push({ start, end: Math.min(last, size - 1) });
  }
  return out;
}

/**
 * Coalesces overlapping and adjacent ranges (RFC 9110 §14.6 allows it whatever the order asked), so
 * that no byte is sent twice: `bytes=0-,0-,...` is one range, and the sum of what is sent never
 * exceeds the size. Ranges that are already disjoint and not adjacent keep the order asked (§14.6
 * says parts should follow it); otherwise the result is in ascending order.
 */
export function coalesceRanges(ranges: ByteRange[]): ByteRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const merged: ByteRange[] = [];
  for (const r of sorted) {
    const last = merged.at(-1);
    if (last !== undefined && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  return merged.length === ranges.length ? ranges : merged;
}

/** Entity tags in an If-None-Match / If-Match list. */
function tagList(header: string): string[] {
  return header.match(/(?:W\/)?"[^"]*"|\*/g) ?? [];
}

const opaque = (tag: string): string => tag.replace(/^W\//, '');

export interface Entity {
  size: number;
  /** A strong ETag, quoted. */
  etag: string;
  lastModified: Date | null;
  contentType: string;
  /** Cache-Control; default `public, max-age=60`. */
  cacheControl?: string;
  /** A stream of bytes start..end (inclusive). */
  body(start: number, end: number): Readable;
  /**
   * Asked before a body is sent (GET only), with the ranges the reply would send (null: the whole
   * file): null to send it, or the seconds of a 503's Retry-After to refuse it (the web seed policy).
   */
  admit?(ranges: ByteRange[] | null): number | null;
  /** Told the size of each chunk of the body once the socket took it. */
  onWritten?(n: number): void;
}

const ZEROS = Buffer.alloc(64 * 1024);

/** N zero bytes as a stream, without ever holding N bytes. */
export function zeroStream(length: number): Readable {
  let left = length;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, ZEROS.length);
      left -= n;
      this.push(ZEROS.subarray(0, n));
    },
  });
}

function commonHeaders(res: ServerResponse, e: Entity): void {
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('ETag', e.etag);
  if (e.lastModified) res.setHeader('Last-Modified', e.lastModified.toUTCString());
  // Short: a withdrawn episode must vanish from caches in front of fjord within about a minute too.
  res.setHeader('Cache-Control', e.cacheControl ?? 'public, max-age=60');
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'Accept-Ranges, Content-Length, Content-Range, ETag');
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

/**
 * Streams `stream` into res without ending it; a client that goes away is not an error. `onWritten`
 * is told each chunk's size once the socket took it (its write callback without an error), so a
 * transfer cut short counts what left for the client, not what was read from disk.
 */
async function pump(
  stream: Readable,
  res: ServerResponse,
  onWritten?: (n: number, chunk: Buffer) => void,
): Promise<boolean> {
  try {
    for await (const chunk of stream) {
      if (res.destroyed) throw new Error('closed');
      const buf = chunk as Buffer;
      const n = buf.length;
      const more = res.write(buf, onWritten && ((err) => void (err ? undefined : onWritten(n, buf))));
      if (!more) await drained(res);
    }
    if (res.destroyed) throw new Error('closed');
    return true;
  } catch {
    stream.destroy();
    res.destroy();
    return false;
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Answers a GET or HEAD for an entity: conditionals, ranges, then the bytes. */
export async function sendEntity(req: IncomingMessage, res: ServerResponse, e: Entity): Promise<void> {
  const head = req.method === 'HEAD';
  commonHeaders(res, e);
  const h = req.headers;
  const modifiedAfter = (since: string | undefined): boolean | null => {
    if (since === undefined || e.lastModified === null) return null;
    const t = Date.parse(since);
    return Number.isNaN(t) ? null : e.lastModified.getTime() > t;
  };

  // Preconditions, in RFC 9110 §13.2.2's order.
  if (h['if-match'] !== undefined) {
    const tags = tagList(h['if-match']);
    if (!tags.some((t) => t === '*' || t === e.etag)) return sendStatus(res, 412);
  } else if (modifiedAfter(h['if-unmodified-since']) === true) return sendStatus(res, 412);
  if (h['if-none-match'] !== undefined) {
    const tags = tagList(h['if-none-match']);
    if (tags.some((t) => t === '*' || opaque(t) === e.etag)) return sendStatus(res, 304);
  } else if (modifiedAfter(h['if-modified-since']) === false) return sendStatus(res, 304);

  // Range, only for GET, and only if If-Range (when present) still names this representation.
  let ranges = req.method === 'GET' ? parseRange(h.range, e.size) : null;
  const ifRange = ([] as string[]).concat(h['if-range'] ?? [])[0];
  if (ranges !== null && ifRange !== undefined) {
    const v = ifRange.trim();
    const still = v.startsWith('"') ? v === e.etag : v.startsWith('W/') ? false : sameDate(v, e.lastModified);
    if (!still) ranges = null;
  }

  if (ranges !== null && ranges.length > 0) {
    ranges = coalesceRanges(ranges);
    if (ranges.length > MAX_MERGED_RANGES) ranges = null;
  }
  // A multipart reply is never allowed to be longer than the whole file (part headers on many ranges
  // that cover nearly all of it): the file itself, once, is the cheaper answer.
  const multipart = ranges !== null && ranges.length > 1 ? multipartLayout(ranges, e) : null;
  if (multipart !== null && multipart.length > e.size) ranges = null;

  if (!head && e.size > 0 && ranges?.length !== 0 && e.admit) {
    const retryAfter = e.admit(ranges);
    if (retryAfter !== null) return sendBusy(res, retryAfter);
  }
  const w = e.onWritten && ((n: number) => e.onWritten?.(n));
  if (ranges === null) {
    res.statusCode = 200;
    res.setHeader('Content-Type', e.contentType);
    res.setHeader('Content-Length', e.size);
    if (head || e.size === 0) return void res.end();
    if (await pump(e.body(0, e.size - 1), res, w)) res.end();
    return;
  }
  if (ranges.length === 0) {
    res.statusCode = 416;
    res.setHeader('Content-Range', `bytes */${e.size}`);
    res.setHeader('Content-Length', 0);
    return void res.end();
  }
  res.statusCode = 206;
  if (ranges.length === 1) {
    const [r] = ranges;
    res.setHeader('Content-Type', e.contentType);
    res.setHeader('Content-Range', `bytes ${r.start}-${r.end}/${e.size}`);
    res.setHeader('Content-Length', r.end - r.start + 1);
    if (await pump(e.body(r.start, r.end), res, w)) res.end();
    return;
  }
  const { boundary, parts, closing, length } = multipart ?? multipartLayout(ranges, e);
  res.setHeader('Content-Type', `multipart/byteranges; boundary=${boundary}`);
  res.setHeader('Content-Length', length);
  const all = ranges;
  // One stream for the whole body: one pipeline, whatever the number of parts.
  // Part headers are not file bytes: only the parts' bytes are told to onWritten.
  async function* body(): AsyncGenerator<Buffer> {
    for (let i = 0; i < all.length; i++) {
      yield Object.assign(Buffer.from(parts[i]), { framing: true });
      for await (const chunk of e.body(all[i].start, all[i].end)) yield chunk as Buffer;
    }
    yield Object.assign(Buffer.from(closing), { framing: true });
  }
  const payload = w && ((n: number, b: Buffer) => void ('framing' in b ? undefined : w(n)));
  if (await pump(Readable.from(body()), res, payload)) res.end();
}

interface MultipartLayout {
  boundary: string;
  /** The delimiter and headers before each part's bytes. */
  parts: string[];
  closing: string;
  /** Content-Length of the whole multipart/byteranges body. */
  length: number;
}

function multipartLayout(ranges: ByteRange[], e: Entity): MultipartLayout {
  const boundary = randomBytes(12).toString('hex');
  const parts = ranges.map(
    (r, i) =>
      `${i === 0 ? '' : '\r\n'}--${boundary}\r\nContent-Type: ${e.contentType}\r\n` +
      `Content-Range: bytes ${r.start}-${r.end}/${e.size}\r\n\r\n`,
  );
  const closing = `\r\n--${boundary}--\r\n`;
  const length =
    parts.reduce((s, p) => s + Buffer.byteLength(p), 0) +
    ranges.reduce((s, r) => s + r.end - r.start + 1, 0) +
    Buffer.byteLength(closing);
  return { boundary, parts, closing, length };
}

function sameDate(value: string, lastModified: Date | null): boolean {
  if (lastModified === null) return false;
  const t = Date.parse(value);
  return !Number.isNaN(t) && t === lastModified.getTime();
}

/** 503 with Retry-After: over the web seed policy's budget; never cached by a proxy in front. */
function sendBusy(res: ServerResponse, retryAfter: number): void {
  res.statusCode = 503;
  res.setHeader('Retry-After', String(retryAfter));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  const body = 'busy: fetch this range from peers, or come back later\n';
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function sendStatus(res: ServerResponse, status: 304 | 412): void {
  res.statusCode = status;
  // A 304 carries the validators (ETag, Last-Modified, Cache-Control) and no body.
  if (status === 412) res.setHeader('Content-Length', 0);
  res.end();
}

/** What sendFile tells and asks (the web seed's statistics and policy). */
export interface SendFileHooks {
  /** Told the size of each chunk of the body once the socket took it (statistics: bytes delivered). */
  onWritten?: (n: number) => void;
  /** Entity.admit, with the file's size. */
  admit?: (size: number, ranges: ByteRange[] | null) => number | null;
}

/** Sends a file from disk (fd opened once, streamed in ranges). 404 if it is not a regular file. */
export async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  abs: string,
  contentType: string,
  hooks: SendFileHooks = {},
): Promise<boolean> {
  let fh;
  try {
    fh = await open(abs, 'r');
  } catch {
    return false;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return false;
    const { onWritten, admit } = hooks;
    const entity: Entity = {
      size: st.size,
      // Published files are never rewritten in place; size, mtime and inode together name this one.
      etag: `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}-${st.ino.toString(16)}"`,
      lastModified: new Date(Math.floor(st.mtimeMs / 1000) * 1000),
      contentType,
      body: (start, end) => fh.createReadStream({ start, end, autoClose: false, highWaterMark: 256 * 1024 }),
      ...(onWritten ? { onWritten } : {}),
      ...(admit ? { admit: (ranges: ByteRange[] | null) => admit(st.size, ranges) } : {}),
    };
    await sendEntity(req, res, entity);
    return true;
  } finally {
    await fh.close();
  }
}

export const SRT_TYPE = 'application/x-subrip; charset=utf-8';
export const VTT_TYPE = 'text/vtt; charset=utf-8';

/** Splits and decodes a raw URL path below /media/; null if it is not a clean relative path. */
export function cleanPath(raw: string): string[] | null {
  if (raw === '' || raw.includes('\\') || raw.includes('\0')) return null;
  const out: string[] = [];
  for (const seg of raw.split('/')) {
    if (seg === '') return null;
    let d: string;
    try {
      d = decodeURIComponent(seg);
    } catch {
      return null;
    }
    if (d === '.' || d === '..' || d.includes('/') || d.includes('\\') || d.includes('\0')) return null;
    out.push(d);
  }
  return out;
}

export class WebSeed {
  /** Catalog path ("media/...") → content type, for files served now. */
  private files = new Map<string, string>();
  /** Torrent folder ("media/<series>/<name>") of a published hybrid torrent → its piece length. */
  private pads = new Map<string, number>();
  /** Torrent folder of a torrent holding one file → that file's catalog path (see handle()). */
  private single = new Map<string, string>();
  private readonly mediaRoot: string;
  private realRoot: string | null = null;
  /** Torrent folder → the episode's torrent (whose swarm the policy reads). */
  private torrents = new Map<string, Torrent>();
  /**
   * Called with a file's catalog path and the bytes of each chunk of it the socket took (src/stats
   * records them: bytes delivered, not bytes read from disk).
   */
  onSent: ((path: string, bytes: number) => void) | null = null;
  /** The web seed policy (src/web/webseed-policy.ts); null: every request is served. */
  policy: WebSeedPolicy | null = null;

  constructor(
    readonly dataDir: string,
    private readonly log: (msg: string) => void = () => {},
  ) {
    this.mediaRoot = resolve(dataDir, 'media');
  }

  /** The episodes distributable now (from the catalog sync). Replaces the served set in one step. */
  setEpisodes(episodes: Episode[]): void {
    const files = new Map<string, string>();
    const pads = new Map<string, number>();
    const single = new Map<string, string>();
    const torrents = new Map<string, Torrent>();
    for (const e of episodes) {
      const inFolder = new Map<string, string[]>();
      const add = (path: string, type: string): void => {
        files.set(path, type);
        const folder = posix.dirname(path);
        inFolder.set(folder, [...(inFolder.get(folder) ?? []), path]);
      };
      for (const m of e.media) if (m.path.startsWith('media/')) add(m.path, m.mimeType);
      for (const s of e.subtitles)
        if (s.kind === 'official' && s.path.startsWith('media/'))
          add(s.path, s.format === 'srt' ? SRT_TYPE : VTT_TYPE);
      for (const [folder, paths] of inFolder) {
        if (paths.length === 1) single.set(folder, paths[0]);
        if (e.torrents.length > 0) torrents.set(folder, e.torrents[0]);
      }
      for (const t of e.torrents)
        if (t.mode === 'hybrid')
          for (const m of e.media)
            if (m.path.startsWith('media/')) pads.set(posix.dirname(m.path), t.pieceLength);
    }
    this.files = files;
    this.pads = pads;
    this.single = single;
    this.torrents = torrents;
  }

  /** The torrent whose files are in `folder` (a catalog path), if it is served now. */
  torrentFor(folder: string): Torrent | undefined {
    return this.torrents.get(folder);
  }

  /** How many files are served now (for logs and tests). */
  get size(): number {
    return this.files.size;
  }

  register(web: WebServer): void {
    web.addRoute('GET', '/media/*', (req, res, m) => this.handle(req, res, m.rest));
    web.addRoute('OPTIONS', '/media/*', (_req, res) => {
      res.statusCode = 204;
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Range, If-Range, If-None-Match, If-Modified-Since');
      res.setHeader('Access-Control-Max-Age', '86400');
      res.end();
    });
  }

  async handle(req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> {
    // A folder (or the store itself) is never listed: plain 404. A path that is not clean: 400.
    if (raw === '' || raw.endsWith('/')) return sendText(res, 404, 'not found\n');
    const segments = cleanPath(raw);
    if (segments === null) return sendText(res, 400, 'bad path\n');
    const asked = `media/${segments.join('/')}`;
    // A torrent holding one file (an episode without subtitles) is a single-file torrent to
    // libtorrent 2.x, whatever its info dictionary's shape: it asks for `<url-list><name>`, the
    // torrent's folder, and gets the one file in it.
    const key = this.single.get(asked) ?? asked;
    const type = this.files.get(key);
    if (type === undefined) {
      if (await this.sendPad(req, res, segments)) return;
      return sendText(res, 404, 'not found\n');
    }
    const abs = resolve(this.dataDir, key);
    if (!abs.startsWith(this.mediaRoot + sep)) return sendText(res, 404, 'not found\n');
    // Symbolic links inside the store must not lead out of it.
    let real: string;
    try {
      this.realRoot ??= await realpath(this.mediaRoot);
      real = await realpath(abs);
    } catch {
      this.log(`web seed: published file missing on disk: ${key}`);
      return sendText(res, 404, 'not found\n');
    }
    if (!real.startsWith(this.realRoot + sep)) return sendText(res, 404, 'not found\n');
    const onSent = this.onSent;
    const policy = this.policy;
    const hooks: SendFileHooks = {};
    if (onSent !== null) hooks.onWritten = (n) => onSent(key, n);
    // Rights first (only files of episodes distributable now got this far), then the policy.
    if (policy !== null) {
      const torrent = posix.dirname(key);
      const requester = req.socket.remoteAddress ?? '';
      const returns = !neverReturns(req.headers['user-agent']);
      hooks.admit = (size, ranges) => {
        const d = policy.decide({ path: key, torrent, size }, ranges, requester, returns);
        return d.serve ? null : d.retryAfter;
      };
    }
    if (!(await sendFile(req, res, real, type, hooks))) {
      this.log(`web seed: published file not readable: ${key}`);
      if (!res.headersSent) sendText(res, 404, 'not found\n');
    }
  }

  /** `<series>/<name>/.pad/<N>` of a published hybrid torrent: N zero bytes. */
  private async sendPad(req: IncomingMessage, res: ServerResponse, segments: string[]): Promise<boolean> {
    if (segments.length !== 4 || segments[2] !== '.pad' || !/^[1-9]\d{0,9}$/.test(segments[3])) return false;
    const pieceLength = this.pads.get(`media/${segments[0]}/${segments[1]}`);
    const n = Number(segments[3]);
    if (pieceLength === undefined || n > pieceLength) return false;
    await sendEntity(req, res, {
      size: n,
      etag: `"pad-${n.toString(16)}"`,
      lastModified: null,
      contentType: 'application/octet-stream',
      body: (start, end) => zeroStream(end - start + 1),
    });
    return true;
  }
}

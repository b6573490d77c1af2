/**
 * Shared by the community subtitle tests: a `fjord serve` child (every listener on loopback) whose
 * data directory's fjord.json trusts 127.0.0.1 as a proxy, so each test can submit from an address
 * of its own with X-Forwarded-For (rate limits and bans are per address); HTTP requests with bodies;
 * multipart bodies as a browser builds them; accounts and logins.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { startSite, waitFor, type Site } from '../web/site-helpers.js';

export type SubtitleSite = Site;

/** startSite (test/web/site-helpers.ts) with 127.0.0.1 trusted as a proxy, and `extra` settings. */
export function startSubtitleSite(
  prefix: string,
  extra: Record<string, unknown> = {},
): Promise<SubtitleSite> {
  return startSite(prefix, { trustedProxies: ['127.0.0.1/32'], ...extra });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request; `body` sent with Content-Length. Resolves with the whole answer. */
export function request(
  port: number,
  method: string,
  path: string,
  o: { headers?: Record<string, string>; body?: Buffer | string; timeoutMs?: number } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'accept-language': 'en', ...o.headers };
    const body = o.body === undefined ? undefined : Buffer.from(o.body);
    if (body !== undefined) headers['content-length'] = String(body.length);
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(o.timeoutMs ?? 15_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.end(body);
  });
}

export interface FilePart {
  data: Buffer | string;
  filename?: string;
  contentType?: string;
}

/** A multipart/form-data body as a browser sends it. */
export function multipart(fields: Record<string, string>, file?: FilePart): { body: Buffer; type: string } {
  const boundary = `----fjordTest${randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  const esc = (s: string) => s.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${esc(name)}"\r\n\r\n${value}\r\n`),
    );
  }
  if (file !== undefined) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${esc(file.filename ?? 'subtitles.srt')}"\r\n` +
          `Content-Type: ${file.contentType ?? 'application/octet-stream'}\r\n\r\n`,
      ),
      Buffer.from(file.data),
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

/** POSTs the episode page's form from `address` (X-Forwarded-For; 127.0.0.1 is a trusted proxy). */
export function submitForm(
  port: number,
  episodePath: string,
  address: string,
  fields: Record<string, string>,
  file?: FilePart,
): Promise<Reply> {
  const m = multipart(fields, file);
  return request(port, 'POST', `${episodePath}/subtitles`, {
    headers: { 'content-type': m.type, 'x-forwarded-for': address },
    body: m.body,
  });
}

/** The form's usual fields. */
export function formFields(language: string, name = 'Kari Nordmann'): Record<string, string> {
  return { language, name, licence: 'accept', website: '' };
}

export interface Login {
  cookie: string;
  csrf: string;
}

/** JSON login; returns the session cookie and its CSRF token. */
export async function login(port: number, name: string, password: string): Promise<Login> {
  const r = await request(port, 'POST', '/admin/login', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password }),
  });
  if (r.status !== 200) throw new Error(`login ${name}: ${r.status} ${r.text}`);
  const set = ([] as string[])
    .concat(r.headers['set-cookie'] ?? [])
    .find((c) => c.startsWith('fjord_session='));
  if (!set) throw new Error('no session cookie');
  return { cookie: set.split(';')[0], csrf: (JSON.parse(r.text) as { csrfToken: string }).csrfToken };
}

/** Changes a one-time password through the API (what the first login requires). */
export async function changePassword(port: number, s: Login, current: string, next: string): Promise<void> {
  const r = await request(port, 'POST', '/admin/api/password', {
    headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrf },
    body: JSON.stringify({ current, new: next }),
  });
  if (r.status !== 200) throw new Error(`password change: ${r.status} ${r.text}`);
}

/** A form post from a signed-in user (`csrf` added unless given as null). */
export function postForm(
  port: number,
  path: string,
  s: Login | null,
  fields: Record<string, string>,
  csrf: string | null = s?.csrf ?? null,
): Promise<Reply> {
  const body = new URLSearchParams(csrf === null ? fields : { ...fields, csrf }).toString();
  return request(port, 'POST', path, {
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(s ? { cookie: s.cookie } : {}) },
    body,
  });
}

export function get(port: number, path: string, s: Login | null = null): Promise<Reply> {
  return request(port, 'GET', path, { headers: s ? { cookie: s.cookie } : {} });
}

/** Polls `fn` every 100 ms until it is true; throws after `ms`. */
export const eventually = waitFor;

/**
 * Accounts over HTTP: the session cookie, CSRF checks, the client's address and whether the request
 * came over TLS, and the guards every admin route calls first.
 *
 * Cookie: `fjord_session`, Path=/admin, HttpOnly, SameSite=Strict, and Secure when the request came
 * over TLS (a TLS socket, X-Forwarded-Proto: https from a trusted proxy, or `trustProxyTls` set: fjord
 * is reached only through a TLS-terminating proxy). No Max-Age: the server-side expiry rules.
 *
 * CSRF: every state-changing request (POST, PUT, PATCH, DELETE) must carry the session's token, as
 * the `X-CSRF-Token` header (API calls) or a `csrf` form field (forms). SameSite=Strict already keeps
 * other sites' requests cookie-less; the token also covers same-site pages and old browsers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { inNetworks, Network } from '../protocol/ip.js';
import { forwardedClient } from '../protocol/http-head.js';
import { sameSecret, type Accounts, type Session } from './accounts.js';
import type { Permission } from './roles.js';

export const SESSION_COOKIE = 'fjord_session';
export const LOGIN_CSRF_COOKIE = 'fjord_login_csrf';
const MAX_BODY = 16 * 1024;
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AuthHttpOptions {
  accounts: Accounts;
  /** Networks whose X-Forwarded-For / X-Forwarded-Proto are believed (config `trustedProxies`). */
  trustedProxies: readonly string[];
  /** fjord's web server is only reached through TLS (config `trustProxyTls`): cookies always Secure. */
  trustProxyTls: boolean;
}

export class AuthHttp {
  readonly accounts: Accounts;
  private readonly trusted: Network[];
  private readonly alwaysSecure: boolean;

  constructor(o: AuthHttpOptions) {
    this.accounts = o.accounts;
    this.trusted = o.trustedProxies.map((n) => new Network(n));
    this.alwaysSecure = o.trustProxyTls;
  }

  private fromTrustedProxy(req: IncomingMessage): boolean {
    return this.trusted.length > 0 && inNetworks(req.socket.remoteAddress ?? '', this.trusted);
  }

  /** The client: the socket's address, or behind a trusted proxy the last untrusted X-Forwarded-For hop. */
  clientAddress(req: IncomingMessage): string {
    const own = req.socket.remoteAddress ?? '';
    const xff = req.headers['x-forwarded-for'];
    if (!this.fromTrustedProxy(req) || typeof xff !== 'string') return own;
    return forwardedClient(xff, this.trusted);
  }

  /** Whether the viewer's connection is TLS (so cookies get Secure). */
  isSecure(req: IncomingMessage): boolean {
    if (this.alwaysSecure || (req.socket as TLSSocket).encrypted === true) return true;
    const proto = req.headers['x-forwarded-proto'];
    return typeof proto === 'string' && this.fromTrustedProxy(req) && proto.split(',')[0].trim() === 'https';
  }

  cookie(req: IncomingMessage, name: string, value: string, opts: { path: string; clear?: boolean }): string {
    const parts = [`${name}=${opts.clear ? '' : value}`, `Path=${opts.path}`, 'HttpOnly', 'SameSite=Strict'];
    if (this.isSecure(req)) parts.push('Secure');
    if (opts.clear) parts.push('Max-Age=0');
    return parts.join('; ');
  }

  sessionCookie(req: IncomingMessage, sessionId: string): string {
    return this.cookie(req, SESSION_COOKIE, sessionId, { path: '/admin' });
  }

  clearSessionCookie(req: IncomingMessage): string {
    return this.cookie(req, SESSION_COOKIE, '', { path: '/admin', clear: true });
  }

  /** The request's live session, or null. */
  async session(req: IncomingMessage): Promise<Session | null> {
    const id = readCookie(req, SESSION_COOKIE);
    return id === null ? null : this.accounts.session(id);
  }

  /**
   * The guard for API routes: the session, or null after answering 401 (no session), 403 (wrong
   * role, or the one-time password not changed yet) or 403 (a write without the CSRF header).
   * `permission` null: any signed-in user. `allowPending`: routes usable before the one-time
   * password is changed (me, password).
   */
  async api(
    req: IncomingMessage,
    res: ServerResponse,
    permission: Permission | null,
    allowPending = false,
  ): Promise<Session | null> {
    const s = await this.session(req);
    if (s === null) {
      sendJson(res, 401, { error: 'unauthenticated', message: 'log in at /admin/login' });
      return null;
    }
    if (!allowPending && s.user.mustChangePassword) {
      sendJson(res, 403, {
        error: 'password-change-required',
        message: 'change the one-time password first (POST /admin/api/password)',
      });
      return null;
    }
    if (permission !== null && !s.user.permissions.includes(permission)) {
      sendJson(res, 403, { error: 'forbidden', message: `the ${s.user.role} role may not do this` });
      return null;
    }
    if (WRITES.has((req.method ?? 'GET').toUpperCase())) {
      const token = req.headers['x-csrf-token'];
      if (typeof token !== 'string' || !sameSecret(token, s.csrfToken)) {
        sendJson(res, 403, { error: 'csrf', message: 'missing or wrong X-CSRF-Token header' });
        return null;
      }
    }
    return s;
  }

  /**
   * The guard for pages (the dashboard): the session, or null after redirecting to the login page
   * (no session) or answering 403 (wrong role). Forms posted to pages check `checkFormCsrf` themselves.
   */
  async page(
    req: IncomingMessage,
    res: ServerResponse,
    permission: Permission | null,
  ): Promise<Session | null> {
    const s = await this.session(req);
    if (s === null) {
      const next = (req.url ?? '/admin/').split('#')[0];
      res.statusCode = 303;
      res.setHeader('Location', `/admin/login?next=${encodeURIComponent(next)}`);
      res.setHeader('Cache-Control', 'no-store');
      res.end();
      return null;
    }
    if (permission !== null && !s.user.permissions.includes(permission)) {
      res.statusCode = 403;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.setHeader('Cache-Control', 'no-store');
      res.end(`forbidden: the ${s.user.role} role may not open this page\n`);
      return null;
    }
    return s;
  }
}

/** True if a form's `csrf` field (or the X-CSRF-Token header) carries the session's token. */
export function checkFormCsrf(req: IncomingMessage, form: URLSearchParams, session: Session): boolean {
  const header = req.headers['x-csrf-token'];
  const token = typeof header === 'string' ? header : form.get('csrf');
  return token !== null && sameSecret(token, session.csrfToken);
}

/** A cookie's value from the Cookie header, or null. */
export function readCookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Reads a request body of at most 16 KiB as text; null when larger. */
export async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A form (application/x-www-form-urlencoded) or JSON object body as string fields; null if neither. */
export async function readFields(
  req: IncomingMessage,
): Promise<{ fields: URLSearchParams; json: boolean } | null> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const body = await readBody(req);
  if (body === null) return null;
  if (type === 'application/x-www-form-urlencoded') return { fields: new URLSearchParams(body), json: false };
  if (type === 'application/json') {
    let v: unknown;
    try {
      v = JSON.parse(body);
    } catch {
      return null;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
    const fields = new URLSearchParams();
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') fields.set(k, x);
    return { fields, json: true };
  }
  return null;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(res.req?.method === 'HEAD' ? undefined : text);
}

export { sleep } from './accounts.js';

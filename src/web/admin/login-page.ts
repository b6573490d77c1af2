/**
 * /admin/login and /admin/logout: a server-rendered form (minimal here; `fjord serve` draws it with the
 * dashboard's layout through a LoginRenderer) and the same login as JSON for scripts.
 *
 *   GET  /admin/login[?next=/admin/...]   the form; sets a login CSRF cookie echoed in a hidden field
 *   POST /admin/login                     form: name, password, csrf (must equal the cookie), next
 *                                         → 303 to next (or /admin/) with the session cookie;
 *                                         JSON {name, password} → 200 {user, role, csrfToken}
 *                                         (a cross-site form cannot send JSON, so it needs no token)
 *                                         failures: 401 (after the failure delay); 429 with
 *                                         Retry-After (and JSON `retryAt`) when refused unchecked
 *   GET  /admin/api/login-stats           (admin) password checks run, attempts refused, locks held
 *   POST /admin/logout                    session + CSRF (form field `csrf` or X-CSRF-Token) → 303 /admin/login
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebServer } from '../server.js';
import { sameSecret } from '../../auth/accounts.js';
import {
  ACCOUNT_FAILURES,
  ADDRESS_FAILURES,
  LOCK_MS,
  PAIR_FAILURES,
  WINDOW_MS,
} from '../../auth/login-throttle.js';
import {
  AuthHttp,
  LOGIN_CSRF_COOKIE,
  checkFormCsrf,
  readCookie,
  readFields,
  sendJson,
  sleep,
} from '../../auth/http.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ESC[c]);

/** Only paths inside the admin area: never another host (`//evil`, `/\evil`) or scheme. */
export function safeNext(next: string | null): string {
  if (next === null || !next.startsWith('/admin/') || next.startsWith('//') || /[\\\r\n]/.test(next))
    return '/admin/';
  return next;
}

function loginForm(token: string, next: string, message: string | null): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>fjord: log in</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:22rem;margin:4rem auto;padding:0 1rem}label,input,button{display:block;width:100%;box-sizing:border-box}input{margin:.25rem 0 1rem;padding:.5rem}button{padding:.6rem}.error{color:#a00}</style>
</head>
<body>
<h1>fjord</h1>
${message === null ? '' : `<p class="error" role="alert">${esc(message)}</p>`}
<form method="post" action="/admin/login">
<input type="hidden" name="csrf" value="${esc(token)}">
<input type="hidden" name="next" value="${esc(next)}">
<label for="name">User name</label>
<input id="name" name="name" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Log in</button>
</form>
</body>
</html>
`;
}

function sendPage(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

const LOGIN_LIMITS = {
  pairFailures: PAIR_FAILURES,
  addressFailures: ADDRESS_FAILURES,
  accountFailures: ACCOUNT_FAILURES,
  windowSeconds: WINDOW_MS / 1000,
  lockSeconds: LOCK_MS / 1000,
};

export type LoginProblem = 'expired' | 'invalid' | 'locked';

const PROBLEMS: Record<LoginProblem, string> = {
  expired: 'The form expired. Please try again.',
  invalid: 'Wrong user name or password.',
  locked: 'Too many failed attempts. Try again later.',
};

/**
 * Draws the login page; the dashboard passes one that uses the shared layout and the viewer's
 * language (src/web/admin/dashboard.ts). It must put `token` in a hidden `csrf` field and `next` in
 * a hidden `next` field of a form posting `name` and `password` to /admin/login.
 */
export type LoginRenderer = (
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  form: { token: string; next: string; problem: LoginProblem | null },
) => void;

const plainForm: LoginRenderer = (_req, res, status, f) =>
  sendPage(res, status, loginForm(f.token, f.next, f.problem === null ? null : PROBLEMS[f.problem]));

export function registerLogin(web: WebServer, auth: AuthHttp, render: LoginRenderer = plainForm): void {
  /** Shows the form with a fresh login CSRF token (cookie and hidden field). */
  const showForm = (
    auth: AuthHttp,
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    next: string,
    problem: LoginProblem | null,
  ): void => {
    const token = randomBytes(24).toString('base64url');
    res.setHeader('Set-Cookie', auth.cookie(req, LOGIN_CSRF_COOKIE, token, { path: '/admin/login' }));
    render(req, res, status, { token, next, problem });
  };

  web.addRoute('GET', '/admin/login', (req, res, m) => {
    showForm(auth, req, res, 200, safeNext(new URLSearchParams(m.query).get('next')), null);
  });

  web.addRoute('POST', '/admin/login', async (req, res) => {
    const body = await readFields(req);
    if (body === null)
      return sendJson(res, 400, { error: 'bad-request', message: 'a form or a JSON object, at most 16 KiB' });
    const f = body.fields;
    const next = safeNext(f.get('next'));
    if (!body.json) {
      const cookie = readCookie(req, LOGIN_CSRF_COOKIE);
      const field = f.get('csrf');
      if (cookie === null || field === null || !sameSecret(cookie, field))
        return showForm(auth, req, res, 403, next, 'expired');
    }
    const result = await auth.accounts.login(
      f.get('name') ?? '',
      f.get('password') ?? '',
      auth.clientAddress(req),
    );
    if (!result.ok) {
      // The delay grows with each failure: guessing gets slow long before the lockout.
      await sleep(result.delayMs);
      if (result.reason === 'invalid') {
        if (body.json) return sendJson(res, 401, { error: 'invalid', message: PROBLEMS.invalid });
        return showForm(auth, req, res, 401, next, 'invalid');
      }
      res.setHeader('Retry-After', Math.max(1, Math.ceil((result.retryAt - Date.now()) / 1000)));
      if (body.json)
        return sendJson(res, 429, {
          error: 'locked',
          message: PROBLEMS.locked,
          retryAt: new Date(result.retryAt).toISOString(),
        });
      return showForm(auth, req, res, 429, next, 'locked');
    }
    const cookies = [auth.sessionCookie(req, result.sessionId)];
    const u = result.session.user;
    if (body.json) {
      res.setHeader('Set-Cookie', cookies);
      return sendJson(res, 200, {
        user: u.name,
        role: u.role,
        permissions: u.permissions,
        csrfToken: result.session.csrfToken,
        mustChangePassword: u.mustChangePassword,
        expiresAt: result.session.expiresAt.toISOString(),
      });
    }
    cookies.push(auth.cookie(req, LOGIN_CSRF_COOKIE, '', { path: '/admin/login', clear: true }));
    res.setHeader('Set-Cookie', cookies);
    res.statusCode = 303;
    res.setHeader('Location', next);
    res.setHeader('Cache-Control', 'no-store');
    res.end();
  });

  web.addRoute('GET', '/admin/api/login-stats', async (req, res) => {
    const s = await auth.api(req, res, 'users');
    if (s === null) return;
    const a = auth.accounts;
    sendJson(res, 200, { ...a.counters, throttle: a.throttle.summary(), limits: LOGIN_LIMITS });
  });

  web.addRoute('POST', '/admin/logout', async (req, res) => {
    const session = await auth.session(req);
    if (session === null) return sendJson(res, 401, { error: 'unauthenticated', message: 'not logged in' });
    const body = (await readFields(req)) ?? { fields: new URLSearchParams(), json: false };
    if (!checkFormCsrf(req, body.fields, session))
      return sendJson(res, 403, { error: 'csrf', message: 'missing or wrong CSRF token' });
    await auth.accounts.logout(session);
    res.setHeader('Set-Cookie', auth.clearSessionCookie(req));
    res.statusCode = 303;
    res.setHeader('Location', '/admin/login');
    res.setHeader('Cache-Control', 'no-store');
    res.end();
  });
}

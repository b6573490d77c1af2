/**
 * The admin JSON API under /admin/api/: the newsroom's reports (src/reports/newsroom.ts) as JSON or
 * CSV, behind the same accounts as the pages (cookie session; writes need the X-CSRF-Token header),
 * plus the signed-in account's own details and password change. Documented in the README
 * ("Statistics API") and docs/statistics.md.
 *
 * Every table in a response can also be had as CSV: `?format=csv` (the first table) or
 * `?format=csv&table=NAME`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthError, type Session } from '../../auth/accounts.js';
import { AuthHttp, readFields, sendJson } from '../../auth/http.js';
import type { Permission } from '../../auth/roles.js';
import { toCsv } from '../../reports/csv.js';
import { BadRequest, NotFound, type NewsroomReports, type Report } from '../../reports/newsroom.js';
import { formatLocal } from '../../stats/time.js';
import type { RouteMatch, WebServer } from '../server.js';
import type { Catalog } from '../../catalog/index.js';
import { rightsContracts, rightsReport } from './rights-api.js';

export interface NewsroomApiDeps {
  auth: AuthHttp;
  reports: NewsroomReports;
  /** The rights register's routes read it (rights-api.ts). */
  catalog: Catalog;
  timeZone: string;
}

export class NewsroomApi {
  constructor(private readonly d: NewsroomApiDeps) {}

  /** The reports it serves (the dashboard's pages draw the same ones). */
  get reports(): NewsroomReports {
    return this.d.reports;
  }

  /** Every route, with the permission it needs (null: any signed-in user). */
  register(web: WebServer): void {
    const get = (
      path: string,
      permission: Permission,
      fn: (q: URLSearchParams, m: RouteMatch, s: Session) => Promise<Report>,
    ) => web.addRoute('GET', path, (req, res, m) => this.answer(req, res, m, permission, fn));
    get('/admin/api/overview', 'stats', (q) => this.d.reports.overview(q));
    get('/admin/api/series/:slug', 'stats', (q, m) => this.d.reports.series(q, m.params.slug));
    get('/admin/api/episodes/:id', 'stats', (q, m) => this.d.reports.episode(q, m.params.id));
    get('/admin/api/clients', 'stats', (q) => this.d.reports.clients(q));
    get('/admin/api/families', 'stats', (q) => this.d.reports.families(q));
    get('/admin/api/rights-calendar', 'publish', (q) => this.d.reports.rightsCalendar(q));
    get('/admin/api/audit', 'audit', (q) => this.d.reports.auditLog(q));
    // The rights register (issue 14): a rights holder sees only its own party (rights-api.ts).
    get('/admin/api/rights/report', 'reports', (q, _m, s) =>
      rightsReport(this.d.catalog, this.d.timeZone, q, s),
    );
    get('/admin/api/rights/contracts', 'reports', (q, _m, s) => rightsContracts(this.d.catalog, q, s));
    web.addRoute('GET', '/admin/api/me', async (req, res) => {
      const s = await this.d.auth.api(req, res, null, true);
      if (s === null) return;
      sendJson(res, 200, {
        user: s.user.name,
        role: s.user.role,
        permissions: s.user.permissions,
        csrfToken: s.csrfToken,
        mustChangePassword: s.user.mustChangePassword,
        expiresAt: formatLocal(s.expiresAt.getTime(), this.d.timeZone),
        timeZone: this.d.timeZone,
      });
    });
    web.addRoute('POST', '/admin/api/password', async (req, res) => {
      const s = await this.d.auth.api(req, res, null, true);
      if (s === null) return;
      const body = await readFields(req);
      const current = body?.fields.get('current');
      const next = body?.fields.get('new');
      if (!current || !next)
        return sendJson(res, 400, { error: 'bad-request', message: 'send {"current": "...", "new": "..."}' });
      try {
        await this.d.auth.accounts.changePassword(s, current, next);
      } catch (e) {
        if (e instanceof AuthError) return sendJson(res, 400, { error: e.code, message: e.message });
        throw e;
      }
      sendJson(res, 200, { ok: true });
    });
  }

  private async answer(
    req: IncomingMessage,
    res: ServerResponse,
    m: RouteMatch,
    permission: Permission,
    fn: (q: URLSearchParams, m: RouteMatch, s: Session) => Promise<Report>,
  ): Promise<void> {
    const s = await this.d.auth.api(req, res, permission);
    if (s === null) return;
    const q = new URLSearchParams(m.query);
    let a: Report;
    try {
      a = await fn(q, m, s);
    } catch (e) {
      if (e instanceof BadRequest) return sendJson(res, 400, { error: 'bad-request', message: e.message });
      if (e instanceof NotFound) return sendJson(res, 404, { error: 'not-found', message: e.message });
      throw e;
    }
    const format = q.get('format') ?? 'json';
    if (format === 'json') return sendJson(res, 200, a.body);
    if (format !== 'csv')
      return sendJson(res, 400, { error: 'bad-request', message: 'format must be json or csv' });
    const names = Object.keys(a.tables);
    const table = q.get('table') ?? names[0];
    const rows = a.tables[table];
    if (rows === undefined)
      return sendJson(res, 400, {
        error: 'bad-request',
        message: `table must be one of: ${names.join(', ')}`,
      });
    const text = toCsv(rows);
    const name = `${m.path
      .split('/')
      .slice(3)
      .join('-')
      .replace(/[^A-Za-z0-9_-]/g, '_')}-${table}.csv`;
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    res.setHeader('Content-Length', Buffer.byteLength(text));
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.end(req.method === 'HEAD' ? undefined : text);
  }
}

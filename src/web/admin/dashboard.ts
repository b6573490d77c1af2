/**
 * The newsroom dashboard: server-rendered pages under /admin on `fjord serve --web`, in the audience
 * site's layout (one escaping helper, one layout, the same strict CSP: no inline script or style),
 * in Norwegian Bokmål and English, with times in the configured zone (`timeZone`).
 *
 *   page                            permission  what
 *   /admin/                         stats       today, the last 7 (30, 90) days, release curves, series
 *   /admin/series/<slug>            stats       a series: peers, completions, P2P share over time; episodes
 *   /admin/episodes/<id>            stats       an episode: the same, P2P share and HTTP cost saved, release curve
 *   /admin/clients                  stats       client software and IPv4/IPv6 announces
 *   /admin/sources                  stats       addresses that hit the per-address limits (suspicious)
 *   /admin/rights                   publish     what goes live and what expires, next 30 days
 *   /admin/publish                  publish     the inbox and the publishing form (POST: publish)
 *   /admin/publish/jobs/<id>        publish     a publication: hashing progress, then the result or the error
 *   /admin/publish/jobs/<id>/progress  publish  the same as JSON, for the progress bar's script
 *   /admin/password                 signed in   change one's password (forced after a one-time password)
 *   /admin/login                    anyone      the login form (login-page.ts, drawn here)
 *
 * Every page: no session → 303 to /admin/login?next=...; the one-time password not changed yet →
 * 303 to /admin/password; a role without the permission → a 403 page. Every form carries the
 * session's CSRF token; a post without it is refused with a 403 page before anything is read or done.
 * The figures are the admin API's (NewsroomApi's route methods): the pages are another view of
 * /admin/api/..., whose CSV every chart links to.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { AuthError, MIN_PASSWORD_LENGTH, type Session } from '../../auth/accounts.js';
import { checkFormCsrf, readFields, sendJson, type AuthHttp } from '../../auth/http.js';
import { safeNext, type LoginRenderer } from './login-page.js';
import type { Permission } from '../../auth/roles.js';
import { catalogLocation, openCatalog, type Catalog } from '../../catalog/index.js';
import type { Config } from '../../config.js';
import { PublishError } from '../../publish/pipeline.js';
import { html, type Markup } from '../html.js';
import type { Layout, PageInput, RequestContext } from '../layout.js';
import type { RouteMatch, WebServer } from '../server.js';
import { AdminAssets } from './admin-assets.js';
import { BadRequest, NotFound, type NewsroomReports } from '../../reports/newsroom.js';
import { registerCatalogue } from './catalogue.js';
import { jobLabel, jobView, loginView, passwordView, percentOf, publishView } from './publish-view.js';
import { emptyForm, formFromFields, oneLine, PublishJobs, readInbox, requestFromForm } from './publishing.js';
import { adminText, Fmt, type AdminText } from './text.js';
import type { Lang } from '../i18n.js';
import { suspectsNav, suspectsView, type SuspectsData } from './suspects-view.js';
import { calendarView, clientsView, episodeView, overviewView, seriesView, type View } from './views.js';

export interface DashboardDeps {
  auth: AuthHttp;
  reports: NewsroomReports;
  catalog: Catalog;
  layout: Layout;
  config: Pick<
    Config,
    'timeZone' | 'dataDir' | 'catalogUrl' | 'inboxDir' | 'publicTrackerUrls' | 'publicWebUrl'
  >;
  log?: (msg: string) => void;
  /** The tracker's suspicious sources (absent: the page says none). */
  suspects?: () => SuspectsData;
}

/** A request that passed the guard (other admin pages get one through addPage/addForm). */
export interface Visit {
  req: IncomingMessage;
  res: ServerResponse;
  ctx: RequestContext;
  session: Session;
  m: AdminText;
  f: Fmt;
}

const PAGE_CACHE = 'no-store';

/** A navigation entry, shown to the roles that may open it. */
export interface NavEntry {
  path: string;
  label: Record<Lang, string>;
  permission: Permission;
}

const navOf = (path: string, key: 'overview' | 'clients' | 'rights' | 'publish', permission: Permission) => ({
  path,
  label: { nb: adminText.nb[key], en: adminText.en[key] },
  permission,
});

/**
 * The admin area's page framework, which every admin part (the dashboard's own pages, the
 * catalogue, subtitle moderation, ...) builds on rather than copying: one guard (session, the
 * one-time password, the role's permission: 303 / 403 pages), one layout and menu, forms whose
 * body and CSRF token are checked before the handler runs. The Dashboard is its implementation.
 */
export interface AdminPages {
  addNav(entry: NavEntry): void;
  addPage(
    web: WebServer,
    path: string,
    permission: Permission | null,
    fn: (v: Visit, m: RouteMatch) => Promise<void>,
  ): void;
  addForm(
    web: WebServer,
    path: string,
    permission: Permission | null,
    fn: (v: Visit, fields: URLSearchParams, m: RouteMatch) => Promise<void>,
  ): void;
  render(v: Visit, status: number, view: View): void;
}

export class Dashboard implements AdminPages {
  readonly jobs: PublishJobs;
  private readonly assets = new AdminAssets();
  private readonly navEntries: NavEntry[] = [
    navOf('/admin/', 'overview', 'stats'),
    navOf('/admin/clients', 'clients', 'stats'),
    { path: '/admin/sources', label: suspectsNav, permission: 'stats' },
    navOf('/admin/rights', 'rights', 'publish'),
    navOf('/admin/publish', 'publish', 'publish'),
    {
      path: '/admin/moderation',
      label: { nb: 'Teksting fra seerne', en: 'Subtitle moderation' },
      permission: 'subtitles',
    },
  ];

  constructor(private readonly d: DashboardDeps) {
    this.jobs = new PublishJobs(d.log);
  }

  /** The inbox folder: config `inboxDir`, or DATA/inbox. */
  get inboxDir(): string {
    return resolve(this.d.config.inboxDir ?? join(this.d.config.dataDir, 'inbox'));
  }

  /** Draws /admin/login in the dashboard's layout (registerLogin's renderer). */
  readonly loginRenderer: LoginRenderer = (req, res, status, form) => {
    // The page's own context, so its language switch (?lang=) works as on every other page.
    const target = req.url ?? '/admin/login';
    const q = target.indexOf('?');
    const match: RouteMatch = {
      params: {},
      rest: '',
      path: q < 0 ? target : target.slice(0, q),
      query: q < 0 ? '' : target.slice(q + 1),
    };
    const ctx = this.d.layout.context(req, res, match);
    if (ctx === null) return;
    const m = adminText[ctx.lang];
    this.send(res, ctx, status, null, loginView(m, form));
  };

  register(web: WebServer): void {
    this.assets.register(web);
    web.addRoute('GET', '/admin', (_req, res) => redirect(res, '/admin/'));
    // The admin home: the overview for those who may see statistics; a moderator (no statistics)
    // lands on the moderation queue instead of a refusal.
    this.page(web, '/admin/', null, async (v, m) => {
      if (v.session.user.permissions.includes('stats')) return this.overview(v, m);
      if (v.session.user.permissions.includes('subtitles')) return redirect(v.res, '/admin/moderation');
      return this.forbidden(v);
    });
    this.page(web, '/admin/series/:slug', 'stats', (v, m) => this.series(v, m));
    this.page(web, '/admin/episodes/:id', 'stats', (v, m) => this.episode(v, m));
    this.page(web, '/admin/clients', 'stats', (v) => this.clients(v));
    this.page(web, '/admin/sources', 'stats', async (v) => {
      const none = { suspects: [], peersPerAddress: 0, completionsPerAddress: 0, peersRefused: 0 };
      const data = this.d.suspects?.() ?? { ...none, completionsIgnored: 0, unlisted: 0 };
      this.send(v.res, v.ctx, 200, v.session, suspectsView(v.ctx.lang, v.f, data));
    });
    registerCatalogue(this, web, {
      catalog: this.d.catalog,
      config: this.d.config,
      timeZone: this.d.config.timeZone,
    });
    this.page(web, '/admin/rights', 'publish', (v) => this.rights(v));
    this.page(web, '/admin/publish', 'publish', (v) => this.publishPage(v, emptyForm(), null, 200));
    this.form(web, '/admin/publish', 'publish', (v, fields) => this.publish(v, fields));
    this.page(web, '/admin/publish/jobs/:id', 'publish', (v, m) => this.job(v, m));
    web.addRoute('GET', '/admin/publish/jobs/:id/progress', async (req, res, m) => {
      const s = await this.d.auth.api(req, res, 'publish');
      if (s === null) return;
      const j = this.jobs.get(m.params.id);
      if (j === undefined) return sendJson(res, 404, { error: 'not-found', message: 'no such publication' });
      const lang = this.d.layout.bareContext(req).lang;
      sendJson(res, 200, {
        id: j.id,
        state: j.state,
        stateText: adminText[lang].jobState[j.state],
        done: j.done,
        total: j.total,
        percent: percentOf(j),
        error: j.error,
        result: j.result,
      });
    });
    this.page(web, '/admin/password', null, (v) => this.passwordPage(v, null, 200), { allowPending: true });
    this.form(web, '/admin/password', null, (v, fields) => this.changePassword(v, fields), {
      allowPending: true,
    });
  }

  /** At shutdown: stop a publication that is still copying or hashing (its staging folder goes). */
  stop(): void {
    this.jobs.abort();
  }

  // ---- the guard ----

  /**
   * The session, the page's context and the words, or null after answering: 303 to the login page
   * (no session), 303 to the password page (one-time password), a 400 page (malformed query string),
   * or a 403 page (the role lacks `permission`).
   */
  private async guard(
    req: IncomingMessage,
    res: ServerResponse,
    match: RouteMatch,
    permission: Permission | null,
    allowPending: boolean,
  ): Promise<Visit | null> {
    const session = await this.d.auth.page(req, res, null);
    if (session === null) return null;
    if (session.user.mustChangePassword && !allowPending) {
      redirect(res, `/admin/password?next=${encodeURIComponent(safeNext(req.url ?? null))}`);
      return null;
    }
    const ctx = this.d.layout.context(req, res, match);
    if (ctx === null) return null;
    const m = adminText[ctx.lang];
    const visit = { req, res, ctx, session, m, f: new Fmt(ctx.lang, this.d.config.timeZone) };
    if (permission !== null && !session.user.permissions.includes(permission)) {
      this.forbidden(visit);
      return null;
    }
    return visit;
  }

  private forbidden(v: Visit): void {
    this.send(v.res, v.ctx, 403, v.session, {
      title: v.m.forbiddenTitle,
      main: html`<h1>${v.m.forbiddenTitle}</h1>
        <p>${v.m.forbidden(v.session.user.role)}</p>`,
    });
  }

  /**
   * Other parts of the admin area (subtitle moderation, say) add their pages with the same guard,
   * layout and navigation: addNav() for the menu, addPage()/addForm() for routes, render() to answer.
   */
  addNav(entry: NavEntry): void {
    this.navEntries.push(entry);
  }

  addPage(
    web: WebServer,
    path: string,
    permission: Permission | null,
    fn: (v: Visit, m: RouteMatch) => Promise<void>,
  ): void {
    this.page(web, path, permission, fn);
  }

  addForm(
    web: WebServer,
    path: string,
    permission: Permission | null,
    fn: (v: Visit, fields: URLSearchParams, m: RouteMatch) => Promise<void>,
  ): void {
    this.form(web, path, permission, fn);
  }

  /** Answers a visit with a page in the dashboard's layout. */
  render(v: Visit, status: number, view: View): void {
    this.send(v.res, v.ctx, status, v.session, view);
  }

  /** A GET page; BadRequest and NotFound from the API become 400 and 404 pages. */
  private page(
    web: WebServer,
    path: string,
    permission: Permission | null,
    fn: (v: Visit, m: RouteMatch) => Promise<void>,
    o: { allowPending?: boolean } = {},
  ): void {
    web.addRoute('GET', path, async (req, res, match) => {
      const v = await this.guard(req, res, match, permission, o.allowPending === true);
      if (v === null) return;
      try {
        await fn(v, match);
      } catch (e) {
        if (e instanceof BadRequest) return this.d.layout.badRequest(res, v.ctx, e.message);
        if (e instanceof NotFound) return this.notFound(v);
        throw e;
      }
    });
  }

  /** A form POST: the guard, then the form body and its CSRF token, before `fn` sees anything. */
  private form(
    web: WebServer,
    path: string,
    permission: Permission | null,
    fn: (v: Visit, fields: URLSearchParams, m: RouteMatch) => Promise<void>,
    o: { allowPending?: boolean } = {},
  ): void {
    web.addRoute('POST', path, async (req, res, match) => {
      const v = await this.guard(req, res, match, permission, o.allowPending === true);
      if (v === null) return;
      const body = await readFields(req);
      if (body === null || body.json) return this.d.layout.badRequest(res, v.ctx, 'expected a form');
      if (!checkFormCsrf(req, body.fields, v.session))
        return this.send(res, v.ctx, 403, v.session, {
          title: v.m.csrfTitle,
          main: html`<h1>${v.m.csrfTitle}</h1>
            <p>${v.m.csrf}</p>`,
        });
      await fn(v, body.fields, match);
    });
  }

  // ---- layout ----

  private nav(ctx: RequestContext, session: Session | null): Markup | undefined {
    const m = adminText[ctx.lang];
    if (session === null) return html`<nav class="admin" aria-label="${m.navLabel}"><ul></ul></nav>`;
    const current = (p: string) => ctx.path === p || (p !== '/admin/' && ctx.path.startsWith(`${p}/`));
    const items = this.navEntries
      .filter((n) => session.user.permissions.includes(n.permission))
      .map((n) =>
        current(n.path)
          ? html`<li><a href="${n.path}" aria-current="page">${n.label[ctx.lang]}</a></li>`
          : html`<li><a href="${n.path}">${n.label[ctx.lang]}</a></li>`,
      );
    return html`<nav class="admin" aria-label="${m.navLabel}">
      <ul>
        ${items}
        <li><a href="/admin/password">${m.password}</a></li>
        <li>
          <form class="inline" method="post" action="/admin/logout">
            <input type="hidden" name="csrf" value="${session.csrfToken}" />
            <button type="submit" class="link">${m.logout}</button>
          </form>
        </li>
      </ul>
    </nav>`;
  }

  private send(
    res: ServerResponse,
    ctx: RequestContext,
    status: number,
    session: Session | null,
    view: View,
    extra: Partial<PageInput> = {},
  ): void {
    const m = adminText[ctx.lang];
    const who = session === null ? '' : m.signedInAs(session.user.name, session.user.role);
    this.d.layout.send(res, ctx, status, {
      title: `${view.title} – ${m.area}`,
      main: view.main,
      nav: this.nav(ctx, session),
      home: '/admin/',
      footer: html`<p>${m.area}. ${who} ${m.timesIn(this.d.config.timeZone)}</p>`,
      cacheControl: PAGE_CACHE,
      head: html`<link rel="stylesheet" href="${this.assets.url('admin.css')}" />${extra.head ?? null}`,
      scripts: [this.assets.url('admin.js')],
      ...(extra.csp ? { csp: extra.csp } : {}),
    });
  }

  private notFound(v: Visit): void {
    this.send(v.res, v.ctx, 404, v.session, {
      title: v.m.notFoundTitle,
      main: html`<h1>${v.m.notFoundTitle}</h1>
        <p>${v.m.notFound}</p>
        <p><a href="/admin/">${v.m.overview}</a></p>`,
    });
  }

  // ---- statistics pages ----

  /** The query parameters the API understands, from the page's own (others are ignored). */
  private apiQuery(ctx: RequestContext, keys: readonly string[]): URLSearchParams {
    const q = new URLSearchParams();
    for (const k of keys) {
      const v = ctx.query.get(k);
      if (v === undefined) continue;
      if (v.length !== 1) throw new BadRequest(`${k} given more than once`);
      q.set(k, v[0]);
    }
    return q;
  }

  private days(q: URLSearchParams, def: number): number {
    return q.get('days') !== null && q.get('from') === null ? Number(q.get('days')) : def;
  }

  private async overview(v: Visit, _m: RouteMatch): Promise<void> {
    const q = this.apiQuery(v.ctx, ['days']);
    const data = (await this.d.reports.overview(q)).body;
    const series = (await this.d.catalog.listSeries()).map((s) => ({ slug: s.slug, title: s.title }));
    this.send(v.res, v.ctx, 200, v.session, overviewView(v.m, v.f, data, this.days(q, 7), series));
  }

  private async series(v: Visit, match: RouteMatch): Promise<void> {
    const q = this.apiQuery(v.ctx, ['days', 'from', 'to']);
    const data = (await this.d.reports.series(q, match.params.slug)).body;
    this.send(v.res, v.ctx, 200, v.session, seriesView(v.m, v.f, data, this.days(q, 30)));
  }

  private async episode(v: Visit, match: RouteMatch): Promise<void> {
    const q = this.apiQuery(v.ctx, ['days', 'from', 'to', 'resolution']);
    const days = q.get('days') === null ? null : Number(q.get('days'));
    const data = (await this.d.reports.episode(q, match.params.id)).body;
    this.send(
      v.res,
      v.ctx,
      200,
      v.session,
      episodeView(v.m, v.f, data, { days, resolution: data.resolution }),
    );
  }

  private async clients(v: Visit): Promise<void> {
    const q = this.apiQuery(v.ctx, ['days', 'from', 'to']);
    const [c, fam] = await Promise.all([this.d.reports.clients(q), this.d.reports.families(q)]);
    this.send(v.res, v.ctx, 200, v.session, clientsView(v.m, v.f, c.body, fam.body, this.days(q, 7)));
  }

  private async rights(v: Visit): Promise<void> {
    const q = this.apiQuery(v.ctx, ['days']);
    const data = (await this.d.reports.rightsCalendar(q)).body;
    const days = q.get('days') === null ? 30 : Number(q.get('days'));
    const stats = v.session.user.permissions.includes('stats');
    this.send(v.res, v.ctx, 200, v.session, calendarView(v.m, v.f, data, days, stats));
  }

  // ---- publishing ----

  private async publishPage(
    v: Visit,
    form: ReturnType<typeof emptyForm>,
    error: string | null,
    status: number,
  ): Promise<void> {
    const [inbox, series] = await Promise.all([readInbox(this.inboxDir), this.d.catalog.listSeries()]);
    this.send(
      v.res,
      v.ctx,
      status,
      v.session,
      publishView(v.m, v.f, {
        inbox,
        form,
        error,
        csrf: v.session.csrfToken,
        series: series.map((s) => ({ slug: s.slug, title: s.title })),
        jobs: this.jobs.recent(),
      }),
    );
  }

  /**
   * Runs the publish pipeline on the form. A refusal before any file is written (the form's own
   * checks, or the pipeline's: media, subtitles, rights, series, duplicates) shows the form again
   * with the one-line reason (422); otherwise 303 to the publication's page, which follows it.
   */
  private async publish(v: Visit, fields: URLSearchParams): Promise<void> {
    const form = formFromFields(fields);
    const c = this.d.config;
    let job;
    try {
      const request = requestFromForm(form, {
        inbox: await readInbox(this.inboxDir),
        timeZone: c.timeZone,
        dataDir: resolve(c.dataDir),
        trackers: c.publicTrackerUrls,
        webUrl: c.publicWebUrl,
        // The pipeline opens and closes a catalog of its own, as `fjord publish` does.
        openCatalog: () => openCatalog(catalogLocation(c)),
        actor: `web:${v.session.user.name}`,
      });
      job = await this.jobs.start(request, jobLabel(form), v.session.user.name);
    } catch (e) {
      if (!(e instanceof PublishError)) throw e;
      return this.publishPage(v, form, oneLine(e), 422);
    }
    if (job.state === 'failed') return this.publishPage(v, form, job.error, 422);
    redirect(v.res, `/admin/publish/jobs/${job.id}`);
  }

  private async job(v: Visit, match: RouteMatch): Promise<void> {
    const j = this.jobs.get(match.params.id);
    if (j === undefined) return this.notFound(v);
    const view = jobView(v.m, v.f, j);
    // Without JavaScript the page reloads itself while the publication runs.
    const head = view.running
      ? html`<noscript><meta http-equiv="refresh" content="2" /></noscript>`
      : undefined;
    this.send(v.res, v.ctx, 200, v.session, view, head ? { head } : {});
  }

  // ---- password ----

  private nextOf(v: Visit, fields?: URLSearchParams): string {
    const next = fields?.get('next') ?? v.ctx.query.get('next')?.[0] ?? null;
    const safe = safeNext(next);
    return safe.startsWith('/admin/password') ? '/admin/' : safe;
  }

  private async passwordPage(v: Visit, error: string | null, status: number, next?: string): Promise<void> {
    this.send(
      v.res,
      v.ctx,
      status,
      v.session,
      passwordView(v.m, {
        csrf: v.session.csrfToken,
        next: next ?? this.nextOf(v),
        required: v.session.user.mustChangePassword,
        error,
      }),
    );
  }

  private async changePassword(v: Visit, fields: URLSearchParams): Promise<void> {
    const next = this.nextOf(v, fields);
    const current = fields.get('current') ?? '';
    const fresh = fields.get('new') ?? '';
    if (fresh !== (fields.get('repeat') ?? '')) return this.passwordPage(v, v.m.passwordsDiffer, 400, next);
    try {
      await this.d.auth.accounts.changePassword(v.session, current, fresh);
    } catch (e) {
      if (!(e instanceof AuthError)) throw e;
      const text = e.code === 'wrong-password' ? v.m.wrongPassword : v.m.weakPassword(MIN_PASSWORD_LENGTH);
      return this.passwordPage(v, text, 400, next);
    }
    redirect(v.res, next);
  }
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'no-store');
  res.end();
}

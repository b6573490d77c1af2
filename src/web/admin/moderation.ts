/**
 * Moderating community subtitles: pages under /admin/moderation for the `subtitles` permission
 * (the moderator role, and admin), in the dashboard's layout and words.
 *
 *   GET  /admin/moderation                      the queue, recent decisions, banned addresses
 *   GET  /admin/moderation/<id>[?against=K]     one submission: preview in the player (the episode's
 *                                               video with the candidate as a <track>), the diff of its
 *                                               cue texts against an earlier version of the language
 *                                               (K: `official` or a submission id), its history, and
 *                                               the decision forms
 *   GET  /admin/moderation/<id>/candidate.vtt   the candidate's WebVTT (any status): moderators only,
 *                                               same origin, so the page's CSP (media-src 'self') lets
 *                                               the <track> load it with the session cookie
 *   POST /admin/moderation/<id>/approve         → 303 back, or 409 when it is approved already
 *   POST /admin/moderation/<id>/reject          reason (required) → 303 back
 *   POST /admin/moderation/<id>/ban             reason → bans the submitter's address, rejects its
 *                                               pending submissions → 303 to the queue
 *   POST /admin/moderation/bans/lift            address → 303 to the queue
 *
 * Every route: no session → 303 to the login page; the one-time password not changed yet → 303 to
 * the password page; a role without `subtitles` → a 403 page. Every POST carries the session's CSRF
 * token in its `csrf` field (or X-CSRF-Token); without it: a 403 page, before anything is read or
 * changed. Every decision is an audit event (the service writes it with the change).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Session } from '../../auth/accounts.js';
import { checkFormCsrf, readFields, type AuthHttp } from '../../auth/http.js';
import { safeNext } from './login-page.js';
import { isDistributable } from '../../catalog/index.js';
import { ModerationError, type CommunitySubtitles, type SubmissionDetail } from '../../subtitles/service.js';
import { html, type Markup } from '../html.js';
import { languageName } from '../i18n.js';
import type { Layout, RequestContext } from '../layout.js';
import type { RouteMatch, WebServer } from '../server.js';
import { VTT_TYPE, sendFile } from '../webseed.js';
import { AdminAssets } from './admin-assets.js';
import { moderationText, type ModerationText } from './moderation-text.js';
import { queueView, reviewView, type View, type ViewFormat } from './moderation-view.js';
import { adminText } from './text.js';

export interface ModerationDeps {
  auth: AuthHttp;
  service: CommunitySubtitles;
  layout: Layout;
  timeZone: string;
  now?: () => Date;
}

interface Visit {
  req: IncomingMessage;
  res: ServerResponse;
  ctx: RequestContext;
  session: Session;
  m: ModerationText;
  f: ViewFormat;
}

const DONE = ['approved', 'rejected', 'banned', 'lifted'] as const;
type Done = (typeof DONE)[number];

export class Moderation {
  // The dashboard's stylesheet, at its content-hashed URL (the dashboard serves it).
  private readonly assets = new AdminAssets();
  private readonly now: () => Date;

  constructor(private readonly d: ModerationDeps) {
    this.now = d.now ?? (() => new Date());
  }

  register(web: WebServer): void {
    this.page(web, '/admin/moderation', (v) => this.queue(v));
    this.page(web, '/admin/moderation/:id', (v, m) => this.review(v, m));
    web.addRoute('GET', '/admin/moderation/:id/candidate.vtt', async (req, res, m) => {
      const v = await this.guard(req, res, m);
      if (v === null) return;
      const d = await this.d.service.get(Number(m.params.id));
      if (d === null) return this.notFound(v);
      res.setHeader('Cache-Control', 'no-store');
      if (!(await sendFile(req, res, this.d.service.candidatePath(d), VTT_TYPE))) this.notFound(v);
    });
    this.form(web, '/admin/moderation/:id/approve', (v, _f, m) => this.decide(v, m, 'approved', null));
    this.form(web, '/admin/moderation/:id/reject', (v, f, m) =>
      this.decide(v, m, 'rejected', f.get('reason') ?? ''),
    );
    this.form(web, '/admin/moderation/:id/ban', (v, f, m) => this.ban(v, m, f.get('reason') ?? ''));
    this.form(web, '/admin/moderation/bans/lift', async (v, f) => {
      await this.d.service.unban(f.get('address') ?? '', actor(v));
      redirect(v.res, '/admin/moderation?done=lifted');
    });
  }

  // ---- the guard ----

  private async guard(req: IncomingMessage, res: ServerResponse, match: RouteMatch): Promise<Visit | null> {
    const session = await this.d.auth.page(req, res, null);
    if (session === null) return null;
    if (session.user.mustChangePassword) {
      redirect(res, `/admin/password?next=${encodeURIComponent(safeNext(req.url ?? null))}`);
      return null;
    }
    const ctx = this.d.layout.context(req, res, match);
    if (ctx === null) return null;
    const v: Visit = {
      req,
      res,
      ctx,
      session,
      m: moderationText[ctx.lang],
      f: { lang: ctx.lang, timeZone: this.d.timeZone },
    };
    if (!session.user.permissions.includes('subtitles')) {
      const a = adminText[ctx.lang];
      this.send(v, 403, {
        title: a.forbiddenTitle,
        main: html`<h1>${a.forbiddenTitle}</h1>
          <p>${a.forbidden(session.user.role)}</p>`,
      });
      return null;
    }
    return v;
  }

  private page(web: WebServer, path: string, fn: (v: Visit, m: RouteMatch) => Promise<void>): void {
    web.addRoute('GET', path, async (req, res, match) => {
      const v = await this.guard(req, res, match);
      if (v !== null) await fn(v, match);
    });
  }

  /** A form POST: the guard, then the form and its CSRF token, before `fn` sees anything. */
  private form(
    web: WebServer,
    path: string,
    fn: (v: Visit, fields: URLSearchParams, m: RouteMatch) => Promise<void>,
  ): void {
    web.addRoute('POST', path, async (req, res, match) => {
      const v = await this.guard(req, res, match);
      if (v === null) return;
      const body = await readFields(req);
      if (body === null || body.json) return this.d.layout.badRequest(res, v.ctx, 'expected a form');
      if (!checkFormCsrf(req, body.fields, v.session)) {
        const a = adminText[v.ctx.lang];
        return this.send(v, 403, {
          title: a.csrfTitle,
          main: html`<h1>${a.csrfTitle}</h1>
            <p>${a.csrf}</p>`,
        });
      }
      await fn(v, body.fields, match);
    });
  }

  // ---- layout ----

  private nav(v: Visit): Markup {
    const a = adminText[v.ctx.lang];
    const s = v.session;
    return html`<nav class="admin" aria-label="${a.navLabel}">
      <ul>
        ${s.user.permissions.includes('stats') && html`<li><a href="/admin/">${v.m.dashboard}</a></li>`}
        <li><a href="/admin/moderation" aria-current="page">${v.m.moderation}</a></li>
        <li><a href="/admin/password">${a.password}</a></li>
        <li>
          <form class="inline" method="post" action="/admin/logout">
            <input type="hidden" name="csrf" value="${s.csrfToken}" />
            <button type="submit" class="link">${a.logout}</button>
          </form>
        </li>
      </ul>
    </nav>`;
  }

  private send(v: Visit, status: number, view: View): void {
    const a = adminText[v.ctx.lang];
    const u = v.session.user;
    this.d.layout.send(v.res, v.ctx, status, {
      title: `${view.title} – ${a.area}`,
      main: view.main,
      nav: this.nav(v),
      home: '/admin/moderation',
      footer: html`<p>${a.area}. ${a.signedInAs(u.name, u.role)} ${a.timesIn(this.d.timeZone)}</p>`,
      cacheControl: 'no-store',
      head: html`<link rel="stylesheet" href="${this.assets.url('admin.css')}" />`,
    });
  }

  private notFound(v: Visit): void {
    const a = adminText[v.ctx.lang];
    this.send(v, 404, {
      title: a.notFoundTitle,
      main: html`<h1>${a.notFoundTitle}</h1>
        <p>${a.notFound}</p>
        <p><a href="/admin/moderation">${v.m.back}</a></p>`,
    });
  }

  private done(v: Visit): string | null {
    const d = v.ctx.query.get('done')?.[0];
    return d !== undefined && (DONE as readonly string[]).includes(d) ? v.m.done[d as Done] : null;
  }

  // ---- pages ----

  private async queue(v: Visit): Promise<void> {
    const s = this.d.service;
    const [pending, recent, bans] = await Promise.all([s.queue(), s.recentDecisions(), s.bans()]);
    this.send(
      v,
      200,
      queueView(v.m, v.f, { pending, recent, bans, csrf: v.session.csrfToken, done: this.done(v) }),
    );
  }

  private async review(
    v: Visit,
    match: RouteMatch,
    error: string | null = null,
    status = 200,
  ): Promise<void> {
    const s = this.d.service;
    const d = await s.get(Number(match.params.id));
    if (d === null) return this.notFound(v);
    const episode = await s.episodeOf(d);
    const playable = episode !== null && isDistributable(episode.rights, episode.withdrawnAt, this.now());
    const video = playable ? (episode.media.find((x) => x.role === 'video') ?? null) : null;
    // The episode's other tracks as viewers get them: official WebVTT and the listed community ones.
    const tracks = playable
      ? episode.subtitles
          .filter((t) => t.format === 'vtt' && (t.kind === 'official' || t.status === 'approved'))
          .filter((t) => t.path !== d.vttPath)
          .map((t) => ({
            language: t.language,
            label:
              t.kind === 'community'
                ? `${languageName(v.ctx.lang, t.language)} (${v.m.byViewers})`
                : languageName(v.ctx.lang, t.language),
            src: `/${t.path}`,
          }))
      : [];
    const { bases, default: def } = await s.diffBases(d, episode);
    const asked = v.ctx.query.get('against')?.[0];
    const base = asked !== undefined && bases.some((b) => b.key === asked) ? asked : def;
    const chosen = bases.find((b) => b.key === base) ?? null;
    // No earlier version: the "diff" against nothing lists every cue, so the text can be read here.
    const diff = chosen === null ? await s.diffAgainstNothing(d) : await s.diff(d, chosen, episode);
    const history = await s.versions(d.episodeId, d.language);
    this.send(
      v,
      status,
      reviewView(v.m, v.f, {
        d,
        csrf: v.session.csrfToken,
        video: video === null ? null : { path: video.path, type: video.mimeType },
        tracks,
        bases,
        base,
        diff,
        history,
        done: this.done(v),
        error,
      }),
    );
  }

  // ---- decisions ----

  private async decide(
    v: Visit,
    m: RouteMatch,
    to: 'approved' | 'rejected',
    reason: string | null,
  ): Promise<void> {
    const id = Number(m.params.id);
    try {
      if (to === 'approved') await this.d.service.approve(id, actor(v));
      else await this.d.service.reject(id, actor(v), reason ?? '');
    } catch (e) {
      if (!(e instanceof ModerationError)) throw e;
      if (e.code === 'not-found') return this.notFound(v);
      const d = (await this.d.service.get(id)) as SubmissionDetail;
      const text = e.code === 'reason-required' ? v.m.reasonRequired : v.m.unchanged(v.m.state[d.status]);
      return this.review(v, m, text, e.code === 'reason-required' ? 422 : 409);
    }
    redirect(v.res, `/admin/moderation/${id}?done=${to}`);
  }

  private async ban(v: Visit, m: RouteMatch, reason: string): Promise<void> {
    const d = await this.d.service.get(Number(m.params.id));
    if (d === null) return this.notFound(v);
    await this.d.service.ban(d.address, actor(v), reason);
    redirect(v.res, '/admin/moderation?done=banned');
  }
}

/** Who moderators are in the audit log: the account, as the dashboard's publishing names it. */
function actor(v: Visit): string {
  return `web:${v.session.user.name}`;
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'no-store');
  res.end();
}

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
import type { ServerResponse } from 'node:http';
import { isDistributable } from '../../catalog/index.js';
import { ModerationError, type CommunitySubtitles, type SubmissionDetail } from '../../subtitles/service.js';
import { html } from '../html.js';
import { languageName } from '../i18n.js';
import type { RequestContext } from '../layout.js';
import type { RouteMatch, WebServer } from '../server.js';
import { VTT_TYPE, sendFile } from '../webseed.js';
import type { AdminPages, Visit as AdminVisit } from './dashboard.js';
import { moderationText, type ModerationText } from './moderation-text.js';
import { queueView, reviewView, type View, type ViewFormat } from './moderation-view.js';
import { adminText } from './text.js';

export interface ModerationDeps {
  /** The admin area's page framework (the dashboard): guard, layout, menu, forms with CSRF. */
  pages: AdminPages;
  service: CommunitySubtitles;
  timeZone: string;
  now?: () => Date;
}

/** A visit that passed the admin guard, with the moderation pages' words and formats. */
interface Visit {
  admin: AdminVisit;
  res: ServerResponse;
  ctx: RequestContext;
  m: ModerationText;
  f: ViewFormat;
  csrf: string;
  user: string;
}

const DONE = ['approved', 'rejected', 'banned', 'lifted'] as const;
type Done = (typeof DONE)[number];

export class Moderation {
  private readonly now: () => Date;

  constructor(private readonly d: ModerationDeps) {
    this.now = d.now ?? (() => new Date());
  }

  register(web: WebServer): void {
    this.page(web, '/admin/moderation', (v) => this.queue(v));
    this.page(web, '/admin/moderation/:id', (v, m) => this.review(v, m));
    this.page(web, '/admin/moderation/:id/candidate.vtt', async (v, m) => {
      const d = await this.d.service.get(Number(m.params.id));
      if (d === null) return this.notFound(v);
      v.res.setHeader('Cache-Control', 'no-store');
      if (!(await sendFile(v.admin.req, v.res, this.d.service.candidatePath(d), VTT_TYPE))) this.notFound(v);
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

  // ---- pages through the admin framework (its guard: session, password, `subtitles`) ----

  private visit(a: AdminVisit): Visit {
    const lang = a.ctx.lang;
    const f = { lang, timeZone: this.d.timeZone };
    const u = a.session.user;
    return {
      admin: a,
      res: a.res,
      ctx: a.ctx,
      m: moderationText[lang],
      f,
      csrf: a.session.csrfToken,
      user: u.name,
    };
  }

  private page(web: WebServer, path: string, fn: (v: Visit, m: RouteMatch) => Promise<void>): void {
    this.d.pages.addPage(web, path, 'subtitles', (a, m) => fn(this.visit(a), m));
  }

  private form(
    web: WebServer,
    path: string,
    fn: (v: Visit, fields: URLSearchParams, m: RouteMatch) => Promise<void>,
  ): void {
    this.d.pages.addForm(web, path, 'subtitles', (a, fields, m) => fn(this.visit(a), fields, m));
  }

  private send(v: Visit, status: number, view: View): void {
    this.d.pages.render(v.admin, status, view);
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
    this.send(v, 200, queueView(v.m, v.f, { pending, recent, bans, csrf: v.csrf, done: this.done(v) }));
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
        csrf: v.csrf,
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
  return `web:${v.user}`;
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'no-store');
  res.end();
}

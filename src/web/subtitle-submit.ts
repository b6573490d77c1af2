/**
 * Community subtitles on the audience site: the contribute form on every episode page, what it
 * posts to, a JSON API for the same, and the status page a submitter follows. No account needed.
 * The rules are the service's (src/subtitles/service.ts); this file reads requests and draws pages.
 *
 *   POST /series/<slug>/s01e02/subtitles   the form (multipart/form-data: language, file, name,
 *                                          licence=accept, website = the honeypot, left empty,
 *                                          token = the form's token, see crossSite())
 *                                          → 303 to the status page, or the refusal with the form again
 *   GET  /series/<slug>/s01e02/subtitles   → 303 to the episode page's form
 *   POST /api/subtitles                    the same as JSON: fields series, season, episode,
 *                                          language, name, licence ("accept"), and the file as
 *                                          `content` (text) or `contentBase64`; or the raw file as
 *                                          the body (text/vtt, application/x-subrip, text/plain,
 *                                          application/octet-stream) with the fields in the query
 *                                          string; or the form's multipart body with series, season
 *                                          and episode fields. → 201 {id, status, statusUrl, statusApi}
 *                                          or {error: CODE, message: ONE LINE}
 *   GET  /subtitle-status/<token>          the submission's status (HTML; no-store, not indexed)
 *   GET  /api/subtitles/<token>            the same as JSON
 *
 * Before any of the body is read: not from another site, submissions open, the address not banned,
 * not over its rate limits nor its caps on pending submissions, and a declared Content-Length within
 * the limit. The body is then read with a hard limit (the file's 512 KiB plus a little for the other
 * fields), so nothing larger is ever held.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthHttp } from '../auth/http.js';
import { addressKey, rangeKey } from '../protocol/address-key.js';
import { FormTokens } from '../subtitles/form-token.js';
import { licenceShort } from '../subtitles/licence.js';
import {
  discardRest,
  fieldText,
  multipartBoundary,
  parseMultipart,
  readBounded,
  type BoundedBody,
} from '../subtitles/multipart.js';
import type { CommunitySubtitles, Refusal, SubmissionStatusView } from '../subtitles/service.js';
import { html, safeUrl, type Markup } from './html.js';
import { formatBytes, formatDateTime, formatDuration, languageName, type Lang } from './i18n.js';
import { setSecurityHeaders, type Layout, type RequestContext } from './layout.js';
import type { EpisodeCommunity } from './pages.js';
import type { RouteMatch, WebServer } from './server.js';
import { parseEpisodeCode, type EpisodeEntry, type SubtitleEntry } from './site-data.js';
import { subtitleText } from './subtitle-text.js';

/** Room for the form's other fields and the multipart framing around the file. */
const FORM_OVERHEAD = 16 * 1024;
const MAX_FIELD_CHARS = 4096;

export interface SubtitleSubmitOptions {
  service: CommunitySubtitles;
  layout: Layout;
  /** For the submitter's address (behind trusted proxies: X-Forwarded-For). */
  auth: Pick<AuthHttp, 'clientAddress'>;
  /** The site's public base URL, for the API's absolute status links. */
  publicWebUrl: string;
  /** The form tokens' key and clock (a random key per process by default). */
  formTokens?: FormTokens;
}

/** What a submission request carried, whichever way it came. */
interface Submitted {
  fields: Map<string, string>;
  file: Buffer | null;
}

/** Values the form shows again after a refusal (never the file). */
interface FormValues {
  language: string;
  name: string;
  licence: boolean;
}

const EMPTY: FormValues = { language: '', name: '', licence: false };

function kib(n: number): string {
  return `${Math.round(n / 1024)} KiB`;
}

/** Where a form is drawn: the episode it submits to, and the request it is drawn for. */
interface FormTarget {
  action: string;
  episodeId: number;
  durationSeconds: number | null;
  viewer: IncomingMessage | undefined;
}

export class SubtitleSubmissions implements EpisodeCommunity {
  private readonly base: string;
  private readonly tokens: FormTokens;

  constructor(private readonly o: SubtitleSubmitOptions) {
    this.base = o.publicWebUrl.replace(/\/+$/, '');
    this.tokens = o.formTokens ?? new FormTokens();
  }

  // ---- on the episode page ----

  credit(lang: Lang, s: SubtitleEntry): string | null {
    if (s.kind !== 'community') return null;
    const path = s.vtt ?? s.srt;
    const c = path === null ? undefined : this.o.service.credit(path);
    return c === undefined ? null : `${subtitleText[lang].translatedBy(c.name)} · ${licenceShort(c.licence)}`;
  }

  section(lang: Lang, e: EpisodeEntry, viewer?: IncomingMessage): Markup {
    const target = {
      action: `${e.path}/subtitles`,
      episodeId: e.episode.id,
      durationSeconds: e.episode.durationSeconds,
      viewer,
    };
    return this.form(lang, target, EMPTY);
  }

  private form(lang: Lang, f: FormTarget, v: FormValues): Markup {
    const t = subtitleText[lang];
    const svc = this.o.service;
    const duration = f.durationSeconds === null ? null : formatDuration(f.durationSeconds);
    const intro = t.contributeIntro(formatBytes(lang, svc.maxBytes), duration);
    if (!svc.open)
      return html`<section id="contribute" aria-labelledby="contribute-heading">
        <h2 id="contribute-heading">${t.contributeHeading}</h2>
        <p>${t.closed}</p>
      </section>`;
    const l = svc.licence;
    const licence =
      l.url === null ? html`${l.name}` : html`<a href="${safeUrl(l.url)}" rel="license">${l.name}</a>`;
    return html`<section id="contribute" aria-labelledby="contribute-heading">
      <h2 id="contribute-heading">${t.contributeHeading}</h2>
      <p>${intro}</p>
      <form method="post" action="${f.action}" enctype="multipart/form-data">
        <input type="hidden" name="token" value="${this.tokens.issue(f.episodeId, this.range(f.viewer))}" />
        <label for="sub-language">${t.language}</label>
        <input
          type="text"
          id="sub-language"
          name="language"
          required
          maxlength="35"
          autocomplete="off"
          spellcheck="false"
          aria-describedby="sub-language-hint"
          value="${v.language}"
        />
        <p class="muted" id="sub-language-hint">${t.languageHint}</p>
        <label for="sub-file">${t.file}</label>
        <input
          type="file"
          id="sub-file"
          name="file"
          required
          accept=".srt,.vtt,text/vtt,application/x-subrip"
          aria-describedby="sub-file-hint"
        />
        <p class="muted" id="sub-file-hint">${t.fileHint}</p>
        <label for="sub-name">${t.name}</label>
        <input
          type="text"
          id="sub-name"
          name="name"
          required
          maxlength="100"
          autocomplete="name"
          aria-describedby="sub-name-hint"
          value="${v.name}"
        />
        <p class="muted" id="sub-name-hint">${t.nameHint}</p>
        <p hidden>
          <label for="sub-website">${t.honeypot}</label>
          <input type="text" id="sub-website" name="website" tabindex="-1" autocomplete="off" />
        </p>
        <label for="sub-licence">
          <input
            type="checkbox"
            id="sub-licence"
            name="licence"
            value="accept"
            required
            ${v.licence && html`checked`}
          />
          ${t.licence} ${licence}.
        </label>
        <p class="notice">${t.addressNotice}</p>
        <p class="actions"><button type="submit" class="button">${t.submit}</button></p>
      </form>
    </section>`;
  }

  // ---- routes ----

  register(web: WebServer): void {
    web.addRoute('POST', '/series/:slug/:code/subtitles', (req, res, m) => this.formPost(req, res, m));
    web.addRoute('GET', '/series/:slug/:code/subtitles', (req, res, m) => {
      res.statusCode = 303;
      res.setHeader('Location', `${m.path.slice(0, -'/subtitles'.length)}#contribute`);
      res.end();
    });
    web.addRoute('POST', '/api/subtitles', (req, res) => this.apiPost(req, res));
    web.addRoute('GET', '/subtitle-status/:token', (req, res, m) => this.statusPage(req, res, m));
    web.addRoute('GET', '/api/subtitles/:token', (req, res, m) => this.statusJson(res, m.params.token));
  }

  /**
   * A browser says where a form or fetch came from; one from another site is refused, so a page
   * elsewhere cannot make its visitors submit (from their addresses, into their rate limits and
   * bans). A plain text or form body needs no CORS preflight, so this is the only guard there is
   * without a cookie. Sec-Fetch-Site says it in every current browser: when it is sent, only
   * `same-origin` is accepted. Origin is also checked when it names a site, but it is "null" for this
   * site's own form too (its pages are sent with `Referrer-Policy: no-referrer`), exactly as for an
   * attacker's sandboxed page: `Origin: null` without Sec-Fetch-Site needs the form's token
   * (tokenRefusal, once the body is read). No Origin and no Sec-Fetch-Site (curl, scripts): allowed,
   * as those act for themselves.
   */
  private crossSite(req: IncomingMessage): Refusal | null {
    const refused: Refusal = {
      ok: false,
      code: 'cross-site',
      reason: 'submissions from other sites are not accepted',
      status: 403,
    };
    const fetchSite = req.headers['sec-fetch-site'];
    if (fetchSite !== undefined && fetchSite !== 'same-origin') return refused;
    const origin = req.headers.origin;
    if (origin === undefined || origin === 'null') return null;
    let host: string | null;
    try {
      host = new URL(origin).host;
    } catch {
      host = null;
    }
    return host !== null && (host === req.headers.host || origin === new URL(this.base).origin)
      ? null
      : refused;
  }

  /**
   * A post that says `Origin: null` and no Sec-Fetch-Site (a browser without Sec-Fetch-*, from this
   * site's form or from anyone's sandboxed page) must carry the token of a form drawn for this
   * episode and the submitter's address range, not older than FORM_TOKEN_TTL_SECONDS.
   */
  private tokenRefusal(req: IncomingMessage, token: string | undefined, episodeId: number): Refusal | null {
    if (req.headers['sec-fetch-site'] !== undefined || req.headers.origin !== 'null') return null;
    if (this.tokens.check(token, episodeId, this.range(req))) return null;
    return {
      ok: false,
      code: 'form-expired',
      reason: 'the form has expired or was not made by this site: submit it again from the form below',
      status: 403,
    };
  }

  private address(req: IncomingMessage): string {
    // An address that is not an IP (a Unix socket behind a proxy) still gets one shared key.
    return addressKey(this.o.auth.clientAddress(req)) ?? 'unknown';
  }

  private range(req: IncomingMessage | undefined): string {
    return req === undefined ? 'unknown' : rangeKey(this.address(req));
  }

  private async formPost(req: IncomingMessage, res: ServerResponse, m: RouteMatch): Promise<void> {
    const ctx = this.o.layout.context(req, res, m);
    if (ctx === null) return discardRest(req);
    const code = parseEpisodeCode(m.params.code);
    const action = m.path;
    const episodePath = action.slice(0, -'/subtitles'.length);
    const svc = this.o.service;
    const episode = code === null ? null : await svc.findEpisode(m.params.slug, code[0], code[1]);
    if (episode === null) {
      discardRest(req);
      return this.o.layout.notFound(res, ctx);
    }
    const target = { action, episodeId: episode.id, durationSeconds: episode.durationSeconds, viewer: req };
    const refusedPage = (r: Refusal, v: FormValues): void =>
      this.refusedPage(req, res, ctx, r, { target, episodePath, values: v });
    const admitted = this.crossSite(req) ?? (await svc.admit(this.address(req)));
    if (admitted !== null) return refusedPage(admitted, EMPTY);
    const got = await this.readMultipart(req);
    if (!('fields' in got)) return refusedPage(got, EMPTY);
    const f = got.fields;
    const values = {
      language: f.get('language') ?? '',
      name: f.get('name') ?? '',
      licence: f.get('licence') === 'accept',
    };
    const forged = this.tokenRefusal(req, f.get('token'), episode.id);
    if (forged !== null) return refusedPage(forged, values);
    const r = await svc.submit({
      seriesSlug: m.params.slug,
      season: episode.season,
      episode: episode.episode,
      language: values.language,
      credit: values.name,
      licenceAccepted: values.licence,
      honeypot: f.get('website') ?? '',
      file: got.file,
      address: this.address(req),
    });
    if (!r.ok) return refusedPage(r, values);
    res.statusCode = 303;
    res.setHeader('Location', `/subtitle-status/${r.token}?new=1`);
    res.setHeader('Cache-Control', 'no-store');
    res.end();
  }

  private async apiPost(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const svc = this.o.service;
    const admitted = this.crossSite(req) ?? (await svc.admit(this.address(req)));
    if (admitted !== null) return this.refusedJson(req, res, admitted);
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    let got: Submitted | Refusal;
    if (type === 'multipart/form-data') got = await this.readMultipart(req);
    else if (type === 'application/json') got = await this.readJson(req);
    else if (['text/vtt', 'application/x-subrip', 'text/plain', 'application/octet-stream'].includes(type))
      got = await this.readRaw(req, query);
    else
      got = badRequest(
        'send the file as multipart/form-data, JSON, or the raw file (text/vtt, application/x-subrip)',
      );
    if (!('fields' in got)) return this.refusedJson(req, res, got);
    const f = got.fields;
    const named = {
      seriesSlug: f.get('series') ?? '',
      season: Number(f.get('season') ?? 'x'),
      episode: Number(f.get('episode') ?? 'x'),
    };
    // An unknown episode is refused by submit(); a known one may need the form's token first.
    const episode = await svc.findEpisode(named.seriesSlug, named.season, named.episode);
    const forged = episode === null ? null : this.tokenRefusal(req, f.get('token'), episode.id);
    if (forged !== null) return this.refusedJson(req, res, forged);
    const r = await svc.submit({
      ...named,
      language: f.get('language') ?? '',
      credit: f.get('name') ?? '',
      licenceAccepted: f.get('licence') === 'accept',
      honeypot: f.get('website') ?? '',
      file: got.file,
      address: this.address(req),
    });
    if (!r.ok) return this.refusedJson(req, res, r);
    const statusUrl = `${this.base}/subtitle-status/${r.token}`;
    res.setHeader('Location', statusUrl);
    sendJson(res, 201, {
      id: r.id,
      status: 'pending',
      statusUrl,
      statusApi: `${this.base}/api/subtitles/${r.token}`,
    });
  }

  // ---- reading bodies ----

  private tooLarge(): Refusal {
    const limit = kib(this.o.service.maxBytes);
    return {
      ok: false,
      code: 'too-large',
      reason: `the file is larger than the limit of ${limit}`,
      status: 413,
    };
  }

  private bodyRefusal(b: BoundedBody & { ok: false }): Refusal {
    return b.tooLarge ? this.tooLarge() : badRequest('the upload did not arrive whole');
  }

  private async readMultipart(req: IncomingMessage): Promise<Submitted | Refusal> {
    const boundary = multipartBoundary(req.headers['content-type']);
    if (boundary === null) return badRequest('the form must be sent as multipart/form-data');
    const body = await readBounded(req, this.o.service.maxBytes + FORM_OVERHEAD);
    if (!body.ok) return this.bodyRefusal(body);
    const parsed = parseMultipart(body.body, boundary);
    if (!parsed.ok) return badRequest(parsed.reason);
    const fields = new Map<string, string>();
    let file: Buffer | null = null;
    for (const p of parsed.parts) {
      if (p.name === 'file' && p.filename !== null) {
        if (file !== null) return badRequest('more than one file');
        // A file input left empty sends an empty part with an empty file name.
        file = p.data.length === 0 && p.filename === '' ? null : p.data;
        continue;
      }
      if (p.filename !== null) continue; // other files are not read
      const text = fieldText(p, MAX_FIELD_CHARS);
      if (text === null)
        return badRequest(`the field "${p.name.slice(0, 40)}" is not UTF-8 text or too long`);
      if (fields.has(p.name)) return badRequest(`the field "${p.name.slice(0, 40)}" was sent twice`);
      fields.set(p.name, text);
    }
    return { fields, file };
  }

  private async readJson(req: IncomingMessage): Promise<Submitted | Refusal> {
    // Base64 is 4/3 of the file; JSON escapes can make text longer too: the file's own limit is
    // checked after decoding (validateSubtitle), this one only bounds what is read.
    const body = await readBounded(req, Math.ceil((this.o.service.maxBytes * 4) / 3) + 2 * FORM_OVERHEAD);
    if (!body.ok) return this.bodyRefusal(body);
    let v: unknown;
    try {
      v = JSON.parse(body.body.toString('utf8'));
    } catch {
      return badRequest('the body is not JSON');
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v))
      return badRequest('the body is not a JSON object');
    const fields = new Map<string, string>();
    let file: Buffer | null = null;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'content') {
        if (typeof x !== 'string') return badRequest('content must be the file as text');
        file = Buffer.from(x, 'utf8');
      } else if (k === 'contentBase64') {
        if (typeof x !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(x) || x.length % 4 !== 0)
          return badRequest('contentBase64 must be the file in base64');
        file = Buffer.from(x, 'base64');
      } else if (k === 'licence' && x === true) fields.set(k, 'accept');
      else if (typeof x === 'string' || typeof x === 'number')
        fields.set(k, String(x).slice(0, MAX_FIELD_CHARS));
    }
    return { fields, file };
  }

  private async readRaw(req: IncomingMessage, query: URLSearchParams): Promise<Submitted | Refusal> {
    // One byte over the limit is enough to know it is too large; the library words the refusal.
    const body = await readBounded(req, this.o.service.maxBytes);
    if (!body.ok) return this.bodyRefusal(body);
    const fields = new Map<string, string>();
    for (const [k, x] of query) if (!fields.has(k)) fields.set(k, x.slice(0, MAX_FIELD_CHARS));
    return { fields, file: body.body };
  }

  // ---- answers ----

  private refusedPage(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: RequestContext,
    r: Refusal,
    f: { target: FormTarget; episodePath: string; values: FormValues },
  ): void {
    discardRest(req);
    const t = subtitleText[ctx.lang];
    if (r.retryAfter !== undefined) res.setHeader('Retry-After', String(r.retryAfter));
    this.o.layout.send(res, { ...ctx, rememberLang: false }, r.status, {
      title: t.refusedTitle,
      cacheControl: 'no-store',
      main: html`<h1>${t.refusedTitle}</h1>
        <p class="notice" role="alert" id="refusal" data-code="${r.code}">${t.refused} ${r.reason}</p>
        <p><a href="${f.episodePath}">${t.backToEpisode}</a></p>
        ${
          r.code !== 'banned' &&
          r.code !== 'closed' &&
          r.code !== 'cross-site' &&
          r.code !== 'rate-limited' &&
          r.code !== 'too-many-pending' &&
          html`<p>${t.tryAgain}</p>
            ${this.form(ctx.lang, f.target, f.values)}`
        }`,
    });
  }

  private refusedJson(req: IncomingMessage, res: ServerResponse, r: Refusal): void {
    discardRest(req);
    if (r.retryAfter !== undefined) res.setHeader('Retry-After', String(r.retryAfter));
    sendJson(res, r.status, { error: r.code, message: r.reason });
  }

  private async statusPage(req: IncomingMessage, res: ServerResponse, m: RouteMatch): Promise<void> {
    const ctx = this.o.layout.context(req, res, m);
    if (ctx === null) return;
    const s = await this.o.service.statusByToken(m.params.token);
    if (s === null) return this.o.layout.notFound(res, ctx);
    const t = subtitleText[ctx.lang];
    const fresh = ctx.query.get('new')?.[0] === '1';
    const ep = s.episode;
    const pad = (n: number) => String(n).padStart(2, '0');
    const episodePath = `/series/${encodeURIComponent(ep.seriesSlug)}/s${pad(ep.season)}e${pad(ep.episode)}`;
    const when = (d: Date) => html`<time datetime="${d.toISOString()}">${formatDateTime(ctx.lang, d)}</time>`;
    this.o.layout.send(res, ctx, 200, {
      title: t.statusTitle,
      cacheControl: 'no-store',
      head: html`<meta name="robots" content="noindex" />`,
      main: html`<h1>${t.statusTitle}</h1>
        ${
          fresh &&
          html`<p class="notice" role="status">${t.thanks}</p>
            <p>${t.keepLink}</p>`
        }
        <dl class="facts">
          <dt>${t.status}</dt>
          <dd id="submission-status" data-status="${s.status}">${t.state[s.status]}</dd>
          ${
            s.reason !== null &&
            s.status === 'rejected' &&
            html`<dt>${t.reason}</dt>
              <dd>${s.reason}</dd>`
          }
          <dt>${t.episode}</dt>
          <dd>
            <a href="${episodePath}">${ep.seriesTitle} S${pad(ep.season)}E${pad(ep.episode)}: ${ep.title}</a>
          </dd>
          <dt>${t.language}</dt>
          <dd>${languageName(ctx.lang, s.language)} (<code>${s.language}</code>)</dd>
          <dt>${t.credit}</dt>
          <dd>${s.credit}</dd>
          <dt>${t.licenceUsed}</dt>
          <dd>${licenceShort(s.licence)}</dd>
          <dt>${t.submitted}</dt>
          <dd>${when(s.createdAt)}</dd>
          ${
            s.decidedAt &&
            html`<dt>${t.decided}</dt>
              <dd>${when(s.decidedAt)}</dd>`
          }
        </dl>
        <p><a href="${episodePath}">${t.seeEpisode}</a></p>`,
    });
  }

  private async statusJson(res: ServerResponse, token: string): Promise<void> {
    const s = await this.o.service.statusByToken(token);
    if (s === null) return sendJson(res, 404, { error: 'not-found', message: 'no submission has this link' });
    sendJson(res, 200, statusBody(s));
  }
}

function statusBody(s: SubmissionStatusView): Record<string, unknown> {
  return {
    id: s.id,
    status: s.status,
    language: s.language,
    credit: s.credit,
    licence: s.licence,
    submittedAt: s.createdAt.toISOString(),
    decidedAt: s.decidedAt?.toISOString() ?? null,
    reason: s.status === 'rejected' ? s.reason : null,
    episode: s.episode,
  };
}

function badRequest(reason: string): Refusal {
  return { ok: false, code: 'bad-request', reason, status: 400 };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  setSecurityHeaders(res);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.setHeader('Cache-Control', 'no-store');
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

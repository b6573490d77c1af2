/**
 * The shell every HTML page of fjord shares (audience pages now; the admin area and subtitle
 * moderation later): the document, header, language switch, footer; the security headers; strict
 * query strings; and the per-request context (language, path).
 *
 *   const layout = new Layout({ siteName: 'fjord', stylesheet: assets.url('site.css'), icon: assets.url('icon.svg') });
 *   web.addRoute('GET', '/admin', (req, res, match) => {
 *     const ctx = layout.context(req, res, match);       // null: a 400 page was sent
 *     if (ctx === null) return;
 *     const main = html`<h1>${text[ctx.lang].title}</h1>`;
 *     layout.send(res, ctx, 200, { title: text[ctx.lang].title, main });
 *   });
 *
 * Every page gets a Content-Security-Policy that allows only this origin's scripts, styles, images
 * and workers and no inline code (page JavaScript lives in served .js files), plus nosniff,
 * no-referrer and frame-ancestors 'none'. A page that connects elsewhere (the player: the WebSocket
 * tracker, a web seed on another host) names those origins in `csp.connect` / `csp.media`.
 *
 * Pages work without JavaScript: links and forms only; scripts are modules that enhance.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { html, raw, type Markup } from './html.js';
import {
  LANGUAGE_NAMES,
  LANGUAGES,
  chooseLanguage,
  defineMessages,
  isLang,
  languageCookie,
  type Lang,
} from './i18n.js';
import type { RouteMatch } from './server.js';

/** Extra sources a page needs beyond its own origin. */
export interface CspExtras {
  /** fetch/WebSocket targets: WebSocket tracker URLs, web seeds on other hosts. */
  connect?: string[];
  /** Media sources other than this origin and blob: (a web seed on another host). */
  media?: string[];
}

/** The origin part of a URL as a CSP source expression (`ws://host:port`), or null if it is not a URL. */
export function cspSource(url: string): string | null {
  try {
    const u = new URL(url);
    if (!/^(https?|wss?):$/.test(u.protocol)) return null;
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}

export function contentSecurityPolicy(extra: CspExtras = {}): string {
  const list = (xs: string[] | undefined): string =>
    [...new Set((xs ?? []).map(cspSource).filter((s): s is string => s !== null))]
      .map((s) => ` ${s}`)
      .join('');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `media-src 'self' blob:${list(extra.media)}`,
    `connect-src 'self'${list(extra.connect)}`,
    // WebTorrent streams into <video> through a service worker served by fjord.
    "worker-src 'self'",
    "manifest-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** For responses that are not pages (feeds, JSON, files): nothing may run or be framed. */
export const NON_PAGE_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox";

/** The headers every response of the audience and admin parts carries. */
export function setSecurityHeaders(res: ServerResponse, csp: string = NON_PAGE_CSP): void {
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
}

/**
 * A query string, strictly: `k=v&k2=v2`, `+` as space, percent-escapes that decode as UTF-8.
 * Returns null when it does not decode (a malformed query string is a 400, not a guess).
 */
export function parseQuery(raw: string): Map<string, string[]> | null {
  const out = new Map<string, string[]>();
  if (raw === '') return out;
  if (raw.length > 2048) return null;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const i = part.indexOf('=');
    const k = i < 0 ? part : part.slice(0, i);
    const v = i < 0 ? '' : part.slice(i + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(k.replace(/\+/g, ' '));
      value = decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      return null;
    }
    // eslint-disable-next-line no-control-regex
    if (key === '' || /[\u0000-\u001f\u007f]/.test(key + value)) return null;
    const list = out.get(key);
    if (list) list.push(value);
    else out.set(key, [value]);
  }
  return out;
}

export interface RequestContext {
  lang: Lang;
  /** The raw request path (no query). */
  path: string;
  query: Map<string, string[]>;
  /** Set when the viewer switched language with ?lang=: the response remembers it in a cookie. */
  rememberLang: boolean;
}

export interface LayoutOptions {
  siteName: string;
  /** URL of the site's stylesheet (served by fjord, content-hashed). */
  stylesheet: string;
  /** URL of the site icon (SVG, served by fjord). */
  icon: string;
  /** More stylesheets after the first (the brand's colours). */
  stylesheets?: string[];
  /** The operator's logo, shown in the header with the site name as its text alternative. */
  logo?: { src: string; width: number; height: number } | null;
  /** The footer's text (config footerText); null: fjord's line. */
  footerText?: string | null;
  /** A search box in the header (GET `action`?q=), on pages that use the default navigation. */
  search?: { action: string };
}

export interface PageInput {
  /** The document title (the site name is appended). */
  title: string;
  main: Markup;
  /** Extra elements for <head> (feed autodiscovery links...). */
  head?: Markup;
  /** Module scripts (URLs on this site) loaded at the end of the page. */
  scripts?: string[];
  csp?: CspExtras;
  /** Replaces the default navigation (home, about). */
  nav?: Markup;
  /** Replaces the default footer text (the admin area has its own). */
  footer?: Markup;
  /** Where the site name in the header links to (default: the home page). */
  home?: string;
  /** Cache-Control (default no-cache); the admin area's pages are `no-store`. */
  cacheControl?: string;
  /** The search box's text (the search results page). */
  query?: string;
}

const chrome = defineMessages<{
  skip: string;
  home: string;
  about: string;
  language: string;
  mainNav: string;
  footer: string;
  badRequestTitle: string;
  badRequest: (reason: string) => string;
  notFoundTitle: string;
  notFound: string;
  backHome: string;
  search: string;
  searchButton: string;
}>({
  nb: {
    skip: 'Hopp til innholdet',
    home: 'Forside',
    about: 'Om tjenesten og personvern',
    language: 'Språk',
    mainNav: 'Hovedmeny',
    footer: 'Delt med BitTorrent: seerne deler episodene med hverandre.',
    badRequestTitle: 'Ugyldig forespørsel',
    badRequest: (r) => `Adressen kan ikke leses: ${r}.`,
    notFoundTitle: 'Fant ikke siden',
    notFound: 'Her er det ingenting, eller episoden er ikke tilgjengelig lenger.',
    backHome: 'Til forsiden',
    search: 'Søk i programmene',
    searchButton: 'Søk',
  },
  en: {
    skip: 'Skip to content',
    home: 'Home',
    about: 'About and privacy',
    language: 'Language',
    mainNav: 'Main menu',
    footer: 'Shared with BitTorrent: viewers share the episodes with each other.',
    badRequestTitle: 'Bad request',
    badRequest: (r) => `The address cannot be read: ${r}.`,
    notFoundTitle: 'Page not found',
    notFound: 'There is nothing here, or the episode is no longer available.',
    backHome: 'Go to the home page',
    search: 'Search the programmes',
    searchButton: 'Search',
  },
});

export class Layout {
  constructor(readonly options: LayoutOptions) {}

  /**
   * The request's context: strict query string, language (?lang=, cookie, Accept-Language). On a
   * malformed query string or an unknown ?lang= it sends a 400 page and returns null.
   */
  context(req: IncomingMessage, res: ServerResponse, match: RouteMatch): RequestContext | null {
    const query = parseQuery(match.query);
    const langParam = query?.get('lang');
    const bad =
      query === null
        ? 'malformed query string'
        : langParam !== undefined && (langParam.length !== 1 || !isLang(langParam[0]))
          ? `lang must be one of ${LANGUAGES.join(', ')}`
          : null;
    const choice = chooseLanguage({
      query: bad === null && langParam !== undefined ? (langParam[0] as Lang) : null,
      cookie: req.headers.cookie,
      acceptLanguage: req.headers['accept-language'],
    });
    const ctx: RequestContext = {
      lang: choice.lang,
      path: match.path,
      query: query ?? new Map(),
      rememberLang: choice.source === 'query',
    };
    if (bad !== null) {
      this.badRequest(res, ctx, bad);
      return null;
    }
    return ctx;
  }

  /** A context for responses outside any route (the not-found page). */
  bareContext(req: IncomingMessage): RequestContext {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const choice = chooseLanguage({
      query: null,
      cookie: req.headers.cookie,
      acceptLanguage: req.headers['accept-language'],
    });
    return {
      lang: choice.lang,
      path: q < 0 ? target : target.slice(0, q),
      query: new Map(),
      rememberLang: false,
    };
  }

  render(ctx: RequestContext, page: PageInput): Markup {
    const m = chrome[ctx.lang];
    const o = this.options;
    const nav =
      page.nav ??
      html`<nav aria-label="${m.mainNav}">
        <ul>
          <li><a href="/">${m.home}</a></li>
          <li><a href="/about">${m.about}</a></li>
        </ul>
      </nav>`;
    // The switch links to the same page with ?lang=: a query-only URL resolves against this path.
    const switcher = html`<nav class="lang" aria-label="${m.language}">
      <ul>
        ${LANGUAGES.map((l) =>
          l === ctx.lang
            ? html`<li>
                <a href="?lang=${l}" lang="${l}" hreflang="${l}" aria-current="true">${LANGUAGE_NAMES[l]}</a>
              </li>`
            : html`<li><a href="?lang=${l}" lang="${l}" hreflang="${l}">${LANGUAGE_NAMES[l]}</a></li>`,
        )}
      </ul>
    </nav>`;
    return html`${raw('<!doctype html>')}
      <html lang="${ctx.lang}">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta name="referrer" content="no-referrer" />
          <title>${page.title} – ${o.siteName}</title>
          <link rel="stylesheet" href="${o.stylesheet}" />
          ${(o.stylesheets ?? []).map((href) => html`<link rel="stylesheet" href="${href}" />`)}
          <link rel="icon" href="${o.icon}" type="image/svg+xml" />
          ${page.head}
        </head>
        <body>
          <a class="skip" href="#main">${m.skip}</a>
          <header class="site">
            <p class="brand">
              <a href="${page.home ?? '/'}"
                >${
                  o.logo
                    ? html`<img
                        src="${o.logo.src}"
                        alt="${o.siteName}"
                        width="${o.logo.width}"
                        height="${o.logo.height}"
                      />`
                    : o.siteName
                }</a
              >
            </p>
            ${nav}
            ${
              !page.nav &&
              o.search &&
              html`<form class="search" role="search" action="${o.search.action}" method="get">
                <label for="site-search" class="visually-hidden">${m.search}</label>
                <input id="site-search" type="search" name="q" maxlength="200" value="${page.query ?? ''}" />
                <button type="submit" class="button secondary">${m.searchButton}</button>
              </form>`
            }
            ${switcher}
          </header>
          <main id="main" tabindex="-1">${page.main}</main>
          <footer class="site">
            ${page.footer ?? html`<p>${o.footerText ?? m.footer} <a href="/about#privacy">${m.about}</a></p>`}
          </footer>
          ${(page.scripts ?? []).map((s) => html`<script type="module" src="${s}"></script> `)}
        </body>
      </html> `;
  }

  /** Sends a page with the security headers (GET and HEAD). */
  send(res: ServerResponse, ctx: RequestContext, status: number, page: PageInput): void {
    const body = Buffer.from(this.render(ctx, page).value);
    setSecurityHeaders(res, contentSecurityPolicy(page.csp));
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Length', body.length);
    res.setHeader('Content-Language', ctx.lang);
    // Pages carry live figures and depend on the language choice.
    res.setHeader('Cache-Control', page.cacheControl ?? 'no-cache');
    res.setHeader('Vary', 'Accept-Language, Cookie');
    if (ctx.rememberLang) res.setHeader('Set-Cookie', languageCookie(ctx.lang));
    res.end(res.req?.method === 'HEAD' ? undefined : body);
  }

  notFound(res: ServerResponse, ctx: RequestContext): void {
    const m = chrome[ctx.lang];
    this.send(res, ctx, 404, {
      title: m.notFoundTitle,
      main: html`<h1>${m.notFoundTitle}</h1>
        <p>${m.notFound}</p>
        <p><a href="/">${m.backHome}</a></p>`,
    });
  }

  badRequest(res: ServerResponse, ctx: RequestContext, reason: string): void {
    const m = chrome[ctx.lang];
    this.send(res, { ...ctx, rememberLang: false }, 400, {
      title: m.badRequestTitle,
      main: html`<h1>${m.badRequestTitle}</h1>
        <p>${m.badRequest(reason)}</p>
        <p><a href="/">${m.backHome}</a></p>`,
    });
  }
}

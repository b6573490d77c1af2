/**
 * The catalogue on the dashboard (issue 17): every series and episode with its state, and the
 * actions that fit it, as `fjord episode ...` and `fjord series ...` offer them:
 *
 *   /admin/catalogue                          publish  series and episodes, states, action buttons
 *   /admin/catalogue/episodes/<id>            publish  edit title, description, credits (POST: save)
 *   /admin/catalogue/episodes/<id>/unpublish  publish  POST: withdraw
 *   /admin/catalogue/episodes/<id>/restore    publish  POST: distribute again as its rights allow
 *   /admin/catalogue/episodes/<id>/delete     publish  POST: remove a never-distributed episode and its files
 *   /admin/catalogue/series/<slug>            publish  edit title and description (POST: save)
 *   /admin/catalogue/reissue                  publish  POST: rewrite the torrents' addresses
 *
 * When torrents carry other trackers or another web seed than the public addresses configured now
 * (made before `publicTrackerUrls`/`publicWebUrl` were set or changed), the list says how many and
 * offers to reissue them, as `fjord torrent reissue` does (src/publish/reissue-torrents.ts): the
 * info hashes stay.
 *
 * Every change is one audited catalog write (actor `web:<user>`) through the catalog's write path;
 * the running server's catalog sync shows it on pages and feeds within a second. A refusal (an
 * empty title, deleting an episode that was distributed) comes back as a one-line error.
 */
import { resolve } from 'node:path';
import {
  CatalogError,
  episodeActions,
  episodeState,
  neverDistributed,
  type Catalog,
  type Episode,
  type EpisodeState,
  type Explanation,
  type Series,
} from '../../catalog/index.js';
import { deleteEpisodeAndFiles } from '../../publish/catalogue.js';
import { reissueTorrents, type PublicAddresses } from '../../publish/reissue-torrents.js';
import { minuteIn } from '../../reports/party-report.js';
import type { WebServer } from '../server.js';
import { html, type Markup } from '../html.js';
import type { Lang } from '../i18n.js';
import type { Dashboard, Visit } from './dashboard.js';
import { episodeCode } from './text.js';

const TEXT = {
  en: {
    nav: 'Catalogue',
    title: 'Catalogue',
    series: 'Series',
    episode: 'Episode',
    state: 'State',
    actions: 'Actions',
    edit: 'Edit',
    unpublish: 'Unpublish',
    restore: 'Restore',
    delete: 'Delete',
    save: 'Save',
    titleField: 'Title',
    description: 'Description',
    credits: 'Credits (one a line, in order)',
    editEpisode: 'Edit episode',
    editSeries: 'Edit series',
    hashNote: 'The torrent and its info hashes do not change.',
    deleteNote: 'Never distributed: deleting removes it and its files, and frees its number.',
    states: {
      distributing: 'distributing',
      scheduled: 'scheduled',
      blocked: 'blocked by rights (not cleared)',
      expired: 'window closed',
      withdrawn: 'withdrawn',
    } satisfies Record<EpisodeState, string>,
    never: 'never distributed',
    done: 'Saved.',
    none: 'No episodes yet.',
    outdated: (n: number, trackers: string, web: string) =>
      `${n} ${n === 1 ? 'torrent carries' : 'torrents carry'} other addresses than the public ones now configured (trackers ${trackers}; web ${web}). Reissuing rewrites their trackers and web seed; the info hashes do not change.`,
    reissue: 'Reissue the torrents',
    reissued: (n: number) => `${n} ${n === 1 ? 'torrent' : 'torrents'} reissued with the public addresses.`,
  },
  nb: {
    nav: 'Katalog',
    title: 'Katalog',
    series: 'Serie',
    episode: 'Episode',
    state: 'Status',
    actions: 'Handlinger',
    edit: 'Rediger',
    unpublish: 'Avpubliser',
    restore: 'Gjenopprett',
    delete: 'Slett',
    save: 'Lagre',
    titleField: 'Tittel',
    description: 'Beskrivelse',
    credits: 'Kreditering (én per linje, i rekkefølge)',
    editEpisode: 'Rediger episode',
    editSeries: 'Rediger serie',
    hashNote: 'Torrenten og info-hashene endres ikke.',
    deleteNote: 'Aldri distribuert: sletting fjerner den og filene, og frigjør nummeret.',
    states: {
      distributing: 'distribueres',
      scheduled: 'planlagt',
      blocked: 'stoppet av rettigheter (ikke klarert)',
      expired: 'vinduet er lukket',
      withdrawn: 'trukket tilbake',
    } satisfies Record<EpisodeState, string>,
    never: 'aldri distribuert',
    done: 'Lagret.',
    none: 'Ingen episoder ennå.',
    outdated: (n: number, trackers: string, web: string) =>
      `${n} ${n === 1 ? 'torrent har' : 'torrenter har'} andre adresser enn de offentlige som er satt nå (trackere ${trackers}; web ${web}). Å utstede dem på nytt skriver om trackere og webseed; infohashene endres ikke.`,
    reissue: 'Utsted torrentene på nytt',
    reissued: (n: number) =>
      `${n} ${n === 1 ? 'torrent' : 'torrenter'} utstedt på nytt med de offentlige adressene.`,
  },
} as const;

type Text = (typeof TEXT)[Lang];

export interface CatalogueDeps {
  catalog: Catalog;
  config: PublicAddresses;
  /** For the times in "why not" (the timeZone setting). */
  timeZone: string;
}

const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}" />`;
const base = '/admin/catalogue';

function button(action: string, label: string, csrf: string): Markup {
  return html`<form class="inline" method="post" action="${action}">
    ${csrfField(csrf)}<button type="submit" class="link">${label}</button>
  </form>`;
}

/** What blocks an episode, or when and why it ends (issue 14): a second line under its state. */
function whyNot(x: Explanation | undefined, fmt: (d: Date) => string): Markup | '' {
  if (x === undefined) return '';
  if (x.distributable)
    return x.ends ? html`<br /><small class="why">ends ${fmt(x.ends.at)} ${x.ends.because}</small>` : '';
  return x.blockers.length > 0
    ? html`<br /><small class="why">blocked by: ${x.blockers.join('; ')}</small>`
    : '';
}

function listView(
  t: Text,
  csrf: string,
  series: Series[],
  episodes: Episode[],
  notice: string | null,
  outdated: { count: number; addresses: PublicAddresses },
  why: Map<number, Explanation>,
  fmt: (d: Date) => string,
): Markup {
  const now = new Date();
  const rows = episodes.map((e) => {
    const a = episodeActions(e, now);
    const path = `${base}/episodes/${e.id}`;
    const state = t.states[episodeState(e, now)] + (neverDistributed(e, now) ? `, ${t.never}` : '');
    return html`<tr id="episode-${e.id}">
      <td>${e.seriesTitle}</td>
      <td>${episodeCode(e.season, e.episode)} ${e.title}</td>
      <td class="state">${state}${whyNot(why.get(e.id), fmt)}</td>
      <td>
        <a href="${path}">${t.edit}</a>
        ${a.unpublish && button(`${path}/unpublish`, t.unpublish, csrf)}
        ${a.restore && button(`${path}/restore`, t.restore, csrf)}
        ${a.delete && button(`${path}/delete`, t.delete, csrf)}
      </td>
    </tr>`;
  });
  return html`<h1>${t.title}</h1>
    ${notice && html`<p class="notice" role="status" id="catalogue-notice">${notice}</p>`}
    ${
      outdated.count > 0 &&
      html`<div class="notice" id="reissue-offer">
        <p>
          ${t.outdated(
            outdated.count,
            outdated.addresses.publicTrackerUrls.join(' ') || '-',
            outdated.addresses.publicWebUrl,
          )}
        </p>
        ${button(`${base}/reissue`, t.reissue, csrf)}
      </div>`
    }
    <h2>${t.series}</h2>
    <ul id="series">
      ${series.map((s) => html`<li>${s.title} (<code>${s.slug}</code>) <a href="${base}/series/${s.slug}">${t.edit}</a></li>`)}
    </ul>
    ${
      episodes.length === 0
        ? html`<p>${t.none}</p>`
        : html`<table id="episodes">
            <thead>
              <tr>
                <th scope="col">${t.series}</th>
                <th scope="col">${t.episode}</th>
                <th scope="col">${t.state}</th>
                <th scope="col">${t.actions}</th>
              </tr>
            </thead>
            <tbody>
              ${rows}
            </tbody>
          </table>`
    }`;
}

function editForm(
  t: Text,
  csrf: string,
  heading: string,
  action: string,
  fields: { title: string; description: string; credits?: string[] },
  error: string | null,
  note: string,
): Markup {
  return html`<h1>${heading}</h1>
    ${error && html`<p class="error" role="alert" id="edit-error">${error}</p>`}
    <form method="post" action="${action}" class="edit">
      ${csrfField(csrf)}
      <label for="title">${t.titleField}</label>
      <input type="text" id="title" name="title" value="${fields.title}" required />
      <label for="description">${t.description}</label>
      <textarea id="description" name="description" rows="4">${fields.description}</textarea>
      ${
        fields.credits !== undefined &&
        html`<label for="credits">${t.credits}</label>
          <textarea id="credits" name="credits" rows="3">${fields.credits.join('\n')}</textarea>`
      }
      <p class="hint">${note}</p>
      <p><button type="submit" class="button">${t.save}</button></p>
    </form>`;
}

const lines = (s: string): string[] =>
  s
    .split(/\r?\n/)
    .map((x) => x.trim())
    .filter((x) => x !== '');

/** Adds the catalogue pages to the dashboard (its guard, layout, CSRF check and navigation). */
export function registerCatalogue(dashboard: Dashboard, web: WebServer, d: CatalogueDeps): void {
  dashboard.addNav({ path: base, label: { nb: TEXT.nb.nav, en: TEXT.en.nav }, permission: 'publish' });
  const t = (v: Visit): Text => TEXT[v.ctx.lang];
  const who = (v: Visit) => `web:${v.session.user.name}`;
  const render = (v: Visit, status: number, main: Markup, title: string) =>
    dashboard.render(v, status, { title, main });
  /** The episode of /admin/catalogue/episodes/<id>[/...], or null after a 404 page. */
  const byId = async (v: Visit): Promise<Episode | null> => {
    const id = v.ctx.path.split('/')[4] ?? '';
    const e = /^\d{1,15}$/.test(id) ? await d.catalog.getEpisodeById(Number(id)) : null;
    if (e === null)
      render(
        v,
        404,
        html`<h1>404</h1>
          <p>No such episode.</p>`,
        '404',
      );
    return e;
  };
  /** After a change: back to the list (303, so a reload does not post again). */
  const saved = (v: Visit) => {
    v.res.writeHead(303, { location: `${base}?saved=1`, 'cache-control': 'no-store' });
    v.res.end();
  };
  const list = async (v: Visit, status: number, notice: string | null) => {
    const [series, episodes] = await Promise.all([d.catalog.listSeries(), d.catalog.listEpisodes()]);
    // What a reissue would rewrite: read from the .torrent files, nothing written. One that cannot
    // be read (or is not the catalogued torrent) is left out of the count: the CLI names it.
    let count = 0;
    try {
      const found = await reissueTorrents(d.catalog, d.config, episodes, {
        dryRun: true,
        actor: who(v),
        onUnreadable: () => {},
      });
      count = found.length;
    } catch {
      count = 0;
    }
    const fmt = minuteIn(d.timeZone);
    const why = await d.catalog.contracts.explainAll(episodes, new Date(), fmt);
    render(
      v,
      status,
      listView(t(v), v.session.csrfToken, series, episodes, notice, { count, addresses: d.config }, why, fmt),
      t(v).title,
    );
  };
  const episodeForm = (v: Visit, e: Episode, status: number, error: string | null, f?: URLSearchParams) =>
    render(
      v,
      status,
      editForm(
        t(v),
        v.session.csrfToken,
        `${t(v).editEpisode}: ${e.seriesTitle} ${episodeCode(e.season, e.episode)}`,
        `${base}/episodes/${e.id}`,
        {
          title: f?.get('title') ?? e.title,
          description: f?.get('description') ?? e.description ?? '',
          credits: f ? lines(f.get('credits') ?? '') : e.rights.holders,
        },
        error,
        t(v).hashNote,
      ),
      t(v).editEpisode,
    );
  /** Runs a catalog change; a CatalogError is the user's to fix and comes back as one line. */
  const attempt = async (fn: () => Promise<unknown>): Promise<string | null> => {
    try {
      await fn();
      return null;
    } catch (e) {
      if (e instanceof CatalogError) return e.message;
      throw e;
    }
  };

  dashboard.addPage(web, base, 'publish', (v) => {
    const n = Number(v.ctx.query.get('reissued') ?? 'NaN');
    const notice = v.ctx.query.has('saved') ? t(v).done : Number.isSafeInteger(n) ? t(v).reissued(n) : null;
    return list(v, 200, notice);
  });
  dashboard.addForm(web, `${base}/reissue`, 'publish', async (v) => {
    let done;
    try {
      done = await reissueTorrents(d.catalog, d.config, await d.catalog.listEpisodes(), {
        dryRun: false,
        actor: who(v),
        onUnreadable: () => {},
      });
    } catch (e) {
      return list(v, 422, e instanceof Error ? e.message : String(e));
    }
    v.res.writeHead(303, { location: `${base}?reissued=${done.length}`, 'cache-control': 'no-store' });
    v.res.end();
  });
  dashboard.addPage(web, `${base}/episodes/:id`, 'publish', async (v) => {
    const e = await byId(v);
    if (e !== null) episodeForm(v, e, 200, null);
  });
  dashboard.addForm(web, `${base}/episodes/:id`, 'publish', async (v, f) => {
    const e = await byId(v);
    if (e === null) return;
    const error = await attempt(() =>
      d.catalog.editEpisode(
        e.id,
        {
          title: f.get('title') ?? '',
          description: f.get('description') ?? '',
          credits: lines(f.get('credits') ?? ''),
        },
        who(v),
      ),
    );
    if (error !== null) return episodeForm(v, e, 422, error, f);
    saved(v);
  });
  for (const [action, run] of [
    [
      'unpublish',
      (e: Episode, v: Visit) => d.catalog.unpublishEpisode(e.seriesSlug, e.season, e.episode, who(v)),
    ],
    ['restore', (e: Episode, v: Visit) => d.catalog.restoreEpisode(e.id, who(v))],
    [
      'delete',
      (e: Episode, v: Visit) => deleteEpisodeAndFiles(d.catalog, resolve(d.config.dataDir), e.id, who(v)),
    ],
  ] as const) {
    dashboard.addForm(web, `${base}/episodes/:id/${action}`, 'publish', async (v) => {
      const e = await byId(v);
      if (e === null) return;
      const error = await attempt(() => run(e, v));
      if (error === null) return saved(v);
      await list(v, 422, error);
    });
  }
  const seriesForm = async (
    v: Visit,
    slug: string,
    status: number,
    error: string | null,
    f?: URLSearchParams,
  ) => {
    const s = await d.catalog.getSeriesBySlug(slug);
    if (s === null)
      return render(
        v,
        404,
        html`<h1>404</h1>
          <p>No such series.</p>`,
        '404',
      );
    render(
      v,
      status,
      editForm(
        t(v),
        v.session.csrfToken,
        `${t(v).editSeries}: ${s.title}`,
        `${base}/series/${s.slug}`,
        { title: f?.get('title') ?? s.title, description: f?.get('description') ?? s.description ?? '' },
        error,
        t(v).hashNote,
      ),
      t(v).editSeries,
    );
  };
  dashboard.addPage(web, `${base}/series/:slug`, 'publish', (v, m) =>
    seriesForm(v, m.params.slug, 200, null),
  );
  dashboard.addForm(web, `${base}/series/:slug`, 'publish', async (v, f) => {
    const slug = decodeURIComponent(v.ctx.path.split('/')[4] ?? '');
    if ((await d.catalog.getSeriesBySlug(slug)) === null) return seriesForm(v, slug, 404, null);
    const error = await attempt(() =>
      d.catalog.editSeries(
        slug,
        { title: f.get('title') ?? '', description: f.get('description') ?? '' },
        who(v),
      ),
    );
    if (error !== null) return seriesForm(v, slug, 422, error, f);
    saved(v);
  });
}

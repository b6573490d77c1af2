/**
 * The dashboard's statistics pages, as <main> content for the shared layout: overview, series,
 * episode, clients and address families, rights calendar. The figures are the admin API's own
 * (src/reports/newsroom.ts, which the API serves too, so a page and `/admin/api/...` can never disagree); every chart is drawn
 * by charts.ts and followed by its numbers as a table and a link to the same table as CSV.
 */
import { html, type Interpolation, type Markup } from '../html.js';
import type { NewsroomReports } from '../../reports/newsroom.js';
import { barChart, niceTicks, timeChart, type TimeSeries } from './charts.js';
import { episodeCode, type AdminText, type Fmt } from './text.js';

export type OverviewData = Awaited<ReturnType<NewsroomReports['overview']>>['body'];
export type SeriesData = Awaited<ReturnType<NewsroomReports['series']>>['body'];
export type EpisodeData = Awaited<ReturnType<NewsroomReports['episode']>>['body'];
export type ClientsData = Awaited<ReturnType<NewsroomReports['clients']>>['body'];
export type FamiliesData = Awaited<ReturnType<NewsroomReports['families']>>['body'];
export type CalendarData = Awaited<ReturnType<NewsroomReports['rightsCalendar']>>['body'];

/** The summary the API gives for a range (docs/statistics.md, "summary"). */
interface Cost {
  peerBytes: number;
  amount: number | null;
  currency: string;
  pricePerGb: number;
}
interface Summary {
  completions: number;
  peakPeers: number;
  peakAt: string | null;
  webSeedBytes: number;
  deliveredBytes: number;
  partialBytes: number;
  p2pShare: number | null;
  p2pShareWithPartial: number | null;
  costSaved: Cost;
  costSavedWithPartial: Cost;
}

export interface View {
  title: string;
  main: Markup;
}

const HOUR = 3_600_000;

/** A query string (without '?') from the parameters that are set. */
export function qs(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined) q.set(k, String(v));
  return q.toString();
}

function csvLink(m: AdminText, what: string, path: string, params: Record<string, string | number | null>) {
  return html`<a class="csv" href="${`${path}?${qs({ ...params, format: 'csv' })}`}" download
    >${m.csvOf(what)}</a
  >`;
}

/** A table with a caption; `numeric` columns are right-aligned. */
export function table(
  caption: string,
  head: readonly string[],
  rows: readonly (readonly Interpolation[])[],
  o: { id?: string; numeric?: readonly number[] } = {},
): Markup {
  const num = new Set(o.numeric ?? []);
  return html`<table ${o.id && html`id="${o.id}"`}>
    <caption>
      ${caption}
    </caption>
    <thead>
      <tr>
        ${head.map((h, i) => html`<th scope="col" class="${num.has(i) ? 'num' : ''}">${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (r) =>
          html`<tr>
            ${r.map((c, i) => html`<td class="${num.has(i) ? 'num' : ''}">${c}</td>`)}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** A chart, then its numbers (a table in <details>) and the CSV link. */
function block(chart: Markup, tableMarkup: Markup, csv: Markup, m: AdminText): Markup {
  return html`<figure class="chart-block">
    ${chart}
    <details class="numbers">
      <summary>${m.showTable}</summary>
      ${tableMarkup}
    </details>
    <p class="csv-link">${csv}</p>
  </figure>`;
}

function summaryFacts(m: AdminText, f: Fmt, s: Summary, extra: Interpolation = null): Markup {
  const peak =
    s.peakAt === null || s.peakPeers === 0
      ? f.num(s.peakPeers)
      : m.peakAt(f.num(s.peakPeers), f.dateTime(s.peakAt));
  return html`<dl class="facts">
      <dt>${m.completions}</dt>
      <dd><data class="completions" value="${s.completions}">${f.num(s.completions)}</data></dd>
      ${extra}
      <dt>${m.peakPeers}</dt>
      <dd>${peak}</dd>
      <dt>${m.p2pShare}</dt>
      <dd>${f.pct(s.p2pShare)}</dd>
      <dt>${m.p2pShareWithPartial}</dt>
      <dd>${f.pct(s.p2pShareWithPartial)}</dd>
      <dt>${m.webSeedBytes}</dt>
      <dd>${f.bytes(s.webSeedBytes)}</dd>
      <dt>${m.deliveredBytes}</dt>
      <dd>${f.bytes(s.deliveredBytes)}</dd>
      <dt>${m.partialBytes}</dt>
      <dd>${f.bytes(s.partialBytes)}</dd>
      <dt>${m.costSaved}</dt>
      <dd>${f.money(s.costSaved.amount, s.costSaved.currency)} (${f.bytes(s.costSaved.peerBytes)})</dd>
      <dt>${m.costSavedWithPartial}</dt>
      <dd>
        ${f.money(s.costSavedWithPartial.amount, s.costSavedWithPartial.currency)}
        (${f.bytes(s.costSavedWithPartial.peerBytes)})
      </dd>
    </dl>
    <p class="muted">${m.costNote(f.money(s.costSaved.pricePerGb, s.costSaved.currency))}</p>`;
}

/** Links to other periods (days=N), the current one marked. */
export function rangeNav(m: AdminText, current: number | null, choices: readonly number[], extra = {}) {
  return html`<nav class="range" aria-label="${m.rangeNav}">
    <ul>
      ${choices.map((d) =>
        d === current
          ? html`<li><a href="${`?${qs({ ...extra, days: d })}`}" aria-current="true">${m.days(d)}</a></li>`
          : html`<li><a href="${`?${qs({ ...extra, days: d })}`}">${m.days(d)}</a></li>`,
      )}
    </ul>
  </nav>`;
}

/** Ticks at whole hours (for release curves: x is hours after publication). */
const hourTicks = (min: number, max: number): number[] => niceTicks(max - min, 6, true).map((t) => t + min);

/** Peers over time, completions over time and the P2P share so far, from an API timeline. */
function timelineCharts(
  m: AdminText,
  f: Fmt,
  idPrefix: string,
  timeline: EpisodeData['timeline'],
  bucket: number,
  csv: (table: string) => Markup,
): Markup {
  const at = (t: string) => Date.parse(t);
  const peers: TimeSeries[] = [
    { name: m.seeders, points: timeline.map((p) => ({ x: at(p.time), y: p.seeders ?? 0 })) },
    { name: m.leechers, points: timeline.map((p) => ({ x: at(p.time), y: p.leechers ?? 0 })) },
  ];
  const common = {
    empty: m.noData,
    xFormat: (x: number) => f.tickTime(x),
    xTicks: (a: number, b: number) => f.timeTicks(a, b),
    xLong: (x: number) => f.dateTime(x),
    xLabel: m.time,
  };
  const when = (t: string) => html`<time datetime="${f.iso(t)}">${f.dateTime(t)}</time>`;
  const peersTable = table(
    m.peersTitle,
    [m.time, m.seeders, m.leechers, m.peakPeers],
    timeline.map((p) => [when(p.time), f.num(p.seeders ?? 0), f.num(p.leechers ?? 0), f.num(p.peersMax)]),
    { id: `${idPrefix}-peers-table`, numeric: [1, 2, 3] },
  );
  const completionsTable = table(
    m.completionsTitle,
    [m.time, m.completions],
    timeline.map((p) => [
      when(p.time),
      html`<data class="completions" value="${p.completions}">${f.num(p.completions)}</data>`,
    ]),
    { id: `${idPrefix}-completions-table`, numeric: [1] },
  );
  const p2pTable = table(
    m.p2pTitle,
    [m.time, m.webSeedBytes, m.partialBytes, m.p2pShare, m.p2pShareWithPartial],
    timeline.map((p) => [
      when(p.time),
      f.bytes(p.webSeedBytes),
      f.bytes(p.partialBytes),
      f.pct(p.p2pShareToDate),
      f.pct(p.p2pShareWithPartialToDate),
    ]),
    { id: `${idPrefix}-p2p-table`, numeric: [1, 2, 3, 4] },
  );
  const p2p = timeline
    .filter((p) => p.p2pShareToDate !== null)
    .map((p) => ({ x: at(p.time), y: p.p2pShareToDate as number }));
  return html`<h2>${m.peersTitle}</h2>
    ${block(
      timeChart({
        ...common,
        id: `${idPrefix}-peers`,
        title: m.peersTitle,
        yLabel: m.peers,
        kind: 'line',
        series: peers,
        yFormat: (y) => f.num(y),
      }),
      peersTable,
      csv('timeline'),
      m,
    )}
    <h2>${m.completionsTitle}</h2>
    ${block(
      timeChart({
        ...common,
        id: `${idPrefix}-completions`,
        title: m.completionsTitle,
        yLabel: m.completions,
        kind: 'bars',
        barWidth: bucket,
        series: [{ name: m.completions, points: timeline.map((p) => ({ x: at(p.time), y: p.completions })) }],
        yFormat: (y) => f.num(y),
      }),
      completionsTable,
      csv('timeline'),
      m,
    )}
    <h2>${m.p2pTitle}</h2>
    ${block(
      timeChart({
        ...common,
        id: `${idPrefix}-p2p`,
        title: m.p2pTitle,
        yLabel: m.p2pShare,
        kind: 'line',
        yMax: 1,
        series: [{ name: m.p2pShare, points: p2p }],
        yFormat: (y) => f.pct(y),
      }),
      p2pTable,
      csv('timeline'),
      m,
    )}`;
}

export function overviewView(
  m: AdminText,
  f: Fmt,
  d: OverviewData,
  days: number,
  series: ReadonlyArray<{ slug: string; title: string }>,
): View {
  const params = { days };
  const daily = d.daily;
  const hours = Math.max(0, ...d.releases.map((r) => r.curve.length));
  const curves: TimeSeries[] = d.releases.map((r) => ({
    name: `${r.series} ${episodeCode(r.season, r.episode)}`,
    points: r.curve.map((p) => ({ x: p.hour, y: p.completions })),
  }));
  const releaseRows: Interpolation[][] = [];
  for (let h = 0; h < hours; h++)
    releaseRows.push([
      String(h),
      ...d.releases.map((r) => {
        const p = r.curve[h];
        return p === undefined ? '' : f.num(p.completions);
      }),
    ]);
  const main = html`<h1>${m.overviewTitle}</h1>
    ${rangeNav(m, days, [7, 30, 90])}
    <div class="two">
      <section>
        <h2>${m.today} (${f.day(d.today.day)})</h2>
        ${summaryFacts(
          m,
          f,
          d.today,
          html`<dt>${m.allCompletions}</dt>
            <dd>${f.num(d.today.allCompletions)}</dd>`,
        )}
      </section>
      <section>
        <h2>${m.lastDays(days)} (${m.range(f.day(d.range.from), f.day(d.range.to))})</h2>
        ${summaryFacts(
          m,
          f,
          d.range,
          html`<dt>${m.allCompletions}</dt>
            <dd>${f.num(d.range.allCompletions)}</dd>`,
        )}
      </section>
    </div>
    <h2>${m.dailyTitle(days)}</h2>
    ${block(
      barChart({
        id: 'daily',
        title: m.dailyTitle(days),
        xLabel: m.day,
        yLabel: m.completions,
        empty: m.noData,
        categories: daily.map((x) => f.tickDay(x.day)),
        series: [
          { name: m.allCompletions, values: daily.map((x) => x.completions) },
          { name: m.catalogCompletions, values: daily.map((x) => x.catalogCompletions) },
        ],
        yFormat: (y) => f.num(y),
      }),
      table(
        m.dailyTitle(days),
        [m.day, m.allCompletions, m.catalogCompletions, m.peakPeers, m.webSeedBytes, m.p2pShare],
        daily.map((x) => [
          f.day(x.day),
          f.num(x.completions),
          f.num(x.catalogCompletions),
          f.num(x.peakPeers),
          f.bytes(x.webSeedBytes),
          f.pct(x.p2pShare),
        ]),
        { id: 'daily-table', numeric: [1, 2, 3, 4, 5] },
      ),
      csvLink(m, m.dailyTitle(days), '/admin/api/overview', { ...params, table: 'daily' }),
      m,
    )}
    <h2>${m.releaseTitle}</h2>
    <p>${m.releaseIntro(72)}</p>
    ${
      d.releases.length === 0
        ? html`<p class="muted">${m.noReleases}</p>`
        : block(
            timeChart({
              id: 'releases',
              title: m.releaseTitle,
              xLabel: m.hoursAfter,
              yLabel: m.completions,
              empty: m.noData,
              kind: 'line',
              series: curves,
              xFormat: (x) => String(x),
              xLong: (x) => `${m.hour} ${x}`,
              xTicks: hourTicks,
              xDomain: [0, Math.max(1, hours - 1)],
              yFormat: (y) => f.num(y),
            }),
            table(m.releaseTitle, [m.hour, ...curves.map((c) => c.name)], releaseRows, {
              id: 'releases-table',
              numeric: curves.map((_, i) => i + 1),
            }),
            csvLink(m, m.releaseTitle, '/admin/api/overview', { ...params, table: 'releases' }),
            m,
          )
    }
    ${
      d.releases.length > 0 &&
      html`<h2>${m.episodesHeading}</h2>
        <ul class="episodes">
          ${d.releases.map(
            (r) =>
              html`<li>
                <a href="${`/admin/episodes/${r.episodeId}`}"
                  ><span class="code">${r.series} ${episodeCode(r.season, r.episode)}</span> ${r.title}</a
                >
                <span class="muted">(${m.published} ${f.dateTime(r.publishedAt)})</span>
              </li>`,
          )}
        </ul>`
    }
    <h2>${m.seriesHeading}</h2>
    ${
      series.length === 0
        ? html`<p class="muted">${m.noSeries}</p>`
        : html`<ul>
            ${series.map(
              (s) => html`<li><a href="${`/admin/series/${encodeURIComponent(s.slug)}`}">${s.title}</a></li>`,
            )}
          </ul>`
    }`;
  return { title: m.overviewTitle, main };
}

export function seriesView(m: AdminText, f: Fmt, d: SeriesData, days: number): View {
  const slug = d.series.slug;
  const api = `/admin/api/series/${encodeURIComponent(slug)}`;
  const params = { days };
  const title = m.seriesTitle(d.series.title);
  const main = html`<h1>${title}</h1>
    ${rangeNav(m, days, [7, 30, 90])}
    <p class="muted">${m.range(f.day(d.from), f.day(d.to))}</p>
    <h2>${m.figuresHeading}</h2>
    ${summaryFacts(m, f, d.totals)}
    <h2>${m.completionsPerDayTitle}</h2>
    ${block(
      barChart({
        id: 'series-daily',
        title: m.completionsPerDayTitle,
        xLabel: m.day,
        yLabel: m.completions,
        empty: m.noData,
        categories: d.daily.map((x) => f.tickDay(x.day)),
        series: [{ name: m.completions, values: d.daily.map((x) => x.completions) }],
        yFormat: (y) => f.num(y),
      }),
      table(
        m.completionsPerDayTitle,
        [m.day, m.completions],
        d.daily.map((x) => [f.day(x.day), f.num(x.completions)]),
        { id: 'series-daily-table', numeric: [1] },
      ),
      csvLink(m, m.completionsPerDayTitle, api, { ...params, table: 'daily' }),
      m,
    )}
    ${timelineCharts(m, f, 'series', d.timeline, HOUR, (t) =>
      csvLink(m, m.completionsTitle, api, { ...params, table: t }),
    )}
    <h2>${m.episodesHeading}</h2>
    ${table(
      m.episodesHeading,
      [m.episode, m.published, m.completions, m.peakPeers, m.p2pShare, m.p2pShareWithPartial],
      d.episodes.map((e) => [
        html`<a href="${`/admin/episodes/${e.episodeId}`}"
          ><span class="code">${episodeCode(e.season, e.episode)}</span> ${e.title}</a
        >`,
        html`${e.publishedAt === null ? m.notPublished : f.dateTime(e.publishedAt)}${
          e.withdrawn && html` (${m.withdrawn})`
        }`,
        f.num(e.completions),
        f.num(e.peakPeers),
        f.pct(e.p2pShare),
        f.pct(e.p2pShareWithPartial),
      ]),
      { id: 'series-episodes', numeric: [2, 3, 4, 5] },
    )}
    <p class="csv-link">${csvLink(m, m.episodesHeading, api, { ...params, table: 'episodes' })}</p>`;
  return { title, main };
}

export function episodeView(
  m: AdminText,
  f: Fmt,
  d: EpisodeData,
  q: { days: number | null; resolution: 'hour' | 'minute' },
): View {
  const e = d.episode;
  const code = episodeCode(e.season, e.episode);
  const api = `/admin/api/episodes/${e.id}`;
  const params = { days: q.days, resolution: q.resolution === 'minute' ? 'minute' : null };
  const title = m.episodeTitle(`${e.seriesTitle} ${code}`, e.title);
  const curve = d.releaseCurve;
  const resolutionNav = html`<nav class="range" aria-label="${m.resolution}">
    <ul>
      ${(['hour', 'minute'] as const).map((r) => {
        const href = `?${qs(r === 'minute' ? { resolution: 'minute', days: 2 } : { days: q.days })}`;
        const label = r === 'hour' ? m.byHour : m.byMinute;
        return r === q.resolution
          ? html`<li><a href="${href}" aria-current="true">${label}</a></li>`
          : html`<li><a href="${href}">${label}</a></li>`;
      })}
    </ul>
  </nav>`;
  const main = html`<p class="breadcrumb">
      <a href="${`/admin/series/${encodeURIComponent(e.series)}`}">${e.seriesTitle}</a>
    </p>
    <h1>${title}</h1>
    <dl class="facts">
      <dt>${m.published}</dt>
      <dd>
        ${e.publishedAt === null ? m.notPublished : f.dateTime(e.publishedAt)}
        ${e.withdrawnAt !== null && html`(${m.withdrawn} ${f.dateTime(e.withdrawnAt)})`}
      </dd>
      <dt>${m.size}</dt>
      <dd>${f.bytes(e.sizeBytes)}</dd>
      <dt>${m.infoHashes}</dt>
      <dd>${e.infoHashes.map((h) => html`<code class="hash">${h}</code> `)}</dd>
    </dl>
    ${q.resolution === 'hour' ? rangeNav(m, q.days, [2, 7, 30]) : null} ${resolutionNav}
    <p class="muted">${m.range(f.day(d.from), f.day(d.to))}</p>
    <h2>${m.figuresHeading}</h2>
    ${summaryFacts(m, f, d.totals)}
    ${timelineCharts(m, f, 'episode', d.timeline, q.resolution === 'minute' ? 60_000 : HOUR, (t) =>
      csvLink(m, m.completionsTitle, api, { ...params, table: t }),
    )}
    <h2>${m.completionsPerDayTitle}</h2>
    ${table(
      m.completionsPerDayTitle,
      [m.day, m.completions],
      d.daily.map((x) => [
        f.day(x.day),
        html`<data class="completions" value="${x.completions}">${f.num(x.completions)}</data>`,
      ]),
      { id: 'episode-daily-table', numeric: [1] },
    )}
    <p class="csv-link">${csvLink(m, m.completionsPerDayTitle, api, { ...params, table: 'daily' })}</p>
    <h2>${m.releaseCurveTitle}</h2>
    ${block(
      timeChart({
        id: 'episode-release',
        title: m.releaseCurveTitle,
        xLabel: m.hoursAfter,
        yLabel: m.completions,
        empty: m.noData,
        kind: 'line',
        series: [{ name: m.completions, points: curve.map((p) => ({ x: p.hour, y: p.completions })) }],
        xFormat: (x) => String(x),
        xLong: (x) => `${m.hour} ${x}`,
        xTicks: hourTicks,
        xDomain: [0, Math.max(1, curve.length - 1)],
        yFormat: (y) => f.num(y),
      }),
      table(
        m.releaseCurveTitle,
        [m.hour, m.completions],
        curve.map((p) => [String(p.hour), f.num(p.completions)]),
        { id: 'episode-release-table', numeric: [1] },
      ),
      csvLink(m, m.releaseCurveTitle, api, { ...params, table: 'releaseCurve' }),
      m,
    )}`;
  return { title, main };
}

export function clientsView(m: AdminText, f: Fmt, c: ClientsData, fam: FamiliesData, days: number): View {
  const params = { days };
  const top = c.clients.slice(0, 12);
  const main = html`<h1>${m.clientsTitle}</h1>
    ${rangeNav(m, days, [1, 7, 30, 90])}
    <p class="muted">${m.range(f.day(c.from), f.day(c.to))}</p>
    <h2>${m.clientsChartTitle}</h2>
    <p class="muted">${m.clientsNote}</p>
    ${block(
      barChart({
        id: 'clients',
        title: m.clientsChartTitle,
        xLabel: m.client,
        yLabel: m.share,
        empty: m.noData,
        yMax: 0.1,
        categories: top.map((x) => x.client),
        series: [{ name: m.share, values: top.map((x) => x.share ?? 0) }],
        yFormat: (y) => f.pct(y),
      }),
      table(
        m.clientsChartTitle,
        [m.client, m.announces, m.share],
        c.clients.map((x) => [x.client, f.num(x.announces), f.pct(x.share)]),
        { id: 'clients-table', numeric: [1, 2] },
      ),
      csvLink(m, m.clientsChartTitle, '/admin/api/clients', params),
      m,
    )}
    <h2>${m.families}</h2>
    <dl class="facts">
      <dt>IPv4</dt>
      <dd>${f.num(fam.total.ipv4)}</dd>
      <dt>IPv6</dt>
      <dd>${f.num(fam.total.ipv6)}</dd>
      <dt>${m.ipv6Share}</dt>
      <dd>${f.pct(fam.total.ipv6Share)}</dd>
    </dl>
    ${table(
      m.byProtocol,
      [m.protocol, 'IPv4', 'IPv6'],
      fam.byProtocol.map((x) => [x.protocol.toUpperCase(), f.num(x.ipv4), f.num(x.ipv6)]),
      { id: 'families-protocol-table', numeric: [1, 2] },
    )}
    <p class="csv-link">
      ${csvLink(m, m.byProtocol, '/admin/api/families', { ...params, table: 'byProtocol' })}
    </p>
    <h2>${m.familiesTitle}</h2>
    ${block(
      barChart({
        id: 'families',
        title: m.familiesTitle,
        xLabel: m.day,
        yLabel: m.announces,
        empty: m.noData,
        categories: fam.daily.map((x) => f.tickDay(x.day)),
        series: [
          { name: 'IPv4', values: fam.daily.map((x) => x.ipv4) },
          { name: 'IPv6', values: fam.daily.map((x) => x.ipv6) },
        ],
        yFormat: (y) => f.num(y),
      }),
      table(
        m.familiesTitle,
        [m.day, 'IPv4', 'IPv6'],
        fam.daily.map((x) => [f.day(x.day), f.num(x.ipv4), f.num(x.ipv6)]),
        { id: 'families-daily-table', numeric: [1, 2] },
      ),
      csvLink(m, m.familiesTitle, '/admin/api/families', { ...params, table: 'daily' }),
      m,
    )}`;
  return { title: m.clientsTitle, main };
}

export function calendarView(
  m: AdminText,
  f: Fmt,
  d: CalendarData,
  days: number,
  canSeeStats: boolean,
): View {
  const title = m.rightsTitle(days);
  const byDay = new Map<string, CalendarData['entries']>();
  for (const e of d.entries) byDay.set(e.day, [...(byDay.get(e.day) ?? []), e]);
  const episodeLink = (e: CalendarData['entries'][number]) => {
    const label = html`<span class="code">${e.series} ${episodeCode(e.season, e.episode)}</span> ${e.title}`;
    return canSeeStats ? html`<a href="${`/admin/episodes/${e.episodeId}`}">${label}</a>` : label;
  };
  const main = html`<h1>${title}</h1>
    <p>${m.rightsIntro}</p>
    ${rangeNav(m, days, [7, 30, 90])}
    ${
      d.entries.length === 0
        ? html`<p class="muted">${m.nothingScheduled}</p>`
        : [...byDay.entries()].map(([day, entries]) =>
            table(
              f.day(day),
              [m.when, m.change, m.episode, m.cleared],
              entries.map((e) => [
                html`<time datetime="${f.iso(e.at)}">${f.dateTime(e.at)}</time>`,
                html`<span class="${e.change === 'goes live' ? 'live' : 'expires'}"
                  >${e.change === 'goes live' ? m.goesLive : m.expires}</span
                >`,
                episodeLink(e),
                e.clearedWorldwide ? m.yes : html`<strong class="warn">${m.notCleared}</strong>`,
              ]),
              { id: `rights-${day}` },
            ),
          )
    }
    <p class="csv-link">${csvLink(m, title, '/admin/api/rights-calendar', { days })}</p>`;
  return { title, main };
}

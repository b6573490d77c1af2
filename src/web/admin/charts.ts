/**
 * Charts for the newsroom dashboard, drawn on the server as SVG: no chart library, nothing fetched,
 * nothing run in the browser, so a chart shows with JavaScript off and under the strict CSP (no
 * inline styles: colours come from classes in the admin stylesheet).
 *
 *   timeChart({ id, title, xLabel, yLabel, series: [{ name, points: [{ x: ms, y }] }], ... })
 *   barChart({ id, title, categories: ['2026-06-01', ...], series: [{ name, values: [3, 4] }], ... })
 *
 * Every chart is an <svg role="img"> with a <title> and a <desc> (the text alternative: what is shown,
 * its range and its largest value), axes with tick labels and axis titles, and per point or bar a
 * <title> for a hover read-out. With no data it draws the axes' frame and the `empty` text instead.
 * All text goes through html`` (src/web/html.ts), so labels from the catalog are escaped.
 * The table beside each chart is the page's job (src/web/admin/views.ts).
 */
import { html, type Markup } from '../html.js';

export interface TimePoint {
  /** UTC epoch ms. */
  x: number;
  y: number;
}

export interface TimeSeries {
  name: string;
  points: readonly TimePoint[];
}

interface Common {
  /** Unique on the page: the SVG's title and desc ids derive from it. */
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  /** Shown (and used as the description) when there is nothing to draw. */
  empty: string;
  yFormat: (y: number) => string;
  /** At least this top of the y axis (1 for shares, so 100 % is the top). */
  yMax?: number;
  width?: number;
  height?: number;
}

export interface TimeChartInput extends Common {
  series: readonly TimeSeries[];
  /** 'line': points joined; 'bars': each point a bar `barWidth` (ms) wide starting at x. */
  kind: 'line' | 'bars';
  barWidth?: number;
  /** Tick label for an instant (in the broadcaster's zone: the caller formats). */
  xFormat: (x: number) => string;
  /** Full text of an instant for point read-outs and the description. */
  xLong?: (x: number) => string;
  /** Candidate tick instants (the caller knows local midnights); default: evenly spaced. */
  xTicks?: (min: number, max: number) => number[];
  /** The least x range shown (widened to the data): hours 0 to 72 for a release curve, say. */
  xDomain?: [number, number];
}

export interface BarSeries {
  name: string;
  values: readonly number[];
}

export interface BarChartInput extends Common {
  categories: readonly string[];
  series: readonly BarSeries[];
}

const W = 640;
const H = 280;
const M = { left: 64, right: 16, top: 34, bottom: 56 };

/** A round step (1, 2 or 5 x 10^k) giving about `count` intervals up to `max`; whole numbers when `integer`. */
export function niceTicks(max: number, count = 5, integer = false): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  if (integer) step = Math.max(1, Math.ceil(step));
  const top = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const fmt = (n: number): string => String(Math.round(n * 10) / 10);

function frame(c: Common): { w: number; h: number; plotW: number; plotH: number } {
  const w = c.width ?? W;
  const h = c.height ?? H;
  return { w, h, plotW: w - M.left - M.right, plotH: h - M.top - M.bottom };
}

/** The <svg> element around a chart's inside, with its accessible name and description. */
function svg(c: Common, description: string, inside: Markup, empty: boolean): Markup {
  const { w, h } = frame(c);
  return html`<svg
    class="${empty ? 'chart chart-empty' : 'chart'}"
    id="${c.id}"
    viewBox="0 0 ${w} ${h}"
    width="${w}"
    height="${h}"
    role="img"
    aria-labelledby="${c.id}-title ${c.id}-desc"
    xmlns="http://www.w3.org/2000/svg"
  >
    <title id="${c.id}-title">${c.title}</title>
    <desc id="${c.id}-desc">${description}</desc>
    ${inside}
  </svg>`;
}

/** Axes, y grid and tick labels, axis titles; `xTicks` as [position px, label]. */
function axes(c: Common, yTicks: number[], yTop: number, xTicks: Array<[number, string]>): Markup {
  const { h, plotW, plotH } = frame(c);
  const y = (v: number) => M.top + plotH - (v / yTop) * plotH;
  return html`<g class="axes">
    ${yTicks.map(
      (t) =>
        html`<line class="grid" x1="${M.left}" x2="${M.left + plotW}" y1="${fmt(y(t))}" y2="${fmt(y(t))}" />
          <text class="tick y-tick" x="${M.left - 6}" y="${fmt(y(t) + 4)}" text-anchor="end"
            >${c.yFormat(t)}</text
          >`,
    )}
    ${xTicks.map(
      ([px, label]) =>
        html`<line
            class="tick-mark"
            x1="${fmt(px)}"
            x2="${fmt(px)}"
            y1="${M.top + plotH}"
            y2="${M.top + plotH + 4}"
          />
          <text class="tick x-tick" x="${fmt(px)}" y="${M.top + plotH + 18}" text-anchor="middle"
            >${label}</text
          >`,
    )}
    <line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + plotH}" />
    <line class="axis" x1="${M.left}" x2="${M.left + plotW}" y1="${M.top + plotH}" y2="${M.top + plotH}" />
    <text class="axis-label" x="${M.left + plotW / 2}" y="${h - 8}" text-anchor="middle">${c.xLabel}</text>
    <text class="axis-label" transform="translate(14 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">
      ${c.yLabel}
    </text>
  </g>`;
}

function legend(names: readonly string[]): Markup | null {
  if (names.length < 2) return null;
  let x = M.left;
  return html`<g class="legend">
    ${names.map((n, i) => {
      const at = x;
      x += 24 + n.length * 7 + 16;
      return html`<rect class="s${i % 6}" x="${at}" y="10" width="14" height="10" />
        <text x="${at + 20}" y="19">${n}</text>`;
    })}
  </g>`;
}

function emptyChart(c: Common): Markup {
  const { plotW, plotH } = frame(c);
  return svg(
    c,
    c.empty,
    html`${axes(c, [0], 1, [])}
      <text class="no-data" x="${M.left + plotW / 2}" y="${M.top + plotH / 2}" text-anchor="middle">
        ${c.empty}
      </text>`,
    true,
  );
}

/** Evenly spaced instants between min and max (inclusive), about `n` of them. */
function evenTicks(min: number, max: number, n = 5): number[] {
  if (max <= min) return [min];
  const out: number[] = [];
  for (let i = 0; i <= n; i++) out.push(min + ((max - min) * i) / n);
  return out;
}

/** A line or bar chart over time. */
export function timeChart(c: TimeChartInput): Markup {
  const series = c.series.filter((s) => s.points.length > 0);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return emptyChart(c);
  const { plotW, plotH } = frame(c);
  const barW = c.kind === 'bars' ? (c.barWidth ?? 3_600_000) : 0;
  let xMin = Math.min(...all.map((p) => p.x), c.xDomain?.[0] ?? Infinity);
  let xMax = Math.max(...all.map((p) => p.x + barW), c.xDomain?.[1] ?? -Infinity);
  if (xMax - xMin <= 0) {
    // One instant: give it an hour either side so it sits in the middle.
    xMin -= 3_600_000;
    xMax += 3_600_000;
  }
  const yData = Math.max(0, ...all.map((p) => p.y));
  const integer = all.every((p) => Number.isInteger(p.y));
  const yTicks = niceTicks(Math.max(yData, c.yMax ?? 0), 5, integer);
  const yTop = yTicks[yTicks.length - 1];
  const x = (v: number) => M.left + ((v - xMin) / (xMax - xMin)) * plotW;
  const y = (v: number) => M.top + plotH - (Math.max(0, v) / yTop) * plotH;
  const ticks = (c.xTicks ?? evenTicks)(xMin, xMax).filter((t) => t >= xMin && t <= xMax);
  const long = c.xLong ?? c.xFormat;
  const nBars = series.length;
  const marks = series.map((s, i) => {
    const cls = `s${i % 6}`;
    if (c.kind === 'bars') {
      const full = Math.max(1, (barW / (xMax - xMin)) * plotW);
      const bw = Math.max(1, (full * 0.8) / nBars);
      return html`<g class="series bars ${cls}" data-series="${s.name}">
        ${s.points.map(
          (p) =>
            html`<rect
              class="point"
              x="${fmt(x(p.x) + full * 0.1 + i * bw)}"
              y="${fmt(y(p.y))}"
              width="${fmt(bw)}"
              height="${fmt(M.top + plotH - y(p.y))}"
              data-x="${p.x}"
              data-value="${p.y}"
              ><title>${s.name}, ${long(p.x)}: ${c.yFormat(p.y)}</title></rect
            >`,
        )}
      </g>`;
    }
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${fmt(x(p.x))} ${fmt(y(p.y))}`).join(' ');
    return html`<g class="series line ${cls}" data-series="${s.name}">
      <path class="line" d="${d}" fill="none" />
      ${s.points.map(
        (p) =>
          html`<circle
            class="point"
            cx="${fmt(x(p.x))}"
            cy="${fmt(y(p.y))}"
            r="3.5"
            data-x="${p.x}"
            data-value="${p.y}"
            ><title>${s.name}, ${long(p.x)}: ${c.yFormat(p.y)}</title></circle
          >`,
      )}
    </g>`;
  });
  const peak = series
    .flatMap((s) => s.points.map((p) => ({ s, p })))
    .reduce((a, b) => (b.p.y > a.p.y ? b : a));
  const description =
    `${series.map((s) => `${s.name}: ${s.points.length}`).join(', ')}; ` +
    `${long(Math.min(...all.map((p) => p.x)))} – ${long(Math.max(...all.map((p) => p.x)))}; ` +
    `max ${c.yFormat(peak.p.y)} (${peak.s.name}, ${long(peak.p.x)}).`;
  return svg(
    c,
    description,
    html`${legend(series.map((s) => s.name))}
    ${axes(
      c,
      yTicks,
      yTop,
      ticks.map((t) => [x(t), c.xFormat(t)]),
    )}
    ${marks}`,
    false,
  );
}

/** Bars per category (days, clients, episodes), one bar per series in each category. */
export function barChart(c: BarChartInput): Markup {
  const n = c.categories.length;
  const values = c.series.flatMap((s) => s.values);
  if (n === 0 || c.series.length === 0) return emptyChart(c);
  const { plotW, plotH } = frame(c);
  const integer = values.every((v) => Number.isInteger(v));
  const yTicks = niceTicks(Math.max(0, ...values, c.yMax ?? 0), 5, integer);
  const yTop = yTicks[yTicks.length - 1];
  const slot = plotW / n;
  const bw = (slot * 0.8) / c.series.length;
  const y = (v: number) => M.top + plotH - (Math.max(0, v) / yTop) * plotH;
  // Label at most about 12 categories; the others keep their tick mark only.
  const every = Math.ceil(n / 12);
  const xTicks: Array<[number, string]> = c.categories
    .map((label, i): [number, string] => [M.left + slot * (i + 0.5), label])
    .filter((_, i) => i % every === 0);
  const marks = c.series.map(
    (s, si) =>
      html`<g class="series bars s${si % 6}" data-series="${s.name}">
        ${s.values.map(
          (v, i) =>
            html`<rect
              class="point"
              x="${fmt(M.left + slot * i + slot * 0.1 + si * bw)}"
              y="${fmt(y(v))}"
              width="${fmt(bw)}"
              height="${fmt(M.top + plotH - y(v))}"
              data-category="${c.categories[i] ?? ''}"
              data-value="${v}"
              ><title>${s.name}, ${c.categories[i] ?? ''}: ${c.yFormat(v)}</title></rect
            >`,
        )}
      </g>`,
  );
  let best = { s: c.series[0].name, i: 0, v: -Infinity };
  for (const s of c.series)
    s.values.forEach((v, i) => {
      if (v > best.v) best = { s: s.name, i, v };
    });
  const description =
    `${n} × ${c.series.map((s) => s.name).join(', ')}: ${c.categories[0]} – ${c.categories[n - 1]}; ` +
    `max ${c.yFormat(best.v)} (${best.s}, ${c.categories[best.i]}).`;
  return svg(
    c,
    description,
    html`${legend(c.series.map((s) => s.name))} ${axes(c, yTicks, yTop, xTicks)} ${marks}`,
    false,
  );
}

/**
 * The dashboard's SVG charts (src/web/admin/charts.ts) on made-up series with known geometry: points
 * where the scales put them, round axis ticks with their labels, an accessible name and description,
 * the "no data yet" state, and text from the catalog escaped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { barChart, niceTicks, timeChart, type TimeChartInput } from '../../src/web/admin/charts.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 5, 2, 18, 0, 0);

function base(over: Partial<TimeChartInput> = {}): TimeChartInput {
  return {
    id: 'c',
    title: 'Completions',
    xLabel: 'Time',
    yLabel: 'Downloads',
    empty: 'No data yet',
    kind: 'line',
    series: [],
    xFormat: (x) => `h${(x - T0) / HOUR}`,
    yFormat: (y) => String(y),
    ...over,
  };
}

/** Every <circle> or <rect class="point"> with its coordinates and data attributes. */
function points(svg: string): Array<Record<string, string>> {
  return [...svg.matchAll(/<(circle|rect)\s+class="point"([^>]*)>/g)].map((m) => {
    const attrs: Record<string, string> = { tag: m[1] };
    for (const a of m[2].matchAll(/([\w-]+)="([^"]*)"/g)) attrs[a[1]] = a[2];
    return attrs;
  });
}

const texts = (svg: string, cls: string): string[] =>
  [...svg.matchAll(new RegExp(`<text\\s+class="${cls}"[^>]*>\\s*([^<]*?)\\s*</text\\s*>`, 'g'))].map(
    (m) => m[1],
  );

test('niceTicks: round steps from zero to at least the maximum', () => {
  assert.deepEqual(niceTicks(10), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(niceTicks(7), [0, 2, 4, 6, 8]);
  assert.deepEqual(niceTicks(1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(1, 5, true), [0, 1]);
  assert.deepEqual(niceTicks(3, 5, true), [0, 1, 2, 3]);
  assert.deepEqual(niceTicks(430), [0, 100, 200, 300, 400, 500]);
  assert.deepEqual(niceTicks(0), [0, 1]);
});

test('a known line series: points where the scales put them, tick labels, title and description', () => {
  const svg = timeChart(
    base({
      series: [
        {
          name: 'Completions',
          points: [
            { x: T0, y: 0 },
            { x: T0 + HOUR, y: 5 },
            { x: T0 + 2 * HOUR, y: 10 },
          ],
        },
      ],
      xTicks: (min, max) => [min, (min + max) / 2, max],
    }),
  ).value;
  // Plot area: x from 64 to 624 (640 - 16), y from 34 (top) to 224 (280 - 56).
  const p = points(svg);
  assert.deepEqual(
    p.map((x) => [x.cx, x.cy, x['data-value']]),
    [
      ['64', '224', '0'],
      ['344', '129', '5'],
      ['624', '34', '10'],
    ],
  );
  assert.match(svg, /<path class="line" d="M64 224 L344 129 L624 34"/);
  assert.deepEqual(texts(svg, 'tick y-tick'), ['0', '2', '4', '6', '8', '10']);
  assert.deepEqual(texts(svg, 'tick x-tick'), ['h0', 'h1', 'h2']);
  assert.deepEqual(texts(svg, 'axis-label'), ['Time', 'Downloads']);
  assert.match(svg, /^<svg\s[^>]*\srole="img"\s+aria-labelledby="c-title c-desc"/);
  assert.match(svg, /<title id="c-title">Completions<\/title>/);
  assert.match(svg, /<desc id="c-desc">Completions: 3; h0 – h2; max 10 \(Completions, h2\)\.<\/desc>/);
  // Each point reads out its value on hover.
  assert.match(svg, /<title>Completions, h1: 5<\/title>/);
  assert.doesNotMatch(svg, /no-data/);
});

test('bars over time: one bar per point, a bucket wide, from the x axis up', () => {
  const svg = timeChart(
    base({
      kind: 'bars',
      barWidth: HOUR,
      series: [
        {
          name: 'Completions',
          points: [
            { x: T0, y: 1 },
            { x: T0 + HOUR, y: 2 },
          ],
        },
      ],
    }),
  ).value;
  const p = points(svg);
  assert.equal(p.length, 2);
  assert.ok(p.every((x) => x.tag === 'rect'));
  // Two hours across 560 px: each bucket 280 px, the bar 80 % of it, 10 % in.
  assert.deepEqual(
    p.map((x) => [x.x, x.width, x.y, x.height]),
    [
      ['92', '224', '129', '95'],
      ['372', '224', '34', '190'],
    ],
  );
});

test('a single point sits in the middle, and several series get a legend', () => {
  const one = timeChart(base({ series: [{ name: 'A', points: [{ x: T0, y: 1 }] }] })).value;
  assert.deepEqual(
    points(one).map((x) => x.cx),
    ['344'],
  );
  assert.doesNotMatch(one, /class="legend"/);
  const two = timeChart(
    base({
      series: [
        { name: 'Seeders', points: [{ x: T0, y: 1 }] },
        { name: 'Leechers', points: [{ x: T0, y: 2 }] },
      ],
    }),
  ).value;
  assert.match(two, /<g class="legend">/);
  assert.match(two, />Seeders<\/text>/);
  assert.match(two, /class="series line s1" data-series="Leechers"/);
});

test('empty data draws the frame with "no data yet", for time and bar charts', () => {
  for (const svg of [
    timeChart(base({ series: [] })).value,
    timeChart(base({ series: [{ name: 'A', points: [] }] })).value,
    barChart({ ...base(), categories: [], series: [] }).value,
  ]) {
    assert.match(svg, /class="chart chart-empty"/);
    assert.match(svg, /<text\s+class="no-data"[^>]*>\s*No data yet\s*<\/text>/);
    assert.match(svg, /<desc id="c-desc">No data yet<\/desc>/);
    assert.equal(points(svg).length, 0);
    assert.deepEqual(texts(svg, 'axis-label'), ['Time', 'Downloads']);
  }
});

test('bar chart: categories labelled, bars to scale, the largest named in the description', () => {
  const svg = barChart({
    ...base(),
    categories: ['01.06', '02.06', '03.06', '04.06'],
    series: [{ name: 'Completions', values: [0, 4, 8, 2] }],
  }).value;
  const p = points(svg);
  assert.deepEqual(
    p.map((x) => [x['data-category'], x['data-value'], x.height]),
    [
      ['01.06', '0', '0'],
      ['02.06', '4', '95'],
      ['03.06', '8', '190'],
      ['04.06', '2', '47.5'],
    ],
  );
  assert.deepEqual(texts(svg, 'tick x-tick'), ['01.06', '02.06', '03.06', '04.06']);
  assert.deepEqual(texts(svg, 'tick y-tick'), ['0', '2', '4', '6', '8']);
  assert.match(
    svg,
    /<desc id="c-desc">4 × Completions: 01.06 – 04.06; max 8 \(Completions, 03.06\)\.<\/desc>/,
  );
});

test('text in titles, labels, series names and categories is escaped', () => {
  const evil = '<script>alert(1)</script>&"\'';
  const svg =
    timeChart(
      base({
        id: 'x',
        title: evil,
        xLabel: evil,
        yLabel: evil,
        series: [{ name: evil, points: [{ x: T0, y: 1 }] }],
        xFormat: () => evil,
      }),
    ).value +
    barChart({ ...base(), title: evil, categories: [evil], series: [{ name: evil, values: [1] }] }).value +
    timeChart(base({ empty: evil })).value;
  assert.doesNotMatch(svg, /<script/);
  assert.doesNotMatch(svg, /"'/);
  assert.match(svg, /&lt;script&gt;alert\(1\)&lt;\/script&gt;&amp;&quot;&#39;/);
});

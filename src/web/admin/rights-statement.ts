/**
 * A party's report (src/reports/party-report.ts) as CSV (one row per work and a total row, for the holder's spreadsheet) and as a
 * printable HTML statement (A4, no scripts, styles inline: prints and renders to PDF as it is).
 */
import { amount, type PartyReport, type WorkFigures } from '../../reports/party-report.js';
import { html, raw } from '../html.js';
import { toCsv, type TableRow } from '../../reports/csv.js';

const row = (
  w: Omit<WorkFigures, 'episodeId' | 'work' | 'title'>,
  work: string,
  title: string,
): TableRow => ({
  work,
  title,
  completed_downloads: w.completedDownloads,
  bittorrent_downloads: w.bittorrentDownloads,
  browser_downloads: w.browserDownloads,
  browser_plays: w.browserPlays,
  bytes_delivered: w.bytesDelivered,
  web_seed_bytes: w.webSeedBytes,
  amount_owed: amount(w.owedMicros),
});

export function reportCsv(r: PartyReport): string {
  return toCsv([...r.works.map((w) => row(w, w.work, w.title)), row(r.totals, 'total', '')]);
}

const n = (x: number | null): string => (x === null ? 'not recorded' : x.toLocaleString('en-GB'));

export function reportHtml(
  r: PartyReport,
  statement?: { id: number; issuedAt: string; corrects: number | null },
): string {
  const cur = r.currency ?? '';
  const title = `${r.party.name}: ${r.month}`;
  return html`${raw('<!doctype html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Rights statement ${title}</title>
        <style>
          @page {
            size: A4;
            margin: 18mm;
          }
          body {
            font:
              11pt/1.4 system-ui,
              sans-serif;
            color: #111;
          }
          table {
            border-collapse: collapse;
            width: 100%;
          }
          th,
          td {
            border-bottom: 1px solid #bbb;
            padding: 3px 6px;
            text-align: right;
          }
          th:first-child,
          td:first-child,
          th:nth-child(2),
          td:nth-child(2) {
            text-align: left;
          }
          tfoot td {
            font-weight: bold;
            border-top: 2px solid #111;
          }
          .notes {
            font-size: 9pt;
            color: #444;
          }
        </style>
      </head>
      <body>
        <h1>Rights statement</h1>
        <p>
          <strong>${r.party.name}</strong
          >${r.party.reportingAddress ? html`<br />${r.party.reportingAddress}` : ''}
        </p>
        <p>
          Month ${r.month} (${r.timeZone}): ${r.from.toISOString()} to
          ${r.until.toISOString()}${
            statement
              ? html`<br />Statement ${statement.id}, issued
                  ${statement.issuedAt}${
                    statement.corrects === null ? '' : html`, correcting statement ${statement.corrects}`
                  }`
              : html`<br />Preview, not issued`
          }
        </p>
        <table>
          <thead>
            <tr>
              <th>Work</th>
              <th>Title</th>
              <th>Completed downloads</th>
              <th>Browser plays</th>
              <th>Bytes delivered</th>
              <th>Owed ${cur}</th>
            </tr>
          </thead>
          <tbody>
            ${r.works.map(
              (w) =>
                html`<tr>
                  <td>${w.work}</td>
                  <td>${w.title}</td>
                  <td>${n(w.completedDownloads)}</td>
                  <td>${n(w.browserPlays)}</td>
                  <td>${n(w.bytesDelivered)}</td>
                  <td>${amount(w.owedMicros)}</td>
                </tr> `,
            )}
          </tbody>
          <tfoot>
            <tr>
              <td>Total</td>
              <td></td>
              <td>${n(r.totals.completedDownloads)}</td>
              <td>${n(r.totals.browserPlays)}</td>
              <td>${n(r.totals.bytesDelivered)}</td>
              <td>${amount(r.totals.owedMicros)}</td>
            </tr>
          </tfoot>
        </table>
        <p class="notes">
          Contracts:
          ${r.contracts.map((k) => `contract ${k.id} (${k.status}, ${k.terms})`).join('; ') || 'none'}.
          Completed downloads count BitTorrent clients and browsers together.${r.notes.map((x) => ` ${x}.`)}
        </p>
      </body>
    </html> `.toString();
}

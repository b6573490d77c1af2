/**
 * The printable statement (src/web/admin/rights-statement.ts) renders to a PDF in Chromium as it is: one A4
 * page with the party, the month, each work's figures and the total, text escaped; and the CSV has
 * one row per work and a total row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { program, skipUnless } from '../helpers/programs.js';
import { reportCsv, reportHtml } from '../../src/web/admin/rights-statement.js';
import type { PartyReport } from '../../src/reports/party-report.js';

const figures = {
  completedDownloads: 1234,
  bittorrentDownloads: null,
  browserDownloads: null,
  browserPlays: null,
  bytesDelivered: 987654321,
  webSeedBytes: 12345,
  owedMicros: 61_700_000,
};

const report: PartyReport = {
  party: { id: 2, name: 'Label <X> & Co', kind: 'music', reportingAddress: 'royalty@labelx.no' },
  month: '2026-11',
  timeZone: 'Europe/Oslo',
  from: new Date('2026-10-31T23:00:00Z'),
  until: new Date('2026-11-30T23:00:00Z'),
  currency: 'NOK',
  works: [{ episodeId: 1, work: 'fjordliv s01e01', title: 'Vinter', ...figures }],
  totals: figures,
  contracts: [{ id: 3, status: 'signed', terms: 'per-download NOK 0.05' }],
  notes: [],
};

test('the CSV: a row per work and a total', () => {
  const csv = reportCsv(report);
  assert.equal(
    csv,
    '\ufeffwork,title,completed_downloads,bittorrent_downloads,browser_downloads,browser_plays,bytes_delivered,web_seed_bytes,amount_owed\r\n' +
      'fjordliv s01e01,Vinter,1234,,,,987654321,12345,61.70\r\n' +
      'total,,1234,,,,987654321,12345,61.70\r\n',
  );
});

test(
  'the statement prints to a one-page A4 PDF in Chromium',
  { skip: skipUnless(program('chromium')), timeout: 60_000 },
  async () => {
    const page = reportHtml(report, { id: 7, issuedAt: '2026-12-01 09:00', corrects: null });
    assert.match(page, /Label &lt;X&gt; &amp; Co/);
    assert.doesNotMatch(page, /<script/);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      timeout: 30_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const p = await browser.newPage();
      await p.setContent(page);
      assert.equal(await p.locator('tfoot td').last().textContent(), '61.70');
      assert.match(
        ((await p.locator('body').textContent()) ?? '').replace(/\s+/g, ' '),
        /Statement 7, issued 2026-12-01 09:00/,
      );
      const pdf = await p.pdf({ preferCSSPageSize: true });
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
      const pages = pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? [];
      assert.equal(pages.length, 1, 'one page');
      // A4 is 595 x 842 points.
      assert.match(pdf.toString('latin1'), /\/MediaBox\s*\[\s*0 0 59[45]\.\d* 84[12]\.\d*/);
      process.stdout.write(`# statement PDF: ${pdf.length} bytes, ${pages.length} page\n`);
    } finally {
      await browser.close();
    }
  },
);

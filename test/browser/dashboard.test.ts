/**
 * The newsroom dashboard end to end, as issue 7 asks: `fjord serve` with the tracker and the web
 * server on loopback, an admin made with `fjord user add`, an episode published (cleared) with
 * `fjord publish`, and a real swarm: a libtorrent seeder with the published files and a libtorrent
 * leecher, finding each other only through fjord's tracker, complete a download. SIGUSR2 makes
 * `fjord serve` record the minute at once (no waiting for the minute timer). Then headless Chromium
 * logs in through the login form, changes the one-time password as the first login demands, opens the
 * episode's page and sees the completion in the chart (a bar with its value) and in the table; a
 * screenshot goes to test-artifacts/. Last, it publishes a second episode from the inbox through the
 * dashboard's form and watches the progress bar's page reach the result.
 *
 * The torrent's web seed points at a closed port, so the bytes can only come from the seeder.
 * Every wait is bounded; every child process is stopped in `finally`; the temporary folder goes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { runFjord, serveFjord, type Served } from '../helpers/cli.js';
import { program, pythonModule, skipUnless } from '../helpers/programs.js';
import { freeTcpPort, ltPeer, until, type LtPeer } from '../interop/helpers-procs.js';
import { stats } from '../interop/helpers-stats.js';
import { randomFile } from '../publish/publish-helpers.js';
import { artifact } from '../web/browser-helpers.js';

const skip = skipUnless(program('chromium'), pythonModule('libtorrent'), program('timeout'));

/** Waits (bounded) for a line in the server's stderr. */
async function stderrLine(served: Served, match: RegExp, ms: number, what: string): Promise<string> {
  return until(ms, what, async () => match.exec(served.stderr())?.[0]).catch((e: Error) => {
    throw new Error(`${e.message}\n--- fjord serve stderr ---\n${served.stderr().slice(-3000)}`);
  });
}

async function stopServe(served: Served): Promise<void> {
  if (served.child.exitCode !== null || served.child.signalCode !== null) return;
  const done = served.stop('SIGTERM');
  const killed = new Promise<void>((resolve) =>
    setTimeout(() => {
      served.child.kill('SIGKILL');
      resolve();
    }, 10_000).unref(),
  );
  await Promise.race([done, killed]);
}

test(
  'dashboard: after a real libtorrent swarm completes a download, the episode page shows it in the chart and the table',
  { skip, timeout: 180_000 },
  async () => {
    const work = mkdtempSync(join(tmpdir(), 'fjord-dashboard-browser-'));
    const data = join(work, 'data');
    const inbox = join(data, 'inbox');
    mkdirSync(inbox, { recursive: true });
    let served: Served | null = null;
    const peers: LtPeer[] = [];
    let browser: Browser | null = null;
    const started = Date.now();
    try {
      served = await serveFjord(
        [
          ...['--data', data, '--admin', 'off'],
          ...['--http', '127.0.0.1:0', '--udp', '127.0.0.1:0', '--web', '127.0.0.1:0'],
          // A short interval keeps libtorrent re-announcing; the peer timeout outlives its UDP floor.
          ...['--interval', '10', '--peer-timeout', '120'],
        ],
        ['udp', 'http', 'web'],
      );
      const base = `http://127.0.0.1:${served.ports.web}`;
      const announce = `http://127.0.0.1:${served.ports.http}/announce`;

      // An admin, as an operator makes one.
      const user = runFjord(['user', 'add', 'redaktor', '--role', 'admin', '--data', data]);
      assert.equal(user.status, 0, user.stderr);
      const oneTime = /one-time password: (\S+)/.exec(user.stdout)?.[1];
      assert.ok(oneTime, user.stdout);

      // An episode, published and cleared; its web seed is a port nobody listens on.
      const closed = await freeTcpPort();
      randomFile(join(work, 'episode.mkv'), 4 * 1024 * 1024 + 12345);
      const pub = runFjord(
        [
          'publish',
          '--no-probe',
          join(work, 'episode.mkv'),
          ...['--data', data, '--series', 'Skjærgårdsliv', '--new-series', '--season', '1', '--episode', '1'],
          ...['--title', 'Fyr og flamme', '--licence', 'CC-BY-4.0', '--rights-holder', 'NRK', '--cleared'],
          ...['--tracker', announce, '--web-url', `http://127.0.0.1:${closed}`, '-q'],
        ],
        { timeout: 60_000 },
      );
      assert.equal(pub.status, 0, pub.stderr);
      const torrentPath = /^ {2}torrent: +(\S+)/m.exec(pub.stdout)?.[1];
      const name = /^published (\S+):/m.exec(pub.stdout)?.[1];
      assert.ok(torrentPath && name, pub.stdout);
      await stderrLine(served, /catalog: distributing skjaergardsliv s01e01/, 10_000, 'the catalog pickup');

      // The swarm: the seeder seeds the published folder from the data directory itself.
      const torrent = join(data, torrentPath);
      const seeder = ltPeer('libtorrent seeder', {
        torrent,
        save: join(data, 'media', 'skjaergardsliv'),
        mode: 'seed',
        timeout: 150,
      });
      peers.push(seeder);
      await seeder.waitForEvent('seeding', 30_000);
      const leecher = ltPeer('libtorrent leecher', {
        torrent,
        save: join(work, 'leech'),
        mode: 'leech',
        linger: true,
        timeout: 120,
      });
      peers.push(leecher);
      await leecher.waitForEvent('finished', 60_000);
      assert.ok(
        leecher.events.some((e) => e.event === 'tracker_reply' && Number(e.peers) > 0),
        'the leecher found the seeder through the tracker',
      );
      // The tracker has the completed announce.
      const port = served.ports.http;
      await until(15_000, 'the completed announce', async () =>
        (await stats(port)).completedSinceStart >= 1 ? true : undefined,
      );
      await leecher.quit();

      // Record now rather than at the next minute.
      const before = (served.stderr().match(/statistics: recorded on SIGUSR2/g) ?? []).length;
      served.child.kill('SIGUSR2');
      await until(15_000, 'the SIGUSR2 recording', async () =>
        (served?.stderr().match(/statistics: recorded on SIGUSR2/g) ?? []).length > before ? true : undefined,
      );

      // The newsroom, in Chromium: log in, change the one-time password, see the episode.
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        timeout: 30_000,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 } });
      const page: Page = await context.newPage();
      page.setDefaultTimeout(20_000);
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));

      await page.goto(`${base}/admin/`);
      assert.match(page.url(), /\/admin\/login\?next=%2Fadmin%2F$/);
      await page.fill('#name', 'redaktor');
      await page.fill('#password', oneTime);
      await page.click('main button[type=submit]');
      await page.waitForURL(/\/admin\/password\?next=/);
      assert.match((await page.textContent('main')) ?? '', /Change the one-time password/);
      const fresh = 'a newsroom password long enough';
      await page.fill('#current', oneTime);
      await page.fill('#new', fresh);
      await page.fill('#repeat', fresh);
      await page.click('main button[type=submit]');
      await page.waitForURL(`${base}/admin/`);
      // From the overview's list of releases to the episode's page.
      await page.click('main a[href^="/admin/episodes/"]:has-text("Fyr og flamme")');
      await page.waitForURL(/\/admin\/episodes\/\d+$/);
      assert.equal(await page.textContent('h1'), 'Skjærgårdsliv S01E01: Fyr og flamme');

      // The chart: a bar in the completions chart carrying the completion.
      const bars = page.locator('svg#episode-completions rect.point');
      assert.ok((await bars.count()) >= 1, 'the completions chart has a data point');
      const values = (
        await bars.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))))
      ).filter((v) => v > 0);
      assert.deepEqual(values, [1], 'one bar, of one completion');
      assert.equal(await page.locator('svg#episode-completions').getAttribute('role'), 'img');
      // The table beside it: open it, as a reader does, and read the cell.
      const block = page.locator('figure.chart-block', { has: page.locator('svg#episode-completions') });
      await block.locator('summary').click();
      const cells = block.locator('#episode-completions-table td data.completions');
      await cells.first().waitFor({ state: 'visible' });
      const texts = (await cells.allTextContents()).filter((t) => t !== '0');
      assert.deepEqual(texts, ['1'], 'the table shows one completion');
      // The key figures: one completion, all of it carried by the peers (the web seed is unreachable).
      assert.equal(await page.locator('dl.facts data.completions').first().textContent(), '1');
      const p2p = page
        .locator('dl.facts dt', { hasText: /^P2P share$/ })
        .locator('xpath=following-sibling::dd[1]');
      assert.equal(await p2p.textContent(), '100%');
      await page.screenshot({ path: artifact('dashboard-episode.png'), fullPage: true });

      // The CSV beside the chart is the API's.
      const csvHref = await block.locator('a.csv').getAttribute('href');
      assert.ok(csvHref);
      const csv = await page.evaluate(async (u) => (await fetch(u)).text(), csvHref);
      // (fetch's text() drops the byte order mark.)
      const [head, ...lines] = csv
        .replace(/^\ufeff/, '')
        .trim()
        .split('\r\n');
      const col = head.split(',').indexOf('completions');
      assert.ok(col > 0, head);
      assert.deepEqual(
        lines.map((l) => Number(l.split(',')[col])).filter((n) => n > 0),
        [1],
        'the CSV has the completion',
      );

      // Publishing from the inbox through the form: the progress page follows the hashing to the result.
      randomFile(join(inbox, 'episode2.mkv'), 64 * 1024 * 1024);
      // The first render of the publication's page, and the progress bar script's polls.
      let firstJobPage: Promise<string> | null = null;
      let polls = 0;
      page.on('response', (r) => {
        if (firstJobPage === null && /\/admin\/publish\/jobs\/[\w-]+$/.test(r.url())) firstJobPage = r.text();
        if (/\/progress$/.test(r.url()) && r.status() === 200) polls++;
      });
      await page.goto(`${base}/admin/publish`);
      await page.selectOption('#file', 'episode2.mkv');
      await page.fill('#series', 'skjaergardsliv');
      await page.fill('#season', '1');
      await page.fill('#episode', '2');
      await page.fill('#title', 'Andre episode');
      await page.fill('#licence', 'CC-BY-4.0');
      await page.fill('#holders', 'NRK');
      await page.check('#cleared');
      await page.check('#noProbe');
      await page.click('form.publish button[type=submit]');
      await page.waitForURL(/\/admin\/publish\/jobs\/[\w-]+$/);
      await page.locator('#publish-result').waitFor({ state: 'visible', timeout: 60_000 });
      // Still hashing when first shown (64 MiB), the page was followed by admin.js until done.
      if (/data-progress-url=/.test(await (firstJobPage ?? Promise.resolve('')))) {
        assert.ok(polls >= 1, 'the progress bar polled its JSON');
      } else process.stderr.write('# the publication was done before its page first showed\n');
      assert.match((await page.textContent('#info-hash-v1')) ?? '', /^[0-9a-f]{40}$/);
      const bar = page.locator('progress#hash-progress');
      assert.equal(await bar.getAttribute('value'), await bar.getAttribute('max'), 'the bar is full');
      await page.screenshot({ path: artifact('dashboard-publish.png'), fullPage: true });

      assert.deepEqual(errors, [], 'no console errors, page errors or CSP violations');
      process.stderr.write(`# dashboard browser test: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    } finally {
      await browser?.close().catch(() => undefined);
      await Promise.all(peers.map((p) => (p.running ? p.stop('SIGTERM', 5000) : undefined)));
      if (served) await stopServe(served);
      rmSync(work, { recursive: true, force: true });
    }
  },
);

/**
 * End to end with real WebTorrent: two headless Chromium pages load a page that uses WebTorrent's
 * browser bundle (node_modules/webtorrent/dist/webtorrent.min.js, served by a small static server
 * here); one seeds a generated file, the other downloads it over WebRTC, the peers having met
 * through fjord's WebSocket tracker only, and the SHA-256 computed in each page must match.
 *
 * Chromium flags: the two pages' WebRTC connection never leaves this machine. Where the only
 * interface is loopback, Chromium gathers candidates there only with
 * --allow-loopback-in-peer-connection; and host candidates must be plain addresses, not mDNS
 * *.local names that nothing resolves here (--disable-features=WebRtcHideLocalIpsWithMdns). On a
 * machine with another interface the test passes without them too; they keep it independent of that.
 * The pages use no STUN servers (nothing outside this machine is reachable).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { program, skipUnless } from '../helpers/programs.js';
import { startWsTracker, type WsRunning } from '../helpers/ws.js';

const ROOT = join(import.meta.dirname, '../..');
const BUNDLE = join(ROOT, 'node_modules/webtorrent/dist/webtorrent.min.js');

// The page: window.seed(bytes) and window.fetchTorrent(magnet) return { infoHash, sha256, ... }.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>fjord ws e2e</title>
<script type="module">
import WebTorrent from '/webtorrent.min.js';
const tracker = new URL(location.href).searchParams.get('tracker');
const client = new WebTorrent({
  dht: false, lsd: false, utPex: false, webSeeds: false,
  tracker: { rtcConfig: { iceServers: [] } },
});
client.on('error', (e) => console.log('client error: ' + e));
const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
window.seed = (size) => new Promise((resolve, reject) => {
  const data = new Uint8Array(size);
  for (let o = 0; o < size; o += 65536) crypto.getRandomValues(data.subarray(o, Math.min(size, o + 65536)));
  const file = new File([data], 'episode.bin');
  client.seed(file, { announce: [tracker], announceList: [[tracker]], name: 'episode.bin' }, async (t) => {
    resolve({ infoHash: t.infoHash, magnet: t.magnetURI, sha256: hex(await crypto.subtle.digest('SHA-256', data)) });
  });
  setTimeout(() => reject(new Error('seed timed out')), 60000);
});
window.fetchTorrent = (magnet) => new Promise((resolve, reject) => {
  const t = client.add(magnet, { announce: [tracker] });
  t.on('warning', (e) => console.log('torrent warning: ' + e));
  t.on('wire', () => console.log('wire connected'));
  t.on('done', async () => {
    const buf = await t.files[0].arrayBuffer();
    resolve({ infoHash: t.infoHash, length: buf.byteLength, sha256: hex(await crypto.subtle.digest('SHA-256', buf)) });
  });
  setTimeout(() => reject(new Error('download timed out; peers: ' + t.numPeers)), 90000);
});
window.ready = true;
</script>`;

let tracker: WsRunning | null = null;
let server: http.Server | null = null;
const closers: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
  if (server) await new Promise((r) => server?.close(r));
  if (tracker) await tracker.stop();
});

test(
  "two Chromium pages share a file through fjord's WebSocket tracker with WebTorrent",
  { skip: skipUnless(program('chromium')), timeout: 180_000 },
  async () => {
    const { chromium } = await import('playwright-core');
    tracker = await startWsTracker({ mode: 'open' });
    const bundle = readFileSync(BUNDLE);
    server = http.createServer((req, res) => {
      if (req.url === '/webtorrent.min.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      } else if (req.url?.startsWith('/index.html')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', () => r()));
    const pagePort = (server.address() as AddressInfo).port;
    const pageUrl = `http://127.0.0.1:${pagePort}/index.html?tracker=${encodeURIComponent(tracker.url)}`;

    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--allow-loopback-in-peer-connection',
        '--disable-features=WebRtcHideLocalIpsWithMdns',
      ],
    });
    closers.push(() => browser.close());
    const logs: string[] = [];
    const page = async (name: string) => {
      const context = await browser.newContext();
      const p = await context.newPage();
      p.on('console', (m) => logs.push(`${name}: ${m.text()}`));
      p.on('pageerror', (e) => logs.push(`${name}: page error: ${e.message}`));
      await p.goto(pageUrl);
      await p.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
      return p;
    };
    const seeder = await page('seeder');
    const leecher = await page('leecher');

    const size = 1536 * 1024 + 123;
    const seeded = await seeder.evaluate(
      (n) =>
        (
          globalThis as unknown as {
            seed(n: number): Promise<{ infoHash: string; magnet: string; sha256: string }>;
          }
        ).seed(n),
      size,
    );
    try {
      const got = await leecher.evaluate(
        (m) =>
          (
            globalThis as unknown as {
              fetchTorrent(m: string): Promise<{ infoHash: string; length: number; sha256: string }>;
            }
          ).fetchTorrent(m),
        seeded.magnet,
      );
      assert.equal(got.infoHash, seeded.infoHash);
      assert.equal(got.length, size);
      assert.equal(got.sha256, seeded.sha256, 'the bytes match');
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${logs.slice(-30).join('\n')}`);
    }
    // The meeting happened through fjord: both browsers announced, an offer and its answer were relayed.
    const c = tracker.tracker.counters;
    assert.ok(c.wsOffersRelayed >= 1, `offers relayed: ${c.wsOffersRelayed}`);
    assert.ok(c.wsAnswersRelayed >= 1, `answers relayed: ${c.wsAnswersRelayed}`);
  },
);

/**
 * Issue 19, item 8: one address cannot inflate a swarm's figures. Against a real `fjord serve` (an
 * open tracker with the web server and the dashboard), from 127.0.0.1 alone:
 *   - 3,000 announces on 3,000 ports (UDP, and again over HTTP) leave at most peersPerAddress (8)
 *     peers in the swarm, and every announce is still answered;
 *   - 500 `completed` announces on 500 ports, and 100 rounds of completed-then-stopped on one port,
 *     count at most completionsPerAddress (8) completions;
 *   - /admin/sources lists 127.0.0.1 with the refusals, and /metrics counts them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openCatalog, type Catalog } from '../../src/catalog/index.js';
import { Accounts } from '../../src/auth/accounts.js';
import {
  UdpClient,
  announcePath,
  hashOf,
  httpGet,
  percent,
  udpAnnounce,
  udpScrape,
} from '../helpers/tracker.js';
import { startSite, type Site } from '../web/site-helpers.js';
import { changePassword, get, login } from '../subtitles/helpers.js';

const LIMIT = 8;
let site: Site;
let catalog: Catalog;
let udp: UdpClient;
let connectionId: Buffer;

before(async () => {
  site = await startSite('fjord-limits-', { mode: 'open' });
  udp = new UdpClient(site.ports.http);
  connectionId = await udp.connect();
});
after(async () => {
  udp?.close();
  await catalog?.close();
  await site?.stop();
});

/** seeders, completed, leechers of one torrent by UDP scrape. */
async function scrape(hash: Buffer): Promise<{ seeders: number; completed: number; leechers: number }> {
  const r = await udp.request(udpScrape(connectionId, [hash]), 5000);
  return { seeders: r.readUInt32BE(8), completed: r.readUInt32BE(12), leechers: r.readUInt32BE(16) };
}

async function udpAnnounces(hash: Buffer, ports: number[], o: { event?: number; left?: bigint } = {}) {
  for (const port of ports) {
    const r = await udp.request(udpAnnounce({ connectionId, infoHash: hash, port, ...o }), 5000);
    assert.equal(r.readUInt32BE(0), 1, 'an announce reply');
  }
}

/** HTTP announces, a few at a time; each must be answered 200 with peers (not a failure). */
async function httpAnnounces(hash: Buffer, ports: number[], extra: { event?: string; left?: number } = {}) {
  let next = 0;
  const worker = async () => {
    while (next < ports.length) {
      const port = ports[next++];
      const r = await httpGet(site.ports.http, announcePath({ hash, port, ...extra }));
      assert.equal(r.status, 200);
      assert.doesNotMatch(r.body.toString('latin1'), /failure reason/);
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

test('3,000 ports from one address over UDP: at most 8 peers stored, every announce answered', async () => {
  const h = hashOf(801);
  await udpAnnounces(h, range(10_000, 3000));
  const s = await scrape(h);
  assert.equal(s.seeders + s.leechers, LIMIT, `peers in the swarm: ${JSON.stringify(s)}`);
  // Another address still gets in.
  const other = new UdpClient(site.ports.http);
  await other.bind('127.0.0.2');
  const id = await other.connect();
  await other.request(udpAnnounce({ connectionId: id, infoHash: h, port: 7000 }));
  other.close();
  const s2 = await scrape(h);
  assert.equal(s2.seeders + s2.leechers, LIMIT + 1);
});

test('3,000 ports from one address over HTTP: at most 8 peers stored', async () => {
  const h = hashOf(802);
  await httpAnnounces(h, range(20_000, 3000));
  const r = await httpGet(site.ports.http, `/scrape?info_hash=${percent(h)}`);
  const body = r.body.toString('latin1');
  const complete = Number(/8:completei(\d+)e/.exec(body)?.[1]);
  const incomplete = Number(/10:incompletei(\d+)e/.exec(body)?.[1]);
  assert.equal(complete + incomplete, LIMIT, body);
});

test('500 completions from one address count at most 8, also when peers stop and come back', async () => {
  const h = hashOf(803);
  await udpAnnounces(h, range(30_000, 500), { event: 1, left: 0n });
  assert.equal((await scrape(h)).completed, LIMIT);

  const h2 = hashOf(804);
  for (let i = 0; i < 100; i++) {
    await udpAnnounces(h2, [40_000], { event: 1, left: 0n });
    await udpAnnounces(h2, [40_000], { event: 3, left: 0n });
  }
  assert.equal((await scrape(h2)).completed, LIMIT);

  const h3 = hashOf(805);
  await httpAnnounces(h3, range(50_000, 500), { event: 'completed', left: 0 });
  const r = await httpGet(site.ports.http, `/scrape?info_hash=${percent(h3)}`);
  assert.equal(Number(/10:downloadedi(\d+)e/.exec(r.body.toString('latin1'))?.[1]), LIMIT);
});

test('the dashboard lists the address as a suspicious source, with its refusals', async () => {
  catalog = await openCatalog({ dataDir: site.data });
  const accounts = new Accounts(catalog.backend, { scryptN: 1 << 12 });
  const { password } = await accounts.addUser('chief', 'admin', 'test');
  const s = await login(site.ports.web, 'chief', password);
  await changePassword(site.ports.web, s, password, 'a long enough password');
  const page = await get(site.ports.web, '/admin/sources', s);
  assert.equal(page.status, 200);
  const row = /<tr>\s*<td class="">\s*<code>127\.0\.0\.1<\/code>[\s\S]*?<\/tr>/.exec(page.text)?.[0];
  assert.ok(row, page.text);
  // peers refused: 2,992 (UDP) + 2,992 (HTTP) + 492 (the completions' swarm) + 492 (HTTP completions)
  const cells = [...row.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((m) =>
    Number(m[1].replace(/\D/g, '')),
  );
  assert.equal(cells[0], 2 * (3000 - LIMIT) + 2 * (500 - LIMIT), row);
  // completions not counted: 492 (UDP, 500 ports) + 92 (completed-and-stopped) + 492 (HTTP)
  assert.equal(cells[1], 2 * (500 - LIMIT) + (100 - LIMIT), row);
  const metrics = (await httpGet(site.ports.http, '/metrics')).body.toString();
  assert.match(metrics, new RegExp(`fjord_address_limit_refusals_total\\{limit="peers"\\} ${cells[0]}\\b`));
  assert.match(
    metrics,
    new RegExp(`fjord_address_limit_refusals_total\\{limit="completions"\\} ${cells[1]}\\b`),
  );
  const anon = await get(site.ports.web, '/admin/sources');
  assert.equal(anon.status, 303);
});

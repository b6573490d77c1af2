/**
 * Accounts scoped to a party (issue 14) over HTTP: a `rights-holder` account sees its own party's
 * report and contracts, read-only, and gets 404 for another party's (as if it did not exist) and
 * 403 for everything else in the admin API; editors see every party; moderators none.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCatalog, type Catalog } from '../../src/catalog/index.js';
import { Accounts } from '../../src/auth/accounts.js';
import { AuthHttp } from '../../src/auth/http.js';
import { registerLogin } from '../../src/web/admin/login-page.js';
import { NewsroomApi } from '../../src/web/admin/newsroom-api.js';
import { NewsroomReports } from '../../src/reports/newsroom.js';
import { WebServer } from '../../src/web/server.js';
import { StatsStore } from '../../src/stats/store.js';
import { MINUTE, TOTAL, type SwarmRow } from '../../src/stats/schema.js';
import { sampleEpisode } from '../catalog/fixtures.js';

const NOW = Date.UTC(2026, 5, 3, 10, 30, 0);
let port = 0;
let dataDir = '';
let catalog: Catalog;
let web: WebServer;
const cookies: Record<string, string> = {};

/** One request to the test server: its status, headers and body text. */
function request(method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>(
    (resolve, reject) => {
      const h =
        body === undefined
          ? headers
          : {
              'content-type': 'application/json',
              'content-length': String(Buffer.byteLength(body)),
              ...headers,
            };
      const req = http.request({ host: '127.0.0.1', port, method, path, headers: h, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    },
  );
}

async function get(path: string, who?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await request('GET', path, who ? { cookie: cookies[who] } : {});
  return { status: r.status, json: JSON.parse(r.text || '{}') as Record<string, unknown> };
}

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  request('POST', path, headers, JSON.stringify(body));

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'fjord-rights-holder-'));
  catalog = await openCatalog({ dataDir, clock: () => new Date(NOW) });
  const episode = await catalog.publishEpisode(sampleEpisode({ seriesTitle: 'Fjordliv' }));
  const labelx = await catalog.contracts.addParty({ name: 'Label X', kind: 'music' }, 'test');
  await catalog.contracts.addParty({ name: 'Fjordkoret', kind: 'performers' }, 'test');
  for (const [party, amount] of [
    ['Label X', 100_000],
    ['Fjordkoret', 50_000],
  ] as const)
    await catalog.contracts.addContract(
      {
        party,
        status: 'signed',
        validFrom: new Date(Date.UTC(2026, 0, 1)),
        validUntil: null,
        coverage: [{ series: 'fjordliv' }],
        compensation: 'per-download',
        amountMicros: amount,
        currency: 'NOK',
      },
      'test',
    );
  // Ten completions on 2 June 2026.
  const stats = new StatsStore(catalog.backend);
  const base = Date.UTC(2026, 5, 2, 18, 0, 0);
  for (let m = 0; m < 10; m++) {
    const row = (id: number): SwarmRow => ({
      bucket: base + m * MINUTE,
      torrent_id: id,
      samples: 1,
      seeders_sum: 1,
      leechers_sum: 1,
      peers_max: 2,
      peers_max_at: base,
      completions: 1,
      announces_udp4: 1,
      announces_udp6: 0,
      announces_http4: 0,
      announces_http6: 0,
      announces_ws4: 0,
      announces_ws6: 0,
      partial_bytes: 0,
    });
    await stats.writeMinute({
      bucket: base + m * MINUTE,
      swarms: [row(TOTAL), row(episode.torrents[0].id)],
      clients: [],
      webSeed: [],
    });
  }
  await stats.rollUp(base, base + 3_600_000);

  const accounts = new Accounts(catalog.backend, { scryptN: 1 << 10 });
  const auth = new AuthHttp({ accounts, trustedProxies: ['127.0.0.0/8'], trustProxyTls: false });
  web = new WebServer();
  registerLogin(web, auth);
  new NewsroomApi({
    auth,
    catalog,
    reports: new NewsroomReports({
      catalog,
      stats,
      timeZone: 'Europe/Oslo',
      httpPricePerGb: 0.05,
      currency: 'NOK',
      clock: () => NOW,
    }),
    timeZone: 'Europe/Oslo',
  }).register(web);
  port = (await web.listen({ host: '127.0.0.1', port: 0 })).port;

  await assert.rejects(accounts.addUser('nobody', 'rights-holder', 'test'), /needs its party/);
  await assert.rejects(accounts.addUser('odd', 'editor', 'test', labelx.id), /only for rights-holder/);
  for (const [name, role, party] of [
    ['labelx', 'rights-holder', labelx.id],
    ['editor1', 'editor', null],
    ['moderator1', 'moderator', null],
  ] as const) {
    const { password } = await accounts.addUser(name, role, 'test', party);
    const r = await post('/admin/login', { name, password });
    assert.equal(r.status, 200, r.text);
    const cookie =
      (r.headers['set-cookie'] ?? []).find((c) => c.startsWith('fjord_session='))?.split(';')[0] ?? '';
    const csrf = (JSON.parse(r.text) as { csrfToken: string }).csrfToken;
    const changed = await post(
      '/admin/api/password',
      { current: password, new: `a long enough password for ${name}` },
      { cookie, 'x-csrf-token': csrf },
    );
    assert.equal(changed.status, 200, changed.text);
    cookies[name] = cookie;
  }
});

after(async () => {
  await web.close();
  await catalog.close();
  await rm(dataDir, { recursive: true, force: true });
});

test("a rights holder sees its own report and contracts, and not another party's", async () => {
  const own = await get('/admin/api/rights/report?month=2026-06', 'labelx');
  assert.equal(own.status, 200, JSON.stringify(own.json));
  assert.equal((own.json.party as { name: string }).name, 'Label X');
  const works = own.json.works as Array<{ work: string; completedDownloads: number; owedMicros: number }>;
  assert.deepEqual(
    works.map((w) => [w.work, w.completedDownloads, w.owedMicros]),
    [['fjordliv s01e01', 10, 1_000_000]],
  );
  assert.equal((await get('/admin/api/rights/report?party=label%20x&month=2026-06', 'labelx')).status, 200);

  const other = await get('/admin/api/rights/report?party=Fjordkoret&month=2026-06', 'labelx');
  assert.equal(other.status, 404);
  assert.equal(JSON.stringify(other.json).includes('50000'), false, 'nothing of the other party leaks');
  assert.equal((await get('/admin/api/rights/contracts?party=Fjordkoret', 'labelx')).status, 404);
  const contracts = await get('/admin/api/rights/contracts', 'labelx');
  assert.deepEqual(
    (contracts.json.contracts as Array<{ party: string }>).map((k) => k.party),
    ['Label X'],
  );
  // Nothing else of the admin API.
  for (const path of ['/admin/api/overview', '/admin/api/rights-calendar', '/admin/api/audit'])
    assert.equal((await get(path, 'labelx')).status, 403, path);
});

test('editors see every party; moderators none; anonymous users are asked to log in', async () => {
  // The rights calendar lists contract edges with what each switches.
  const k = await catalog.contracts.addContract(
    {
      party: 'Broadcaster',
      status: 'signed',
      validFrom: new Date(Date.UTC(2026, 0, 1)),
      validUntil: new Date(NOW + 86_400_000),
      coverage: [{ series: 'fjordliv' }],
      compensation: 'none',
    },
    'test',
  );
  const cal = await get('/admin/api/rights-calendar?days=30', 'editor1');
  assert.equal(cal.status, 200);
  assert.deepEqual(cal.json.contracts, [
    {
      at: '2026-06-04T12:30:00+02:00',
      day: '2026-06-04',
      change: 'ends',
      contract: k.id,
      party: 'Broadcaster',
      status: 'signed',
      switchesOn: '',
      switchesOff: 'fjordliv s01e01 "Episode 1"',
    },
  ]);
  assert.equal((await get('/admin/api/rights-calendar?days=30', 'labelx')).status, 403);
  const r = await get('/admin/api/rights/report?party=Fjordkoret&month=2026-06', 'editor1');
  assert.equal(r.status, 200);
  assert.equal((r.json.totals as { owedMicros: number }).owedMicros, 500_000);
  assert.equal((await get('/admin/api/rights/report?party=Fjordkoret&month=2026-13', 'editor1')).status, 400);
  assert.equal((await get('/admin/api/rights/report?party=Nobody&month=2026-06', 'editor1')).status, 404);
  assert.equal(
    (await get('/admin/api/rights/report?party=Fjordkoret&month=2026-06', 'moderator1')).status,
    403,
  );
  assert.equal((await get('/admin/api/rights/report?party=Fjordkoret&month=2026-06')).status, 401);
});

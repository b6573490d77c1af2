/**
 * The admin area over HTTP: every API route refuses anonymous users (401) and users of the wrong role
 * (403); writes without the CSRF token are refused; the login form has its own CSRF check; session
 * cookie flags (HttpOnly, SameSite=Strict, Secure behind TLS); and the figures and CSV on made-up rows.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCatalog, type Catalog, type Episode } from '../../src/catalog/index.js';
import { Accounts } from '../../src/auth/accounts.js';
import { AuthHttp } from '../../src/auth/http.js';
import { registerLogin } from '../../src/web/admin/login-page.js';
import { NewsroomApi } from '../../src/web/admin/newsroom-api.js';
import { NewsroomReports } from '../../src/reports/newsroom.js';
import { WebServer } from '../../src/web/server.js';
import { StatsStore } from '../../src/stats/store.js';
import { HOUR, MINUTE, TOTAL, type SwarmRow } from '../../src/stats/schema.js';
import { sampleEpisode } from '../catalog/fixtures.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

let port = 0;

function request(
  method: string,
  path: string,
  o: { cookie?: string; headers?: Record<string, string>; body?: string; type?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.cookie) headers.cookie = o.cookie;
    if (o.body !== undefined) {
      headers['content-type'] = o.type ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(o.body));
    }
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
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
    req.end(o.body);
  });
}

const cookieOf = (r: Reply, name: string): string | null => {
  for (const c of r.headers['set-cookie'] ?? []) if (c.startsWith(`${name}=`)) return c;
  return null;
};

interface Login {
  cookie: string;
  csrf: string;
}

async function login(name: string, password: string): Promise<Login> {
  const r = await request('POST', '/admin/login', { body: JSON.stringify({ name, password }) });
  assert.equal(r.status, 200, r.text);
  const set = cookieOf(r, 'fjord_session');
  assert.ok(set);
  return { cookie: set.split(';')[0], csrf: (JSON.parse(r.text) as { csrfToken: string }).csrfToken };
}

const NOW = Date.UTC(2026, 5, 3, 10, 30, 0); // 12:30 in Oslo

/** Every API route, and the roles allowed to use it. */
const ROUTES: Array<{ method: string; path: string; roles: string[] }> = [
  { method: 'GET', path: '/admin/api/overview', roles: ['admin', 'editor'] },
  { method: 'GET', path: '/admin/api/series/SLUG', roles: ['admin', 'editor'] },
  { method: 'GET', path: '/admin/api/episodes/ID', roles: ['admin', 'editor'] },
  { method: 'GET', path: '/admin/api/clients', roles: ['admin', 'editor'] },
  { method: 'GET', path: '/admin/api/families', roles: ['admin', 'editor'] },
  { method: 'GET', path: '/admin/api/rights-calendar', roles: ['admin', 'editor'] },
  { method: 'GET', path: '/admin/api/audit', roles: ['admin'] },
  { method: 'GET', path: '/admin/api/me', roles: ['admin', 'editor', 'moderator'] },
  { method: 'POST', path: '/admin/api/password', roles: ['admin', 'editor', 'moderator'] },
];

describe('admin area over HTTP', () => {
  let dataDir = '';
  let catalog: Catalog;
  let web: WebServer;
  let episode: Episode;
  const users: Record<string, Login> = {};
  const passwords: Record<string, string> = {};
  let accounts: Accounts;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fjord-admin-'));
    // Published at 19:30 Oslo time yesterday, half an hour before the made-up statistics begin.
    let catalogNow = NOW - 17 * HOUR;
    catalog = await openCatalog({ dataDir, clock: () => new Date(catalogNow) });
    episode = await catalog.publishEpisode(
      sampleEpisode({ seriesTitle: '=Skjærgårdsliv', rights: { availableFrom: new Date(NOW - 26 * HOUR) } }),
    );
    catalogNow = NOW;
    accounts = new Accounts(catalog.backend, { scryptN: 1 << 10 });
    const auth = new AuthHttp({ accounts, trustedProxies: ['127.0.0.0/8'], trustProxyTls: false });
    web = new WebServer();
    registerLogin(web, auth);
    new NewsroomApi({
      auth,
      catalog,
      reports: new NewsroomReports({
        catalog,
        stats: new StatsStore(catalog.backend),
        timeZone: 'Europe/Oslo',
        httpPricePerGb: 0.05,
        currency: 'EUR',
        clock: () => NOW,
      }),
      timeZone: 'Europe/Oslo',
    }).register(web);
    port = (await web.listen({ host: '127.0.0.1', port: 0 })).port;

    // Made-up statistics: yesterday 18:00-19:00 UTC, 10 completions of the episode; 1 size-worth of web seed.
    const stats = new StatsStore(catalog.backend);
    const t = episode.torrents[0];
    const base = NOW - 16 * HOUR - 30 * MINUTE; // 2026-06-02T18:00Z
    for (let m = 0; m < 10; m++) {
      const b = base + m * MINUTE;
      const row = (id: number): SwarmRow => ({
        bucket: b,
        torrent_id: id,
        samples: 1,
        seeders_sum: m,
        leechers_sum: 2,
        peers_max: m + 2,
        peers_max_at: b,
        completions: 1,
        announces_udp4: 3,
        announces_udp6: 1,
        announces_http4: 0,
        announces_http6: 0,
        announces_ws4: 0,
        announces_ws6: 0,
        partial_bytes: 0,
      });
      await stats.writeMinute({
        bucket: b,
        swarms: [row(TOTAL), row(t.id)],
        clients: [{ bucket: b, client: 'qBittorrent', announces: 4, samples: 4 }],
        webSeed:
          m === 0 ? [{ bucket: b, path: episode.media[0].path, bytes: episode.media[0].sizeBytes }] : [],
      });
    }
    await stats.rollUp(base, base + HOUR);

    for (const role of ['admin', 'editor', 'moderator']) {
      const { password } = await accounts.addUser(`${role}1`, role, 'test');
      const first = await login(`${role}1`, password);
      passwords[role] = 'a long enough password ' + role;
      const r = await request('POST', '/admin/api/password', {
        cookie: first.cookie,
        headers: { 'x-csrf-token': first.csrf },
        body: JSON.stringify({ current: password, new: passwords[role] }),
      });
      assert.equal(r.status, 200, r.text);
      users[role] = first;
    }
  });

  after(async () => {
    await web.close();
    await catalog.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const path = (p: string) => p.replace('SLUG', episode.seriesSlug).replace('ID', String(episode.id));
  const call = (r: (typeof ROUTES)[number], who: Login | null, csrf = true) =>
    request(r.method, path(r.path), {
      cookie: who?.cookie,
      headers: who && csrf && r.method !== 'GET' ? { 'x-csrf-token': who.csrf } : {},
      body: r.method === 'POST' ? JSON.stringify({}) : undefined,
    });

  test('every API route refuses anonymous users with 401', async () => {
    for (const r of ROUTES) {
      const res = await call(r, null);
      assert.equal(res.status, 401, `${r.method} ${r.path}`);
      assert.equal((JSON.parse(res.text) as { error: string }).error, 'unauthenticated');
    }
    // A made-up or expired cookie is no better.
    const res = await request('GET', '/admin/api/overview', {
      cookie: 'fjord_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    assert.equal(res.status, 401);
  });

  test('every API route refuses the wrong role with 403 and serves the right ones', async () => {
    for (const r of ROUTES)
      for (const role of ['admin', 'editor', 'moderator']) {
        const res = await call(r, users[role]);
        const expected = r.roles.includes(role) ? (r.method === 'POST' ? 400 : 200) : 403;
        assert.equal(res.status, expected, `${role} ${r.method} ${r.path}: ${res.text}`);
      }
  });

  test('a write without a valid CSRF token is refused, form or API', async () => {
    const pw = ROUTES.find((r) => r.path === '/admin/api/password');
    assert.ok(pw);
    const none = await call(pw, users.editor, false);
    assert.equal(none.status, 403);
    assert.equal((JSON.parse(none.text) as { error: string }).error, 'csrf');
    const wrong = await request('POST', '/admin/api/password', {
      cookie: users.editor.cookie,
      headers: { 'x-csrf-token': users.admin.csrf },
      body: '{}',
    });
    assert.equal(wrong.status, 403);
    // Another user's token, or none, on the logout form: refused, and the session lives on.
    const out = await request('POST', '/admin/logout', {
      cookie: users.editor.cookie,
      body: `csrf=${users.admin.csrf}`,
      type: 'application/x-www-form-urlencoded',
    });
    assert.equal(out.status, 403);
    assert.equal((await call(ROUTES[0], users.editor)).status, 200);
    // The login form without its cookie-bound token: refused before any password check.
    const form = await request('POST', '/admin/login', {
      body: 'name=admin1&password=x&csrf=abc',
      type: 'application/x-www-form-urlencoded',
    });
    assert.equal(form.status, 403);
  });

  test('the login form: token cookie and field, session cookie flags, redirect only inside /admin', async () => {
    const page = await request('GET', '/admin/login?next=/admin/episodes/1');
    assert.equal(page.status, 200);
    const tokenCookie = cookieOf(page, 'fjord_login_csrf');
    assert.ok(tokenCookie);
    assert.match(tokenCookie, /HttpOnly/);
    assert.match(tokenCookie, /SameSite=Strict/);
    const token = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1];
    assert.ok(token);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    const body = new URLSearchParams({
      name: 'editor1',
      password: passwords.editor,
      csrf: token,
      next: '//evil.example/',
    }).toString();
    const r = await request('POST', '/admin/login', {
      body,
      type: 'application/x-www-form-urlencoded',
      cookie: tokenCookie.split(';')[0],
    });
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/admin/');
    const session = cookieOf(r, 'fjord_session');
    assert.ok(session);
    assert.match(session, /; Path=\/admin; HttpOnly; SameSite=Strict$/);
    assert.doesNotMatch(session, /Secure/);

    // Behind a trusted TLS proxy (loopback is trusted here): Secure.
    const tls = await request('POST', '/admin/login', {
      body: JSON.stringify({ name: 'editor1', password: passwords.editor }),
      headers: { 'x-forwarded-proto': 'https' },
    });
    assert.match(cookieOf(tls, 'fjord_session') ?? '', /; Secure/);

    // Logout with the token ends the session.
    const s = await login('editor1', passwords.editor);
    const out = await request('POST', '/admin/logout', {
      cookie: s.cookie,
      body: `csrf=${encodeURIComponent(s.csrf)}`,
      type: 'application/x-www-form-urlencoded',
    });
    assert.equal(out.status, 303);
    assert.match(cookieOf(out, 'fjord_session') ?? '', /Max-Age=0/);
    assert.equal((await request('GET', '/admin/api/me', { cookie: s.cookie })).status, 401);
  });

  test('a wrong password is 401 after the delay; a fresh user must change the one-time password first', async () => {
    const started = Date.now();
    const bad = await request('POST', '/admin/login', {
      body: JSON.stringify({ name: 'moderator1', password: 'nope' }),
    });
    assert.equal(bad.status, 401);
    assert.ok(Date.now() - started >= 240, 'answered after the failure delay');
    assert.equal(cookieOf(bad, 'fjord_session'), null);

    const { password } = await accounts.addUser('newbie', 'admin', 'test');
    const s = await login('newbie', password);
    const blocked = await request('GET', '/admin/api/overview', { cookie: s.cookie });
    assert.equal(blocked.status, 403);
    assert.equal((JSON.parse(blocked.text) as { error: string }).error, 'password-change-required');
    const me = await request('GET', '/admin/api/me', { cookie: s.cookie });
    assert.equal(me.status, 200);
    assert.equal((JSON.parse(me.text) as { mustChangePassword: boolean }).mustChangePassword, true);
  });

  test('figures: episode totals, P2P share, daily completions in Oslo time, CSV export', async () => {
    const ep = await request('GET', `/admin/api/episodes/${episode.id}`, { cookie: users.editor.cookie });
    assert.equal(ep.status, 200, ep.text);
    const body = JSON.parse(ep.text) as {
      totals: {
        completions: number;
        peakPeers: number;
        peakAt: string;
        p2pShare: number;
        webSeedBytes: number;
        costSaved: { amount: number; currency: string };
      };
      daily: Array<{ day: string; completions: number }>;
      timeline: Array<{ time: string; completions: number }>;
      releaseCurve: Array<{ hour: number; completions: number }>;
    };
    assert.equal(body.totals.completions, 10);
    assert.equal(body.totals.peakPeers, 11);
    assert.equal(body.totals.peakAt, '2026-06-02T20:09:00+02:00');
    // 10 completions, one size-worth from the web seed: 90 % carried by viewers.
    assert.equal(body.totals.p2pShare, 0.9);
    assert.equal(body.totals.costSaved.currency, 'EUR');
    assert.deepEqual(
      body.daily.filter((d) => d.completions > 0),
      [{ day: '2026-06-02', completions: 10 }],
    );
    assert.equal(body.timeline[0].time, '2026-06-02T20:00:00+02:00');
    assert.equal(body.releaseCurve.at(-1)?.completions, 10);

    const csv = await request('GET', `/admin/api/episodes/${episode.id}?format=csv&table=daily`, {
      cookie: users.editor.cookie,
    });
    assert.equal(csv.status, 200);
    assert.match(csv.headers['content-type'] ?? '', /^text\/csv/);
    assert.match(csv.headers['content-disposition'] ?? '', /attachment; filename="episodes-\d+-daily.csv"/);
    assert.ok(csv.text.startsWith('\ufeffday,completions\r\n'));
    assert.match(csv.text, /2026-06-02,10\r\n/);

    const series = await request('GET', `/admin/api/series/${episode.seriesSlug}?format=csv`, {
      cookie: users.admin.cookie,
    });
    assert.equal(series.status, 200);
    const clients = JSON.parse(
      (await request('GET', '/admin/api/clients?days=2', { cookie: users.admin.cookie })).text,
    ) as {
      clients: Array<{ client: string; announces: number; share: number }>;
    };
    assert.deepEqual(clients.clients, [{ client: 'qBittorrent', announces: 40, samples: 40, share: 1 }]);
    const fam = JSON.parse(
      (await request('GET', '/admin/api/families?days=2', { cookie: users.admin.cookie })).text,
    ) as {
      total: { ipv4: number; ipv6: number; ipv6Share: number };
    };
    assert.deepEqual(fam.total, { ipv4: 30, ipv6: 10, ipv6Share: 0.25 });
    const overview = JSON.parse(
      (await request('GET', '/admin/api/overview', { cookie: users.admin.cookie })).text,
    ) as {
      range: { completions: number; p2pShare: number };
      releases: Array<{ episodeId: number }>;
      daily: unknown[];
    };
    assert.equal(overview.range.completions, 10);
    assert.equal(overview.daily.length, 7);
    assert.deepEqual(
      overview.releases.map((r) => r.episodeId),
      [episode.id],
    );
    // A title a spreadsheet would run as a formula is defused in CSV.
    const rel = await request('GET', '/admin/api/overview?format=csv&table=releases', {
      cookie: users.admin.cookie,
    });
    assert.doesNotMatch(rel.text, /,=/);
    const bad = await request('GET', '/admin/api/overview?format=csv&table=nope', {
      cookie: users.admin.cookie,
    });
    assert.equal(bad.status, 400);
    assert.equal(
      (await request('GET', '/admin/api/episodes/999999', { cookie: users.admin.cookie })).status,
      404,
    );
    assert.equal(
      (await request('GET', '/admin/api/clients?days=0', { cookie: users.admin.cookie })).status,
      400,
    );
  });
});

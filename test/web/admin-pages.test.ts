/**
 * The dashboard's pages over HTTP (in-process: the real router, layout, accounts, admin API and
 * dashboard on a temporary catalog with made-up statistics):
 *   - every page refuses anonymous users (303 to the login page; the progress JSON 401), users of the
 *     wrong role (a 403 page), and users who have not changed their one-time password yet (303 to
 *     the password page);
 *   - a form post without the session's CSRF token is refused (403) and changes nothing;
 *   - publishing from the inbox runs the publish pipeline: bad input gives a one-line error and leaves
 *     the catalog and the data directory as they were; good input publishes, with progress and result;
 *   - the pages show the figures (chart points, tables, CSV links), escape the catalog's text, speak
 *     both languages, and carry the strict CSP.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCatalog, type Catalog, type Episode } from '../../src/catalog/index.js';
import { Accounts } from '../../src/auth/accounts.js';
import { AuthHttp } from '../../src/auth/http.js';
import { registerLogin } from '../../src/web/admin/login-page.js';
import { NewsroomApi } from '../../src/web/admin/newsroom-api.js';
import { NewsroomReports } from '../../src/reports/newsroom.js';
import { Dashboard } from '../../src/web/admin/dashboard.js';
import { Layout } from '../../src/web/layout.js';
import { WebServer } from '../../src/web/server.js';
import { StatsStore } from '../../src/stats/store.js';
import { HOUR, MINUTE, TOTAL, type SwarmRow } from '../../src/stats/schema.js';
import { parseTorrent } from '../../src/protocol/metainfo.js';
import { createTorrent } from '../../src/publish/torrent/create.js';
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
  o: { cookie?: string; headers?: Record<string, string>; form?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'accept-language': 'en', ...o.headers };
    if (o.cookie) headers.cookie = o.cookie;
    const body = o.form === undefined ? undefined : new URLSearchParams(o.form).toString();
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
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
    req.end(body);
  });
}

interface Login {
  cookie: string;
  csrf: string;
}

async function login(name: string, password: string): Promise<Login> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ name, password });
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/admin/login',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(`login ${name}: ${res.statusCode} ${text}`));
          const set = (res.headers['set-cookie'] ?? []).find((c) => c.startsWith('fjord_session='));
          if (!set) return reject(new Error('no session cookie'));
          resolve({ cookie: set.split(';')[0], csrf: (JSON.parse(text) as { csrfToken: string }).csrfToken });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const NOW = Date.UTC(2026, 5, 3, 10, 30, 0); // 12:30 in Oslo
const EVIL = '<script>alert(1)</script>';

/** Every dashboard page (GET), and the roles allowed to open it. */
const PAGES: Array<{ path: string; roles: string[] }> = [
  { path: '/admin/', roles: ['admin', 'editor'] },
  { path: '/admin/series/SLUG', roles: ['admin', 'editor'] },
  { path: '/admin/episodes/ID', roles: ['admin', 'editor'] },
  { path: '/admin/clients', roles: ['admin', 'editor'] },
  { path: '/admin/rights', roles: ['admin', 'editor'] },
  { path: '/admin/publish', roles: ['admin', 'editor'] },
  { path: '/admin/publish/jobs/JOB', roles: ['admin', 'editor'] },
  { path: '/admin/password', roles: ['admin', 'editor', 'moderator'] },
  { path: '/admin/catalogue', roles: ['admin', 'editor'] },
  { path: '/admin/catalogue/episodes/ID', roles: ['admin', 'editor'] },
  { path: '/admin/catalogue/series/SLUG', roles: ['admin', 'editor'] },
];

/** Every form (POST) and the roles allowed to post it. */
const FORMS: Array<{ path: string; roles: string[] }> = [
  { path: '/admin/publish', roles: ['admin', 'editor'] },
  { path: '/admin/password', roles: ['admin', 'editor', 'moderator'] },
  { path: '/admin/catalogue/episodes/1', roles: ['admin', 'editor'] },
  { path: '/admin/catalogue/episodes/1/unpublish', roles: ['admin', 'editor'] },
  { path: '/admin/catalogue/episodes/1/restore', roles: ['admin', 'editor'] },
  { path: '/admin/catalogue/episodes/1/delete', roles: ['admin', 'editor'] },
  { path: '/admin/catalogue/series/x', roles: ['admin', 'editor'] },
  { path: '/admin/catalogue/reissue', roles: ['admin', 'editor'] },
];

describe('dashboard pages over HTTP', () => {
  let work = '';
  let dataDir = '';
  let inbox = '';
  let catalog: Catalog;
  let web: WebServer;
  let episode: Episode;
  let dashboard: Dashboard;
  let accounts: Accounts;
  let jobId = '';
  const users: Record<string, Login> = {};
  const passwords: Record<string, string> = {};

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'fjord-dashboard-'));
    dataDir = join(work, 'data');
    inbox = join(work, 'inbox');
    mkdirSync(dataDir);
    mkdirSync(inbox);
    let catalogNow = NOW - 17 * HOUR;
    catalog = await openCatalog({ dataDir, clock: () => new Date(catalogNow) });
    episode = await catalog.publishEpisode(
      sampleEpisode({
        seriesTitle: `Skjærgårdsliv ${EVIL}`,
        title: `Fyr & flamme ${EVIL}`,
        rights: { availableFrom: new Date(NOW - 26 * HOUR), availableUntil: new Date(NOW + 5 * 24 * HOUR) },
      }),
    );
    catalogNow = NOW;
    accounts = new Accounts(catalog.backend, { scryptN: 1 << 10 });
    const auth = new AuthHttp({ accounts, trustedProxies: [], trustProxyTls: false });
    web = new WebServer();
    const api = new NewsroomApi({
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
    });
    dashboard = new Dashboard({
      auth,
      reports: api.reports,
      catalog,
      layout: new Layout({ siteName: 'fjord', stylesheet: '/assets/site.css', icon: '/assets/icon.svg' }),
      config: {
        timeZone: 'Europe/Oslo',
        dataDir,
        catalogUrl: null,
        inboxDir: inbox,
        publicTrackerUrls: ['http://127.0.0.1:6969/announce'],
        publicWebUrl: 'http://127.0.0.1:8080',
      },
    });
    registerLogin(web, auth, dashboard.loginRenderer);
    api.register(web);
    dashboard.register(web);
    port = (await web.listen({ host: '127.0.0.1', port: 0 })).port;

    // Made-up statistics: 2026-06-02 18:00-18:10 UTC, one completion a minute; a tenth from the web seed.
    const stats = new StatsStore(catalog.backend);
    const t = episode.torrents[0];
    const start = NOW - 16 * HOUR - 30 * MINUTE;
    for (let m = 0; m < 10; m++) {
      const b = start + m * MINUTE;
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
        clients: [{ bucket: b, client: `Client ${EVIL}`, announces: 4, samples: 4 }],
        webSeed:
          m === 0 ? [{ bucket: b, path: episode.media[0].path, bytes: episode.media[0].sizeBytes }] : [],
      });
    }
    await stats.rollUp(start, start + HOUR);

    for (const role of ['admin', 'editor', 'moderator']) {
      const { password } = await accounts.addUser(`${role}1`, role, 'test');
      const first = await login(`${role}1`, password);
      passwords[role] = `a long enough password ${role}`;
      const r = await request('POST', '/admin/password', {
        cookie: first.cookie,
        form: { csrf: first.csrf, current: password, new: passwords[role], repeat: passwords[role] },
      });
      assert.equal(r.status, 303, r.text);
      users[role] = first;
    }
  });

  after(async () => {
    await web.close();
    await catalog.close();
    await rm(work, { recursive: true, force: true });
  });

  const path = (p: string) =>
    p
      .replace('SLUG', encodeURIComponent(episode.seriesSlug))
      .replace('ID', String(episode.id))
      .replace('JOB', jobId);

  /** Catalog and data directory as they stand, to prove a refusal changed neither. */
  async function state(): Promise<string> {
    const episodes = (await catalog.listEpisodes()).map((e) => `${e.id}:${e.seriesSlug}:${e.title}`);
    const events = (await catalog.listEvents({ limit: 1000 })).filter(
      (e) => !e.action.startsWith('user.') && !e.action.startsWith('login'),
    );
    const files = readdirSync(dataDir).filter((f) => !f.startsWith('catalog.sqlite'));
    return JSON.stringify({
      episodes,
      events: events.length,
      series: (await catalog.listSeries()).length,
      files,
    });
  }

  test('the login page uses the shared layout, with its own CSRF token, in the chosen language', async () => {
    const en = await request('GET', '/admin/login?next=/admin/clients');
    assert.equal(en.status, 200);
    assert.match(en.text, /<html lang="en">/);
    assert.match(en.text, /<h1>Log in<\/h1>/);
    assert.match(en.text, /name="csrf" value="[^"]+"/);
    assert.match(en.text, /name="next" value="\/admin\/clients"/);
    assert.match(String(en.headers['content-security-policy']), /script-src 'self'/);
    assert.doesNotMatch(String(en.headers['content-security-policy']), /unsafe-inline/);
    const nb = await request('GET', '/admin/login', { headers: { 'accept-language': 'nb' } });
    assert.match(nb.text, /<h1>Logg inn<\/h1>/);
  });

  test('every page refuses anonymous users: 303 to the login page, the progress JSON 401', async () => {
    jobId = 'nosuchjob';
    for (const p of PAGES) {
      const r = await request('GET', path(p.path));
      assert.equal(r.status, 303, p.path);
      assert.equal(r.headers.location, `/admin/login?next=${encodeURIComponent(path(p.path))}`, p.path);
      assert.doesNotMatch(r.text, /Skjærgårdsliv/);
    }
    for (const f of FORMS) {
      const r = await request('POST', f.path, { form: { csrf: users.admin.csrf } });
      assert.equal(r.status, 303, f.path);
      assert.match(String(r.headers.location), /^\/admin\/login\?next=/);
    }
    const progress = await request('GET', '/admin/publish/jobs/x/progress');
    assert.equal(progress.status, 401);
    // A made-up session cookie is no better.
    const fake = await request('GET', '/admin/', {
      cookie: 'fjord_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    });
    assert.equal(fake.status, 303);
  });

  test('every page refuses the wrong role with a 403 page and opens for the right ones', async () => {
    jobId = 'nosuchjob';
    for (const p of PAGES)
      for (const role of ['admin', 'editor', 'moderator']) {
        const r = await request('GET', path(p.path), { cookie: users[role].cookie });
        if (p.path === '/admin/' && role === 'moderator') {
          // A moderator may not see statistics: the admin home sends them to their queue.
          assert.equal(r.status, 303);
          assert.equal(r.headers.location, '/admin/moderation');
          continue;
        }
        // An unknown publication is a 404 page for those allowed to look.
        const ok = p.path.includes('JOB') ? 404 : 200;
        const want = p.roles.includes(role) ? ok : 403;
        assert.equal(r.status, want, `${role} GET ${p.path}`);
        assert.match(String(r.headers['content-type']), /^text\/html/);
        if (want === 403) {
          assert.match(r.text, /<h1>Forbidden<\/h1>/);
          assert.match(r.text, /The moderator role may not open this page/);
          assert.doesNotMatch(r.text, /Fyr &amp; flamme/);
        }
      }
    for (const f of FORMS)
      if (!f.roles.includes('moderator')) {
        const r = await request('POST', f.path, {
          cookie: users.moderator.cookie,
          form: { csrf: users.moderator.csrf },
        });
        assert.equal(r.status, 403, f.path);
      }
    const progress = await request('GET', '/admin/publish/jobs/x/progress', {
      cookie: users.moderator.cookie,
    });
    assert.equal(progress.status, 403);
  });

  test('until the one-time password is changed, every page leads to the password page', async () => {
    const { password } = await accounts.addUser('newbie', 'admin', 'test');
    const s = await login('newbie', password);
    for (const p of PAGES.filter((x) => x.path !== '/admin/password')) {
      const r = await request('GET', path(p.path), { cookie: s.cookie });
      assert.equal(r.status, 303, p.path);
      assert.match(String(r.headers.location), /^\/admin\/password\?next=/, p.path);
    }
    const pw = await request('GET', '/admin/password', { cookie: s.cookie });
    assert.equal(pw.status, 200);
    assert.match(pw.text, /Change the one-time password before you go on/);
    // Mismatched repeat, wrong current, too short: refused with the reason, nothing changed.
    const form = (current: string, fresh: string, repeat = fresh) => ({
      csrf: s.csrf,
      current,
      new: fresh,
      repeat,
      next: '/admin/clients',
    });
    for (const [f, why] of [
      [form(password, 'a new long password', 'another'), /The two new passwords differ/],
      [form('wrong', 'a new long password'), /The current password is wrong/],
      [form(password, 'short'), /at least 12 characters/],
    ] as const) {
      const r = await request('POST', '/admin/password', { cookie: s.cookie, form: f });
      assert.equal(r.status, 400);
      assert.match(r.text, why);
    }
    const ok = await request('POST', '/admin/password', {
      cookie: s.cookie,
      form: form(password, 'a new long password'),
    });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.location, '/admin/clients');
    assert.equal((await request('GET', '/admin/', { cookie: s.cookie })).status, 200);
  });

  test('a form post without a valid CSRF token is refused with 403 and changes nothing', async () => {
    writeFileSync(join(inbox, 'csrf.mkv'), Buffer.alloc(4096, 1));
    const before = await state();
    const publishForm = {
      file: 'csrf.mkv',
      series: 'csrf-show',
      newSeries: 'on',
      season: '1',
      episode: '1',
      title: 'Should not appear',
      cleared: 'on',
    };
    for (const csrf of [undefined, '', 'made-up', users.admin.csrf]) {
      const form: Record<string, string> = { ...publishForm };
      if (csrf !== undefined) form.csrf = csrf;
      const r = await request('POST', '/admin/publish', { cookie: users.editor.cookie, form });
      assert.equal(r.status, 403, `csrf ${String(csrf)}`);
      assert.match(r.text, /The form expired or came from elsewhere/);
    }
    assert.equal(dashboard.jobs.recent().length, 0, 'no publication was started');
    assert.equal(await state(), before);
    // The password form: refused, and the old password still works.
    const r = await request('POST', '/admin/password', {
      cookie: users.editor.cookie,
      form: { current: passwords.editor, new: 'an attacker chosen one', repeat: 'an attacker chosen one' },
    });
    assert.equal(r.status, 403);
    await login('editor1', passwords.editor);
    // Logging out needs the token too.
    const out = await request('POST', '/admin/logout', { cookie: users.editor.cookie, form: {} });
    assert.equal(out.status, 403);
    assert.equal((await request('GET', '/admin/', { cookie: users.editor.cookie })).status, 200);
  });

  test('publishing with bad input gives a one-line error and leaves the catalog and data directory as they were', async () => {
    writeFileSync(join(inbox, 'episode.mkv'), Buffer.alloc(64 * 1024, 7));
    writeFileSync(join(inbox, 'broken.srt'), Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]));
    writeFileSync(join(inbox, 'good.nb.srt'), '1\n00:00:00,500 --> 00:00:01,500\nHei!\n');
    writeFileSync(join(work, 'outside.mkv'), Buffer.alloc(1024, 1));
    const good = {
      csrf: users.editor.csrf,
      file: 'episode.mkv',
      series: 'Nytt program',
      newSeries: 'on',
      season: '1',
      episode: '1',
      title: 'Første',
      licence: 'CC-BY-4.0',
      holders: 'NRK',
      cleared: 'on',
      noProbe: 'on',
    };
    const before = await state();
    const cases: Array<[Record<string, string>, RegExp]> = [
      // Probed (the default), a file of zeros is no video: refused before anything is written.
      [{ noProbe: '' }, /episode\.mkv: ffprobe cannot read it as media/],
      [{ 'subtitle:good.nb.srt': 'norsk' }, /bad subtitle language "norsk": .*did you mean no or nb or nn\?/],
      [{ file: '' }, /choose a video file from the inbox/],
      [{ file: '../outside.mkv' }, /\.\.\/outside\.mkv is not a video file in the inbox/],
      [{ file: 'broken.srt' }, /broken\.srt is not a video file in the inbox/],
      [{ season: 'abc' }, /the season must be a positive whole number/],
      [{ series: 'No such show', newSeries: '' }, /unknown series "No such show"/],
      [{ licence: 'not a licence!' }, /licen[cs]e/i],
      [{ availableFrom: '2026-13-40T25:00' }, /available from "2026-13-40T25:00" is not a date and time/],
      [{ availableFrom: '2026-06-10T18:00', availableUntil: '2026-06-01T18:00' }, /ends .* before it starts/],
      [{ 'subtitle:broken.srt': 'nb' }, /subtitle file \(nb\) .*broken\.srt/],
      [{ 'subtitle:nothere.srt': 'nb' }, /nothere\.srt is not a subtitle file in the inbox/],
      [{ title: '' }, /title is empty/],
    ];
    for (const [change, why] of cases) {
      const form = { ...good, ...change };
      for (const [k, v] of Object.entries(form)) if (v === '') delete (form as Record<string, string>)[k];
      if (change.file === '') form.file = '';
      const r = await request('POST', '/admin/publish', { cookie: users.editor.cookie, form });
      assert.equal(r.status, 422, `${JSON.stringify(change)}: ${r.status}`);
      const error = /<p class="error" role="alert" id="publish-error">([^<]*)<\/p>/.exec(r.text);
      assert.ok(error, `${JSON.stringify(change)}: no error line`);
      assert.doesNotMatch(error[1], /\n/);
      assert.match(error[1].replace(/&quot;/g, '"').replace(/&amp;/g, '&'), why, JSON.stringify(change));
      // The form comes back as typed.
      assert.match(r.text, /name="title" value="[^"]*"/);
      if (change.title === undefined) assert.match(r.text, /value="Første"/);
    }
    assert.equal(await state(), before, 'the catalog and the data directory are as they were');
    assert.ok(!existsSync(join(dataDir, 'media')), 'no media folder');
    assert.ok(!existsSync(join(dataDir, 'torrents')), 'no torrents folder');
  });

  test('publishing from the inbox runs the publish pipeline: progress, result, the episode in the catalog', async () => {
    writeFileSync(join(inbox, 'good.mkv'), Buffer.alloc(3 * 1024 * 1024, 9));
    writeFileSync(join(inbox, 'good.nb.srt'), '1\n00:00:00,500 --> 00:00:01,500\nHei!\n');
    const r = await request('POST', '/admin/publish', {
      cookie: users.editor.cookie,
      form: {
        csrf: users.editor.csrf,
        file: 'good.mkv',
        series: 'Nytt program',
        newSeries: 'on',
        season: '1',
        episode: '2',
        title: 'Andre',
        description: 'Om noe.',
        licence: 'CC-BY-4.0',
        holders: 'NRK\nFjordfilm',
        cleared: 'on',
        availableUntil: '2027-01-01T00:00',
        'subtitle:good.nb.srt': 'nb',
        noProbe: 'on',
      },
    });
    assert.equal(r.status, 303, r.text);
    const m = /^\/admin\/publish\/jobs\/([\w-]+)$/.exec(String(r.headers.location));
    assert.ok(m, String(r.headers.location));
    jobId = m[1];
    interface Progress {
      state: string;
      percent: number;
      result: { infoHashV1: string; magnet: string } | null;
    }
    let progress = null as Progress | null;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const p = await request('GET', `/admin/publish/jobs/${jobId}/progress`, { cookie: users.admin.cookie });
      assert.equal(p.status, 200);
      progress = JSON.parse(p.text) as Progress;
      if (progress?.state === 'done' || progress?.state === 'failed') break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(progress?.state, 'done', JSON.stringify(progress));
    assert.equal(progress?.percent, 100);
    const page = await request('GET', `/admin/publish/jobs/${jobId}`, { cookie: users.editor.cookie });
    assert.equal(page.status, 200);
    assert.match(page.text, /<progress id="hash-progress" max="\d+" value="\d+">/);
    assert.match(
      page.text,
      new RegExp(`<code class="hash" id="info-hash-v1">${progress?.result?.infoHashV1}</code>`),
    );
    assert.match(page.text, /id="magnet" href="magnet:\?xt=urn:btih:/);
    assert.doesNotMatch(page.text, /http-equiv="refresh"/, 'a finished publication stops reloading');
    const e = await catalog.getEpisode('nytt-program', 1, 2);
    assert.ok(e);
    assert.equal(e.title, 'Andre');
    assert.deepEqual(e.rights.holders, ['NRK', 'Fjordfilm']);
    assert.equal(e.rights.availableUntil?.toISOString(), '2026-12-31T23:00:00.000Z', 'Oslo time');
    assert.deepEqual(e.subtitles.map((s) => `${s.language}/${s.format}`).sort(), ['nb/srt', 'nb/vtt']);
    assert.equal(e.torrents[0].infoHashV1, progress?.result?.infoHashV1);
    assert.ok(existsSync(join(dataDir, e.torrents[0].path)), 'the .torrent is in the data directory');
    const audit = await catalog.listEvents({ limit: 5 });
    assert.ok(
      audit.some((x) => x.actor === 'web:editor1'),
      'the audit log names the editor',
    );
    // The same episode again: the pipeline's own duplicate check, as one line.
    const again = await request('POST', '/admin/publish', {
      cookie: users.editor.cookie,
      form: {
        csrf: users.editor.csrf,
        file: 'good.mkv',
        series: 'nytt-program',
        season: '1',
        episode: '2',
        title: 'x',
        noProbe: 'on',
      },
    });
    assert.equal(again.status, 422);
    assert.match(again.text, /episode already exists: nytt-program season 1 episode 2/);
  });

  test('the catalogue: states and fitting actions; edit, unpublish, restore and delete, audited', async () => {
    const live = await catalog.publishEpisode(sampleEpisode({ seriesTitle: 'Kystliv', episode: 1 }));
    const slip = await catalog.publishEpisode(
      sampleEpisode({ seriesTitle: 'Kystliv', episode: 2, rights: { clearedWorldwide: false } }),
    );
    for (const p of [slip.media[0].path, slip.subtitles[0].path, slip.torrents[0].path]) {
      mkdirSync(join(dataDir, p, '..'), { recursive: true });
      writeFileSync(join(dataDir, p), 'x');
    }
    const cookie = users.editor.cookie;
    const csrf = users.editor.csrf;
    const row = (text: string, id: number) =>
      new RegExp(`<tr id="episode-${id}">([\\s\\S]*?)</tr>`).exec(text)?.[1] ?? '';
    let page = await request('GET', '/admin/catalogue', { cookie });
    assert.equal(page.status, 200);
    assert.match(row(page.text, live.id), /distributing/);
    assert.match(row(page.text, live.id), /episodes\/\d+\/unpublish/);
    assert.doesNotMatch(row(page.text, live.id), /\/delete"/, 'a distributed episode offers no delete');
    assert.match(row(page.text, slip.id), /blocked by rights \(not cleared\), never distributed/);
    // Why not (issue 14): what blocks it, named under its state.
    assert.match(
      row(page.text, slip.id),
      /blocked by: the broadcaster&#39;s own clearance: not cleared worldwide/,
    );
    assert.match(row(page.text, slip.id), new RegExp(`episodes/${slip.id}/delete`));
    assert.doesNotMatch(page.text, /<script>alert/, 'titles are escaped');

    // Edit: title, description, credits; the torrent row is untouched.
    const edit = await request('POST', `/admin/catalogue/episodes/${live.id}`, {
      cookie,
      form: { csrf, title: 'Ny tittel', description: 'Ny beskrivelse.', credits: 'NRK\nKystlaget' },
    });
    assert.equal(edit.status, 303, edit.text);
    assert.equal(edit.headers.location, '/admin/catalogue?saved=1');
    let e = await catalog.getEpisodeById(live.id);
    assert.deepEqual(
      [e?.title, e?.description, e?.rights.holders],
      ['Ny tittel', 'Ny beskrivelse.', ['NRK', 'Kystlaget']],
    );
    assert.deepEqual(e?.torrents, live.torrents);
    const bad = await request('POST', `/admin/catalogue/episodes/${live.id}`, {
      cookie,
      form: { csrf, title: ' ' },
    });
    assert.equal(bad.status, 422);
    assert.match(bad.text, /id="edit-error">episode title is empty</);
    const series = await request('POST', `/admin/catalogue/series/${live.seriesSlug}`, {
      cookie,
      form: { csrf, title: 'Kystliv i vinter', description: '' },
    });
    assert.equal(series.status, 303);
    assert.equal((await catalog.getSeriesBySlug(live.seriesSlug))?.title, 'Kystliv i vinter');

    // Unpublish, then restore.
    assert.equal(
      (await request('POST', `/admin/catalogue/episodes/${live.id}/unpublish`, { cookie, form: { csrf } }))
        .status,
      303,
    );
    page = await request('GET', '/admin/catalogue', { cookie });
    assert.match(row(page.text, live.id), /withdrawn/);
    assert.match(row(page.text, live.id), /\/restore"/);
    assert.equal(
      (await request('POST', `/admin/catalogue/episodes/${live.id}/restore`, { cookie, form: { csrf } }))
        .status,
      303,
    );
    e = await catalog.getEpisodeById(live.id);
    assert.equal(e?.withdrawnAt, null);

    // Delete: refused for the distributed one, done for the slip (rows and files gone, number free).
    const refused = await request('POST', `/admin/catalogue/episodes/${live.id}/delete`, {
      cookie,
      form: { csrf },
    });
    assert.equal(refused.status, 422);
    assert.match(refused.text, /has been distributed/);
    const del = await request('POST', `/admin/catalogue/episodes/${slip.id}/delete`, {
      cookie,
      form: { csrf },
    });
    assert.equal(del.status, 303, del.text);
    assert.equal(await catalog.getEpisodeById(slip.id), null);
    for (const p of [slip.media[0].path, slip.subtitles[0].path, slip.torrents[0].path])
      assert.ok(!existsSync(join(dataDir, p)), `${p} removed`);
    const events = await catalog.listEvents({ limit: 6 });
    assert.deepEqual(
      events.slice(0, 5).map((x) => [x.action, x.actor]),
      [
        ['episode.delete', 'web:editor1'],
        ['episode.restore', 'web:editor1'],
        ['episode.unpublish', 'web:editor1'],
        ['series.edit', 'web:editor1'],
        ['episode.edit', 'web:editor1'],
      ],
    );
    // Without the form's token nothing happens.
    const forged = await request('POST', `/admin/catalogue/episodes/${live.id}/unpublish`, {
      cookie,
      form: {},
    });
    assert.equal(forged.status, 403);
    assert.equal((await catalog.getEpisodeById(live.id))?.withdrawnAt, null);
  });

  test('the catalogue offers to reissue torrents that carry other than the public addresses, and does it', async () => {
    // A real .torrent made before the public addresses were set (old tracker and web seed).
    const source = join(work, 'reissue-source.mkv');
    writeFileSync(source, Buffer.alloc(70_000, 9));
    const made = await createTorrent(source, {
      mode: 'hybrid',
      inline: true,
      announce: ['http://old.example:6969/announce'],
      webSeeds: ['http://old.example:8080/media/x/'],
    });
    const input = sampleEpisode({ seriesTitle: 'Reissue', episode: 1 });
    const published = await catalog.publishEpisode({
      ...input,
      torrent: {
        ...input.torrent,
        infoHashV1: made.infoHashV1,
        infoHashV2: made.infoHashV2,
        ...(made.infoHashAria2 ? { infoHashAria2: made.infoHashAria2 } : {}),
        ...(made.infoHashV1Twin ? { infoHashV1Twin: made.infoHashV1Twin } : {}),
      },
    });
    const file = join(dataDir, published.torrents[0].path);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, made.torrent);
    const { cookie, csrf } = users.editor;

    let page = await request('GET', '/admin/catalogue', { cookie });
    assert.equal(page.status, 200);
    const offer = /<div class="notice" id="reissue-offer">([\s\S]*?)<\/div>/.exec(page.text)?.[1] ?? '';
    // Only this one: the other episodes' .torrent files are not on disk, and are left out.
    assert.match(offer, /1 torrent carries other addresses than the public ones now configured/);
    assert.match(offer, /http:\/\/127\.0\.0\.1:6969\/announce/);
    assert.match(offer, /action="\/admin\/catalogue\/reissue"/);
    assert.equal(readFileSync(file).equals(made.torrent), true, 'showing the offer writes nothing');

    const forged = await request('POST', '/admin/catalogue/reissue', { cookie, form: {} });
    assert.equal(forged.status, 403);
    assert.equal(readFileSync(file).equals(made.torrent), true);

    const r = await request('POST', '/admin/catalogue/reissue', { cookie, form: { csrf } });
    assert.equal(r.status, 303, r.text);
    assert.equal(r.headers.location, '/admin/catalogue?reissued=1');
    const after = parseTorrent(readFileSync(file));
    assert.deepEqual(
      [after.announce, after.urlList],
      ['http://127.0.0.1:6969/announce', [`http://127.0.0.1:8080/media/${published.seriesSlug}/`]],
    );
    assert.equal(after.infoHashV1, made.infoHashV1, 'the info hashes do not change');
    assert.equal(after.infoHashV2, made.infoHashV2);
    const [event] = await catalog.listEvents({ limit: 1 });
    assert.deepEqual([event.action, event.actor], ['torrent.reissue', 'web:editor1']);

    page = await request('GET', '/admin/catalogue?reissued=1', { cookie });
    assert.match(page.text, /1 torrent reissued with the public addresses/);
    assert.doesNotMatch(page.text, /id="reissue-offer"/, 'nothing left to reissue');
  });

  test('the episode page: figures, charts with their points, tables and CSV links, escaped text, Oslo time', async () => {
    const r = await request('GET', `/admin/episodes/${episode.id}`, { cookie: users.editor.cookie });
    assert.equal(r.status, 200);
    const t = r.text;
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.doesNotMatch(String(r.headers['content-security-policy']), /unsafe-inline/);
    assert.doesNotMatch(t, /<script>alert/);
    assert.match(t, /Fyr &amp; flamme &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    // Key figures: 10 completions; one size-worth from the web seed: 90 % P2P, cost saved for 9 sizes.
    assert.match(
      t,
      /<dt>Completed downloads<\/dt>\s*<dd><data class="completions" value="10">10<\/data><\/dd>/,
    );
    assert.match(t, /<dt>P2P share<\/dt>\s*<dd>90%<\/dd>/);
    assert.match(t, /<dt>HTTP cost saved<\/dt>\s*<dd>€0\.33 \(/);
    // The completions chart has a bar for the hour 20:00 Oslo time, with its value; the table the same.
    const bar =
      /<rect\s+class="point"[^>]*data-value="10"[^>]*><title>Completed downloads, ([^<]*): 10<\/title>/.exec(
        t,
      );
    assert.ok(bar, 'a bar with 10 completions');
    assert.match(bar[1], /2 Jun 2026, 20:00/);
    const table = /<table id="episode-completions-table">([\s\S]*?)<\/table>/.exec(t);
    assert.ok(table);
    assert.match(
      table[1],
      /2 Jun 2026, 20:00<\/time><\/td>\s*<td class="num"><data class="completions" value="10">10<\/data>/,
    );
    assert.match(t, /href="\/admin\/api\/episodes\/\d+\?table=timeline&amp;format=csv"/);
    assert.match(t, /<svg\s[^>]*id="episode-peers"[^>]*role="img"/);
    assert.match(t, /<desc id="episode-completions-desc">[^<]+<\/desc>/);
    // Norwegian.
    const nb = await request('GET', `/admin/episodes/${episode.id}?lang=nb`, { cookie: users.editor.cookie });
    assert.match(nb.text, /<html lang="nb">/);
    assert.match(nb.text, /Fullførte nedlastinger/);
    assert.match(nb.text, /2\. juni 2026.*20:00/);
    // Bad parameters are a 400 page, an unknown episode a 404 page.
    assert.equal(
      (await request('GET', `/admin/episodes/${episode.id}?days=0`, { cookie: users.editor.cookie })).status,
      400,
    );
    assert.equal(
      (await request('GET', '/admin/episodes/999999', { cookie: users.editor.cookie })).status,
      404,
    );
    assert.equal(
      (await request('GET', '/admin/episodes/1?lang=xx', { cookie: users.editor.cookie })).status,
      400,
    );
  });

  test('overview, series, clients and rights calendar show their figures with tables and CSV links', async () => {
    const get = async (p: string) => {
      const r = await request('GET', p, { cookie: users.admin.cookie });
      assert.equal(r.status, 200, `${p}: ${r.text.slice(0, 300)}`);
      assert.doesNotMatch(r.text, /<script>alert/, p);
      return r.text;
    };
    const o = await get('/admin/');
    assert.match(o, /<h1>Overview<\/h1>/);
    assert.match(o, /data-category="02\.06"\s+data-value="10"/);
    assert.match(o, /<table id="daily-table">/);
    assert.match(o, /href="\/admin\/api\/overview\?days=7&amp;table=daily&amp;format=csv"/);
    assert.match(o, /<svg\s[^>]*id="releases"/);
    assert.match(o, /<a href="\/admin\/series\/[^"]+">Skjærgårdsliv &lt;script&gt;/);
    const s = await get(`/admin/series/${encodeURIComponent(episode.seriesSlug)}?days=7`);
    assert.match(s, /<table id="series-episodes">/);
    assert.match(s, /<svg\s[^>]*id="series-peers"/);
    assert.match(
      s,
      /<circle\s+class="point"[^>]*data-value="4.5"/,
      'seeders 0 to 9 in the hour: 4.5 on average',
    );
    const c = await get('/admin/clients?days=2');
    assert.match(c, /Client &lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(c, /<td class="num">100%<\/td>/);
    assert.match(c, /<dt>IPv6 share<\/dt>\s*<dd>25%<\/dd>/);
    const rights = await get('/admin/rights');
    assert.match(rights, /expires/);
    assert.match(rights, /8 Jun 2026, 12:30/, 'the window closes five days after NOW, in Oslo time');
  });
});

/**
 * Admin login under attack, against a real `fjord serve` (issue 19, items 4, 5, 7 and the file modes
 * of 11). Attackers and the admin come from distinct loopback addresses (127.0.0.0/8 all reaches the
 * server; each request binds its own source address), as fjord sees them without a trusted proxy:
 *   - failures from one address lock only that (account, address) pair: the right password from
 *     another address still logs in; the right password during the lock is refused without a check
 *     and neither counts nor extends the lock; an address the account has logged in from before gets
 *     in while failures from many others have locked the account for everyone else;
 *   - 40 concurrent wrong guesses from 40 addresses: at most the per-account limit are checked, the
 *     rest are refused at once, and the right password from a new address then gets no session;
 *   - 100 concurrent logins for names that do not exist, from one address, cost no password check and
 *     are mostly refused by the address throttle, while a real login from elsewhere succeeds;
 *   - DATA is created 0700 and the catalog, its -wal/-shm and the admin token 0600, and too-open
 *     modes are tightened at the next start.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFjord, serveFjord, until, type Served } from '../helpers/cli.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: Record<string, unknown>;
}

let port = 0;

function request(
  from: string,
  method: string,
  path: string,
  o: { cookie?: string; body?: object; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.cookie) headers.cookie = o.cookie;
    const body = o.body === undefined ? undefined : JSON.stringify(o.body);
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const req = http.request(
      { host: '127.0.0.1', port, method, path, headers, agent: false, localAddress: from },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            json = { text };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
        });
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error(`${method} ${path} from ${from}: no answer`)));
    req.on('error', reject);
    req.end(body);
  });
}

const login = (from: string, name: string, password: string) =>
  request(from, 'POST', '/admin/login', { body: { name, password } });

function addUser(data: string, name: string, role: string): string {
  const r = runFjord(['user', 'add', name, '--role', role, '--data', data]);
  assert.equal(r.status, 0, r.stderr);
  const pw = /one-time password: (\S+)/.exec(r.stdout)?.[1];
  assert.ok(pw, r.stdout);
  return pw;
}

const count = (replies: Reply[], status: number) => replies.filter((r) => r.status === status).length;

describe('admin login against a real fjord serve', { timeout: 600_000 }, () => {
  let work = '';
  let data = '';
  let served: Served | null = null;
  const pw: Record<string, string> = {};
  let root = { cookie: '', csrf: '' };

  interface LoginStats {
    passwordChecks: number;
    unknownNames: number;
    failures: number;
    refused: Record<string, number>;
  }
  /**
   * The server's login counters (GET /admin/api/login-stats, as the admin), or null without them:
   * the tests check what an attacker sees first, then the counters (`need`).
   */
  async function stats(): Promise<LoginStats | null> {
    const r = await request('127.0.0.250', 'GET', '/admin/api/login-stats', { cookie: root.cookie });
    return r.status === 200 ? (r.json as unknown as LoginStats) : null;
  }
  const need = (s: LoginStats | null): LoginStats => {
    assert.ok(s !== null, 'GET /admin/api/login-stats answers the admin');
    return s;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'fjord-login-'));
    data = join(work, 'data');
    pw.root = addUser(data, 'root', 'admin');
    for (const name of ['ada', 'bo', 'cy']) pw[name] = addUser(data, name, 'editor');
    served = await serveFjord(
      [
        ...['--data', data, '--admin', '127.0.0.1:0'],
        ...['--http', '127.0.0.1:0', '--udp', '127.0.0.1:0', '--web', '127.0.0.1:0'],
      ],
      ['udp', 'http', 'web', 'admin'],
    );
    port = served.ports.web;
    // The admin who reads the counters: logs in and sets a password of their own.
    const r = await login('127.0.0.250', 'root', pw.root);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const cookie = (r.headers['set-cookie'] ?? []).find((c) => c.startsWith('fjord_session='));
    assert.ok(cookie);
    root = { cookie: cookie.split(';')[0], csrf: String(r.json.csrfToken) };
    const p = await request('127.0.0.250', 'POST', '/admin/api/password', {
      cookie: root.cookie,
      headers: { 'x-csrf-token': root.csrf },
      body: { current: pw.root, new: 'the admin reads the counters' },
    });
    assert.equal(p.status, 200, JSON.stringify(p.json));
  });

  after(async () => {
    if (served) {
      const s = served;
      await Promise.race([s.stop(), new Promise((r) => setTimeout(r, 10_000).unref())]);
      if (s.child.exitCode === null) s.child.kill('SIGKILL');
    }
    rmSync(work, { recursive: true, force: true });
  });

  test('item 4: failures from one address do not lock the account for others; a lock is neither counted nor renewed by the right password', async () => {
    const known = '127.0.0.20';
    const attacker = '127.0.0.21';
    const other = '127.0.0.22';
    assert.equal((await login(known, 'ada', pw.ada)).status, 200, 'ada logs in from her usual address');

    for (let i = 0; i < 5; i++) assert.equal((await login(attacker, 'ada', `guess-${i}`)).status, 401);
    const locked = await login(attacker, 'ada', 'guess-5');
    assert.equal(locked.status, 429, JSON.stringify(locked.json));

    // Another address, never used by ada before: the right password logs in.
    const fromOther = await login(other, 'ada', pw.ada);
    assert.equal(
      fromOther.status,
      200,
      `a lock on ${attacker} held ada out elsewhere: ${JSON.stringify(fromOther.json)}`,
    );

    assert.ok(Number(locked.headers['retry-after']) > 0, 'Retry-After on a refusal');
    const until0 = locked.json.retryAt;
    assert.equal(typeof until0, 'string');

    // The right password from the locked address: refused unchecked, not counted, lock not extended.
    const s0 = await stats();
    const right = await login(attacker, 'ada', pw.ada);
    assert.equal(right.status, 429);
    assert.equal(right.json.retryAt, until0, 'the lock was not renewed');
    const again = await login(attacker, 'ada', 'guess-6');
    assert.equal(again.status, 429);
    assert.equal(again.json.retryAt, until0, 'further guesses do not renew it either');
    const s1 = need(await stats());
    assert.equal(s1.passwordChecks, need(s0).passwordChecks, 'no password was checked during the lock');
    assert.equal(s1.failures, need(s0).failures, 'nothing counted as a failure');

    // Failures from 20 more addresses lock ada for addresses she never used...
    const flood = await Promise.all(
      Array.from({ length: 20 }, (_, i) => login(`127.0.2.${i + 1}`, 'ada', `flood-${i}`)),
    );
    assert.equal(count(flood, 401) + count(flood, 429), 20);
    const fresh = await login('127.0.0.23', 'ada', pw.ada);
    assert.equal(fresh.status, 429, 'the account is locked for new addresses');
    assert.equal(fresh.json.retryAt !== undefined, true);
    // ...but not from the addresses she has logged in from.
    assert.equal((await login(known, 'ada', pw.ada)).status, 200, 'her usual address gets in');
    assert.equal((await login(other, 'ada', pw.ada)).status, 200, 'so does the one she used today');
  });

  test('item 5: 40 concurrent wrong guesses from 40 addresses: the limit holds, the rest are not checked', async () => {
    const known = '127.0.0.30';
    assert.equal((await login(known, 'bo', pw.bo)).status, 200);
    const s0 = await stats();
    const guesses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => login(`127.0.3.${i + 1}`, 'bo', `guess-${i}`)),
    );
    const s1 = await stats();
    assert.equal(count(guesses, 401) + count(guesses, 429), 40, guesses.map((g) => g.status).join(' '));
    assert.ok(count(guesses, 401) <= 20, `${count(guesses, 401)} guesses were checked (limit 20)`);
    assert.ok(count(guesses, 429) >= 20, `${count(guesses, 429)} refused`);
    const checks = need(s1).passwordChecks - need(s0).passwordChecks;
    assert.ok(checks <= 20, `${checks} password checks for 40 guesses`);
    // The right password from a new address gets no session (and clears nothing)...
    const after = await login('127.0.0.31', 'bo', pw.bo);
    assert.equal(after.status, 429, JSON.stringify(after.json));
    assert.equal((await login('127.0.0.32', 'bo', pw.bo)).status, 429, 'still locked for new addresses');
    // ...while bo's own address gets in.
    assert.equal((await login(known, 'bo', pw.bo)).status, 200);
  });

  test('item 7: 100 concurrent logins for unknown names cost no password check; a real login from elsewhere succeeds', async () => {
    const s0 = await stats();
    const flood = Promise.all(
      Array.from({ length: 100 }, (_, i) => login('127.0.0.40', `nobody-${i}`, 'whatever')),
    );
    // The real login, while the flood is in flight.
    const t0 = Date.now();
    const real = await login('127.0.0.41', 'cy', pw.cy);
    const took = Date.now() - t0;
    const replies = await flood;
    assert.equal(real.status, 200, JSON.stringify(real.json));
    // Reported, not asserted (timing): before the fix the real login waited behind the flood's scrypt.
    const seen = `real login answered in ${took} ms; ${count(replies, 429)} of 100 refused`;
    const s1 = await stats();
    assert.equal(count(replies, 401) + count(replies, 429), 100);
    assert.ok(count(replies, 429) >= 80, seen);
    const [a, b] = [need(s0), need(s1)];
    assert.equal(b.passwordChecks - a.passwordChecks, 1, 'only the real login ran scrypt');
    assert.ok(b.unknownNames - a.unknownNames <= 20, 'the rest were refused before any work');
    assert.ok(b.refused.addr - a.refused.addr >= 80);
  });

  test('item 11: DATA is 0700; the catalog, its -wal and -shm and the admin token are 0600', async () => {
    const mode = (f: string) => (statSync(join(data, f)).mode & 0o777).toString(8);
    await until(() => mode('.') !== '', 5000, 'the data directory');
    assert.equal(mode('.'), '700');
    for (const f of ['catalog.sqlite', 'catalog.sqlite-wal', 'catalog.sqlite-shm', 'admin-token'])
      assert.equal(mode(f), '600', f);
    // Too open from an older fjord: tightened at the next start, with a warning.
    const s = served as Served;
    await s.stop();
    served = null;
    chmodSync(data, 0o755);
    chmodSync(join(data, 'catalog.sqlite'), 0o644);
    chmodSync(join(data, 'admin-token'), 0o644);
    served = await serveFjord(
      [
        ...['--data', data, '--admin', '127.0.0.1:0'],
        ...['--http', '127.0.0.1:0', '--udp', '127.0.0.1:0', '--web', '127.0.0.1:0'],
      ],
      ['udp', 'http', 'web', 'admin'],
    );
    assert.equal(mode('.'), '700');
    assert.equal(mode('catalog.sqlite'), '600');
    assert.equal(mode('admin-token'), '600');
    assert.match(served.stderr(), /catalog\.sqlite was mode 644/);
  });
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { bdecode } from '../../src/protocol/bencode.js';
import { runFjord, serveFjord, until, sleep } from '../helpers/cli.js';
import { tempDir, httpGet, announcePath, hashOf, percent } from '../helpers/tracker.js';

type Dict = Record<string, unknown>;
const failure = async (port: number, h: Buffer) =>
  String(
    (bdecode((await httpGet(port, announcePath({ hash: h, port: 1 }))).body) as Dict)['failure reason'] ??
      'ok',
  );

test('--help describes every serve option', () => {
  const r = runFjord(['serve', '--help']);
  assert.equal(r.status, 0);
  for (const opt of [
    '--http',
    '--udp',
    '--whitelist',
    '--blacklist',
    '--open',
    '--data',
    '--config',
    '--admin',
    '--interval',
    '--numwant-max',
    '--full-scrape',
    '--trusted-proxy',
    '--stats-network',
  ]) {
    assert.ok(r.stdout.includes(opt), opt);
  }
  const top = runFjord(['--help']);
  assert.match(top.stdout, /serve/);
});

test('bad flags and a taken port exit non-zero with a one-line reason', async () => {
  let r = runFjord(['serve', '--http', 'nonsense']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /"nonsense" is not HOST:PORT/);
  r = runFjord(['serve', '--interval', 'soon']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--interval takes a whole number/);
  r = runFjord(['serve', '--open', '--whitelist', 'x']);
  assert.match(r.stderr, /only one of/);
  r = runFjord([
    'serve',
    '--whitelist',
    '/nonexistent/list.txt',
    '--data',
    tempDir(),
    '--udp',
    '127.0.0.1:0',
    '--admin',
    'off',
  ]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cannot read list/);
  const blocker = net.createServer();
  await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', () => res()));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    r = runFjord(['serve', '--open', '--http', `127.0.0.1:${port}`, '--data', tempDir(), '--admin', 'off']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /address already in use/);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  } finally {
    blocker.close();
  }
});

test('the list file: bad lines reported with line numbers and skipped; reload on SIGHUP and on change', async () => {
  const dir = tempDir();
  const list = join(dir, 'whitelist.txt');
  writeFileSync(
    list,
    `# our torrents\n${hashOf(1).toString('hex')}\nnot-a-hash\n${hashOf(2).toString('hex').toUpperCase()}  # comment\n`,
  );
  const s = await serveFjord([
    '--http',
    '127.0.0.1:0',
    '--udp',
    '127.0.0.1:0',
    '--admin',
    'off',
    '--whitelist',
    list,
    '--data',
    join(dir, 'data'),
  ]);
  try {
    assert.match(s.stderr(), /whitelist\.txt:3: not a 40-digit hex info hash/);
    const port = s.ports.http;
    assert.equal(await failure(port, hashOf(1)), 'ok');
    assert.equal(await failure(port, hashOf(2)), 'ok');
    assert.equal(await failure(port, hashOf(3)), 'torrent not allowed on this tracker');
    // An edit that the watcher sees (replace by rename, as editors do).
    writeFileSync(join(dir, 'new.txt'), `${hashOf(3).toString('hex')}\n`);
    renameSync(join(dir, 'new.txt'), list);
    await until(async () => (await failure(port, hashOf(3))) === 'ok', 5000, 'reload on change');
    assert.equal(await failure(port, hashOf(1)), 'torrent not allowed on this tracker');
    // SIGHUP reload, and a list that turns entirely bad does not empty the set... it holds no good lines,
    // so the good set becomes empty only if the file says so; here a mixed file keeps its good line.
    writeFileSync(list, `${hashOf(4).toString('hex')}\nbroken line\n`);
    s.child.kill('SIGHUP');
    await until(async () => (await failure(port, hashOf(4))) === 'ok', 5000, 'reload on SIGHUP');
    assert.match(s.stderr(), /whitelist\.txt:2: not a 40-digit hex info hash/);
  } finally {
    assert.equal(await s.stop(), 0);
  }
});

test('requests in flight are answered during reloads', async () => {
  const dir = tempDir();
  const list = join(dir, 'list.txt');
  writeFileSync(list, `${hashOf(1).toString('hex')}\n`);
  const s = await serveFjord([
    '--http',
    '127.0.0.1:0',
    '--udp',
    '127.0.0.1:0',
    '--admin',
    'off',
    '--whitelist',
    list,
    '--data',
    join(dir, 'data'),
  ]);
  try {
    let stop = false;
    const reloads = (async () => {
      for (let i = 0; i < 20 && !stop; i++) {
        writeFileSync(list, `${hashOf(1).toString('hex')}\n${hashOf(100 + i).toString('hex')}\n`);
        s.child.kill('SIGHUP');
        await sleep(20);
      }
    })();
    const results = await Promise.all(Array.from({ length: 200 }, () => failure(s.ports.http, hashOf(1))));
    stop = true;
    await reloads;
    assert.deepEqual(new Set(results), new Set(['ok']), 'every request answered, none refused');
  } finally {
    await s.stop();
  }
});

test('admin API: token required; add and remove hashes at run time; kept across restarts', async () => {
  const dir = tempDir();
  const data = join(dir, 'data');
  const args = ['--http', '127.0.0.1:0', '--udp', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--data', data];
  let s = await serveFjord(args, ['udp', 'http', 'admin']);
  const api = (port: number, method: string, path: string, token?: string) =>
    fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  try {
    const token = readFileSync(join(data, 'admin-token'), 'utf8').trim();
    const h = hashOf(77).toString('hex');
    assert.equal((await api(s.ports.admin, 'PUT', `/access/${h}`)).status, 401);
    assert.equal((await api(s.ports.admin, 'PUT', `/access/${h}`, 'wrong')).status, 401);
    assert.equal(await failure(s.ports.http, hashOf(77)), 'torrent not allowed on this tracker');
    assert.equal((await api(s.ports.admin, 'PUT', `/access/${h}`, token)).status, 200);
    assert.equal(await failure(s.ports.http, hashOf(77)), 'ok');
    const listed = (await (await api(s.ports.admin, 'GET', '/access', token)).json()) as { hashes: string[] };
    assert.deepEqual(listed.hashes, [h]);
    assert.equal((await api(s.ports.admin, 'PUT', '/access/xyz', token)).status, 400);
    await s.stop();
    s = await serveFjord(args, ['udp', 'http', 'admin']);
    assert.equal(await failure(s.ports.http, hashOf(77)), 'ok', 'kept across a restart');
    assert.equal((await api(s.ports.admin, 'DELETE', `/access/${h}`, token)).status, 200);
    assert.equal(await failure(s.ports.http, hashOf(77)), 'torrent not allowed on this tracker');
  } finally {
    await s.stop();
  }
});

test('completion counts survive a restart (saved on SIGTERM)', async () => {
  const dir = tempDir();
  const args = [
    '--http',
    '127.0.0.1:0',
    '--udp',
    '127.0.0.1:0',
    '--admin',
    'off',
    '--open',
    '--data',
    join(dir, 'data'),
  ];
  let s = await serveFjord(args);
  const h = hashOf(5);
  await httpGet(s.ports.http, announcePath({ hash: h, port: 10, left: 0, event: 'completed' }));
  await httpGet(s.ports.http, announcePath({ hash: h, port: 11, left: 0, event: 'completed' }));
  assert.equal(await s.stop('SIGTERM'), 0);
  assert.match(s.stderr(), /state saved/);
  s = await serveFjord(args);
  try {
    const r = await httpGet(s.ports.http, `/scrape?info_hash=${percent(h)}`);
    const files = (bdecode(r.body) as Dict).files as Record<string, Dict>;
    assert.equal(files[h.toString('latin1')].downloaded, 2);
  } finally {
    await s.stop();
  }
});

test('--config reads a JSON file; unknown keys are refused; --print-config shows the result', () => {
  const dir = tempDir();
  const cfg = join(dir, 'fjord.json');
  writeFileSync(cfg, JSON.stringify({ interval: 600, udp: ['127.0.0.1:7000'], http: [] }));
  const r = runFjord(['serve', '--config', cfg, '--print-config']);
  assert.equal(r.status, 0, r.stderr);
  const c = JSON.parse(r.stdout) as Dict;
  assert.equal(c.interval, 600);
  assert.deepEqual(c.udp, ['127.0.0.1:7000']);
  assert.equal(c.peerTimeout, 900, 'peer timeout follows the interval (x 1.5)');
  assert.equal(c.minInterval, 300, 'min interval follows the interval (/ 2)');
  assert.equal(c.numwantDefault, 50, 'defaults fill the rest');
  writeFileSync(cfg, JSON.stringify({ intervall: 600 }));
  const bad = runFjord(['serve', '--config', cfg]);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /unknown setting "intervall"/);
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { bdecode } from '../../src/protocol/bencode.js';
import { startTracker, httpGet, announcePath, hashOf, percent, type Running } from '../helpers/tracker.js';

type Dict = Record<string, unknown>;
let t: Running;
before(async () => {
  t = await startTracker(
    { mode: 'whitelist', interval: 1200, minInterval: 600, numwantMax: 3, trustedProxies: ['127.0.0.9/32'] },
    { v6: true },
  );
  for (let i = 1; i <= 9; i++) t.tracker.access.add(hashOf(i).toString('hex'));
});
after(() => t.stop());

async function announce(
  path: string,
  opts: { localAddress?: string; host?: string; port?: number; headers?: Record<string, string> } = {},
) {
  const r = await httpGet(opts.port ?? t.httpPort, path, opts);
  return { status: r.status, d: bdecode(r.body) as Dict, headers: r.headers };
}

function compact4(b: Buffer): string[] {
  const out: string[] = [];
  for (let o = 0; o < b.length; o += 6)
    out.push(`${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}:${b.readUInt16BE(o + 4)}`);
  return out;
}

test('compact announce: counts, intervals, peers without the requester', async () => {
  const h = hashOf(1);
  await announce(announcePath({ hash: h, port: 1001, left: 0 }), { localAddress: '127.0.0.2' });
  await announce(announcePath({ hash: h, port: 1002 }), { localAddress: '127.0.0.3' });
  const { status, d, headers } = await announce(
    announcePath({ hash: h, port: 1003, compact: 1, event: 'started' }),
    { localAddress: '127.0.0.4' },
  );
  assert.equal(status, 200);
  assert.equal(headers.connection, 'close');
  assert.equal(d.interval, 1200);
  assert.equal(d['min interval'], 600);
  assert.equal(d.complete, 1);
  assert.equal(d.incomplete, 2);
  assert.equal(d.downloaded, 0);
  assert.deepEqual(compact4(d.peers as Buffer).sort(), ['127.0.0.2:1001', '127.0.0.3:1002']);
});

test('non-compact announce returns a list of dictionaries', async () => {
  const h = hashOf(2);
  await announce(announcePath({ hash: h, port: 2001 }), { localAddress: '127.0.0.2' });
  const { d } = await announce(announcePath({ hash: h, port: 2002, compact: 0 }), {
    localAddress: '127.0.0.3',
  });
  const peers = d.peers as Array<Dict>;
  assert.equal(peers.length, 1);
  assert.equal((peers[0].ip as Buffer).toString(), '127.0.0.2');
  assert.equal(peers[0].port, 2001);
});

test('numwant: default, capped at numwantMax, zero', async () => {
  const h = hashOf(3);
  for (let i = 0; i < 6; i++)
    await announce(announcePath({ hash: h, port: 3000 + i }), { localAddress: `127.0.1.${i + 1}` });
  let r = await announce(announcePath({ hash: h, port: 3100, numwant: 100 }), { localAddress: '127.0.2.1' });
  assert.equal((r.d.peers as Buffer).length, 3 * 6, 'capped at 3');
  r = await announce(announcePath({ hash: h, port: 3100, numwant: 2 }), { localAddress: '127.0.2.1' });
  assert.equal((r.d.peers as Buffer).length, 2 * 6);
  r = await announce(announcePath({ hash: h, port: 3100, numwant: 0 }), { localAddress: '127.0.2.1' });
  assert.equal((r.d.peers as Buffer).length, 0);
});

test('completed raises downloaded once per peer; stopped removes the peer', async () => {
  const h = hashOf(4);
  const o = { localAddress: '127.0.0.5' };
  await announce(announcePath({ hash: h, port: 4001, event: 'started' }), o);
  await announce(announcePath({ hash: h, port: 4001, event: 'completed', left: 0 }), o);
  let r = await announce(announcePath({ hash: h, port: 4001, event: 'completed', left: 0 }), o);
  assert.equal(r.d.downloaded, 1);
  assert.equal(r.d.complete, 1);
  r = await announce(announcePath({ hash: h, port: 4001, event: 'stopped', left: 0 }), o);
  assert.equal(r.d.complete, 0);
  assert.equal((r.d.peers as Buffer).length, 0);
});

test('IPv6 peers come as peers6; an IPv6 client gets both families', async () => {
  const h = hashOf(5);
  await announce(announcePath({ hash: h, port: 5001 }), { localAddress: '127.0.0.2' });
  await announce(announcePath({ hash: h, port: 5002 }), { host: '::1', port: t.http6Port });
  const r4 = await announce(announcePath({ hash: h, port: 5003 }), { localAddress: '127.0.0.3' });
  assert.deepEqual(compact4(r4.d.peers as Buffer), ['127.0.0.2:5001']);
  const p6 = r4.d.peers6 as Buffer;
  assert.equal(p6.length, 18);
  assert.equal(p6[15], 1);
  assert.equal(p6.readUInt16BE(16), 5002);
  const r6 = await announce(announcePath({ hash: h, port: 5004 }), { host: '::1', port: t.http6Port });
  assert.equal((r6.d.peers6 as Buffer).length, 18, 'the other v6 peer (5002), not itself');
  assert.equal((r6.d.peers as Buffer).length, 12, 'both v4 peers');
});

test('the ip parameter is ignored unless from a trusted proxy, whose X-Forwarded-For is used', async () => {
  const h = hashOf(6);
  await announce(announcePath({ hash: h, port: 6001, extra: '&ip=10.1.2.3' }), { localAddress: '127.0.0.2' });
  await announce(announcePath({ hash: h, port: 6002 }), {
    localAddress: '127.0.0.3',
    headers: { 'X-Forwarded-For': '10.9.9.9' },
  });
  await announce(announcePath({ hash: h, port: 6003 }), {
    localAddress: '127.0.0.9',
    headers: { 'X-Forwarded-For': '192.0.2.7, 127.0.0.9' },
  });
  await announce(announcePath({ hash: h, port: 6004, extra: '&ip=198.51.100.4' }), {
    localAddress: '127.0.0.9',
  });
  const r = await announce(announcePath({ hash: h, port: 6100, numwant: 3 }), { localAddress: '127.0.0.50' });
  assert.equal(r.d.incomplete, 5);
  const all = new Set<string>();
  for (let i = 0; i < 10; i++) {
    const x = await announce(announcePath({ hash: h, port: 6100 }), { localAddress: '127.0.0.50' });
    for (const p of compact4(x.d.peers as Buffer)) all.add(p);
  }
  assert.deepEqual([...all].sort(), [
    '127.0.0.2:6001',
    '127.0.0.3:6002',
    '192.0.2.7:6003',
    '198.51.100.4:6004',
  ]);
});

test('scrape one, many, unknown; full scrape off by default', async () => {
  const h = hashOf(7);
  await announce(announcePath({ hash: h, port: 7001, left: 0, event: 'completed' }), {
    localAddress: '127.0.0.2',
  });
  const r = await httpGet(t.httpPort, `/scrape?info_hash=${percent(h)}&info_hash=${percent(hashOf(8))}`);
  const files = (bdecode(r.body) as Dict).files as Record<string, Dict>;
  const keys = Object.keys(files);
  assert.equal(keys.length, 2);
  assert.deepEqual({ ...files[h.toString('latin1')] }, { complete: 1, downloaded: 1, incomplete: 0 });
  assert.deepEqual({ ...files[hashOf(8).toString('latin1')] }, { complete: 0, downloaded: 0, incomplete: 0 });
  const full = await httpGet(t.httpPort, '/scrape');
  assert.match(String((bdecode(full.body) as Dict)['failure reason']), /full scrape is disabled/);
});

test('scrape of unsorted and repeated hashes gives sorted, unique keys (strict decoder)', async () => {
  const hs = [hashOf(9), hashOf(7), hashOf(9), hashOf(8)];
  const r = await httpGet(t.httpPort, '/scrape?' + hs.map((h) => `info_hash=${percent(h)}`).join('&'));
  const files = (bdecode(r.body) as Dict).files as Record<string, Dict>; // bdecode refuses unsorted or repeated keys
  assert.deepEqual(
    Object.keys(files).map((k) => Buffer.from(k, 'latin1').readUInt32BE(0)),
    [7, 8, 9],
  );
  assert.equal(files[hashOf(7).toString('latin1')].downloaded, 1);
});

test('not allowed torrents get a bencoded failure reason', async () => {
  const { status, d } = await announce(announcePath({ hash: hashOf(12345), port: 1 }));
  assert.equal(status, 200);
  assert.equal(String(d['failure reason']), 'torrent not allowed on this tracker');
  const s = await httpGet(t.httpPort, `/scrape?info_hash=${percent(hashOf(12345))}`);
  assert.match(String((bdecode(s.body) as Dict)['failure reason']), /not allowed/);
});

test('malformed requests get 400 with a reason; unknown paths 404', async () => {
  const cases: Array<[string, RegExp]> = [
    ['/announce?peer_id=-TS0001-000000000000&port=1&left=0', /missing info_hash/],
    ['/announce?info_hash=abc&peer_id=-TS0001-000000000000&port=1&left=0', /20 bytes/],
    ['/announce?info_hash=%zz' + '%00'.repeat(19) + '&port=1', /20 bytes/],
    [`/announce?info_hash=${percent(hashOf(1))}&peer_id=-TS0001-000000000000&port=99999&left=0`, /port/],
    [`/announce?info_hash=${percent(hashOf(1))}&peer_id=-TS0001-000000000000&port=1&left=-5`, /left/],
    [
      `/announce?info_hash=${percent(hashOf(1))}&peer_id=-TS0001-000000000000&port=1&left=0&event=dancing`,
      /event/,
    ],
    [`/announce?info_hash=${percent(hashOf(1))}&peer_id=short&port=1&left=0`, /peer_id/],
  ];
  for (const [path, re] of cases) {
    const r = await httpGet(t.httpPort, path);
    assert.equal(r.status, 400, path);
    assert.match(String((bdecode(r.body) as Dict)['failure reason']), re, path);
  }
  const nf = await httpGet(t.httpPort, '/nothing');
  assert.equal(nf.status, 404);
});

function raw(data: string | Buffer, opts: { endAfter?: boolean; waitMs?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(t.httpPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('error', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.write(data);
    if (opts.endAfter) s.end();
    setTimeout(() => s.destroy(), opts.waitMs ?? 3000);
  });
}

test('huge headers get 431; garbage gets 400; a request split across packets still works', async () => {
  const big = await raw('GET /announce HTTP/1.1\r\nX-Big: ' + 'a'.repeat(20000) + '\r\n\r\n');
  assert.match(big, /^HTTP\/1.1 431/);
  const garbage = await raw('\x00\x01\x02 garbage\r\n\r\n');
  assert.match(garbage, /^HTTP\/1.1 400/);
  const s = net.connect(t.httpPort, '127.0.0.1');
  const got = await new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    const req = `GET ${announcePath({ hash: hashOf(9), port: 9001 })} HTTP/1.1\r\nHost: x\r\n\r\n`;
    s.write(req.slice(0, 30));
    setTimeout(() => s.write(req.slice(30)), 50);
  });
  assert.match(got, /^HTTP\/1.1 200/);
  assert.match(got, /8:intervali1200e/);
});

test('a slow client is cut off by the idle timeout while others are served', async () => {
  const slow = await startTracker({ httpIdleTimeout: 1 });
  try {
    const s = net.connect(slow.httpPort, '127.0.0.1');
    s.write('GET /announce?');
    const closed = new Promise<number>((resolve) => {
      const t0 = Date.now();
      s.on('close', () => resolve(Date.now() - t0));
      s.on('error', () => {});
    });
    const ok = await httpGet(slow.httpPort, announcePath({ hash: hashOf(1), port: 1 }));
    assert.equal(ok.status, 200, 'others are still served');
    const ms = await closed;
    assert.ok(ms < 5000, `closed after ${ms} ms`);
    assert.equal(slow.tracker.counters.errorCount(1, 6), 1, 'timeout counted');
  } finally {
    await slow.stop();
  }
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startTracker,
  httpGet,
  announcePath,
  hashOf,
  percent,
  UdpClient,
  udpAnnounce,
  type Running,
} from '../helpers/tracker.js';

let t: Running;
const from = { localAddress: '127.0.0.2' };
before(async () => {
  t = await startTracker({ statsNetworks: ['127.0.0.2/32'] });
  // Two torrents: one with 2 seeders and a leecher (one completion), one with a leecher.
  await httpGet(t.httpPort, announcePath({ hash: hashOf(1), port: 1, left: 0, event: 'completed' }), {
    localAddress: '127.0.0.10',
  });
  await httpGet(t.httpPort, announcePath({ hash: hashOf(1), port: 2, left: 0 }), {
    localAddress: '127.0.0.11',
  });
  await httpGet(t.httpPort, announcePath({ hash: hashOf(1), port: 3 }), { localAddress: '127.0.0.12' });
  const c = new UdpClient(t.udpPort);
  await c.bind('127.0.0.13');
  const id = await c.connect();
  await c.request(udpAnnounce({ connectionId: id, infoHash: hashOf(2), port: 4 }));
  c.close();
  await httpGet(t.httpPort, `/scrape?info_hash=${percent(hashOf(1))}`);
  await httpGet(t.httpPort, '/announce?garbage');
});
after(() => t.stop());

test('/stats is refused outside the configured networks', async () => {
  const r = await httpGet(t.httpPort, '/stats?mode=peer', { localAddress: '127.0.0.3' });
  assert.equal(r.status, 403);
  const m = await httpGet(t.httpPort, '/metrics', { localAddress: '127.0.0.3' });
  assert.equal(m.status, 403);
});

test('/stats modes in opentracker formats', async () => {
  const get = async (mode: string) =>
    (await httpGet(t.httpPort, `/stats?mode=${mode}`, from)).body.toString();
  assert.match(await get('peer'), /^4\n2\nfjord serving 2 torrents\nfjord$/);
  assert.match(await get('torr'), /^2\n0\nfjord serving 2 torrents/);
  assert.match(await get('udp4'), /^2\n2\n\d+ seconds/, 'two packets, a connect and an announce');
  assert.match(await get('tcp4'), /^\d+\n3\n/, 'three successful HTTP announces');
  assert.match(await get('scrp'), /^1\n0\n/);
  assert.match(await get('completed'), /^1\n/);
  const top = await get('top100');
  assert.match(
    top,
    new RegExp(
      `Top 100 torrents by peers:\\n\\t3\\t${hashOf(1).toString('hex').toUpperCase()}\\n\\t1\\t${hashOf(2).toString('hex').toUpperCase()}`,
    ),
  );
  assert.match(await get('everything'), /<peers><count>4<\/count><\/peers>/);
  const bad = await httpGet(t.httpPort, '/stats?mode=nope', from);
  assert.equal(bad.status, 400);
  const json = JSON.parse(await get('json')) as {
    peers: number;
    seeders: number;
    udp: { announces: number };
    errors: { malformed: { http: number } };
  };
  assert.equal(json.peers, 4);
  assert.equal(json.seeders, 2);
  assert.equal(json.udp.announces, 1);
  assert.equal(json.errors.malformed.http, 1);
});

test('/metrics: Prometheus text with requests, errors, peers, completions, latency', async () => {
  const r = await httpGet(t.httpPort, '/metrics', from);
  assert.equal(r.status, 200);
  const text = r.body.toString();
  const value = (line: string) => {
    const m = text.split('\n').find((l) => l.startsWith(line + ' '));
    assert.ok(m, `metric line ${line}`);
    return Number(m.slice(line.length + 1));
  };
  assert.equal(value('fjord_requests_total{protocol="http",action="announce",result="ok"}'), 3);
  assert.equal(value('fjord_requests_total{protocol="udp",action="connect",result="ok"}'), 1);
  assert.equal(value('fjord_requests_total{protocol="udp",action="announce",result="ok"}'), 1);
  assert.equal(value('fjord_request_errors_total{protocol="http",kind="malformed"}'), 1);
  assert.equal(value('fjord_peers{role="seeder",protocol="bittorrent"}'), 2);
  assert.equal(value('fjord_peers{role="leecher",protocol="bittorrent"}'), 2);
  assert.equal(value('fjord_swarms'), 2);
  assert.equal(value('fjord_completions_total'), 1);
  assert.equal(value('fjord_announces_total{protocol="udp",family="ipv4"}'), 1);
  // 1 in 16 requests is timed: send enough that some are, and the histogram must show them.
  for (let i = 0; i < 40; i++) await httpGet(t.httpPort, announcePath({ hash: hashOf(3), port: 100 + i }));
  const again = (await httpGet(t.httpPort, '/metrics', from)).body.toString();
  const count = Number(/^fjord_request_duration_seconds_count (\S+)$/m.exec(again)?.[1]);
  const inf = Number(/^fjord_request_duration_seconds_bucket\{le="\+Inf"\} (\S+)$/m.exec(again)?.[1]);
  const sum = Number(/^fjord_request_duration_seconds_sum (\S+)$/m.exec(again)?.[1]);
  assert.ok(count >= 2, `sampled requests counted (${count})`);
  assert.equal(inf, count, '+Inf bucket equals the count');
  assert.ok(sum > 0 && sum < count, `sum of seconds is plausible (${sum})`);
  assert.match(text, /# TYPE fjord_request_duration_seconds histogram/);
});

/**
 * The WebSocket tracker's protocol, driven by a plain `ws` client: announce replies, offer relay,
 * answers to the right peer only, scrape, leaving on close, access, and the separation of browser
 * peers from UDP/HTTP peers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { bdecode } from '../../src/protocol/bencode.js';
import { announcePath, hashOf, httpGet, UdpClient, udpAnnounce, udpPeers4 } from '../helpers/tracker.js';
import {
  WsClient,
  bin,
  isAnswer,
  isOffer,
  offerIdOf,
  peerIdOf,
  sdp,
  startWsTracker,
  type Msg,
  type WsRunning,
} from '../helpers/ws.js';

let t: WsRunning;
const open: WsClient[] = [];
async function client(opts: { localAddress?: string } = {}): Promise<WsClient> {
  const c = await WsClient.open(t.url, opts);
  open.push(c);
  return c;
}
const H = (n: number) => bin(hashOf(n));
const offers = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({
    offer: { type: 'offer', sdp: sdp(`${tag}-${i}`) },
    offer_id: offerIdOf(i + 1),
  }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  t = await startWsTracker({ mode: 'whitelist', wsInterval: 90 });
  for (let i = 1; i <= 30; i++) t.tracker.access.add(hashOf(i).toString('hex'));
  t.tracker.access.add(hashOf(99).toString('hex'));
});
after(async () => {
  for (const c of open) c.ws.terminate();
  await t.stop();
});

test('announce: the reply carries action, info_hash, complete, incomplete, interval', async () => {
  const a = await client();
  const r1 = await a.announce({
    info_hash: H(1),
    peer_id: peerIdOf(1),
    left: 0,
    event: 'started',
    numwant: 0,
  });
  assert.deepEqual(r1, { action: 'announce', info_hash: H(1), complete: 1, incomplete: 0, interval: 90 });
  const b = await client();
  const r2 = await b.announce({ info_hash: H(1), peer_id: peerIdOf(2), left: 100, event: 'started' });
  assert.equal(r2.complete, 1);
  assert.equal(r2.incomplete, 1);
  // A binary info hash with bytes over 0x7f and under 0x20 survives the JSON round trip.
  const odd = bin(Buffer.from('00ff1f80' + '7f'.repeat(16), 'hex'));
  t.tracker.access.add(Buffer.from(odd, 'latin1').toString('hex'));
  const r3 = await b.announce({ info_hash: odd, peer_id: peerIdOf(2), left: 100 });
  assert.equal(r3.info_hash, odd);
  assert.equal(r3.incomplete, 1);
});

test('offers go to other peers of the swarm only, one offer each, with the offerer and offer id', async () => {
  const peers = [await client(), await client(), await client()];
  for (let i = 0; i < 3; i++)
    await peers[i].announce({ info_hash: H(2), peer_id: peerIdOf(20 + i), left: 10 });
  const other = await client(); // in another swarm: must get nothing
  await other.announce({ info_hash: H(3), peer_id: peerIdOf(29), left: 10 });
  const me = await client();
  const reply = await me.announce({
    info_hash: H(2),
    peer_id: peerIdOf(30),
    left: 10,
    numwant: 5,
    offers: offers(5, 'me'),
  });
  assert.equal(reply.incomplete, 4);
  const got: Msg[] = [];
  for (const p of peers) got.push(await p.expect(isOffer));
  for (const m of got) {
    assert.equal(m.action, 'announce');
    assert.equal(m.info_hash, H(2));
    assert.equal(m.peer_id, peerIdOf(30));
    assert.equal((m.offer as Msg).type, 'offer');
  }
  // Three different offers (five were sent, three peers could take one each).
  assert.equal(new Set(got.map((m) => m.offer_id)).size, 3);
  for (const m of got) assert.match((m.offer as Msg).sdp as string, /o=- me-\d/);
  assert.equal(await me.next(isOffer, 300), null, 'no offer back to the offerer');
  assert.equal(await other.next(isOffer, 100), null, 'no offer to another swarm');
});

test('numwant bounds the peers offered to', async () => {
  const peers: WsClient[] = [];
  for (let i = 0; i < 5; i++) {
    const p = await client();
    await p.announce({ info_hash: H(4), peer_id: peerIdOf(40 + i), left: 10 });
    peers.push(p);
  }
  const me = await client();
  await me.announce({ info_hash: H(4), peer_id: peerIdOf(49), left: 10, numwant: 2, offers: offers(4, 'x') });
  await sleep(200);
  const n = peers.filter((p) => p.received.some(isOffer)).length;
  assert.equal(n, 2);
  // numwant 0: no offer relayed at all.
  for (const p of peers) p.received.length = 0;
  await me.announce({ info_hash: H(4), peer_id: peerIdOf(49), left: 10, numwant: 0, offers: offers(4, 'y') });
  await sleep(200);
  assert.equal(peers.filter((p) => p.received.some(isOffer)).length, 0);
});

test('a seeder offers to leechers only', async () => {
  const s1 = await client();
  await s1.announce({ info_hash: H(5), peer_id: peerIdOf(50), left: 0 });
  const l1 = await client();
  await l1.announce({ info_hash: H(5), peer_id: peerIdOf(51), left: 5 });
  const s2 = await client();
  await s2.announce({ info_hash: H(5), peer_id: peerIdOf(52), left: 0, offers: offers(3, 's2') });
  await l1.expect(isOffer);
  assert.equal(await s1.next(isOffer, 200), null);
});

test('an answer reaches only the peer whose offer it answers', async () => {
  const a = await client();
  const b = await client();
  const c = await client();
  await b.announce({ info_hash: H(6), peer_id: peerIdOf(61), left: 10 });
  await a.announce({ info_hash: H(6), peer_id: peerIdOf(60), left: 10, offers: offers(1, 'a') });
  const offer = await b.expect(isOffer);
  await c.announce({ info_hash: H(6), peer_id: peerIdOf(62), left: 10 });
  const answer = { type: 'answer', sdp: sdp('b-answer') };
  b.send({
    action: 'announce',
    info_hash: H(6),
    peer_id: peerIdOf(61),
    to_peer_id: offer.peer_id,
    answer,
    offer_id: offer.offer_id,
  });
  const got = await a.expect(isAnswer);
  assert.deepEqual(got, {
    action: 'announce',
    info_hash: H(6),
    peer_id: peerIdOf(61),
    offer_id: offerIdOf(1),
    answer,
  });
  assert.equal(await c.next(isAnswer, 200), null);
  assert.equal(await b.next(() => true, 100), null, 'no reply to an answer');
  // The same answer again: the offer was answered already, so it is dropped.
  const before = t.tracker.counters.wsAnswersDropped;
  b.send({
    action: 'announce',
    info_hash: H(6),
    peer_id: peerIdOf(61),
    to_peer_id: offer.peer_id,
    answer,
    offer_id: offer.offer_id,
  });
  assert.equal(await a.next(isAnswer, 300), null);
  assert.equal(t.tracker.counters.wsAnswersDropped, before + 1);
});

test('an answer to an offer never sent is dropped and counted', async () => {
  const a = await client();
  const b = await client();
  const c = await client();
  await a.announce({ info_hash: H(7), peer_id: peerIdOf(70), left: 10 });
  await b.announce({ info_hash: H(7), peer_id: peerIdOf(71), left: 10, offers: offers(1, 'b') });
  const offer = await a.expect(isOffer);
  await c.announce({ info_hash: H(7), peer_id: peerIdOf(72), left: 10 });
  const before = t.tracker.counters.wsAnswersDropped;
  const answer = { type: 'answer', sdp: sdp('forged') };
  // c was not sent b's offer: answering it (with the right ids) is refused.
  c.send({
    action: 'announce',
    info_hash: H(7),
    peer_id: peerIdOf(72),
    to_peer_id: peerIdOf(71),
    answer,
    offer_id: offer.offer_id,
  });
  // An offer id nobody made.
  a.send({
    action: 'announce',
    info_hash: H(7),
    peer_id: peerIdOf(70),
    to_peer_id: peerIdOf(71),
    answer,
    offer_id: offerIdOf(777),
  });
  // The right offer, but answered in another peer's name.
  a.send({
    action: 'announce',
    info_hash: H(7),
    peer_id: peerIdOf(72),
    to_peer_id: peerIdOf(71),
    answer,
    offer_id: offer.offer_id,
  });
  assert.equal(await b.next(isAnswer, 400), null);
  assert.equal(t.tracker.counters.wsAnswersDropped, before + 3);
  // The real answer still goes through.
  a.send({
    action: 'announce',
    info_hash: H(7),
    peer_id: peerIdOf(70),
    to_peer_id: peerIdOf(71),
    answer,
    offer_id: offer.offer_id,
  });
  assert.equal((await b.expect(isAnswer)).peer_id, peerIdOf(70));
});

test('scrape: one hash or a list, WebSocket peers counted', async () => {
  const a = await client();
  await a.announce({ info_hash: H(8), peer_id: peerIdOf(80), left: 0, event: 'completed' });
  const b = await client();
  await b.announce({ info_hash: H(8), peer_id: peerIdOf(81), left: 3 });
  b.send({ action: 'scrape', info_hash: H(8) });
  const r1 = await b.expect((m) => m.action === 'scrape');
  assert.deepEqual((r1.files as Msg)[H(8)], { complete: 1, incomplete: 1, downloaded: 1 });
  b.send({ action: 'scrape', info_hash: [H(8), H(9)] });
  const r2 = await b.expect((m) => m.action === 'scrape');
  assert.deepEqual(Object.keys(r2.files as Msg).sort(), [H(8), H(9)].sort());
  assert.deepEqual((r2.files as Msg)[H(9)], { complete: 0, incomplete: 0, downloaded: 0 });
  b.send({ action: 'scrape' });
  const r3 = await b.expect((m) => m.action === 'scrape');
  assert.match(String(r3['failure reason']), /info_hash/);
});

test('when a socket closes, its peers leave every swarm they joined', async () => {
  const a = await client();
  await a.announce({ info_hash: H(10), peer_id: peerIdOf(100), left: 3 });
  await a.announce({ info_hash: H(11), peer_id: peerIdOf(100), left: 0 });
  const b = await client();
  await b.announce({ info_hash: H(10), peer_id: peerIdOf(101), left: 3 });
  const before = t.tracker.wsPeers();
  await a.close();
  await sleep(100);
  const after = t.tracker.wsPeers();
  assert.equal(after.leechers, before.leechers - 1);
  assert.equal(after.seeders, before.seeders - 1);
  b.send({ action: 'scrape', info_hash: [H(10), H(11)] });
  const r = await b.expect((m) => m.action === 'scrape');
  assert.deepEqual((r.files as Msg)[H(10)], { complete: 0, incomplete: 1, downloaded: 0 });
  assert.deepEqual((r.files as Msg)[H(11)], { complete: 0, incomplete: 0, downloaded: 0 });
  // A later announce with offers finds no one to offer to.
  const r2 = await b.announce({ info_hash: H(10), peer_id: peerIdOf(101), left: 3, offers: offers(2, 'b') });
  assert.equal(r2.incomplete, 1);
});

test('stopped leaves the swarm; a peer id is held by the socket that announced it', async () => {
  const a = await client();
  await a.announce({ info_hash: H(12), peer_id: peerIdOf(120), left: 3 });
  const thief = await client();
  const r = await thief.announce({ info_hash: H(12), peer_id: peerIdOf(120), left: 3 });
  assert.match(String(r['failure reason']), /in use/);
  assert.equal(r.info_hash, H(12));
  const s = await a.announce({ info_hash: H(12), peer_id: peerIdOf(120), left: 3, event: 'stopped' });
  assert.equal(s.incomplete, 0);
  const r2 = await thief.announce({ info_hash: H(12), peer_id: peerIdOf(120), left: 3 });
  assert.equal(r2.incomplete, 1);
});

test('a hash not on the list gets a failure reason (announce and scrape)', async () => {
  const a = await client();
  const r = await a.announce({ info_hash: H(500), peer_id: peerIdOf(5), left: 1, offers: offers(1, 'z') });
  assert.deepEqual(r, {
    action: 'announce',
    info_hash: H(500),
    'failure reason': 'torrent not allowed on this tracker',
  });
  a.send({ action: 'scrape', info_hash: [H(1), H(500)] });
  const s = await a.expect((m) => m.action === 'scrape');
  assert.equal(s['failure reason'], 'torrent not allowed on this tracker');
  t.tracker.access.setCatalog([], [hashOf(99).toString('hex')]);
  const w = await a.announce({ info_hash: H(99), peer_id: peerIdOf(5), left: 1 });
  assert.equal(w['failure reason'], 'this programme is no longer available');
  assert.equal(a.closeCode, null, 'refusals are not strikes');
});

test('malformed messages get a failure reason, and repeated ones close the socket', async () => {
  const a = await client();
  a.ws.send('{not json');
  const m1 = await a.expect();
  assert.equal(m1['failure reason'], 'message is not JSON');
  a.send({ action: 'announce', info_hash: H(1), peer_id: 'short', left: 1 });
  const m2 = await a.expect();
  assert.deepEqual(m2, { action: 'announce', info_hash: H(1), 'failure reason': 'peer_id must be 20 bytes' });
  a.send({ action: 'dance' });
  const m3 = await a.expect();
  assert.match(String(m3['failure reason']), /unknown action/);
  const { code } = await a.closed;
  assert.equal(code, 1008);
});

test('browser peers and UDP/HTTP peers are never handed to each other', async () => {
  const h = hashOf(13);
  // A BitTorrent peer over HTTP and one over UDP.
  await httpGet(t.httpPort, announcePath({ hash: h, port: 6001 }), { localAddress: '127.0.0.2' });
  const u = new UdpClient(t.udpPort);
  await u.bind('127.0.0.3');
  const id = await u.connect();
  await u.request(udpAnnounce({ connectionId: id, infoHash: h, port: 6002 }));
  // Two browsers.
  const a = await client();
  await a.announce({ info_hash: bin(h), peer_id: peerIdOf(130), left: 3 });
  const b = await client();
  const r = await b.announce({ info_hash: bin(h), peer_id: peerIdOf(131), left: 3, offers: offers(5, 'b') });
  assert.equal(r.incomplete, 2, 'browser counts only');
  assert.ok(await a.expect(isOffer));
  // HTTP and UDP replies list the BitTorrent peers only.
  const hr = bdecode(
    (await httpGet(t.httpPort, announcePath({ hash: h, port: 6003 }), { localAddress: '127.0.0.4' })).body,
  ) as Msg;
  assert.equal((hr.peers as Buffer).length, 2 * 6);
  assert.equal(hr.incomplete, 3);
  const ur = await u.request(udpAnnounce({ connectionId: id, infoHash: h, port: 6002 }));
  assert.deepEqual(udpPeers4(ur).sort(), ['127.0.0.2:6001', '127.0.0.4:6003']);
  u.close();
});

test('bytes pass through: escaped ids (as Python writes JSON) and non-ASCII sdp text', async () => {
  const a = await client();
  const odd = bin(Buffer.from('e9c3' + 'ff'.repeat(17) + '01', 'hex'));
  t.tracker.access.add(Buffer.from(odd, 'latin1').toString('hex'));
  await a.announce({ info_hash: odd, peer_id: peerIdOf(140), left: 3 });
  const b = await client();
  // JSON with every character from U+0080 up escaped, as json.dumps(ensure_ascii=True) writes it.
  const text = JSON.stringify({
    action: 'announce',
    info_hash: odd,
    peer_id: peerIdOf(141),
    left: 3,
    offers: [{ offer: { type: 'offer', sdp: 'v=0 é€😀\r\n' }, offer_id: offerIdOf(9) }],
  }).replace(/[\u0080-\uffff]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
  b.ws.send(text);
  const r = await b.expect((m) => m.complete !== undefined);
  assert.equal(r.info_hash, odd);
  assert.equal(r.incomplete, 2);
  // Swarms are kept by the hash itself (what the statistics read), whatever the messages carried.
  assert.ok(t.tracker.ws?.store.swarms.has(odd));
  b.send({ action: 'scrape', info_hash: odd });
  assert.equal(((await b.expect((m) => m.action === 'scrape')).files as Msg)[odd] !== undefined, true);
  const o = await a.expect(isOffer);
  assert.equal(o.info_hash, odd);
  assert.equal((o.offer as Msg).sdp, 'v=0 é€😀\r\n');
  // And unescaped (as browsers send it), the other way.
  a.send({
    action: 'announce',
    info_hash: odd,
    peer_id: peerIdOf(140),
    left: 3,
    offers: [{ offer: { type: 'offer', sdp: 'ünïcode ✓' }, offer_id: offerIdOf(10) }],
  });
  const o2 = await b.expect(isOffer);
  assert.equal((o2.offer as Msg).sdp, 'ünïcode ✓');
  assert.equal(o2.offer_id, offerIdOf(10));
  assert.equal(o2.peer_id, peerIdOf(140));
});

test('/stats and /metrics count WebSocket peers and requests under protocol ws', async () => {
  const s = JSON.parse((await httpGet(t.httpPort, '/stats?format=json')).body.toString()) as {
    ws: Record<string, number>;
    peers: number;
    errors: Record<string, { ws: number }>;
  };
  const peers = t.tracker.wsPeers();
  assert.equal(s.ws.seeders, peers.seeders);
  assert.equal(s.ws.leechers, peers.leechers);
  assert.ok(s.ws.seeders + s.ws.leechers > 0);
  assert.ok(s.ws.announces > 10);
  assert.ok(s.ws.offersRelayed > 5);
  assert.ok(s.ws.answersRelayed >= 2);
  assert.ok(s.ws.answersDropped >= 4);
  assert.ok(s.ws.open > 0);
  assert.ok(s.errors.not_allowed.ws >= 2);
  assert.ok(s.errors.malformed.ws >= 2);
  const m = (await httpGet(t.httpPort, '/metrics')).body.toString();
  assert.match(m, new RegExp(`fjord_peers\\{role="seeder",protocol="ws"\\} ${peers.seeders}\\n`));
  assert.match(m, new RegExp(`fjord_peers\\{role="leecher",protocol="ws"\\} ${peers.leechers}\\n`));
  assert.match(m, /fjord_requests_total\{protocol="ws",action="announce",result="ok"\} \d+/);
  assert.match(m, /fjord_request_errors_total\{protocol="ws",kind="not_allowed"\} \d+/);
  assert.match(m, /fjord_ws_relays_total\{kind="offer"\} \d+/);
  assert.match(m, /fjord_ws_connections \d+/);
});

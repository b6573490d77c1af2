import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  WS_EVENT_COMPLETED,
  WS_EVENT_NONE,
  WS_EVENT_STARTED,
  WS_EVENT_STOPPED,
  WS_SCRAPE_MAX_HASHES,
  announceReply,
  answerMessage,
  failureMessage,
  isBin20,
  json,
  offerMessage,
  parseWsMessage,
  scrapeReply,
  type WsAnnounce,
  type WsProblem,
} from '../../src/protocol/ws-message.js';

const HASH = Buffer.from('00ff7f80' + '11'.repeat(16), 'hex').toString('latin1');
const PEER = '-WW0001-abcdefghijkl';
const OID = Buffer.alloc(20, 0xe9).toString('latin1');

/** What the bittorrent-tracker client sends (websocket-tracker.js), through JSON as on the wire. */
function wire(m: Record<string, unknown>): string {
  return JSON.stringify(m);
}

test('isBin20: 20 code units, each a byte', () => {
  assert.ok(isBin20(HASH));
  assert.ok(!isBin20(HASH.slice(1)));
  assert.ok(!isBin20('\u0100' + HASH.slice(1)));
  assert.ok(!isBin20(20));
});

test('announce as the WebTorrent client sends it, with offers', () => {
  const m = parseWsMessage(
    wire({
      numwant: 2,
      uploaded: 0,
      downloaded: 0,
      left: 1234,
      event: 'started',
      action: 'announce',
      info_hash: HASH,
      peer_id: PEER,
      offers: [
        { offer: { type: 'offer', sdp: 'v=0\r\na' }, offer_id: OID },
        { offer: { type: 'offer', sdp: 'v=0\r\nb' }, offer_id: OID },
      ],
    }),
    10,
  ) as WsAnnounce;
  assert.equal(m.action, 'announce');
  assert.equal(m.infoHash, HASH);
  assert.equal(m.peerId, PEER);
  assert.equal(m.numwant, 2);
  assert.equal(m.left, 1234);
  assert.equal(m.event, WS_EVENT_STARTED);
  assert.deepEqual(m.offers, [
    { offerId: OID, sdp: 'v=0\r\na' },
    { offerId: OID, sdp: 'v=0\r\nb' },
  ]);
  assert.equal(m.answer, null);
});

test('events, absent fields, decimal strings', () => {
  const base = { action: 'announce', info_hash: HASH, peer_id: PEER };
  const ev = (e: unknown) => (parseWsMessage(wire({ ...base, event: e }), 10) as WsAnnounce).event;
  assert.equal(ev('completed'), WS_EVENT_COMPLETED);
  assert.equal(ev('stopped'), WS_EVENT_STOPPED);
  assert.equal(ev('update'), WS_EVENT_NONE);
  assert.equal(ev('paused'), WS_EVENT_NONE);
  assert.equal(ev(''), WS_EVENT_NONE);
  assert.equal(ev(undefined), WS_EVENT_NONE);
  assert.match((parseWsMessage(wire({ ...base, event: 'nope' }), 10) as WsProblem).error, /event/);
  const a = parseWsMessage(wire(base), 10) as WsAnnounce;
  assert.equal(a.left, -1);
  assert.equal(a.numwant, -1);
  assert.deepEqual(a.offers, []);
  assert.equal((parseWsMessage(wire({ ...base, left: '0' }), 10) as WsAnnounce).left, 0);
  assert.match((parseWsMessage(wire({ ...base, left: -1 }), 10) as WsProblem).error, /numbers >= 0/);
});

test('an answer needs to_peer_id and offer_id', () => {
  const base = { action: 'announce', info_hash: HASH, peer_id: PEER, answer: { type: 'answer', sdp: 's' } };
  const ok = parseWsMessage(wire({ ...base, to_peer_id: PEER, offer_id: OID }), 10) as WsAnnounce;
  assert.equal(ok.answer, 's');
  assert.equal(ok.toPeerId, PEER);
  assert.equal(ok.offerId, OID);
  const p = parseWsMessage(wire({ ...base, offer_id: OID }), 10) as WsProblem;
  assert.equal(p.action, null);
  assert.match(p.error, /to_peer_id/);
  assert.equal(p.replyAction, 'announce');
  assert.equal(p.infoHash, HASH);
  assert.match((parseWsMessage(wire({ ...base, to_peer_id: PEER }), 10) as WsProblem).error, /offer_id/);
  const bad = parseWsMessage(
    wire({ ...base, answer: { type: 'offer', sdp: 's' }, to_peer_id: PEER, offer_id: OID }),
    10,
  );
  assert.match((bad as WsProblem).error, /answer must be/);
});

test('offers beyond maxOffers are dropped and counted; malformed offers refuse the message', () => {
  const offers = Array.from({ length: 12 }, () => ({ offer: { type: 'offer', sdp: 'x' }, offer_id: OID }));
  const m = parseWsMessage(
    wire({ action: 'announce', info_hash: HASH, peer_id: PEER, offers }),
    10,
  ) as WsAnnounce;
  assert.equal(m.offers.length, 10);
  assert.equal(m.offersDropped, 2);
  const base = { action: 'announce', info_hash: HASH, peer_id: PEER };
  for (const bad of [
    'x',
    [1],
    [{ offer: { type: 'offer', sdp: 'x' } }],
    [{ offer: { type: 'offer', sdp: 'x' }, offer_id: 'short' }],
    [{ offer: { type: 'answer', sdp: 'x' }, offer_id: OID }],
    [{ offer: { type: 'offer', sdp: 5 }, offer_id: OID }],
    [{ offer: null, offer_id: OID }],
  ])
    assert.equal(parseWsMessage(wire({ ...base, offers: bad }), 10).action, null, JSON.stringify(bad));
});

test('scrape: one hash, a list, none, too many', () => {
  assert.deepEqual(parseWsMessage(wire({ action: 'scrape', info_hash: HASH }), 10), {
    action: 'scrape',
    infoHashes: [HASH],
  });
  assert.deepEqual(parseWsMessage(wire({ action: 'scrape', info_hash: [HASH, HASH] }), 10), {
    action: 'scrape',
    infoHashes: [HASH, HASH],
  });
  assert.deepEqual(parseWsMessage(wire({ action: 'scrape' }), 10), { action: 'scrape', infoHashes: [] });
  const many = Array.from({ length: WS_SCRAPE_MAX_HASHES + 1 }, () => HASH);
  assert.match(
    (parseWsMessage(wire({ action: 'scrape', info_hash: many }), 10) as WsProblem).error,
    /at most/,
  );
  assert.equal(parseWsMessage(wire({ action: 'scrape', info_hash: ['x'] }), 10).action, null);
});

test('not JSON, not an object, unknown action', () => {
  for (const text of ['', '{', 'null', '[]', '"announce"', '42']) {
    const p = parseWsMessage(text, 10) as WsProblem;
    assert.equal(p.action, null, text);
    assert.equal(p.replyAction, null);
  }
  const u = parseWsMessage(wire({ action: 'connect' }), 10) as WsProblem;
  assert.ok(u.unknownAction);
  assert.match(u.error, /unknown action "connect"/);
  assert.match(
    (parseWsMessage(wire({ action: 'announce', info_hash: 'x' }), 10) as WsProblem).error,
    /info_hash/,
  );
});

test('replies are JSON the client reads back to the same values', () => {
  const r = JSON.parse(announceReply(json(HASH), 3, 4, 120)) as Record<string, unknown>;
  assert.deepEqual(r, { action: 'announce', info_hash: HASH, complete: 3, incomplete: 4, interval: 120 });
  const sdpText = 'v=0\r\n"quoted"\\\u0001';
  assert.deepEqual(JSON.parse(offerMessage(json(HASH), json(PEER), OID, sdpText)), {
    action: 'announce',
    info_hash: HASH,
    peer_id: PEER,
    offer_id: OID,
    offer: { type: 'offer', sdp: sdpText },
  });
  assert.deepEqual(JSON.parse(answerMessage(json(HASH), json(PEER), OID, sdpText)), {
    action: 'announce',
    info_hash: HASH,
    peer_id: PEER,
    offer_id: OID,
    answer: { type: 'answer', sdp: sdpText },
  });
  assert.deepEqual(JSON.parse(failureMessage('announce', HASH, 'no')), {
    action: 'announce',
    info_hash: HASH,
    'failure reason': 'no',
  });
  assert.deepEqual(JSON.parse(failureMessage(null, null, 'no')), { 'failure reason': 'no' });
  const s = JSON.parse(scrapeReply(new Map([[HASH, { complete: 1, incomplete: 2, downloaded: 3 }]]), 120));
  assert.deepEqual(s, {
    action: 'scrape',
    files: { [HASH]: { complete: 1, incomplete: 2, downloaded: 3 } },
    flags: { min_request_interval: 120 },
  });
});

test('property: the parser never throws, on any text or any JSON value', () => {
  const bin20 = fc.string({
    unit: fc.integer({ min: 0, max: 255 }).map((n) => String.fromCharCode(n)),
    minLength: 20,
    maxLength: 20,
  });
  const field = fc.oneof(fc.anything(), bin20, fc.string(), fc.integer(), fc.constant(null));
  const message = fc.record(
    {
      action: fc.oneof(fc.constantFrom('announce', 'scrape'), fc.anything()),
      info_hash: fc.oneof(bin20, fc.array(fc.oneof(bin20, fc.anything())), fc.anything()),
      peer_id: fc.oneof(bin20, field),
      numwant: field,
      left: field,
      event: fc.oneof(fc.constantFrom('started', 'stopped', 'completed', 'update', ''), field),
      offers: fc.oneof(
        fc.array(
          fc.record(
            {
              offer: fc.oneof(
                fc.record({ type: fc.constantFrom('offer', 'answer'), sdp: fc.oneof(fc.string(), field) }),
                field,
              ),
              offer_id: fc.oneof(bin20, field),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 14 },
        ),
        field,
      ),
      answer: fc.oneof(fc.record({ type: fc.constant('answer'), sdp: fc.string() }), field),
      to_peer_id: fc.oneof(bin20, field),
      offer_id: fc.oneof(bin20, field),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(message, (m) => {
      let text: string;
      try {
        text = JSON.stringify(m);
      } catch {
        return; // e.g. a BigInt from fc.anything(): not something a socket can carry
      }
      if (text === undefined) return;
      const r = parseWsMessage(text, 10);
      if (r.action === 'announce') {
        assert.ok(isBin20(r.infoHash) && isBin20(r.peerId));
        assert.ok(r.offers.length <= 10);
      } else if (r.action === null) assert.equal(typeof r.error, 'string');
    }),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(fc.string(), (s) => {
      parseWsMessage(s, 10);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      parseWsMessage(JSON.stringify(v), 10);
    }),
    { numRuns: 2000 },
  );
});

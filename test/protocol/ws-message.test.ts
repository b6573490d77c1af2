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
  bin20Bytes,
  isByteText,
  isBin20View,
  parseWsMessage,
  rawSdpLiterals,
  toByteView,
  toByteViews,
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
    { offerId: OID, sdp: 'v=0\r\na', sdpJson: '"v=0\\r\\na"' },
    { offerId: OID, sdp: 'v=0\r\nb', sdpJson: '"v=0\\r\\nb"' },
  ]);
  assert.equal(m.answer, null);
});

test('sdp literals are taken from the text in order, and are always whole JSON strings', () => {
  const offers = [
    { offerId: OID, sdp: '', sdpJson: null as string | null },
    { offerId: OID, sdp: '', sdpJson: null as string | null },
  ];
  rawSdpLiterals(
    '{"offers":[{"offer":{"sdp" : "a\\"b\\\\","type":"offer"}},{"offer":{"type":"offer","sdp":"c"}}]}',
    offers,
  );
  assert.equal(offers[0].sdpJson, '"a\\"b\\\\"');
  assert.equal(JSON.parse(offers[0].sdpJson as string), 'a"b\\');
  assert.equal(offers[1].sdpJson, '"c"');
  // A string value that contains the text "sdp" is not a key; a non-string value stops the scan.
  const one = [{ offerId: OID, sdp: '', sdpJson: null as string | null }];
  rawSdpLiterals('{"x":"\\"sdp\\":\\"no","offers":[{"offer":{"type":"offer","sdp":"yes"}}]}', one);
  assert.equal(one[0].sdpJson, '"yes"');
  one[0].sdpJson = null;
  rawSdpLiterals('{"sdp":5,"offers":[{"offer":{"type":"offer","sdp":"yes"}}]}', one);
  assert.equal(one[0].sdpJson, null);
  // A value "sdp" (not a key) is skipped.
  const two = [
    { offerId: OID, sdp: '', sdpJson: null as string | null },
    { offerId: OID, sdp: '', sdpJson: null as string | null },
  ];
  rawSdpLiterals('{"offers":[{"offer":{"sdp":"","sdpx":"sdp"}},{"offer":{"sdp":"b"}}]}', two);
  assert.deepEqual(
    two.map((o) => o.sdpJson),
    ['""', '"b"'],
  );
  // Property: on any message that parses as an announce, every literal found is one JSON string.
  const text = fc.string({ unit: fc.constantFrom('a', '"', '\\', '\r', 's', 'd', 'p', ':', ' ', '\u00e9') });
  fc.assert(
    fc.property(
      fc.array(fc.record({ sdp: text, extra: fc.option(text) }), { minLength: 1, maxLength: 5 }),
      fc.option(text),
      (list, top) => {
        const msg: Record<string, unknown> = { action: 'announce', info_hash: HASH, peer_id: PEER };
        if (top !== null) msg.sdp = top;
        msg.offers = list.map((o) => ({
          offer:
            o.extra === null ? { type: 'offer', sdp: o.sdp } : { type: 'offer', sdp: o.sdp, sdpx: o.extra },
          offer_id: OID,
        }));
        const r = parseWsMessage(JSON.stringify(msg), 10) as WsAnnounce;
        assert.equal(r.action, 'announce');
        for (const o of r.offers)
          if (o.sdpJson !== null) assert.equal(typeof JSON.parse(o.sdpJson), 'string');
        // With no decoy key the literals are exactly the offers' sdps.
        if (top === null) r.offers.forEach((o) => assert.equal(JSON.parse(o.sdpJson as string), o.sdp));
      },
    ),
    { numRuns: 1000 },
  );
});

test('byte views: a BIN20 read as UTF-8 bytes is recognised and maps back to its 20 bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (b) => {
      const real = Buffer.from(b).toString('latin1');
      const view = toByteView(real);
      assert.ok(isBin20View(view));
      const out = Buffer.alloc(20);
      bin20Bytes(view, out, 0);
      assert.deepEqual(out, Buffer.from(b));
      // What the server reads: the client's JSON as UTF-8 bytes, read back as latin1.
      const wireText = Buffer.from(
        JSON.stringify({ action: 'announce', info_hash: real, peer_id: PEER }),
      ).toString('latin1');
      const m = parseWsMessage(wireText, 10, true) as WsAnnounce;
      assert.equal(m.infoHash, view);
      assert.equal(m.peerId, PEER);
    }),
  );
  assert.ok(!isBin20View('a'.repeat(19)));
  assert.ok(!isBin20View('a'.repeat(19) + '\u00c3')); // a lead byte without its continuation
  assert.ok(!isBin20View('a'.repeat(19) + '\u00e2\u0082\u00ac')); // a three-byte character (over 0xFF)
});

test('a message with escapes of characters from U+0080 up is retried decoded, and then gives the same values', () => {
  const real = Buffer.from('e9'.repeat(20), 'hex').toString('latin1');
  const escape = (text: string) =>
    text.replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  const wire = (m: Record<string, unknown>, esc: boolean) =>
    Buffer.from(esc ? escape(JSON.stringify(m)) : JSON.stringify(m)).toString('latin1');
  const base = { action: 'announce', info_hash: real, peer_id: PEER };
  // Escaped ids: the byte-view read refuses them and asks for the decoded read.
  const v = parseWsMessage(wire(base, true), 10, true) as WsProblem;
  assert.equal(v.action, null);
  assert.ok(v.retryExact);
  const exact = parseWsMessage(escape(JSON.stringify(base)), 10) as WsAnnounce;
  toByteViews(exact);
  assert.equal(exact.infoHash, (parseWsMessage(wire(base, false), 10, true) as WsAnnounce).infoHash);
  assert.equal(exact.infoHash, toByteView(real));
  // An escaped non-ASCII answer sdp would be re-escaped wrongly from a byte view: retried too.
  const ans = {
    ...base,
    info_hash: HASH,
    answer: { type: 'answer', sdp: 'é' },
    to_peer_id: PEER,
    offer_id: OID,
  };
  assert.ok((parseWsMessage(escape(JSON.stringify(ans)), 10, true) as WsProblem).retryExact);
  // Unescaped (as browsers send it) it is fine as a byte view, and is the UTF-8 bytes.
  const ok = parseWsMessage(wire(ans, false), 10, true) as WsAnnounce;
  assert.equal(ok.answer, toByteView('é'));
  // A real error is not retried.
  assert.equal((parseWsMessage('{"action":"announce"}', 10, true) as WsProblem).retryExact, false);
  assert.ok(isByteText('plain') && isByteText(toByteView('ünï')) && !isByteText('\u00e9'));
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
      // The byte-view read (as the server does it) must not throw either.
      parseWsMessage(Buffer.from(text).toString('latin1'), 10, true);
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
      parseWsMessage(s, 10, true);
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

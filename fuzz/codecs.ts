/**
 * Property fuzzing of fjord's wire codecs: one property per codec, shared by the CI-sized test
 * (test/protocol/fuzz-codecs.test.ts, 2,000 runs each inside `npm test`) and the volume run
 * (`npm run fuzz`, scripts/fuzz.js: 10^6 runs each by default).
 *
 * Every codec gets three kinds of input: arbitrary bytes (or text), valid encodings made by a
 * test-side encoder written here independently of the codec, and those valid encodings mutated
 * (bytes flipped, inserted, deleted, cut short, slices repeated), which reach far deeper into a
 * parser than random bytes do. The properties:
 *   - never throws, or throws only the codec's own error type (BencodeError, MetainfoError);
 *   - a round trip where there is one: decode(encode(v)) gives v back, encode(decode(x)) is stable;
 *   - bounded output: what a decoder returns is never larger than its input allows (counts,
 *     lengths, offsets inside the buffer), so a hostile input cannot make it allocate more.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { bencode, bdecode, BencodeError, type BValue } from '../src/protocol/bencode.js';
import { HttpQuery, parseQuery, MAX_SCRAPE_HASHES } from '../src/protocol/http-query.js';
import { parseTorrent, MetainfoError } from '../src/protocol/metainfo.js';
import {
  ANNOUNCE_MIN_LENGTH,
  checkAnnounceOptions,
  hasProtocolId,
  readU32,
  readU64,
  writeError,
  writeU32,
} from '../src/protocol/udp.js';
import {
  Frame,
  readFrame,
  closeFrame,
  CLOSE_PROTOCOL_ERROR,
  CLOSE_TOO_BIG,
} from '../src/protocol/ws-frame.js';
import { parseWsMessage, toByteView } from '../src/protocol/ws-message.js';
import { parseSubtitle, toSrt, toWebVtt, type SubtitleResult } from '../src/protocol/subtitles.js';
import { multipartBoundary, parseMultipart } from '../src/subtitles/multipart.js';
import { headerValue } from '../src/protocol/http-head.js';

/** How a run went: the inputs tried, and fast-check's report (counterexample, seed) on failure. */
export interface FuzzResult {
  numRuns: number;
  failed: boolean;
  report: string | null;
}

/** A codec under fuzzing: check(runs) runs its property `runs` times (onRun after each). */
export interface CodecFuzz {
  name: string;
  /** What the property checks, one line. */
  checks: string;
  check(params: { numRuns: number; seed?: number; onRun?: () => void }): FuzzResult;
}

function codec<T>(name: string, checks: string, arb: fc.Arbitrary<T>, property: (x: T) => void): CodecFuzz {
  return {
    name,
    checks,
    check({ numRuns, seed, onRun }) {
      const prop = fc.property(arb, (x) => {
        property(x);
        onRun?.();
      });
      const d = fc.check(prop, { numRuns, seed, endOnFailure: true });
      return {
        numRuns: d.numRuns,
        failed: d.failed,
        report: d.failed ? (fc.defaultReportMessage(d) ?? 'failed') : null,
      };
    },
  };
}

// ------------------------------------------------------------------ shared generators

const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map((u) => Buffer.from(u));

type Edit =
  | { kind: 'flip'; at: number; value: number }
  | { kind: 'insert'; at: number; value: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'cut'; at: number }
  | { kind: 'repeat'; at: number; length: number };
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.nat(255) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 32 }) }),
);
function applyEdit(b: Buffer, e: Edit): Buffer {
  const at = b.length === 0 ? 0 : e.at % (b.length + 1);
  switch (e.kind) {
    case 'flip':
      if (b.length === 0) return b;
      return Buffer.concat([
        b.subarray(0, at % b.length),
        Buffer.from([e.value]),
        b.subarray((at % b.length) + 1),
      ]);
    case 'insert':
      return Buffer.concat([b.subarray(0, at), Buffer.from([e.value]), b.subarray(at)]);
    case 'delete':
      return Buffer.concat([b.subarray(0, at), b.subarray(at + e.length)]);
    case 'cut':
      return b.subarray(0, at);
    case 'repeat':
      return Buffer.concat([b.subarray(0, at + e.length), b.subarray(at)]);
  }
}
/** Valid encodings, the same mutated by 1 to 4 edits, and arbitrary bytes; `valid` says which. */
function hostile(valid: fc.Arbitrary<Buffer>, maxRandom = 256): fc.Arbitrary<{ b: Buffer; valid: boolean }> {
  return fc.oneof(
    valid.map((b) => ({ b, valid: true })),
    fc
      .tuple(valid, fc.array(edit, { minLength: 1, maxLength: 4 }))
      .map(([b, edits]) => ({ b: edits.reduce(applyEdit, b), valid: false })),
    bytes(maxRandom).map((b) => ({ b, valid: false })),
  );
}
/** Runs f; an exception of one of the codec's own error types is fine, anything else fails. */
function onlyThrows(types: Array<new (...args: never[]) => Error>, f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!types.some((t) => e instanceof t)) throw e;
  }
}
const oneLine = (s: string, max: number) => {
  assert.equal(typeof s, 'string');
  assert.ok(s.length > 0 && s.length <= max, `reason of ${s.length} chars`);
  assert.doesNotMatch(s, /[\r\n]/);
};

// ------------------------------------------------------------------ bencode

export const bvalue: fc.Arbitrary<BValue> = fc.letrec<{ v: BValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
    fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 5 }),
  ),
})).v;

const bencodeFuzz = codec(
  'bencode',
  'only BencodeError; bencode(bdecode(x)) == x for canonical x and no longer than x otherwise; stable',
  hostile(bvalue.map((v) => bencode(v))),
  ({ b, valid }) => {
    onlyThrows([BencodeError], () => {
      const again = bencode(bdecode(b) as BValue);
      if (valid) assert.deepEqual(again, b);
      assert.ok(again.length <= b.length, `re-encoded ${again.length} bytes from ${b.length}`);
      assert.deepEqual(bencode(bdecode(again) as BValue), again);
    });
  },
);

// ------------------------------------------------------------------ BEP 15 (UDP)

/** BEP 41 options after an announce: type 1 (nop) alone, others with a length and data. */
const option = fc.oneof(
  fc.constant({ type: 1, data: Buffer.alloc(0) }),
  fc.record({ type: fc.integer({ min: 2, max: 255 }), data: bytes(40) }),
);
const udpAnnounce = fc
  .record({
    head: fc.uint8Array({ minLength: ANNOUNCE_MIN_LENGTH, maxLength: ANNOUNCE_MIN_LENGTH }),
    options: fc.array(option, { maxLength: 6 }),
    end: fc.boolean(),
    after: bytes(8),
  })
  .map(({ head, options, end, after }) => {
    const parts: Buffer[] = [Buffer.from(head)];
    let url = 0;
    for (const o of options) {
      if (o.type === 1) parts.push(Buffer.from([1]));
      else parts.push(Buffer.from([o.type, o.data.length]), o.data);
      if (o.type === 2) url += o.data.length;
    }
    if (end) parts.push(Buffer.from([0]), after);
    return { b: Buffer.concat(parts), url };
  });

const udpFuzz = codec(
  'udp',
  'BEP 15/41: options length read back; bad options -1, never out of bounds; error replies bounded; u32/u64 round trip',
  fc.record({
    packet: fc.oneof(
      udpAnnounce.map((p) => ({ ...p, valid: true })),
      hostile(udpAnnounce.map((p) => p.b)).map(({ b }) => ({ b, url: -1, valid: false })),
    ),
    message: fc.string({ maxLength: 300, unit: 'grapheme' }),
    u32: fc.nat({ max: 0xffffffff }),
    u64: fc.bigInt({ min: 0n, max: BigInt(Number.MAX_SAFE_INTEGER) }),
  }),
  ({ packet: { b, url, valid }, message, u32, u64 }) => {
    const protocol = b.length >= 8 && b.readBigUInt64BE(0) === 0x41727101980n;
    assert.equal(hasProtocolId(b), protocol);
    if (b.length >= ANNOUNCE_MIN_LENGTH) {
      const r = checkAnnounceOptions(b, b.length);
      assert.ok(r === -1 || (r >= 0 && r <= b.length - ANNOUNCE_MIN_LENGTH), `options ${r}`);
      if (valid) assert.equal(r, url);
    }
    const out = Buffer.alloc(1500, 0xaa);
    const n = writeError(out, b, b.length, message);
    assert.ok(n >= 8 && n <= out.length && n <= 8 + Buffer.byteLength(message));
    assert.equal(out.readUInt32BE(0), 3);
    assert.equal(out.readUInt32BE(4), b.length >= 16 ? b.readUInt32BE(12) : 0);
    const w = Buffer.alloc(8);
    writeU32(w, 2, u32);
    assert.equal(readU32(w, 2), u32);
    w.writeBigUInt64BE(u64);
    assert.equal(readU64(w, 0), Number(u64));
  },
);

// ------------------------------------------------------------------ HTTP query and head

const unreserved = /[A-Za-z0-9.\-_~]/;
/** Percent-encodes b, each byte raw when it may be, or %XX in upper or lower case, as `style` says. */
function percent(b: Uint8Array, style: number[]): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const c = String.fromCharCode(b[i]);
    const how = style[i % style.length];
    if (how === 0 && unreserved.test(c)) s += c;
    else {
      const hex = b[i].toString(16).padStart(2, '0');
      s += `%${how === 2 ? hex : hex.toUpperCase()}`;
    }
  }
  return s;
}
const EVENTS = ['', 'completed', 'started', 'stopped'];
const announceQuery = fc.record({
  hash: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  peer: fc.uint8Array({ minLength: 20, maxLength: 20 }),
  style: fc.array(fc.nat(2), { minLength: 1, maxLength: 8 }),
  port: fc.integer({ min: 1, max: 65535 }),
  left: fc.nat(),
  downloaded: fc.nat(),
  event: fc.nat(3),
  compact: fc.nat(1),
  numwant: fc.nat(500),
  extra: fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z0-9%]{0,12}$/)), {
    maxLength: 3,
  }),
});
type AnnounceQuery = typeof announceQuery extends fc.Arbitrary<infer T> ? T : never;
function writeQuery(a: AnnounceQuery): string {
  const known = new Set([
    'info_hash',
    'peer_id',
    'port',
    'left',
    'downloaded',
    'event',
    'compact',
    'numwant',
    'ip',
  ]);
  const params = [
    `info_hash=${percent(a.hash, a.style)}`,
    `peer_id=${percent(a.peer, a.style)}`,
    `port=${a.port}`,
    `left=${a.left}`,
    `downloaded=${a.downloaded}`,
    ...(a.event > 0 ? [`event=${EVENTS[a.event]}`] : []),
    `compact=${a.compact}`,
    `numwant=${a.numwant}`,
    ...a.extra.filter(([k]) => !known.has(k)).map(([k, v]) => `${k}=${v}`),
  ];
  return params.join('&');
}

const httpQueryFuzz = codec(
  'http-query',
  'parseQuery never throws, ok iff no error, at most MAX_SCRAPE_HASHES, announce fields read back',
  fc.oneof(
    announceQuery.map((a) => ({ b: Buffer.from(writeQuery(a), 'latin1'), a })),
    hostile(announceQuery.map((a) => Buffer.from(writeQuery(a), 'latin1'))).map(({ b }) => ({ b, a: null })),
  ),
  ({ b, a }) => {
    const q = new HttpQuery();
    const ok = parseQuery(b, 0, b.length, q);
    assert.equal(ok, q.error === null);
    if (q.error !== null) oneLine(q.error, 300);
    assert.ok(q.hashCount >= 0 && q.hashCount <= MAX_SCRAPE_HASHES);
    if (q.hasPeerId) assert.ok(q.peerIdStart >= 0 && q.peerIdStart <= q.peerIdEnd && q.peerIdEnd <= b.length);
    if (a === null) return;
    assert.ok(ok, String(q.error));
    assert.equal(q.hashCount, 1);
    assert.deepEqual(q.hashes.subarray(0, 20), Buffer.from(a.hash));
    assert.deepEqual(
      [q.port, q.hasLeft, q.leftZero, q.event, q.compact, q.numwant, q.downloaded],
      [a.port, true, a.left === 0, a.event, a.compact, a.numwant, a.downloaded],
    );
  },
);

/** A request head: a request line and headers, with the one asked for somewhere among them. */
const head = fc.record({
  others: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,12}$/), fc.stringMatching(/^[ -~]{0,30}$/)), {
    maxLength: 6,
  }),
  name: fc.stringMatching(/^[A-Za-z][A-Za-z-]{0,15}$/),
  value: fc.stringMatching(/^[!-~]([ -~]{0,40}[!-~])?$/),
  at: fc.nat(),
});
const httpHeadFuzz = codec(
  'http-head',
  'headerValue never throws, reads back the first header of a name, returns no CR/LF and nothing longer than the head',
  fc.oneof(
    head.map((h) => ({ h })),
    hostile(bytes(200)).map(({ b }) => ({ b, h: null })),
  ),
  (x) => {
    if (x.h === null) {
      const b = 'b' in x ? x.b : Buffer.alloc(0);
      for (const end of [b.length, b.length >> 1]) {
        const v = headerValue(b, end, 'host');
        if (v !== null) assert.ok(v.length <= end && !/[\r\n]/.test(v));
      }
      return;
    }
    const { others, name, value, at } = x.h;
    const lower = name.toLowerCase();
    const rest = others.filter(([k]) => k.toLowerCase() !== lower);
    const lines = rest.map(([k, v]) => `${k}: ${v}`);
    lines.splice(at % (lines.length + 1), 0, `${name}:  ${value} `);
    const text = `GET /announce?x=1 HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
    const b = Buffer.from(text, 'latin1');
    assert.equal(headerValue(b, text.length - 4, lower), value);
  },
);

// ------------------------------------------------------------------ WebSocket frames

/** A client frame, masked, as a browser sends it (test-side encoder). */
const clientFrame = fc
  .record({
    control: fc.boolean(),
    opcode: fc.nat(2),
    fin: fc.boolean(),
    payload: fc.uint8Array({ maxLength: 300 }),
    mask: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    wide: fc.boolean(), // a 64-bit length even when 7 or 16 bits would do (allowed)
    after: bytes(8),
  })
  .map((r) => {
    const opcode = r.control ? 0x8 + r.opcode : r.opcode;
    const payload = r.control ? r.payload.subarray(0, 125) : r.payload;
    const fin = r.control || r.fin;
    const n = payload.length;
    let header: number[];
    if (r.control || (n < 126 && !r.wide)) header = [n | 0x80];
    else if (n < 65536 && !r.wide) header = [126 | 0x80, n >> 8, n & 0xff];
    else header = [127 | 0x80, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
    const masked = Buffer.from(payload.map((c, i) => c ^ r.mask[i % 4]));
    const frame = Buffer.concat([
      Buffer.from([(fin ? 0x80 : 0) | opcode, ...header]),
      Buffer.from(r.mask),
      masked,
    ]);
    return { frame, opcode, fin, payload: Buffer.from(payload), after: r.after };
  });

const wsFrameFuzz = codec(
  'ws-frame',
  'readFrame: 0 / -1002 / -1009 / a length inside the buffer; masked frames read back; a cut frame needs more',
  fc.record({
    input: fc.oneof(
      clientFrame.map((f) => ({ f, b: Buffer.concat([f.frame, f.after]) })),
      hostile(clientFrame.map((f) => f.frame)).map(({ b }) => ({ f: null, b })),
    ),
    maxPayload: fc.oneof(fc.constant(1 << 20), fc.nat(400)),
    cut: fc.nat(),
    code: fc.integer({ min: 1000, max: 4999 }),
    reason: fc.string({ maxLength: 200 }),
  }),
  ({ input: { f, b }, maxPayload, cut, code, reason }) => {
    const fr = new Frame();
    const copy = Buffer.from(b);
    const r = readFrame(copy, 0, maxPayload, fr);
    assert.ok(
      r === 0 || r === -CLOSE_PROTOCOL_ERROR || r === -CLOSE_TOO_BIG || (r > 0 && r <= b.length),
      `${r}`,
    );
    if (r > 0) assert.ok(fr.start <= fr.end && fr.end <= r && fr.end - fr.start <= maxPayload);
    const close = closeFrame(code, reason);
    assert.ok(close.length <= 127 && close[1] === close.length - 2 && close.readUInt16BE(2) === code);
    if (f === null) return;
    if (f.payload.length > maxPayload) {
      assert.equal(r, -CLOSE_TOO_BIG);
      return;
    }
    assert.equal(r, f.frame.length);
    assert.deepEqual([fr.fin, fr.opcode], [f.fin, f.opcode]);
    assert.deepEqual(copy.subarray(fr.start, fr.end), f.payload);
    const k = cut % f.frame.length;
    assert.equal(readFrame(Buffer.from(f.frame.subarray(0, k)), 0, maxPayload, new Frame()), 0);
  },
);

// ------------------------------------------------------------------ WebSocket tracker messages

const bin20 = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((u) => String.fromCharCode(...u));
const wsAnnounce = fc.record({
  info_hash: bin20,
  peer_id: bin20,
  numwant: fc.nat(100),
  uploaded: fc.nat(),
  downloaded: fc.nat(),
  left: fc.nat(),
  event: fc.constantFrom(undefined, 'started', 'completed', 'stopped'),
  offers: fc.array(
    fc.record({
      offer_id: bin20,
      offer: fc.record({ type: fc.constant('offer'), sdp: fc.string({ maxLength: 60 }) }),
    }),
    { maxLength: 12 },
  ),
});
const wsMessageFuzz = codec(
  'ws-message',
  'parseWsMessage never throws; a problem has a one-line reason; at most maxOffers kept; announces read back',
  fc.record({
    input: fc.oneof(
      wsAnnounce.map((m) => ({ m, text: JSON.stringify({ action: 'announce', ...m }) })),
      hostile(wsAnnounce.map((m) => Buffer.from(JSON.stringify({ action: 'announce', ...m })))).map(
        ({ b }) => ({
          m: null,
          text: b.toString('latin1'),
        }),
      ),
      fc.oneof(fc.json(), fc.string({ maxLength: 200 })).map((text) => ({ m: null, text })),
    ),
    maxOffers: fc.nat(10),
    byteView: fc.boolean(),
  }),
  ({ input: { m, text }, maxOffers, byteView }) => {
    // The tracker parses a frame's bytes as latin1 text first (a byte view), decoded text on retry.
    const r = parseWsMessage(byteView ? toByteView(text) : text, maxOffers, byteView);
    if (r.action === null) {
      oneLine(r.error, 300);
      assert.ok(m === null || (byteView && r.retryExact), `valid announce refused: ${r.error}`);
      return;
    }
    if (r.action === 'announce') {
      assert.ok(r.offers.length <= maxOffers);
      if (m === null || byteView) return;
      assert.deepEqual(
        [r.infoHash, r.peerId, r.numwant, r.left, r.uploaded, r.downloaded, r.offers.length, r.offersDropped],
        [
          m.info_hash,
          m.peer_id,
          m.numwant,
          m.left,
          m.uploaded,
          m.downloaded,
          Math.min(maxOffers, m.offers.length),
          m.offers.length - Math.min(maxOffers, m.offers.length),
        ],
      );
      r.offers.forEach((o, i) =>
        assert.deepEqual([o.offerId, o.sdp], [m.offers[i].offer_id, m.offers[i].offer.sdp]),
      );
    } else assert.ok(r.infoHashes.length <= text.length);
  },
);

// ------------------------------------------------------------------ multipart/form-data

const part = fc.record({
  name: fc.stringMatching(/^[a-z_]{1,12}$/),
  filename: fc.option(fc.stringMatching(/^[A-Za-z0-9 ._-]{1,20}$/), { nil: null }),
  contentType: fc.option(fc.constantFrom('text/vtt', 'application/x-subrip', 'text/plain'), { nil: null }),
  data: bytes(200),
});
const form = fc.record({
  boundary: fc.stringMatching(/^[0-9A-Za-z]{24,40}$/),
  parts: fc.array(part, { minLength: 1, maxLength: 6 }),
});
function writeForm(f: {
  boundary: string;
  parts: Array<typeof part extends fc.Arbitrary<infer P> ? P : never>;
}): Buffer {
  const out: Buffer[] = [];
  for (const p of f.parts) {
    let h = `--${f.boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== null) h += `; filename="${p.filename}"`;
    if (p.contentType !== null) h += `\r\nContent-Type: ${p.contentType}`;
    out.push(Buffer.from(`${h}\r\n\r\n`), p.data, Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`--${f.boundary}--\r\n`));
  return Buffer.concat(out);
}
const multipartFuzz = codec(
  'multipart',
  'parseMultipart never throws, at most maxParts parts holding no more than the body; forms read back; boundary parser total',
  fc.record({
    input: fc.oneof(
      form.map((f) => ({ f, boundary: f.boundary, b: writeForm(f) })),
      fc
        .tuple(form, fc.array(edit, { minLength: 1, maxLength: 4 }))
        .map(([f, edits]) => ({ f: null, boundary: f.boundary, b: edits.reduce(applyEdit, writeForm(f)) })),
    ),
    contentType: fc.string({ maxLength: 120 }),
  }),
  ({ input: { f, boundary, b }, contentType }) => {
    const limits = { maxParts: 16, maxHeaderBytes: 2048 };
    const r = parseMultipart(b, boundary, limits);
    if (r.ok) {
      assert.ok(r.parts.length <= limits.maxParts);
      assert.ok(r.parts.reduce((n, p) => n + p.data.length, 0) <= b.length);
    } else oneLine(r.reason, 300);
    const bt = multipartBoundary(contentType);
    assert.ok(bt === null || (bt.length >= 1 && bt.length <= 70));
    assert.equal(multipartBoundary(`multipart/form-data; boundary=${boundary}`), boundary);
    if (f === null) return;
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.deepEqual(
      r.parts.map((p) => [p.name, p.filename, p.contentType, p.data]),
      f.parts.map((p) => [p.name, p.filename, p.contentType, p.data]),
    );
  },
);

// ------------------------------------------------------------------ SRT / WebVTT

/** Every SubtitleErrorCode (a type only in src), for the properties here and in subtitles-properties. */
export const SUBTITLE_CODES: ReadonlySet<string> = new Set([
  'too-large',
  'not-utf8',
  'unparsable',
  'no-cues',
  'bad-timing',
  'overlapping',
  'past-end',
  'bad-markup',
  'duplicate-official',
]);
const stamp = (ms: number, sep: string) =>
  `${String(Math.floor(ms / 3_600_000)).padStart(2, '0')}:${String(Math.floor(ms / 60_000) % 60).padStart(2, '0')}:${String(
    Math.floor(ms / 1000) % 60,
  ).padStart(2, '0')}${sep}${String(ms % 1000).padStart(3, '0')}`;
/** A simple SRT or WebVTT file of sequential cues (the deep generators are in subtitles-properties). */
const subtitleFile = fc
  .record({
    vtt: fc.boolean(),
    cues: fc.array(
      fc.record({
        gap: fc.nat(5000),
        length: fc.integer({ min: 1, max: 8000 }),
        text: fc.stringMatching(/^[A-Za-z][A-Za-z ,.!?]{0,30}$/),
      }),
      { minLength: 1, maxLength: 8 },
    ),
  })
  .map(({ vtt, cues }) => {
    let t = 0;
    const blocks = cues.map((c, i) => {
      const start = t + c.gap;
      t = start + c.length;
      const timing = `${stamp(start, vtt ? '.' : ',')} --> ${stamp(t, vtt ? '.' : ',')}`;
      return vtt ? `${timing}\n${c.text}` : `${i + 1}\n${timing}\n${c.text}`;
    });
    return Buffer.from(`${vtt ? 'WEBVTT\n\n' : ''}${blocks.join('\n\n')}\n`);
  });
function wellFormed(r: SubtitleResult, input: Buffer): void {
  if (!r.ok) {
    assert.ok(SUBTITLE_CODES.has(r.code), r.code);
    oneLine(r.reason, 400);
    return;
  }
  assert.ok(r.parsed.cues.length <= input.length);
}
const subtitlesFuzz = codec(
  'subtitles',
  'parseSubtitle never throws, a known code and a one-line reason; parsed files written as SRT and WebVTT read back the same',
  hostile(subtitleFile, 400),
  ({ b, valid }) => {
    const r = parseSubtitle(b);
    wellFormed(r, b);
    if (valid) assert.ok(r.ok, r.ok ? '' : r.reason);
    if (!r.ok) return;
    const cues = r.parsed.cues.map((c) => [c.startMs, c.endMs, c.text]);
    for (const text of [toSrt(r.parsed), toWebVtt(r.parsed)]) {
      const again = parseSubtitle(text);
      assert.ok(again.ok, again.ok ? '' : `${again.code}: ${again.reason}`);
      assert.deepEqual(
        again.parsed.cues.map((c) => [c.startMs, c.endMs, c.text]),
        cues,
      );
    }
  },
);

// ------------------------------------------------------------------ metainfo (.torrent)

const torrent = fc
  .record({
    name: fc.stringMatching(/^[a-z0-9][a-z0-9 _-]{0,15}$/),
    pieceLog: fc.integer({ min: 14, max: 22 }),
    files: fc.option(
      fc.array(
        fc.record({
          path: fc.array(fc.stringMatching(/^[a-z0-9_]{1,8}$/), { minLength: 1, maxLength: 3 }),
          length: fc.nat(1 << 24),
        }),
        {
          minLength: 1,
          maxLength: 5,
        },
      ),
      { nil: null },
    ),
    length: fc.nat(1 << 26),
    announce: fc.option(fc.constant('http://tracker.example/announce'), { nil: undefined }),
  })
  .filter((t) => t.files === null || new Set(t.files.map((f) => f.path.join('/'))).size === t.files.length)
  .filter(
    (t) =>
      t.files === null ||
      t.files.every((f, i) =>
        t.files!.every((g, j) => i === j || !g.path.join('/').startsWith(`${f.path.join('/')}/`)),
      ),
  )
  .map((t) => {
    const pieceLength = 2 ** t.pieceLog;
    const total = t.files === null ? t.length : t.files.reduce((n, f) => n + f.length, 0);
    const info: Record<string, BValue> = {
      name: t.name,
      'piece length': pieceLength,
      pieces: Buffer.alloc(20 * Math.ceil(total / pieceLength), 7),
    };
    if (t.files === null) info.length = t.length;
    else info.files = t.files.map((f) => ({ length: f.length, path: f.path }));
    const top: Record<string, BValue> = { info };
    if (t.announce !== undefined) top.announce = t.announce;
    return { b: bencode(top), t, total, infoBytes: bencode(info) };
  });
const metainfoFuzz = codec(
  'metainfo',
  'parseTorrent throws only MetainfoError or BencodeError; v1 torrents read back (name, sizes, files, info hash)',
  fc.oneof(
    torrent.map((x) => ({ b: x.b, x })),
    hostile(
      torrent.map((x) => x.b),
      300,
    ).map(({ b }) => ({ b, x: null })),
  ),
  ({ b, x }) => {
    if (x === null) {
      onlyThrows([MetainfoError, BencodeError], () => {
        const m = parseTorrent(b);
        assert.ok(m.files.length <= b.length && m.info.length <= b.length);
      });
      return;
    }
    const m = parseTorrent(b);
    assert.deepEqual(
      [m.name, m.version, m.pieceLength, m.totalSize, m.files.length, m.announce, m.infoHashV1],
      [
        x.t.name,
        'v1',
        2 ** x.t.pieceLog,
        x.total,
        x.t.files === null ? 1 : x.t.files.length,
        x.t.announce,
        createHash('sha1').update(x.infoBytes).digest('hex'),
      ],
    );
  },
);

export const CODECS: readonly CodecFuzz[] = [
  bencodeFuzz,
  udpFuzz,
  httpQueryFuzz,
  httpHeadFuzz,
  wsFrameFuzz,
  wsMessageFuzz,
  multipartFuzz,
  subtitlesFuzz,
  metainfoFuzz,
];

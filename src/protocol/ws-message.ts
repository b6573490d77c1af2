/**
 * The WebTorrent tracker protocol (JSON text frames over a WebSocket), as spoken by the
 * `bittorrent-tracker` client that WebTorrent uses. Pure: text in, typed values out, and reply text
 * back; no sockets, no clock.
 *
 * BIN20 below is 20 bytes carried as a JavaScript string of 20 code units 0-255 (byte n is code unit
 * n, "binary"/latin1), which JSON then carries as text: bytes under 0x20 as \u00XX escapes, bytes
 * from 0x80 as two-byte UTF-8. info_hash, peer_id, to_peer_id and offer_id are all BIN20.
 *
 * Requests, browser to tracker:
 *   { "action": "announce", "info_hash": BIN20, "peer_id": BIN20,
 *     "numwant"?: n, "uploaded"?: n, "downloaded"?: n, "left"?: n,
 *     "event"?: "started" | "stopped" | "completed" | "update" | "paused" | "",
 *     "offers"?: [ { "offer": { "type": "offer", "sdp": "..." }, "offer_id": BIN20 }, ... ],
 *     "answer"?: { "type": "answer", "sdp": "..." }, "to_peer_id"?: BIN20, "offer_id"?: BIN20 }
 *       An announce joins (or refreshes, or with "stopped" leaves) the swarm; its offers are WebRTC
 *       offers the tracker hands, one each, to other browsers of the swarm. A message with an
 *       `answer` answers the offer `offer_id` that the peer `to_peer_id` made (the WebTorrent client
 *       sends it without left/event: it only carries the answer).
 *   { "action": "scrape", "info_hash": BIN20 | [BIN20, ...] }
 *
 * Replies, tracker to browser (every one has `action`, which the client dispatches on, and
 * announce replies carry `info_hash`, which the client checks against its torrent):
 *   { "action": "announce", "info_hash": BIN20, "complete": n, "incomplete": n, "interval": s }
 *   { "action": "announce", "info_hash": BIN20, "peer_id": BIN20 (the offerer), "offer_id": BIN20,
 *     "offer": { "type": "offer", "sdp": "..." } }                        a relayed offer
 *   { "action": "announce", "info_hash": BIN20, "peer_id": BIN20 (the answerer), "offer_id": BIN20,
 *     "answer": { "type": "answer", "sdp": "..." } }                      a relayed answer
 *   { "action": "announce" | "scrape", "info_hash"?: BIN20, "failure reason": "..." }
 *   { "action": "scrape", "files": { BIN20: { "complete": n, "incomplete": n, "downloaded": n } },
 *     "flags": { "min_request_interval": s } }
 *
 * Offers and answers are checked to be { type, sdp } with an sdp string, as aquatic does, and are
 * relayed rebuilt from those two fields only: whatever else a client puts in them never reaches
 * another browser.
 *
 * Byte views. The server does not decode UTF-8: it reads a message's bytes as latin1 (one character
 * per byte, `parseWsMessage(text, n, true)`), so every string it gets is a byte view (its characters
 * are the UTF-8 bytes), keeps ids and hashes as byte views (a one-to-one image of BIN20), and builds
 * replies from byte views that it writes back as latin1: the bytes a browser sent are the bytes
 * others receive, and neither UTF-8 decoding nor encoding is done (together 40% of the server's time,
 * profiled). What this cannot see through is a JSON escape of a character from U+0080 up
 * (`\u00e9`): after JSON.parse its character 0xE9 stands for itself, not for a byte. WebTorrent's
 * client (JSON.stringify) never writes such escapes; a client that does gets its message read the
 * exact way instead (decoded as UTF-8, fields turned into byte views by toByteViews), because the
 * escaped character breaks the UTF-8 shape that the byte-view checks require: an id then fails
 * isBin20View, and an sdp that would be re-escaped fails isByteText (retryExact says so). (Escapes
 * that happen to spell a UTF-8 sequence, `\u00c3\u00a9`, would pass as the one character that
 * sequence is; no JSON writer escapes that way.) An sdp relayed as its own JSON literal (sdpJson)
 * needs no check: its escapes travel as they are.
 */

import { isUtf8 } from 'node:buffer';

export const WS_EVENT_NONE = 0;
export const WS_EVENT_COMPLETED = 1;
export const WS_EVENT_STARTED = 2;
export const WS_EVENT_STOPPED = 3;

/** Most info hashes in one scrape (as BEP 15's 74, rounded up). */
export const WS_SCRAPE_MAX_HASHES = 100;

export interface WsOffer {
  /** BIN20 */
  offerId: string;
  sdp: string;
  /**
   * A JSON string literal of an sdp from the message text, to relay without escaping it again, or
   * null (then relay json(sdp)). See rawSdpLiterals.
   */
  sdpJson: string | null;
}

export interface WsAnnounce {
  action: 'announce';
  /** BIN20 */
  infoHash: string;
  /** BIN20 */
  peerId: string;
  /** -1 when absent: then as many peers as there are offers. */
  numwant: number;
  /** -1 when absent (the WebTorrent client sends no `left` with an answer). */
  left: number;
  uploaded: number;
  downloaded: number;
  event: number;
  /** At most maxOffers; the rest are dropped (offersDropped says how many). */
  offers: WsOffer[];
  offersDropped: number;
  /** The answer's sdp, or null when the message carries no answer. */
  answer: string | null;
  /** BIN20, set with answer. */
  toPeerId: string;
  /** BIN20, set with answer. */
  offerId: string;
}

export interface WsScrape {
  action: 'scrape';
  /** BIN20 each; empty when the client named none (a full scrape). */
  infoHashes: string[];
}

export type WsRequest = WsAnnounce | WsScrape;

/** Why a message was refused, and what the failure reply can echo of it. */
export interface WsProblem {
  action: null;
  error: string;
  /** 'announce' or 'scrape' when the message said so; the failure reply repeats it. */
  replyAction: 'announce' | 'scrape' | null;
  /** The message's info_hash when it was a valid BIN20, else null. */
  infoHash: string | null;
  /** True when the action itself was unknown (counted apart from malformed fields). */
  unknownAction: boolean;
  /** Read as a byte view, the message may have been misread: parse it decoded (see the top). */
  retryExact: boolean;
}

export type WsParsed = WsRequest | WsProblem;

/** True for a string of exactly 20 code units, each a byte (0-255). */
export function isBin20(v: unknown): v is string {
  if (typeof v !== 'string' || v.length !== 20) return false;
  for (let i = 0; i < 20; i++) if (v.charCodeAt(i) > 255) return false;
  return true;
}

/**
 * True for the byte view of a BIN20: the UTF-8 bytes of 20 characters 0-255, i.e. 20 to 40
 * characters, each below 0x80 or a pair 0xC2-0xC3 then 0x80-0xBF.
 */
export function isBin20View(v: unknown): v is string {
  if (typeof v !== 'string' || v.length < 20 || v.length > 40) return false;
  let n = 0;
  for (let i = 0; i < v.length; i++, n++) {
    const c = v.charCodeAt(i);
    if (c < 0x80) continue;
    if (c !== 0xc2 && c !== 0xc3) return false;
    const d = v.charCodeAt(++i);
    if (!(d >= 0x80 && d <= 0xbf)) return false; // NaN past the end too
  }
  return n === 20;
}

/** Writes the 20 bytes a BIN20 byte view stands for into out[off..] (the view must be valid). */
export function bin20Bytes(view: string, out: Uint8Array, off: number): void {
  for (let i = 0; i < view.length; i++) {
    const c = view.charCodeAt(i);
    out[off++] = c < 0x80 ? c : ((c & 0x1f) << 6) | (view.charCodeAt(++i) & 0x3f);
  }
}

/** The string a byte view stands for (its bytes decoded as UTF-8); ASCII is its own. */
export function fromByteView(view: string): string {
  return /[\u0080-\uffff]/.test(view) ? Buffer.from(view, 'latin1').toString('utf8') : view;
}

/** The byte view of a string: its UTF-8 bytes as characters. */
export function toByteView(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/**
 * True when a byte view can be written back as it is: ASCII, or UTF-8 as bytes. False when an
 * escape put a character 0x80-0xFF in it that is no part of a UTF-8 sequence (see the top).
 */
export function isByteText(view: string): boolean {
  return !/[\x80-\xff]/.test(view) || isUtf8(Buffer.from(view, 'latin1'));
}

/** Turns a request parsed from decoded text into byte views (the ids, hashes and sdps). */
export function toByteViews(m: WsRequest): void {
  if (m.action === 'scrape') {
    for (let i = 0; i < m.infoHashes.length; i++) m.infoHashes[i] = toByteView(m.infoHashes[i]);
    return;
  }
  m.infoHash = toByteView(m.infoHash);
  m.peerId = toByteView(m.peerId);
  for (const o of m.offers) {
    o.offerId = toByteView(o.offerId);
    o.sdp = toByteView(o.sdp);
    o.sdpJson = null;
  }
  if (m.answer !== null) {
    m.answer = toByteView(m.answer);
    m.toPeerId = toByteView(m.toPeerId);
    m.offerId = toByteView(m.offerId);
  }
}

function problem(
  error: string,
  replyAction: 'announce' | 'scrape' | null,
  infoHash: string | null,
  unknownAction = false,
  retryExact = false,
): WsProblem {
  return { action: null, error, replyAction, infoHash, unknownAction, retryExact };
}

/**
 * An id that failed its check. In a byte view, one with characters from 0x80 up may be an escape's
 * doing (see the top): then retry decoded.
 */
function badId(
  error: string,
  replyAction: 'announce' | 'scrape',
  infoHash: string | null,
  byteView: boolean,
  value: unknown,
): WsProblem {
  const retry = byteView && typeof value === 'string' && /[\u0080-\uffff]/.test(value);
  return problem(error, replyAction, infoHash, false, retry);
}

/** A counter field (uploaded, downloaded, left, numwant): absent is -1; present must be a number >= 0. */
function count(v: unknown): number {
  if (v === undefined || v === null) return -1;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  // bittorrent-tracker's client sends numbers; some send decimal strings, as HTTP trackers take them.
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) return Number(v);
  return -2;
}

function eventOf(v: unknown): number {
  switch (v) {
    case undefined:
    case null:
    case '':
    case 'update':
    case 'empty':
    case 'paused':
      return WS_EVENT_NONE;
    case 'started':
      return WS_EVENT_STARTED;
    case 'stopped':
      return WS_EVENT_STOPPED;
    case 'completed':
      return WS_EVENT_COMPLETED;
    default:
      return -1;
  }
}

/** The sdp of { type: expected, sdp: string }, or null. */
function sdpOf(v: unknown, expected: 'offer' | 'answer'): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as { type?: unknown; sdp?: unknown };
  if (o.type !== expected || typeof o.sdp !== 'string') return null;
  return o.sdp;
}

/**
 * Parses one text frame. Never throws: anything that is not a valid request comes back as a
 * WsProblem with a one-line reason. maxOffers bounds the offers kept (the rest are dropped).
 */
export function parseWsMessage(text: string, maxOffers: number, byteView = false): WsParsed {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return problem('message is not JSON', null, null);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return problem('message is not a JSON object', null, null);
  const m = raw as Record<string, unknown>;
  if (m.action === 'announce') return parseAnnounce(m, maxOffers, text, byteView);
  if (m.action === 'scrape') return parseScrape(m, byteView);
  return problem(
    `unknown action ${JSON.stringify(m.action ?? null)
      .slice(0, 40)
      .replace(/[^\x20-\x7e]/g, '?')} (announce or scrape)`,
    null,
    null,
    true,
  );
}

function parseAnnounce(
  m: Record<string, unknown>,
  maxOffers: number,
  text: string,
  byteView: boolean,
): WsParsed {
  const isId = byteView ? isBin20View : isBin20;
  const infoHash = m.info_hash;
  if (!isId(infoHash)) return badId('info_hash must be 20 bytes', 'announce', null, byteView, infoHash);
  const peerId = m.peer_id;
  if (!isId(peerId)) return badId('peer_id must be 20 bytes', 'announce', infoHash, byteView, peerId);
  const numwant = count(m.numwant);
  const left = count(m.left);
  const uploaded = count(m.uploaded);
  const downloaded = count(m.downloaded);
  if (numwant === -2 || left === -2 || uploaded === -2 || downloaded === -2)
    return problem('numwant, left, uploaded and downloaded must be numbers >= 0', 'announce', infoHash);
  const event = eventOf(m.event);
  if (event < 0) return problem('unknown event', 'announce', infoHash);

  const offers: WsOffer[] = [];
  let offersDropped = 0;
  if (m.offers !== undefined && m.offers !== null) {
    if (!Array.isArray(m.offers)) return problem('offers must be a list', 'announce', infoHash);
    const list = m.offers as unknown[];
    const keep = list.length < maxOffers ? list.length : maxOffers;
    offersDropped = list.length - keep;
    for (let i = 0; i < keep; i++) {
      const o = list[i];
      if (typeof o !== 'object' || o === null)
        return problem('each offer must be { offer, offer_id }', 'announce', infoHash);
      const { offer, offer_id } = o as { offer?: unknown; offer_id?: unknown };
      if (!isId(offer_id))
        return badId('offer_id must be 20 bytes', 'announce', infoHash, byteView, offer_id);
      const sdp = sdpOf(offer, 'offer');
      if (sdp === null) return problem('offer must be { type: "offer", sdp }', 'announce', infoHash);
      offers.push({ offerId: offer_id, sdp, sdpJson: null });
    }
    rawSdpLiterals(text, offers);
    if (byteView)
      for (const o of offers)
        if (o.sdpJson === null && !isByteText(o.sdp))
          return problem('offer sdp is not text', 'announce', infoHash, false, true);
  }

  let answer: string | null = null;
  let toPeerId = '';
  let offerId = '';
  if (m.answer !== undefined && m.answer !== null) {
    answer = sdpOf(m.answer, 'answer');
    if (answer === null) return problem('answer must be { type: "answer", sdp }', 'announce', infoHash);
    if (!isId(m.to_peer_id))
      return badId(
        'to_peer_id must be 20 bytes (required with answer)',
        'announce',
        infoHash,
        byteView,
        m.to_peer_id,
      );
    if (!isId(m.offer_id))
      return badId(
        'offer_id must be 20 bytes (required with answer)',
        'announce',
        infoHash,
        byteView,
        m.offer_id,
      );
    toPeerId = m.to_peer_id;
    offerId = m.offer_id;
    if (byteView && !isByteText(answer))
      return problem('answer sdp is not text', 'announce', infoHash, false, true);
  }
  return {
    action: 'announce',
    infoHash,
    peerId,
    numwant,
    left,
    uploaded,
    downloaded,
    event,
    offers,
    offersDropped,
    answer,
    toPeerId,
    offerId,
  };
}

function parseScrape(m: Record<string, unknown>, byteView: boolean): WsParsed {
  const isId = byteView ? isBin20View : isBin20;
  const v = m.info_hash;
  if (v === undefined || v === null) return { action: 'scrape', infoHashes: [] };
  if (typeof v === 'string') {
    if (!isId(v)) return badId('info_hash must be 20 bytes', 'scrape', null, byteView, v);
    return { action: 'scrape', infoHashes: [v] };
  }
  if (!Array.isArray(v)) return problem('info_hash must be 20 bytes or a list of them', 'scrape', null);
  const list = v as unknown[];
  if (list.length > WS_SCRAPE_MAX_HASHES)
    return problem(`at most ${WS_SCRAPE_MAX_HASHES} info hashes in one scrape`, 'scrape', null);
  const infoHashes: string[] = [];
  for (const h of list) {
    if (!isId(h)) return badId('info_hash must be 20 bytes or a list of them', 'scrape', null, byteView, h);
    infoHashes.push(h);
  }
  return { action: 'scrape', infoHashes };
}

/**
 * Sets each offer's sdpJson to the text of the n-th `"sdp": "..."` string in the message, in order:
 * re-escaping an sdp of ~600 characters for every relay was the largest cost after the socket
 * writes (profiled). Safe without further checks because the message is valid JSON (it parsed): the
 * last quote of a match of `"sdp"` follows a `p`, so it is not escaped, and in valid JSON such a
 * quote after letters closes a string; a colon after it is therefore structure, and the literal
 * after the colon, scanned to its closing quote past escapes, is one whole JSON string value. Matches
 * not followed by a colon (a value "sdp") are skipped. Which string the client put where is its own
 * business: it could have sent that string as the sdp anyway. Where the text does not line up (a
 * non-string after the colon, fewer matches), the rest stay null.
 */
export function rawSdpLiterals(text: string, offers: WsOffer[]): void {
  const n = text.length;
  let from = 0;
  for (const o of offers) {
    let k: number;
    for (;;) {
      k = text.indexOf('"sdp"', from);
      if (k < 0) return;
      k += 5;
      while (k < n && isSpace(text.charCodeAt(k))) k++;
      if (k < n && text.charCodeAt(k) === 58 /* : */) break;
      from = k; // a value, not a key
    }
    k++;
    while (k < n && isSpace(text.charCodeAt(k))) k++;
    if (k >= n || text.charCodeAt(k) !== 34 /* " */) return;
    const start = k;
    // The closing quote: the next quote preceded by an even number of backslashes (indexOf jumps).
    for (;;) {
      k = text.indexOf('"', k + 1);
      if (k < 0) return;
      let b = k - 1;
      while (text.charCodeAt(b) === 92 /* backslash */) b--;
      if ((k - 1 - b) % 2 === 0) break;
    }
    o.sdpJson = text.slice(start, k + 1);
    from = k + 1;
  }
}

function isSpace(ch: number): boolean {
  return ch === 32 || ch === 9 || ch === 10 || ch === 13;
}

// ---------------------------------------------------------------------------------------------
// Replies. BIN20 values are passed already as JSON string literals (`json(x)`), because the server
// escapes a swarm's hash and a peer's id once and reuses them for every message it builds.

/** A string as a JSON string literal. */
export function json(s: string): string {
  return JSON.stringify(s);
}

export function announceReply(
  infoHashJson: string,
  complete: number,
  incomplete: number,
  interval: number,
): string {
  return `{"action":"announce","info_hash":${infoHashJson},"complete":${complete},"incomplete":${incomplete},"interval":${interval}}`;
}

export function offerMessage(
  infoHashJson: string,
  fromPeerIdJson: string,
  offerId: string,
  sdp: string,
  /** The sdp already as a JSON string literal (WsOffer.sdpJson), when there is one. */
  sdpJson: string | null = null,
): string {
  return `{"action":"announce","info_hash":${infoHashJson},"peer_id":${fromPeerIdJson},"offer_id":${json(offerId)},"offer":{"type":"offer","sdp":${sdpJson ?? json(sdp)}}}`;
}

export function answerMessage(
  infoHashJson: string,
  fromPeerIdJson: string,
  offerId: string,
  sdp: string,
): string {
  return `{"action":"announce","info_hash":${infoHashJson},"peer_id":${fromPeerIdJson},"offer_id":${json(offerId)},"answer":{"type":"answer","sdp":${json(sdp)}}}`;
}

export function failureMessage(
  action: 'announce' | 'scrape' | null,
  infoHash: string | null,
  reason: string,
): string {
  const m: Record<string, string> = {};
  if (action !== null) m.action = action;
  if (infoHash !== null) m.info_hash = infoHash;
  m['failure reason'] = reason;
  return JSON.stringify(m);
}

export interface ScrapeFile {
  complete: number;
  incomplete: number;
  downloaded: number;
}

export function scrapeReply(files: Map<string, ScrapeFile>, minRequestInterval: number): string {
  const out: Record<string, ScrapeFile> = {};
  for (const [hash, f] of files) out[hash] = f;
  return JSON.stringify({
    action: 'scrape',
    files: out,
    flags: { min_request_interval: minRequestInterval },
  });
}

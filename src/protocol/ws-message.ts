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
 */

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
}

export type WsParsed = WsRequest | WsProblem;

/** True for a string of exactly 20 code units, each a byte (0-255). */
export function isBin20(v: unknown): v is string {
  if (typeof v !== 'string' || v.length !== 20) return false;
  for (let i = 0; i < 20; i++) if (v.charCodeAt(i) > 255) return false;
  return true;
}

function problem(
  error: string,
  replyAction: 'announce' | 'scrape' | null,
  infoHash: string | null,
  unknownAction = false,
): WsProblem {
  return { action: null, error, replyAction, infoHash, unknownAction };
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
export function parseWsMessage(text: string, maxOffers: number): WsParsed {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return problem('message is not JSON', null, null);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return problem('message is not a JSON object', null, null);
  const m = raw as Record<string, unknown>;
  if (m.action === 'announce') return parseAnnounce(m, maxOffers);
  if (m.action === 'scrape') return parseScrape(m);
  return problem(
    `unknown action ${JSON.stringify(m.action ?? null).slice(0, 40)} (announce or scrape)`,
    null,
    null,
    true,
  );
}

function parseAnnounce(m: Record<string, unknown>, maxOffers: number): WsParsed {
  const infoHash = m.info_hash;
  if (!isBin20(infoHash)) return problem('info_hash must be 20 bytes', 'announce', null);
  const peerId = m.peer_id;
  if (!isBin20(peerId)) return problem('peer_id must be 20 bytes', 'announce', infoHash);
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
      if (!isBin20(offer_id)) return problem('offer_id must be 20 bytes', 'announce', infoHash);
      const sdp = sdpOf(offer, 'offer');
      if (sdp === null) return problem('offer must be { type: "offer", sdp }', 'announce', infoHash);
      offers.push({ offerId: offer_id, sdp });
    }
  }

  let answer: string | null = null;
  let toPeerId = '';
  let offerId = '';
  if (m.answer !== undefined && m.answer !== null) {
    answer = sdpOf(m.answer, 'answer');
    if (answer === null) return problem('answer must be { type: "answer", sdp }', 'announce', infoHash);
    if (!isBin20(m.to_peer_id))
      return problem('to_peer_id must be 20 bytes (required with answer)', 'announce', infoHash);
    if (!isBin20(m.offer_id))
      return problem('offer_id must be 20 bytes (required with answer)', 'announce', infoHash);
    toPeerId = m.to_peer_id;
    offerId = m.offer_id;
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

function parseScrape(m: Record<string, unknown>): WsParsed {
  const v = m.info_hash;
  if (v === undefined || v === null) return { action: 'scrape', infoHashes: [] };
  if (typeof v === 'string') {
    if (!isBin20(v)) return problem('info_hash must be 20 bytes', 'scrape', null);
    return { action: 'scrape', infoHashes: [v] };
  }
  if (!Array.isArray(v)) return problem('info_hash must be 20 bytes or a list of them', 'scrape', null);
  const list = v as unknown[];
  if (list.length > WS_SCRAPE_MAX_HASHES)
    return problem(`at most ${WS_SCRAPE_MAX_HASHES} info hashes in one scrape`, 'scrape', null);
  const infoHashes: string[] = [];
  for (const h of list) {
    if (!isBin20(h)) return problem('info_hash must be 20 bytes or a list of them', 'scrape', null);
    infoHashes.push(h);
  }
  return { action: 'scrape', infoHashes };
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
): string {
  return `{"action":"announce","info_hash":${infoHashJson},"peer_id":${fromPeerIdJson},"offer_id":${json(offerId)},"offer":{"type":"offer","sdp":${json(sdp)}}}`;
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

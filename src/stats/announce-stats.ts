/**
 * What the tracker's announce paths do for the statistics: bump counters, nothing else.
 *
 * Per BitTorrent swarm (UDP and HTTP) a small Float64Array is carried by the peer store (the swarm's
 * `counters`, SWARM_STATS_SLOTS of them, made once when the swarm is made). Per announce the servers call one method here, which costs
 *
 *   - one array increment (announces by protocol x address family),
 *   - one decrement and compare (the client sampler's countdown), and
 *   - only for `stopped` from a peer that still had bytes left: one addition (announced `downloaded`).
 *
 * No allocation, no string work, no clock read. The recorder (recorder.ts) reads and zeroes these
 * counters once a minute, off the request path.
 *
 * Browsers (WebSocket) live in their own store whose swarms vanish when they empty, so their
 * per-torrent counters are kept here in a Map keyed by the message's info hash (a string the parser
 * already made); the WebSocket path already parses JSON per message, so one Map lookup is noise there.
 */

/** counters[SLOT_ANNOUNCES + protocol * 2 + family]: protocol as src/tracker/request-counters.ts (P_UDP 0, P_HTTP 1, P_WS 2), family 0 IPv4, 1 IPv6. */
export const SLOT_ANNOUNCES = 0;
/**
 * Sum of `downloaded` announced with event `stopped` by peers that still had bytes left: bytes of
 * partial downloads that ended (see docs/statistics.md, "partial downloads").
 */
export const SLOT_PARTIAL_BYTES = 6;
/** Browser completions (WebSocket only; BitTorrent completions are Swarm.downloaded). */
export const SLOT_COMPLETIONS = 7;
/** The recorder's copy of Swarm.downloaded at its last reading (completions are its difference). */
export const SLOT_DOWNLOADED_SEEN = 8;
export const SWARM_STATS_SLOTS = 9;

const EVENT_COMPLETED = 1;
const EVENT_STOPPED = 3;

/**
 * The sweep's keep rule while a recorder reads these counters (Tracker.keepSwarm): a swarm whose
 * counters hold announces not read yet is kept. Without a recorder nothing ever zeroes them, so the
 * tracker sweeps with KEEP_NONE instead (a tracker without statistics would never forget a swarm).
 */
export function statsPending(stats: Float64Array): boolean {
  for (let i = SLOT_ANNOUNCES; i < SLOT_ANNOUNCES + 6; i++) if (stats[i] !== 0) return true;
  return false;
}

/**
 * Client software from peer_id. Choice: **sampling**, not a table of every prefix.
 *
 * Classifying a peer_id (bittorrent-peerid: string building and regexes) costs microseconds, far too
 * much per announce. Counting by the 8-byte prefix in a bounded hash table would be exact but costs a
 * hash of 8 bytes, a probe and a compare on every announce, plus a policy for a full table. A sample
 * costs one decrement and compare per announce; 1 in `stride` announces copies its 20-byte peer_id
 * (the whole id: some clients' styles need bytes past the 8th) into a fixed ring. Once a minute the
 * recorder classifies the ring and scales each count by the stride. The stride adapts: it is the
 * smallest power of two that keeps last minute's announces within the ring, so a quiet tracker
 * samples every announce (exact) and a busy one still fills the ring (RING_SIZE samples, a relative
 * error of a few per cent for a client with 10 % of announces).
 */
export const RING_SIZE = 1024;
const ID_BYTES = 20;

export class PeerIdSampler {
  readonly ring = new Uint8Array(RING_SIZE * ID_BYTES);
  /** Samples in the ring now. */
  count = 0;
  /** One sample every `stride` announces (a power of two). */
  stride = 1;
  /** Announces until the next sample. */
  private countdown = 1;
  /** Announces seen since the last drain (for the next stride). */
  seen = 0;

  /** The hot-path test: true on the announce to sample. */
  due(): boolean {
    this.seen++;
    if (--this.countdown !== 0) return false;
    this.countdown = this.stride;
    return this.count < RING_SIZE;
  }

  /** Copies 20 bytes of peer_id from `src` (a due() announce). */
  takeBytes(src: Uint8Array, off: number): void {
    const o = this.count++ * ID_BYTES;
    for (let i = 0; i < ID_BYTES; i++) this.ring[o + i] = src[off + i];
  }

  /** From a latin1 string (the WebSocket parser's BIN20 form). */
  takeString(s: string): void {
    const o = this.count++ * ID_BYTES;
    for (let i = 0; i < ID_BYTES; i++) this.ring[o + i] = s.charCodeAt(i) & 0xff;
  }

  /**
   * From the percent-encoded query value buf[start, end) (HTTP). Only sampled announces pay for it.
   * A value that does not decode to 20 bytes was refused by the parser already; if it ever is not,
   * the sample is dropped.
   */
  takeEncoded(buf: Uint8Array, start: number, end: number): void {
    const o = this.count * ID_BYTES;
    let n = 0;
    for (let i = start; i < end && n < ID_BYTES; i++) {
      let c = buf[i];
      if (c === 37 && i + 2 < end) {
        c = (hex(buf[i + 1]) << 4) | hex(buf[i + 2]);
        i += 2;
      } else if (c === 43) c = 32;
      this.ring[o + n++] = c;
    }
    if (n === ID_BYTES) this.count++;
  }

  /**
   * Hands the samples to `each` and empties the ring; returns the stride they were taken at (each
   * sample stands for that many announces). Then picks the stride for the next minute.
   */
  drain(each: (id: Buffer) => void): number {
    const stride = this.stride;
    for (let i = 0; i < this.count; i++)
      each(Buffer.from(this.ring.buffer, this.ring.byteOffset + i * ID_BYTES, ID_BYTES));
    this.count = 0;
    let next = 1;
    while (next < 1 << 20 && this.seen / next > RING_SIZE) next <<= 1;
    this.stride = next;
    this.countdown = next;
    this.seen = 0;
    return stride;
  }
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return 0;
}

/** The statistics side of the announce paths; one per Tracker. */
export class AnnounceStats {
  readonly sampler = new PeerIdSampler();
  /** Browser torrents' counters, by BIN20 info hash; the recorder removes idle ones. */
  readonly ws = new Map<string, Float64Array>();

  /**
   * A UDP or HTTP announce, after the store took it (src/tracker/core.ts calls it). `s`: the swarm's
   * counters (null: a `stopped` for a torrent the store did not know); `slot`: protocol * 2 +
   * family; `seed`: left was 0. The peer_id is idBuf[idStart, idEnd): 20 raw bytes (UDP), or the
   * percent-encoded query value (HTTP, `encoded`). Only sampled announces read it.
   */
  bittorrent(
    s: Float64Array | null,
    slot: number,
    event: number,
    seed: boolean,
    downloaded: number,
    idBuf: Uint8Array,
    idStart: number,
    idEnd: number,
    encoded: boolean,
  ): void {
    if (s === null) return;
    s[slot]++;
    if (event === EVENT_STOPPED && !seed) s[SLOT_PARTIAL_BYTES] += downloaded;
    if (this.sampler.due()) {
      if (encoded) this.sampler.takeEncoded(idBuf, idStart, idEnd);
      else this.sampler.takeBytes(idBuf, idStart);
    }
  }

  /**
   * A WebSocket announce (not an answer alone). `left` is -1 when absent. A completion is event
   * `completed` with nothing left, as the browser store counts it.
   */
  wsAnnounce(
    hash: string,
    v6: boolean,
    event: number,
    left: number,
    downloaded: number,
    peerId: string,
  ): void {
    let s = this.ws.get(hash);
    if (s === undefined) {
      s = new Float64Array(SWARM_STATS_SLOTS);
      this.ws.set(hash, s);
    }
    s[v6 ? 5 : 4]++;
    if (event === EVENT_STOPPED && left > 0 && downloaded > 0) s[SLOT_PARTIAL_BYTES] += downloaded;
    else if (event === EVENT_COMPLETED && left === 0) s[SLOT_COMPLETIONS]++;
    if (this.sampler.due()) this.sampler.takeString(peerId);
  }
}

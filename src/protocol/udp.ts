/**
 * The UDP tracker protocol (BEP 15), as pure functions over buffers. All integers are big-endian.
 *
 * Requests
 *   connect   0  u64 protocol_id = 0x41727101980   8  u32 action = 0   12 u32 transaction_id   (16 bytes)
 *   announce  0  u64 connection_id   8 u32 action = 1   12 u32 transaction_id
 *             16 info_hash[20]   36 peer_id[20]   56 u64 downloaded   64 u64 left   72 u64 uploaded
 *             80 u32 event (0 none, 1 completed, 2 started, 3 stopped)   84 u32 ip (ignored: we use
 *             the source address)   88 u32 key   92 i32 num_want (-1 = default)   96 u16 port
 *             (98 bytes), then optional BEP 41 options: 0 end, 1 nop, 2 URL data (u8 length, bytes)
 *   scrape    0  u64 connection_id   8 u32 action = 2   12 u32 transaction_id   16 info_hash[20] x N
 * Replies
 *   connect   0 u32 action = 0   4 u32 transaction_id   8 u64 connection_id                    (16 bytes)
 *   announce  0 u32 action = 1   4 u32 transaction_id   8 u32 interval   12 u32 leechers
 *             16 u32 seeders   20 peers: (IPv4 4 + port 2) x N, or (IPv6 16 + port 2) x N
 *   scrape    0 u32 action = 2   4 u32 transaction_id   8 (u32 seeders, u32 completed, u32 leechers) x N
 *   error     0 u32 action = 3   4 u32 transaction_id   8 message (UTF-8, to the end)
 */

export const ACTION_CONNECT = 0;
export const ACTION_ANNOUNCE = 1;
export const ACTION_SCRAPE = 2;
export const ACTION_ERROR = 3;

export const CONNECT_LENGTH = 16;
export const ANNOUNCE_MIN_LENGTH = 98;
export const SCRAPE_MIN_LENGTH = 36;
/** BEP 15: "up to about 74 torrents can be scraped at once" (a reply must fit a 1,500-byte MTU). */
export const SCRAPE_MAX_HASHES = 74;

export const OFF_INFO_HASH = 16;
export const OFF_PEER_ID = 36;
export const OFF_DOWNLOADED = 56;
export const OFF_LEFT = 64;
export const OFF_EVENT = 80;
export const OFF_NUMWANT = 92;
export const OFF_PORT = 96;

/** True if the 8-byte magic protocol id 0x41727101980 starts the packet. */
export function hasProtocolId(b: Uint8Array): boolean {
  return (
    b[0] === 0 &&
    b[1] === 0 &&
    b[2] === 0x04 &&
    b[3] === 0x17 &&
    b[4] === 0x27 &&
    b[5] === 0x10 &&
    b[6] === 0x19 &&
    b[7] === 0x80
  );
}

export function readU32(b: Uint8Array, off: number): number {
  return ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
}

export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}

/** True if the 8 bytes at off are all zero (an announce's `left` = 0 means a seeder). */
export function isZero64(b: Uint8Array, off: number): boolean {
  return (
    (b[off] | b[off + 1] | b[off + 2] | b[off + 3] | b[off + 4] | b[off + 5] | b[off + 6] | b[off + 7]) === 0
  );
}

/** A u64 as a JS number (saturating above 2^53, which no real transfer reaches). */
export function readU64(b: Uint8Array, off: number): number {
  return readU32(b, off) * 0x100000000 + readU32(b, off + 4);
}

/**
 * Checks the BEP 41 options after an announce's 98 bytes. They carry only the URL's path and
 * query, which fjord does not need (one tracker, one path), so they are skipped; this only
 * reports whether they are well formed. Returns the URL data length, or -1 if malformed.
 */
export function checkAnnounceOptions(b: Uint8Array, length: number): number {
  let p = ANNOUNCE_MIN_LENGTH;
  let urlBytes = 0;
  while (p < length) {
    const type = b[p++];
    if (type === 0) return urlBytes; // end of options; anything after is ignored
    if (type === 1) continue; // nop
    if (p >= length) return -1;
    const len = b[p++];
    if (p + len > length) return -1;
    if (type === 2) urlBytes += len;
    p += len; // unknown option types are skipped by their length, as BEP 41 asks
  }
  return urlBytes;
}

/** Writes the 8-byte reply header (action, transaction id copied from the request). */
export function writeHeader(out: Uint8Array, action: number, req: Uint8Array): void {
  out[0] = 0;
  out[1] = 0;
  out[2] = 0;
  out[3] = action;
  out[4] = req[12];
  out[5] = req[13];
  out[6] = req[14];
  out[7] = req[15];
}

/** Writes an error reply; returns its length. `req` may be shorter than 16 bytes (txn then 0). */
export function writeError(out: Buffer, req: Uint8Array, reqLength: number, message: string): number {
  writeU32(out, 0, ACTION_ERROR);
  if (reqLength >= 16) {
    out[4] = req[12];
    out[5] = req[13];
    out[6] = req[14];
    out[7] = req[15];
  } else writeU32(out, 4, 0);
  return 8 + out.write(message, 8, 'utf8');
}

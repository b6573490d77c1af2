/**
 * Reissuing a .torrent with new addresses: `announce`, `announce-list` and `url-list` (BEP 3, 12,
 * 19) live in the top-level dictionary, outside `info`, so they can change while the info hash (a
 * hash of the info dictionary's exact bytes) stays. The info dictionary is copied byte for byte,
 * never decoded and re-encoded; every other key (piece layers, creation date) is kept as it was.
 *
 *   d 8:announce <url> 13:announce-list l l<url>e ... e 4:info <bytes as they were> ... 8:url-list l<url>... e e
 */
import { createHash } from 'node:crypto';
import { bdecodeWithSpan, bencode, type BValue, type Decoded } from '../protocol/bencode.js';

export interface Addresses {
  /** Tracker URLs in order: the first is `announce`, each its own tier in `announce-list`. */
  trackers: string[];
  /** Web seed URLs (BEP 19). */
  webSeeds: string[];
}

const ADDRESS_KEYS = ['announce', 'announce-list', 'url-list'];

/** The torrent with its addresses replaced; throws when it is not a torrent with an info dictionary. */
export function reissue(torrent: Buffer, to: Addresses): Buffer {
  const { value, span } = bdecodeWithSpan(torrent, 'info');
  if (
    span === undefined ||
    typeof value !== 'object' ||
    value === null ||
    Buffer.isBuffer(value) ||
    Array.isArray(value)
  )
    throw new Error('not a .torrent: no info dictionary');
  const top = value as { [key: string]: Decoded };
  const entries = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(top))
    if (!ADDRESS_KEYS.includes(k)) entries.set(k, bencode(v as BValue));
  entries.set('info', torrent.subarray(span[0], span[1]));
  if (to.trackers.length > 0) entries.set('announce', bencode(to.trackers[0]));
  // As createTorrent writes it: one tier per URL, only when there is more than one.
  if (to.trackers.length > 1) entries.set('announce-list', bencode(to.trackers.map((u) => [u])));
  if (to.webSeeds.length > 0) entries.set('url-list', bencode(to.webSeeds));
  // Keys in raw byte order (BEP 3); the decoder keyed them by their latin1 reading.
  const keys = [...entries.keys()].sort((a, b) =>
    Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')),
  );
  const parts: Buffer[] = [Buffer.from('d')];
  for (const k of keys) {
    const key = Buffer.from(k, 'latin1');
    parts.push(Buffer.from(`${key.length}:`), key, entries.get(k) as Buffer);
  }
  parts.push(Buffer.from('e'));
  return Buffer.concat(parts);
}

/** The addresses a torrent carries now. */
export function addressesOf(torrent: Buffer): Addresses {
  const { value } = bdecodeWithSpan(torrent, 'info');
  const top = value as { [key: string]: Decoded };
  const str = (v: Decoded | undefined): string[] => (Buffer.isBuffer(v) ? [v.toString('utf8')] : []);
  const list = (v: Decoded | undefined): Decoded[] => (Array.isArray(v) ? v : []);
  const tiers = list(top['announce-list']).flatMap((tier) => list(tier).flatMap(str));
  return {
    trackers: tiers.length > 0 ? tiers : str(top.announce),
    webSeeds: Buffer.isBuffer(top['url-list']) ? str(top['url-list']) : list(top['url-list']).flatMap(str),
  };
}

/** SHA-1 of the info dictionary's bytes: the v1 info hash (the same bytes give v2's SHA-256). */
export function infoHashV1(torrent: Buffer): string {
  const { span } = bdecodeWithSpan(torrent, 'info');
  if (span === undefined) throw new Error('not a .torrent: no info dictionary');
  return createHash('sha1').update(torrent.subarray(span[0], span[1])).digest('hex');
}

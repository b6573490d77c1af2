/**
 * peer_id → client software, off the request path (the recorder classifies the sampled ids once a
 * minute). bittorrent-peerid knows the id styles of hundreds of clients; fjord keeps only the client's
 * name (its "family"), not the version, so the tables stay small and the dashboard groups sensibly.
 */
import peerid from 'bittorrent-peerid';

export const UNKNOWN_CLIENT = 'unknown';

/** The client's name for a 20-byte peer_id, or "unknown". Never throws. */
export function clientFamily(id: Buffer): string {
  let name: string;
  try {
    name = peerid(id).client;
  } catch {
    return UNKNOWN_CLIENT;
  }
  // aria2 ("A2-1-36-0-…", one of the clients fjord is tested with) is not in the package's tables.
  if (name === 'unknown' && id[0] === 0x41 && id[1] === 0x32 && id[2] === 0x2d) name = 'aria2';
  // Keep names printable and short: they become table keys and CSV cells.
  name = name
    .replace(/[^\p{L}\p{N} ()./*+_-]/gu, '')
    .trim()
    .slice(0, 64);
  return name === '' || name.toLowerCase() === 'unknown' ? UNKNOWN_CLIENT : name;
}

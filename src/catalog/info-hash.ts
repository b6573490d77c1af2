/**
 * Info hashes as the catalog keeps them: lower-case hex.
 *
 * A v1 info hash is the SHA-1 of the bencoded info dictionary: 20 bytes, 40 hex digits. A v2 info hash
 * (BEP 52) is its SHA-256: 32 bytes, 64 hex digits. The tracker protocols (BEP 3 HTTP, BEP 15 UDP,
 * the WebTorrent WebSocket messages) and the DHT carry exactly 20 bytes, so BEP 52 has v2 clients
 * announce and look up the SHA-256 info hash truncated to its first 20 bytes. A hybrid torrent
 * therefore reaches the tracker under two 20-byte hashes: its v1 hash from v1 (and hybrid-aware)
 * clients in the v1 swarm, and its truncated v2 hash from clients joining the v2 swarm. A closed
 * tracker must allow both, or v2 clients are refused.
 */
import { CatalogError } from './errors.js';

const V1 = /^[0-9a-f]{40}$/;
const V2 = /^[0-9a-f]{64}$/;

export function normalizeV1(hex: string): string {
  const h = hex.toLowerCase();
  if (!V1.test(h))
    throw new CatalogError('invalid-info-hash', `bad v1 info hash "${hex}": need 40 hex digits`);
  return h;
}

export function normalizeV2(hex: string): string {
  const h = hex.toLowerCase();
  if (!V2.test(h))
    throw new CatalogError('invalid-info-hash', `bad v2 info hash "${hex}": need 64 hex digits`);
  return h;
}

/** The 20-byte form of a v2 info hash that clients send to trackers (BEP 52). */
export function truncateV2(v2hex: string): string {
  return normalizeV2(v2hex).slice(0, 40);
}

/** True for the 40-digit (tracker-sized) form; v2 hashes can also be looked up by their full 64 digits. */
export function isTrackerHash(hex: string): boolean {
  return V1.test(hex.toLowerCase());
}

/**
 * Magnet links (BEP 9, with BEP 52's v2 form):
 *
 *   magnet:?xt=urn:btih:<40 hex, v1 info hash>
 *          &xt=urn:btmh:1220<64 hex, v2 info hash>   multihash: 0x12 = SHA-256, 0x20 = 32 bytes
 *          &dn=<name>&tr=<tracker>...&ws=<web seed>...&xs=<.torrent URL>
 *
 * Every value is percent-encoded as a URI component, so a tracker URL's own `&` and `?` cannot end the
 * parameter early. A hybrid torrent carries both xt parameters, so v1-only and v2 clients both find it.
 */

export interface MagnetInput {
  /** v1 info hash, 40 hex digits. */
  v1?: string;
  /** v2 info hash, 64 hex digits. */
  v2?: string;
  name?: string;
  trackers?: string[];
  webSeeds?: string[];
  /** An exact source: a URL where the .torrent file itself can be fetched. */
  xs?: string;
}

export function magnetLink(m: MagnetInput): string {
  const params: string[] = [];
  if (m.v1 !== undefined) {
    if (!/^[0-9a-fA-F]{40}$/.test(m.v1)) throw new RangeError('a v1 info hash is 40 hex digits');
    params.push(`xt=urn:btih:${m.v1.toLowerCase()}`);
  }
  if (m.v2 !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(m.v2)) throw new RangeError('a v2 info hash is 64 hex digits');
    params.push(`xt=urn:btmh:1220${m.v2.toLowerCase()}`);
  }
  if (params.length === 0) throw new RangeError('a magnet link needs a v1 or a v2 info hash');
  const enc = encodeURIComponent;
  if (m.name !== undefined && m.name !== '') params.push(`dn=${enc(m.name)}`);
  for (const t of m.trackers ?? []) params.push(`tr=${enc(t)}`);
  for (const w of m.webSeeds ?? []) params.push(`ws=${enc(w)}`);
  if (m.xs !== undefined) params.push(`xs=${enc(m.xs)}`);
  return `magnet:?${params.join('&')}`;
}

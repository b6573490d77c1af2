/**
 * Live swarm figures for an episode page: seeders, leechers and completed downloads, from the tracker
 * running in the same process (`fjord serve`).
 *
 * A hybrid torrent has two swarms on the tracker, one per name: its v1 info hash and its v2 hash
 * truncated to 20 bytes. libtorrent 2.x announces a hybrid torrent under both, so one client is in
 * both swarms; v1-only clients (Transmission, aria2) are in the v1 swarm only. So:
 *   - seeders and leechers: the union of both swarms' peers by address and port (a peer in both is
 *     counted once, as what the v1 swarm says it is), plus browser peers on the WebSocket tracker;
 *   - completed: the larger of the two swarms' counts (a client completing in both counts twice
 *     otherwise; the counts carry no addresses, so this is the best estimate), plus browsers'.
 * aria2 announces a hybrid torrent under a third name, its aria2 alias (src/protocol/metainfo.ts,
 * aria2InfoHash), and only aria2 peers are in that swarm: its seeders, leechers and completions are
 * added to the rest.
 * The walk is over the smaller list, off the tracker's hot path, and cached for a few seconds.
 */
import type { Torrent } from '../catalog/index.js';
import { truncateV2 } from '../catalog/index.js';
import type { PeerList } from '../swarm/peer-list.js';

export interface SwarmFigures {
  seeders: number;
  leechers: number;
  completed: number;
}

/** The parts of the tracker the figures need (kept narrow: tests and other wiring pass fakes). */
export interface SwarmSource {
  store: {
    get(
      hash: Uint8Array,
      off: number,
    ): { v4: PeerList | null; v6: PeerList | null; downloaded: number } | undefined;
  };
  ws: {
    store: {
      get(
        hash: string,
      ): { seeders: readonly unknown[]; leechers: readonly unknown[]; downloaded: number } | undefined;
    };
  } | null;
}

/** Seeders and leechers of two peer lists, a peer (address and port) in both counted once. */
export function union(a: PeerList | null, b: PeerList | null): { seeds: number; leeches: number } {
  if (a === null && b === null) return { seeds: 0, leeches: 0 };
  if (a === null || b === null) {
    const l = (a ?? b) as PeerList;
    return { seeds: l.seeds, leeches: l.leeches };
  }
  let seeds = a.seeds;
  let leeches = a.leeches;
  for (let pos = 0; pos < b.count; pos++) {
    if (a.find(b.addrs, pos * b.rec) >= 0) continue;
    if (pos < b.seeds) seeds++;
    else leeches++;
  }
  return { seeds, leeches };
}

export class SwarmStats {
  private readonly cache = new Map<string, { at: number; figures: SwarmFigures }>();

  constructor(
    private readonly source: SwarmSource,
    private readonly maxAgeMs = 2000,
    private readonly now: () => number = Date.now,
  ) {}

  figures(t: Torrent): SwarmFigures {
    const key = `${t.infoHashV1 ?? ''}/${t.infoHashV2 ?? ''}/${t.infoHashAria2 ?? ''}`;
    const hit = this.cache.get(key);
    const now = this.now();
    if (hit && now - hit.at < this.maxAgeMs) return hit.figures;
    const figures = this.compute(t);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { at: now, figures });
    return figures;
  }

  private compute(t: Torrent): SwarmFigures {
    const hashes = [t.infoHashV1, t.infoHashV2 ? truncateV2(t.infoHashV2) : null].filter(
      (h): h is string => h !== null,
    );
    const swarms = hashes.map((h) => this.source.store.get(Buffer.from(h, 'hex'), 0));
    const [a, b] = swarms;
    const v4 = union(a?.v4 ?? null, b?.v4 ?? null);
    const v6 = union(a?.v6 ?? null, b?.v6 ?? null);
    let seeders = v4.seeds + v6.seeds;
    let leechers = v4.leeches + v6.leeches;
    let completed = Math.max(0, ...swarms.map((s) => s?.downloaded ?? 0));
    const alias = t.infoHashAria2 ? this.source.store.get(Buffer.from(t.infoHashAria2, 'hex'), 0) : undefined;
    if (alias !== undefined) {
      for (const l of [alias.v4, alias.v6])
        if (l !== null) {
          seeders += l.seeds;
          leechers += l.leeches;
        }
      completed += alias.downloaded;
    }
    // Browsers: WebTorrent announces the v1 hash as a string of 20 byte-valued characters, which the
    // WebSocket store keys either as those characters or as the UTF-8 bytes of that text (its "byte
    // view"); both keys are asked, once each (they are the same string for hashes without bytes >= 0x80).
    if (this.source.ws)
      for (const h of hashes) {
        const chars = Buffer.from(h, 'hex').toString('latin1');
        for (const key of new Set([chars, Buffer.from(chars, 'utf8').toString('latin1')])) {
          const s = this.source.ws.store.get(key);
          if (!s) continue;
          seeders += s.seeders.length;
          leechers += s.leechers.length;
          completed += s.downloaded;
        }
      }
    return { seeders, leechers, completed };
  }
}

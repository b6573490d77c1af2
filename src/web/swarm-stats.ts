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
 * The aria2 alias's swarm (aria2 peers only) and the v1 twin's (clients given the v1-only twin, such
 * as Transmission 3) hold peers no other swarm has: their peers and completions are added.
 * The union is the store's (PeerStore.unionCounts), off the tracker's hot path; cached for a few seconds.
 */
import type { Torrent } from '../catalog/index.js';
import { truncateV2 } from '../catalog/index.js';
import type { PeerStore } from '../swarm/peer-store.js';

export interface SwarmFigures {
  seeders: number;
  leechers: number;
  completed: number;
}

/** The parts of the tracker the figures need (kept narrow: tests and other wiring pass fakes). */
export interface SwarmSource {
  store: Pick<PeerStore, 'unionCounts' | 'scrape'>;
  ws: {
    store: {
      get(
        hash: string,
      ): { seeders: readonly unknown[]; leechers: readonly unknown[]; downloaded: number } | undefined;
    };
  } | null;
}

export class SwarmStats {
  private readonly cache = new Map<string, { at: number; figures: SwarmFigures }>();

  constructor(
    private readonly source: SwarmSource,
    private readonly maxAgeMs = 2000,
    private readonly now: () => number = Date.now,
  ) {}

  figures(t: Torrent): SwarmFigures {
    const key = `${t.infoHashV1 ?? ''}/${t.infoHashV2 ?? ''}/${t.infoHashAria2 ?? ''}/${t.infoHashV1Twin ?? ''}`;
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
    const [a, b] = hashes.map((h) => Buffer.from(h, 'hex'));
    const both =
      a === undefined
        ? { seeders: 0, leechers: 0, downloaded: 0 }
        : this.source.store.unionCounts(a, 0, b ?? null, 0);
    let seeders = both.seeders;
    let leechers = both.leechers;
    let completed = both.downloaded;
    // The aria2 alias's and the v1 twin's swarms: their own peers and completions, so added.
    for (const own of [t.infoHashAria2, t.infoHashV1Twin]) {
      if (!own) continue;
      const s = { seeders: 0, leechers: 0, downloaded: 0 };
      if (this.source.store.scrape(Buffer.from(own, 'hex'), 0, s)) {
        seeders += s.seeders;
        leechers += s.leechers;
        completed += s.downloaded;
      }
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

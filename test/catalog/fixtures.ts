/**
 * Test inputs for the catalog: a pinned clock and publish inputs with made-up but well-formed
 * hashes, unique per (series, season, episode) unless a test asks otherwise.
 */
import { createHash } from 'node:crypto';
import type { PublishEpisodeInput, Rights } from '../../src/catalog/index.js';

export const DAY = 24 * 60 * 60 * 1000;
export const T0 = Date.UTC(2025, 2, 1, 12, 0, 0); // 2025-03-01T12:00:00Z

/** A clock the test moves by hand. */
export class TestClock {
  constructor(public t = T0) {}
  readonly now = (): Date => new Date(this.t);
  set(t: number): void {
    this.t = t;
  }
}

export const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function openRights(overrides: Partial<Rights> = {}): Rights {
  return {
    licence: 'CC-BY-4.0',
    holders: ['NRK'],
    clearedWorldwide: true,
    availableFrom: new Date(T0 - DAY),
    availableUntil: null,
    ...overrides,
  };
}

export function sampleEpisode(
  o: {
    seriesTitle?: string;
    seriesSlug?: string;
    season?: number;
    episode?: number;
    rights?: Partial<Rights>;
    seed?: string;
  } & Partial<Omit<PublishEpisodeInput, 'rights' | 'series'>> = {},
): PublishEpisodeInput {
  const seriesTitle = o.seriesTitle ?? 'Der ingen skulle tru at nokon kunne bu';
  const season = o.season ?? 1;
  const episode = o.episode ?? 1;
  const seed = o.seed ?? `${o.seriesSlug ?? seriesTitle}/${season}/${episode}`;
  const dir = `media/${sha1(seed).slice(0, 8)}`;
  const { seriesTitle: _t, seriesSlug: _s, rights: _r, seed: _seed, ...rest } = o;
  return {
    series: o.seriesSlug === undefined ? { title: seriesTitle } : { title: seriesTitle, slug: o.seriesSlug },
    season,
    episode,
    title: `Episode ${episode}`,
    description: 'Folk som bur der ingen skulle tru at nokon kunne bu.',
    durationSeconds: 1740,
    rights: openRights(o.rights),
    media: [
      {
        path: `${dir}/episode.mp4`,
        sizeBytes: 734003200,
        mimeType: 'video/mp4',
        sha256: sha256(`media ${seed}`),
      },
    ],
    torrent: {
      mode: 'hybrid',
      infoHashV1: sha1(`torrent ${seed}`),
      infoHashV2: sha256(`torrent ${seed}`),
      path: `${dir}/episode.torrent`,
      sizeBytes: 48213,
      pieceLength: 1 << 20,
    },
    subtitles: [{ language: 'nb', kind: 'official', format: 'srt', path: `${dir}/episode.nb.srt` }],
    actor: 'editor@nrk.no',
    ...rest,
  };
}

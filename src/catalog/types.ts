/**
 * The catalog's public shapes. Times are JS `Date`s everywhere in the API; the database keeps them as
 * UTC epoch milliseconds (see docs/catalog.md, "Time").
 */
import type { SubtitleFormat } from '../protocol/subtitles/types.js';

export type { SubtitleFormat };

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Series {
  id: number;
  slug: string;
  title: string;
  description: string | null;
  createdAt: Date;
  /** Artwork, paths relative to the data directory (`artwork/...`), null when none. */
  posterPath: string | null;
  bannerPath: string | null;
}

/** Series artwork kinds: a 2:3 poster and a wide banner. */
export type SeriesArtworkKind = 'poster' | 'banner';

export interface SeriesInput {
  /** Derived from the title when absent (see slug.ts). */
  slug?: string;
  title: string;
  description?: string;
}

/** The part of an episode's rights that decides distribution (see rights-window.ts). */
export interface RightsWindow {
  /** A torrent cannot be geo-restricted, so anything short of worldwide clearance means "do not distribute". */
  clearedWorldwide: boolean;
  availableFrom: Date;
  /** Null: no end. The window is half-open, [from, until). */
  availableUntil: Date | null;
  /**
   * The parties' contracts and the cue sheet (clearance.ts), as the catalog read them: the episode is
   * distributable only inside one of these sorted, disjoint spans. Absent: nobody but the broadcaster
   * has a say (no contract covers the episode and it has no cue sheet). Never written by setRights.
   */
  contractSpans?: Span[];
}

/** A half-open span of time [from, until); null: no start, no end. */
export interface Span {
  from: Date | null;
  until: Date | null;
}

export interface Rights extends RightsWindow {
  /** An SPDX-style id such as "CC-BY-4.0", or "all-rights-reserved". */
  licence: string;
  /** In the order given (credits are ordered). */
  holders: string[];
}

export type MediaRole = 'video';

/** ffprobe's codec names for a media file's streams, in stream order. */
export interface MediaCodecs {
  video: string[];
  audio: string[];
}

export interface MediaFileInput {
  role?: MediaRole;
  /** Relative to the data directory's media store, '/'-separated. */
  path: string;
  sizeBytes: number;
  sha256?: string;
  mimeType: string;
  /** As probed at publication; absent or null when not probed. */
  codecs?: MediaCodecs | null;
}

export interface MediaFile {
  id: number;
  role: MediaRole;
  path: string;
  sizeBytes: number;
  sha256: string | null;
  mimeType: string;
  /** Null: not probed (published with --no-probe, or before codecs were recorded). */
  codecs: MediaCodecs | null;
}

export type TorrentMode = 'v1' | 'v2' | 'hybrid';

export interface TorrentInput {
  /** 40 hex digits; required for 'v1' and 'hybrid'. */
  infoHashV1?: string;
  /** 64 hex digits (SHA-256 of the info dictionary); required for 'v2' and 'hybrid'. */
  infoHashV2?: string;
  /**
   * Hybrid only, 40 hex digits: the hash aria2 announces for this torrent (its "aria2 alias",
   * src/protocol/metainfo.ts aria2InfoHash), allowed and counted as the torrent's third swarm.
   */
  infoHashAria2?: string;
  /**
   * Hybrid only, 40 hex digits: the v1 hash of the torrent's v1 twin (src/protocol/metainfo.ts
   * v1Twin), which clients that cannot read BEP 52 (Transmission 3) get; allowed and counted as the
   * torrent's own swarm.
   */
  infoHashV1Twin?: string;
  /** Relative to the data directory. */
  path: string;
  sizeBytes: number;
  pieceLength: number;
  mode: TorrentMode;
}

export interface Torrent {
  id: number;
  infoHashV1: string | null;
  infoHashV2: string | null;
  /** Hybrid: the hash aria2 announces (TorrentInput.infoHashAria2); null for v1 and v2 torrents. */
  infoHashAria2: string | null;
  /** Hybrid: the v1 hash of its v1 twin (TorrentInput.infoHashV1Twin); null for v1 and v2 torrents. */
  infoHashV1Twin: string | null;
  path: string;
  sizeBytes: number;
  pieceLength: number;
  mode: TorrentMode;
  createdAt: Date;
}

export type SubtitleKind = 'official' | 'community';
/** Community subtitles wait for a moderator; official ones have no status. */
export type SubtitleStatus = 'pending' | 'approved' | 'rejected';

export interface SubtitleInput {
  /** BCP 47, e.g. "nb", "nn", "se", "en-GB"; stored in canonical case. */
  language: string;
  kind: SubtitleKind;
  format: SubtitleFormat;
  path: string;
}

export interface SubtitleFile {
  id: number;
  language: string;
  kind: SubtitleKind;
  format: SubtitleFormat;
  path: string;
  status: SubtitleStatus | null;
  createdAt: Date;
}

export interface PublishEpisodeInput {
  /** Found by slug (derived from the title when absent): created if new, otherwise used as it is. */
  series: SeriesInput;
  season: number;
  /** Only used when the season is new. */
  seasonTitle?: string;
  episode: number;
  title: string;
  description?: string;
  durationSeconds?: number;
  rights: Rights;
  media: MediaFileInput[];
  torrent: TorrentInput;
  subtitles?: SubtitleInput[];
  /** Who publishes: recorded in the audit log. */
  actor: string;
}

export interface Episode {
  id: number;
  seriesId: number;
  seriesSlug: string;
  seriesTitle: string;
  season: number;
  episode: number;
  title: string;
  description: string | null;
  durationSeconds: number | null;
  /** The first time the episode became (or, when scheduled, becomes) distributable; null if never. */
  publishedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Set by unpublish; the episode stays in the catalog. */
  withdrawnAt: Date | null;
  /** Its still image (made at publication or set by an editor), relative to the data directory. */
  stillPath: string | null;
  /** Announced on its series page and feed as "available from" while its window is still ahead. */
  announce: boolean;
  rights: Rights;
  media: MediaFile[];
  torrents: Torrent[];
  subtitles: SubtitleFile[];
}

export interface CatalogEvent {
  id: number;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  details: Json;
}

export interface DistributableHashes {
  /**
   * Lower-case hex, 40 digits each: v1 info hashes, v2 info hashes truncated to 20 bytes, and the
   * aria2 aliases of hybrid torrents.
   */
  allowed: string[];
  /** Same form, for episodes that were distributable once and no longer are (withdrawn or expired). */
  withdrawn: string[];
}

export interface RightsCalendarEntry {
  at: Date;
  change: 'opens' | 'closes';
  episodeId: number;
  seriesSlug: string;
  season: number;
  episode: number;
  title: string;
  /** An opening window with no worldwide clearance distributes nothing: the calendar shows it so an editor can act. */
  clearedWorldwide: boolean;
}

/** What `editEpisode` changes; absent fields stay as they are. Torrents and files are never touched. */
export interface EpisodeEdit {
  title?: string;
  /** Null or '' clears it. */
  description?: string | null;
  /** The credits (the rights holders, in credit order), replacing the list. */
  credits?: string[];
}

/** What `editSeries` changes; the slug (and so every URL) stays. */
export interface SeriesEdit {
  title?: string;
  /** Null or '' clears it. */
  description?: string | null;
}

/** What was removed by `deleteEpisode`: the files the caller should now remove from the data directory. */
export interface DeletedEpisode {
  episode: Episode;
  /** Relative to the data directory: media, subtitle and torrent files the catalog named. */
  paths: string[];
}

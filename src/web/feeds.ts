/**
 * RSS 2.0 feeds for BitTorrent clients and podcast-style apps: one per series and one for everything.
 *
 * Per item, following BEP 36 (Torrent RSS feeds):
 *   <enclosure url=".torrent URL" length="size of the .torrent file" type="application/x-bittorrent"/>
 *   <guid isPermaLink="false">info hash</guid>   v1 hash (40 hex) for hybrid and v1 torrents, else v2 (64)
 *   <pubDate>                                    published_at: when the episode first became distributable
 *   <title>Series S01E02: Title</title>          the code is what auto-download rules match on
 * plus the ezRSS torrent namespace (http://xmlns.ezrss.it/0.1/: infoHash, contentLength = bytes of
 * content, fileName = the .torrent's file name, magnetURI with v1 and v2 xt, trackers, web seed and
 * xs) and Media RSS (http://search.yahoo.com/mrss/: media:content for the .torrent, media:subTitle per
 * subtitle language pointing at the WebVTT file, media:peerLink to the .torrent).
 * Channel: lastBuildDate = the last time the items changed (see SiteData: publications, edits,
 * withdrawals, windows closing), ttl in minutes, atom:link rel="self".
 *
 * Every text and attribute goes through the xml`` template (src/web/html.ts), so nothing from the
 * catalog can add elements; characters XML forbids are replaced.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { escapeText, raw, xml, type Markup } from './html.js';
import type { Entity } from './webseed.js';
import type { EpisodeEntry } from './site-data.js';

export const FEED_TYPE = 'application/rss+xml; charset=utf-8';
export const TORRENT_TYPE = 'application/x-bittorrent';
export const NS_TORRENT = 'http://xmlns.ezrss.it/0.1/';
export const NS_MEDIA = 'http://search.yahoo.com/mrss/';
export const NS_ATOM = 'http://www.w3.org/2005/Atom';

/** RFC 822 date as RSS 2.0 wants it ("Tue, 03 Mar 2026 17:00:00 GMT"). */
export function rfc822(d: Date): string {
  return d.toUTCString();
}

export interface FeedItemUrls {
  /** Absolute URL of a path on this site. */
  abs(path: string): string;
  /** The episode's magnet link. */
  magnet(entry: EpisodeEntry): string;
  /** Absolute URL of the episode's thumbnail (640 px JPEG), or null when it has no picture. */
  thumbnail?(entry: EpisodeEntry): string | null;
}

/** An episode announced before its window: no enclosure, no code in the title (see upcomingItem). */
export interface UpcomingItem {
  id: number;
  title: string;
  link: string;
  description: string | null;
  availableFrom: Date;
}

export interface FeedInput {
  title: string;
  /** Absolute URL of the page the feed belongs to. */
  link: string;
  /** Absolute URL of the feed itself. */
  self: string;
  description: string;
  lastBuildDate: Date | null;
  ttlMinutes: number;
  items: EpisodeEntry[];
  urls: FeedItemUrls;
  /** The channel's language (RSS <language>, BCP 47). */
  language?: string;
  /** The channel's picture (RSS <image>: JPEG or PNG). */
  image?: string | null;
  upcoming?: UpcomingItem[];
}

/**
 * RSS readers take <description> as HTML (feedparser, podcast apps, Thunderbird): plain text from the
 * catalog is escaped as HTML first, and the template escapes that again for XML, so a reader shows
 * "<på>" as text and never gets markup out of a publisher's description. Titles are text to readers
 * and are escaped once.
 */
function asHtml(text: string): string {
  return escapeText(text);
}

export function itemTitle(e: EpisodeEntry): string {
  return `${e.episode.seriesTitle} ${e.code}: ${e.episode.title}`;
}

function item(e: EpisodeEntry, urls: FeedItemUrls): Markup {
  const torrentUrl = urls.abs(e.torrentPath);
  const ep = e.episode;
  const fileName = e.torrent.path.split('/').pop() as string;
  const thumb = urls.thumbnail?.(e) ?? null;
  return xml`
    <item>
      <title>${itemTitle(e)}</title>
      <link>${urls.abs(e.path)}</link>
      <description>${asHtml(ep.description ?? '')}</description>
      <category>${ep.seriesTitle}</category>
      <guid isPermaLink="false">${e.infoHash}</guid>
      ${ep.publishedAt && xml`<pubDate>${rfc822(ep.publishedAt)}</pubDate>`}
      <enclosure url="${torrentUrl}" length="${e.torrent.sizeBytes}" type="${TORRENT_TYPE}"/>
      <torrent:infoHash>${e.infoHash}</torrent:infoHash>
      <torrent:contentLength>${e.facts.contentLength}</torrent:contentLength>
      <torrent:fileName>${fileName}</torrent:fileName>
      <torrent:magnetURI>${urls.magnet(e)}</torrent:magnetURI>
      <media:content url="${torrentUrl}" type="${TORRENT_TYPE}" fileSize="${e.torrent.sizeBytes}" medium="video"${
        ep.durationSeconds === null ? '' : xml` duration="${ep.durationSeconds}"`
      }/>
      ${e.subtitles
        .filter((s) => s.vtt !== null)
        .map(
          (s) => xml`
      <media:subTitle type="text/vtt" lang="${s.language}" href="${urls.abs(`/${s.vtt}`)}"/>`,
        )}
      <media:peerLink type="${TORRENT_TYPE}" href="${torrentUrl}"/>${
        e.twinTorrentPath &&
        xml`
      <atom:link rel="alternate" type="${TORRENT_TYPE}" title="v1 torrent for older clients" href="${urls.abs(e.twinTorrentPath)}"/>`
      }${
        thumb &&
        xml`
      <media:thumbnail url="${thumb}" width="640" height="360"/>`
      }
    </item>`;
}

/**
 * An announced episode: its title says when it comes but carries no SxxEyy code, and there is no
 * enclosure, so no client's auto-download rule can match it and mark it as fetched before the
 * real item appears (with its own guid, the info hash) when the window opens.
 */
function upcomingItem(u: UpcomingItem): Markup {
  return xml`
    <item>
      <title>${u.title} (available from ${rfc822(u.availableFrom)})</title>
      <link>${u.link}</link>
      <description>${asHtml(u.description ?? '')}</description>
      <guid isPermaLink="false">upcoming-${u.id}</guid>
    </item>`;
}

export function renderFeed(f: FeedInput): string {
  return xml`${raw('<?xml version="1.0" encoding="UTF-8"?>')}
<rss version="2.0" xmlns:atom="${NS_ATOM}" xmlns:media="${NS_MEDIA}" xmlns:torrent="${NS_TORRENT}">
  <channel>
    <title>${f.title}</title>
    <link>${f.link}</link>
    <description>${asHtml(f.description)}</description>
    <atom:link href="${f.self}" rel="self" type="application/rss+xml"/>
    ${f.language && xml`<language>${f.language}</language>`}
    <generator>fjord</generator>
    ${f.lastBuildDate && xml`<lastBuildDate>${rfc822(f.lastBuildDate)}</lastBuildDate>`}
    <ttl>${f.ttlMinutes}</ttl>${
      f.image &&
      xml`
    <image><url>${f.image}</url><title>${f.title}</title><link>${f.link}</link></image>`
    }${f.items.map((e) => item(e, f.urls))}${(f.upcoming ?? []).map(upcomingItem)}
  </channel>
</rss>
`.value;
}

/**
 * A feed as an entity for sendEntity(): a strong ETag from its bytes and Last-Modified from the
 * items' last change, so conditional GETs (If-None-Match, If-Modified-Since) get 304.
 */
export function feedEntity(body: string, lastModified: Date | null): Entity {
  const bytes = Buffer.from(body);
  const etag = `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
  return {
    size: bytes.length,
    etag,
    // HTTP dates have whole seconds; a finer time would never compare equal to If-Modified-Since.
    lastModified: lastModified === null ? null : new Date(Math.floor(lastModified.getTime() / 1000) * 1000),
    contentType: FEED_TYPE,
    body: (start, end) => Readable.from([bytes.subarray(start, end + 1)]),
  };
}

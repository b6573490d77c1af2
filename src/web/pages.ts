/**
 * The audience pages' content: home (series), a series (seasons, episodes, subscribe), an episode
 * (player, downloads, subtitles, rights, live swarm) and about (with the privacy notice). Each
 * function returns the <main> content and title for Layout.send(); data comes from SiteData, words
 * from the dictionary below (Norwegian Bokmål and English).
 */
import type { IncomingMessage } from 'node:http';
import { html, type Markup } from './html.js';
import {
  defineMessages,
  formatBytes,
  formatDateTime,
  formatDuration,
  formatNumber,
  languageName,
  type Lang,
} from './i18n.js';
import type { PageInput } from './layout.js';
import type { Episode } from '../catalog/index.js';
import { imageUrl, picture } from './artwork.js';
import {
  episodeCode,
  type Artwork,
  type EpisodeEntry,
  type SeriesEntry,
  type SubtitleEntry,
} from './site-data.js';
import type { SwarmFigures } from './swarm-stats.js';

export interface Text {
  seriesHeading: string;
  intro: string;
  nothingYet: string;
  episodeCount: (n: number) => string;
  latest: string;
  feedsHeading: string;
  feedsIntro: string;
  subscribeAll: string;
  subscribeSeries: string;
  feedAddress: string;
  allFeedAddress: string;
  subscribeHow: string;
  season: (n: number) => string;
  published: string;
  duration: string;
  size: string;
  breadcrumb: string;
  home: string;
  watch: string;
  play: string;
  playNote: string;
  privacyLink: string;
  noScript: string;
  /** The video's codecs are ones browsers do not play (the player is replaced by this). */
  notPlayable: (codecs: string) => string;
  description: string;
  download: string;
  downloadTorrent: string;
  /** The v1 twin's link, for clients that cannot open the default (hybrid) torrent. */
  olderClients: string;
  magnet: string;
  magnetLabel: string;
  infoHashV1: string;
  infoHashV2: string;
  subtitles: string;
  language: string;
  community: string;
  noSubtitles: string;
  rights: string;
  licence: string;
  holders: string;
  availableUntil: string;
  allRightsReserved: string;
  swarm: string;
  swarmIntro: string;
  seeders: string;
  leechers: string;
  completed: string;
  aboutTitle: string;
  more: string;
  episodesOf: (series: string) => string;
  allEpisodes: string;
  upcoming: string;
  availableFrom: string;
  notYet: string;
  stillOf: (title: string) => string;
  bannerOf: (series: string) => string;
  torrentDetails: string;
  contribute: string;
  goneTitle: string;
  gone: string;
  toSeries: (series: string) => string;
  searchTitle: string;
  searchResults: (q: string) => string;
  noResults: string;
  searchEpisodes: string;
  searchSeries: string;
  player: Record<string, string>;
}

export const text = defineMessages<Text>({
  nb: {
    seriesHeading: 'Serier',
    intro:
      'Se episodene i nettleseren, eller last dem ned med et BitTorrent-program. Seerne deler episodene med hverandre, så alle får full kvalitet.',
    nothingYet: 'Ingen episoder er tilgjengelige akkurat nå.',
    episodeCount: (n) => (n === 1 ? '1 episode' : `${n} episoder`),
    latest: 'Nyeste episoder',
    feedsHeading: 'Abonner',
    feedsIntro:
      'Legg en strøm inn i qBittorrent, Deluge eller FlexGet (for Transmission), så lastes nye episoder ned av seg selv.',
    subscribeAll: 'Abonner på alt (RSS)',
    subscribeSeries: 'Abonner på serien (RSS)',
    feedAddress: 'Adressen til strømmen for serien',
    allFeedAddress: 'Adressen til strømmen med alt',
    subscribeHow: 'Slik abonnerer du',
    season: (n) => `Sesong ${n}`,
    published: 'Publisert',
    duration: 'Lengde',
    size: 'Størrelse',
    breadcrumb: 'Brødsmulesti',
    home: 'Forside',
    watch: 'Se her',
    play: 'Spill av og del',
    playNote:
      'Når du spiller av her, deler nettleseren episoden med andre seere, og adressen din (IP-adressen) blir synlig for dem.',
    privacyLink: 'Om personvern',
    noScript:
      'Avspilleren trenger JavaScript. Du kan laste ned episoden med .torrent-filen eller magnetlenken nedenfor.',
    notPlayable: (c) =>
      `Nettlesere kan ikke spille av denne filen (${c}). Last den ned med .torrent-filen eller magnetlenken nedenfor og spill den av med for eksempel VLC eller mpv.`,
    description: 'Om episoden',
    download: 'Last ned',
    downloadTorrent: 'Last ned .torrent',
    olderClients: '.torrent for eldre klienter (Transmission 3)',
    magnet: 'Magnetlenke',
    magnetLabel: 'Magnetlenken (kan kopieres)',
    infoHashV1: 'Infohash v1',
    infoHashV2: 'Infohash v2',
    subtitles: 'Undertekster',
    language: 'Språk',
    community: 'fra seerne',
    noSubtitles: 'Episoden har ingen undertekster.',
    rights: 'Rettigheter',
    licence: 'Lisens',
    holders: 'Rettighetshavere',
    availableUntil: 'Tilgjengelig til',
    allRightsReserved: 'Alle rettigheter forbeholdt',
    swarm: 'Deling akkurat nå',
    swarmIntro: 'Tall fra sporeren (trackeren), med nettlesere som deler.',
    seeders: 'Deler hele episoden',
    leechers: 'Laster ned',
    completed: 'Fullførte nedlastinger',
    aboutTitle: 'Om tjenesten',
    more: 'Mer',
    episodesOf: (x) => `Episoder av ${x}`,
    allEpisodes: 'Alle episoder',
    upcoming: 'Kommer snart',
    availableFrom: 'Tilgjengelig fra',
    notYet: 'Kan ikke lastes ned ennå.',
    stillOf: (x) => `Bilde fra «${x}»`,
    bannerOf: (x) => `Bilde for ${x}`,
    torrentDetails: 'BitTorrent-detaljer og undertekstfiler',
    contribute: 'Bidra med en oversettelse',
    goneTitle: 'Ikke tilgjengelig lenger',
    gone: 'Denne episoden er ikke tilgjengelig lenger.',
    toSeries: (x) => `Se andre episoder av ${x}`,
    searchTitle: 'Søk',
    searchResults: (q) => `Treff for «${q}»`,
    noResults: 'Ingen serier eller episoder passer med søket.',
    searchEpisodes: 'Episoder',
    searchSeries: 'Serier',
    player: {
      starting: 'Starter …',
      playing: 'Spiller av.',
      direct:
        'Spiller av direkte fra serveren uten å dele (nettleseren tillater ikke deling på en side uten HTTPS).',
      failed: 'Avspillingen kunne ikke starte. Prøv .torrent-filen eller magnetlenken.',
      peersOne: 'Deler med {n} annen seer.',
      peersMany: 'Deler med {n} andre seere.',
      progress: '{n} % lastet ned.',
    },
  },
  en: {
    seriesHeading: 'Series',
    intro:
      'Watch the episodes in your browser, or download them with a BitTorrent program. Viewers share the episodes with each other, so everyone gets full quality.',
    nothingYet: 'No episodes are available right now.',
    episodeCount: (n) => (n === 1 ? '1 episode' : `${n} episodes`),
    latest: 'Latest episodes',
    feedsHeading: 'Subscribe',
    feedsIntro:
      'Add a feed to qBittorrent, Deluge or FlexGet (for Transmission) and new episodes download by themselves.',
    subscribeAll: 'Subscribe to everything (RSS)',
    subscribeSeries: 'Subscribe to this series (RSS)',
    feedAddress: "The series feed's address",
    allFeedAddress: 'The address of the feed with everything',
    subscribeHow: 'How to subscribe',
    season: (n) => `Season ${n}`,
    published: 'Published',
    duration: 'Duration',
    size: 'Size',
    breadcrumb: 'Breadcrumb',
    home: 'Home',
    watch: 'Watch here',
    play: 'Play and share',
    playNote:
      'When you play the episode here, your browser shares it with other viewers, and your (IP) address becomes visible to them.',
    privacyLink: 'About privacy',
    noScript:
      'The player needs JavaScript. You can download the episode with the .torrent file or the magnet link below.',
    notPlayable: (c) =>
      `Browsers cannot play this file (${c}). Download it with the .torrent file or the magnet link below and play it in, for example, VLC or mpv.`,
    description: 'About the episode',
    download: 'Download',
    downloadTorrent: 'Download .torrent',
    olderClients: '.torrent for older clients (Transmission 3)',
    magnet: 'Magnet link',
    magnetLabel: 'The magnet link (to copy)',
    infoHashV1: 'Info hash v1',
    infoHashV2: 'Info hash v2',
    subtitles: 'Subtitles',
    language: 'Language',
    community: 'by viewers',
    noSubtitles: 'This episode has no subtitles.',
    rights: 'Rights',
    licence: 'Licence',
    holders: 'Rights holders',
    availableUntil: 'Available until',
    allRightsReserved: 'All rights reserved',
    swarm: 'Sharing right now',
    swarmIntro: 'Figures from the tracker, browsers that share included.',
    seeders: 'Sharing the whole episode',
    leechers: 'Downloading',
    completed: 'Completed downloads',
    aboutTitle: 'About this service',
    more: 'More',
    episodesOf: (x) => `Episodes of ${x}`,
    allEpisodes: 'All episodes',
    upcoming: 'Coming soon',
    availableFrom: 'Available from',
    notYet: 'Not downloadable yet.',
    stillOf: (x) => `Still from “${x}”`,
    bannerOf: (x) => `Picture for ${x}`,
    torrentDetails: 'BitTorrent details and subtitle files',
    contribute: 'Contribute a translation',
    goneTitle: 'No longer available',
    gone: 'This episode is no longer available.',
    toSeries: (x) => `See other episodes of ${x}`,
    searchTitle: 'Search',
    searchResults: (q) => `Results for “${q}”`,
    noResults: 'No series or episode matches the search.',
    searchEpisodes: 'Episodes',
    searchSeries: 'Series',
    player: {
      starting: 'Starting …',
      playing: 'Playing.',
      direct: 'Playing straight from the server without sharing (browsers only share on HTTPS pages).',
      failed: 'Playback could not start. Try the .torrent file or the magnet link.',
      peersOne: 'Sharing with {n} other viewer.',
      peersMany: 'Sharing with {n} other viewers.',
      progress: '{n} % downloaded.',
    },
  },
});

/** What the pages link to and how the player connects. */
export interface PageLinks {
  /** Absolute URL of a path on this site (feeds and the magnet's xs need absolute URLs). */
  abs(path: string): string;
  /** The site's name (Open Graph's site_name). */
  siteName?: string;
  /** The broadcaster's time zone (config timeZone): every time printed is in it. */
  timeZone?: string;
  magnet(e: EpisodeEntry): string;
  allFeed: string;
  player: {
    /** The language programmes are spoken in (config programmeLanguage, BCP 47). */
    programmeLanguage?: string;
    /** Turn the page language's subtitles on when the programme is in another (config subtitlesOnWhenForeign). */
    subtitlesOnWhenForeign?: boolean;
    script: string;
    webtorrent: string;
    serviceWorker: string;
    wsTrackers: string[];
    iceServers: string[];
  };
}

/**
 * Community subtitles on the episode page (src/web/subtitle-submit.ts provides this): the credit
 * under an approved translation, and the section with the form to contribute one.
 */
export interface EpisodeCommunity {
  /** "Translated by NAME · CC BY 4.0" for an approved community subtitle, or null. */
  credit(lang: Lang, s: SubtitleEntry): string | null;
  /** The contribute section; `viewer` is the request it is drawn for (its form token is bound to it). */
  section(lang: Lang, e: EpisodeEntry, viewer?: IncomingMessage): Markup;
}

/** Set per request by the pages below from PageLinks.timeZone. */
let zone: string | undefined;

const time = (lang: Lang, d: Date): Markup =>
  html`<time datetime="${d.toISOString()}">${formatDateTime(lang, d, zone)}</time>`;

/** Open Graph and Twitter card tags: a shared link shows the programme's title, text and picture. */
function shareTags(
  links: PageLinks,
  o: { title: string; description: string | null; path: string; image: Artwork | null; type: string },
): Markup {
  const img = o.image && links.abs(imageUrl(o.image, 1280, 'jpg'));
  const desc = o.description ?? '';
  return html`<meta property="og:type" content="${o.type}" />
    <meta property="og:title" content="${o.title}" />
    <meta property="og:url" content="${links.abs(o.path)}" />
    ${links.siteName && html`<meta property="og:site_name" content="${links.siteName}" />`}
    ${desc && html`<meta property="og:description" content="${desc}" /><meta name="description" content="${desc}" />`}
    ${
      img &&
      html`<meta property="og:image" content="${img}" />
        <meta property="og:image:width" content="1280" />
        <meta property="og:image:height" content="${Math.round(1280 / (o.image as Artwork).aspect)}" />`
    }
    <meta name="twitter:card" content="${img ? 'summary_large_image' : 'summary'}" />
    <meta name="twitter:title" content="${o.title}" />
    ${desc && html`<meta name="twitter:description" content="${desc}" />`}
    ${img && html`<meta name="twitter:image" content="${img}" />`}`;
}

/** A card for an episode: its still (or the series banner), code, title, date and length. */
function episodeCard(lang: Lang, e: EpisodeEntry, withSeries: boolean, fallback: Artwork | null): Markup {
  const ep = e.episode;
  const art = e.still ?? fallback;
  const label = withSeries ? `${ep.seriesTitle} ${e.code}` : e.code;
  return html`<li class="card">
    <a href="${e.path}">
      ${
        art
          ? picture(art, {
              alt: text[lang].stillOf(ep.title),
              sizes: '(min-width: 62rem) 15rem, (min-width: 40rem) 30vw, 46vw',
              maxWidth: 640,
            })
          : html`<span class="art blank" aria-hidden="true">${e.code}</span>`
      }
      <span class="card-label">${label}</span>
      <span class="card-title">${ep.title}</span>
    </a>
    <span class="card-meta muted"
      >${ep.publishedAt && time(lang, ep.publishedAt)}${
        ep.durationSeconds !== null && html` · ${formatDuration(ep.durationSeconds)}`
      }</span
    >
  </li>`;
}

/** An announced episode: a card without a link or download, saying when it comes. */
function upcomingCard(lang: Lang, e: Episode, series: SeriesEntry): Markup {
  const t = text[lang];
  return html`<li class="card upcoming">
    ${
      series.banner
        ? picture(series.banner, {
            alt: t.bannerOf(e.seriesTitle),
            sizes: '(min-width: 62rem) 15rem, 46vw',
            maxWidth: 640,
          })
        : html`<span class="art blank" aria-hidden="true">${episodeCode(e.season, e.episode)}</span>`
    }
    <span class="card-label">${episodeCode(e.season, e.episode)}</span>
    <span class="card-title">${e.title}</span>
    <span class="card-meta"><strong>${t.availableFrom} ${time(lang, e.rights.availableFrom)}</strong></span>
  </li>`;
}

const feedLinks = (feeds: Array<{ title: string; href: string }>): Markup =>
  html`${feeds.map((f) => html`<link rel="alternate" type="application/rss+xml" title="${f.title}" href="${f.href}" /> `)}`;

export function homePage(
  lang: Lang,
  siteName: string,
  series: Array<{ entry: SeriesEntry; visible: EpisodeEntry[] }>,
  latest: EpisodeEntry[],
  links: PageLinks,
): PageInput {
  zone = links.timeZone;
  const t = text[lang];
  const banner = (id: number): Artwork | null =>
    series.find((x) => x.entry.series.id === id)?.entry.banner ?? null;
  const main = html`<h1>${siteName}</h1>
    <p class="lead">${t.intro}</p>
    ${series.length === 0 && html`<p>${t.nothingYet}</p>`}
    ${
      latest.length > 0 &&
      html`<section aria-labelledby="latest">
        <h2 id="latest">${t.latest}</h2>
        <ul class="grid">
          ${latest.slice(0, 8).map((e) => episodeCard(lang, e, true, banner(e.episode.seriesId)))}
        </ul>
      </section>`
    }
    ${series.map(
      ({ entry, visible }) =>
        html`<section class="series-row" aria-labelledby="series-${entry.series.id}">
          <h2 id="series-${entry.series.id}"><a href="${entry.path}">${entry.series.title}</a></h2>
          ${entry.series.description && html`<p class="muted">${entry.series.description}</p>`}
          <ul class="grid" aria-label="${t.episodesOf(entry.series.title)}">
            ${[...visible]
              .reverse()
              .slice(0, 4)
              .map((e) => episodeCard(lang, e, false, entry.banner))}
          </ul>
          <p>
            <a href="${entry.path}">${t.allEpisodes} (${t.episodeCount(visible.length)})</a> ·
            <a href="${entry.feedPath}" type="application/rss+xml">${t.subscribeSeries}</a>
          </p>
        </section>`,
    )}
    <h2 id="subscribe">${t.feedsHeading}</h2>
    <p>${t.feedsIntro} <a href="/about#subscribe">${t.subscribeHow}</a></p>
    <p class="actions">
      <a class="button" href="${links.allFeed}" type="application/rss+xml">${t.subscribeAll}</a>
    </p>
    <label for="all-feed">${t.allFeedAddress}</label>
    <input id="all-feed" type="url" readonly value="${links.abs(links.allFeed)}" />`;
  const first = latest[0];
  return {
    title: t.seriesHeading,
    main,
    head: html`${feedLinks([{ title: t.subscribeAll, href: links.allFeed }])}
    ${shareTags(links, {
      title: siteName,
      description: t.intro,
      path: '/',
      image: first ? (first.still ?? banner(first.episode.seriesId)) : null,
      type: 'website',
    })}`,
  };
}

export function seriesPage(
  lang: Lang,
  s: SeriesEntry,
  visible: EpisodeEntry[],
  links: PageLinks,
  upcoming: Episode[] = [],
): PageInput {
  zone = links.timeZone;
  const t = text[lang];
  const seasons = new Map<number, EpisodeEntry[]>();
  for (const e of visible) {
    const list = seasons.get(e.episode.season) ?? [];
    list.push(e);
    seasons.set(e.episode.season, list);
  }
  const main = html`<nav aria-label="${t.breadcrumb}" class="muted crumbs">
      <a href="/">${t.home}</a> › <span aria-current="page">${s.series.title}</span>
    </nav>
    ${
      s.banner &&
      picture(s.banner, {
        alt: t.bannerOf(s.series.title),
        sizes: '(min-width: 62rem) 60rem, 100vw',
        maxWidth: 1920,
        eager: true,
        className: 'art banner',
      })
    }
    <h1>${s.series.title}</h1>
    ${s.series.description && html`<p class="lead">${s.series.description}</p>`}
    <p class="actions">
      <a class="button" href="${s.feedPath}" type="application/rss+xml">${t.subscribeSeries}</a>
      <a href="/about#subscribe">${t.subscribeHow}</a>
    </p>
    ${
      upcoming.length > 0 &&
      html`<section aria-labelledby="upcoming">
        <h2 id="upcoming">${t.upcoming}</h2>
        <ul class="grid">
          ${upcoming.map((e) => upcomingCard(lang, e, s))}
        </ul>
        <p class="muted">${t.notYet}</p>
      </section>`
    }
    ${
      visible.length === 0 && upcoming.length === 0
        ? html`<p>${t.nothingYet}</p>`
        : [...seasons].map(
            ([n, eps]) =>
              html`<section aria-labelledby="season-${n}">
                <h2 id="season-${n}">${t.season(n)}</h2>
                <ol class="grid">
                  ${eps.map((e) => episodeCard(lang, e, false, s.banner))}
                </ol>
              </section>`,
          )
    }
    <h2 id="subscribe">${t.feedsHeading}</h2>
    <p>${t.feedsIntro}</p>
    <label for="series-feed">${t.feedAddress}</label>
    <input id="series-feed" type="url" readonly value="${links.abs(s.feedPath)}" />
    <p><a href="${links.allFeed}" type="application/rss+xml">${t.subscribeAll}</a></p>`;
  return {
    title: s.series.title,
    main,
    head: html`${feedLinks([
      { title: `${s.series.title} (RSS)`, href: s.feedPath },
      { title: t.subscribeAll, href: links.allFeed },
    ])}
    ${shareTags(links, {
      title: s.series.title,
      description: s.series.description,
      path: s.path,
      image: s.banner ?? s.poster ?? visible[visible.length - 1]?.still ?? null,
      type: 'website',
    })}`,
  };
}

/** Search results as the same cards as elsewhere: series (with their poster or banner), then episodes. */
export function searchPage(
  lang: Lang,
  q: string,
  series: SeriesEntry[],
  episodes: EpisodeEntry[],
  links: PageLinks,
  bannerOf: (e: EpisodeEntry) => Artwork | null,
): PageInput {
  zone = links.timeZone;
  const t = text[lang];
  const seriesCard = (s: SeriesEntry): Markup => {
    const art = s.banner ?? s.poster;
    return html`<li class="card">
      <a href="${s.path}">
        ${
          art
            ? picture(art, {
                alt: t.bannerOf(s.series.title),
                sizes: '(min-width: 62rem) 15rem, 46vw',
                maxWidth: 640,
              })
            : html`<span class="art blank" aria-hidden="true">${s.series.title.slice(0, 1)}</span>`
        }
        <span class="card-title">${s.series.title}</span>
      </a>
      ${s.series.description && html`<span class="card-meta muted">${s.series.description}</span>`}
    </li>`;
  };
  const main = html`<h1>${q === '' ? t.searchTitle : t.searchResults(q)}</h1>
    ${q !== '' && series.length === 0 && episodes.length === 0 && html`<p>${t.noResults}</p>`}
    ${
      series.length > 0 &&
      html`<section aria-labelledby="found-series">
        <h2 id="found-series">${t.searchSeries}</h2>
        <ul class="grid">
          ${series.map(seriesCard)}
        </ul>
      </section>`
    }
    ${
      episodes.length > 0 &&
      html`<section aria-labelledby="found-episodes">
        <h2 id="found-episodes">${t.searchEpisodes}</h2>
        <ul class="grid">
          ${episodes.map((e) => episodeCard(lang, e, true, bannerOf(e)))}
        </ul>
      </section>`
    }`;
  return { title: t.searchTitle, main, query: q };
}

/** The 410 page of an episode that was distributed and is no longer. */
export function gonePage(lang: Lang, series: SeriesEntry | undefined): PageInput {
  const t = text[lang];
  return {
    title: t.goneTitle,
    main: html`<h1>${t.goneTitle}</h1>
      <p>${t.gone}</p>
      <p>
        ${
          series
            ? html`<a href="${series.path}">${t.toSeries(series.series.title)}</a>`
            : html`<a href="/">${t.home}</a>`
        }
      </p>`,
  };
}

/** Bokmål pages read `no` and `nb` subtitles alike; otherwise the primary subtag decides. */
function primary(tag: string): string {
  const p = tag.toLowerCase().split('-')[0];
  return p === 'no' ? 'nb' : p;
}

/**
 * The player's tracks (those with WebVTT): the page's language first (official before viewers'),
 * then the rest as listed. That first one is on by default when the programme is in another
 * language than the page and the setting allows it.
 */
export function playerTracks(
  lang: Lang,
  subtitles: SubtitleEntry[],
  o: { programmeLanguage?: string; subtitlesOnWhenForeign?: boolean },
): Array<SubtitleEntry & { on: boolean }> {
  const withVtt = subtitles.filter((s) => s.vtt !== null);
  const mine = withVtt.filter((s) => primary(s.language) === primary(lang));
  const rest = withVtt.filter((s) => primary(s.language) !== primary(lang));
  const foreign = o.programmeLanguage !== undefined && primary(o.programmeLanguage) !== primary(lang);
  const on = foreign && (o.subtitlesOnWhenForeign ?? true);
  return [...mine.map((s, i) => ({ ...s, on: on && i === 0 })), ...rest.map((s) => ({ ...s, on: false }))];
}

function subtitleLabel(lang: Lang, s: SubtitleEntry): string {
  const name = languageName(lang, s.language);
  return s.kind === 'community' ? `${name} (${text[lang].community})` : name;
}

const LICENCES: Record<string, string> = {
  'CC-BY-4.0': 'Creative Commons Attribution 4.0 (CC BY 4.0)',
  'CC-BY-SA-4.0': 'Creative Commons Attribution-ShareAlike 4.0 (CC BY-SA 4.0)',
  'CC-BY-NC-4.0': 'Creative Commons Attribution-NonCommercial 4.0 (CC BY-NC 4.0)',
  'CC-BY-NC-SA-4.0': 'Creative Commons Attribution-NonCommercial-ShareAlike 4.0 (CC BY-NC-SA 4.0)',
  'CC-BY-ND-4.0': 'Creative Commons Attribution-NoDerivatives 4.0 (CC BY-ND 4.0)',
  'CC0-1.0': 'Creative Commons Zero (CC0 1.0, public domain)',
};

function licenceName(lang: Lang, licence: string): string {
  return licence === 'all-rights-reserved' ? text[lang].allRightsReserved : (LICENCES[licence] ?? licence);
}

export function statsList(lang: Lang, f: SwarmFigures): Markup {
  const t = text[lang];
  const item = (key: keyof SwarmFigures, label: string): Markup =>
    html`<li>${label}<data id="swarm-${key}" value="${f[key]}">${formatNumber(lang, f[key])}</data></li>`;
  return html`<ul class="stats">
    ${item('seeders', t.seeders)} ${item('leechers', t.leechers)} ${item('completed', t.completed)}
  </ul>`;
}

export function episodePage(
  lang: Lang,
  e: EpisodeEntry,
  series: SeriesEntry,
  figures: SwarmFigures,
  links: PageLinks,
  community?: EpisodeCommunity,
  viewer?: IncomingMessage,
): PageInput {
  zone = links.timeZone;
  const t = text[lang];
  const ep = e.episode;
  const poster = e.still ?? series.banner;
  const r = ep.rights;
  const magnet = links.magnet(e);
  const tracks = playerTracks(lang, e.subtitles, links.player);
  const p = links.player;
  const unplayable = e.video.unplayable;
  const player =
    unplayable.length > 0
      ? html`<section class="player" id="player" aria-labelledby="watch">
          <h2 id="watch" class="visually-hidden">${t.watch}</h2>
          ${poster && picture(poster, { alt: t.stillOf(ep.title), sizes: '(min-width: 62rem) 60rem, 100vw', maxWidth: 1280, eager: true, className: 'art still' })}
          <p class="notice" id="not-playable">${t.notPlayable(unplayable.join(', '))}</p>
        </section>`
      : html`<section
          class="player"
          id="player"
          aria-labelledby="watch"
          data-torrent="${e.path}/player.torrent"
          data-file="${e.video.inTorrent}"
          data-direct="/${e.video.path}"
          data-webtorrent="${p.webtorrent}"
          data-sw="${p.serviceWorker}"
          data-trackers="${p.wsTrackers.join(' ')}"
          data-ice="${p.iceServers.join(' ')}"
          data-stats="${e.path}/stats.json"
          data-messages="${JSON.stringify(t.player)}"
        >
          <h2 id="watch" class="visually-hidden">${t.watch}</h2>
          <video
            id="player-video"
            controls
            preload="none"
            playsinline
            ${poster ? html`poster="${imageUrl(poster, 1280, 'jpg')}"` : ''}
          >
            ${tracks.map(
              (s) => html`
                <track
                  kind="subtitles"
                  srclang="${s.language}"
                  label="${subtitleLabel(lang, s)}"
                  src="/${s.vtt as string}"
                  ${s.on ? html`default` : ''}
                />
              `,
            )}
          </video>
          <p class="actions">
            <button type="button" class="button" id="player-start" hidden>${t.play}</button>
          </p>
          <p class="status" id="player-status" role="status"></p>
          <p id="player-peers"></p>
          <noscript><p>${t.noScript}</p></noscript>
          <p class="notice">${t.playNote} <a href="/about#privacy">${t.privacyLink}</a></p>
        </section>`;

  const subtitles =
    e.subtitles.length === 0
      ? html`<p>${t.noSubtitles}</p>`
      : html`<table>
          <thead>
            <tr>
              <th scope="col">${t.language}</th>
              <th scope="col">SRT</th>
              <th scope="col">WebVTT</th>
            </tr>
          </thead>
          <tbody>
            ${e.subtitles.map((s) => {
              const credit = community?.credit(lang, s) ?? null;
              return html`<tr>
                <th scope="row" lang="${s.language}">
                  ${subtitleLabel(lang, s)}${credit && html`<br /><span class="muted" lang="${lang}">${credit}</span>`}
                </th>
                <td>
                  ${s.srt ? html`<a href="/${s.srt}" download type="application/x-subrip" hreflang="${s.language}">.srt</a>` : '–'}
                </td>
                <td>
                  ${s.vtt ? html`<a href="/${s.vtt}" download type="text/vtt" hreflang="${s.language}">.vtt</a>` : '–'}
                </td>
              </tr>`;
            })}
          </tbody>
        </table>`;

  const main = html`<nav aria-label="${t.breadcrumb}" class="muted crumbs">
      <a href="/">${t.home}</a> › <a href="${series.path}">${ep.seriesTitle}</a> ›
      <span aria-current="page">${e.code}</span>
    </nav>
    <h1>${ep.title}</h1>
    <p class="muted">
      <span class="code">${e.code}</span
      >${ep.seriesTitle}${ep.publishedAt && html` · ${t.published} ${time(lang, ep.publishedAt)}`}${
        ep.durationSeconds !== null && html` · ${t.duration} ${formatDuration(ep.durationSeconds)}`
      }
    </p>
    ${player} ${ep.description && html`<p class="lead">${ep.description}</p>`}
    <h2 id="download">${t.download}</h2>
    <p class="actions">
      <a class="button" href="${e.torrentPath}" download type="application/x-bittorrent"
        >${t.download} (.torrent, ${formatBytes(lang, e.facts.contentLength)})</a
      >
      <a class="button secondary" href="${magnet}">${t.magnet}</a>
    </p>
    <details class="more" id="details">
      <summary>${t.torrentDetails}</summary>
      ${
        e.twinTorrentPath &&
        html`<p class="muted">
          <a href="${e.twinTorrentPath}" download type="application/x-bittorrent">${t.olderClients}</a>
        </p>`
      }
      <label for="magnet">${t.magnetLabel}</label>
      <input id="magnet" type="text" readonly value="${magnet}" />
      <dl class="facts">
        <dt>${t.size}</dt>
        <dd>${formatBytes(lang, e.facts.contentLength)}</dd>
        ${
          e.torrent.infoHashV1 &&
          html`<dt>${t.infoHashV1}</dt>
            <dd class="hash">${e.torrent.infoHashV1}</dd>`
        }
        ${
          e.torrent.infoHashV2 &&
          html`<dt>${t.infoHashV2}</dt>
            <dd class="hash">${e.torrent.infoHashV2}</dd>`
        }
      </dl>
      <h3 id="subtitles">${t.subtitles}</h3>
      ${subtitles}
    </details>
    ${
      community &&
      html`<details class="more" id="translate">
        <summary>${t.contribute}</summary>
        ${community.section(lang, e, viewer)}
      </details>`
    }
    <h2 id="rights">${t.rights}</h2>
    <dl class="facts">
      <dt>${t.licence}</dt>
      <dd>${licenceName(lang, r.licence)}</dd>
      ${
        r.holders.length > 0 &&
        html`<dt>${t.holders}</dt>
          <dd>
            <ul>
              ${r.holders.map((h) => html`<li><bdi>${h}</bdi></li>`)}
            </ul>
          </dd>`
      }
      ${
        r.availableUntil &&
        html`<dt>${t.availableUntil}</dt>
          <dd>${time(lang, r.availableUntil)}</dd>`
      }
    </dl>
    <h2 id="swarm">${t.swarm}</h2>
    <p class="muted">${t.swarmIntro}</p>
    ${statsList(lang, figures)}
    <h2 id="subscribe">${t.feedsHeading}</h2>
    <p>
      <a href="${series.feedPath}" type="application/rss+xml">${t.subscribeSeries}</a> ·
      <a href="/about#subscribe">${t.subscribeHow}</a>
    </p>`;

  // The player connects to the WebSocket tracker(s) and to the torrent's web seeds.
  const webSeeds = e.facts.webSeeds;
  return {
    title: `${ep.seriesTitle} ${e.code}: ${ep.title}`,
    main,
    head: html`${feedLinks([{ title: `${ep.seriesTitle} (RSS)`, href: series.feedPath }])}
    ${shareTags(links, {
      title: `${ep.seriesTitle} ${e.code}: ${ep.title}`,
      description: ep.description,
      path: e.path,
      image: poster,
      type: 'video.episode',
    })}`,
    scripts: [p.script],
    csp: { connect: [...p.wsTrackers, ...webSeeds], media: webSeeds },
  };
}

export interface AboutFacts {
  siteName: string;
  /** The operator's own opening text (config aboutText): paragraphs split at blank lines. */
  aboutText?: string | null;
  /** Minutes after a client's last announce that the tracker forgets its address. */
  peerTimeoutMinutes: number;
  browserTimeoutMinutes: number;
  iceServers: string[];
}

export function aboutPage(lang: Lang, f: AboutFacts, links: PageLinks): PageInput {
  const all = links.abs(links.allFeed);
  const flexget = `tasks:\n  ${f.siteName.toLowerCase().replace(/[^a-z0-9]+/g, '-') || 'tv'}:\n    rss: ${all}\n    accept_all: yes\n    transmission:\n      host: localhost\n      port: 9091`;
  const own =
    f.aboutText &&
    f.aboutText
      .split(/\n\s*\n/)
      .map((p) => p.trim())
      .filter((p) => p !== '')
      .map((p) => html`<p>${p}</p>`);
  const nb = html`<h1>Om tjenesten</h1>
    ${
      own ||
      html`<p>
        ${f.siteName} gir deg episodene i full kvalitet med BitTorrent. Du kan se dem i nettleseren, laste dem
        ned med et BitTorrent-program, eller abonnere på en strøm (RSS) så nye episoder kommer av seg selv.
        Episodene er her så lenge rettighetene tillater det.
      </p>`
    }
    <h2 id="privacy">Personvern</h2>
    <ul>
      <li>
        <strong>Adressen din er synlig for andre seere.</strong> Når du trykker «Spill av og del», eller
        laster ned med et BitTorrent-program, kobler maskinen din seg direkte til andre seere. De, og sporeren
        (trackeren) til tjenesten, ser da IP-adressen din. Slik virker BitTorrent.
      </li>
      <li>
        Sporeren husker adressen bare mens du deler: den glemmes ${f.peerTimeoutMinutes} minutter etter at
        programmet ditt sist meldte seg (nettlesere: ${f.browserTimeoutMinutes} minutter).
      </li>
      <li>Før du trykker «Spill av og del» kobler siden seg ikke til andre seere.</li>
      <li>
        Ingen statistikk om deg, ingen reklame, ingen skrifter, skript eller bilder fra andre nettsteder.
      </li>
      <li>
        Den eneste informasjonskapselen (cookie) er <code>fjord_lang</code>, som husker språket du velger med
        språkvalget.
      </li>
      ${
        f.iceServers.length > 0
          ? html`<li>
              For å nå seere bak rutere kontakter nettleseren ${f.iceServers.join(', ')}, som drives for denne
              tjenesten.
            </li>`
          : html`<li>Nettleseren kontakter ingen andre enn denne tjenesten og seerne den deler med.</li>`
      }
      <li>
        Vil du ikke at adressen din skal være synlig, må du verken spille av her eller bruke et
        BitTorrent-program.
      </li>
      <li>
        Sender du inn en oversettelse av undertekstene, lagres adressen din med den, så moderatorene kan
        stoppe spam. Navnet du oppgir, vises med oversettelsen når den er godkjent.
      </li>
    </ul>
    <h2 id="subscribe">Slik abonnerer du</h2>
    <p>
      Hver serie har sin egen strøm, og <a href="${links.allFeed}">én strøm har alt</a> (<code>${all}</code>).
    </p>
    <ul>
      <li>
        <strong>qBittorrent</strong>: Vis → RSS-leser, «Nytt abonnement», lim inn adressen. Legg deretter til
        en regel i «RSS-nedlaster» (for eksempel «Må inneholde: S01E») så lastes nye episoder ned av seg selv.
      </li>
      <li><strong>Deluge</strong>: med tillegget YaRSS2, legg til strømmen og et abonnement.</li>
      <li><strong>FlexGet</strong> (for eksempel for Transmission): en oppgave som leser strømmen:</li>
    </ul>
    <pre><code>${flexget}</code></pre>`;
  const en = html`<h1>About this service</h1>
    ${
      own ||
      html`<p>
        ${f.siteName} gives you the episodes in full quality with BitTorrent. Watch them in your browser,
        download them with a BitTorrent program, or subscribe to a feed (RSS) so new episodes arrive by
        themselves. Episodes are here for as long as their rights allow.
      </p>`
    }
    <h2 id="privacy">Privacy</h2>
    <ul>
      <li>
        <strong>Your address is visible to other viewers.</strong> When you press “Play and share”, or
        download with a BitTorrent program, your computer connects directly to other viewers. They, and this
        service's tracker, then see your IP address. That is how BitTorrent works.
      </li>
      <li>
        The tracker keeps your address only while you share: it is forgotten ${f.peerTimeoutMinutes} minutes
        after your program last checked in (browsers: ${f.browserTimeoutMinutes} minutes).
      </li>
      <li>Until you press “Play and share”, the page connects to no other viewer.</li>
      <li>No statistics about you, no advertising, no fonts, scripts or images from other sites.</li>
      <li>
        The only cookie is <code>fjord_lang</code>, which remembers the language you pick with the language
        switch.
      </li>
      ${
        f.iceServers.length > 0
          ? html`<li>
              To reach viewers behind routers, your browser contacts ${f.iceServers.join(', ')}, run for this
              service.
            </li>`
          : html`<li>Your browser contacts nothing but this service and the viewers it shares with.</li>`
      }
      <li>
        If you do not want your address to be visible, do not play here and do not use a BitTorrent program.
      </li>
      <li>
        If you contribute a translation of the subtitles, your address is stored with it so that moderators
        can stop spam. The name you give is shown with the translation once it is approved.
      </li>
    </ul>
    <h2 id="subscribe">How to subscribe</h2>
    <p>
      Each series has its own feed, and
      <a href="${links.allFeed}">one feed has everything</a> (<code>${all}</code>).
    </p>
    <ul>
      <li>
        <strong>qBittorrent</strong>: View → RSS Reader, “New subscription”, paste the address. Then add a
        rule in the “RSS Downloader” (for instance “Must contain: S01E”) and new episodes download by
        themselves.
      </li>
      <li><strong>Deluge</strong>: with the YaRSS2 plugin, add the feed and a subscription.</li>
      <li><strong>FlexGet</strong> (for Transmission, say): a task that reads the feed:</li>
    </ul>
    <pre><code>${flexget}</code></pre>`;
  return { title: text[lang].aboutTitle, main: lang === 'nb' ? nb : en };
}

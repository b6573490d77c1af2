/**
 * The dashboard's words in Norwegian Bokmål and English (the type makes a key missing in one
 * language a compile error), and the formatting of its figures in the page's language: numbers,
 * shares, bytes, money, and times in the broadcaster's zone (config `timeZone`).
 */
import { defineMessages, formatBytes, formatDateTime, formatNumber, LOCALES, type Lang } from '../i18n.js';
import { addDays, formatLocal, localDay, offsetAt, startOfDay } from '../../stats/time.js';

export interface AdminText {
  area: string;
  navLabel: string;
  overview: string;
  clients: string;
  rights: string;
  publish: string;
  password: string;
  logout: string;
  signedInAs: (user: string, role: string) => string;
  timesIn: (zone: string) => string;
  // errors
  forbiddenTitle: string;
  forbidden: (role: string) => string;
  csrfTitle: string;
  csrf: string;
  notFoundTitle: string;
  notFound: string;
  // figures
  today: string;
  lastDays: (n: number) => string;
  range: (from: string, to: string) => string;
  completions: string;
  allCompletions: string;
  catalogCompletions: string;
  peakPeers: string;
  peakAt: (peers: string, at: string) => string;
  p2pShare: string;
  p2pShareWithPartial: string;
  webSeedBytes: string;
  deliveredBytes: string;
  partialBytes: string;
  costSaved: string;
  costSavedWithPartial: string;
  costNote: (price: string) => string;
  seeders: string;
  leechers: string;
  peers: string;
  time: string;
  day: string;
  hour: string;
  hoursAfter: string;
  share: string;
  announces: string;
  noData: string;
  notDefined: string;
  showTable: string;
  csv: string;
  csvOf: (what: string) => string;
  rangeNav: string;
  days: (n: number) => string;
  resolution: string;
  byHour: string;
  byMinute: string;
  // overview
  overviewTitle: string;
  dailyTitle: (n: number) => string;
  releaseTitle: string;
  releaseIntro: (hours: number) => string;
  noReleases: string;
  seriesHeading: string;
  noSeries: string;
  episodesHeading: string;
  // series
  seriesTitle: (title: string) => string;
  peersTitle: string;
  completionsPerDayTitle: string;
  completionsTitle: string;
  p2pTitle: string;
  episode: string;
  published: string;
  withdrawn: string;
  notPublished: string;
  // episode
  episodeTitle: (code: string, title: string) => string;
  size: string;
  infoHashes: string;
  releaseCurveTitle: string;
  figuresHeading: string;
  // clients
  clientsTitle: string;
  clientsChartTitle: string;
  clientsNote: string;
  client: string;
  families: string;
  familiesTitle: string;
  ipv6Share: string;
  protocol: string;
  byProtocol: string;
  // rights
  rightsTitle: (days: number) => string;
  rightsIntro: string;
  when: string;
  change: string;
  goesLive: string;
  expires: string;
  cleared: string;
  yes: string;
  notCleared: string;
  nothingScheduled: string;
  // publishing
  publishTitle: string;
  inboxHeading: string;
  inboxAt: (dir: string) => string;
  inboxMissing: (dir: string) => string;
  inboxEmpty: string;
  fileName: string;
  modified: string;
  formHeading: string;
  mediaFile: string;
  chooseFile: string;
  metadata: string;
  series: string;
  seriesHint: string;
  newSeries: string;
  season: string;
  episodeNumber: string;
  title: string;
  description: string;
  rightsHeading: string;
  licence: string;
  licenceHint: string;
  holders: string;
  holdersHint: string;
  clearedLabel: string;
  clearedHint: string;
  availableFrom: string;
  availableFromHint: (zone: string) => string;
  availableUntil: string;
  availableUntilHint: string;
  subtitlesHeading: string;
  subtitlesHint: string;
  subtitleLanguage: (file: string) => string;
  noSubtitleFiles: string;
  options: string;
  linkLabel: string;
  v1Label: string;
  noProbeLabel: string;
  publishButton: string;
  publishError: string;
  jobTitle: string;
  jobState: Record<'checking' | 'copying' | 'hashing' | 'saving' | 'done' | 'failed', string>;
  hashingProgress: string;
  jobFor: (label: string, user: string) => string;
  resultHeading: string;
  magnet: string;
  episodeStats: string;
  notes: string;
  recentJobs: string;
  noJobs: string;
  anotherRunning: (label: string, user: string) => string;
  noScriptRefresh: string;
  // password
  passwordTitle: string;
  passwordIntro: string;
  passwordRequired: string;
  currentPassword: string;
  newPassword: string;
  repeatPassword: string;
  passwordHint: (n: number) => string;
  changeButton: string;
  passwordsDiffer: string;
  wrongPassword: string;
  weakPassword: (n: number) => string;
  passwordChanged: string;
  // login
  loginTitle: string;
  userName: string;
  loginButton: string;
  loginExpired: string;
  loginInvalid: string;
  loginLocked: string;
}

export const adminText = defineMessages<AdminText>({
  nb: {
    area: 'Redaksjon',
    navLabel: 'Redaksjonsmeny',
    overview: 'Oversikt',
    clients: 'Klienter og IP',
    rights: 'Rettighetskalender',
    publish: 'Publiser',
    password: 'Passord',
    logout: 'Logg ut',
    signedInAs: (u, r) => `Logget inn som ${u} (${r}).`,
    timesIn: (z) => `Tider i ${z}.`,
    forbiddenTitle: 'Ingen tilgang',
    forbidden: (r) => `Rollen ${r} har ikke tilgang til denne siden.`,
    csrfTitle: 'Skjemaet er utløpt',
    csrf: 'Skjemaet er utløpt eller kom fra et annet sted. Last inn siden på nytt og prøv igjen. Ingenting ble endret.',
    notFoundTitle: 'Fant ikke siden',
    notFound: 'Her er det ingenting.',
    today: 'I dag',
    lastDays: (n) => `Siste ${n} dager`,
    range: (a, b) => `${a} – ${b}`,
    completions: 'Fullførte nedlastinger',
    allCompletions: 'Alle torrenter trackeren så',
    catalogCompletions: 'Katalogens episoder',
    peakPeers: 'Største sverm',
    peakAt: (p, at) => `${p} (${at})`,
    p2pShare: 'P2P-andel',
    p2pShareWithPartial: 'P2P-andel med avbrutte nedlastinger',
    webSeedBytes: 'Sendt fra webseed (HTTP)',
    deliveredBytes: 'Levert i alt',
    partialBytes: 'Avbrutte nedlastinger',
    costSaved: 'Spart HTTP-kostnad',
    costSavedWithPartial: 'Spart HTTP-kostnad med avbrutte nedlastinger',
    costNote: (p) => `Ved ${p} per GB levert over vanlig HTTP.`,
    seeders: 'Delere',
    leechers: 'Nedlastere',
    peers: 'Klienter i svermen',
    time: 'Tid',
    day: 'Dag',
    hour: 'Time',
    hoursAfter: 'Timer etter publisering',
    share: 'Andel',
    announces: 'Kunngjøringer',
    noData: 'Ingen data ennå',
    notDefined: '–',
    showTable: 'Vis tallene som tabell',
    csv: 'Last ned CSV',
    csvOf: (w) => `Last ned CSV: ${w}`,
    rangeNav: 'Periode',
    days: (n) => `${n} dager`,
    resolution: 'Oppløsning',
    byHour: 'Per time',
    byMinute: 'Per minutt (siste 2 dager)',
    overviewTitle: 'Oversikt',
    dailyTitle: (n) => `Fullførte nedlastinger per dag, siste ${n} dager`,
    releaseTitle: 'Utgivelseskurver',
    releaseIntro: (h) => `Fullførte nedlastinger siden publisering, time for time (inntil ${h} timer).`,
    noReleases: 'Ingen episoder publisert i perioden.',
    seriesHeading: 'Serier',
    noSeries: 'Ingen serier ennå.',
    episodesHeading: 'Episoder',
    seriesTitle: (t) => `Serie: ${t}`,
    peersTitle: 'Delere og nedlastere over tid',
    completionsPerDayTitle: 'Fullførte nedlastinger per dag',
    completionsTitle: 'Fullførte nedlastinger over tid',
    p2pTitle: 'P2P-andel hittil i perioden',
    episode: 'Episode',
    published: 'Publisert',
    withdrawn: 'trukket tilbake',
    notPublished: 'ikke publisert',
    episodeTitle: (c, t) => `${c}: ${t}`,
    size: 'Størrelse',
    infoHashes: 'Info-hasher',
    releaseCurveTitle: 'Utgivelseskurve: fullførte nedlastinger siden publisering',
    figuresHeading: 'Nøkkeltall',
    clientsTitle: 'Klienter og IPv4/IPv6',
    clientsChartTitle: 'Klientprogrammer, andel av kunngjøringer',
    clientsNote: 'Anslått fra et utvalg av klientenes peer-id.',
    client: 'Klient',
    families: 'IPv4 og IPv6',
    familiesTitle: 'Kunngjøringer per dag over IPv4 og IPv6',
    ipv6Share: 'IPv6-andel',
    protocol: 'Protokoll',
    byProtocol: 'Per protokoll',
    rightsTitle: (d) => `Rettighetskalender, neste ${d} dager`,
    rightsIntro: 'Hva som blir tilgjengelig og hva som utløper.',
    when: 'Når',
    change: 'Endring',
    goesLive: 'blir tilgjengelig',
    expires: 'utløper',
    cleared: 'Klarert for hele verden',
    yes: 'ja',
    notCleared: 'nei: blir ikke distribuert',
    nothingScheduled: 'Ingenting skjer i perioden.',
    publishTitle: 'Publiser fra innboksen',
    inboxHeading: 'Innboksen',
    inboxAt: (d) => `Filer i ${d}:`,
    inboxMissing: (d) => `Innboksen ${d} finnes ikke. Opprett mappen og legg filene der.`,
    inboxEmpty: 'Innboksen er tom.',
    fileName: 'Fil',
    modified: 'Endret',
    formHeading: 'Ny episode',
    mediaFile: 'Videofil',
    chooseFile: 'Velg en fil',
    metadata: 'Episoden',
    series: 'Serie',
    seriesHint: 'Seriens tittel eller kortnavn.',
    newSeries: 'Opprett serien hvis den ikke finnes',
    season: 'Sesong',
    episodeNumber: 'Episode',
    title: 'Tittel',
    description: 'Beskrivelse',
    rightsHeading: 'Rettigheter',
    licence: 'Lisens',
    licenceHint: 'En SPDX-id (CC-BY-4.0) eller all-rights-reserved.',
    holders: 'Rettighetshavere',
    holdersHint: 'Én per linje, i rekkefølgen de krediteres.',
    clearedLabel: 'Rettighetene er klarert for hele verden',
    clearedHint: 'Uten dette lagres episoden, men distribueres ikke.',
    availableFrom: 'Tilgjengelig fra',
    availableFromHint: (z) => `Tid i ${z}. Tomt: nå.`,
    availableUntil: 'Tilgjengelig til',
    availableUntilHint: 'Tomt: ingen slutt.',
    subtitlesHeading: 'Undertekster fra innboksen',
    subtitlesHint:
      'Skriv språkkoden (nb, nn, se, en) for filene som hører til episoden; la resten stå tomme.',
    subtitleLanguage: (f) => `Språk for ${f}`,
    noSubtitleFiles: 'Ingen undertekstfiler (.srt, .vtt) i innboksen.',
    options: 'Valg',
    linkLabel: 'Hardlenk filen i stedet for å kopiere den',
    v1Label: 'Bare v1-torrent (standard: hybrid v1+v2)',
    noProbeLabel: 'Publiser uten ffprobe (filen sjekkes ikke som video)',
    publishButton: 'Publiser',
    publishError: 'Ikke publisert',
    jobTitle: 'Publisering',
    jobState: {
      checking: 'Kontrollerer',
      copying: 'Kopierer',
      hashing: 'Hasher',
      saving: 'Lagrer',
      done: 'Publisert',
      failed: 'Feilet',
    },
    hashingProgress: 'Hashing',
    jobFor: (l, u) => `${l}, startet av ${u}`,
    resultHeading: 'Resultat',
    magnet: 'Magnetlenke',
    episodeStats: 'Statistikk for episoden',
    notes: 'Merknader',
    recentJobs: 'Siste publiseringer',
    noJobs: 'Ingen publiseringer siden tjenesten startet.',
    anotherRunning: (l, u) => `en annen publisering pågår (${l}, startet av ${u}); vent til den er ferdig`,
    noScriptRefresh: 'Siden oppdateres av seg selv hvert annet sekund.',
    passwordTitle: 'Bytt passord',
    passwordIntro: 'Velg et nytt passord.',
    passwordRequired: 'Engangspassordet må byttes før du kan fortsette.',
    currentPassword: 'Nåværende passord',
    newPassword: 'Nytt passord',
    repeatPassword: 'Gjenta det nye passordet',
    passwordHint: (n) => `Minst ${n} tegn.`,
    changeButton: 'Bytt passord',
    passwordsDiffer: 'De to nye passordene er ikke like.',
    wrongPassword: 'Det nåværende passordet er feil.',
    weakPassword: (n) => `Passordet må ha minst ${n} tegn og være forskjellig fra det gamle.`,
    passwordChanged: 'Passordet er byttet.',
    loginTitle: 'Logg inn',
    userName: 'Brukernavn',
    loginButton: 'Logg inn',
    loginExpired: 'Skjemaet er utløpt. Prøv igjen.',
    loginInvalid: 'Feil brukernavn eller passord.',
    loginLocked: 'For mange mislykte forsøk. Prøv igjen om 15 minutter.',
  },
  en: {
    area: 'Newsroom',
    navLabel: 'Newsroom menu',
    overview: 'Overview',
    clients: 'Clients and IP',
    rights: 'Rights calendar',
    publish: 'Publish',
    password: 'Password',
    logout: 'Log out',
    signedInAs: (u, r) => `Signed in as ${u} (${r}).`,
    timesIn: (z) => `Times in ${z}.`,
    forbiddenTitle: 'Forbidden',
    forbidden: (r) => `The ${r} role may not open this page.`,
    csrfTitle: 'The form expired',
    csrf: 'The form expired or came from elsewhere. Reload the page and try again. Nothing was changed.',
    notFoundTitle: 'Page not found',
    notFound: 'There is nothing here.',
    today: 'Today',
    lastDays: (n) => `Last ${n} days`,
    range: (a, b) => `${a} – ${b}`,
    completions: 'Completed downloads',
    allCompletions: 'All torrents the tracker saw',
    catalogCompletions: "The catalog's episodes",
    peakPeers: 'Peak swarm',
    peakAt: (p, at) => `${p} (${at})`,
    p2pShare: 'P2P share',
    p2pShareWithPartial: 'P2P share with partial downloads',
    webSeedBytes: 'Sent by the web seed (HTTP)',
    deliveredBytes: 'Delivered in all',
    partialBytes: 'Partial downloads',
    costSaved: 'HTTP cost saved',
    costSavedWithPartial: 'HTTP cost saved with partial downloads',
    costNote: (p) => `At ${p} per GB delivered over plain HTTP.`,
    seeders: 'Seeders',
    leechers: 'Leechers',
    peers: 'Peers in the swarm',
    time: 'Time',
    day: 'Day',
    hour: 'Hour',
    hoursAfter: 'Hours after publication',
    share: 'Share',
    announces: 'Announces',
    noData: 'No data yet',
    notDefined: '–',
    showTable: 'Show the figures as a table',
    csv: 'Download CSV',
    csvOf: (w) => `Download CSV: ${w}`,
    rangeNav: 'Period',
    days: (n) => `${n} days`,
    resolution: 'Resolution',
    byHour: 'Hourly',
    byMinute: 'By minute (last 2 days)',
    overviewTitle: 'Overview',
    dailyTitle: (n) => `Completed downloads per day, last ${n} days`,
    releaseTitle: 'Release curves',
    releaseIntro: (h) => `Completed downloads since publication, hour by hour (up to ${h} hours).`,
    noReleases: 'No episodes were published in the period.',
    seriesHeading: 'Series',
    noSeries: 'No series yet.',
    episodesHeading: 'Episodes',
    seriesTitle: (t) => `Series: ${t}`,
    peersTitle: 'Seeders and leechers over time',
    completionsPerDayTitle: 'Completed downloads per day',
    completionsTitle: 'Completed downloads over time',
    p2pTitle: 'P2P share so far in the period',
    episode: 'Episode',
    published: 'Published',
    withdrawn: 'withdrawn',
    notPublished: 'not published',
    episodeTitle: (c, t) => `${c}: ${t}`,
    size: 'Size',
    infoHashes: 'Info hashes',
    releaseCurveTitle: 'Release curve: completed downloads since publication',
    figuresHeading: 'Key figures',
    clientsTitle: 'Clients and IPv4/IPv6',
    clientsChartTitle: 'Client software, share of announces',
    clientsNote: "Estimated from a sample of the clients' peer ids.",
    client: 'Client',
    families: 'IPv4 and IPv6',
    familiesTitle: 'Announces per day over IPv4 and IPv6',
    ipv6Share: 'IPv6 share',
    protocol: 'Protocol',
    byProtocol: 'By protocol',
    rightsTitle: (d) => `Rights calendar, next ${d} days`,
    rightsIntro: 'What goes live and what expires.',
    when: 'When',
    change: 'Change',
    goesLive: 'goes live',
    expires: 'expires',
    cleared: 'Cleared worldwide',
    yes: 'yes',
    notCleared: 'no: will not be distributed',
    nothingScheduled: 'Nothing changes in the period.',
    publishTitle: 'Publish from the inbox',
    inboxHeading: 'The inbox',
    inboxAt: (d) => `Files in ${d}:`,
    inboxMissing: (d) => `The inbox ${d} does not exist. Create the folder and put the files there.`,
    inboxEmpty: 'The inbox is empty.',
    fileName: 'File',
    modified: 'Modified',
    formHeading: 'New episode',
    mediaFile: 'Video file',
    chooseFile: 'Choose a file',
    metadata: 'The episode',
    series: 'Series',
    seriesHint: "The series' title or short name (slug).",
    newSeries: 'Create the series if it does not exist',
    season: 'Season',
    episodeNumber: 'Episode',
    title: 'Title',
    description: 'Description',
    rightsHeading: 'Rights',
    licence: 'Licence',
    licenceHint: 'An SPDX id (CC-BY-4.0) or all-rights-reserved.',
    holders: 'Rights holders',
    holdersHint: 'One a line, in credit order.',
    clearedLabel: 'Rights are cleared for worldwide distribution',
    clearedHint: 'Without it the episode is stored, not distributed.',
    availableFrom: 'Available from',
    availableFromHint: (z) => `Time in ${z}. Empty: now.`,
    availableUntil: 'Available until',
    availableUntilHint: 'Empty: no end.',
    subtitlesHeading: 'Subtitles from the inbox',
    subtitlesHint:
      'Type the language code (nb, nn, se, en) for the files that belong to the episode; leave the others empty.',
    subtitleLanguage: (f) => `Language of ${f}`,
    noSubtitleFiles: 'No subtitle files (.srt, .vtt) in the inbox.',
    options: 'Options',
    linkLabel: 'Hard-link the file instead of copying it',
    v1Label: 'A v1-only torrent (default: hybrid v1+v2)',
    noProbeLabel: 'Publish without ffprobe (the file is not checked to be a video)',
    publishButton: 'Publish',
    publishError: 'Not published',
    jobTitle: 'Publication',
    jobState: {
      checking: 'Checking',
      copying: 'Copying',
      hashing: 'Hashing',
      saving: 'Saving',
      done: 'Published',
      failed: 'Failed',
    },
    hashingProgress: 'Hashing',
    jobFor: (l, u) => `${l}, started by ${u}`,
    resultHeading: 'Result',
    magnet: 'Magnet link',
    episodeStats: "The episode's statistics",
    notes: 'Notes',
    recentJobs: 'Recent publications',
    noJobs: 'No publications since the service started.',
    anotherRunning: (l, u) => `another publication is running (${l}, started by ${u}); wait for it to finish`,
    noScriptRefresh: 'This page reloads itself every two seconds.',
    passwordTitle: 'Change password',
    passwordIntro: 'Choose a new password.',
    passwordRequired: 'Change the one-time password before you go on.',
    currentPassword: 'Current password',
    newPassword: 'New password',
    repeatPassword: 'Repeat the new password',
    passwordHint: (n) => `At least ${n} characters.`,
    changeButton: 'Change password',
    passwordsDiffer: 'The two new passwords differ.',
    wrongPassword: 'The current password is wrong.',
    weakPassword: (n) => `The password needs at least ${n} characters and must differ from the old one.`,
    passwordChanged: 'The password was changed.',
    loginTitle: 'Log in',
    userName: 'User name',
    loginButton: 'Log in',
    loginExpired: 'The form expired. Please try again.',
    loginInvalid: 'Wrong user name or password.',
    loginLocked: 'Too many failed attempts. Try again in 15 minutes.',
  },
});

/** Formatting of the dashboard's figures in one language and zone. */
export class Fmt {
  constructor(
    readonly lang: Lang,
    readonly timeZone: string,
  ) {}

  num(n: number): string {
    return formatNumber(this.lang, n);
  }

  /** A share in [0, 1] as a percentage; null (undefined share) as a dash. */
  pct(x: number | null): string {
    if (x === null) return '–';
    return new Intl.NumberFormat(LOCALES[this.lang], { style: 'percent', maximumFractionDigits: 1 }).format(
      x,
    );
  }

  bytes(n: number): string {
    return formatBytes(this.lang, n);
  }

  money(amount: number | null, currency: string): string {
    if (amount === null) return '–';
    try {
      return new Intl.NumberFormat(LOCALES[this.lang], { style: 'currency', currency }).format(amount);
    } catch {
      return `${amount} ${currency}`;
    }
  }

  /** An instant (epoch ms or ISO text) as a long local date and time in the zone. */
  dateTime(t: number | string): string {
    const ms = typeof t === 'number' ? t : Date.parse(t);
    return formatDateTime(this.lang, new Date(ms), this.timeZone, {
      dateStyle: 'medium',
      timeStyle: 'short',
    });
  }

  /** A local day YYYY-MM-DD in words ("2. juni 2026"). */
  day(day: string): string {
    // Noon UTC of that date is the same date in every zone within ±12 h.
    return formatDateTime(this.lang, new Date(`${day}T12:00:00Z`), 'UTC', { dateStyle: 'medium' });
  }

  /** Short tick labels: "02.06" for days, "02.06 18:00" for instants (numeric, the same in both languages). */
  tickDay(day: string): string {
    return `${day.slice(8, 10)}.${day.slice(5, 7)}`;
  }

  /** A time axis tick: the date at local midnight ("02.06"), otherwise the time of day ("18:00"). */
  tickTime(ms: number): string {
    const s = formatLocal(ms, this.timeZone);
    const hm = s.slice(11, 16);
    return hm === '00:00' ? `${s.slice(8, 10)}.${s.slice(5, 7)}` : hm;
  }

  /**
   * Round instants between min and max for a time axis, at most about six: every 1, 5, 10, 15 or 30
   * minutes, 1, 2, 3, 6 or 12 hours of local time, or local midnights every 1, 2 or 7 days.
   */
  timeTicks(min: number, max: number): number[] {
    const MIN = 60_000;
    const HOUR = 60 * MIN;
    const DAY = 24 * HOUR;
    const steps = [MIN, 5 * MIN, 10 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR];
    const span = max - min;
    const step = steps.find((s) => span / s <= 6);
    const out: number[] = [];
    if (step !== undefined) {
      // Whole steps of local time (the offset at the start: a DST change inside shifts later ticks by an hour).
      const off = offsetAt(min, this.timeZone);
      for (let t = Math.ceil((min + off) / step) * step - off; t <= max; t += step) out.push(t);
      return out;
    }
    const every = [1, 2, 7].find((d) => span / (d * DAY) <= 6) ?? Math.ceil(span / (6 * DAY));
    let day = localDay(min, this.timeZone);
    let t = startOfDay(day, this.timeZone);
    if (t < min) t = startOfDay((day = addDays(day, 1)), this.timeZone);
    while (t <= max) {
      out.push(t);
      day = addDays(day, every);
      t = startOfDay(day, this.timeZone);
    }
    return out;
  }

  /** An ISO instant for <time datetime> (UTC, which any reader understands). */
  iso(t: number | string): string {
    return new Date(typeof t === 'number' ? t : Date.parse(t)).toISOString();
  }
}

/** S01E02, as broadcasters write it. */
export function episodeCode(season: number, episode: number): string {
  return `S${String(season).padStart(2, '0')}E${String(episode).padStart(2, '0')}`;
}

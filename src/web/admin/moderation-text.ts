/**
 * The moderation pages' words in Norwegian Bokmål and English. The newsroom's shared words (menu,
 * log out, password, the 403/CSRF/404 pages) are the dashboard's (text.ts), so both areas read alike.
 */
import { defineMessages } from '../i18n.js';

export interface ModerationText {
  moderation: string;
  queueTitle: string;
  queueIntro: string;
  queueEmpty: string;
  submitted: string;
  episode: string;
  language: string;
  credit: string;
  cues: string;
  address: string;
  review: string;
  recentTitle: string;
  noRecent: string;
  decided: string;
  decidedBy: string;
  bansTitle: string;
  noBans: string;
  bannedAt: string;
  reason: string;
  lift: string;
  reviewTitle: (language: string, episode: string) => string;
  status: string;
  state: Record<'pending' | 'approved' | 'rejected', string>;
  licence: string;
  size: string;
  format: string;
  checksum: string;
  preview: string;
  previewIntro: string;
  previewUnavailable: string;
  candidateTrack: (language: string) => string;
  byViewers: string;
  downloadCandidate: string;
  diffTitle: string;
  against: string;
  official: string;
  version: (id: number, credit: string, state: string) => string;
  compare: string;
  noBase: string;
  diffSummary: (added: number, removed: number) => string;
  gaveUp: string;
  unreadable: string;
  skipped: (n: number) => string;
  legend: string;
  actions: string;
  approve: string;
  reapprove: string;
  rejectReason: string;
  reject: string;
  withdraw: string;
  banReason: string;
  ban: string;
  banNote: (address: string) => string;
  history: string;
  thisOne: string;
  done: Record<'approved' | 'rejected' | 'banned' | 'lifted', string>;
  unchanged: (state: string) => string;
  reasonRequired: string;
  back: string;
  dashboard: string;
}

export const moderationText = defineMessages<ModerationText>({
  nb: {
    moderation: 'Moderering',
    queueTitle: 'Undertekster fra seerne',
    queueIntro:
      'Oversettelser seerne har sendt inn. Se på hver av dem i spilleren og godkjenn eller avvis; godkjente legges ut på episodesiden, i spilleren og i strømmene, aldri i torrenten.',
    queueEmpty: 'Ingen innsendinger venter.',
    submitted: 'Sendt inn',
    episode: 'Episode',
    language: 'Språk',
    credit: 'Kreditert som',
    cues: 'Replikker',
    address: 'Adresse',
    review: 'Se på',
    recentTitle: 'Siste avgjørelser',
    noRecent: 'Ingen avgjørelser ennå.',
    decided: 'Avgjort',
    decidedBy: 'Av',
    bansTitle: 'Utestengte adresser',
    noBans: 'Ingen adresser er utestengt.',
    bannedAt: 'Utestengt',
    reason: 'Begrunnelse',
    lift: 'Opphev',
    reviewTitle: (l, e) => `${l} til ${e}`,
    status: 'Status',
    state: { pending: 'venter', approved: 'godkjent', rejected: 'avvist' },
    licence: 'Lisens',
    size: 'Størrelse',
    format: 'Sendt inn som',
    checksum: 'SHA-256',
    preview: 'Forhåndsvisning',
    previewIntro: 'Episoden med kandidaten valgt som undertekst.',
    previewUnavailable: 'Episoden distribueres ikke nå, så videoen kan ikke spilles her.',
    candidateTrack: (l) => `Kandidat: ${l}`,
    byViewers: 'fra seerne',
    downloadCandidate: 'Last ned kandidaten (.vtt)',
    diffTitle: 'Endringer i teksten',
    against: 'Sammenlignet med',
    official: 'de offisielle undertekstene',
    version: (id, c, s) => `innsending ${id} fra ${c} (${s})`,
    compare: 'Sammenlign',
    noBase: 'Ingen tidligere versjon av dette språket. Alle replikkene:',
    diffSummary: (a, r) => `${a} replikker lagt til, ${r} fjernet (tidskoder teller ikke).`,
    gaveUp: 'Filene er for ulike til å sammenlignes replikk for replikk.',
    unreadable: 'Den tidligere versjonen kan ikke leses.',
    skipped: (n) => (n === 1 ? '… 1 lik replikk …' : `… ${n} like replikker …`),
    legend: '− fjernet, + lagt til.',
    actions: 'Avgjørelse',
    approve: 'Godkjenn og legg ut',
    reapprove: 'Godkjenn likevel',
    rejectReason: 'Begrunnelse (den som sendte inn, ser den)',
    reject: 'Avvis',
    withdraw: 'Trekk tilbake',
    banReason: 'Begrunnelse for utestengingen',
    ban: 'Steng ute adressen',
    banNote: (a) =>
      `Adressen ${a} får ikke sende inn flere undertekster, og alle ventende innsendinger fra den avvises.`,
    history: 'Alle versjoner av dette språket',
    thisOne: 'denne',
    done: {
      approved: 'Godkjent. Oversettelsen ligger ute om et sekund eller to.',
      rejected: 'Avvist.',
      banned: 'Adressen er stengt ute.',
      lifted: 'Utestengingen er opphevet.',
    },
    unchanged: (s) => `Innsendingen er allerede ${s}.`,
    reasonRequired: 'Skriv en begrunnelse for avvisningen.',
    back: 'Til køen',
    dashboard: 'Oversikt',
  },
  en: {
    moderation: 'Moderation',
    queueTitle: 'Subtitles from viewers',
    queueIntro:
      'Translations viewers have sent in. Review each in the player and approve or reject it; approved ones appear on the episode page, in the player and in the feeds, never in the torrent.',
    queueEmpty: 'No submissions are waiting.',
    submitted: 'Submitted',
    episode: 'Episode',
    language: 'Language',
    credit: 'Credited as',
    cues: 'Cues',
    address: 'Address',
    review: 'Review',
    recentTitle: 'Recent decisions',
    noRecent: 'No decisions yet.',
    decided: 'Decided',
    decidedBy: 'By',
    bansTitle: 'Banned addresses',
    noBans: 'No address is banned.',
    bannedAt: 'Banned',
    reason: 'Reason',
    lift: 'Lift',
    reviewTitle: (l, e) => `${l} for ${e}`,
    status: 'Status',
    state: { pending: 'pending', approved: 'approved', rejected: 'rejected' },
    licence: 'Licence',
    size: 'Size',
    format: 'Submitted as',
    checksum: 'SHA-256',
    preview: 'Preview',
    previewIntro: 'The episode with the candidate chosen as its subtitles.',
    previewUnavailable: 'The episode is not distributed now, so its video cannot play here.',
    candidateTrack: (l) => `Candidate: ${l}`,
    byViewers: 'by viewers',
    downloadCandidate: 'Download the candidate (.vtt)',
    diffTitle: 'Changes in the text',
    against: 'Compared with',
    official: 'the official subtitles',
    version: (id, c, s) => `submission ${id} by ${c} (${s})`,
    compare: 'Compare',
    noBase: 'No earlier version of this language. All its cues:',
    diffSummary: (a, r) => `${a} cues added, ${r} removed (timings do not count).`,
    gaveUp: 'The files are too different to compare cue by cue.',
    unreadable: 'The earlier version cannot be read.',
    skipped: (n) => (n === 1 ? '… 1 unchanged cue …' : `… ${n} unchanged cues …`),
    legend: '− removed, + added.',
    actions: 'Decision',
    approve: 'Approve and publish',
    reapprove: 'Approve after all',
    rejectReason: 'Reason (the submitter sees it)',
    reject: 'Reject',
    withdraw: 'Withdraw',
    banReason: 'Reason for the ban',
    ban: 'Ban the address',
    banNote: (a) =>
      `The address ${a} may send no more subtitles, and every pending submission from it is rejected.`,
    history: 'Every version of this language',
    thisOne: 'this one',
    done: {
      approved: 'Approved. The translation is published within a second or two.',
      rejected: 'Rejected.',
      banned: 'The address is banned.',
      lifted: 'The ban is lifted.',
    },
    unchanged: (s) => `The submission is ${s} already.`,
    reasonRequired: 'Give a reason for the rejection.',
    back: 'To the queue',
    dashboard: 'Overview',
  },
});

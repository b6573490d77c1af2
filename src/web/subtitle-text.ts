/**
 * The words of the community subtitle pages viewers see (the contribute form on the episode page,
 * the refusal page, the status page), in Norwegian Bokmål and English. Refusal reasons themselves
 * come from the subtitle library and the submission rules (one line, English) and are shown as given.
 */
import { defineMessages } from './i18n.js';

export interface SubtitleText {
  contributeHeading: string;
  contributeIntro: (limit: string, duration: string | null) => string;
  language: string;
  languageHint: string;
  file: string;
  fileHint: string;
  name: string;
  nameHint: string;
  honeypot: string;
  licence: string;
  licenceRead: string;
  addressNotice: string;
  submit: string;
  closed: string;
  refusedTitle: string;
  refused: string;
  tryAgain: string;
  backToEpisode: string;
  statusTitle: string;
  thanks: string;
  keepLink: string;
  state: Record<'pending' | 'approved' | 'rejected', string>;
  status: string;
  episode: string;
  submitted: string;
  decided: string;
  reason: string;
  credit: string;
  licenceUsed: string;
  translatedBy: (name: string) => string;
  seeEpisode: string;
}

export const subtitleText = defineMessages<SubtitleText>({
  nb: {
    contributeHeading: 'Bidra med en oversettelse',
    contributeIntro: (limit, duration) =>
      `Har du oversatt undertekstene til et annet språk? Send dem inn, så ser en moderator på dem før de legges ut her med navnet ditt. SRT eller WebVTT i UTF-8, høyst ${limit}${duration === null ? '' : `, og ingen replikk etter at episoden slutter (${duration})`}.`,
    language: 'Språk',
    languageHint: 'En språkkode (BCP 47), for eksempel en, de, se, uk eller pt-BR.',
    file: 'Undertekstfil',
    fileHint: '.srt eller .vtt',
    name: 'Navnet ditt',
    nameHint: 'Slik du vil bli kreditert, høyst 100 tegn.',
    honeypot: 'La dette feltet stå tomt',
    licence: 'Jeg har laget oversettelsen selv og gir den ut under lisensen',
    licenceRead: 'Les lisensen',
    addressNotice:
      'Adressen din (IP-adressen) lagres sammen med innsendingen, så moderatorene kan stoppe spam.',
    submit: 'Send til moderering',
    closed: 'Tjenesten tar ikke imot oversettelser nå.',
    refusedTitle: 'Undertekstene ble ikke tatt imot',
    refused: 'Grunnen:',
    tryAgain: 'Rett opp filen eller skjemaet og prøv igjen:',
    backToEpisode: 'Tilbake til episoden',
    statusTitle: 'Oversettelsen din',
    thanks: 'Takk! Oversettelsen er sendt til moderering.',
    keepLink: 'Ta vare på lenken til denne siden: her ser du hva som skjer med oversettelsen.',
    state: { pending: 'Venter på moderering', approved: 'Godkjent og lagt ut', rejected: 'Avvist' },
    status: 'Status',
    episode: 'Episode',
    submitted: 'Sendt inn',
    decided: 'Avgjort',
    reason: 'Begrunnelse',
    credit: 'Kreditert som',
    licenceUsed: 'Lisens',
    translatedBy: (name) => `Oversatt av ${name}`,
    seeEpisode: 'Se episoden',
  },
  en: {
    contributeHeading: 'Contribute a translation',
    contributeIntro: (limit, duration) =>
      `Have you translated the subtitles into another language? Send them in: a moderator checks them before they appear here with your name. SRT or WebVTT in UTF-8, at most ${limit}${duration === null ? '' : `, with no cue after the episode ends (${duration})`}.`,
    language: 'Language',
    languageHint: 'A language code (BCP 47), for instance en, de, se, uk or pt-BR.',
    file: 'Subtitle file',
    fileHint: '.srt or .vtt',
    name: 'Your name',
    nameHint: 'As you want to be credited, at most 100 characters.',
    honeypot: 'Leave this field empty',
    licence: 'I made this translation myself and publish it under the licence',
    licenceRead: 'Read the licence',
    addressNotice: 'Your (IP) address is stored with the submission, so that moderators can stop spam.',
    submit: 'Send for moderation',
    closed: 'This service does not take translations right now.',
    refusedTitle: 'The subtitles were not accepted',
    refused: 'The reason:',
    tryAgain: 'Correct the file or the form and try again:',
    backToEpisode: 'Back to the episode',
    statusTitle: 'Your translation',
    thanks: 'Thank you! The translation has been sent for moderation.',
    keepLink: 'Keep the link to this page: it shows what happens to the translation.',
    state: { pending: 'Waiting for moderation', approved: 'Approved and published', rejected: 'Rejected' },
    status: 'Status',
    episode: 'Episode',
    submitted: 'Submitted',
    decided: 'Decided',
    reason: 'Reason',
    credit: 'Credited as',
    licenceUsed: 'Licence',
    translatedBy: (name) => `Translated by ${name}`,
    seeEpisode: 'Watch the episode',
  },
});

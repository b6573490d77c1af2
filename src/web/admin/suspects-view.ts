/**
 * /admin/sources: the addresses that hit the tracker's per-address limits (src/swarm/address-limits.ts),
 * so a newsroom can see who tried to inflate its figures, and what was not counted. Words in both
 * languages here, beside the page (the limits are described in docs/statistics.md).
 */
import type { Suspect } from '../../swarm/address-limits.js';
import { html } from '../html.js';
import type { Lang } from '../i18n.js';
import type { Fmt } from './text.js';
import { table, type View } from './views.js';

export interface SuspectsData {
  suspects: Suspect[];
  peersPerAddress: number;
  completionsPerAddress: number;
  peersRefused: number;
  completionsIgnored: number;
  /** Refusals from addresses not listed (the list holds 256). */
  unlisted: number;
}

const words = {
  nb: {
    title: 'Mistenkelige kilder',
    nav: 'Mistenkelige kilder',
    intro: (p: number, c: number) =>
      `Adresser (IPv4, eller IPv6 /64) som har nådd grensene: høyst ${p} deltakere per adresse i en sverm, og høyst ${c} fullførte nedlastinger per adresse og torrent i løpet av 12–24 timer. Det som går over, telles ikke. Adressen står på listen i 24 timer etter siste gang.`,
    none: 'Ingen adresse har nådd grensene det siste døgnet.',
    address: 'Adresse',
    peers: 'Deltakere avvist',
    completions: 'Fullføringer ikke telt',
    last: 'Sist',
    torrent: 'Siste torrent',
    totals: (p: string, c: string) => `Siden start: ${p} deltakere avvist, ${c} fullføringer ikke telt.`,
    unlisted: (n: string) => `${n} avvisninger fra adresser utenfor listen (den rommer 256).`,
    ago: (s: string) => `for ${s} min siden`,
  },
  en: {
    title: 'Suspicious sources',
    nav: 'Suspicious sources',
    intro: (p: number, c: number) =>
      `Addresses (IPv4, or IPv6 /64) that reached the limits: at most ${p} peers per address in a swarm, and at most ${c} completions per address and torrent within 12 to 24 hours. What goes over is not counted. An address stays listed for 24 hours after its last refusal.`,
    none: 'No address has reached the limits in the last 24 hours.',
    address: 'Address',
    peers: 'Peers refused',
    completions: 'Completions not counted',
    last: 'Last',
    torrent: 'Last torrent',
    totals: (p: string, c: string) => `Since start: ${p} peers refused, ${c} completions not counted.`,
    unlisted: (n: string) => `${n} refusals from addresses not listed (the list holds 256).`,
    ago: (s: string) => `${s} min ago`,
  },
} as const;

export const suspectsNav: Record<Lang, string> = { nb: words.nb.nav, en: words.en.nav };

export function suspectsView(lang: Lang, f: Fmt, d: SuspectsData): View {
  const w = words[lang];
  const rows = d.suspects.map((s) => [
    html`<code>${s.address}</code>`,
    f.num(s.peersRefused),
    f.num(s.completionsIgnored),
    w.ago(f.num(Math.floor(s.secondsAgo / 60))),
    html`<code>${s.lastTorrent}</code>`,
  ]);
  return {
    title: w.title,
    main: html`<h1>${w.title}</h1>
      <p>${w.intro(d.peersPerAddress, d.completionsPerAddress)}</p>
      <p>${w.totals(f.num(d.peersRefused), f.num(d.completionsIgnored))}</p>
      ${d.unlisted > 0 ? html`<p>${w.unlisted(f.num(d.unlisted))}</p>` : null}
      ${
        rows.length === 0
          ? html`<p class="muted">${w.none}</p>`
          : table(w.title, [w.address, w.peers, w.completions, w.last, w.torrent], rows, {
              id: 'suspects-table',
              numeric: [1, 2],
            })
      }`,
  };
}

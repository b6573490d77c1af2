/**
 * The moderation pages' markup (main content for the shared layout): the queue, and the review of
 * one submission with its preview, diff, history and decision forms. Everything a viewer wrote (the
 * credit, the cue texts in the diff, a rejection reason) goes through the html`` template as text.
 */
import type { Ban, DiffBase, SubmissionDetail } from '../../subtitles/service.js';
import { licenceShort } from '../../subtitles/licence.js';
import { withContext, type CueDiff } from '../../subtitles/diff.js';
import { html, type Markup } from '../html.js';
import { formatBytes, formatDateTime, formatNumber, languageName, type Lang } from '../i18n.js';
import type { ModerationText } from './moderation-text.js';

export interface ViewFormat {
  lang: Lang;
  timeZone: string;
}

export interface View {
  title: string;
  main: Markup;
}

const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}" />`;

const pad = (n: number) => String(n).padStart(2, '0');

function when(f: ViewFormat, d: Date): Markup {
  return html`<time datetime="${d.toISOString()}"
    >${formatDateTime(f.lang, d, f.timeZone, { dateStyle: 'medium', timeStyle: 'short' })}</time
  >`;
}

export function episodeLabel(d: SubmissionDetail): string {
  const e = d.episode;
  return `${e.seriesTitle} S${pad(e.season)}E${pad(e.episode)}: ${e.title}`;
}

function languageLabel(f: ViewFormat, tag: string): Markup {
  return html`${languageName(f.lang, tag)} (<code>${tag}</code>)`;
}

function notice(text: string | null, role: 'status' | 'alert' = 'status'): Markup | null {
  if (text === null) return null;
  return role === 'alert'
    ? html`<p class="error" role="alert">${text}</p>`
    : html`<p class="notice" role="status">${text}</p>`;
}

export function queueView(
  m: ModerationText,
  f: ViewFormat,
  o: {
    pending: SubmissionDetail[];
    recent: SubmissionDetail[];
    bans: Ban[];
    csrf: string;
    done: string | null;
  },
): View {
  const pending =
    o.pending.length === 0
      ? html`<p>${m.queueEmpty}</p>`
      : html`<table id="queue">
          <thead>
            <tr>
              <th scope="col">${m.submitted}</th>
              <th scope="col">${m.episode}</th>
              <th scope="col">${m.language}</th>
              <th scope="col">${m.credit}</th>
              <th scope="col" class="num">${m.cues}</th>
              <th scope="col">${m.address}</th>
              <th scope="col">${m.review}</th>
            </tr>
          </thead>
          <tbody>
            ${o.pending.map(
              (d) =>
                html`<tr>
                  <td>${when(f, d.createdAt)}</td>
                  <td>${episodeLabel(d)}</td>
                  <td>${languageLabel(f, d.language)}</td>
                  <td>${d.credit}</td>
                  <td class="num">${formatNumber(f.lang, d.cues)}</td>
                  <td><code>${d.address}</code></td>
                  <td><a href="/admin/moderation/${d.id}">${m.review}</a></td>
                </tr>`,
            )}
          </tbody>
        </table>`;
  const recent =
    o.recent.length === 0
      ? html`<p>${m.noRecent}</p>`
      : html`<table id="recent">
          <thead>
            <tr>
              <th scope="col">${m.decided}</th>
              <th scope="col">${m.episode}</th>
              <th scope="col">${m.language}</th>
              <th scope="col">${m.credit}</th>
              <th scope="col">${m.status}</th>
              <th scope="col">${m.decidedBy}</th>
            </tr>
          </thead>
          <tbody>
            ${o.recent.map(
              (d) =>
                html`<tr>
                  <td>${d.decidedAt && when(f, d.decidedAt)}</td>
                  <td><a href="/admin/moderation/${d.id}">${episodeLabel(d)}</a></td>
                  <td>${languageLabel(f, d.language)}</td>
                  <td>${d.credit}</td>
                  <td>${m.state[d.status]}${d.reason && html`: ${d.reason}`}</td>
                  <td>${d.decidedBy}</td>
                </tr>`,
            )}
          </tbody>
        </table>`;
  const bans =
    o.bans.length === 0
      ? html`<p>${m.noBans}</p>`
      : html`<table id="bans">
          <thead>
            <tr>
              <th scope="col">${m.address}</th>
              <th scope="col">${m.bannedAt}</th>
              <th scope="col">${m.reason}</th>
              <th scope="col">${m.decidedBy}</th>
              <th scope="col">${m.lift}</th>
            </tr>
          </thead>
          <tbody>
            ${o.bans.map(
              (b) =>
                html`<tr>
                  <td><code>${b.address}</code></td>
                  <td>${when(f, b.bannedAt)}</td>
                  <td>${b.reason}</td>
                  <td>${b.bannedBy}</td>
                  <td>
                    <form class="inline" method="post" action="/admin/moderation/bans/lift">
                      ${csrfField(o.csrf)}
                      <input type="hidden" name="address" value="${b.address}" />
                      <button type="submit" class="link">${m.lift}</button>
                    </form>
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>`;
  return {
    title: m.queueTitle,
    main: html`<h1>${m.queueTitle}</h1>
      ${notice(o.done)}
      <p>${m.queueIntro}</p>
      ${pending}
      <h2>${m.recentTitle}</h2>
      ${recent}
      <h2>${m.bansTitle}</h2>
      ${bans}`,
  };
}

export interface ReviewInput {
  d: SubmissionDetail;
  csrf: string;
  /** The episode's video (catalog path) when it can play here now; null otherwise. */
  video: { path: string; type: string } | null;
  /** Other subtitle tracks of the episode, for comparison in the player (public URLs). */
  tracks: Array<{ language: string; label: string; src: string }>;
  bases: DiffBase[];
  base: string | null;
  /** The diff against `base`; null when there is no base or it cannot be read. */
  diff: CueDiff | null;
  history: SubmissionDetail[];
  done: string | null;
  error: string | null;
}

function baseLabel(m: ModerationText, b: DiffBase): string {
  const s = b.submission;
  return s === null ? m.official : m.version(s.id, s.credit, m.state[s.status]);
}

function diffList(m: ModerationText, diff: CueDiff): Markup {
  return html`<ol class="diff">
    ${withContext(diff.ops).map((o) =>
      'skipped' in o
        ? html`<li class="muted">${m.skipped(o.skipped)}</li>`
        : o.op === 'same'
          ? html`<li>${o.text}</li>`
          : o.op === 'removed'
            ? html`<li><del>− ${o.text}</del></li>`
            : html`<li><ins>+ ${o.text}</ins></li>`,
    )}
  </ol>`;
}

export function reviewView(m: ModerationText, f: ViewFormat, o: ReviewInput): View {
  const d = o.d;
  const lang = languageName(f.lang, d.language);
  const candidateUrl = `/admin/moderation/${d.id}/candidate.vtt`;
  const preview = o.video
    ? html`<p>${m.previewIntro}</p>
        <div class="player">
          <video id="preview" controls preload="metadata" src="/${o.video.path}">
            <track
              kind="subtitles"
              srclang="${d.language}"
              label="${m.candidateTrack(lang)}"
              src="${candidateUrl}"
              default
            />
            ${o.tracks.map(
              (t) =>
                html`<track kind="subtitles" srclang="${t.language}" label="${t.label}" src="${t.src}" />`,
            )}
          </video>
        </div>`
    : html`<p>${m.previewUnavailable}</p>`;

  const chosen = o.bases.find((b) => b.key === o.base) ?? null;
  const compareForm =
    o.bases.length > 1
      ? html`<form method="get" action="/admin/moderation/${d.id}">
          <label for="against">${m.against}</label>
          <select id="against" name="against">
            ${o.bases.map((b) =>
              b.key === o.base
                ? html`<option value="${b.key}" selected>${baseLabel(m, b)}</option>`
                : html`<option value="${b.key}">${baseLabel(m, b)}</option>`,
            )}
          </select>
          <button type="submit" class="button secondary">${m.compare}</button>
        </form>`
      : chosen && html`<p>${m.against} ${baseLabel(m, chosen)}.</p>`;
  const diff =
    chosen === null
      ? html`<p>${m.noBase}</p>
          ${o.diff && diffList(m, o.diff)}`
      : o.diff === null
        ? html`<p>${m.unreadable}</p>`
        : html`<p id="diff-summary">${m.diffSummary(o.diff.added, o.diff.removed)} ${m.legend}</p>
            ${o.diff.gaveUp && html`<p>${m.gaveUp}</p>`} ${diffList(m, o.diff)}`;

  const approve = html`<form method="post" action="/admin/moderation/${d.id}/approve">
    ${csrfField(o.csrf)}
    <p><button type="submit" class="button">${d.status === 'rejected' ? m.reapprove : m.approve}</button></p>
  </form>`;
  const reject = html`<form method="post" action="/admin/moderation/${d.id}/reject">
    ${csrfField(o.csrf)}
    <label for="reject-reason">${m.rejectReason}</label>
    <textarea id="reject-reason" name="reason" rows="2" maxlength="500" required></textarea>
    <p>
      <button type="submit" class="button secondary">
        ${d.status === 'approved' ? m.withdraw : m.reject}
      </button>
    </p>
  </form>`;
  const ban = html`<form method="post" action="/admin/moderation/${d.id}/ban">
    ${csrfField(o.csrf)}
    <p class="hint">${m.banNote(d.address)}</p>
    <label for="ban-reason">${m.banReason}</label>
    <input type="text" id="ban-reason" name="reason" maxlength="500" value="spam" />
    <p><button type="submit" class="button secondary">${m.ban}</button></p>
  </form>`;

  const history = html`<table id="history">
    <thead>
      <tr>
        <th scope="col">${m.submitted}</th>
        <th scope="col">${m.credit}</th>
        <th scope="col" class="num">${m.cues}</th>
        <th scope="col">${m.status}</th>
      </tr>
    </thead>
    <tbody>
      ${o.history.map(
        (h) =>
          html`<tr>
            <td>
              ${
                h.id === d.id
                  ? html`${when(f, h.createdAt)} (${m.thisOne})`
                  : html`<a href="/admin/moderation/${h.id}">${when(f, h.createdAt)}</a>`
              }
            </td>
            <td>${h.credit}</td>
            <td class="num">${formatNumber(f.lang, h.cues)}</td>
            <td>${m.state[h.status]}${h.reason && html`: ${h.reason}`}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;

  const title = m.reviewTitle(lang, episodeLabel(d));
  const main = html`<p class="breadcrumb"><a href="/admin/moderation">${m.back}</a></p>
    <h1>${title}</h1>
    ${notice(o.done)} ${notice(o.error, 'alert')}
    <dl class="facts">
      <dt>${m.status}</dt>
      <dd id="status" data-status="${d.status}">
        ${m.state[d.status]}${d.decidedAt && html` (${when(f, d.decidedAt)}, ${d.decidedBy ?? ''})`}${
          d.reason && html`: ${d.reason}`
        }
      </dd>
      <dt>${m.language}</dt>
      <dd>${languageLabel(f, d.language)}</dd>
      <dt>${m.credit}</dt>
      <dd id="credit">${d.credit}</dd>
      <dt>${m.licence}</dt>
      <dd>${licenceShort(d.licence)}</dd>
      <dt>${m.submitted}</dt>
      <dd>${when(f, d.createdAt)}</dd>
      <dt>${m.address}</dt>
      <dd><code>${d.address}</code></dd>
      <dt>${m.cues}</dt>
      <dd>${formatNumber(f.lang, d.cues)}</dd>
      <dt>${m.format}</dt>
      <dd>${d.sourceFormat === 'srt' ? 'SRT' : 'WebVTT'}, ${formatBytes(f.lang, d.sizeBytes)}</dd>
      <dt>${m.checksum}</dt>
      <dd class="hash">${d.sha256}</dd>
    </dl>
    <h2>${m.preview}</h2>
    ${preview}
    <p><a href="${candidateUrl}" download>${m.downloadCandidate}</a></p>
    <h2>${m.diffTitle}</h2>
    ${compareForm} ${diff}
    <h2>${m.actions}</h2>
    ${d.status !== 'approved' && approve} ${d.status !== 'rejected' && reject} ${ban}
    <h2>${m.history}</h2>
    ${history}`;
  return { title, main };
}

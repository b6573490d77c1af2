/**
 * The publishing pages' markup: the inbox and the form (/admin/publish), and one publication's page
 * with its progress bar and then its result or its one-line error (/admin/publish/jobs/<id>).
 */
import { html, safeUrl, type Markup } from '../html.js';
import { MIN_PASSWORD_LENGTH } from '../../auth/accounts.js';
import { SUBTITLE_FIELD, type Inbox, type Job, type PublishForm } from './publishing.js';
import { episodeCode, type AdminText, type Fmt } from './text.js';
import { table, type View } from './views.js';

const csrfField = (token: string) => html`<input type="hidden" name="csrf" value="${token}" />`;

function checkbox(name: string, checked: boolean, label: string, hint: string | null = null): Markup {
  return html`<label class="check"
      >${
        checked
          ? html`<input type="checkbox" name="${name}" id="${name}" checked />`
          : html`<input type="checkbox" name="${name}" id="${name}" />`
      }
      ${label}</label
    >${hint !== null && html`<p class="hint">${hint}</p>`}`;
}

function textField(
  name: string,
  label: string,
  value: string,
  o: { hint?: string; type?: string; required?: boolean; min?: number } = {},
): Markup {
  const hintId = `${name}-hint`;
  const type = o.type ?? 'text';
  const attrs = html`type="${type}" id="${name}" name="${name}" value="${value}"`;
  const input = o.required
    ? o.min !== undefined
      ? html`<input ${attrs} min="${o.min}" required aria-describedby="${hintId}" />`
      : html`<input ${attrs} required aria-describedby="${hintId}" />`
    : html`<input ${attrs} aria-describedby="${hintId}" />`;
  return html`<label for="${name}">${label}</label>
    ${input}
    <p class="hint" id="${hintId}">${o.hint ?? ''}</p>`;
}

export function publishView(
  m: AdminText,
  f: Fmt,
  o: {
    inbox: Inbox;
    form: PublishForm;
    error: string | null;
    csrf: string;
    series: ReadonlyArray<{ slug: string; title: string }>;
    jobs: readonly Job[];
  },
): View {
  const media = o.inbox.files.filter((x) => x.kind === 'media');
  const subs = o.inbox.files.filter((x) => x.kind === 'subtitle');
  const form = o.form;
  const inboxPart = !o.inbox.exists
    ? html`<p class="warn">${m.inboxMissing(o.inbox.dir)}</p>`
    : o.inbox.files.length === 0
      ? html`<p>${m.inboxAt(o.inbox.dir)}</p>
          <p class="muted">${m.inboxEmpty}</p>`
      : html`<p>${m.inboxAt(o.inbox.dir)}</p>
          ${table(
            m.inboxHeading,
            [m.fileName, m.size, m.modified],
            o.inbox.files.map((x) => [
              html`<code>${x.name}</code>`,
              f.bytes(x.size),
              f.dateTime(x.modified.getTime()),
            ]),
            { id: 'inbox', numeric: [1] },
          )}`;
  const main = html`<h1>${m.publishTitle}</h1>
    ${
      o.error !== null &&
      html`<p class="error" role="alert" id="publish-error">${m.publishError}: ${o.error}</p>`
    }
    <h2>${m.inboxHeading}</h2>
    ${inboxPart}
    <h2>${m.formHeading}</h2>
    <form method="post" action="/admin/publish" class="publish">
      ${csrfField(o.csrf)}
      <fieldset>
        <legend>${m.mediaFile}</legend>
        <label for="file">${m.mediaFile}</label>
        <select id="file" name="file" required>
          <option value="">${m.chooseFile}</option>
          ${media.map((x) =>
            x.name === form.file
              ? html`<option value="${x.name}" selected>${x.name} (${f.bytes(x.size)})</option>`
              : html`<option value="${x.name}">${x.name} (${f.bytes(x.size)})</option>`,
          )}
        </select>
      </fieldset>
      <fieldset>
        <legend>${m.metadata}</legend>
        <label for="series">${m.series}</label>
        <input
          type="text"
          id="series"
          name="series"
          value="${form.series}"
          list="known-series"
          required
          aria-describedby="series-hint"
        />
        <datalist id="known-series">
          ${o.series.map((s) => html`<option value="${s.slug}">${s.title}</option>`)}
        </datalist>
        <p class="hint" id="series-hint">${m.seriesHint}</p>
        ${checkbox('newSeries', form.newSeries, m.newSeries)}
        ${textField('season', m.season, form.season, { type: 'number', required: true, min: 1 })}
        ${textField('episode', m.episodeNumber, form.episode, { type: 'number', required: true, min: 1 })}
        ${textField('title', m.title, form.title, { required: true })}
        <label for="description">${m.description}</label>
        <textarea id="description" name="description" rows="3">${form.description}</textarea>
      </fieldset>
      <fieldset>
        <legend>${m.rightsHeading}</legend>
        ${textField('licence', m.licence, form.licence, { hint: m.licenceHint })}
        <label for="holders">${m.holders}</label>
        <textarea id="holders" name="holders" rows="2" aria-describedby="holders-hint">
${form.holders}</textarea>
        <p class="hint" id="holders-hint">${m.holdersHint}</p>
        ${checkbox('cleared', form.cleared, m.clearedLabel, m.clearedHint)}
        ${textField('availableFrom', m.availableFrom, form.availableFrom, {
          type: 'datetime-local',
          hint: m.availableFromHint(f.timeZone),
        })}
        ${textField('availableUntil', m.availableUntil, form.availableUntil, {
          type: 'datetime-local',
          hint: m.availableUntilHint,
        })}
      </fieldset>
      <fieldset>
        <legend>${m.subtitlesHeading}</legend>
        ${
          subs.length === 0
            ? html`<p class="muted">${m.noSubtitleFiles}</p>`
            : html`<p class="hint">${m.subtitlesHint}</p>
                ${subs.map((x, i) => {
                  const id = `subtitle-${i}`;
                  return html`<label for="${id}">${m.subtitleLanguage(x.name)}</label>
                    <input
                      type="text"
                      id="${id}"
                      name="${SUBTITLE_FIELD + x.name}"
                      value="${form.subtitles.get(x.name) ?? ''}"
                      size="8"
                      autocomplete="off"
                    />`;
                })}`
        }
      </fieldset>
      <fieldset>
        <legend>${m.options}</legend>
        ${checkbox('link', form.link, m.linkLabel)} ${checkbox('v1', form.v1, m.v1Label)}
        ${checkbox('noProbe', form.noProbe, m.noProbeLabel)}
      </fieldset>
      <p><button type="submit" class="button">${m.publishButton}</button></p>
    </form>
    <h2>${m.recentJobs}</h2>
    ${
      o.jobs.length === 0
        ? html`<p class="muted">${m.noJobs}</p>`
        : html`<ul>
            ${o.jobs.map(
              (j) =>
                html`<li>
                  <a href="${`/admin/publish/jobs/${j.id}`}">${j.label}</a>: ${m.jobState[j.state]}
                  <span class="muted">(${j.user}, ${f.dateTime(j.startedAt.getTime())})</span>
                </li>`,
            )}
          </ul>`
    }`;
  return { title: m.publishTitle, main };
}

/** Percent of the hashing done (0 before it starts, 100 when done). */
export function percentOf(j: Job): number {
  if (j.state === 'done') return 100;
  return j.total > 0 ? (100 * j.done) / j.total : 0;
}

export function jobView(m: AdminText, f: Fmt, j: Job): View & { running: boolean } {
  const running = j.state !== 'done' && j.state !== 'failed';
  const pct = Math.floor(percentOf(j));
  const r = j.result;
  const main = html`<h1>${m.jobTitle}: ${j.label}</h1>
    <p class="muted">${m.jobFor(j.label, j.user)}, ${f.dateTime(j.startedAt.getTime())}</p>
    <div class="progress" ${running && html`data-progress-url="${`/admin/publish/jobs/${j.id}/progress`}"`}>
      <p>
        <strong data-state>${m.jobState[j.state]}</strong>
      </p>
      <label for="hash-progress">${m.hashingProgress}</label>
      <progress id="hash-progress" max="${j.total > 0 ? j.total : 100}" value="${j.total > 0 ? j.done : pct}">
        ${pct} %
      </progress>
      <output for="hash-progress">${pct} %</output>
      ${running && html`<noscript><p class="muted">${m.noScriptRefresh}</p></noscript>`}
    </div>
    ${j.error !== null && html`<p class="error" role="alert" id="publish-error">${m.publishError}: ${j.error}</p>`}
    ${
      r !== null &&
      html`<h2>${m.resultHeading}</h2>
        <dl class="facts" id="publish-result">
          <dt>${m.episode}</dt>
          <dd>${r.name}</dd>
          ${
            r.infoHashV1 !== null &&
            html`<dt>info hash v1</dt>
              <dd><code class="hash" id="info-hash-v1">${r.infoHashV1}</code></dd>`
          }
          ${
            r.infoHashV2 !== null &&
            html`<dt>info hash v2</dt>
              <dd><code class="hash" id="info-hash-v2">${r.infoHashV2}</code></dd>`
          }
          <dt>${m.magnet}</dt>
          <dd><a class="magnet" id="magnet" href="${safeUrl(r.magnet)}">${r.magnet}</a></dd>
          ${
            r.notes.length > 0 &&
            html`<dt>${m.notes}</dt>
              <dd>
                <ul>
                  ${r.notes.map((n) => html`<li>${n}</li>`)}
                </ul>
              </dd>`
          }
        </dl>
        <p><a href="${`/admin/episodes/${r.episodeId}`}">${m.episodeStats}</a></p>`
    }
    <p><a href="/admin/publish">${m.publishTitle}</a></p>`;
  return { title: `${m.jobTitle}: ${j.label}`, main, running };
}

/** The label of a publication in lists and headings. */
export function jobLabel(form: PublishForm): string {
  const s = Number(form.season);
  const e = Number(form.episode);
  const code = Number.isInteger(s) && Number.isInteger(e) && s > 0 && e > 0 ? ` ${episodeCode(s, e)}` : '';
  return `${form.series.trim() || '?'}${code} (${form.file})`;
}

export function passwordView(
  m: AdminText,
  o: { csrf: string; next: string; required: boolean; error: string | null },
): View {
  const main = html`<div class="form-narrow">
    <h1>${m.passwordTitle}</h1>
    ${
      o.error !== null
        ? html`<p class="error" role="alert">${o.error}</p>`
        : html`<p class="${o.required ? 'notice' : ''}">
            ${o.required ? m.passwordRequired : m.passwordIntro}
          </p>`
    }
    <form method="post" action="/admin/password">
      ${csrfField(o.csrf)}
      <input type="hidden" name="next" value="${o.next}" />
      <label for="current">${m.currentPassword}</label>
      <input type="password" id="current" name="current" autocomplete="current-password" required />
      <label for="new">${m.newPassword}</label>
      <input
        type="password"
        id="new"
        name="new"
        autocomplete="new-password"
        minlength="${MIN_PASSWORD_LENGTH}"
        required
        aria-describedby="new-hint"
      />
      <p class="hint" id="new-hint">${m.passwordHint(MIN_PASSWORD_LENGTH)}</p>
      <label for="repeat">${m.repeatPassword}</label>
      <input type="password" id="repeat" name="repeat" autocomplete="new-password" required />
      <p><button type="submit" class="button">${m.changeButton}</button></p>
    </form>
  </div>`;
  return { title: m.passwordTitle, main };
}

export function loginView(
  m: AdminText,
  o: { token: string; next: string; problem: 'expired' | 'invalid' | 'locked' | null },
): View {
  const problem =
    o.problem === 'expired'
      ? m.loginExpired
      : o.problem === 'locked'
        ? m.loginLocked
        : o.problem === 'invalid'
          ? m.loginInvalid
          : null;
  const main = html`<div class="form-narrow">
    <h1>${m.loginTitle}</h1>
    ${problem !== null && html`<p class="error" role="alert">${problem}</p>`}
    <form method="post" action="/admin/login">
      ${csrfField(o.token)}
      <input type="hidden" name="next" value="${o.next}" />
      <label for="name">${m.userName}</label>
      <input type="text" id="name" name="name" autocomplete="username" required autofocus />
      <label for="password">${m.password}</label>
      <input type="password" id="password" name="password" autocomplete="current-password" required />
      <p><button type="submit" class="button">${m.loginButton}</button></p>
    </form>
  </div>`;
  return { title: m.loginTitle, main };
}

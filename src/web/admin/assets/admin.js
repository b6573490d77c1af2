/* global document, fetch, window, setTimeout */
// The dashboard's only script: the live progress bar of a publication. The page works without it
// (it then reloads itself every two seconds); with it, the bar follows the hashing and the page
// reloads once, when the publication has finished, to show the result the server renders (a finished
// publication's page has no data-progress-url, so it is not polled again).
const box = document.querySelector('[data-progress-url]');

async function poll() {
  let next = 500;
  try {
    const r = await fetch(box.dataset.progressUrl, {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
      cache: 'no-store',
    });
    if (r.ok) {
      const job = await r.json();
      const bar = box.querySelector('progress');
      const out = box.querySelector('output');
      const state = box.querySelector('[data-state]');
      if (job.total > 0) {
        bar.max = job.total;
        bar.value = job.done;
      }
      if (out) out.textContent = `${Math.floor(job.percent)} %`;
      if (state && job.stateText) state.textContent = job.stateText;
      if (job.state === 'done' || job.state === 'failed') {
        window.location.reload();
        return;
      }
    } else next = 2000;
  } catch {
    next = 2000;
  }
  setTimeout(poll, next);
}

if (box) poll();

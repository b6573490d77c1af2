/* global document, navigator, window, fetch */
/**
 * fjord's in-browser player (loaded as a module by the episode page; the page works without it).
 *
 * Nothing happens until the viewer presses the play button: only then does the browser join the
 * swarm (which makes its address visible to other viewers, as the page says). Then:
 *   1. registers WebTorrent's service worker (served by fjord at /webtorrent-sw.js, scope /), which
 *      answers the <video>'s requests for /webtorrent/<info hash>/<file> from the torrent;
 *   2. loads WebTorrent's browser bundle (served by fjord; no CDN) and fetches the episode's .torrent
 *      (player.torrent: for an episode of one file, its url-list names the file, as WebTorrent fetches
 *      a one-file torrent's bytes from the web seed URL itself; see Audience.playerTorrent);
 *   3. adds it with fjord's WebSocket tracker URL(s) (to meet other browsers over WebRTC) and the
 *      torrent's own web seed (url-list), so it plays when no other browser is online;
 *   4. streams the video file into <video> (file.streamTo), and shows how many peers it shares with.
 * The page's live swarm figures (seeders, leechers, completed) are refreshed from stats.json.
 *
 * Hybrid torrents: WebTorrent reads the v1 part, in which BEP 47 padding files (`.pad/N`) are listed as
 * files; they are zeros that fill the last piece of the file before them, so they are fetched with
 * that piece (fjord's web seed answers `.pad/N` with N zero bytes). Nothing needs deselecting.
 *
 * Without a service worker (an http:// page on a host that is not localhost is not a secure context)
 * the video plays straight from the web seed, without sharing, and the status line says so.
 */

const root = document.getElementById('player');
const video = document.getElementById('player-video');
const button = document.getElementById('player-start');
const status = document.getElementById('player-status');
const peersLine = document.getElementById('player-peers');

const data = root ? root.dataset : {};
const words = data.messages ? JSON.parse(data.messages) : {};
const say = (key, n) => (words[key] || key).replace('{n}', n === undefined ? '' : String(n));
const setStatus = (text) => {
  if (status) status.textContent = text;
};
const list = (s) => (s || '').split(' ').filter((x) => x !== '');

/** Waits until the service worker is active and this page is controlled by it. */
async function serviceWorker() {
  const reg = await navigator.serviceWorker.register(data.sw, { scope: '/' });
  const worker = reg.active || reg.waiting || reg.installing;
  if (worker && worker.state !== 'activated') {
    await new Promise((resolve) => {
      const check = () => {
        if (worker.state === 'activated') {
          worker.removeEventListener('statechange', check);
          resolve();
        }
      };
      worker.addEventListener('statechange', check);
      check();
    });
  }
  // The worker claims open pages when it activates; the <video>'s requests go through it only then.
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) =>
      navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }),
    );
  }
  return reg;
}

/** Plays straight from the web seed: no sharing (no service worker here). */
function playDirect(reason) {
  video.src = data.direct;
  setStatus(say(reason));
  video.play().catch(() => {});
}

let started = false;

async function start() {
  if (started) return;
  started = true;
  button.disabled = true;
  setStatus(say('starting'));
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return playDirect('direct');
  let reg;
  try {
    reg = await serviceWorker();
  } catch (err) {
    console.warn('fjord player: service worker unavailable', err);
    return playDirect('direct');
  }
  const { default: WebTorrent } = await import(data.webtorrent);
  const client = new WebTorrent({
    // STUN/TURN servers only when the broadcaster configured its own: none of a third party.
    tracker: { rtcConfig: { iceServers: list(data.ice).map((urls) => ({ urls })) } },
  });
  client.on('error', (err) => {
    console.warn('fjord player:', err);
    setStatus(say('failed'));
  });
  client.createServer({ controller: reg });
  const res = await fetch(data.torrent);
  if (!res.ok) {
    setStatus(say('failed'));
    return;
  }
  const buf = new Uint8Array(await res.arrayBuffer());
  client.add(buf, { announce: list(data.trackers) }, (torrent) => {
    const file =
      torrent.files.find((f) => f.path === data.file) ||
      torrent.files.filter((f) => !f.path.includes('/.pad/')).sort((a, b) => b.length - a.length)[0];
    file.streamTo(video);
    // This browser has just joined the swarm: show the figures with it counted.
    refreshSoon();
    video.play().catch(() => {});
    setStatus(say('playing'));
    const update = () => {
      const peers = torrent.wires.filter((w) => w.type !== 'webSeed').length;
      const pct = Math.floor(torrent.progress * 100);
      const text = `${say(peers === 1 ? 'peersOne' : 'peersMany', peers)} ${say('progress', pct)}`;
      if (peersLine.textContent !== text) peersLine.textContent = text;
      root.dataset.peers = String(peers);
    };
    update();
    const timer = setInterval(() => {
      if (torrent.destroyed) return clearInterval(timer);
      update();
    }, 1000);
  });
}

/** Refreshes the live swarm figures (the page shows the figures of when it was made). */
let refreshSoon = () => {};
function refreshStats() {
  if (!data.stats) return;
  const tick = async () => {
    try {
      const res = await fetch(data.stats, { cache: 'no-store' });
      if (!res.ok) return;
      const s = await res.json();
      for (const key of ['seeders', 'leechers', 'completed']) {
        const el = document.getElementById(`swarm-${key}`);
        if (el && typeof s[key] === 'number') {
          el.value = String(s[key]);
          el.textContent = s.formatted && s.formatted[key] ? s.formatted[key] : String(s[key]);
        }
      }
    } catch {
      // Offline for a moment: the figures stay as they were.
    }
  };
  setInterval(tick, 15000);
  refreshSoon = () => setTimeout(tick, 3000);
}

if (root && video && button) {
  button.hidden = false;
  button.addEventListener('click', () => {
    start().catch((err) => {
      console.warn('fjord player:', err);
      setStatus(say('failed'));
    });
  });
}
refreshStats();

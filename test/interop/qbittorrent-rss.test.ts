/**
 * Miro's role, played by qBittorrent: qbittorrent-nox (libtorrent 2.x), driven through its Web API,
 * subscribes to a series' RSS feed and gets an auto-download rule; then `fjord publish --cleared`
 * publishes a NEW episode; qBittorrent's RSS refresh sees it, fetches the .torrent from the feed's
 * enclosure, announces to fjord's tracker and downloads from fjord's web seed (no other peer exists),
 * and the bytes match the original.
 *
 * qBittorrent runs with a profile of its own in a temporary folder (legal notice accepted and Web UI
 * on 127.0.0.1 without a password for localhost, in its qBittorrent.conf before it starts), bound to
 * the loopback interface, DHT, PEX, LSD and UPnP off; the feed is refreshed through the API rather
 * than by waiting for the (at least one-minute) refresh interval. libtorrent's SSRF mitigation stays
 * on: fjord's local tracker URL ends in /announce and its web seed has no query string, as it requires.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { program, skipUnless } from '../helpers/programs.js';
import { randomFile, sha256 } from '../publish/publish-helpers.js';
import { freePort, publish, startSite, waitFor, type Site } from '../web/site-helpers.js';
import { Child } from './helpers-procs.js';

const skip = skipUnless(program('qbittorrent-nox'));
let site: Site;
let qbt: Child | null = null;
let api = '';

/** Calls qBittorrent's Web API: GET without a form, POST with one. */
async function qb(path: string, form?: Record<string, string>): Promise<string> {
  const res = await fetch(`${api}/api/v2/${path}`, {
    method: form ? 'POST' : 'GET',
    body: form ? new URLSearchParams(form) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`qBittorrent ${path}: ${res.status} ${text}`);
  return text;
}

interface QbTorrent {
  name: string;
  hash: string;
  infohash_v1: string;
  infohash_v2: string;
  progress: number;
  state: string;
  save_path: string;
}

before(async () => {
  if (skip) return;
  site = await startSite('fjord-qbt-');
  // The series exists with one episode before anyone subscribes.
  const old = join(site.work, 'old.mkv');
  randomFile(old, 300_000);
  await publish(site, { file: old, series: 'Kystliv', season: 1, episode: 1, title: 'Før abonnementet' });
  await waitFor(async () => (await site.get('/feeds/kystliv.rss')).status === 200, 10_000, 'the feed');

  const profile = join(site.work, 'qbt');
  const conf = join(profile, 'qBittorrent', 'config');
  mkdirSync(conf, { recursive: true });
  mkdirSync(join(site.work, 'downloads'));
  const webui = await freePort();
  writeFileSync(
    join(conf, 'qBittorrent.conf'),
    [
      '[LegalNotice]',
      'Accepted=true',
      '',
      '[Preferences]',
      'WebUI\\Address=127.0.0.1',
      `WebUI\\Port=${webui}`,
      'WebUI\\LocalHostAuth=false',
      'WebUI\\HostHeaderValidation=false',
      '',
    ].join('\n'),
  );
  api = `http://127.0.0.1:${webui}`;
  qbt = new Child('qbittorrent', 'qbittorrent-nox', [`--profile=${profile}`]);
  await waitFor(
    async () => {
      try {
        return (await qb('app/version')).startsWith('v');
      } catch {
        return false;
      }
    },
    30_000,
    'the qBittorrent Web API',
  );
  await qb('app/setPreferences', {
    json: JSON.stringify({
      dht: false,
      pex: false,
      lsd: false,
      upnp: false,
      listen_port: await freePort(),
      current_network_interface: 'lo',
      current_interface_address: '127.0.0.1',
      save_path: join(site.work, 'downloads'),
      temp_path_enabled: false,
      rss_processing_enabled: true,
      rss_auto_downloading_enabled: true,
      rss_refresh_interval: 1,
    }),
  });
});

after(async () => {
  if (qbt) {
    await qb('app/shutdown', {}).catch(() => {});
    await qbt.stop('SIGTERM', 10_000);
  }
  await site?.stop();
});

/** Runs fn; on failure adds what qBittorrent says (torrents, RSS items, its log). */
async function diagnose<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const get = (p: string) => qb(p).catch((e: unknown) => String(e));
    const list = JSON.parse(await get('torrents/info')) as QbTorrent[];
    const seeds = await Promise.all(list.map((t) => get(`torrents/webseeds?hash=${t.hash}`)));
    const log = (JSON.parse(await get('log/main')) as Array<{ message: string }>).map((e) => e.message);
    throw new Error(
      `${String(err)}\ntorrents: ${list.map((t) => `${t.name} ${t.state} ${t.progress}`).join(', ')}\nweb seeds: ${seeds.join(' ')}\nrss: ${(await get('rss/items?withData=true')).slice(0, 1500)}\nlog: ${log.slice(-15).join('\n')}\n${qbt?.tail()}`,
    );
  }
}

test(
  'qBittorrent subscribed to a series feed downloads a newly published episode through fjord',
  { skip, timeout: 180_000 },
  async () => {
    const feed = `${site.base}/feeds/kystliv.rss`;
    const downloads = join(site.work, 'downloads');
    await qb('rss/addFeed', { url: feed, path: 'Kystliv' });
    await qb('rss/setRule', {
      ruleName: 'fjord: Kystliv',
      ruleDef: JSON.stringify({
        enabled: true,
        mustContain: 'S01E',
        mustNotContain: '',
        useRegex: false,
        episodeFilter: '',
        smartFilter: false,
        affectedFeeds: [feed],
        savePath: downloads,
        addPaused: false,
      }),
    });
    // qBittorrent has read the feed (one article) before the new episode exists.
    await diagnose(() =>
      waitFor(
        async () => {
          const items = JSON.parse(await qb('rss/items?withData=true')) as Record<
            string,
            { articles?: unknown[]; hasError?: boolean; isLoading?: boolean }
          >;
          const f = items.Kystliv;
          if (f?.hasError && !f.isLoading) await qb('rss/refreshItem', { itemPath: 'Kystliv' });
          return (f?.articles?.length ?? 0) >= 1;
        },
        30_000,
        'qBittorrent reads the feed',
      ),
    );

    // Now a new episode.
    const video = join(site.work, 'new.mkv');
    const bytes = randomFile(video, 2 * 1024 * 1024 + 4321);
    const ep = await publish(site, {
      file: video,
      series: 'kystliv',
      season: 1,
      episode: 2,
      title: 'Etter abonnementet',
    });
    await waitFor(
      async () => (await site.get('/feeds/kystliv.rss')).text.includes(ep.v1),
      10_000,
      'the feed has it',
    );

    const started = Date.now();
    let lastRefresh = 0;
    let t: QbTorrent | undefined;
    try {
      await waitFor(
        async () => {
          if (Date.now() - lastRefresh > 5000) {
            lastRefresh = Date.now();
            await qb('rss/refreshItem', { itemPath: 'Kystliv' });
          }
          const list = JSON.parse(await qb('torrents/info')) as QbTorrent[];
          t = list.find((x) => x.name === ep.name);
          return t !== undefined && t.progress === 1;
        },
        120_000,
        'qBittorrent downloads the new episode',
      );
    } catch (err) {
      await diagnose(() => Promise.reject(err));
    }
    process.stdout.write(`# downloaded ${((Date.now() - started) / 1000).toFixed(1)} s after publishing\n`);
    const got = t as QbTorrent;
    assert.equal(got.infohash_v1, ep.v1);
    assert.equal(got.infohash_v2, ep.v2);
    const file = join(downloads, ep.name, `${ep.name}.mkv`);
    assert.equal(sha256(readFileSync(file)), sha256(bytes), 'the bytes match the original');

    // Through fjord's tracker: qBittorrent announced there (and its completion is counted).
    const trackers = JSON.parse(await qb(`torrents/trackers?hash=${got.hash}`)) as Array<{
      url: string;
      status: number;
    }>;
    const ours = trackers.find((x) => x.url === `http://127.0.0.1:${site.ports.http}/announce`);
    assert.ok(ours, `fjord's tracker in the torrent: ${JSON.stringify(trackers)}`);
    await waitFor(
      async () => {
        const f = JSON.parse((await site.get('/series/kystliv/s01e02/stats.json')).text) as Record<
          string,
          number
        >;
        return f.seeders >= 1 && f.completed === 1;
      },
      30_000,
      "qBittorrent counted as a seeder on fjord's tracker, its download as a completion",
    );
  },
);

/**
 * Shared by the audience tests (pages, feeds, player, qBittorrent): a `fjord serve` child with the
 * tracker (HTTP, UDP, WebSocket) and the web server on known loopback ports, its data directory's
 * fjord.json naming those ports as the public URLs (so feeds and torrents carry URLs that work), test
 * media made by ffmpeg, and publishing through the real `fjord publish` command.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { serveFjord, type Served } from '../helpers/cli.js';
import { httpGet, tempDir } from '../helpers/tracker.js';
import { fjord } from '../publish/publish-helpers.js';

/** A port free right now on 127.0.0.1 (the OS picks it; closed again before use). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * A few seconds of WebM (VP8 + Vorbis) from ffmpeg's test sources; false when ffmpeg cannot make it.
 */
export function makeWebm(path: string, seconds = 4): boolean {
  const r = spawnSync(
    'ffmpeg',
    [
      ...['-v', 'error', '-y'],
      ...['-f', 'lavfi', '-i', `testsrc=duration=${seconds}:size=320x240:rate=25`],
      ...['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`],
      ...['-c:v', 'libvpx', '-b:v', '200k', '-c:a', 'libvorbis', '-shortest', path],
    ],
    { stdio: 'ignore', timeout: 60_000 },
  );
  return r.status === 0;
}

export const SRT_NB =
  '1\n00:00:00,500 --> 00:00:01,500\nHei, <i>verden</i>!\n\n2\n00:00:02,000 --> 00:00:02,800\nHa det.\n';
export const SRT_EN = '1\n00:00:00,500 --> 00:00:01,500\nHello, world!\n';

export interface Site {
  work: string;
  data: string;
  ports: { http: number; ws: number; web: number };
  base: string;
  served: Served;
  get(
    path: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>;
  stop(): Promise<void>;
}

/**
 * Starts `fjord serve` with every listener on loopback; the data directory's fjord.json has the
 * public URLs and any `extra` settings.
 */
export async function startSite(prefix: string, extra: Record<string, unknown> = {}): Promise<Site> {
  const work = tempDir(prefix);
  const data = join(work, 'data');
  mkdirSync(data, { recursive: true });
  const ports = { http: await freePort(), ws: await freePort(), web: await freePort() };
  const base = `http://127.0.0.1:${ports.web}`;
  writeFileSync(
    join(data, 'fjord.json'),
    JSON.stringify({
      publicWebUrl: base,
      publicTrackerUrls: [`http://127.0.0.1:${ports.http}/announce`],
      publicWsTrackerUrls: [`ws://127.0.0.1:${ports.ws}/announce`],
      ...extra,
    }),
  );
  const served = await serveFjord(
    [
      ...['--data', data],
      ...['--http', `127.0.0.1:${ports.http}`, '--udp', `127.0.0.1:${ports.http}`],
      ...['--ws', `127.0.0.1:${ports.ws}`, '--web', `127.0.0.1:${ports.web}`],
      ...['--admin', 'off', '--interval', '10'],
    ],
    ['udp', 'http', 'ws', 'web'],
  );
  return {
    work,
    data,
    ports,
    base,
    served,
    async get(path, headers = {}) {
      const r = await httpGet(ports.web, path, { headers });
      return { status: r.status, headers: r.headers, text: r.body.toString('utf8') };
    },
    async stop() {
      await served.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export interface PublishArgs {
  file: string;
  series: string;
  season: number;
  episode: number;
  title: string;
  description?: string;
  subtitles?: Array<[lang: string, file: string]>;
  extra?: string[];
  /** Run ffprobe on the file (default: for makeWebm's .webm clips; random stand-ins are not media). */
  probe?: boolean;
}

/** Runs `fjord publish --cleared` on the site's data directory; returns the info hashes. */
export async function publish(site: Site, a: PublishArgs): Promise<{ v1: string; v2: string; name: string }> {
  const r = await fjord([
    'publish',
    ...((a.probe ?? a.file.endsWith('.webm')) ? [] : ['--no-probe']),
    a.file,
    ...['--data', site.data],
    ...['--series', a.series, '--new-series'],
    ...['--season', String(a.season), '--episode', String(a.episode)],
    ...['--title', a.title],
    ...(a.description === undefined ? [] : ['--description', a.description]),
    ...(a.subtitles ?? []).flatMap(([lang, file]) => ['--subtitle', `${lang}:${file}`]),
    ...['--licence', 'CC-BY-4.0', '--rights-holder', 'NRK', '--cleared', '-q'],
    ...(a.extra ?? []),
  ]);
  assert.equal(r.status, 0, r.stderr);
  const v1 = /^info hash v1: (\w+)$/m.exec(r.stdout)?.[1] ?? '';
  const v2 = /^info hash v2: (\w+)$/m.exec(r.stdout)?.[1] ?? '';
  const name = /^published (\S+):/m.exec(r.stdout)?.[1] ?? '';
  return { v1, v2, name };
}

/** Polls `fn` every 100 ms until it is true; throws after `ms` with `what`. */
export async function waitFor(fn: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms: ${what}`);
}

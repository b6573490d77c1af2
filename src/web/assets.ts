/**
 * Static files of the audience pages, served by fjord itself (no CDN, nothing from elsewhere):
 *
 *   /assets/site.<hash>.css, /assets/icon.<hash>.svg, /assets/player.<hash>.js   src/web/assets/
 *   /assets/webtorrent-<version>.min.js     WebTorrent's browser bundle, from node_modules/webtorrent/dist
 *   /webtorrent-sw.js                       WebTorrent's service worker (dist/sw.min.js)
 *
 * Names carry a content hash (or WebTorrent's version), so they are cached for a year and a new fjord
 * never meets a stale file. The service worker is the exception: browsers look for updates at its
 * fixed URL, and it lives at the root because a worker controls only pages below its own path (the
 * episode pages are under /series/; its stream URLs are /webtorrent/...).
 *
 * Files are read once at startup and kept in memory (about 250 KB).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { setSecurityHeaders } from './layout.js';
import type { WebServer } from './server.js';
import { sendEntity } from './webseed.js';

export const SERVICE_WORKER_PATH = '/webtorrent-sw.js';

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  immutable: boolean;
}

/** src/web/assets, also when running compiled from dist/ (which holds no copies of them). */
function assetsDir(): string {
  for (const rel of ['./assets/', '../../src/web/assets/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'player.js'))) return dir;
  }
  throw new Error('web assets (src/web/assets) not found');
}

function webTorrentDist(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  const pkgPath = require.resolve('webtorrent/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string };
  return { dir: join(dirname(pkgPath), 'dist'), version: pkg.version };
}

const TYPES: Record<string, string> = {
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  svg: 'image/svg+xml',
};

export class Assets {
  private readonly files = new Map<string, Asset>();
  private readonly urls = new Map<string, string>();

  constructor() {
    const dir = assetsDir();
    for (const name of ['site.css', 'icon.svg', 'player.js']) {
      const body = readFileSync(join(dir, name));
      const dot = name.lastIndexOf('.');
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
      this.add(name, `/assets/${name.slice(0, dot)}.${hash}${name.slice(dot)}`, body, true);
    }
    const wt = webTorrentDist();
    this.add(
      'webtorrent.js',
      `/assets/webtorrent-${wt.version}.min.js`,
      readFileSync(join(wt.dir, 'webtorrent.min.js')),
      true,
    );
    this.add('sw.js', SERVICE_WORKER_PATH, readFileSync(join(wt.dir, 'sw.min.js')), false);
  }

  /**
   * A file made at start (the brand's stylesheet, the operator's logo), served like the others
   * under a content-hashed name fjord makes: `/assets/<stem>.<hash>.<ext>`.
   */
  addGenerated(name: string, stem: string, ext: string, body: Buffer, type?: string): string {
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
    const url = `/assets/${stem}.${hash}.${ext}`;
    this.add(name, url, body, true, type);
    return url;
  }

  private add(name: string, url: string, body: Buffer, immutable: boolean, type?: string): void {
    const ext = url.slice(url.lastIndexOf('.') + 1);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    this.files.set(url, { body, type: type ?? TYPES[ext] ?? 'application/octet-stream', etag, immutable });
    this.urls.set(name, url);
  }

  /** The URL of an asset by its source name: site.css, icon.svg, player.js, webtorrent.js, sw.js. */
  url(name: string): string {
    const u = this.urls.get(name);
    if (u === undefined) throw new Error(`no asset ${name}`);
    return u;
  }

  register(web: WebServer): void {
    const serve: Parameters<WebServer['addRoute']>[2] = async (req, res, m) => {
      const a = this.files.get(m.path);
      if (a === undefined) return void web.notFound(req, res);
      // The worker gets a policy of its own (it only answers its pages' stream requests).
      setSecurityHeaders(res, "default-src 'none'; frame-ancestors 'none'");
      await sendEntity(req, res, {
        size: a.body.length,
        etag: a.etag,
        lastModified: null,
        contentType: a.type,
        // Hashed names can be kept for good; the worker's fixed URL must be checked for updates.
        cacheControl: a.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
        body: (start, end) => Readable.from([a.body.subarray(start, end + 1)]),
      });
    };
    web.addRoute('GET', '/assets/:file', serve);
    web.addRoute('GET', SERVICE_WORKER_PATH, serve);
  }
}

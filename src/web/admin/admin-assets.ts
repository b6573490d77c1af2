/**
 * The dashboard's own stylesheet and script (on top of the audience site's site.css), served by fjord
 * at content-hashed URLs under /admin/assets/, so they are cached for good and a new fjord never meets
 * a stale copy. Not behind the login: the login page needs the stylesheet, and neither file holds data.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { setSecurityHeaders } from '../layout.js';
import type { WebServer } from '../server.js';
import { sendEntity } from '../webseed.js';

const FILES: Record<string, string> = {
  'admin.css': 'text/css; charset=utf-8',
  'admin.js': 'text/javascript; charset=utf-8',
};

/** src/web/admin/assets, also when running compiled from dist/ (which holds no copies of them). */
function assetsDir(): string {
  for (const rel of ['./assets/', '../../../src/web/admin/assets/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'admin.css'))) return dir;
  }
  throw new Error('admin assets (src/web/admin/assets) not found');
}

interface File {
  body: Buffer;
  type: string;
  etag: string;
}

export class AdminAssets {
  private readonly byUrl = new Map<string, File>();
  private readonly urls = new Map<string, string>();

  constructor() {
    const dir = assetsDir();
    for (const [name, type] of Object.entries(FILES)) {
      const body = readFileSync(join(dir, name));
      const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
      const dot = name.lastIndexOf('.');
      const url = `/admin/assets/${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
      this.byUrl.set(url, { body, type, etag: `"${hash}"` });
      this.urls.set(name, url);
    }
  }

  url(name: 'admin.css' | 'admin.js'): string {
    return this.urls.get(name) as string;
  }

  register(web: WebServer): void {
    web.addRoute('GET', '/admin/assets/:file', async (req, res, m) => {
      const f = this.byUrl.get(m.path);
      if (f === undefined) return void web.notFound(req, res);
      setSecurityHeaders(res);
      await sendEntity(req, res, {
        size: f.body.length,
        etag: f.etag,
        lastModified: null,
        contentType: f.type,
        cacheControl: 'public, max-age=31536000, immutable',
        body: (start, end) => Readable.from([f.body.subarray(start, end + 1)]),
      });
    });
  }
}

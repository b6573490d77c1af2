/**
 * Artwork on the pages (issue 16): series posters and banners and episode stills, served in the
 * sizes the layout asks for (`srcset`), as AVIF and WebP with JPEG for browsers without either, made by sharp
 * from the file in DATA/artwork the first time a size is asked for and kept in memory.
 *
 *   GET /images/<stem>/<width>.avif | .webp | .jpg     stem: the artwork file's name (a content hash in it)
 *
 * Only artwork the site shows now is served (a withdrawn episode's still is not). The URLs change
 * with the file (its name carries its hash), so responses are cached for a year, immutable.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { html, type Markup } from './html.js';
import { setSecurityHeaders } from './layout.js';
import type { Artwork } from './site-data.js';
import { sendEntity } from './webseed.js';

export const IMAGE_WIDTHS = [320, 640, 960, 1280, 1920] as const;
const FORMATS = { avif: 'image/avif', webp: 'image/webp', jpg: 'image/jpeg' } as const;
type Ext = keyof typeof FORMATS;

/** `/images/<stem>/<width>.<avif|webp|jpg>` */
export function imageUrl(a: Artwork, width: number, ext: Ext): string {
  return `/images/${a.stem}/${width}.${ext}`;
}

/**
 * A <picture> of `a`: WebP sources and a JPEG <img> (the fallback), widths up to `maxWidth`, for
 * the layout's `sizes`. Width and height are set so the page does not move when it loads.
 */
export function picture(
  a: Artwork,
  o: { alt: string; sizes: string; maxWidth: number; eager?: boolean; className?: string },
): Markup {
  const widths = IMAGE_WIDTHS.filter((w) => w <= o.maxWidth);
  const set = (ext: Ext): string => widths.map((w) => `${imageUrl(a, w, ext)} ${w}w`).join(', ');
  const w = widths[Math.min(1, widths.length - 1)];
  return html`<picture class="${o.className ?? 'art'}">
    <source type="image/avif" srcset="${set('avif')}" sizes="${o.sizes}" />
    <source type="image/webp" srcset="${set('webp')}" sizes="${o.sizes}" />
    <img
      src="${imageUrl(a, w, 'jpg')}"
      srcset="${set('jpg')}"
      sizes="${o.sizes}"
      alt="${o.alt}"
      width="${w}"
      height="${Math.round(w / a.aspect)}"
      loading="${o.eager ? 'eager' : 'lazy'}"
      decoding="async"
    />
  </picture>`;
}

/** Renders and keeps image sizes (at most `max` of them in memory; the oldest go first). */
export class ImageSizes {
  private readonly cache = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly dataDir: string,
    private readonly max = 300,
  ) {}

  /** Parses `<width>.<ext>`; null when it is not a size the pages use. */
  static parse(file: string): { width: number; ext: Ext } | null {
    const m = /^(\d{3,4})\.(avif|webp|jpg)$/.exec(file);
    if (!m) return null;
    const width = Number(m[1]);
    return (IMAGE_WIDTHS as readonly number[]).includes(width) ? { width, ext: m[2] as Ext } : null;
  }

  get(a: Artwork, width: number, ext: Ext): Promise<Buffer> {
    const key = `${a.path}\0${width}\0${ext}\0${a.aspect}`;
    let p = this.cache.get(key);
    if (p === undefined) {
      p = this.render(a, width, ext);
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
      if (this.cache.size > this.max) this.cache.delete(this.cache.keys().next().value as string);
    }
    return p;
  }

  private async render(a: Artwork, width: number, ext: Ext): Promise<Buffer> {
    const { renderImage } = await import('../publish/images.js');
    const bytes = await readFile(join(this.dataDir, a.path));
    return renderImage(bytes, { width, aspect: a.aspect, format: ext === 'jpg' ? 'jpeg' : ext });
  }

  async send(req: IncomingMessage, res: ServerResponse, a: Artwork, width: number, ext: Ext): Promise<void> {
    const body = await this.get(a, width, ext);
    setSecurityHeaders(res);
    await sendEntity(req, res, {
      size: body.length,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      lastModified: null,
      contentType: FORMATS[ext],
      cacheControl: 'public, max-age=31536000, immutable',
      body: (start, end) => Readable.from([body.subarray(start, end + 1)]),
    });
  }
}

/**
 * Images from operators and editors (the site logo, series posters and banners, episode stills) and
 * the sizes the pages serve of them. Everything that reads or writes pixels goes through sharp
 * (libvips): fjord only decides what is accepted and which sizes exist.
 *
 *   const img = await checkImage(bytes, { what: 'poster', allowSvg: false }); // throws a one-line reason
 *   const name = artworkName('series-3-poster', img);                         // artwork/series-3-poster-<hash>.png
 *   const out = await renderImage(bytes, { width: 480, format: 'webp' });
 *
 * Accepted: JPEG, PNG and WebP up to MAX_IMAGE_BYTES and MAX_IMAGE_PIXELS; SVG (the logo only) when
 * it has no scripts, event handlers, external references, foreign objects or entity declarations:
 * such an SVG is refused, not cleaned, so what is served is byte for byte what the operator chose.
 */
import { createHash } from 'node:crypto';
import sharp, { type Metadata } from 'sharp';

export const MAX_IMAGE_BYTES = 8 * 1024 * 1024;
export const MAX_LOGO_BYTES = 256 * 1024;
export const MAX_IMAGE_PIXELS = 40_000_000;

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'svg';

export interface CheckedImage {
  format: ImageFormat;
  width: number;
  height: number;
  bytes: Buffer;
  /** File extension for the format (jpg, png, webp, svg). */
  ext: string;
  /** Content type to serve it with. */
  type: string;
}

const EXT: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp', svg: 'svg' };
const TYPE: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  svg: 'image/svg+xml',
};

/** What makes an SVG able to run code or fetch anything; any of it refuses the file. */
const SVG_DANGERS: Array<[RegExp, string]> = [
  [/<script[\s>/]/i, 'a script'],
  [/\son[a-z]+\s*=/i, 'an event handler attribute (on...=)'],
  [/javascript:/i, 'a javascript: URL'],
  [/<foreignObject[\s>/]/i, 'a foreignObject'],
  [/<!ENTITY/i, 'an entity declaration'],
  [/(?:href|src)\s*=\s*["']\s*(?!#|data:image\/(?:png|jpeg|webp);)/i, 'a reference to another file or site'],
  [/@import|url\(\s*["']?\s*(?!#)/i, 'a style that loads something'],
];

/**
 * Checks that `bytes` is an image fjord accepts; throws an Error with a one-line reason otherwise
 * ("the poster is not an image (JPEG, PNG or WebP)", "the logo is an SVG with a script").
 */
export async function checkImage(
  bytes: Buffer,
  o: { what: string; allowSvg: boolean; maxBytes?: number },
): Promise<CheckedImage> {
  const max = o.maxBytes ?? MAX_IMAGE_BYTES;
  const kinds = o.allowSvg ? 'SVG, PNG, JPEG or WebP' : 'JPEG, PNG or WebP';
  if (bytes.length === 0) throw new Error(`the ${o.what} is empty`);
  if (bytes.length > max)
    throw new Error(`the ${o.what} is too large (${bytes.length} bytes; at most ${max})`);
  const head = bytes.subarray(0, 512).toString('utf8').trimStart();
  const looksSvg = /^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(head);
  if (looksSvg) {
    if (!o.allowSvg) throw new Error(`the ${o.what} must be ${kinds}, not SVG`);
    const textForm = bytes.toString('utf8');
    for (const [re, why] of SVG_DANGERS)
      if (re.test(textForm)) throw new Error(`the ${o.what} is an SVG with ${why}: remove it and try again`);
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS }).metadata();
  } catch {
    throw new Error(`the ${o.what} is not an image (${kinds})`);
  }
  const format = meta.format as string;
  if (!['jpeg', 'png', 'webp', ...(o.allowSvg ? ['svg'] : [])].includes(format))
    throw new Error(`the ${o.what} must be ${kinds} (got ${format})`);
  if (format === 'svg' && !looksSvg) throw new Error(`the ${o.what} is not an image (${kinds})`);
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width < 1 || height < 1) throw new Error(`the ${o.what} has no size`);
  if (width * height > MAX_IMAGE_PIXELS)
    throw new Error(`the ${o.what} is too large (${width}×${height} pixels)`);
  // Decode it all once: a truncated or corrupt file is refused now, not when a viewer asks for it.
  if (format !== 'svg')
    try {
      await sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS }).raw().toBuffer();
    } catch {
      throw new Error(`the ${o.what} is damaged (it does not decode)`);
    }
  const f = format as ImageFormat;
  return { format: f, width, height, bytes, ext: EXT[f], type: TYPE[f] };
}

/** A name fjord makes for an artwork file: `artwork/<stem>-<12 hex of its hash>.<ext>`. */
export function artworkName(stem: string, img: CheckedImage): string {
  const safe =
    stem
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'image';
  const hash = createHash('sha256').update(img.bytes).digest('hex').slice(0, 12);
  return `artwork/${safe}-${hash}.${img.ext}`;
}

export type OutputFormat = 'webp' | 'avif' | 'jpeg';
export const OUTPUT_TYPE: Record<OutputFormat, string> = {
  webp: 'image/webp',
  avif: 'image/avif',
  jpeg: 'image/jpeg',
};

/**
 * One size of an image, `width` wide (never wider than the original), cropped to `aspect` (w/h) when
 * given (centred on the most interesting region), in `format`.
 */
export async function renderImage(
  bytes: Buffer,
  o: { width: number; format: OutputFormat; aspect?: number },
): Promise<Buffer> {
  let img = sharp(bytes, { limitInputPixels: MAX_IMAGE_PIXELS }).rotate();
  const height = o.aspect === undefined ? undefined : Math.round(o.width / o.aspect);
  img = img.resize({
    width: o.width,
    height,
    fit: o.aspect === undefined ? 'inside' : 'cover',
    position: sharp.strategy.attention,
    withoutEnlargement: o.aspect === undefined,
  });
  if (o.format === 'webp') return img.webp({ quality: 78 }).toBuffer();
  if (o.format === 'avif') return img.avif({ quality: 50, effort: 2 }).toBuffer();
  return img.flatten({ background: '#000000' }).jpeg({ quality: 80, mozjpeg: true }).toBuffer();
}

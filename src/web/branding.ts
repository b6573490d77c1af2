/**
 * The broadcaster's brand on the audience pages and feeds (config siteName, siteLogo, accentColour,
 * footerText, aboutText). Read once at `fjord serve` start:
 *
 *   const brand = await loadBranding(config);   // throws a one-line reason for a bad logo or colour
 *   for (const note of brand.notes) log(note);  // e.g. the accent colour was adjusted for contrast
 *
 * The accent colour is used for buttons (with white or dark text) and links, on the light and the
 * dark scheme. A colour that would not reach WCAG AA contrast (4.5:1 for text) against the page is
 * adjusted, darker for the light scheme and lighter for the dark one, until it does, and the start
 * log says what was chosen. The colours reach the pages as a stylesheet of their own (brand.css),
 * since the pages' policy allows no inline style.
 */
import { readFileSync } from 'node:fs';
import type { CheckedImage } from '../publish/images.js';

export interface BrandingSettings {
  siteName: string;
  siteLogo: string | null;
  accentColour: string;
  footerText: string | null;
  aboutText: string | null;
}

export interface Branding {
  siteName: string;
  logo: CheckedImage | null;
  footerText: string | null;
  aboutText: string | null;
  /** The accent colours chosen for each scheme (after any adjustment). */
  accent: { light: string; dark: string };
  /** The stylesheet setting the accent variables. */
  css: string;
  /** What the start log should say (adjusted colours). */
  notes: string[];
}

/** fjord's own accent (config default). */
export const DEFAULT_ACCENT = '#0b4f9c';
const LIGHT_BG = '#ffffff';
const DARK_BG = '#121417';
/** The panels (notices, cards) of each scheme in site.css: links there must read as well. */
const LIGHT_PANEL = '#f3f4f6';
const DARK_PANEL = '#1d2126';
const AA = 4.5;

type Rgb = [number, number, number];

export function parseHexColour(text: string): Rgb | null {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(text.trim());
  if (!m) return null;
  const h = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as Rgb;
}

const hex = (c: Rgb): string => '#' + c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');

/** WCAG 2 relative luminance. */
function luminance(c: Rgb): number {
  const [r, g, b] = c.map((v) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio between two colours (1 to 21). */
export function contrast(a: string, b: string): number {
  const la = luminance(parseHexColour(a) as Rgb);
  const lb = luminance(parseHexColour(b) as Rgb);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** The lowest contrast of `colour` against a scheme's background and panel. */
const worst = (colour: string, backgrounds: string[]): number =>
  Math.min(...backgrounds.map((b) => contrast(colour, b)));

/** `colour` moved toward `target` (black or white) in small steps until it reaches AA on `backgrounds`. */
function adjust(colour: string, backgrounds: string[], target: Rgb): string {
  const c = parseHexColour(colour) as Rgb;
  for (let t = 0; t <= 1.0001; t += 0.02) {
    const mixed = hex(c.map((v, i) => v + (target[i] - v) * t) as Rgb);
    if (worst(mixed, backgrounds) >= AA) return mixed;
  }
  return hex(target);
}

/**
 * The accent for each scheme: the chosen colour where it reaches AA on that scheme's background,
 * else the nearest darker (light scheme) or lighter (dark scheme) colour that does.
 */
export function accentColours(accent: string): { light: string; dark: string; notes: string[] } {
  const a = hex(parseHexColour(accent) as Rgb);
  // fjord's own blue has a lighter partner of its own for the dark scheme.
  if (a === DEFAULT_ACCENT) return { light: a, dark: '#8cc4ff', notes: [] };
  const notes: string[] = [];
  const lights = [LIGHT_BG, LIGHT_PANEL];
  const darks = [DARK_BG, DARK_PANEL];
  const light = worst(a, lights) >= AA ? a : adjust(a, lights, [0, 0, 0]);
  const dark = worst(a, darks) >= AA ? a : adjust(a, darks, [255, 255, 255]);
  if (light !== a)
    notes.push(
      `accentColour ${a} has ${worst(a, lights).toFixed(1)}:1 contrast on the light pages (AA needs 4.5:1): using ${light} (${worst(light, lights).toFixed(1)}:1) there`,
    );
  if (dark !== a)
    notes.push(
      `accentColour ${a} has ${worst(a, darks).toFixed(1)}:1 contrast on the dark pages: using ${dark} (${worst(dark, darks).toFixed(1)}:1) there`,
    );
  return { light, dark, notes };
}

/** Throws the first problem with the branding settings as one line (config validation). */
export function checkBrandingSettings(c: Partial<Record<keyof BrandingSettings, unknown>>): void {
  const textSetting = (k: keyof BrandingSettings, max: number, nullable: boolean): void => {
    const v = c[k];
    if (v === null && nullable) return;
    if (typeof v !== 'string' || v.trim() === '' || v.length > max)
      throw new Error(`${k} must be text of 1 to ${max} characters${nullable ? ' (or null)' : ''}`);
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(v))
      throw new Error(`${k} contains control characters`);
  };
  textSetting('siteName', 80, false);
  textSetting('footerText', 500, true);
  textSetting('aboutText', 4000, true);
  if (typeof c.accentColour !== 'string' || parseHexColour(c.accentColour) === null)
    throw new Error(`accentColour must be a colour as #rrggbb (got ${String(c.accentColour)})`);
  if (c.siteLogo !== null && (typeof c.siteLogo !== 'string' || c.siteLogo === ''))
    throw new Error('siteLogo must be the path of an SVG or PNG file (or null)');
}

/** Reads and checks the logo file, works out the colours: what the site needs of its brand. */
export async function loadBranding(s: BrandingSettings): Promise<Branding> {
  checkBrandingSettings(s);
  let logo: CheckedImage | null = null;
  if (s.siteLogo !== null) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(s.siteLogo);
    } catch (e) {
      throw new Error(`siteLogo ${s.siteLogo}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    // sharp is loaded only when there is a logo to check (config.ts imports this file).
    const { checkImage, MAX_LOGO_BYTES } = await import('../publish/images.js');
    try {
      logo = await checkImage(bytes, { what: 'logo', allowSvg: true, maxBytes: MAX_LOGO_BYTES });
    } catch (e) {
      throw new Error(`siteLogo ${s.siteLogo}: ${(e as Error).message}`);
    }
    if (logo.format !== 'svg' && logo.format !== 'png')
      throw new Error(`siteLogo ${s.siteLogo}: the logo must be SVG or PNG (got ${logo.format})`);
  }
  const { light, dark, notes } = accentColours(s.accentColour);
  // Button text in the page's own background colour: the accent reaches AA against it by construction.
  const css =
    `/* The broadcaster's colours (config accentColour), checked for AA contrast. */\n` +
    `:root { --accent: ${light}; --accent-fg: ${LIGHT_BG}; --link: ${light}; }\n` +
    `@media (prefers-color-scheme: dark) { :root { --accent: ${dark}; --accent-fg: ${DARK_BG}; --link: ${dark}; } }\n`;
  return {
    siteName: s.siteName.trim(),
    logo,
    footerText: s.footerText,
    aboutText: s.aboutText,
    accent: { light, dark },
    css,
    notes,
  };
}

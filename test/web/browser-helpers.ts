/**
 * Headless Chromium for the audience tests (Debian's chromium through playwright-core).
 *
 * Flags: --autoplay-policy lets the player start without a real user gesture's sticky activation;
 * the two WebRTC flags keep browser-to-browser connections on loopback working where loopback is the
 * only interface (see test/browser/ws-webtorrent.test.ts for why).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, ConsoleMessage, Page } from 'playwright-core';

export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    timeout: 30_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--autoplay-policy=no-user-gesture-required',
      '--allow-loopback-in-peer-connection',
      '--disable-features=WebRtcHideLocalIpsWithMdns',
    ],
  });
}

export interface Watched {
  page: Page;
  /** Console errors, page errors and CSP violations, in order. */
  errors: string[];
  /** Every console line, for diagnostics. */
  log: string[];
}

/** A new page in its own context, with every error it reports collected. */
export async function watchedPage(browser: Browser, locale = 'nb-NO'): Promise<Watched> {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const errors: string[] = [];
  const log: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    log.push(`${m.type()}: ${m.text()}`);
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  // CSP violations also reach the console; this names the directive when one happens.
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (e) =>
      console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));`,
  });
  return { page, errors, log };
}

export function artifact(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

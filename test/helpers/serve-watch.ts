/**
 * Watching a running `fjord serve` follow its catalog: what an HTTP announce for a hash answers, and
 * polling until something changes (the window and contract tests under test/publish).
 */
import { bdecode } from '../../src/protocol/bencode.js';
import { announcePath, httpGet } from './tracker.js';

/** The tracker's failure reason for an announce of `hex` on the HTTP port, or 'ok'. */
export async function announceReason(httpPort: number, hex: string): Promise<string> {
  const r = await httpGet(httpPort, announcePath({ hash: Buffer.from(hex, 'hex'), port: 6881 }));
  const d = bdecode(r.body) as Record<string, unknown>;
  return d['failure reason'] === undefined ? 'ok' : Buffer.from(d['failure reason'] as Uint8Array).toString();
}

/** Polls until fn() gives `want`; resolves with the seconds it took, or fails with `log()` appended. */
export async function within<T>(
  seconds: number,
  fn: () => Promise<T>,
  want: T,
  what: string,
  log: () => string = () => '',
): Promise<number> {
  const start = Date.now();
  let got: T | undefined;
  while (Date.now() - start < seconds * 1000) {
    got = await fn();
    if (got === want) return (Date.now() - start) / 1000;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: still ${String(got)} after ${seconds} s\n${log()}`);
}

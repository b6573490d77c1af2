/**
 * Checks of the community subtitle settings in the config (subtitleLicence, subtitleLicenceUrl,
 * subtitleRateLimit, subtitleRateWindow, subtitlePendingPer*); one-line errors, as validateConfig throws them.
 */
import { LICENCE_ID } from './licence.js';

export function checkSubtitleSettings(c: {
  subtitleLicence: unknown;
  subtitleLicenceUrl: unknown;
  subtitleRateLimit: unknown;
  subtitleRateWindow: unknown;
  subtitlePendingPerAddress: unknown;
  subtitlePendingPerRange: unknown;
  subtitlePendingPerEpisode: unknown;
}): void {
  if (typeof c.subtitleLicence !== 'string' || !LICENCE_ID.test(c.subtitleLicence))
    throw new Error(
      `subtitleLicence must be an SPDX licence id such as CC-BY-4.0 (got ${String(c.subtitleLicence)})`,
    );
  if (c.subtitleLicenceUrl !== null) {
    let ok = false;
    try {
      ok = /^https?:$/.test(new URL(String(c.subtitleLicenceUrl)).protocol);
    } catch {
      ok = false;
    }
    if (!ok)
      throw new Error(
        `subtitleLicenceUrl must be an http(s) URL or null (got ${String(c.subtitleLicenceUrl)})`,
      );
  }
  const int = (v: unknown, name: string, min: number, max: number) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new Error(`${name} must be a whole number from ${min} to ${max} (got ${String(v)})`);
  };
  int(c.subtitleRateLimit, 'subtitleRateLimit', 0, 10_000);
  int(c.subtitleRateWindow, 'subtitleRateWindow', 60, 30 * 86_400);
  int(c.subtitlePendingPerAddress, 'subtitlePendingPerAddress', 1, 100_000);
  int(c.subtitlePendingPerRange, 'subtitlePendingPerRange', 1, 100_000);
  int(c.subtitlePendingPerEpisode, 'subtitlePendingPerEpisode', 1, 100_000);
}

/**
 * Checks of the statistics settings in the config (timeZone, httpPricePerGb, currency,
 * trustProxyTls); one-line errors, as validateConfig throws them.
 */
import { checkTimeZone } from './time.js';

export function checkStatisticsSettings(c: {
  timeZone: unknown;
  httpPricePerGb: unknown;
  currency: unknown;
  trustProxyTls: unknown;
}): void {
  if (typeof c.timeZone !== 'string')
    throw new Error('timeZone must be an IANA time zone name (e.g. Europe/Oslo)');
  checkTimeZone(c.timeZone);
  if (typeof c.httpPricePerGb !== 'number' || !Number.isFinite(c.httpPricePerGb) || c.httpPricePerGb < 0)
    throw new Error(`httpPricePerGb must be a number >= 0 (got ${String(c.httpPricePerGb)})`);
  if (typeof c.currency !== 'string' || !/^[A-Z]{3}$/.test(c.currency))
    throw new Error(
      `currency must be a three-letter ISO 4217 code such as EUR or NOK (got ${String(c.currency)})`,
    );
  if (typeof c.trustProxyTls !== 'boolean') throw new Error('trustProxyTls must be true or false');
}

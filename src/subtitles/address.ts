/**
 * The submitter's address as rate limits and bans see it. An IPv4 address is itself; an IPv6 address
 * is its /64, since one household or phone is handed a whole /64 and can pick a new address in it at
 * will, so banning or counting the full address would stop nobody. IPv4-mapped IPv6 (`::ffff:1.2.3.4`,
 * what a dual-stack socket reports for IPv4 clients) is the IPv4 address.
 */
import { addressBytes, formatIP, isV4Mapped } from '../protocol/ip.js';

/** The key for `address` ("192.0.2.7", "2001:db8:1:2::/64"), or null when it is not an IP address. */
export function addressKey(address: string): string | null {
  const b = addressBytes(address.trim());
  if (b === null) return null;
  if (isV4Mapped(b, 0)) return formatIP(b, 12, 4);
  b.fill(0, 8);
  return `${formatIP(b, 0, 16)}/64`;
}

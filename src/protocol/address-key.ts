/**
 * The submitter's address as rate limits and bans see it. An IPv4 address is itself; an IPv6 address
 * is its /64, since one household or phone is handed a whole /64 and can pick a new address in it at
 * will, so banning or counting the full address would stop nobody. IPv4-mapped IPv6 (`::ffff:1.2.3.4`,
 * what a dual-stack socket reports for IPv4 clients) is the IPv4 address.
 *
 * The range (rangeKey) is one step wider, for limits on what a whole network can do: an IPv4 /24, an
 * IPv6 /48 (a site's usual allocation). One host with many addresses of its network gets no more
 * pending submissions, nor a form token that works elsewhere, than its neighbours together.
 */
import { addressBytes, formatIP, isV4Mapped } from './ip.js';

/** The key for `address` ("192.0.2.7", "2001:db8:1:2::/64"), or null when it is not an IP address. */
export function addressKey(address: string): string | null {
  const b = addressBytes(address.trim());
  if (b === null) return null;
  if (isV4Mapped(b, 0)) return formatIP(b, 12, 4);
  b.fill(0, 8);
  return `${formatIP(b, 0, 16)}/64`;
}

/**
 * The range of an address or of an address key ("192.0.2.0/24", "2001:db8:1::/48"); a key that is
 * not an address (addressKey gave null) is its own range.
 */
export function rangeKey(addressOrKey: string): string {
  const b = addressBytes(addressOrKey.trim().replace(/\/64$/, ''));
  if (b === null) return addressOrKey;
  if (isV4Mapped(b, 0)) {
    b[15] = 0;
    return `${formatIP(b, 12, 4)}/24`;
  }
  b.fill(0, 6);
  return `${formatIP(b, 0, 16)}/48`;
}

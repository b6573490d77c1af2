/**
 * IP address text to bytes, without allocation (Node reports peer addresses as strings).
 * Also CIDR matching for the trusted-proxy and stats networks.
 */

/** The IPv4 address as an unsigned 32-bit number, or -1 if `s` is not dotted-quad IPv4. */
export function parseIPv4(s: string, from = 0): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // no leading zeros (avoids octal ambiguity)
      part = part * 10 + (c - 48);
      if (part > 255 || ++digits > 3) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/**
 * Writes the 16 bytes of IPv6 text `s` into out[off] and returns true, or false if malformed.
 * Accepts `::` compression, an embedded dotted IPv4 tail, and drops a `%zone` suffix.
 */
export function parseIPv6(s: string, out: Uint8Array, off: number): boolean {
  const pct = s.indexOf('%');
  const text = pct >= 0 ? s.slice(0, pct) : s;
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return false;
  const head = dbl >= 0 ? text.slice(0, dbl) : text;
  const tail = dbl >= 0 ? text.slice(dbl + 2) : '';
  const groups: number[] = [];
  const tailGroups: number[] = [];
  if (!parseGroups(head, groups, dbl < 0)) return false;
  if (dbl >= 0 && !parseGroups(tail, tailGroups, true)) return false;
  const total = groups.length + tailGroups.length;
  if (dbl >= 0 ? total > 7 : total !== 8) return false;
  for (let i = 0; i < 16; i++) out[off + i] = 0;
  for (let i = 0; i < groups.length; i++) {
    out[off + i * 2] = groups[i] >> 8;
    out[off + i * 2 + 1] = groups[i] & 0xff;
  }
  const start = 8 - tailGroups.length;
  for (let i = 0; i < tailGroups.length; i++) {
    out[off + (start + i) * 2] = tailGroups[i] >> 8;
    out[off + (start + i) * 2 + 1] = tailGroups[i] & 0xff;
  }
  return true;
}

function parseGroups(s: string, into: number[], allowV4Tail: boolean): boolean {
  if (s === '') return true;
  const parts = s.split(':');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (i === parts.length - 1 && allowV4Tail && p.includes('.')) {
      const v4 = parseIPv4(p);
      if (v4 < 0) return false;
      into.push(v4 >>> 16, v4 & 0xffff);
      return true;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return false;
    into.push(parseInt(p, 16));
  }
  return true;
}

/** True if the 16 bytes are an IPv4-mapped address (::ffff:a.b.c.d). */
export function isV4Mapped(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 10; i++) if (b[off + i] !== 0) return false;
  return b[off + 10] === 0xff && b[off + 11] === 0xff;
}

/** Formats 4 or 16 address bytes as text. */
export function formatIP(b: Uint8Array, off: number, len: 4 | 16): string {
  if (len === 4) return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[off + i] << 8) | b[off + i + 1]).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** A parsed network such as 10.0.0.0/8 or ::1/128, matched against address text. */
export class Network {
  private readonly bytes = new Uint8Array(16);
  private readonly bits: number;
  readonly v6: boolean;

  constructor(readonly text: string) {
    const slash = text.indexOf('/');
    const addr = slash >= 0 ? text.slice(0, slash) : text;
    const v4 = parseIPv4(addr);
    if (v4 >= 0) {
      this.v6 = false;
      writeMappedV4(v4, this.bytes);
    } else if (parseIPv6(addr, this.bytes, 0)) {
      this.v6 = true;
    } else throw new Error(`"${text}" is not an IP network (expected e.g. 10.0.0.0/8 or ::1/128)`);
    const max = this.v6 ? 128 : 32;
    const bits = slash >= 0 ? Number(text.slice(slash + 1)) : max;
    if (!Number.isInteger(bits) || bits < 0 || bits > max)
      throw new Error(`"${text}" has a bad prefix length`);
    this.bits = this.v6 ? bits : bits + 96;
  }

  /** The network as 17 bytes at out[at]: its address (IPv4 as ::ffff:a.b.c.d) and prefix bits of that. */
  writeRecord(out: Uint8Array, at: number): void {
    out.set(this.bytes, at);
    out[at + 16] = this.bits;
  }

  contains(address: string): boolean {
    const b = addressBytes(address);
    if (b === null) return false;
    let bits = this.bits;
    for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
      const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
      if ((b[i] & mask) !== (this.bytes[i] & mask)) return false;
    }
    return true;
  }
}

function writeMappedV4(v4: number, out: Uint8Array): void {
  out.fill(0);
  out[10] = 0xff;
  out[11] = 0xff;
  out[12] = v4 >>> 24;
  out[13] = (v4 >>> 16) & 0xff;
  out[14] = (v4 >>> 8) & 0xff;
  out[15] = v4 & 0xff;
}

/** 16 bytes for any address text (IPv4 as IPv4-mapped), or null. */
export function addressBytes(address: string): Uint8Array | null {
  const out = new Uint8Array(16);
  const v4 = parseIPv4(address);
  if (v4 >= 0) {
    writeMappedV4(v4, out);
    return out;
  }
  return parseIPv6(address, out, 0) ? out : null;
}

export function inNetworks(address: string, networks: readonly Network[]): boolean {
  for (const n of networks) if (n.contains(address)) return true;
  return false;
}

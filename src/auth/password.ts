/**
 * Password hashing with node:crypto's scrypt. The stored form carries its parameters and salt,
 *
 *   scrypt$<N>$<r>$<p>$<salt, base64url>$<64-byte key, base64url>
 *
 * so the cost can be raised later without invalidating existing hashes. Verification recomputes the
 * key with the stored parameters and compares in constant time.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * OWASP's recommended minimum for scrypt: N = 2^17, r = 8, p = 1 (128 MiB, a few hundred ms). Logins
 * verify at most two at a time (accounts.ts), so a flood of attempts cannot exhaust memory.
 */
export const SCRYPT_N = 1 << 17;
export const SCRYPT_R = 8;
export const SCRYPT_P = 1;
const KEY_BYTES = 64;
const SALT_BYTES = 16;

function scrypt(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  const options: ScryptOptions = { N: n, r, p, maxmem: 256 * n * r + (1 << 20) };
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `n` is lowered only by tests (the stored hash records it). */
export async function hashPassword(password: string, n = SCRYPT_N): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, n, SCRYPT_R, SCRYPT_P);
  return `scrypt$${n}$${SCRYPT_R}$${SCRYPT_P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** True if `password` matches `stored`; false for a wrong password or a malformed or unknown hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  // Bounds, so a tampered row cannot make a login take minutes or gigabytes.
  if (!Number.isInteger(n) || n < 2 || n > 1 << 20 || (n & (n - 1)) !== 0) return false;
  if (!Number.isInteger(r) || r < 1 || r > 32 || !Number.isInteger(p) || p < 1 || p > 16) return false;
  const salt = Buffer.from(parts[4], 'base64url');
  const expected = Buffer.from(parts[5], 'base64url');
  if (salt.length < 8 || expected.length !== KEY_BYTES) return false;
  const key = await scrypt(password, salt, n, r, p);
  return timingSafeEqual(key, expected);
}

/**
 * A password to print once: 20 characters from 15 random bytes (120 bits), URL-safe. Never one
 * starting with '-', which a command line would read as an option (`fjord ... --password -x...`).
 */
export function generatePassword(): string {
  for (;;) {
    const p = randomBytes(15).toString('base64url');
    if (!p.startsWith('-')) return p;
  }
}

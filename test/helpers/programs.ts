/**
 * Tests that need an outside program (a real BitTorrent client, Chromium, PostgreSQL) ask here.
 * On a user's machine a missing program skips the test with a visible reason; under CI=true nothing
 * may skip, so a missing program fails the test instead.
 */
import { spawnSync } from 'node:child_process';

const cache = new Map<string, boolean>();

/** True when `cmd args` runs and exits 0 (e.g. `which aria2c`, or a Python import). */
export function runs(cmd: string, args: string[]): boolean {
  const key = [cmd, ...args].join('\0');
  let ok = cache.get(key);
  if (ok === undefined) {
    const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
    ok = r.status === 0;
    cache.set(key, ok);
  }
  return ok;
}

export function hasProgram(name: string): boolean {
  return runs('sh', ['-c', `command -v ${name}`]);
}

/**
 * The `skip` option for node:test: false when everything named is present; otherwise a reason.
 * Under CI it throws, so that a missing install step fails loudly rather than skipping.
 */
export function skipUnless(...requirements: Array<{ ok: boolean; what: string }>): string | false {
  const missing = requirements.filter((r) => !r.ok).map((r) => r.what);
  if (missing.length === 0) return false;
  const reason = `needs ${missing.join(', ')} (see README, "Tests")`;
  if (process.env.CI) throw new Error(`CI must not skip: ${reason}`);
  return reason;
}

export const program = (name: string) => ({ ok: hasProgram(name), what: name });
export const pythonModule = (mod: string) => ({
  ok: runs('/usr/bin/python3', ['-c', `import ${mod}`]),
  what: `/usr/bin/python3 with ${mod} (Debian package python3-${mod})`,
});

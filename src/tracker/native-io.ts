/**
 * Loads fjord's native I/O addon (native/io, Linux, Node-API): UDP datagrams in batches
 * (udp_batch.c, used by udp-batch.ts) and HTTP connections without a net.Socket each
 * (http_batch.c, used by http-native.ts). `npm install` builds it (scripts/build-native.js).
 *
 * Each half can be switched off on its own (FJORD_UDP_BATCH=0, FJORD_HTTP_NATIVE=0); when the
 * addon is missing, the tracker uses node:dgram and node:net with the same tracker code.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSystemErrorName } from 'node:util';

export const ADDON = 'native/io/build/Release/fjord_io.node';

/** Whether a half of the addon is in use, and if not, why (for the start-up log and tests). */
export interface NativeStatus {
  loaded: boolean;
  reason: string;
  path: string | null;
}

let cached: { exports: Record<string, unknown> | null; reason: string; path: string | null } | null = null;

function loadAddon(): { exports: Record<string, unknown> | null; reason: string; path: string | null } {
  if (cached !== null) return cached;
  if (process.platform !== 'linux') {
    return (cached = { exports: null, reason: `the addon is Linux only (${process.platform})`, path: null });
  }
  // From src/tracker (tsx), dist/tracker, or a copy of dist/ somewhere below the repository (the
  // benchmark's snapshot): walk up to the directory that has the built addon.
  let dir = dirname(fileURLToPath(import.meta.url));
  let path: string | null = null;
  for (;;) {
    if (existsSync(join(dir, ADDON))) {
      path = join(dir, ADDON);
      break;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  if (path === null) {
    return (cached = {
      exports: null,
      reason: `not built (${ADDON} missing; run: node scripts/build-native.js)`,
      path: null,
    });
  }
  try {
    const exports = createRequire(import.meta.url)(path) as Record<string, unknown>;
    return (cached = { exports, reason: '', path });
  } catch (e) {
    return (cached = {
      exports: null,
      reason: `cannot load ${path}: ${e instanceof Error ? e.message : String(e)}`,
      path,
    });
  }
}

/**
 * One half of the addon (`udp` or `http`), or null with the reason in `status`. `check` says
 * whether the exports are the ones this build of fjord expects (a stale build is not used).
 */
export function loadHalf<T>(
  half: 'udp' | 'http',
  envSwitch: string,
  status: NativeStatus,
  check: (b: T) => boolean,
): T | null {
  if (process.env[envSwitch] === '0') {
    status.reason = `${envSwitch}=0`;
    return null;
  }
  const a = loadAddon();
  if (a.exports === null) {
    status.reason = a.reason;
    return null;
  }
  const b = a.exports[half] as T | undefined;
  if (b === undefined || !check(b)) {
    status.reason = `${a.path}: unexpected exports (an old build? run: node scripts/build-native.js)`;
    return null;
  }
  status.loaded = true;
  status.path = a.path;
  return b;
}

/**
 * Hands the C allocator's free pages back to the system (the addon's trim(): glibc malloc_trim).
 * False when nothing was released, or without the addon.
 */
export function trimMemory(): boolean {
  const trim = loadAddon().exports?.trim;
  return typeof trim === 'function' ? Boolean((trim as () => boolean)()) : false;
}

/** The addon's error as Node's own socket errors look (code, errno, syscall, address, port). */
export function systemError(e: unknown, host: string, port: number): Error {
  if (!(e instanceof Error)) return new Error(String(e));
  const err = e as NodeJS.ErrnoException;
  if (err.code && err.syscall) {
    err.message = `${err.syscall} ${err.code} ${host}:${port}`;
    Object.assign(err, { address: host, port });
  }
  return err;
}

/** What both halves of the addon export for a handle from their open(). */
interface HandleBinding {
  address(handle: object): [string, number];
  close(handle: object): void;
}

/**
 * A socket of the addon (NativeUdpSocket, NativeHttpListener): its address, an idempotent close,
 * and its counters, of which `lastErrnoIndex` holds the errno of the last error counted.
 */
export abstract class NativeHandle {
  protected abstract readonly handle: object;
  protected closed = false;
  abstract readonly counters: Float64Array;

  constructor(
    private readonly binding: HandleBinding,
    private readonly lastErrnoIndex: number,
  ) {}

  address(): { host: string; port: number } {
    const [host, port] = this.binding.address(this.handle);
    return { host, port };
  }

  /** Closes the socket now (after the batch, if called from onBatch). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.binding.close(this.handle);
  }

  /** The name of the last error counted (e.g. ECONNREFUSED). */
  lastError(): string {
    const errno = this.counters[this.lastErrnoIndex];
    return errno > 0 ? getSystemErrorName(-errno) : 'none';
  }
}

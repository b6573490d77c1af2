/**
 * The HTTP half of the native I/O addon (native/io/http_batch.c, Linux): an epoll loop in C that
 * accepts connections, reads their request heads and writes the replies, and calls JavaScript
 * once per batch of complete heads, instead of a net.Socket (a stream, its states and its GC) per
 * connection (docs/benchmarks.md, "Native HTTP connections").
 *
 * `npm install` builds it (scripts/build-native.js); when it is not there (another OS, no
 * compiler) or FJORD_HTTP_NATIVE=0 is set, `httpNative` is null and the HTTP listener uses
 * node:net, with the same request handling and the same replies.
 *
 * The buffers are shared with the addon; their layouts are described in native/io/http_batch.c.
 */
import { NativeHandle, loadHalf, systemError, type NativeStatus } from './native-io.js';

/** The addon's exports (native/io/http_batch.c). */
interface Binding {
  open(
    host: string,
    port: number,
    backlog: number,
    onBatch: (count: number) => void,
    input: Buffer,
    meta: Buffer,
    output: Buffer,
    inSlot: number,
    outSlot: number,
    counters: Float64Array,
  ): object;
  address(handle: object): [string, number];
  detach(handle: object, slot: number): number;
  sweep(handle: object, idleSeconds: number): number;
  limits(handle: object, maxOpen: number, maxPerAddress: number, exempt: Uint8Array): void;
  openDescriptors(): number;
  close(handle: object): void;
  SLOTS: number;
  META_SLOT: number;
  COUNTERS: number;
}

/** Indexes into NativeHttpListener.counters (enum hcounter in http_batch.c). */
export const H_BATCHES = 0;
export const H_ACCEPTED = 1;
export const H_REQUESTS = 2;
export const H_OPEN = 3;
export const H_ACCEPT_ERRORS = 4;
export const H_ACCEPT_PAUSES = 5;
export const H_WRITE_ERRORS = 6;
export const H_WRITE_BLOCKED = 7;
export const H_READ_ERRORS = 8;
export const H_CLOSED_EARLY = 9;
export const H_TIMED_OUT = 10;
export const H_DETACHED = 11;
export const H_LAST_ERRNO = 12;
export const H_POLLS = 13;
export const H_REFUSED = 14;
export const H_SHED = 15;
const COUNTERS = 16;
const META_SLOT = 48;

/** Whether the addon's HTTP half is in use, and if not, why (for the start-up log and tests). */
export const httpNativeStatus: NativeStatus = { loaded: false, reason: '', path: null };

/** The addon's HTTP half, or null when node:net is to be used (see httpNativeStatus.reason). */
export const httpNative: Binding | null = loadHalf<Binding>(
  'http',
  'FJORD_HTTP_NATIVE',
  httpNativeStatus,
  (b) => typeof b.open === 'function' && b.COUNTERS === COUNTERS && b.META_SLOT === META_SLOT,
);

/**
 * One listening socket of the addon with its shared buffers. `onBatch(count)` is called with the
 * number of request heads ready; for each i < count it reads head i (`heads[i]`, `end(i)`,
 * `length(i)`, the client in `family(i)`, `port(i)` and the `meta` bytes at `addressOffset(i)`),
 * and either writes the reply into `replies[i]` and its length with `setReply(i, length)` (the
 * addon sends it and closes the connection when onBatch returns) or takes the connection over
 * with `detach(i)`.
 */
export class NativeHttpListener extends NativeHandle {
  readonly slots: number;
  /** Per-slot views of the input buffer: head i and what followed it in the same reads. */
  readonly heads: Buffer[] = [];
  /** Per-slot views of the output buffer, one reply each. */
  readonly replies: Buffer[] = [];
  readonly meta: Buffer;
  private readonly meta32: Int32Array;
  readonly counters = new Float64Array(COUNTERS);
  protected readonly handle: object;

  constructor(
    private readonly b: Binding,
    host: string,
    port: number,
    backlog: number,
    maxHeadBytes: number,
    replyBytes: number,
    onBatch: (count: number) => void,
  ) {
    super(b, H_LAST_ERRNO);
    const n = (this.slots = b.SLOTS);
    const inSlot = (maxHeadBytes + 4 + 63) & ~63;
    const outSlot = (replyBytes + 63) & ~63;
    // Unzeroed: a slot's pages become resident only once a request or reply reaches them.
    const input = Buffer.allocUnsafeSlow(n * inSlot);
    const output = Buffer.allocUnsafeSlow(n * outSlot);
    this.meta = Buffer.alloc(n * META_SLOT);
    this.meta32 = new Int32Array(this.meta.buffer, this.meta.byteOffset, this.meta.length >> 2);
    for (let i = 0; i < n; i++) {
      this.heads.push(input.subarray(i * inSlot, (i + 1) * inSlot));
      this.replies.push(output.subarray(i * outSlot, i * outSlot + replyBytes));
    }
    try {
      this.handle = b.open(
        host,
        port,
        backlog,
        onBatch,
        input,
        this.meta,
        output,
        inSlot,
        outSlot,
        this.counters,
      );
    } catch (e) {
      throw systemError(e, host, port);
    }
  }

  /**
   * Offset of head i's blank line ("\r\n\r\n"), or -1 when it grew too large without one, or -2
   * when a line of it ended in a bare LF first.
   */
  end(i: number): number {
    return this.meta32[i * 12];
  }

  /** 4 or 6. */
  family(i: number): number {
    return this.meta32[i * 12 + 1];
  }

  port(i: number): number {
    return this.meta32[i * 12 + 2];
  }

  /** Where head i's client address bytes are in `meta`. */
  addressOffset(i: number): number {
    return i * META_SLOT + 16;
  }

  /** Bytes in input slot i (the head, and a body or more if the client sent them at once). */
  length(i: number): number {
    return this.meta32[i * 12 + 9];
  }

  setReply(i: number, len: number): void {
    this.meta32[i * 12 + 3] = len;
  }

  /** Takes connection i out of the addon (only inside onBatch); returns its file descriptor. */
  detach(i: number): number {
    return this.b.detach(this.handle, i);
  }

  /**
   * Connections open in the addon at most (0: no limit; beyond it the one that has waited longest
   * for its client is closed) and per client address (0: no limit; beyond it a new connection is
   * closed at once), except from `exempt` networks (17 bytes each: see http_batch.c, limits()).
   */
  limits(maxOpen: number, maxPerAddress: number, exempt: Uint8Array): void {
    if (!this.closed) this.b.limits(this.handle, maxOpen, maxPerAddress, exempt);
  }

  /** Closes connections idle for idleSeconds; returns how many. */
  sweep(idleSeconds: number): number {
    return this.closed ? 0 : this.b.sweep(this.handle, idleSeconds);
  }
}

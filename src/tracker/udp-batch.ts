/**
 * The UDP half of the native I/O addon (native/io/udp_batch.c, Linux): recvmmsg/sendmmsg in batches of up to
 * 64 datagrams and one call into JavaScript per batch, instead of node:dgram's system call, Buffer,
 * `rinfo` and address string per datagram (docs/benchmarks.md, "Native UDP batching").
 *
 * `npm install` builds it (scripts/build-native.js); when it is not there (another OS, no
 * compiler) or FJORD_UDP_BATCH=0 is set, `udpBatch` is null and the UDP listener uses node:dgram,
 * with the same tracker code and the same replies.
 *
 * The buffers are shared with the addon; their layouts are described in native/io/udp_batch.c.
 */
import { NativeHandle, loadHalf, systemError, type NativeStatus } from './native-io.js';

/** The addon's exports (native/io/udp_batch.c). */
interface Binding {
  open(
    host: string,
    port: number,
    rcvbuf: number,
    sndbuf: number,
    onBatch: (count: number) => void,
    input: Buffer,
    overflow: Buffer,
    meta: Buffer,
    output: Buffer,
    outSlot: number,
    counters: Float64Array,
  ): object;
  address(handle: object): [string, number];
  close(handle: object): void;
  SLOTS: number;
  IN_SLOT: number;
  IN_OVERFLOW: number;
  META_SLOT: number;
  COUNTERS: number;
}

/** Whether the addon's UDP half is in use, and if not, why (for the start-up log and tests). */
export const udpBatchStatus: NativeStatus = { loaded: false, reason: '', path: null };

/** Indexes into NativeUdpSocket.counters (enum counter in udp_batch.c). */
export const C_BATCHES = 0;
export const C_RECEIVED = 1;
export const C_SENT = 2;
export const C_RECV_ERRORS = 3;
export const C_SEND_ERRORS = 4;
export const C_SEND_BLOCKED = 5;
export const C_LAST_ERRNO = 6;
export const C_POLLS = 7;
export const C_TRUNCATED = 8;
const COUNTERS = 9;

/** The addon, or null when node:dgram is to be used (see udpBatchStatus.reason). */
export const udpBatch: Binding | null = loadHalf<Binding>(
  'udp',
  'FJORD_UDP_BATCH',
  udpBatchStatus,
  (b) => typeof b.open === 'function' && b.COUNTERS === COUNTERS,
);

/**
 * One bound UDP socket of the addon with its shared buffers. `onBatch(count)` is called with the
 * number of datagrams received; for each i < count it reads datagram i (`message(i)`, `length(i)`,
 * the source in `family(i)` and `meta` bytes at `addressOffset(i)`), writes the reply into
 * `replies[i]` and its length with `setReply(i, length)` (0: none). The addon sends the replies
 * when onBatch returns.
 */
export class NativeUdpSocket extends NativeHandle {
  readonly slots: number;
  /** Per-slot views of the input buffer (the first IN_SLOT bytes of each datagram). */
  private readonly messages: Buffer[] = [];
  /** Per-slot views of the output buffer, one reply each. */
  readonly replies: Buffer[] = [];
  readonly meta: Buffer;
  private readonly meta32: Int32Array;
  readonly counters: Float64Array;
  private readonly input: Buffer;
  private readonly overflow: Buffer;
  protected readonly handle: object;

  constructor(
    private readonly b: Binding,
    host: string,
    port: number,
    replyBytes: number,
    bufferBytes: number,
    onBatch: (count: number) => void,
  ) {
    super(b, C_LAST_ERRNO);
    const n = (this.slots = b.SLOTS);
    // Unzeroed allocations: the pages of a slot are only made resident once a datagram or reply
    // reaches them (most of `overflow` never is).
    this.input = Buffer.allocUnsafeSlow(n * b.IN_SLOT);
    this.overflow = Buffer.allocUnsafeSlow(n * b.IN_OVERFLOW);
    this.meta = Buffer.alloc(n * b.META_SLOT);
    this.meta32 = new Int32Array(this.meta.buffer, this.meta.byteOffset, this.meta.length >> 2);
    const outSlot = (replyBytes + 63) & ~63;
    const output = Buffer.allocUnsafeSlow(n * outSlot);
    this.counters = new Float64Array(COUNTERS);
    for (let i = 0; i < n; i++) {
      this.messages.push(this.input.subarray(i * b.IN_SLOT, (i + 1) * b.IN_SLOT));
      this.replies.push(output.subarray(i * outSlot, i * outSlot + replyBytes));
    }
    try {
      this.handle = b.open(
        host,
        port,
        bufferBytes,
        bufferBytes,
        onBatch,
        this.input,
        this.overflow,
        this.meta,
        output,
        outSlot,
        this.counters,
      );
    } catch (e) {
      throw systemError(e, host, port);
    }
  }

  /** Datagram i's bytes: a view of its slot (longer than the datagram; see length(i)). */
  message(i: number, len: number): Buffer {
    if (len <= this.b.IN_SLOT) return this.messages[i];
    // Longer than a slot (no tracker request is): its tail is in the overflow slot. Rare, so join.
    return Buffer.concat([
      this.messages[i],
      this.overflow.subarray(i * this.b.IN_OVERFLOW, i * this.b.IN_OVERFLOW + len - this.b.IN_SLOT),
    ]);
  }

  length(i: number): number {
    return this.meta32[i * 8];
  }

  /** 4, 6, or 0 when the source is neither (cannot happen on an IPv4 or IPv6 socket). */
  family(i: number): number {
    return this.meta32[i * 8 + 1];
  }

  port(i: number): number {
    return this.meta32[i * 8 + 2];
  }

  /** Where datagram i's source address bytes are in `meta`. */
  addressOffset(i: number): number {
    return i * 32 + 16;
  }

  setReply(i: number, len: number): void {
    this.meta32[i * 8 + 3] = len;
  }
}

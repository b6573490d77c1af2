/**
 * Gives the C allocator's free pages back to the system after V8 has freed array buffers.
 *
 * A peer list grows by copying its peers into a buffer twice as large and dropping the old one
 * (src/swarm/peer-list.ts); when V8 collects the old buffers, glibc keeps their memory, and while
 * swarms fill (2 million peers over 10,000 torrents in a minute) that was 5 to 10 bytes a peer of
 * resident memory, in one run out of two (docs/benchmarks.md, whole-process memory). check() runs
 * once a second and calls malloc_trim through the native addon (native-io.ts trimMemory), which
 * returns the free pages, when the process's array buffers have changed by TRIM_AFTER_BYTES since
 * the last trim or shrunk by TRIM_AFTER_FREED in a second; a quiet tracker never trims.
 */
import { trimMemory } from './native-io.js';

/** A trim when the array buffers have changed by this much since the last one. */
export const TRIM_AFTER_BYTES = 4 << 20;
/** ... or have shrunk by this much in a second (V8 freed some: their pages are free now). */
export const TRIM_AFTER_FREED = 1 << 20;

export class MemoryTrim {
  private atTrim = -1;
  private last = 0;
  /** Trims done (for tests and the curious). */
  trims = 0;

  constructor(
    private readonly read: () => number = () => process.memoryUsage().arrayBuffers,
    /** FJORD_MALLOC_TRIM=0 turns trimming off (to measure what it does). */
    private readonly trim: () => unknown = process.env.FJORD_MALLOC_TRIM === '0' ? () => false : trimMemory,
  ) {}

  check(): void {
    let now: number;
    try {
      now = this.read();
    } catch {
      // process.memoryUsage() reads /proc for the RSS, which fails when the process is out of file
      // descriptors (EMFILE): skip this second rather than end the tracker.
      return;
    }
    if (this.atTrim < 0) this.atTrim = now;
    if (Math.abs(now - this.atTrim) >= TRIM_AFTER_BYTES || this.last - now >= TRIM_AFTER_FREED) {
      this.trim();
      this.trims++;
      this.atTrim = now;
    }
    this.last = now;
  }
}

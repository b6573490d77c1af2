/**
 * Open connections per client address, with a cap: the WebSocket tracker's sockets and the HTTP
 * tracker's node:net connections (the native HTTP path keeps the same count in C, http_batch.c).
 * One address holding thousands of connections is how a single host exhausts a process's file
 * descriptors (issue 19); a cap per address makes that take as many hosts as descriptors / cap.
 */
export class AddressCounts {
  private readonly counts = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Whether `address` has `max` connections counted already (a new one is to be refused). */
  full(address: string): boolean {
    return (this.counts.get(address) ?? 0) >= this.max;
  }

  /** Counts one more connection of `address`. */
  add(address: string): void {
    this.counts.set(address, (this.counts.get(address) ?? 0) + 1);
  }

  /** Uncounts one connection of `address`. */
  remove(address: string): void {
    const n = (this.counts.get(address) ?? 1) - 1;
    if (n <= 0) this.counts.delete(address);
    else this.counts.set(address, n);
  }
}

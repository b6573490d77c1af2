/**
 * The process's file descriptors, as a budget the tracker's TCP listeners (each HTTP tracker
 * listener, and the WebSocket tracker with all its sockets) keep within, so that the
 * web and admin listeners (and files, the catalog, the web seed) always find descriptors free
 * (issue 19: 20,000 slow connections took all 20,000 and every TCP service failed but UDP).
 *
 * The limit is the soft RLIMIT_NOFILE (`ulimit -n`, from /proc/self/limits). Counting what is open
 * means reading /proc/self/fd, which costs about 3 µs per descriptor from JavaScript (a few ms at
 * 20,000 from the native addon), so it is counted at most once a second and less often when many
 * are open (every total / 2,000 seconds). Between counts, each user keeps to the number of
 * connections it was given at the last count: an equal share of the room above the reserve, so
 * that long-lived WebSockets cannot take what short HTTP announces need, nor the reverse.
 * Linux only; elsewhere (no /proc) there is no budget and only the per-address caps apply.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { clock } from '../swarm/clock.js';
import { httpNative } from './http-native.js';

/** The soft limit on open descriptors, or Infinity when it cannot be read (or is unlimited). */
export function descriptorLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'latin1')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line === undefined ? NaN : Number(line.slice(26).trim().split(/\s+/)[0]);
    return Number.isFinite(soft) && soft > 0 ? soft : Infinity;
  } catch {
    return Infinity;
  }
}

/** Descriptors open in this process now, or -1 when unknown. */
export function openDescriptors(): number {
  if (httpNative !== null) return httpNative.openDescriptors();
  try {
    return readdirSync('/proc/self/fd').length - 1; // less the one that read it
  } catch {
    return -1;
  }
}

/** The process's budget (made with the first listener's reserve; one process, one limit). */
let shared: DescriptorBudget | null = null;
export function processBudget(reserve: number): DescriptorBudget {
  return (shared ??= new DescriptorBudget(reserve));
}

/** One per process (processBudget()): shared by every HTTP tracker listener and the WebSocket tracker. */
export class DescriptorBudget {
  readonly limit: number = descriptorLimit();
  /** Descriptors left for everything else (min(configured, a quarter of the limit)). */
  readonly reserve: number;
  private readonly users = new Set<{ open(): number }>();
  private countedAt = -Infinity;
  private total = 0;
  private othersOpen = 0;

  /** `reserve` 0: no budget (the listeners may take every descriptor, and pause at EMFILE). */
  constructor(reserve: number) {
    this.reserve = Math.min(reserve, Math.floor(this.limit / 4));
    if (reserve === 0) this.limit = Infinity;
  }

  /** A listener whose connections count against the budget (`open`: how many it has now). */
  join(user: { open(): number }): void {
    this.users.add(user);
  }

  leave(user: { open(): number }): void {
    this.users.delete(user);
  }

  /**
   * How many connections each listener may have open (its share of what is left above the
   * reserve; Infinity without a limit). Recounts the process's descriptors when due.
   */
  allowance(): number {
    if (this.limit === Infinity) return Infinity;
    const now = clock.seconds;
    if (now - this.countedAt >= Math.max(1, Math.floor(this.total / 2000))) {
      this.countedAt = now;
      const total = openDescriptors();
      if (total < 0) return Infinity;
      this.total = total;
      let mine = 0;
      for (const u of this.users) mine += u.open();
      this.othersOpen = total - mine;
    }
    const room = this.limit - this.reserve - this.othersOpen;
    return Math.max(0, Math.floor(room / Math.max(1, this.users.size)));
  }

  /** Whether the budget is in force (a limit that could be read). */
  get active(): boolean {
    return this.limit !== Infinity;
  }
}

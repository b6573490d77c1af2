/**
 * Open connections per client address, with a cap: the WebSocket tracker's sockets, the HTTP
 * tracker's node:net connections (the native HTTP path keeps the same count in C, http_batch.c).
 * One address holding thousands of connections is how a single host exhausts a process's file
 * descriptors (issue 19); a cap per address makes that take as many hosts as descriptors / cap.
 * The web and admin listeners (node:http) keep one too: capConnections() below.
 */
import type net from 'node:net';
import { clock } from '../swarm/clock.js';
import { inNetworks, type Network } from '../protocol/ip.js';

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

/** Seconds between two log lines about one listener's refused, shed or failed accepts. */
export const LOG_EVERY = 10;

/**
 * A listener's refused, shed and failed accepts not yet logged, written as at most one line every
 * LOG_EVERY seconds (a flood of EMFILE or of one address's connections must not become a flood of
 * log lines). `label`: the line's prefix, e.g. "http 127.0.0.1:6969"; `cap`: the per-address cap
 * the refusals were over.
 */
export class AcceptProblems {
  acceptErrors = 0;
  /** The last accept error's code (EMFILE). */
  error = '';
  refused = 0;
  shed = 0;
  private loggedAt = -Infinity;

  constructor(
    private readonly log: (line: string) => void,
    public label: string,
    private readonly cap: number,
  ) {}

  /** Logs what is unlogged, unless a line was written less than LOG_EVERY seconds ago. */
  note(): void {
    if (clock.seconds - this.loggedAt < LOG_EVERY) return;
    const parts: string[] = [];
    if (this.acceptErrors > 0)
      parts.push(
        `accept failed (${this.error})${this.acceptErrors > 1 ? ` ${this.acceptErrors} times` : ''}`,
      );
    if (this.refused > 0)
      parts.push(`${this.refused} connections refused (over ${this.cap} from one address)`);
    if (this.shed > 0) parts.push(`${this.shed} waiting connections closed to keep descriptors free`);
    if (parts.length === 0) return;
    this.loggedAt = clock.seconds;
    this.log(`${this.label}: ${parts.join('; ')}`);
    this.acceptErrors = this.refused = this.shed = 0;
    this.error = '';
  }
}

/**
 * Caps a node:http server's open connections per client address (the web and admin listeners):
 * one beyond `max` is closed at once, counted (`refused()`, and in `problems` for the log).
 * Addresses in `trusted` (reverse proxies, which carry many clients) are not counted.
 */
export function capConnections(
  server: net.Server,
  max: number,
  trusted: Network[],
  problems: AcceptProblems,
  refused: () => void,
): void {
  const counts = new AddressCounts(max);
  server.on('connection', (socket: net.Socket) => {
    const address = socket.remoteAddress ?? '';
    if (trusted.length > 0 && inNetworks(address, trusted)) return;
    if (counts.full(address)) {
      refused();
      problems.refused++;
      problems.note();
      socket.destroy();
      return;
    }
    counts.add(address);
    socket.once('close', () => counts.remove(address));
  });
}

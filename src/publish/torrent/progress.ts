/**
 * A one-line progress bar for hashing, redrawn in place on a terminal:
 *   hashing [##########..........]  48%  1234.5 MB/s  0:03 left
 * Silent when the stream is not a terminal (logs, pipes, tests), so nothing but results reach them.
 */
import { performance } from 'node:perf_hooks';
import type { WriteStream } from 'node:tty';

export interface ProgressBar {
  update(done: number, total: number): void;
  finish(): void;
}

type Out = Pick<WriteStream, 'write'> & { isTTY?: boolean; columns?: number };

export function progressBar(
  out: Out = process.stderr,
  now: () => number = () => performance.now(),
): ProgressBar {
  if (!out.isTTY) return { update: () => {}, finish: () => {} };
  const start = now();
  let lastDraw = -Infinity;
  let drawn = false;
  const draw = (done: number, total: number): void => {
    const seconds = (now() - start) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const frac = total > 0 ? done / total : 1;
    const width = 20;
    const filled = Math.round(frac * width);
    const left = rate > 0 ? (total - done) / rate : NaN;
    const eta = Number.isFinite(left)
      ? `${Math.floor(left / 60)}:${String(Math.round(left % 60)).padStart(2, '0')} left`
      : '';
    const line = `hashing [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${(rate / 1e6).toFixed(1)} MB/s  ${eta}`;
    out.write(`\r${line.slice(0, (out.columns ?? 80) - 1)}\x1b[K`);
    drawn = true;
  };
  return {
    update(done, total) {
      // At most ten redraws a second: a terminal is slow next to hashing.
      const t = now();
      if (t - lastDraw < 100 && done < total) return;
      lastDraw = t;
      draw(done, total);
    },
    finish() {
      if (drawn) out.write('\r\x1b[K');
    },
  };
}

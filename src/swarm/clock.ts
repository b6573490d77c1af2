/**
 * A cached clock: whole seconds since the epoch, refreshed once a second by a timer, so the hot
 * path reads a number instead of calling Date.now() per request.
 */
export const clock = {
  /** Seconds since the Unix epoch, at most about a second old. */
  seconds: Math.floor(Date.now() / 1000),
};

let timer: NodeJS.Timeout | undefined;

/** Starts refreshing the clock (idempotent); the timer never keeps the process alive. */
export function startClock(): void {
  if (timer) return;
  timer = setInterval(() => {
    clock.seconds = Math.floor(Date.now() / 1000);
  }, 250);
  timer.unref();
}

export function stopClock(): void {
  if (timer) clearInterval(timer);
  timer = undefined;
}

/**
 * Clock: the only way broker code reads time or schedules work.
 * Production uses io/node/clock.ts; simulation tests substitute a virtual clock so a whole
 * broker (or cluster) can be driven deterministically.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the epoch (record timestamps, retention by time). */
  nowMs(): number;
  /** Monotonic milliseconds (timeouts, latency); never goes backwards. */
  monotonicMs(): number;
  /** Runs `fn` once after `delayMs`. The timer does not keep the process alive when `unref` is true. */
  setTimer(delayMs: number, fn: () => void, opts?: { unref?: boolean }): Timer;
  /** Runs `fn` every `intervalMs` until cancelled. */
  setInterval(intervalMs: number, fn: () => void, opts?: { unref?: boolean }): Timer;
}

/** Resolves after `delayMs` on `clock` (an unref'd timer: a pending sleep does not keep the process alive). */
export function sleepOn(clock: Clock, delayMs: number): Promise<void> {
  return new Promise((resolve) => clock.setTimer(delayMs, resolve, { unref: true }));
}

/**
 * Production Clock over Date.now, performance.now and node timers.
 *
 * Node cannot wait longer than 2^31-1 ms in one timer: a longer delay is replaced by 1 ms (with a
 * TimeoutOverflowWarning). Kafka's "never" defaults (Long.MAX_VALUE, e.g.
 * log.flush.scheduler.interval.ms) are such delays, so longer waits are chained timers instead.
 */
import { performance } from 'node:perf_hooks';
import type { Clock, Timer } from '../clock.js';

const NODE_TIMER_MS_MAX = 2 ** 31 - 1;

export class NodeClock implements Clock {
  nowMs(): number {
    return Date.now();
  }
  monotonicMs(): number {
    return performance.now();
  }
  setTimer(delayMs: number, fn: () => void, opts?: { unref?: boolean }): Timer {
    let handle: NodeJS.Timeout;
    const arm = (remainingMs: number): void => {
      const stepMs = Math.min(remainingMs, NODE_TIMER_MS_MAX);
      handle = setTimeout(() => (remainingMs > stepMs ? arm(remainingMs - stepMs) : fn()), stepMs);
      if (opts?.unref) handle.unref();
    };
    arm(delayMs);
    return { cancel: () => clearTimeout(handle) };
  }
  setInterval(intervalMs: number, fn: () => void, opts?: { unref?: boolean }): Timer {
    if (intervalMs <= NODE_TIMER_MS_MAX) {
      const handle = setInterval(fn, intervalMs);
      if (opts?.unref) handle.unref();
      return { cancel: () => clearInterval(handle) };
    }
    let timer: Timer;
    const next = (): void => {
      timer = this.setTimer(intervalMs, () => {
        next();
        fn();
      }, opts);
    };
    next();
    return { cancel: () => timer.cancel() };
  }
}

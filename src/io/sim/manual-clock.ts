/**
 * ManualClock: a Clock whose time moves only when its owner says so (`advance(ms)`), firing due
 * timers in order. For unit tests of timer-driven code (storage flush and retention, the group
 * coordinator's deadlines) that must not depend on real time; the whole-cluster simulator uses
 * the scheduler-driven clocks of test/sim instead.
 */
import type { Clock, Timer } from '../clock.js';

interface ScheduledTimer {
  dueMs: number;
  intervalMs: number | null;
  fn: () => void;
  cancelled: boolean;
}

export class ManualClock implements Clock {
  #nowMs: number;
  #monotonicMs = 0;
  #timers: ScheduledTimer[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.#nowMs = startMs;
  }

  nowMs(): number {
    return this.#nowMs;
  }

  monotonicMs(): number {
    return this.#monotonicMs;
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    return this.#add(delayMs, null, fn);
  }

  setInterval(intervalMs: number, fn: () => void): Timer {
    return this.#add(intervalMs, intervalMs, fn);
  }

  #add(delayMs: number, intervalMs: number | null, fn: () => void): Timer {
    const t: ScheduledTimer = { dueMs: this.#monotonicMs + delayMs, intervalMs, fn, cancelled: false };
    this.#timers.push(t);
    return { cancel: () => (t.cancelled = true) };
  }

  /** Live timers (not cancelled, not yet fired once-only). */
  get pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Moves both clocks forward, firing due timers in order. */
  advance(ms: number): void {
    const target = this.#monotonicMs + ms;
    for (;;) {
      const due = this.#timers.filter((t) => !t.cancelled && t.dueMs <= target).sort((a, b) => a.dueMs - b.dueMs)[0];
      if (!due) break;
      this.#nowMs += due.dueMs - this.#monotonicMs;
      this.#monotonicMs = due.dueMs;
      if (due.intervalMs === null) due.cancelled = true;
      else due.dueMs += due.intervalMs;
      due.fn();
    }
    this.#nowMs += target - this.#monotonicMs;
    this.#monotonicMs = target;
    this.#timers = this.#timers.filter((t) => !t.cancelled);
  }
}

/**
 * Shared fixtures for the storage tests (not a test file itself): a manual Clock whose time only
 * moves when a test says so, and small LogConfig/PartitionLog factories over the memory disk.
 */
import type { Clock, Timer } from '../../src/io/clock.js';
import { MemoryDisk } from '../../src/io/memory/disk.js';
import { defaultLogConfig, type LogConfig } from '../../src/storage/log-config.js';
import { PartitionLog, type PartitionLogOptions } from '../../src/storage/partition-log.js';

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

export function testConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...defaultLogConfig, retentionMs: -1, fileDeleteDelayMs: 0, ...overrides };
}

export interface Fixture {
  disk: MemoryDisk;
  clock: ManualClock;
  dir: string;
  open(overrides?: Partial<PartitionLogOptions>): Promise<PartitionLog>;
}

export function fixture(config: Partial<LogConfig> = {}): Fixture {
  const disk = new MemoryDisk();
  const clock = new ManualClock();
  const dir = '/data/orders-0';
  return {
    disk,
    clock,
    dir,
    open: (overrides = {}) =>
      PartitionLog.open({ disk, clock, dir, topic: 'orders', partition: 0, config: testConfig(config), ...overrides }),
  };
}

/** Lets pending promise callbacks (background flushes, deletions) run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

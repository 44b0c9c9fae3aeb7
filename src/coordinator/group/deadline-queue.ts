/**
 * DeadlineQueue: every group timeout of one coordinator (member sessions, rebalance and sync
 * deadlines, pending-member expiry, the initial rebalance delay) behind ONE Clock timer, armed for
 * the earliest deadline. Entries are keyed by string; scheduling a key again replaces its deadline
 * (a heartbeat moves the session deadline), cancelling removes it. A min-heap orders deadlines;
 * replaced entries stay in the heap as stale copies and are skipped when they surface (the heap is
 * rebuilt when stale copies outnumber live ones, so it stays bounded by twice the live entries).
 *
 * Why not a timer per member: thousands of members heartbeating every few seconds would re-arm
 * thousands of node timers; this keeps one, and the virtual clock of the tests drives it exactly.
 * Owned by GroupCoordinator; callbacks run synchronously from the timer, in deadline order.
 */
import assert from 'node:assert/strict';
import type { Clock, Timer } from '../../io/clock.js';
import { MinHeap } from '../../min-heap.js';

interface Entry {
  deadlineMs: number;
  seq: number;
  fn: () => void;
}

interface HeapItem {
  deadlineMs: number;
  seq: number;
  key: string;
}

export class DeadlineQueue {
  readonly #clock: Clock;
  readonly #onError: (err: unknown, key: string) => void;
  readonly #entries = new Map<string, Entry>();
  readonly #heap = new MinHeap<HeapItem>(less);
  #seq = 0;
  #timer: Timer | null = null;
  #timerDeadlineMs = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(clock: Clock, onError: (err: unknown, key: string) => void) {
    this.#clock = clock;
    this.#onError = onError;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Monotonic deadline of `key`, or undefined. */
  deadlineOf(key: string): number | undefined {
    return this.#entries.get(key)?.deadlineMs;
  }

  /** Runs `fn` once `delayMs` from now, replacing any deadline `key` had. */
  schedule(key: string, delayMs: number, fn: () => void): void {
    if (this.#closed) return;
    assert.ok(Number.isFinite(delayMs), `deadline for ${key} must be finite`);
    const deadlineMs = this.#clock.monotonicMs() + Math.max(0, delayMs);
    const seq = ++this.#seq;
    this.#entries.set(key, { deadlineMs, seq, fn });
    this.#heap.push({ deadlineMs, seq, key });
    if (this.#heap.size > 2 * this.#entries.size + 64) this.#rebuild();
    this.#arm();
  }

  cancel(key: string): void {
    this.#entries.delete(key);
    // The heap copy turns stale; if it was the one the timer waits for, the timer re-arms when it fires.
  }

  /** Cancels every key starting with `prefix` (a group's or a shard's timers). */
  cancelPrefix(prefix: string): void {
    for (const key of [...this.#entries.keys()]) if (key.startsWith(prefix)) this.#entries.delete(key);
  }

  close(): void {
    this.#closed = true;
    this.#entries.clear();
    this.#heap.clear();
    this.#timer?.cancel();
    this.#timer = null;
  }

  #arm(): void {
    const top = this.#peekLive();
    if (top === undefined) {
      this.#timer?.cancel();
      this.#timer = null;
      this.#timerDeadlineMs = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.#timer !== null && this.#timerDeadlineMs <= top.deadlineMs) return;
    this.#timer?.cancel();
    this.#timerDeadlineMs = top.deadlineMs;
    const delayMs = Math.max(0, top.deadlineMs - this.#clock.monotonicMs());
    this.#timer = this.#clock.setTimer(delayMs, () => this.#fire(), { unref: true });
  }

  #fire(): void {
    this.#timer = null;
    this.#timerDeadlineMs = Number.POSITIVE_INFINITY;
    const nowMs = this.#clock.monotonicMs();
    // Bounded: each iteration removes one heap item.
    for (;;) {
      const top = this.#peekLive();
      if (top === undefined || top.deadlineMs > nowMs) break;
      this.#heap.pop();
      const entry = this.#entries.get(top.key)!;
      this.#entries.delete(top.key);
      try {
        entry.fn();
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        this.#onError(err, top.key);
      }
      if (this.#closed) return;
    }
    this.#arm();
  }

  /** The earliest live heap item, discarding stale ones on the way. */
  #peekLive(): HeapItem | undefined {
    for (let top = this.#heap.peek(); top !== undefined; top = this.#heap.peek()) {
      const entry = this.#entries.get(top.key);
      if (entry !== undefined && entry.seq === top.seq) return top;
      this.#heap.pop();
    }
    return undefined;
  }

  #rebuild(): void {
    this.#heap.clear();
    for (const [key, e] of this.#entries) this.#heap.push({ deadlineMs: e.deadlineMs, seq: e.seq, key });
  }
}

function less(a: HeapItem, b: HeapItem): boolean {
  return a.deadlineMs < b.deadlineMs || (a.deadlineMs === b.deadlineMs && a.seq < b.seq);
}

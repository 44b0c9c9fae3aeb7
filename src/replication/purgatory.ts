/**
 * Delayed operations (Kafka's purgatory): a Fetch that cannot be answered yet (fewer than
 * minBytes available) waits here, keyed by the partitions it reads, until an append to one of them
 * lets it complete or its deadline passes. Appends wake only the operations watching that partition:
 * no polling loops. Bounded by `entriesMax`; when full, callers answer at once instead of waiting.
 */
import assert from 'node:assert/strict';
import type { Clock, Timer } from '../io/clock.js';

export interface DelayedOperation {
  /** Checks whether the operation can finish now; if so it must finish (send its response) and return true. */
  tryComplete(): boolean | Promise<boolean>;
  /** Called once when the deadline passes without completion. */
  onExpire(): void | Promise<void>;
}

interface Entry {
  op: DelayedOperation;
  keys: string[];
  timer: Timer;
  done: boolean;
  checking: boolean;
  recheck: boolean;
}

export class Purgatory {
  private readonly watchers = new Map<string, Set<Entry>>();
  private size = 0;

  constructor(
    private readonly clock: Clock,
    private readonly entriesMax: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  get pending(): number {
    return this.size;
  }

  /**
   * Returns false when the purgatory is full (the caller should complete the operation now).
   * `keys` may repeat (a Fetch may name a partition twice); each key is watched once.
   */
  watch(keys: string[], op: DelayedOperation, timeoutMs: number): boolean {
    if (this.size >= this.entriesMax) return false;
    const entry: Entry = { op, keys: [...new Set(keys)], timer: { cancel() {} }, done: false, checking: false, recheck: false };
    entry.timer = this.clock.setTimer(Math.max(0, timeoutMs), () => this.expire(entry));
    for (const key of entry.keys) {
      let set = this.watchers.get(key);
      if (!set) {
        set = new Set();
        this.watchers.set(key, set);
      }
      set.add(entry);
    }
    this.size++;
    return true;
  }

  /** Something changed for `key` (an append, a high-watermark move): re-check its watchers. */
  checkAndComplete(key: string): void {
    const set = this.watchers.get(key);
    if (!set) return;
    for (const entry of [...set]) void this.check(entry);
  }

  /** Completes every waiting operation now (used at shutdown: answer rather than drop). */
  expireAll(): void {
    const entries = new Set<Entry>();
    for (const set of this.watchers.values()) for (const e of set) entries.add(e);
    for (const e of entries) this.expire(e);
  }

  private async check(entry: Entry): Promise<void> {
    if (entry.done) return;
    if (entry.checking) {
      entry.recheck = true;
      return;
    }
    entry.checking = true;
    try {
      do {
        entry.recheck = false;
        if (await entry.op.tryComplete()) {
          this.remove(entry);
          return;
        }
      } while (entry.recheck && !entry.done);
    } catch (err) {
      this.remove(entry);
      this.onError(err);
    } finally {
      entry.checking = false;
    }
  }

  private expire(entry: Entry): void {
    if (entry.done) return;
    this.remove(entry);
    Promise.resolve()
      .then(() => entry.op.onExpire())
      .catch((err: unknown) => this.onError(err));
  }

  private remove(entry: Entry): void {
    if (entry.done) return;
    entry.done = true;
    entry.timer.cancel();
    for (const key of entry.keys) {
      const set = this.watchers.get(key);
      assert.ok(set, 'watched key has a set');
      set.delete(entry);
      if (set.size === 0) this.watchers.delete(key);
    }
    this.size--;
    assert.ok(this.size >= 0);
  }
}

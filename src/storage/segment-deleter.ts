/**
 * SegmentDeleter: retires the segments a PartitionLog dropped (truncation, retention, DeleteRecords,
 * a cleaner swap). Each is renamed to `*.deleted` at once, then closed and removed after
 * file.delete.delay.ms (Kafka's delay, so a reader that found the segment just before can finish),
 * and in any case only once no read or flush holds it (LogSegment pin/unpin). A `*.deleted` file
 * left by a crash is removed by the log loader at the next open.
 *
 * Owner and lifecycle: one per PartitionLog. When the log closes, `hurry()` makes new deletions skip
 * the delay and `drain()` ends the running delays and waits for every pending removal.
 * Timers come from the Clock (unref'd: a pending deletion never keeps the process alive).
 */
import type { Clock, Timer } from '../io/clock.js';
import type { BackgroundQueue } from './background-queue.js';
import type { LogSegment } from './log-segment.js';

interface DeleteDelay {
  timer: Timer;
  resolve: () => void;
}

export class SegmentDeleter {
  readonly #clock: Clock;
  readonly #delayMs: () => number;
  readonly #onError: (err: unknown) => void;
  readonly #background: BackgroundQueue | undefined;
  readonly #pendingDeletes = new Set<Promise<void>>();
  readonly #deleteDelays = new Set<DeleteDelay>();
  #hurry = false;

  /**
   * `delayMs` is read for each segment as it is retired (file.delete.delay.ms of the log's current
   * config). `onError` gets a failed removal (nobody else awaits it); what it throws surfaces as an
   * unhandled rejection. `background`: the broker's queue of background file work, where the
   * removals run one at a time (background-queue.ts); none: each removal runs when its delay ends.
   */
  constructor(clock: Clock, delayMs: () => number, onError: (err: unknown) => void, background?: BackgroundQueue) {
    this.#clock = clock;
    this.#delayMs = delayMs;
    this.#onError = onError;
    this.#background = background;
  }

  /**
   * Segments already out of the log's list: renamed to `*.deleted` now; closed and removed after
   * the delay, once no read holds them (at once when the log closes).
   */
  async retire(removed: readonly LogSegment[]): Promise<void> {
    for (const seg of removed) await seg.markDeleted();
    for (const seg of removed) {
      const done = this.#delay()
        .then(() => seg.destroy(this.#background))
        .catch(this.#onError);
      this.#pendingDeletes.add(done);
      void done.then(() => this.#pendingDeletes.delete(done));
    }
  }

  /** From now on deletions do not wait for the delay (the log is closing). */
  hurry(): void {
    this.#hurry = true;
  }

  /** Ends the running delays and resolves once every pending removal finished. */
  async drain(): Promise<void> {
    for (const d of this.#deleteDelays) {
      d.timer.cancel();
      d.resolve();
    }
    this.#deleteDelays.clear();
    await Promise.all([...this.#pendingDeletes]);
  }

  #delay(): Promise<void> {
    const delayMs = this.#delayMs();
    if (delayMs <= 0 || this.#hurry) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const entry: DeleteDelay = {
        timer: this.#clock.setTimer(
          delayMs,
          () => {
            this.#deleteDelays.delete(entry);
            resolve();
          },
          { unref: true },
        ),
        resolve,
      };
      this.#deleteDelays.add(entry);
    });
  }
}

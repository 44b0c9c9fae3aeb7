/**
 * BackgroundQueue: the file work no request waits for — write-behind fsyncs, the removal of retired
 * segments and of deleted log directories — runs here, one task at a time for the whole broker.
 *
 * Why: these calls go through libuv's thread pool (4 threads by default), the same pool that runs
 * appends (when they are pooled), fsyncs of flushes and reads of older segments. Ten evenly loaded
 * partitions retire their oldest segments together; ten unlink(2)s of fsynced 256 MiB files take
 * ~50 ms each, and started at once they held every pool thread for ~0.5 s: pooled writes issued
 * meanwhile waited 363-462 ms, against 3-5 ms with the same unlinks one at a time
 * (docs/PERFORMANCE.md, "A sustained rate for the soak, segment removals one at a time"); the P7
 * soak's p99 spikes recurred with its ~90-s retention cycle. One task at a time leaves the other
 * pool threads to the work clients wait for; the background work takes as long in total either way.
 *
 * Rules for tasks: a task handles its own failures (its caller logs them or takes the log offline;
 * `run` passes the outcome back to whoever awaits it), and must not wait for another task of this
 * queue (it would wait for itself). Owned by LogManager (one per broker).
 */
export interface BackgroundQueueStats {
  /** Tasks started so far. */
  started: number;
  /** Tasks waiting for their turn now. */
  queued: number;
}

export class BackgroundQueue {
  readonly #queue: Array<() => Promise<void>> = [];
  #running = false;
  #started = 0;

  stats(): BackgroundQueueStats {
    return { started: this.#started, queued: this.#queue.length };
  }

  /** Runs `task` after every task queued before it has finished; settles as the task does. */
  run<T>(task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#queue.push(async () => {
        try {
          resolve(await task());
        } catch (err) {
          reject(err);
        }
      });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      for (let task = this.#queue.shift(); task !== undefined; task = this.#queue.shift()) {
        this.#started++;
        await task();
      }
    } finally {
      this.#running = false;
    }
  }
}

/**
 * WriteBehind: gets each log's appended bytes to the device a few MiB at a time, one fsync at a
 * time for the whole broker, instead of letting the page cache collect a segment's worth.
 *
 * Why: appends go to the page cache (Kafka's policy) and a segment is fsynced when it rolls. With
 * ten evenly loaded partitions they roll together, and fsyncing 10 × 256 MiB at once made every
 * other write(2) on the machine block 18-70 ms while it ran (ext4 ordered mode: the journal commit
 * waits for that data): the P7 soak's p99 spikes came from exactly those seconds
 * (docs/PERFORMANCE.md, "Write-behind, recycled tail chunks, the gather buffers"). Syncing each active segment whenever `bytesMax` of it is
 * unsynced keeps the dirty data small, so the roll's fsync has little left to do and nothing else
 * stalls. The bytes are written once either way.
 *
 * Not a durability promise: the recovery point moves only with a flush (roll, flush.ms,
 * flush.messages, close), which also writes the indexes. Owned by LogManager (one per broker);
 * PartitionLog calls schedule() after an append. Syncs run on the broker's BackgroundQueue
 * (background-queue.ts): in order, one at a time, between removals of retired segments.
 */
import assert from 'node:assert/strict';
import { BackgroundQueue } from './background-queue.js';

export interface WriteBehindStats {
  /** fsyncs started because a segment had bytesMax unsynced. */
  syncs: number;
  /** Logs waiting for their turn now. */
  queued: number;
}

export class WriteBehind {
  /** Unsynced bytes of an active segment that start its sync (samsa.log.write.behind.bytes); 0 = off. */
  readonly bytesMax: number;
  readonly #background: BackgroundQueue;
  #waiting = 0;
  #syncs = 0;

  /** `background`: the broker's queue of background file work (shared with segment removals); a queue of its own if none. */
  constructor(bytesMax: number, background: BackgroundQueue = new BackgroundQueue()) {
    assert.ok(Number.isInteger(bytesMax) && bytesMax >= 0, 'write-behind bytes: a non-negative integer');
    this.bytesMax = bytesMax;
    this.#background = background;
  }

  get enabled(): boolean {
    return this.bytesMax > 0;
  }

  stats(): WriteBehindStats {
    return { syncs: this.#syncs, queued: this.#waiting };
  }

  /**
   * Runs `sync` on the background queue, after every task queued before it. The task handles its
   * own failures (PartitionLog takes the log offline): a rejection here is our bug.
   */
  schedule(sync: () => Promise<void>): void {
    assert.ok(this.enabled, 'write-behind is off');
    this.#waiting++;
    void this.#background.run(() => {
      this.#waiting--;
      this.#syncs++;
      return sync();
    });
  }
}

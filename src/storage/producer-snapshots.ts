/**
 * ProducerSnapshotFiles: the `<offset>.snapshot` files of one partition directory (idempotent-
 * producer state covering every batch below `offset`; byte format in producer-state.ts). Keeps the
 * offsets of the files on disk, ascending, and is the only code that writes or removes them.
 *
 * Owner and lifecycle: created at open by the log loader (`load`, which also picks the snapshot to
 * start the producer-state rebuild from), then owned by the PartitionLog, which writes a snapshot on
 * roll and close (on its serial queue) and removes the ones truncation makes stale. The newest
 * PRODUCER_SNAPSHOTS_KEPT are kept; older ones are only fallbacks for an unreadable newest one.
 */
import * as path from 'node:path';
import type { Disk } from '../io/disk.js';
import type { Logger } from '../log.js';
import { segmentFileName } from './log-segment.js';
import { SNAPSHOT_FILE_SUFFIX, type ProducerStateManager } from './producer-state.js';

/** Producer snapshots kept per partition (the newest is loaded at open; older ones are fallbacks). */
const PRODUCER_SNAPSHOTS_KEPT = 2;

export class ProducerSnapshotFiles {
  readonly #disk: Disk;
  readonly #dir: string;
  /** Offsets of the snapshot files on disk, ascending. */
  #offsets: number[];

  private constructor(disk: Disk, dir: string, offsets: number[]) {
    this.#disk = disk;
    this.#dir = dir;
    this.#offsets = offsets;
  }

  /**
   * At open: deletes the snapshots above `logEndOffset` (they describe bytes recovery cut off), then
   * loads the newest valid one at or below `loadAtOrBelow` (default: the log end) into `state`.
   * `startOffset` is that snapshot's offset, or -1 when none was usable (unusable ones are logged
   * and left on disk).
   */
  static async load(
    disk: Disk,
    dir: string,
    sortedOffsets: readonly number[],
    logEndOffset: number,
    state: ProducerStateManager,
    log: Logger,
    loadAtOrBelow = logEndOffset,
  ): Promise<{ files: ProducerSnapshotFiles; startOffset: number }> {
    const kept: number[] = [];
    for (const base of sortedOffsets) {
      if (base > logEndOffset) {
        await disk.rm(path.join(dir, segmentFileName(base, SNAPSHOT_FILE_SUFFIX)));
      } else {
        kept.push(base);
      }
    }
    let startOffset = -1;
    for (let i = kept.length - 1; i >= 0 && startOffset < 0; i--) {
      if (kept[i]! > loadAtOrBelow) continue;
      const file = path.join(dir, segmentFileName(kept[i]!, SNAPSHOT_FILE_SUFFIX));
      const problem = state.loadSnapshot(await disk.readFile(file));
      if (problem === null) startOffset = kept[i]!;
      else log.warn({ file, reason: problem }, 'ignoring an unusable producer state snapshot');
    }
    return { files: new ProducerSnapshotFiles(disk, dir, kept), startOffset };
  }

  /** Offsets of the snapshot files, ascending (a copy). */
  offsets(): number[] {
    return [...this.#offsets];
  }

  get count(): number {
    return this.#offsets.length;
  }

  /**
   * Writes `<mapEndOffset>.snapshot` and keeps the newest PRODUCER_SNAPSHOTS_KEPT. Skipped while the
   * partition has no producer state and no snapshot: then a clean shutdown leaves no snapshot, which
   * tells the next open that there is nothing to rebuild (partitions without idempotent producers
   * never scan at open).
   */
  async write(state: ProducerStateManager): Promise<void> {
    if (state.size === 0 && this.#offsets.length === 0) return;
    const offset = state.mapEndOffset;
    if (this.#offsets.at(-1) === offset) return;
    await this.#disk.writeFileAtomic(path.join(this.#dir, segmentFileName(offset, SNAPSHOT_FILE_SUFFIX)), state.encodeSnapshot());
    this.#offsets = [...this.#offsets.filter((o) => o < offset), offset];
    await this.removeWhere((o) => o < offset && this.#offsets.indexOf(o) < this.#offsets.length - PRODUCER_SNAPSHOTS_KEPT);
  }

  /** Deletes the snapshot files whose offset `which` selects. */
  async removeWhere(which: (offset: number) => boolean): Promise<void> {
    const doomed = this.#offsets.filter(which);
    if (doomed.length === 0) return;
    this.#offsets = this.#offsets.filter((o) => !doomed.includes(o));
    for (const o of doomed) await this.#disk.rm(path.join(this.#dir, segmentFileName(o, SNAPSHOT_FILE_SUFFIX)));
  }
}

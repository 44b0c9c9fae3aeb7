/**
 * TimeIndex: the sparse map from timestamp to offset inside one segment, for ListOffsets by time
 * and for time-based retention.
 *
 * On-disk format (`<baseOffset:20 digits>.timeindex`, Kafka's layout): a flat array of 12-byte
 * entries, no header, big-endian:
 *     int64 timestampMs      the largest batch maxTimestamp seen in the segment so far
 *     int32 relativeOffset   baseOffset (minus the segment's) of the batch that carried it
 * Timestamps strictly increase and offsets never decrease. An entry is considered whenever the
 * offset index gets one and when the segment is flushed, rolled or closed; it is added only if the
 * segment's largest timestamp grew. So the last entry always holds the segment's largest timestamp
 * once the segment is inactive, and after a clean shutdown. Entry (T, O) promises that no batch up
 * to and including O has a maxTimestamp above T, which is what lookup() relies on.
 * Written and rebuilt like the offset index (see offset-index.ts).
 *
 * Lifecycle: owned by one LogSegment; lives in memory for the segment's lifetime.
 */
import assert from 'node:assert/strict';
import { SparseIndex } from './index-entries.js';
import { RELATIVE_OFFSET_MAX } from './offset-index.js';

export const TIME_INDEX_ENTRY_BYTES = 12;

export class TimeIndex extends SparseIndex {
  /** maxEntries: entries allowed before the segment must roll (segmentIndexBytes / 12). */
  constructor(baseOffset: number, maxEntries: number) {
    super(baseOffset, TIME_INDEX_ENTRY_BYTES, maxEntries);
  }

  timestampAt(i: number): number {
    return Number(this.store.buffer.readBigInt64BE(i * TIME_INDEX_ENTRY_BYTES));
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.store.buffer.readInt32BE(i * TIME_INDEX_ENTRY_BYTES + 8);
  }

  lastEntry(): { timestampMs: number; offset: number } | null {
    const n = this.store.entries;
    return n === 0 ? null : { timestampMs: this.timestampAt(n - 1), offset: this.offsetAt(n - 1) };
  }

  /**
   * Records that the segment's largest timestamp is now `timestampMs`, carried by the batch at
   * `offset`. Skipped when it is not larger than the last entry's; `force` ignores maxEntries
   * (the closing entry of a segment).
   */
  maybeAppend(timestampMs: number, offset: number, force = false): void {
    const n = this.store.entries;
    if (n > 0 && timestampMs <= this.timestampAt(n - 1)) return;
    if (timestampMs < 0) return; // no timestamp (-1) is never indexed
    if (!force && this.isFull) return;
    const relativeOffset = offset - this.baseOffset;
    assert.ok(relativeOffset >= 0 && relativeOffset <= RELATIVE_OFFSET_MAX, 'offset outside the segment');
    if (n > 0) assert.ok(offset >= this.offsetAt(n - 1), 'time index offsets must not decrease');
    const at = this.store.appendSlot();
    const buf = this.store.buffer;
    buf.writeBigInt64BE(BigInt(timestampMs), at);
    buf.writeInt32BE(relativeOffset, at + 8);
  }

  /**
   * Where to start scanning for the first batch with maxTimestamp >= `timestampMs`: the offset of
   * the last entry whose timestamp is below it (every batch up to that offset is too old), or -1
   * when the scan must start at the segment's beginning.
   */
  lookup(timestampMs: number): number {
    let lo = 0;
    let hi = this.store.entries - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestampAt(mid) < timestampMs) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found < 0 ? -1 : this.offsetAt(found);
  }

  /** Drops entries for offsets >= `offset`. */
  truncateToOffset(offset: number): void {
    let n = this.store.entries;
    while (n > 0 && this.offsetAt(n - 1) >= offset) n--;
    this.store.truncateEntries(n);
  }

  /** Takes the bytes of a time index file if they are well formed; returns why not otherwise. */
  load(fileBytes: Buffer, relativeOffsetLimit: number): string | null {
    if (fileBytes.length % TIME_INDEX_ENTRY_BYTES !== 0) return `size ${fileBytes.length} is not a multiple of ${TIME_INDEX_ENTRY_BYTES}`;
    let prevTimestamp = -1;
    let prevOffset = -1;
    for (let at = 0; at < fileBytes.length; at += TIME_INDEX_ENTRY_BYTES) {
      const timestampMs = Number(fileBytes.readBigInt64BE(at));
      const relativeOffset = fileBytes.readInt32BE(at + 8);
      const i = at / TIME_INDEX_ENTRY_BYTES;
      if (timestampMs <= prevTimestamp) return `entry ${i}: timestamp ${timestampMs} does not increase`;
      if (relativeOffset < 0 || relativeOffset < prevOffset) return `entry ${i}: offset ${relativeOffset} decreases`;
      if (relativeOffset > relativeOffsetLimit) return `entry ${i}: offset ${relativeOffset} past the segment's last batch`;
      prevTimestamp = timestampMs;
      prevOffset = relativeOffset;
    }
    this.store.loadFromFile(fileBytes);
    return null;
  }
}

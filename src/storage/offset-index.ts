/**
 * OffsetIndex: the sparse map from offset to byte position inside one segment's .log file.
 *
 * On-disk format (`<baseOffset:20 digits>.index`, Kafka's layout): a flat array of 8-byte entries,
 * no header, big-endian:
 *     int32 relativeOffset   batch baseOffset minus the segment's baseOffset
 *     int32 position         byte position of that batch in the .log file
 * Both columns strictly increase. An entry is added for a batch when more than indexIntervalBytes
 * were appended since the previous entry, so a lookup lands at most about indexIntervalBytes (plus
 * one batch) before the wanted batch. Our entries name a batch's baseOffset (Kafka's name the
 * lastOffset); readers that scan forward from the found position, as Kafka's do, work with both.
 * The file holds exactly the entries (no preallocated tail); it is written append-only when the
 * segment is flushed, rolled or closed (see IndexEntries), and rebuilt from the .log by recovery when
 * it is missing or fails validate().
 *
 * Lifecycle: owned by one LogSegment; lives in memory for the segment's lifetime.
 */
import assert from 'node:assert/strict';
import { SparseIndex } from './index-entries.js';

export const OFFSET_INDEX_ENTRY_BYTES = 8;
/** Largest relative offset an entry (and so a segment) can hold. */
export const RELATIVE_OFFSET_MAX = 2_147_483_647;

export class OffsetIndex extends SparseIndex {
  /** maxEntries: entries allowed before the segment must roll (segmentIndexBytes / 8). */
  constructor(baseOffset: number, maxEntries: number) {
    super(baseOffset, OFFSET_INDEX_ENTRY_BYTES, maxEntries);
  }

  offsetAt(i: number): number {
    return this.baseOffset + this.store.buffer.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES);
  }

  positionAt(i: number): number {
    return this.store.buffer.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES + 4);
  }

  /** Adds an entry for the batch with `offset` (its baseOffset) at byte `position`. */
  append(offset: number, position: number): void {
    const relativeOffset = offset - this.baseOffset;
    assert.ok(relativeOffset >= 0 && relativeOffset <= RELATIVE_OFFSET_MAX, 'offset outside the segment');
    const n = this.store.entries;
    if (n > 0) {
      assert.ok(offset > this.offsetAt(n - 1), 'index offsets must increase');
      assert.ok(position > this.positionAt(n - 1), 'index positions must increase');
    }
    const at = this.store.appendSlot();
    const buf = this.store.buffer;
    buf.writeInt32BE(relativeOffset, at);
    buf.writeInt32BE(position, at + 4);
  }

  /** Slot of the last entry whose offset is <= `offset`, or -1. */
  #floorSlot(offset: number): number {
    const target = offset - this.baseOffset;
    const buf = this.store.buffer;
    let lo = 0;
    let hi = this.store.entries - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (buf.readInt32BE(mid * OFFSET_INDEX_ENTRY_BYTES) <= target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Byte position to start scanning from for `offset`: the last entry at or before it, else 0. */
  lookup(offset: number): number {
    const slot = this.#floorSlot(offset);
    return slot < 0 ? 0 : this.positionAt(slot);
  }

  /** The last entry at or before `offset` (its batch's baseOffset and byte position), or null. */
  lookupEntry(offset: number): { offset: number; position: number } | null {
    const slot = this.#floorSlot(offset);
    return slot < 0 ? null : { offset: this.offsetAt(slot), position: this.positionAt(slot) };
  }

  /** Like lookup(), but one entry earlier: a scan from here sees the batch before the one holding `offset`. */
  lookupBefore(offset: number): number {
    const slot = this.#floorSlot(offset) - 1;
    return slot < 0 ? 0 : this.positionAt(slot);
  }

  /** Drops entries for offsets >= `offset`. */
  truncateToOffset(offset: number): void {
    this.store.truncateEntries(this.#floorSlot(offset - 1) + 1);
  }

  /** Position of the last entry, or 0. */
  lastPosition(): number {
    const n = this.store.entries;
    return n === 0 ? 0 : this.positionAt(n - 1);
  }

  /** Takes the bytes of an index file if they are well formed for a log of `logSizeBytes`; returns why not otherwise. */
  load(fileBytes: Buffer, logSizeBytes: number): string | null {
    if (fileBytes.length % OFFSET_INDEX_ENTRY_BYTES !== 0) return `size ${fileBytes.length} is not a multiple of ${OFFSET_INDEX_ENTRY_BYTES}`;
    let prevOffset = -1;
    let prevPosition = -1;
    for (let at = 0; at < fileBytes.length; at += OFFSET_INDEX_ENTRY_BYTES) {
      const relativeOffset = fileBytes.readInt32BE(at);
      const position = fileBytes.readInt32BE(at + 4);
      if (relativeOffset < 0 || relativeOffset <= prevOffset) return `entry ${at / OFFSET_INDEX_ENTRY_BYTES}: offset ${relativeOffset} does not increase`;
      if (position < 0 || position <= prevPosition) return `entry ${at / OFFSET_INDEX_ENTRY_BYTES}: position ${position} does not increase`;
      if (position >= logSizeBytes) return `entry ${at / OFFSET_INDEX_ENTRY_BYTES}: position ${position} past the log end ${logSizeBytes}`;
      prevOffset = relativeOffset;
      prevPosition = position;
    }
    this.store.loadFromFile(fileBytes);
    return null;
  }
}

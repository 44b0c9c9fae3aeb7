/**
 * TxnIndex: the aborted transactions whose ABORT marker lies in one segment (≈ Kafka's
 * TransactionIndex). Read-committed fetches ask it which aborted transactions overlap the range
 * they return, so the consumer can drop those records (KIP-98).
 *
 * On-disk format (`<baseOffset:20 digits>.txnindex`, Kafka's layout): a flat array of 34-byte
 * entries, no header, big-endian, in marker order:
 *     int16 version (0) | int64 producerId | int64 firstOffset | int64 lastOffset (the marker) |
 *     int64 lastStableOffset (the LSO right after the marker: the first offset of the transactions
 *     still ongoing then, or lastOffset + 1)
 * `lastStableOffset` lets a search stop early: once an entry's lastStableOffset reaches the upper
 * bound of a fetch, no transaction that started below the bound can end later.
 *
 * Persistence is IndexEntries' (append-only, written when the segment flushes, rolls, truncates or
 * closes). The file exists only once the segment had an abort. Recovery loads it and drops entries
 * past the recovered end; the log loader's tail replay adds the entries a crash lost (markers at
 * or below the last entry are already there: entries are a prefix of the true list).
 *
 * Lifecycle: owned by one LogSegment; lives in memory for the segment's lifetime (entries are few:
 * one per aborted transaction).
 */
import assert from 'node:assert/strict';
import { IndexEntries } from './index-entries.js';

export const TXN_INDEX_ENTRY_BYTES = 34;
const TXN_INDEX_VERSION = 0;

/** One aborted transaction, as in the index file. */
export interface AbortedTxn {
  producerId: bigint;
  firstOffset: number;
  /** Offset of the ABORT marker. */
  lastOffset: number;
  lastStableOffset: number;
}

export class TxnIndex {
  readonly store = new IndexEntries(TXN_INDEX_ENTRY_BYTES);

  get entries(): number {
    return this.store.entries;
  }

  entryAt(i: number): AbortedTxn {
    const buf = this.store.buffer;
    const at = i * TXN_INDEX_ENTRY_BYTES;
    return {
      producerId: buf.readBigInt64BE(at + 2),
      firstOffset: Number(buf.readBigInt64BE(at + 10)),
      lastOffset: Number(buf.readBigInt64BE(at + 18)),
      lastStableOffset: Number(buf.readBigInt64BE(at + 26)),
    };
  }

  all(): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    for (let i = 0; i < this.store.entries; i++) out.push(this.entryAt(i));
    return out;
  }

  /** The last entry's marker offset, or -1. */
  get lastMarkerOffset(): number {
    const n = this.store.entries;
    return n === 0 ? -1 : Number(this.store.buffer.readBigInt64BE((n - 1) * TXN_INDEX_ENTRY_BYTES + 18));
  }

  append(t: AbortedTxn): void {
    assert.ok(t.firstOffset <= t.lastOffset, 'an aborted transaction starts at or before its marker');
    assert.ok(t.lastOffset > this.lastMarkerOffset, 'txn index entries follow marker order');
    const at = this.store.appendSlot();
    const buf = this.store.buffer;
    buf.writeInt16BE(TXN_INDEX_VERSION, at);
    buf.writeBigInt64BE(t.producerId, at + 2);
    buf.writeBigInt64BE(BigInt(t.firstOffset), at + 10);
    buf.writeBigInt64BE(BigInt(t.lastOffset), at + 18);
    buf.writeBigInt64BE(BigInt(t.lastStableOffset), at + 26);
  }

  /**
   * Adds to `out` every entry with lastOffset >= startOffset and firstOffset < upperBoundOffset.
   * Returns true when the search is complete (an entry's lastStableOffset reached the bound).
   */
  collect(startOffset: number, upperBoundOffset: number, out: AbortedTxn[]): boolean {
    for (let i = 0; i < this.store.entries; i++) {
      const t = this.entryAt(i);
      if (t.lastOffset < startOffset) continue;
      if (t.firstOffset < upperBoundOffset) out.push(t);
      if (t.lastStableOffset >= upperBoundOffset) return true;
    }
    return false;
  }

  /** Drops the entries whose marker is at or past `offset` (log truncation). */
  truncateToOffset(offset: number): void {
    let n = this.store.entries;
    while (n > 0 && this.entryAt(n - 1).lastOffset >= offset) n--;
    this.store.truncateEntries(n);
  }

  /** Takes the entries of an index file; returns why they are unusable (nothing loaded then) or null. */
  load(bytes: Buffer): string | null {
    if (bytes.length % TXN_INDEX_ENTRY_BYTES !== 0) return `${bytes.length} bytes is not a whole number of ${TXN_INDEX_ENTRY_BYTES}-byte entries`;
    let previous = -1;
    for (let at = 0; at < bytes.length; at += TXN_INDEX_ENTRY_BYTES) {
      const version = bytes.readInt16BE(at);
      const first = Number(bytes.readBigInt64BE(at + 10));
      const last = Number(bytes.readBigInt64BE(at + 18));
      if (version !== TXN_INDEX_VERSION) return `entry ${at / TXN_INDEX_ENTRY_BYTES} has version ${version}`;
      if (first < 0 || first > last || last <= previous) return `entry ${at / TXN_INDEX_ENTRY_BYTES} has offsets ${first}..${last} after ${previous}`;
      previous = last;
    }
    this.store.loadFromFile(bytes);
    return null;
  }

  /** No file and no entries (a new segment): nothing to write until the first abort. */
  initEmpty(): void {
    this.store.loadFromFile(Buffer.alloc(0));
  }
}

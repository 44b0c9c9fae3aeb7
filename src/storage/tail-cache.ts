/**
 * The tail cache: copies of each partition's most recent appends, kept in memory so that reads at
 * the log's tail (followers replicating, consumers caught up) are answered without a file read.
 * A file read is a thread-pool round trip plus a syscall per fetch; under acks=all it was the
 * leader's largest cost after the socket writes, and it sits on the latency path of every tailing
 * consumer (docs/PERFORMANCE.md, "Speed pass 2"). Reads that miss (older offsets, catch-up, cold
 * consumers) go to the segment files as before.
 *
 * Each PartitionLog owns one TailCache; all of a broker's caches share one TailCacheBudget
 * (samsa.log.tail.cache.bytes), which evicts the oldest appends broker-wide once the bound is passed:
 * first in, first out, since the tail is what gets read.
 *
 * Invariants (asserted): a cache's entries are whole appends, contiguous in offsets, ending at the
 * log end offset; their bytes are copies (request buffers are reused, so never views of them) and
 * never change once stored, so a view handed to a response stays valid. The owner clears the cache
 * whenever batches are removed or rewritten (truncation, retention, the cleaner) and on close.
 * Cached bytes were CRC-checked when they arrived; a read served here is byte-for-byte what a file
 * read would return, possibly fewer batches (a fetch may always return less than its maximum).
 */
import assert from 'node:assert/strict';
import { BATCH_HEADER_BYTES, batch } from '../protocol/records/batch.js';

/** Memory an entry costs besides its bytes (object, array slot), counted against the budget. */
const ENTRY_OVERHEAD_BYTES = 128;
/** Evicted slots at the front of a queue before it is compacted. */
const COMPACT_AFTER_SLOTS = 1024;

interface TailEntry {
  readonly owner: TailCache;
  readonly baseOffset: number;
  readonly nextOffset: number;
  readonly bytes: Buffer;
  live: boolean;
}

/** The broker-wide bound on cached bytes, shared by every partition's TailCache. */
export class TailCacheBudget {
  readonly bytesMax: number;
  #bytes = 0;
  /** Every admitted entry in admission order; evicted or cleared ones are skipped. */
  #queue: Array<TailEntry | undefined> = [];
  #head = 0;
  /** Reads answered from memory, and reads that went to the files (metrics). */
  hits = 0;
  misses = 0;

  /** `bytesMax` 0 turns caching off. */
  constructor(bytesMax: number) {
    assert.ok(Number.isSafeInteger(bytesMax) && bytesMax >= 0, 'tail cache bound');
    this.bytesMax = bytesMax;
  }

  /** Bytes held now (entries' bytes plus overhead). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether an append of `bytes` may be cached at all (larger than a quarter of the bound: no). */
  admits(bytes: number): boolean {
    return (bytes + ENTRY_OVERHEAD_BYTES) * 4 <= this.bytesMax;
  }

  admit(entry: TailEntry): void {
    this.#bytes += entry.bytes.length + ENTRY_OVERHEAD_BYTES;
    this.#queue.push(entry);
    while (this.#bytes > this.bytesMax && this.#head < this.#queue.length) {
      const oldest = this.#queue[this.#head]!;
      this.#queue[this.#head++] = undefined;
      if (oldest.live) oldest.owner.evictOldest(oldest);
    }
    if (this.#head >= COMPACT_AFTER_SLOTS && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  /** An entry left its cache (evicted or cleared). */
  release(entry: TailEntry): void {
    this.#bytes -= entry.bytes.length + ENTRY_OVERHEAD_BYTES;
    assert.ok(this.#bytes >= 0, 'tail cache accounting');
  }
}

/** One partition's recent appends (see the file comment). */
export class TailCache {
  readonly #budget: TailCacheBudget | undefined;
  #entries: TailEntry[] = [];
  #head = 0;

  constructor(budget: TailCacheBudget | undefined) {
    this.#budget = budget !== undefined && budget.bytesMax > 0 ? budget : undefined;
  }

  /** Entries held (tests). */
  get entryCount(): number {
    return this.#entries.length - this.#head;
  }

  /**
   * Records an append that just succeeded: whole v2 batches with final offsets, the log's new end
   * at `nextOffset`. An append that does not continue the cached range replaces it.
   */
  append(records: Buffer, nextOffset: number): void {
    const budget = this.#budget;
    if (budget === undefined || records.length === 0) return;
    const baseOffset = batch.baseOffset(records, 0);
    const last = this.#entries.at(-1);
    if (this.entryCount > 0 && last!.nextOffset !== baseOffset) this.clear();
    if (!budget.admits(records.length)) {
      this.clear(); // the range must stay contiguous: what follows the gap is not cached either
      return;
    }
    const bytes = Buffer.allocUnsafe(records.length);
    records.copy(bytes);
    const entry: TailEntry = { owner: this, baseOffset, nextOffset, bytes, live: true };
    this.#entries.push(entry);
    budget.admit(entry);
  }

  /** Called by the budget: drops `entry`, which must be this cache's oldest. */
  evictOldest(entry: TailEntry): void {
    assert.ok(this.#entries[this.#head] === entry, 'tail cache evicts in append order');
    this.#entries[this.#head++] = undefined as unknown as TailEntry;
    entry.live = false;
    this.#budget!.release(entry);
    if (this.#head === this.#entries.length) {
      this.#entries = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER_SLOTS && this.#head * 2 >= this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Drops everything (batches were removed or rewritten, or the log closes). */
  clear(): void {
    for (let i = this.#head; i < this.#entries.length; i++) {
      const e = this.#entries[i]!;
      e.live = false;
      this.#budget!.release(e);
    }
    this.#entries = [];
    this.#head = 0;
  }

  /**
   * PartitionLog.read's answer from memory, or null when `fetchOffset` is not cached. The caller
   * has checked fetchOffset < maxOffset <= the log end offset, which must be where the cache ends.
   * Whole batches from the one holding `fetchOffset`, only those ending below `maxOffset`, at most
   * `maxBytes` (the first even if larger when minOneMessage); when the first batch is not allowed,
   * no records and that batch's base offset, as the file read answers.
   */
  read(
    fetchOffset: number,
    maxBytes: number,
    minOneMessage: boolean,
    maxOffset: number,
    logEndOffset: number,
  ): { records: Buffer; firstOffset: number } | null {
    const entries = this.#entries;
    if (this.#budget === undefined) return null;
    if (this.entryCount === 0 || fetchOffset < entries[this.#head]!.baseOffset) {
      this.#budget.misses++;
      return null;
    }
    this.#budget.hits++;
    assert.equal(entries.at(-1)!.nextOffset, logEndOffset, 'the tail cache ends at the log end');
    // The last entry starting at or before fetchOffset.
    let lo = this.#head;
    let hi = entries.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (entries[mid]!.baseOffset <= fetchOffset) lo = mid;
      else hi = mid - 1;
    }
    const pieces: Buffer[] = [];
    let total = 0;
    let firstOffset = -1;
    for (let i = lo; i < entries.length; i++) {
      const bytes = entries[i]!.bytes;
      let from = -1;
      let at = 0;
      for (; at + BATCH_HEADER_BYTES <= bytes.length; at += batch.totalBytes(bytes, at)) {
        const lastOffset = batch.lastOffset(bytes, at);
        const size = batch.totalBytes(bytes, at);
        if (firstOffset < 0) {
          if (lastOffset < fetchOffset) continue;
          firstOffset = batch.baseOffset(bytes, at);
          if (lastOffset >= maxOffset || (!minOneMessage && size > maxBytes)) return { records: Buffer.alloc(0), firstOffset };
        } else if (lastOffset >= maxOffset || total + size > maxBytes) {
          break;
        }
        if (from < 0) from = at;
        total += size;
      }
      if (from >= 0) pieces.push(from === 0 && at === bytes.length ? bytes : bytes.subarray(from, at));
      if (at < bytes.length) break; // stopped inside this entry
    }
    assert.ok(firstOffset >= 0, 'a cached range holds every offset up to the log end');
    return { records: pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces, total), firstOffset };
  }
}

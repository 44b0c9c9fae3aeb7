/**
 * The tail cache: copies of each partition's most recent appends, kept in memory so that reads at
 * the log's tail (followers replicating, consumers caught up) are answered without a file read.
 * A file read is a thread-pool round trip plus a syscall per fetch; under acks=all it was the
 * leader's largest cost after the socket writes, and it sits on the latency path of every tailing
 * consumer (docs/PERFORMANCE.md, "Speed pass 2"). Reads that miss (older offsets, catch-up, cold
 * consumers) go to the segment files as before.
 *
 * Each PartitionLog owns one TailCache; all of a broker's caches share one TailCacheBudget
 * (samsa.log.tail.cache.bytes), which evicts the oldest chunks broker-wide once the bound is passed:
 * first in, first out, since the tail is what gets read.
 *
 * Appends are copied into per-partition chunks (4 KiB, doubling per chunk up to 1/1024 of the
 * budget and at most 256 KiB; an append larger than that gets a chunk of its own size), and each
 * chunk keeps its appends' base offsets and positions in two number arrays. A cached append thus
 * costs no JS object of its own: with an object and a Buffer per append, a full 64 MiB budget of
 * small appends was ~170,000 objects living for seconds, each promoted by the scavenger and marked
 * by every major GC (docs/PERFORMANCE.md, "The tail cache in chunks"). The budget counts a chunk's
 * whole capacity.
 *
 * Chunk buffers are reused: an evicted or cleared chunk's buffer goes to the budget's free list
 * (bounded) and becomes a later chunk of the same capacity. A 64 MiB cache at 27 MB/s of appends
 * otherwise allocated ~400 buffers a second that lived ~2.4 s each, long enough to be promoted, and
 * V8 starts a full collection for every 64 MB of such outside-the-heap memory: with the cache on,
 * the P7 broker ran 3.7 times as many mark-compacts as with it off (docs/PERFORMANCE.md,
 * "Write-behind, recycled tail chunks, the gather buffers"). So reads return copies, never views: nothing outside
 * the cache may hold a chunk's bytes (a response waiting in a socket would see them overwritten).
 *
 * Invariants (asserted): a cache's appends are whole batches, contiguous in offsets, ending at the
 * log end offset; their bytes are copies (request buffers are reused, so never views of them) and
 * never change while their chunk is live (a chunk is only ever written past its used length). The
 * owner clears the cache whenever batches are removed from the end or rewritten (truncation, the
 * cleaner) and on close; retention and DeleteRecords remove only the oldest segments and keep it
 * (reads below the log start offset are refused before the cache is asked).
 * Cached bytes were CRC-checked when they arrived; a read served here is byte-for-byte what a file
 * read would return, possibly fewer batches (a fetch may always return less than its maximum).
 */
import assert from 'node:assert/strict';
import { batch } from '../protocol/records/batch.js';

/** Memory a chunk costs besides its bytes (object, offset arrays), counted against the budget. */
const CHUNK_OVERHEAD_BYTES = 256;
/**
 * A partition's first chunk; each next one doubles, up to the maximum, which is also at most a
 * 1/1024 share of the budget so that many busy partitions each keep several chunks (a 64 MiB budget:
 * 64 KiB chunks) instead of evicting each other's open chunk.
 */
const CHUNK_BYTES_MIN = 4096;
const CHUNK_BYTES_MAX = 256 * 1024;
const CHUNKS_PER_BUDGET_MIN = 1024;
/** Evicted slots at the front of a queue before it is compacted. */
const COMPACT_AFTER_SLOTS = 1024;
/** The free list of chunk buffers holds at most this share of the budget (and at least four largest chunks). */
const FREE_SHARE_OF_BUDGET = 1 / 16;
const FREE_CHUNKS_MIN = 4;

interface TailChunk {
  readonly owner: TailCache;
  /** Capacity; bytes [0, used) hold whole appends, in offset order. */
  readonly bytes: Buffer;
  used: number;
  /** Each append's base offset and its position in `bytes`, in append order (never empty). */
  readonly bases: number[];
  readonly starts: number[];
  live: boolean;
}

/** The broker-wide bound on cached bytes, shared by every partition's TailCache. */
export class TailCacheBudget {
  readonly bytesMax: number;
  #bytes = 0;
  /** Every admitted chunk in admission order; evicted or cleared ones are skipped. */
  #queue: Array<TailChunk | undefined> = [];
  #head = 0;
  /** Buffers of chunks that left their cache, by capacity, for reuse (see the file comment). */
  readonly #free = new Map<number, Buffer[]>();
  #freeBytes = 0;
  readonly #freeBytesMax: number;
  /** Reads answered from memory, and reads that went to the files (metrics). */
  hits = 0;
  misses = 0;

  /** `bytesMax` 0 turns caching off. */
  constructor(bytesMax: number) {
    assert.ok(Number.isSafeInteger(bytesMax) && bytesMax >= 0, 'tail cache bound');
    this.bytesMax = bytesMax;
    this.#freeBytesMax = Math.max(FREE_CHUNKS_MIN * this.chunkBytesMax, Math.floor(bytesMax * FREE_SHARE_OF_BUDGET));
  }

  /** Bytes held now by live chunks (capacity plus overhead). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Bytes of chunk buffers kept for reuse (at most 1/16 of the bound, or four largest chunks). */
  get freeBytes(): number {
    return this.#freeBytes;
  }

  /** A buffer for a new chunk: a free one of that capacity if there is one. */
  chunkBuffer(capacity: number): Buffer {
    const reused = this.#free.get(capacity)?.pop();
    if (reused === undefined) return Buffer.allocUnsafeSlow(capacity);
    this.#freeBytes -= capacity;
    return reused;
  }

  /** Whether an append of `bytes` may be cached at all (larger than a quarter of the bound: no). */
  admits(bytes: number): boolean {
    return (bytes + CHUNK_OVERHEAD_BYTES) * 4 <= this.bytesMax;
  }

  /** The largest chunk capacity grown to under this bound (an append larger than it gets its own chunk). */
  get chunkBytesMax(): number {
    return Math.max(CHUNK_BYTES_MIN, Math.min(CHUNK_BYTES_MAX, Math.floor(this.bytesMax / CHUNKS_PER_BUDGET_MIN)));
  }

  admit(chunk: TailChunk): void {
    this.#bytes += chunk.bytes.length + CHUNK_OVERHEAD_BYTES;
    this.#queue.push(chunk);
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

  /** A chunk left its cache (evicted or cleared): its buffer is kept for reuse while the free list has room. */
  release(chunk: TailChunk): void {
    const capacity = chunk.bytes.length;
    this.#bytes -= capacity + CHUNK_OVERHEAD_BYTES;
    assert.ok(this.#bytes >= 0, 'tail cache accounting');
    // Only the regular capacities (4 KiB doubling to chunkBytesMax) come back; one-off sizes would wait forever.
    const regular = capacity >= CHUNK_BYTES_MIN && capacity <= this.chunkBytesMax && (capacity & (capacity - 1)) === 0;
    if (!regular || this.#freeBytes + capacity > this.#freeBytesMax) return;
    let list = this.#free.get(capacity);
    if (list === undefined) this.#free.set(capacity, (list = []));
    list.push(chunk.bytes);
    this.#freeBytes += capacity;
  }
}

/** One partition's recent appends (see the file comment). */
export class TailCache {
  readonly #budget: TailCacheBudget | undefined;
  #chunks: TailChunk[] = [];
  #head = 0;
  /** Appends held, and the offset after the last one (meaningful while appends are held). */
  #appends = 0;
  #nextOffset = 0;
  #nextChunkBytes = CHUNK_BYTES_MIN;

  constructor(budget: TailCacheBudget | undefined) {
    this.#budget = budget !== undefined && budget.bytesMax > 0 ? budget : undefined;
  }

  /** Appends held (tests). */
  get entryCount(): number {
    return this.#appends;
  }

  /**
   * Records an append that just succeeded: whole v2 batches with final offsets, the log's new end
   * at `nextOffset`. An append that does not continue the cached range replaces it.
   */
  append(records: Buffer, nextOffset: number): void {
    const budget = this.#budget;
    if (budget === undefined || records.length === 0) return;
    const baseOffset = batch.baseOffset(records, 0);
    if (this.#appends > 0 && this.#nextOffset !== baseOffset) this.clear();
    if (!budget.admits(records.length)) {
      this.clear(); // the range must stay contiguous: what follows the gap is not cached either
      return;
    }
    let chunk = this.#appends > 0 ? this.#chunks[this.#chunks.length - 1]! : undefined;
    if (chunk === undefined || chunk.bytes.length - chunk.used < records.length) {
      // At most a quarter of the budget (as admits() holds for the append), so it never evicts itself.
      const capacity = Math.max(records.length, Math.min(this.#nextChunkBytes, Math.floor(budget.bytesMax / 4) - CHUNK_OVERHEAD_BYTES));
      this.#nextChunkBytes = Math.min(this.#nextChunkBytes * 2, budget.chunkBytesMax);
      chunk = { owner: this, bytes: budget.chunkBuffer(capacity), used: 0, bases: [], starts: [], live: true };
      this.#chunks.push(chunk);
      budget.admit(chunk); // may evict this cache's older chunks, never this one (capacity <= a quarter)
      assert.ok(chunk.live, 'a new tail chunk fits its budget');
    }
    records.copy(chunk.bytes, chunk.used);
    chunk.bases.push(baseOffset);
    chunk.starts.push(chunk.used);
    chunk.used += records.length;
    this.#appends++;
    this.#nextOffset = nextOffset;
  }

  /** Called by the budget: drops `chunk`, which must be this cache's oldest. */
  evictOldest(chunk: TailChunk): void {
    assert.ok(this.#chunks[this.#head] === chunk, 'tail cache evicts in append order');
    this.#chunks[this.#head++] = undefined as unknown as TailChunk;
    this.#appends -= chunk.bases.length;
    chunk.live = false;
    this.#budget!.release(chunk);
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AFTER_SLOTS && this.#head * 2 >= this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Drops everything (batches were removed or rewritten, or the log closes). */
  clear(): void {
    for (let i = this.#head; i < this.#chunks.length; i++) {
      const c = this.#chunks[i]!;
      c.live = false;
      this.#budget!.release(c);
    }
    this.#chunks = [];
    this.#head = 0;
    this.#appends = 0;
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
    const chunks = this.#chunks;
    if (this.#budget === undefined) return null;
    if (this.#appends === 0 || fetchOffset < chunks[this.#head]!.bases[0]!) {
      this.#budget.misses++;
      return null;
    }
    this.#budget.hits++;
    assert.equal(this.#nextOffset, logEndOffset, 'the tail cache ends at the log end');
    const c = lastAtOrBefore(this.#head, chunks.length - 1, fetchOffset, (i) => chunks[i]!.bases[0]!);
    const first = chunks[c]!;
    let at = first.starts[lastAtOrBefore(0, first.bases.length - 1, fetchOffset, (i) => first.bases[i]!)]!;
    const pieces: Buffer[] = [];
    let total = 0;
    let firstOffset = -1;
    for (let i = c; i < chunks.length; i++, at = 0) {
      const { bytes, used } = chunks[i]!;
      let from = -1;
      for (; at < used; at += batch.totalBytes(bytes, at)) {
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
      if (from >= 0) pieces.push(bytes.subarray(from, at));
      if (at < used) break; // stopped inside this chunk
    }
    assert.ok(firstOffset >= 0, 'a cached range holds every offset up to the log end');
    // A copy, always: the chunks' buffers are reused once evicted.
    return { records: Buffer.concat(pieces, total), firstOffset };
  }
}

/** The last index in [lo, hi] whose key is <= `offset` (keys ascending; the key at lo is <= offset). */
function lastAtOrBefore(lo: number, hi: number, offset: number, keyAt: (i: number) => number): number {
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (keyAt(mid) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

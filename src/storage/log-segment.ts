/**
 * LogSegment: one `<baseOffset>.log` file of whole record batches plus its sparse `.index` and
 * `.timeindex` (formats in offset-index.ts and time-index.ts) and, once a transaction aborted in
 * it, its `.txnindex` (txn-index.ts). File names are the segment's base
 * offset as 20 zero-padded digits, as in Kafka: `00000000000000000000.log`.
 *
 * The .log file is the concatenation of v2 record batches exactly as they were appended (bytes
 * verbatim; only baseOffset, partitionLeaderEpoch and, for LogAppendTime, the timestamp fields were
 * patched by the PartitionLog before the write). Nothing else is in the file.
 *
 * Visibility: `sizeBytes` is the end of the last batch whose write completed. It moves only after a
 * write resolves, so readers bounded by it never see a partially written batch. A failed write may
 * leave torn bytes past sizeBytes; the PartitionLog then goes offline and recovery truncates them.
 *
 * Indexes live in memory and reach their files append-only when the segment is flushed, rolled
 * (becomes inactive), truncated or closed. An index file that is missing or fails validation at open
 * is rebuilt by scanning the .log.
 *
 * Lifecycle: created by PartitionLog (roll, truncation) or by the log loader (log-loader.ts: an
 * empty directory, or LogSegment.open during recovery); owned by exactly one PartitionLog. Deleted
 * segments are renamed to `*.deleted` and their files removed once no read or flush holds them
 * (pin()/unpin()) and the delete delay passed (segment-deleter.ts).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Disk, FileHandle } from '../io/disk.js';
import type { BackgroundQueue } from './background-queue.js';
import { diskErrorCode } from '../io/disk.js';
import type { Logger } from '../log.js';
import { BATCH_MAGIC_V2, batch } from '../protocol/records/batch.js';
import { BatchReader, findRecord, walkBatches, type WalkResult } from './batch-scan.js';
import { StorageError } from './errors.js';
import { OffsetIndex, OFFSET_INDEX_ENTRY_BYTES, RELATIVE_OFFSET_MAX } from './offset-index.js';
import { TimeIndex, TIME_INDEX_ENTRY_BYTES } from './time-index.js';
import { TxnIndex } from './txn-index.js';

export const LOG_FILE_SUFFIX = '.log';
export const INDEX_FILE_SUFFIX = '.index';
export const TIME_INDEX_FILE_SUFFIX = '.timeindex';
/** Aborted transactions whose marker is in the segment (txn-index.ts); present once there was one. */
export const TXN_INDEX_FILE_SUFFIX = '.txnindex';
export const DELETED_FILE_SUFFIX = '.deleted';
/** A log cleaner group being written (`<base>.log.cleaned`); removed at open. */
export const CLEANED_FILE_SUFFIX = '.cleaned';
/** A finished, fsynced log cleaner group waiting to replace its segments (`<base>.log.swap`). */
export const SWAP_FILE_SUFFIX = '.swap';
/** The files of one segment. */
export const SEGMENT_FILE_SUFFIXES: readonly string[] = [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX];

/** Window size for recovery scans. */
const SCAN_CHUNK_BYTES = 1 << 20;
/** Full recovery scans of one segment before a bad batch is believed (reads can fail transiently). */
const RECOVERY_SCANS_MAX = 4;
/** Upper bound of one read window on the fetch path. */
const READ_CHUNK_BYTES_MAX = 64 << 20;
const READ_CHUNK_BYTES_MIN = 16 << 10;

export function segmentFileName(baseOffset: number, suffix: string): string {
  assert.ok(Number.isSafeInteger(baseOffset) && baseOffset >= 0);
  return String(baseOffset).padStart(20, '0') + suffix;
}

/** The base offset named by `00000000000000000123.log` (with `suffix`), or null. */
export function parseSegmentFileName(name: string, suffix: string): number | null {
  if (name.length !== 20 + suffix.length || !name.endsWith(suffix)) return null;
  const digits = name.slice(0, 20);
  if (!/^[0-9]{20}$/.test(digits)) return null;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : null;
}

/** Removes the `.log`, `.index`, `.timeindex` and `.txnindex` of the segment at `baseOffset` (those that exist). */
export async function removeSegmentFiles(disk: Disk, dir: string, baseOffset: number): Promise<void> {
  for (const suffix of SEGMENT_FILE_SUFFIXES) await disk.rm(path.join(dir, segmentFileName(baseOffset, suffix)));
}

export interface SegmentLimits {
  /** segmentIndexBytes of the LogConfig. */
  segmentIndexBytes: number;
}

/** A segment's summary for the log cleaner: base offset, size and largest timestamp. */
export interface SegmentInfo {
  baseOffset: number;
  sizeBytes: number;
  largestTimestampMs: number;
}

/** A batch dropped by recovery or found unreadable: where and why. */
export interface SegmentProblem {
  position: number;
  reason: string;
  bytesDropped: number;
}

export class LogSegment {
  readonly baseOffset: number;
  readonly dir: string;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly txnIndex = new TxnIndex();
  /**
   * False when the txn index may lack entries (the segment was recovered, or its file was
   * unusable): the log loader's replay must cover this segment to complete it.
   */
  #txnIndexComplete = true;
  /** The last recovery scan met a control batch (so the txn index may need entries from the replay). */
  #scanSawControl = false;
  readonly #disk: Disk;
  readonly #file: FileHandle;
  #logPath: string;
  #sizeBytes: number;
  #syncedBytes: number;
  #nextOffset: number;
  #maxTimestamp = -1;
  #offsetOfMaxTimestamp = -1;
  #bytesSinceLastIndexEntry = 0;
  /** Wall time the segment's age counts from (segmentMs), or -1 while empty. */
  #rollBaseMs = -1;
  /** Wall time of the last append, a stand-in for the largest timestamp when batches carry none. */
  #lastAppendMs: number;
  #active = true;
  #deleted = false;
  #closed = false;
  #offsetIndexFile: FileHandle | null = null;
  #timeIndexFile: FileHandle | null = null;
  #txnIndexFile: FileHandle | null = null;
  /** Serialises index persistence, index truncation, renames and close. */
  #io: Promise<unknown> = Promise.resolve();
  #pins = 0;
  #unpinned: (() => void)[] = [];

  private constructor(disk: Disk, dir: string, baseOffset: number, file: FileHandle, sizeBytes: number, limits: SegmentLimits, nowMs: number) {
    this.#disk = disk;
    this.dir = dir;
    this.baseOffset = baseOffset;
    this.#file = file;
    this.#logPath = path.join(dir, segmentFileName(baseOffset, LOG_FILE_SUFFIX));
    this.#sizeBytes = sizeBytes;
    this.#syncedBytes = sizeBytes;
    this.#nextOffset = baseOffset;
    this.#lastAppendMs = nowMs;
    this.offsetIndex = new OffsetIndex(baseOffset, Math.floor(limits.segmentIndexBytes / OFFSET_INDEX_ENTRY_BYTES));
    this.timeIndex = new TimeIndex(baseOffset, Math.floor(limits.segmentIndexBytes / TIME_INDEX_ENTRY_BYTES));
  }

  /**
   * A new, empty segment: its .log, .index and .timeindex are created empty (or emptied if stale
   * ones exist). Empty files need no fsync of their own: the caller fsyncs the directory (the log
   * loader at once, a roll at the next flush), which makes the new names durable. `txnIndexAbsent`:
   * the caller just listed the directory and no .txnindex of this base is there.
   */
  static async create(disk: Disk, dir: string, baseOffset: number, limits: SegmentLimits, nowMs: number, opts: { txnIndexAbsent?: boolean } = {}): Promise<LogSegment> {
    const file = await disk.open(path.join(dir, segmentFileName(baseOffset, LOG_FILE_SUFFIX)), 'w+');
    const seg = new LogSegment(disk, dir, baseOffset, file, 0, limits, nowMs);
    for (const suffix of [INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX]) await (await disk.open(path.join(dir, segmentFileName(baseOffset, suffix)), 'w+')).close();
    seg.offsetIndex.store.loadFromFile(Buffer.alloc(0));
    seg.timeIndex.store.loadFromFile(Buffer.alloc(0));
    // The .txnindex appears with the first abort; a stale one of an earlier segment here goes.
    if (opts.txnIndexAbsent !== true) await disk.rm(path.join(dir, segmentFileName(baseOffset, TXN_INDEX_FILE_SUFFIX)));
    seg.txnIndex.initEmpty();
    return seg;
  }

  /**
   * Opens an existing segment during recovery.
   * mode 'recover': scan every batch (CRC included), rebuild both indexes, cut the file at the first
   * bad batch. mode 'trust' (flushed before a crash, or clean shutdown): load the index files, and
   * check only the tail after the last offset index entry; a missing or inconsistent index falls
   * back to 'recover'. `nextSegmentBaseOffset` bounds the offsets the segment may hold.
   */
  static async open(args: {
    disk: Disk;
    dir: string;
    baseOffset: number;
    limits: SegmentLimits;
    mode: 'recover' | 'trust';
    nextSegmentBaseOffset: number | null;
    indexIntervalBytes: number;
    nowMs: number;
    log: Logger;
    /**
     * The files of `dir` as listed just before (optional): a .txnindex not among them is not read,
     * and a trusted empty segment whose index files are among them does not read them either.
     */
    files?: ReadonlySet<string>;
  }): Promise<{ segment: LogSegment; problem: SegmentProblem | null }> {
    const { disk, dir, baseOffset, files } = args;
    const file = await disk.open(path.join(dir, segmentFileName(baseOffset, LOG_FILE_SUFFIX)), 'r+');
    const sizeBytes = await file.size();
    const seg = new LogSegment(disk, dir, baseOffset, file, sizeBytes, args.limits, args.nowMs);
    const listed = (suffix: string): boolean => files?.has(segmentFileName(baseOffset, suffix)) === true;
    if (args.mode === 'trust' && sizeBytes === 0 && listed(INDEX_FILE_SUFFIX) && listed(TIME_INDEX_FILE_SUFFIX)) {
      // Clean, empty (10,000 idle partitions after a restart): an empty .log indexes nothing, so
      // nothing is read; each index file is cut to length at its first persist (assumeEmptyFile).
      seg.offsetIndex.store.assumeEmptyFile();
      seg.timeIndex.store.assumeEmptyFile();
      if (listed(TXN_INDEX_FILE_SUFFIX)) seg.txnIndex.store.assumeEmptyFile();
      else seg.txnIndex.initEmpty();
      seg.#txnIndexComplete = true;
      return { segment: seg, problem: null };
    }
    if (files !== undefined && !listed(TXN_INDEX_FILE_SUFFIX)) {
      seg.txnIndex.initEmpty(); // none: no aborts (as #loadTxnIndex on ENOENT), without a failing open
      seg.#txnIndexComplete = true;
    } else {
      await seg.#loadTxnIndex(args.log);
    }
    if (args.mode === 'trust') {
      const why = await seg.#loadIndexes(args.nextSegmentBaseOffset);
      if (why === null) {
        const tail = await seg.#scanTail();
        if (tail === 'ok' && seg.timeIndexConsistent()) {
          seg.txnIndex.truncateToOffset(seg.#nextOffset);
          return { segment: seg, problem: null };
        }
        args.log.warn({ file: seg.#logPath, reason: tail }, 'segment tail disagrees with its index; rebuilding indexes from the log');
      } else if (why !== 'missing') {
        args.log.warn({ file: seg.#logPath, reason: why }, 'index file inconsistent; rebuilding indexes from the log');
      } else if (sizeBytes > 0) {
        args.log.info({ file: seg.#logPath }, 'index file missing; rebuilding indexes from the log');
      }
    }
    const problem = await seg.#rebuild(args.indexIntervalBytes);
    // Bytes checked by recovery may still sit only in the page cache (the process died, the machine
    // did not): count them as unsynced so the next flush makes them durable.
    if (args.mode === 'recover') seg.#syncedBytes = 0;
    // Entries for markers recovery cut off go; missing ones come back in the loader's replay.
    seg.txnIndex.truncateToOffset(seg.#nextOffset);
    // Without any control batch there is no abort to index: the (empty) index is complete.
    seg.#txnIndexComplete = !seg.#scanSawControl;
    return { segment: seg, problem };
  }

  /** Loads the .txnindex (none: no aborts). An unusable file is replaced by the loader's replay. */
  async #loadTxnIndex(log: Logger): Promise<void> {
    const file = path.join(this.dir, segmentFileName(this.baseOffset, TXN_INDEX_FILE_SUFFIX));
    const bytes = await readIfExists(this.#disk, file);
    const problem = bytes === null ? null : this.txnIndex.load(bytes);
    if (bytes === null || problem !== null) {
      this.txnIndex.initEmpty();
      if (problem !== null) {
        log.warn({ file, reason: problem }, 'txn index file unusable; rebuilding it from the log');
        this.txnIndex.store.markFileStale();
        this.#txnIndexComplete = false;
        return;
      }
    }
    this.#txnIndexComplete = true;
  }

  /** False when the txn index may lack entries until the log loader's replay has covered this segment. */
  get txnIndexComplete(): boolean {
    return this.#txnIndexComplete;
  }

  /** The log loader's replay covered this segment: its txn index is complete. */
  markTxnIndexComplete(): void {
    this.#txnIndexComplete = true;
  }

  get logPath(): string {
    return this.#logPath;
  }

  /** Bytes of whole batches in the .log (the visible end). */
  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  /** The offset after the last batch, or baseOffset when empty. */
  get nextOffset(): number {
    return this.#nextOffset;
  }

  /** Largest batch maxTimestamp in the segment, or -1. */
  get maxTimestamp(): number {
    return this.#maxTimestamp;
  }

  /** baseOffset of the (first) batch carrying maxTimestamp, or -1. */
  get offsetOfMaxTimestamp(): number {
    return this.#offsetOfMaxTimestamp;
  }

  /** What retention compares with retentionMs: the largest timestamp, or the last append time when batches carry none. */
  get largestTimestampMs(): number {
    return this.#maxTimestamp >= 0 ? this.#maxTimestamp : this.#lastAppendMs;
  }

  get rollBaseMs(): number {
    return this.#rollBaseMs;
  }

  get isDeleted(): boolean {
    return this.#deleted;
  }

  get hasUnsyncedData(): boolean {
    return (
      this.#syncedBytes < this.#sizeBytes || !this.offsetIndex.store.persisted || !this.timeIndex.store.persisted || !this.txnIndex.store.persisted
    );
  }

  /** Index slots left before the segment must roll (one batch adds at most one entry to each index). */
  get indexSlotsFree(): number {
    return Math.min(this.offsetIndex.maxEntries - this.offsetIndex.entries, this.timeIndex.maxEntries - this.timeIndex.entries);
  }

  setLimits(limits: SegmentLimits): void {
    this.offsetIndex.maxEntries = Math.floor(limits.segmentIndexBytes / OFFSET_INDEX_ENTRY_BYTES);
    this.timeIndex.maxEntries = Math.floor(limits.segmentIndexBytes / TIME_INDEX_ENTRY_BYTES);
  }

  /** True when every time index entry names an offset that is in the segment. */
  timeIndexConsistent(): boolean {
    const last = this.timeIndex.lastEntry();
    return last === null || last.offset < this.#nextOffset;
  }

  /** Whether a batch ending at `lastOffset` still fits the int32 relative offsets of this segment. */
  canHoldOffset(lastOffset: number): boolean {
    return lastOffset - this.baseOffset <= RELATIVE_OFFSET_MAX;
  }

  // ---- append ----

  /**
   * Appends whole batches (offsets already assigned and increasing past nextOffset) in one write.
   * Index entries and the visible size change only after the write succeeded.
   */
  async append(records: Buffer, indexIntervalBytes: number, nowMs: number): Promise<void> {
    assert.ok(this.#active && !this.#deleted && !this.#closed, 'append to an inactive segment');
    const position = this.#sizeBytes;
    await this.#file.write(records, position);
    assert.equal(this.#sizeBytes, position, 'appends to one segment must be serialised');
    let at = 0;
    let lastOffset = this.#nextOffset - 1;
    while (at < records.length) {
      const totalBytes = batch.totalBytes(records, at);
      const baseOffset = batch.baseOffset(records, at);
      const maxTimestamp = batch.maxTimestamp(records, at);
      assert.ok(baseOffset > lastOffset, 'batch offsets must increase');
      if (maxTimestamp > this.#maxTimestamp) {
        this.#maxTimestamp = maxTimestamp;
        this.#offsetOfMaxTimestamp = baseOffset;
      }
      if (this.#bytesSinceLastIndexEntry > indexIntervalBytes) {
        this.offsetIndex.append(baseOffset, position + at);
        this.timeIndex.maybeAppend(this.#maxTimestamp, this.#offsetOfMaxTimestamp);
        this.#bytesSinceLastIndexEntry = 0;
      }
      this.#bytesSinceLastIndexEntry += totalBytes;
      lastOffset = baseOffset + batch.lastOffsetDelta(records, at);
      at += totalBytes;
    }
    assert.equal(at, records.length, 'append takes whole batches');
    this.#sizeBytes = position + records.length;
    this.#nextOffset = lastOffset + 1;
    if (this.#rollBaseMs < 0) this.#rollBaseMs = nowMs;
    this.#lastAppendMs = nowMs;
  }

  /** Called when a newer segment takes over appends: records the closing time index entry. */
  markInactive(): void {
    this.#active = false;
    this.#closeTimeIndexEntry();
  }

  /** Makes the segment the active one again (after truncation removed everything after it). */
  markActive(): void {
    this.#active = true;
  }

  get isActive(): boolean {
    return this.#active;
  }

  #closeTimeIndexEntry(): void {
    // Released entries were persisted after markInactive() already wrote the closing entry.
    if (this.timeIndex.store.released) return;
    if (this.#maxTimestamp >= 0) this.timeIndex.maybeAppend(this.#maxTimestamp, this.#offsetOfMaxTimestamp, true);
  }

  // ---- read ----

  /**
   * Whole batches starting with the one holding `fetchOffset`, as described on PartitionLog.read.
   * Returns null when no batch of this segment ends at or after `fetchOffset` (try the next
   * segment). The bytes come from the file as-is; each returned batch's CRC is checked.
   */
  async read(
    fetchOffset: number,
    maxBytes: number,
    minOneMessage: boolean,
    maxOffset: number,
    indexIntervalBytes: number,
  ): Promise<{ records: Buffer; firstOffset: number } | null> {
    await this.#indexesLoaded();
    // The visible end and the offset after it, taken together (append moves both at once).
    const endPosition = this.#sizeBytes;
    const nextOffset = this.#nextOffset;
    const entry = this.offsetIndex.lookupEntry(fetchOffset);
    const chunkBytes = Math.min(READ_CHUNK_BYTES_MAX, Math.max(READ_CHUNK_BYTES_MIN, maxBytes + indexIntervalBytes + 4096));
    const reader = new BatchReader(this.#file, endPosition, chunkBytes);
    // The CRC covers neither baseOffset nor batchLength, so every batch's place is checked against
    // its neighbours (walkBatches: offsets increase), the index entry the walk starts at, and the
    // segment's next offset; a batch never reaches a client at an offset it was not written at.
    // (A bit flipped in a baseOffset read passed the CRC in the simulator, seed 185.)
    /** The batches to return: baseOffset as the walk read it, and the file position after each. */
    const collected: Array<{ base: number; end: number }> = [];
    let firstPosition = -1;
    let firstOffset = -1;
    let empty = false;
    let misplaced = '';
    let walkedLast = -1;
    const walk = await walkBatches(reader, entry?.position ?? 0, { verifyCrc: false, previousLastOffset: this.baseOffset - 1 }, (info) => {
      if (walkedLast < 0 && entry !== null && info.baseOffset !== entry.offset) {
        misplaced = `the batch at position ${info.position} claims base offset ${info.baseOffset}, the index says ${entry.offset}`;
        return false;
      }
      if (info.lastOffset >= nextOffset) {
        misplaced = `the batch at position ${info.position} claims offsets up to ${info.lastOffset}, past the segment's end ${nextOffset}`;
        return false;
      }
      walkedLast = info.lastOffset;
      if (firstPosition < 0) {
        if (info.lastOffset < fetchOffset) return true;
        firstPosition = info.position;
        firstOffset = info.baseOffset;
        if (info.lastOffset >= maxOffset || (!minOneMessage && info.totalBytes > maxBytes)) {
          empty = true;
          return false;
        }
        collected.push({ base: info.baseOffset, end: info.position + info.totalBytes });
        return true;
      }
      const end = collected.at(-1)!.end;
      if (info.lastOffset >= maxOffset || end - firstPosition + info.totalBytes > maxBytes) return false;
      collected.push({ base: info.baseOffset, end: end + info.totalBytes });
      return true;
    });
    if (misplaced !== '') throw new StorageError('corruptBatch', `${this.#logPath}: ${misplaced}`);
    if (walk.stopped === 'end' && walkedLast >= 0 && walkedLast !== nextOffset - 1) {
      throw new StorageError('corruptBatch', `${this.#logPath}: the last batch ends at offset ${walkedLast}, the segment at ${nextOffset - 1}`);
    }
    if (walk.stopped === 'torn' || walk.stopped === 'corrupt') {
      // The bad batch may be the one before it (a baseOffset too high makes its successor look out
      // of order): drop the last collected batch; with none left, fail the read.
      if (collected.length > 1) collected.pop();
      else this.#unreadable(walk);
    }
    if (firstPosition < 0) return null;
    if (empty) return { records: Buffer.alloc(0), firstOffset };
    const records = await reader.slice(firstPosition, collected.at(-1)!.end);
    if (records === null) throw new StorageError('corruptBatch', `${this.#logPath}: file shorter than its visible size ${endPosition}`);
    // The bytes returned may come from a second read: they must say what the walk saw.
    let i = 0;
    for (let at = 0; at < records.length; at += batch.totalBytes(records, at), i++) {
      if (!batch.crcValid(records, at)) throw new StorageError('corruptBatch', `${this.#logPath}: batch at position ${firstPosition + at}: CRC mismatch`);
      if (batch.magic(records, at) !== BATCH_MAGIC_V2 || batch.baseOffset(records, at) !== collected[i]?.base) {
        throw new StorageError('corruptBatch', `${this.#logPath}: batch at position ${firstPosition + at}: header changed between two reads`);
      }
    }
    if (i !== collected.length) throw new StorageError('corruptBatch', `${this.#logPath}: batch lengths changed between two reads at position ${firstPosition}`);
    return { records, firstOffset };
  }

  #unreadable(walk: WalkResult): never {
    throw new StorageError('corruptBatch', `${this.#logPath}: unreadable batch at position ${walk.endPosition}: ${walk.reason}`);
  }

  /**
   * The first record with offset >= offsetMin whose timestamp is >= timestampMs (batches are
   * selected by maxTimestamp; see findRecord for compressed batches), or null.
   */
  async findOffsetForTimestamp(timestampMs: number, offsetMin: number): Promise<{ offset: number; timestampMs: number } | null> {
    if (this.#maxTimestamp < timestampMs) return null;
    await this.#indexesLoaded();
    const fromOffset = Math.max(this.timeIndex.lookup(timestampMs), offsetMin);
    const startPosition = this.offsetIndex.lookup(fromOffset);
    const reader = new BatchReader(this.#file, this.#sizeBytes, SCAN_CHUNK_BYTES);
    const result: { found: { offset: number; timestampMs: number } | null; malformedAt: number } = { found: null, malformedAt: -1 };
    const walk = await walkBatches(reader, startPosition, { verifyCrc: true }, (info, buf, at) => {
      if (info.maxTimestamp < timestampMs || info.lastOffset < offsetMin) return true;
      const hit = findRecord(buf, at, offsetMin, (t) => t >= timestampMs);
      if (hit === 'malformed') {
        result.malformedAt = info.position;
        return false;
      }
      if (hit === null) return true;
      result.found = hit;
      return false;
    });
    if (result.malformedAt >= 0) throw new StorageError('corruptBatch', `${this.#logPath}: malformed records in batch at position ${result.malformedAt}`);
    if (result.found === null && (walk.stopped === 'torn' || walk.stopped === 'corrupt')) this.#unreadable(walk);
    return result.found;
  }

  /** The first record with offset >= offsetMin carrying the segment's largest timestamp, or null when empty. */
  async findMaxTimestampRecord(offsetMin: number): Promise<{ offset: number; timestampMs: number } | null> {
    if (this.#maxTimestamp < 0) return null;
    const target = this.#offsetOfMaxTimestamp;
    const maxTimestamp = this.#maxTimestamp;
    await this.#indexesLoaded();
    const reader = new BatchReader(this.#file, this.#sizeBytes, SCAN_CHUNK_BYTES);
    const result: { found: { offset: number; timestampMs: number } | 'malformed' | null; sawTarget: boolean } = { found: null, sawTarget: false };
    const walk = await walkBatches(reader, this.offsetIndex.lookup(target), { verifyCrc: true }, (info, buf, at) => {
      if (info.baseOffset < target) return true;
      result.sawTarget = true;
      let found = findRecord(buf, at, offsetMin, (t) => t === maxTimestamp);
      // Headers can claim a maxTimestamp no record carries; fall back to the batch's last offset.
      if (found === null && info.lastOffset >= offsetMin) found = { offset: info.lastOffset, timestampMs: maxTimestamp };
      result.found = found;
      return false;
    });
    const found = result.found;
    if (found === 'malformed') throw new StorageError('corruptBatch', `${this.#logPath}: malformed records in batch at offset ${target}`);
    if (!result.sawTarget && (walk.stopped === 'torn' || walk.stopped === 'corrupt')) this.#unreadable(walk);
    assert.ok(result.sawTarget, 'the batch carrying the largest timestamp must exist');
    return found;
  }

  // ---- truncation ----

  /**
   * Drops every batch whose lastOffset >= `offset` (whole batches only, so the segment may end
   * below `offset`) and the index entries naming them; the index files are updated before this resolves.
   * Returns the bytes dropped.
   */
  async truncateTo(offset: number): Promise<number> {
    return this.#serialIo(async () => {
      await this.#indexesLoaded();
      const reader = new BatchReader(this.#file, this.#sizeBytes, SCAN_CHUNK_BYTES);
      // Start one index entry early so the last kept batch is seen (its lastOffset is the new nextOffset).
      let nextOffset = this.baseOffset;
      let firstDroppedOffset = -1;
      const walk = await walkBatches(reader, this.offsetIndex.lookupBefore(offset), { verifyCrc: false }, (info) => {
        if (info.lastOffset >= offset) {
          firstDroppedOffset = info.baseOffset;
          return false;
        }
        nextOffset = info.lastOffset + 1;
        return true;
      });
      if (walk.stopped === 'torn' || walk.stopped === 'corrupt') this.#unreadable(walk);
      if (firstDroppedOffset < 0) return 0;
      const dropped = this.#sizeBytes - walk.endPosition;
      await this.#file.truncate(walk.endPosition);
      this.#sizeBytes = walk.endPosition;
      this.#syncedBytes = Math.min(this.#syncedBytes, walk.endPosition);
      this.#nextOffset = Math.max(nextOffset, this.baseOffset);
      this.offsetIndex.truncateToOffset(firstDroppedOffset);
      this.timeIndex.truncateToOffset(firstDroppedOffset);
      this.txnIndex.truncateToOffset(firstDroppedOffset);
      await this.#recomputeTail();
      if (this.#sizeBytes === 0) this.#rollBaseMs = -1;
      await this.#persistIndexesNow();
      return dropped;
    });
  }

  /** Recomputes the largest timestamp and bytes since the last index entry from the time index's last entry onwards. */
  async #recomputeTail(): Promise<void> {
    const last = this.timeIndex.lastEntry();
    this.#maxTimestamp = last ? last.timestampMs : -1;
    this.#offsetOfMaxTimestamp = last ? last.offset : -1;
    const reader = new BatchReader(this.#file, this.#sizeBytes, SCAN_CHUNK_BYTES);
    const from = last ? this.offsetIndex.lookup(last.offset) : 0;
    const walk = await walkBatches(reader, from, { verifyCrc: false }, (info) => {
      if (info.maxTimestamp > this.#maxTimestamp) {
        this.#maxTimestamp = info.maxTimestamp;
        this.#offsetOfMaxTimestamp = info.baseOffset;
      }
      return true;
    });
    if (walk.stopped === 'torn' || walk.stopped === 'corrupt') this.#unreadable(walk);
    this.#bytesSinceLastIndexEntry = this.#sizeBytes - this.offsetIndex.lastPosition();
  }

  // ---- recovery ----

  /** Loads both index files; returns null when usable, else 'missing' or why they are not. */
  async #loadIndexes(nextSegmentBaseOffset: number | null): Promise<string | null> {
    const indexPath = path.join(this.dir, segmentFileName(this.baseOffset, INDEX_FILE_SUFFIX));
    const timeIndexPath = path.join(this.dir, segmentFileName(this.baseOffset, TIME_INDEX_FILE_SUFFIX));
    const indexBytes = await readIfExists(this.#disk, indexPath);
    const timeIndexBytes = await readIfExists(this.#disk, timeIndexPath);
    if (indexBytes === null || timeIndexBytes === null) return 'missing';
    const offsetProblem = this.offsetIndex.load(indexBytes, this.#sizeBytes);
    if (offsetProblem !== null) return `${indexPath}: ${offsetProblem}`;
    const limit = nextSegmentBaseOffset === null ? RELATIVE_OFFSET_MAX : nextSegmentBaseOffset - 1 - this.baseOffset;
    const timeProblem = this.timeIndex.load(timeIndexBytes, limit);
    if (timeProblem !== null) return `${timeIndexPath}: ${timeProblem}`;
    const last = this.timeIndex.lastEntry();
    if (last) {
      this.#maxTimestamp = last.timestampMs;
      this.#offsetOfMaxTimestamp = last.offset;
    }
    return null;
  }

  /**
   * With trusted indexes: reads the batches after the last offset index entry (CRC checked) to learn
   * nextOffset, the latest timestamps and the append position. Returns 'ok', or why the tail does
   * not match the index (the batch at the last entry must carry the entry's offset) or is damaged;
   * the caller then rebuilds, which also cuts a damaged tail.
   */
  async #scanTail(): Promise<string> {
    const n = this.offsetIndex.entries;
    const from = this.offsetIndex.lastPosition();
    const expectedOffset = n > 0 ? this.offsetIndex.offsetAt(n - 1) : this.baseOffset;
    let mismatch = '';
    let first = true;
    const reader = new BatchReader(this.#file, this.#sizeBytes, SCAN_CHUNK_BYTES);
    let last: { position: number; totalBytes: number; baseOffset: number } | null = null;
    const walk = await walkBatches(reader, from, { verifyCrc: true, previousLastOffset: this.baseOffset - 1 }, (info) => {
      last = { position: info.position, totalBytes: info.totalBytes, baseOffset: info.baseOffset };
      if (first) {
        first = false;
        if (n > 0 ? info.baseOffset !== expectedOffset : info.baseOffset < this.baseOffset) {
          mismatch = `batch at position ${info.position} has offset ${info.baseOffset}, index says ${expectedOffset}`;
          return false;
        }
      }
      if (!this.canHoldOffset(info.lastOffset)) {
        mismatch = `offset ${info.lastOffset} too far from the segment base`;
        return false;
      }
      this.#noteScannedBatch(info.baseOffset, info.lastOffset, info.maxTimestamp);
      return true;
    });
    if (mismatch !== '') return mismatch;
    if (walk.stopped === 'torn' || walk.stopped === 'corrupt') return `bad batch at position ${walk.endPosition}: ${walk.reason}`;
    if (n > 0 && first) return 'no batch at the last index entry';
    if (last !== null && !(await this.#confirmBatch(last))) return 'the last batch read differently twice';
    this.#bytesSinceLastIndexEntry = walk.endPosition - from;
    return 'ok';
  }

  /**
   * Scans the whole file (CRC checked), rebuilding both indexes; cuts a bad tail. Reads can fail
   * transiently (a flipped bit in a cable or RAM, which the simulator injects): the cut, which
   * destroys data, happens only when a second full scan finds the same bad batch, and a clean
   * scan's last batch is read again to confirm the segment's end offset (its baseOffset is not
   * covered by the CRC). Simulator seed 10206 lost acknowledged writes to a recovery that cut at a
   * batch only a flipped read made bad.
   */
  async #rebuild(indexIntervalBytes: number): Promise<SegmentProblem | null> {
    let previousCut = -1;
    for (let attempt = 1; attempt <= RECOVERY_SCANS_MAX; attempt++) {
      const { walk, last } = await this.#scanAll(indexIntervalBytes);
      if (walk.stopped === 'end') {
        if (last === null || (await this.#confirmBatch(last))) return null;
        continue;
      }
      if (walk.endPosition === previousCut) return this.#cutAt(walk);
      previousCut = walk.endPosition;
    }
    throw new StorageError('corruptBatch', `${this.#logPath}: ${RECOVERY_SCANS_MAX} recovery scans read different bytes; the disk (or memory) returns unstable data`);
  }

  /** One recovery scan: resets what the indexes and tail state say, then walks every batch. */
  async #scanAll(indexIntervalBytes: number): Promise<{ walk: WalkResult; last: { position: number; totalBytes: number; baseOffset: number } | null }> {
    this.offsetIndex.store.truncateEntries(0);
    this.timeIndex.store.truncateEntries(0);
    this.offsetIndex.store.markFileStale();
    this.timeIndex.store.markFileStale();
    this.#maxTimestamp = -1;
    this.#offsetOfMaxTimestamp = -1;
    this.#nextOffset = this.baseOffset;
    this.#bytesSinceLastIndexEntry = 0;
    this.#scanSawControl = false;
    let last: { position: number; totalBytes: number; baseOffset: number } | null = null;
    const reader = new BatchReader(this.#file, this.#sizeBytes, SCAN_CHUNK_BYTES);
    const walk = await walkBatches(reader, 0, { verifyCrc: true, previousLastOffset: this.baseOffset - 1 }, (info, buf, at) => {
      // Appends never produce such a batch: it can only be damage.
      if (!this.canHoldOffset(info.lastOffset)) return false;
      if (batch.isControl(buf, at)) this.#scanSawControl = true;
      this.#noteScannedBatch(info.baseOffset, info.lastOffset, info.maxTimestamp);
      last = { position: info.position, totalBytes: info.totalBytes, baseOffset: info.baseOffset };
      // A full index (segmentIndexBytes lowered since) only means sparser lookups, never lost batches.
      if (this.#bytesSinceLastIndexEntry > indexIntervalBytes && !this.offsetIndex.isFull) {
        this.offsetIndex.append(info.baseOffset, info.position);
        this.timeIndex.maybeAppend(this.#maxTimestamp, this.#offsetOfMaxTimestamp);
        this.#bytesSinceLastIndexEntry = 0;
      }
      this.#bytesSinceLastIndexEntry += info.totalBytes;
      return true;
    });
    if (walk.stopped === 'visitor') return { walk: { ...walk, stopped: 'corrupt', reason: 'batch offsets too far from the segment base' }, last };
    return { walk, last };
  }

  /** Reads one batch again (a fresh read): true when its CRC holds and it carries `baseOffset`. */
  async #confirmBatch(b: { position: number; totalBytes: number; baseOffset: number }): Promise<boolean> {
    const buf = Buffer.allocUnsafe(b.totalBytes);
    const n = await this.#file.read(buf, 0, b.totalBytes, b.position);
    return n === b.totalBytes && batch.crcValid(buf) && batch.baseOffset(buf) === b.baseOffset;
  }

  #noteScannedBatch(baseOffset: number, lastOffset: number, maxTimestamp: number): void {
    if (maxTimestamp > this.#maxTimestamp) {
      this.#maxTimestamp = maxTimestamp;
      this.#offsetOfMaxTimestamp = baseOffset;
    }
    this.#nextOffset = lastOffset + 1;
  }

  /** After a recovery walk: truncates the file at a torn or corrupt batch. */
  async #cutAt(walk: WalkResult): Promise<SegmentProblem | null> {
    if (walk.stopped !== 'torn' && walk.stopped !== 'corrupt') return null;
    const problem = { position: walk.endPosition, reason: walk.reason, bytesDropped: this.#sizeBytes - walk.endPosition };
    await this.#file.truncate(walk.endPosition);
    await this.#file.sync();
    this.#sizeBytes = walk.endPosition;
    this.#syncedBytes = walk.endPosition;
    return problem;
  }

  /** For the active segment after open: segmentMs counts from the first batch's timestamp (or now, if later or absent). */
  async initRollBase(nowMs: number): Promise<void> {
    if (this.#sizeBytes === 0) return;
    const reader = new BatchReader(this.#file, this.#sizeBytes, 128);
    const at = await reader.ensure(0, Math.min(this.#sizeBytes, 64));
    const firstTimestamp = at >= 0 && this.#sizeBytes >= 43 ? batch.maxTimestamp(reader.buffer, at) : -1;
    this.#rollBaseMs = firstTimestamp >= 0 ? Math.min(firstTimestamp, nowMs) : nowMs;
  }

  // ---- durability ----

  /** fsyncs the .log and brings both index files up to date. */
  async flush(): Promise<void> {
    await this.syncLog();
    await this.#serialIo(() => this.#persistIndexesNow());
  }

  /** Bytes of the .log written but not fsynced yet. */
  get unsyncedBytes(): number {
    return Math.max(0, this.#sizeBytes - this.#syncedBytes);
  }

  /** fsyncs the .log only (write-behind.ts); the indexes wait for flush(). */
  async syncLog(): Promise<void> {
    const target = this.#sizeBytes;
    if (this.#syncedBytes >= target) return;
    await this.#file.sync();
    this.#syncedBytes = Math.max(this.#syncedBytes, Math.min(target, this.#sizeBytes));
  }

  // ---- index memory ----

  /**
   * An inactive segment whose index files hold its entries lets the memory go (a broker keeps
   * ~5 MB of index entries per GB of log; the 30-minute soak grew RSS by 200 MB before this); a read
   * that needs them loads them again (`#indexesLoaded`). The owner (PartitionLog) keeps few loaded.
   */
  releaseIndexes(): void {
    if (this.#active || this.#deleted || this.#closed || this.#indexLoad !== null) return;
    const stores = [this.offsetIndex.store, this.timeIndex.store];
    if (!stores.every((s) => s.released || s.persisted)) return;
    for (const s of stores) if (!s.released) s.release();
  }

  /** Whether the entries live only in the index files now. */
  get indexesReleased(): boolean {
    return this.offsetIndex.store.released;
  }

  /** Monotonic tick of the last read that used the indexes (PartitionLog releases the least recent). */
  get indexesUsedAt(): number {
    return this.#indexesUsedAt;
  }

  async #indexesLoaded(): Promise<void> {
    this.#indexesUsedAt = ++indexUseTicks;
    if (!this.offsetIndex.store.released && !this.timeIndex.store.released) return;
    this.#indexLoad ??= this.#reloadIndexes().finally(() => {
      this.#indexLoad = null;
    });
    await this.#indexLoad;
  }

  async #reloadIndexes(): Promise<void> {
    indexReloads++;
    for (const [index, suffix, check] of [
      [this.offsetIndex, INDEX_FILE_SUFFIX, (b: Buffer) => this.offsetIndex.load(b, this.#sizeBytes)],
      [this.timeIndex, TIME_INDEX_FILE_SUFFIX, (b: Buffer) => this.timeIndex.load(b, RELATIVE_OFFSET_MAX)],
    ] as const) {
      if (!index.store.released) continue;
      const file = path.join(this.dir, segmentFileName(this.baseOffset, suffix));
      const expected = index.store.entries * index.store.entryBytes;
      const bytes = await readIfExists(this.#disk, file);
      const problem = bytes === null ? 'missing' : bytes.length !== expected ? `${bytes.length} bytes, ${expected} written` : check(bytes);
      if (problem !== null) {
        throw new StorageError('corruptBatch', `${file}: the index file changed after it was written (${problem}); restart the broker to rebuild it`);
      }
    }
  }

  async #persistIndexesNow(): Promise<void> {
    if (this.#deleted || this.#closed) return;
    if (!this.offsetIndex.store.persisted) {
      this.#offsetIndexFile ??= await this.#disk.open(path.join(this.dir, segmentFileName(this.baseOffset, INDEX_FILE_SUFFIX)), 'c+');
      await this.offsetIndex.store.persist(this.#offsetIndexFile);
    }
    if (!this.timeIndex.store.persisted) {
      this.#timeIndexFile ??= await this.#disk.open(path.join(this.dir, segmentFileName(this.baseOffset, TIME_INDEX_FILE_SUFFIX)), 'c+');
      await this.timeIndex.store.persist(this.#timeIndexFile);
    }
    if (!this.txnIndex.store.persisted) {
      this.#txnIndexFile ??= await this.#disk.open(path.join(this.dir, segmentFileName(this.baseOffset, TXN_INDEX_FILE_SUFFIX)), 'c+');
      await this.txnIndex.store.persist(this.#txnIndexFile);
    }
    // Index files are opened only while their entries are written, the active segment's too: a
    // partition then holds one descriptor (its .log) between flushes, so 10,000 partitions fit in
    // an ordinary open-file limit. Flushes are rare (flush ticks, roll, close), so reopening is cheap.
    await this.#closeIndexFiles();
  }

  async #closeIndexFiles(): Promise<void> {
    const files = [this.#offsetIndexFile, this.#timeIndexFile, this.#txnIndexFile];
    this.#offsetIndexFile = null;
    this.#timeIndexFile = null;
    this.#txnIndexFile = null;
    for (const f of files) if (f) await f.close();
  }

  #indexLoad: Promise<void> | null = null;
  #indexesUsedAt = 0;

  #serialIo<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#io.then(fn);
    // The chain only orders the operations; each caller receives its own result or error through `run`.
    this.#io = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  // ---- lifetime ----

  /** Keeps the file open while a read or flush uses it. */
  pin(): void {
    this.#pins++;
  }

  unpin(): void {
    assert.ok(this.#pins > 0);
    this.#pins--;
    if (this.#pins === 0) for (const wake of this.#unpinned.splice(0)) wake();
  }

  async #whenUnpinned(): Promise<void> {
    if (this.#pins === 0) return;
    await new Promise<void>((resolve) => this.#unpinned.push(resolve));
  }

  /** Writes the closing time index entry and the index files, then closes every file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closeTimeIndexEntry();
    await this.#serialIo(async () => {
      await this.#persistIndexesNow();
      await this.#whenUnpinned();
      this.#closed = true;
      await this.#closeIndexFiles();
      await this.#file.close();
    });
  }

  /**
   * Closes every file without writing anything (offline logs). Close failures are returned, not
   * thrown: the disk already failed and the caller reports them alongside that failure.
   */
  async abandon(): Promise<unknown[]> {
    if (this.#closed) return [];
    return this.#serialIo(async () => {
      await this.#whenUnpinned();
      this.#closed = true;
      const files = [this.#offsetIndexFile, this.#timeIndexFile, this.#txnIndexFile, this.#file];
      this.#offsetIndexFile = null;
      this.#timeIndexFile = null;
      this.#txnIndexFile = null;
      const errors: unknown[] = [];
      for (const f of files) if (f) await f.close().catch((err: unknown) => errors.push(err));
      return errors;
    });
  }

  /** Step 1 of deletion: stop persisting and rename the files to `*.deleted`. The segment must already be out of its log. */
  async markDeleted(): Promise<void> {
    assert.ok(!this.#deleted);
    this.#deleted = true;
    this.#active = false;
    await this.#serialIo(async () => {
      await this.#closeIndexFiles();
      for (const suffix of SEGMENT_FILE_SUFFIXES) {
        const from = path.join(this.dir, segmentFileName(this.baseOffset, suffix));
        if ((await this.#disk.stat(from)) !== null) await this.#disk.rename(from, from + DELETED_FILE_SUFFIX);
      }
      this.#logPath += DELETED_FILE_SUFFIX;
    });
  }

  /** Step 2 of deletion: once nothing reads the segment, close the .log and remove the `*.deleted` files (on `background`, the broker's queue of background file work, when given). */
  async destroy(background?: BackgroundQueue): Promise<void> {
    assert.ok(this.#deleted);
    await this.#serialIo(async () => {
      await this.#whenUnpinned();
      const remove = async (): Promise<void> => {
        if (!this.#closed) {
          this.#closed = true;
          await this.#file.close();
        }
        for (const suffix of SEGMENT_FILE_SUFFIXES) {
          await this.#disk.rm(path.join(this.dir, segmentFileName(this.baseOffset, suffix) + DELETED_FILE_SUFFIX));
        }
      };
      // Unpinned first: a reader still holding the segment must not hold up the broker's queue.
      await (background ? background.run(remove) : remove());
    });
  }
}

/** Index loads from the files so far, and the tick of index uses (both process-wide; PartitionLog compares them). */
let indexReloads = 0;
let indexUseTicks = 0;
export function indexReloadCount(): number {
  return indexReloads;
}

async function readIfExists(disk: Disk, filePath: string): Promise<Buffer | null> {
  try {
    return await disk.readFile(filePath);
  } catch (err) {
    // Expected case: a missing index is rebuilt from the log.
    if (diskErrorCode(err) === 'ENOENT') return null;
    throw err;
  }
}

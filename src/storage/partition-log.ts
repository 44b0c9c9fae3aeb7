/**
 * PartitionLog: the on-disk log of one topic-partition (≈ Kafka's UnifiedLog): append, read, roll,
 * truncate, retention and flush; crash recovery at open is the log loader's. Lives in `<logDir>/<topic>-<partition>/` as a run
 * of segments (see log-segment.ts for the file layout and offset-index.ts / time-index.ts for the
 * index formats).
 *
 * Owner and lifecycle: LogManager opens one per partition directory (PartitionLog.open hands
 * recovery to the log loader, log-loader.ts, and starts from the state it returns) and closes it at
 * shutdown or deleteLog. Callers: replication/partition.ts (appendAsLeader,
 * appendAsFollower, truncateTo, highWatermark), handlers via replication (read, offsetForTimestamp,
 * maxTimestampOffset, deleteRecordsBefore), LogManager background tasks (applyRetention, flush).
 *
 * Concurrency: appends, truncation, retention and DeleteRecords run one at a time on a promise
 * queue. Reads run alongside: they see only batches whose write completed (segment sizeBytes moves
 * after the write), and a read that raced with truncation or segment deletion is retried.
 *
 * Durability (Kafka's policy): appends go to the page cache; segments are fsynced when they roll
 * (in the background), when flushIntervalMessages records are unflushed (before the append
 * resolves), when LogManager's flusher finds flushIntervalMs elapsed, and on close. `recoveryPoint`
 * is the offset below which everything is fsynced; LogManager checkpoints it, and after a crash
 * recovery re-checks only segments from the one holding it.
 *
 * Failure: an I/O error on any write, fsync or read takes the log offline: one error line names the
 * partition and the cause, the failing call rejects with 'diskFull' or 'ioError', and every later
 * call rejects with 'logOffline'. Bytes of a failed write never become visible; on restart recovery
 * truncates them.
 *
 * Helpers: log-loader.ts (recovery at open), leader-append.ts (batch checks, offset assignment,
 * gathered writes), segment-list.ts (reads over the segment list), segment-deleter.ts (retiring
 * dropped segments), producer-snapshots.ts (the `.snapshot` files). The log cleaner (log-cleaner.ts)
 * drives `segmentInfos` / `read` / `replaceWithCleaned` through its own narrow interface; this file
 * does not import it.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Clock } from '../io/clock.js';
import type { Disk } from '../io/disk.js';
import { logger, type Logger } from '../log.js';
import { batch } from '../protocol/records/batch.js';
import { StorageError, storageErrorFromIo } from './errors.js';
import { buildControlBatch, type TxnMarker } from './control-batch.js';
import {
  assignLeaderOffsets,
  checkBatches,
  recordBatchInState,
  writeGathered,
  type LeaderAppend,
  type LeaderAppendResult,
} from './leader-append.js';
import { deletePolicyApplies, validateLogConfig, type LogConfig } from './log-config.js';
import { loadLog, type LoadedLog, type LogLoadOptions } from './log-loader.js';
import { indexReloadCount, LOG_FILE_SUFFIX, LogSegment, segmentFileName, type SegmentInfo } from './log-segment.js';
import type { ProducerSnapshotFiles } from './producer-snapshots.js';
import { PRODUCER_ID_EXPIRATION_MS_DEFAULT, type CompletedTxn, type ProducerStateManager } from './producer-state.js';
import { SegmentDeleter } from './segment-deleter.js';
import { findMaxTimestampOffset, findOffsetForTimestamp, floorSegment, readSegments } from './segment-list.js';
import { TailCache, type TailCacheBudget } from './tail-cache.js';
import type { WriteBehind } from './write-behind.js';
import type { BackgroundQueue } from './background-queue.js';
import type { AbortedTxn } from './txn-index.js';

export type { LogConfig } from './log-config.js';
export type { LeaderAppendResult } from './leader-append.js';
export type { TxnMarker } from './control-batch.js';
export type { AbortedTxn } from './txn-index.js';

/** One producer's state as DescribeProducers shows it. */
export interface ProducerView {
  producerId: bigint;
  epoch: number;
  /** Sequence of the producer's last retained batch, -1 when none. */
  lastSequence: number;
  lastTimestampMs: number;
  coordinatorEpoch: number;
  /** First offset of the producer's ongoing transaction, -1 when none. */
  currentTxnStartOffset: number;
}

const EMPTY = Buffer.alloc(0);

/** A read that raced with truncation or segment deletion is retried this many times. */
const READ_RETRIES_MAX = 5;
/** Inactive segments whose index entries stay in memory after reads loaded them (the rest are read from their files on demand). */
const INACTIVE_INDEXES_LOADED_MAX = 2;

/** The recovery inputs (dir, checkpoints, clean shutdown: see LogLoadOptions) plus the live log's settings. */
export interface PartitionLogOptions extends LogLoadOptions {
  /** Checkpointed high watermark (replication). Default: logEndOffset. Clamped into the log. */
  highWatermark?: number;
  /**
   * Called and awaited whenever the log start offset moved or the recovery point went down, before
   * the operation resolves; the owner writes its checkpoint files (LogManager).
   */
  onCheckpointNeeded?: () => Promise<void>;
  /** producer.id.expiration.ms: idempotent-producer state idle this long is dropped (retention task). */
  producerIdExpirationMs?: number;
  /** Called once, when an I/O failure takes the log offline (LogManager fails the log dir). */
  onOffline?: (err: StorageError) => void;
  /** The broker-wide bound of the tail cache (tail-cache.ts); none: reads always go to the files. */
  tailCacheBudget?: TailCacheBudget;
  /** The broker's write-behind (write-behind.ts); none or off: the page cache keeps a segment's bytes until it rolls. */
  writeBehind?: WriteBehind;
  /** The broker's queue of background file work (background-queue.ts): retired segments are removed there, one at a time. */
  background?: BackgroundQueue;
}

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly #disk: Disk;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #onCheckpointNeeded: (() => Promise<void>) | undefined;
  #config: LogConfig;
  /** Sorted by baseOffset; replaced (never mutated) so readers can hold a snapshot. The last one is active. */
  #segments: LogSegment[];
  #logStartOffset: number;
  #logEndOffset: number;
  #highWatermark: number;
  #recoveryPoint: number;
  #sizeBytes: number;
  /** Bumped whenever batches or segments go away (truncation, retention), so racing reads retry. */
  #generation = 0;
  #queue: Promise<unknown> = Promise.resolve();
  /** Leader appends waiting to be written together (see appendAsLeader); null when none is open. */
  #openLeaderGroup: LeaderAppend[] | null = null;
  #flushQueue: Promise<unknown> = Promise.resolve();
  #backgroundFlush: Promise<void> = Promise.resolve();
  #unflushedMessages = 0;
  #lastFlushMonotonicMs: number;
  #segmentCreatedSinceDirSync = false;
  #offlineError: StorageError | null = null;
  readonly #onOffline: ((err: StorageError) => void) | undefined;
  #closed = false;
  #closePromise: Promise<void> | null = null;
  /** Retires dropped segments (`*.deleted`, removed after file.delete.delay.ms). */
  readonly #deleter: SegmentDeleter;
  /** Idempotent-producer state (producer-state.ts); changed only on the serial queue. */
  readonly #producerState: ProducerStateManager;
  readonly #producerIdExpirationMs: number;
  /** The producer snapshot files on disk. */
  readonly #producerSnapshots: ProducerSnapshotFiles;
  /** Copies of the latest appends, for reads at the tail; cleared when batches are removed from the end or rewritten (truncation, cleaning) and on close. */
  readonly #tail: TailCache;
  readonly #writeBehind: WriteBehind | null;
  /** A write-behind sync of this log is queued or running (one at a time per log). */
  #writeBehindPending = false;

  private constructor(opts: PartitionLogOptions, loaded: LoadedLog, log: Logger) {
    const { segments, logStartOffset } = loaded;
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.dir = opts.dir;
    this.#disk = opts.disk;
    this.#clock = opts.clock;
    this.#config = opts.config;
    this.#onCheckpointNeeded = opts.onCheckpointNeeded;
    this.#onOffline = opts.onOffline;
    this.#log = log;
    this.#segments = segments;
    const active = segments.at(-1);
    assert.ok(active);
    this.#logEndOffset = active.nextOffset;
    this.#logStartOffset = logStartOffset;
    this.#recoveryPoint = loaded.recoveryPoint;
    this.#segmentCreatedSinceDirSync = loaded.dirSyncPending;
    this.#highWatermark = clamp(opts.highWatermark ?? this.#logEndOffset, logStartOffset, this.#logEndOffset);
    this.#sizeBytes = segments.reduce((n, s) => n + s.sizeBytes, 0);
    this.#lastFlushMonotonicMs = opts.clock.monotonicMs();
    this.#producerIdExpirationMs = opts.producerIdExpirationMs ?? PRODUCER_ID_EXPIRATION_MS_DEFAULT;
    this.#producerState = loaded.producerState;
    this.#producerState.onHighWatermark(this.#highWatermark);
    this.#producerSnapshots = loaded.producerSnapshots;
    this.#tail = new TailCache(opts.tailCacheBudget);
    this.#writeBehind = opts.writeBehind?.enabled ? opts.writeBehind : null;
    // Older segments' index entries stay in their files until a read needs them (LogSegment.releaseIndexes).
    for (const seg of this.#segments.slice(0, -1)) seg.releaseIndexes();
    this.#deleter = new SegmentDeleter(
      opts.clock,
      () => this.#config.fileDeleteDelayMs,
      (err) => {
        // Reported through #fail (one error line, log offline); nobody awaits the deletion but
        // close(). Our own bugs (assertions) still crash.
        const failure = this.#fail(err, 'delete segment');
        if (!(failure instanceof StorageError)) throw failure;
      },
      opts.background,
    );
  }

  // ---------------------------------------------------------------- open

  /**
   * Opens (creating if needed) the log in `opts.dir`: the log loader (log-loader.ts) recovers the
   * directory (leftover files, torn tails, indexes, checkpointed offsets, producer state) and this
   * log starts from what it returns.
   */
  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    validateLogConfig(opts.config);
    assert.ok(Number.isInteger(opts.partition) && opts.partition >= 0);
    const log = logger('storage').child({ topic: opts.topic, partition: opts.partition });
    const loaded = await loadLog(opts, log);
    const plog = new PartitionLog(opts, loaded, log);
    log.debug(
      { segments: loaded.segments.length, logStartOffset: loaded.logStartOffset, logEndOffset: plog.logEndOffset, cleanShutdown: opts.cleanShutdown === true },
      'partition log opened',
    );
    return plog;
  }

  /** Idempotent-producer state of one producer (tests, tools). */
  producerEntry(producerId: bigint): { epoch: number; lastSequence: number; lastOffset: number } | null {
    const e = this.#producerState.get(producerId);
    const last = e?.batches.at(-1);
    if (e === undefined || last === undefined) return null;
    return { epoch: e.epoch, lastSequence: last.lastSeq, lastOffset: last.lastOffset };
  }

  /** Every producer with state in this partition (DescribeProducers). */
  producers(): ProducerView[] {
    return this.#producerState.producerIds().map((producerId) => {
      const e = this.#producerState.get(producerId)!;
      return {
        producerId,
        epoch: e.epoch,
        lastSequence: e.batches.at(-1)?.lastSeq ?? -1,
        lastTimestampMs: e.lastTimestampMs,
        coordinatorEpoch: e.coordinatorEpoch,
        currentTxnStartOffset: e.currentTxnFirstOffset ?? -1,
      };
    });
  }

  /** Offsets of the producer snapshot files (tests, tools). */
  producerSnapshotOffsets(): number[] {
    return this.#producerSnapshots.offsets();
  }

  // ---------------------------------------------------------------- accessors

  get logStartOffset(): number {
    return this.#logStartOffset;
  }

  /** The offset the next appended record gets. */
  get logEndOffset(): number {
    return this.#logEndOffset;
  }

  /** Maintained by the caller (replication); always kept within [logStartOffset, logEndOffset]. */
  get highWatermark(): number {
    return this.#highWatermark;
  }

  set highWatermark(offset: number) {
    assert.ok(Number.isSafeInteger(offset));
    this.#setHighWatermark(offset);
  }

  /** Clamps and stores the high watermark; completed transactions below it stop holding the LSO back. */
  #setHighWatermark(offset: number): void {
    this.#highWatermark = clamp(offset, this.#logStartOffset, this.#logEndOffset);
    this.#producerState.onHighWatermark(this.#highWatermark);
  }

  /**
   * The last stable offset (KIP-98): read_committed consumers read below it. The high watermark,
   * or the first offset of a transaction that is ongoing or whose marker is not yet below the high
   * watermark, whichever is smaller. Moves only when the high watermark moves or a marker is appended.
   */
  get lastStableOffset(): number {
    const first = this.#producerState.firstUnstableOffset();
    return first === null ? this.#highWatermark : Math.min(first, this.#highWatermark);
  }

  /** First offset of the earliest ongoing or not yet replicated transaction, or null. */
  get firstUnstableOffset(): number | null {
    return this.#producerState.firstUnstableOffset();
  }

  /** First offset of `producerId`'s ongoing transaction here, or null (KIP-890 verification). */
  ongoingTxnFirstOffset(producerId: bigint): number | null {
    return this.#producerState.ongoingTxnFirstOffset(producerId);
  }

  /**
   * Aborted transactions overlapping [startOffset, upperBoundOffset): every one with lastOffset >=
   * startOffset and firstOffset < upperBoundOffset, from the txn indexes of the segments from the
   * one holding startOffset on (a search stops once an entry's lastStableOffset reaches the bound).
   */
  abortedTransactions(startOffset: number, upperBoundOffset: number): Array<{ producerId: bigint; firstOffset: number }> {
    return this.abortedTxnEntries(startOffset, upperBoundOffset).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }));
  }

  /** As abortedTransactions, with the whole txn index entries (the log cleaner needs their last offsets). */
  abortedTxnEntries(startOffset: number, upperBoundOffset: number): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    const segments = this.#segments;
    for (let i = floorSegment(segments, startOffset); i < segments.length; i++) {
      if (segments[i]!.txnIndex.collect(startOffset, upperBoundOffset, out)) break;
    }
    return out;
  }

  /** Offset below which every batch is fsynced. */
  get recoveryPoint(): number {
    return this.#recoveryPoint;
  }

  get offline(): boolean {
    return this.#offlineError !== null;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get config(): LogConfig {
    return this.#config;
  }

  /** The Disk this log writes through; replication keeps its per-partition files (leader-epoch-checkpoint) in `dir` with it. */
  get disk(): Disk {
    return this.#disk;
  }

  /** Log cleaner: each live segment's base offset, size and largest timestamp, oldest first (the last is active). */
  segmentInfos(): SegmentInfo[] {
    return this.#segments.map((s) => ({ baseOffset: s.baseOffset, sizeBytes: s.sizeBytes, largestTimestampMs: s.largestTimestampMs }));
  }

  /**
   * Log cleaner hook (log-cleaner.ts): replaces the consecutive inactive segments starting at
   * `baseOffsets` with the cleaned, fsynced segment file `swapPath` (`<baseOffsets[0]>.log.swap`):
   * the old segments are retired as `*.deleted`, then the swap file becomes `<baseOffsets[0]>.log`.
   * Returns false, removing the swap file, when those segments changed meanwhile.
   */
  async replaceWithCleaned(baseOffsets: readonly number[], swapPath: string): Promise<boolean> {
    this.#checkUsable();
    return this.#serial(async () => {
      this.#checkUsable();
      const segments = this.#segments;
      const first = segments.findIndex((seg) => seg.baseOffset === baseOffsets[0]);
      const old = first < 0 ? [] : segments.slice(first, first + baseOffsets.length);
      const unchanged =
        old.length === baseOffsets.length && first + old.length < segments.length && old.every((seg, i) => seg.baseOffset === baseOffsets[i] && !seg.isActive);
      try {
        if (!unchanged) {
          await this.#disk.rm(swapPath);
          return false;
        }
        this.#generation++;
        this.#tail.clear();
        const nextBaseOffset = segments[first + old.length]!.baseOffset;
        await this.#deleter.retire(old);
        await this.#disk.rename(swapPath, path.join(this.dir, segmentFileName(baseOffsets[0]!, LOG_FILE_SUFFIX)));
        await this.#disk.syncDir(this.dir);
        const txnEntries = old.flatMap((seg) => seg.txnIndex.all());
        const { segment } = await LogSegment.open({
          disk: this.#disk,
          dir: this.dir,
          baseOffset: baseOffsets[0]!,
          limits: { segmentIndexBytes: this.#config.segmentIndexBytes },
          mode: 'recover',
          nextSegmentBaseOffset: nextBaseOffset,
          indexIntervalBytes: this.#config.indexIntervalBytes,
          nowMs: this.#clock.nowMs(),
          log: this.#log,
        });
        segment.markInactive();
        // The aborted transactions of the replaced segments stay described (their data is gone).
        segment.txnIndex.truncateToOffset(-1);
        for (const t of txnEntries) segment.txnIndex.append(t);
        segment.markTxnIndexComplete();
        await segment.flush();
        this.#segments = [...segments.slice(0, first), segment, ...segments.slice(first + old.length)];
        this.#sizeBytes = this.#segments.reduce((n, seg) => n + seg.sizeBytes, 0);
        return true;
      } catch (err) {
        throw this.#fail(err, 'replace cleaned segments');
      }
    });
  }

  /** Inactive segments, and how many of them hold their index entries in memory (tests, diagnostics). */
  indexMemory(): { inactive: number; loaded: number } {
    const inactive = this.#segments.slice(0, -1);
    return { inactive: inactive.length, loaded: inactive.filter((s) => !s.indexesReleased).length };
  }

  /** Base offsets of the live segments, oldest first (tests, tools). */
  segmentBaseOffsets(): number[] {
    return this.#segments.map((s) => s.baseOffset);
  }

  /** Total bytes of all segments' .log files. */
  /** Segments of the log, the active one included (metrics). */
  get segmentCount(): number {
    return this.#segments.length;
  }

  sizeBytes(): number {
    return this.#sizeBytes;
  }

  updateConfig(config: LogConfig): void {
    validateLogConfig(config);
    this.#config = config;
    for (const seg of this.#segments) seg.setLimits({ segmentIndexBytes: config.segmentIndexBytes });
  }

  // ---------------------------------------------------------------- append

  /**
   * Appends one or more complete v2 batches (CRC already checked by the caller) as the leader:
   * assigns offsets by patching baseOffset and partitionLeaderEpoch in place (outside the CRC);
   * with LogAppendTime also sets the timestamp-type bit and maxTimestamp = now and reseals the CRC.
   * The patched bytes are then appended unchanged, in one write unless a roll splits them.
   */
  async appendAsLeader(
    records: Buffer,
    opts: { leaderEpoch: number },
  ): Promise<LeaderAppendResult> {
    this.#checkUsable();
    const messages = checkBatches(records, 'leader', this.#config.segmentBytes);
    // Gathered appends: leader appends that arrive while earlier work holds the queue join one
    // group, written with a single write (one syscall and thread-pool round trip instead of one per
    // request). Any other queued operation closes the open group, so order is kept (docs/PERFORMANCE.md).
    return new Promise((resolve, reject) => {
      const entry: LeaderAppend = { records, messages, leaderEpoch: opts.leaderEpoch, resolve, reject };
      if (this.#openLeaderGroup !== null) {
        this.#openLeaderGroup.push(entry);
        return;
      }
      const group = [entry];
      this.#serial(async () => {
        if (this.#openLeaderGroup === group) this.#openLeaderGroup = null;
        await this.#appendLeaderGroup(group);
      }).catch(() => undefined); // each entry got its own outcome
      this.#openLeaderGroup = group;
    });
  }

  /**
   * On the queue: checks each append's idempotent batches against producer state and assigns
   * offsets (leader-append.ts), then writes the batches to be written all at once. A duplicate batch
   * is left out of the write and its request gets the original offsets; producer state is committed
   * after the write.
   */
  async #appendLeaderGroup(group: LeaderAppend[]): Promise<void> {
    const groupTx = this.#producerState.begin();
    let outcomes: ReturnType<typeof assignLeaderOffsets>['outcomes'];
    try {
      this.#checkUsable();
      const logAppendTime = this.#config.messageTimestampType === 'LogAppendTime';
      const nowMs = this.#clock.nowMs();
      const assigned = assignLeaderOffsets(group, groupTx, { nextOffset: this.#logEndOffset, logAppendTime, nowMs });
      outcomes = assigned.outcomes;
      await writeGathered(assigned.toWrite, (bytes) => this.#appendLocked(bytes, assigned.messages, nowMs));
      assert.equal(this.#logEndOffset, assigned.nextOffset);
      groupTx.commit();
      this.#producerState.mapEndOffset = this.#logEndOffset;
    } catch (err) {
      for (const e of group) e.reject(err);
      throw err;
    }
    for (let i = 0; i < group.length; i++) {
      const o = outcomes[i]!;
      if (o.ok) group[i]!.resolve(o.result);
      else group[i]!.reject(o.err);
    }
  }

  /**
   * Appends batches whose offsets the leader assigned (replication). They must start at or after
   * logEndOffset (after, only where the leader's log has a gap) and increase; bytes are kept as-is.
   */
  async appendAsFollower(records: Buffer): Promise<{ lastOffset: number }> {
    this.#checkUsable();
    const messages = checkBatches(records, 'follower', this.#config.segmentBytes);
    return this.#serial(async () => {
      this.#checkUsable();
      assert.ok(
        batch.baseOffset(records, 0) >= this.#logEndOffset,
        `follower append at ${batch.baseOffset(records, 0)} below logEndOffset ${this.#logEndOffset}`,
      );
      const nowMs = this.#clock.nowMs();
      await this.#appendLocked(records, messages, nowMs);
      // Followers record producer state without checks: the leader already decided.
      for (let at = 0; at < records.length; at += batch.totalBytes(records, at)) {
        const completed = recordBatchInState(this.#producerState, records, at, nowMs);
        if (completed !== null) this.#indexCompleted(completed);
      }
      this.#producerState.mapEndOffset = this.#logEndOffset;
      return { lastOffset: this.#logEndOffset - 1 };
    });
  }

  /**
   * Writes a transaction marker (control batch, control-batch.ts) as the leader, after checking it
   * against producer state (stale producer epoch: 'invalidProducerEpoch'; older coordinator epoch:
   * 'transactionCoordinatorFenced', both ProducerStateError). The transaction ends; an aborted one
   * goes into the active segment's txn index. Until the high watermark passes the marker, the
   * transaction still holds the last stable offset back.
   */
  async appendControlAsLeader(marker: TxnMarker, leaderEpoch: number, nowMs: number): Promise<LeaderAppendResult> {
    this.#checkUsable();
    return this.#serial(async () => {
      this.#checkUsable();
      const tx = this.#producerState.begin();
      tx.checkMarker(marker);
      const offset = this.#logEndOffset;
      const records = buildControlBatch(marker, { timestampMs: nowMs, baseOffset: offset, partitionLeaderEpoch: leaderEpoch });
      checkBatches(records, 'follower', this.#config.segmentBytes);
      await this.#appendLocked(records, 1, nowMs);
      const completed = tx.recordMarker(marker, offset, nowMs);
      tx.commit();
      this.#indexCompleted(completed);
      this.#producerState.mapEndOffset = this.#logEndOffset;
      return { baseOffset: offset, lastOffset: offset, logAppendTimeMs: -1, maxTimestamp: nowMs };
    });
  }

  /** After a marker's write: an aborted transaction goes into the txn index of the segment holding the marker. */
  #indexCompleted(txn: CompletedTxn): void {
    if (!txn.aborted) return;
    const seg = this.#segments[floorSegment(this.#segments, txn.lastOffset)]!;
    seg.txnIndex.append({ ...txn, lastStableOffset: this.#producerState.lastStableOffsetAfter(txn.lastOffset) });
  }

  /** On the queue: writes batches with final offsets, rolling as needed; one write per segment touched. */
  async #appendLocked(records: Buffer, messages: number, nowMs: number): Promise<void> {
    const config = this.#config;
    let at = 0;
    try {
      while (at < records.length) {
        let seg = this.#segments.at(-1)!;
        const firstBytes = batch.totalBytes(records, at);
        const firstLastOffset = batch.lastOffset(records, at);
        if (this.#shouldRoll(seg, firstBytes, firstLastOffset, nowMs)) seg = await this.#roll(batch.baseOffset(records, at), nowMs);
        // Take as many whole batches as the segment still holds (all of them, nearly always).
        const slotsFree = seg.indexSlotsFree;
        let end = at;
        let batches = 0;
        let sizeBytes = seg.sizeBytes;
        while (end < records.length) {
          const totalBytes = batch.totalBytes(records, end);
          if (end > at && (sizeBytes + totalBytes > config.segmentBytes || !seg.canHoldOffset(batch.lastOffset(records, end)) || batches >= slotsFree)) break;
          sizeBytes += totalBytes;
          batches++;
          end += totalBytes;
        }
        const chunk = at === 0 && end === records.length ? records : records.subarray(at, end);
        await seg.append(chunk, config.indexIntervalBytes, nowMs);
        this.#logEndOffset = seg.nextOffset;
        this.#tail.append(chunk, this.#logEndOffset);
        this.#sizeBytes += chunk.length;
        at = end;
      }
    } catch (err) {
      throw this.#fail(err, 'append');
    }
    this.#unflushedMessages += messages;
    if (this.#unflushedMessages >= config.flushIntervalMessages) await this.#flushNow();
    else this.#maybeWriteBehind();
  }

  /** Queues an fsync of the active segment's .log once bytesMax of it is unsynced (write-behind.ts). */
  #maybeWriteBehind(): void {
    const wb = this.#writeBehind;
    if (wb === null || this.#writeBehindPending) return;
    const seg = this.#segments.at(-1)!;
    if (seg.unsyncedBytes < wb.bytesMax) return;
    this.#writeBehindPending = true;
    seg.pin();
    wb.schedule(async () => {
      try {
        if (!this.#closed && this.#offlineError === null && !seg.isDeleted) await seg.syncLog();
      } catch (err) {
        // #fail takes the log offline and logs the failure once; nobody awaits this task.
        // Our own bugs (assertions) still crash.
        if (err instanceof assert.AssertionError) throw err;
        this.#fail(err, 'write-behind sync');
      } finally {
        seg.unpin();
        this.#writeBehindPending = false;
      }
      // Appends that arrived during the sync may already amount to bytesMax.
      if (!this.#closed && this.#offlineError === null) this.#maybeWriteBehind();
    });
  }

  #shouldRoll(seg: LogSegment, firstBytes: number, firstLastOffset: number, nowMs: number): boolean {
    if (!seg.canHoldOffset(firstLastOffset)) return true;
    if (seg.sizeBytes === 0) return false;
    const config = this.#config;
    return (
      seg.sizeBytes + firstBytes > config.segmentBytes ||
      nowMs - seg.rollBaseMs > config.segmentMs ||
      seg.indexSlotsFree < 1
    );
  }

  async #roll(baseOffset: number, nowMs: number): Promise<LogSegment> {
    const old = this.#segments.at(-1)!;
    assert.ok(baseOffset > old.baseOffset && baseOffset >= this.#logEndOffset, 'a new segment starts past the log end');
    // Producer state as of the last committed write (mapEndOffset), so a restart replays only the tail.
    await this.#producerSnapshots.write(this.#producerState);
    const seg = await LogSegment.create(this.#disk, this.dir, baseOffset, { segmentIndexBytes: this.#config.segmentIndexBytes }, nowMs);
    old.markInactive();
    this.#segments = [...this.#segments, seg];
    this.#segmentCreatedSinceDirSync = true;
    this.#log.debug({ baseOffset, previousSizeBytes: old.sizeBytes }, 'rolled segment');
    // fsync the finished segment and write its indexes without holding up appends (Kafka does the same).
    this.#backgroundFlush = this.#backgroundFlush.then(() =>
      this.#flushNow().catch((err: unknown) => {
        // #flushNow already took the log offline and logged the failure; nobody else awaits this
        // promise. Our own bugs (assertions) still crash.
        if (err instanceof assert.AssertionError) throw err;
      }),
    );
    return seg;
  }

  // ---------------------------------------------------------------- read

  /**
   * Whole batches starting with the one that holds `fetchOffset`, at most `maxBytes` of them (but
   * the first batch even if larger when minOneMessage), only batches that end below `maxOffset`
   * (exclusive, default logEndOffset, e.g. the high watermark). Reads one segment per call. Bytes
   * are the file's, verbatim; each batch's CRC is checked. `firstOffset` is the first returned
   * batch's baseOffset (fetchOffset when nothing is returned).
   * Throws StorageError('offsetOutOfRange') when fetchOffset is outside [logStartOffset, logEndOffset].
   */
  async read(
    fetchOffset: number,
    maxBytes: number,
    opts: { minOneMessage: boolean; maxOffset?: number },
  ): Promise<{ records: Buffer; firstOffset: number }> {
    return this.#withSnapshot('read', async (segments) => {
      if (fetchOffset < this.#logStartOffset || fetchOffset > this.#logEndOffset) {
        throw new StorageError(
          'offsetOutOfRange',
          `${this.topic}-${this.partition}: offset ${fetchOffset} outside [${this.#logStartOffset}, ${this.#logEndOffset}]`,
        );
      }
      const maxOffset = Math.min(opts.maxOffset ?? this.#logEndOffset, this.#logEndOffset);
      if (fetchOffset >= maxOffset) return { records: EMPTY, firstOffset: fetchOffset };
      // Reads at the tail are answered from the copies of the latest appends (tail-cache.ts).
      const cached = this.#tail.read(fetchOffset, maxBytes, opts.minOneMessage, maxOffset, this.#logEndOffset);
      if (cached !== null) return cached;
      return readSegments(segments, fetchOffset, maxBytes, { minOneMessage: opts.minOneMessage, maxOffset, indexIntervalBytes: this.#config.indexIntervalBytes });
    });
  }

  /**
   * ListOffsets by timestamp: the first record at or after logStartOffset whose timestamp is >=
   * `timestampMs` (batches found through the time index, records read inside the batch; for
   * compressed batches the batch's first offset), with that record's timestamp; null if none.
   */
  async offsetForTimestamp(timestampMs: number): Promise<{ offset: number; timestampMs: number } | null> {
    return this.#withSnapshot('offsetForTimestamp', (segments) => findOffsetForTimestamp(segments, timestampMs, this.#logStartOffset));
  }

  /** ListOffsets MAX_TIMESTAMP (-3): the first record carrying the log's largest timestamp, or null when the log is empty. */
  async maxTimestampOffset(): Promise<{ offset: number; timestampMs: number } | null> {
    return this.#withSnapshot('maxTimestampOffset', (segments) => findMaxTimestampOffset(segments, this.#logStartOffset));
  }

  /** Runs a read-only operation on a snapshot of the segments; retries when truncation or deletion raced with it. */
  async #withSnapshot<T>(what: string, fn: (segments: readonly LogSegment[]) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.#checkUsable();
      const generation = this.#generation;
      const reloads = indexReloadCount();
      let result: T;
      try {
        result = await fn(this.#segments);
        if (indexReloadCount() !== reloads) this.#releaseIdleIndexes();
      } catch (err) {
        if (err instanceof StorageError && err.kind === 'offsetOutOfRange') throw err;
        // Expected case: the segment shrank or was deleted under us; the retry sees the new state.
        if (generation !== this.#generation && attempt < READ_RETRIES_MAX) continue;
        throw this.#fail(err, what);
      }
      if (generation === this.#generation || attempt >= READ_RETRIES_MAX) return result;
    }
  }

  /**
   * Inactive segments keep their index entries in memory only if a read used them, at most
   * INACTIVE_INDEXES_LOADED_MAX of them (the most recently read); the others' entries stay in their files.
   */
  #releaseIdleIndexes(): void {
    const inactive = this.#segments.slice(0, -1);
    for (const seg of inactive) if (seg.indexesUsedAt === 0) seg.releaseIndexes();
    const loaded = inactive.filter((s) => !s.indexesReleased);
    if (loaded.length <= INACTIVE_INDEXES_LOADED_MAX) return;
    loaded.sort((a, b) => a.indexesUsedAt - b.indexesUsedAt);
    for (const seg of loaded.slice(0, loaded.length - INACTIVE_INDEXES_LOADED_MAX)) seg.releaseIndexes();
  }

  // ---------------------------------------------------------------- truncation, DeleteRecords, retention

  /** Drops every batch at or after `offset` (whole batches: the log may end below `offset`). For replication. */
  async truncateTo(offset: number): Promise<void> {
    assert.ok(Number.isSafeInteger(offset) && offset >= 0);
    this.#checkUsable();
    return this.#serial(async () => {
      this.#checkUsable();
      if (offset >= this.#logEndOffset) return;
      this.#generation++;
      this.#tail.clear();
      try {
        const segments = this.#segments;
        const nowMs = this.#clock.nowMs();
        let removed: LogSegment[];
        if (offset < segments[0]!.baseOffset) {
          // Nothing is kept: start over at `offset`.
          removed = segments;
          const fresh = await LogSegment.create(this.#disk, this.dir, offset, { segmentIndexBytes: this.#config.segmentIndexBytes }, nowMs);
          this.#segmentCreatedSinceDirSync = true;
          this.#segments = [fresh];
          this.#logStartOffset = offset;
        } else {
          const keep = floorSegment(segments, offset) + 1;
          removed = segments.slice(keep);
          this.#segments = segments.slice(0, keep);
          const last = this.#segments.at(-1)!;
          last.markActive();
          await last.truncateTo(offset);
        }
        await this.#deleter.retire(removed);
        const last = this.#segments.at(-1)!;
        this.#logEndOffset = last.nextOffset;
        this.#producerState.truncateTo(this.#logEndOffset);
        await this.#producerSnapshots.removeWhere((o) => o > this.#logEndOffset || o < this.#segments[0]!.baseOffset);
        this.#sizeBytes = this.#segments.reduce((n, s) => n + s.sizeBytes, 0);
        this.#logStartOffset = Math.min(this.#logStartOffset, this.#logEndOffset);
        this.#setHighWatermark(this.#highWatermark);
        this.#recoveryPoint = Math.min(this.#recoveryPoint, this.#logEndOffset);
        this.#log.info({ offset, logEndOffset: this.#logEndOffset, segmentsDeleted: removed.length }, 'truncated log');
        if (this.#onCheckpointNeeded) await this.#onCheckpointNeeded();
      } catch (err) {
        throw this.#fail(err, 'truncate');
      }
    });
  }

  /**
   * DeleteRecords: moves logStartOffset up to `offset` (no further than the high watermark) and
   * deletes the segments wholly below it.
   */
  async deleteRecordsBefore(offset: number): Promise<void> {
    this.#checkUsable();
    return this.#serial(async () => {
      this.#checkUsable();
      if (offset > this.#highWatermark) {
        throw new StorageError('offsetOutOfRange', `${this.topic}-${this.partition}: cannot delete records before ${offset}, past the high watermark ${this.#highWatermark}`);
      }
      if (offset <= this.#logStartOffset) return;
      this.#logStartOffset = offset;
      try {
        await this.#deleteSegmentsBelowStart();
        if (this.#onCheckpointNeeded) await this.#onCheckpointNeeded();
      } catch (err) {
        throw this.#fail(err, 'deleteRecords');
      }
    });
  }

  /**
   * Retention: deletes the oldest whole segments while one of these holds (never the active
   * segment): its largest timestamp is older than retentionMs, the log without it is still at
   * least retentionBytes, or it lies wholly below logStartOffset. Advances logStartOffset to the
   * first remaining segment. Returns how many segments were deleted.
   */
  async applyRetention(): Promise<number> {
    this.#checkUsable();
    return this.#serial(async () => {
      this.#checkUsable();
      const config = this.#config;
      const nowMs = this.#clock.nowMs();
      // producer.id.expiration.ms, checked on the retention task rather than per-producer timers.
      const expired = this.#producerState.removeExpired(nowMs, this.#producerIdExpirationMs);
      if (expired > 0) this.#log.debug({ producersExpired: expired }, 'expired idle producer ids');
      const segments = this.#segments;
      let remainingBytes = this.#sizeBytes;
      let count = 0;
      // cleanup.policy=compact alone keeps every segment (the log cleaner bounds the log instead).
      const deletePolicy = deletePolicyApplies(config);
      while (count < segments.length - 1) {
        const seg = segments[count]!;
        const expired = deletePolicy && config.retentionMs >= 0 && nowMs - seg.largestTimestampMs > config.retentionMs;
        const oversized = deletePolicy && config.retentionBytes >= 0 && remainingBytes - seg.sizeBytes >= config.retentionBytes;
        const belowStart = segments[count + 1]!.baseOffset <= this.#logStartOffset;
        if (!expired && !oversized && !belowStart) break;
        remainingBytes -= seg.sizeBytes;
        count++;
      }
      if (count === 0) return 0;
      try {
        await this.#removeOldestSegments(count);
        this.#log.info({ segmentsDeleted: count, logStartOffset: this.#logStartOffset }, 'retention deleted segments');
        if (this.#onCheckpointNeeded) await this.#onCheckpointNeeded();
      } catch (err) {
        throw this.#fail(err, 'retention');
      }
      return count;
    });
  }

  async #deleteSegmentsBelowStart(): Promise<void> {
    const segments = this.#segments;
    let count = 0;
    while (count < segments.length - 1 && segments[count + 1]!.baseOffset <= this.#logStartOffset) count++;
    if (count > 0) await this.#removeOldestSegments(count);
    this.#setHighWatermark(this.#highWatermark);
  }

  async #removeOldestSegments(count: number): Promise<void> {
    const removed = this.#segments.slice(0, count);
    this.#generation++;
    // The tail cache stays: it holds the newest appends, and a read below the new log start is
    // refused before it is asked. Clearing it here made every partition refill 64 MiB of chunks at
    // once at each retention pass, which grew the malloc heap by ~50 MB for good (the P7 RSS step).
    this.#segments = this.#segments.slice(count);
    this.#sizeBytes -= removed.reduce((n, s) => n + s.sizeBytes, 0);
    this.#logStartOffset = Math.max(this.#logStartOffset, this.#segments[0]!.baseOffset);
    this.#setHighWatermark(this.#highWatermark);
    await this.#deleter.retire(removed);
  }

  // ---------------------------------------------------------------- durability and shutdown

  /** fsyncs every segment with unsynced bytes and writes their indexes; moves the recovery point to the log end. */
  async flush(): Promise<void> {
    this.#checkUsable();
    await this.#flushNow();
  }

  /** For LogManager's flusher: flushes when unflushed data is older than flushIntervalMs. Returns whether it flushed. */
  async flushIfDue(): Promise<boolean> {
    const intervalMs = this.#config.flushIntervalMs;
    if (this.offline || this.#closed || intervalMs < 0 || this.#logEndOffset <= this.#recoveryPoint) return false;
    if (this.#clock.monotonicMs() - this.#lastFlushMonotonicMs < intervalMs) return false;
    await this.#flushNow();
    return true;
  }

  #flushNow(): Promise<void> {
    const run = this.#flushQueue.then(async () => {
      if (this.#offlineError) throw this.#offlineError;
      const logEndOffset = this.#logEndOffset;
      const generation = this.#generation;
      const messages = this.#unflushedMessages;
      const segments = this.#segments.filter((s) => s.hasUnsyncedData);
      for (const seg of segments) seg.pin();
      try {
        for (const seg of segments) await seg.flush();
        if (this.#segmentCreatedSinceDirSync) {
          this.#segmentCreatedSinceDirSync = false;
          await this.#disk.syncDir(this.dir);
        }
      } catch (err) {
        throw this.#fail(err, 'flush');
      } finally {
        for (const seg of segments) seg.unpin();
      }
      if (generation === this.#generation && logEndOffset > this.#recoveryPoint) this.#recoveryPoint = logEndOffset;
      // A rolled segment's indexes are in their files now: their memory can go.
      if (segments.length > 0) this.#releaseIdleIndexes();
      this.#unflushedMessages = Math.max(0, this.#unflushedMessages - messages);
      this.#lastFlushMonotonicMs = this.#clock.monotonicMs();
    });
    // The chain only orders flushes; each caller gets its own outcome through `run`.
    this.#flushQueue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Waits for queued appends, flushes (unless `flush: false`, used when the log is being deleted),
   * writes the indexes and closes every file. Later calls reject with 'logClosed'. An offline log
   * only closes its files.
   */
  close(opts: { flush?: boolean } = {}): Promise<void> {
    this.#closePromise ??= this.#close(opts);
    return this.#closePromise;
  }

  async #close(opts: { flush?: boolean }): Promise<void> {
    this.#deleter.hurry();
    await this.#serial(async () => {
      this.#closed = true;
      this.#tail.clear();
    });
    await this.#backgroundFlush;
    await this.#deleter.drain();
    let failure: Error | null = null;
    if (this.#offlineError === null) {
      try {
        if (opts.flush !== false) {
          await this.#flushNow();
          await this.#producerSnapshots.write(this.#producerState);
        }
        for (const seg of this.#segments) await seg.close();
        return;
      } catch (err) {
        failure = this.#fail(err, 'close');
      }
    }
    // Offline (before or during close): release the files without writing anything more.
    for (const seg of this.#segments) {
      for (const err of await seg.abandon()) this.#log.warn({ err }, 'closing a file of an offline log failed');
    }
    if (failure !== null) throw failure;
  }

  // ---------------------------------------------------------------- internals

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    this.#openLeaderGroup = null; // later leader appends queue behind this operation
    const run = this.#queue.then(fn);
    // The chain only orders operations; each caller gets its own outcome through `run`.
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  #checkUsable(): void {
    if (this.#offlineError !== null) {
      throw new StorageError('logOffline', `${this.topic}-${this.partition} is offline after: ${this.#offlineError.message}`, {
        cause: this.#offlineError,
      });
    }
    if (this.#closed) throw new StorageError('logClosed', `${this.topic}-${this.partition} is closed`);
  }

  /**
   * Classifies a failure. StorageErrors and assertion failures pass through unchanged; anything else
   * is an I/O failure: the log goes offline (logged once) and the caller gets 'diskFull' or 'ioError'.
   */
  #fail(err: unknown, what: string): Error {
    if (err instanceof StorageError) return err;
    if (err instanceof assert.AssertionError) return err;
    const storageError = storageErrorFromIo(err, `${this.topic}-${this.partition} ${what} failed`);
    if (this.#offlineError === null) {
      this.#offlineError = storageError;
      this.#log.error({ err, dir: this.dir }, `log ${this.topic}-${this.partition} is offline: ${what} failed: ${storageError.message}`);
      this.#onOffline?.(storageError);
    }
    return storageError;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

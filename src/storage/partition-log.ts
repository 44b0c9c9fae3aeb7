/**
 * PartitionLog: the on-disk log of one topic-partition (≈ Kafka's UnifiedLog): append, read, roll,
 * truncate, retention, flush and crash recovery. Lives in `<logDir>/<topic>-<partition>/` as a run
 * of segments (see log-segment.ts for the file layout and offset-index.ts / time-index.ts for the
 * index formats).
 *
 * Owner and lifecycle: LogManager opens one per partition directory (PartitionLog.open runs
 * recovery) and closes it at shutdown or deleteLog. Callers: replication/partition.ts (appendAsLeader,
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
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Clock, Timer } from '../io/clock.js';
import type { Disk } from '../io/disk.js';
import { logger, type Logger } from '../log.js';
import {
  ATTR_TIMESTAMP_LOG_APPEND,
  BATCH_ATTRIBUTES_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_MAGIC_OFFSET,
  batch,
} from '../protocol/records/batch.js';
import { BATCH_LENGTH_MIN } from './batch-scan.js';
import { StorageError, storageErrorFromIo } from './errors.js';
import { deletePolicyApplies, recoverInterruptedSwaps } from './log-cleaner.js';
import { validateLogConfig, type LogConfig } from './log-config.js';
import {
  NO_PRODUCER_ID,
  PRODUCER_ID_EXPIRATION_MS_DEFAULT,
  ProducerStateManager,
  SNAPSHOT_FILE_SUFFIX,
  type ProducerBatch,
} from './producer-state.js';
import {
  DELETED_FILE_SUFFIX,
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  LogSegment,
  parseSegmentFileName,
  segmentFileName,
  TIME_INDEX_FILE_SUFFIX,
} from './log-segment.js';

export type { LogConfig } from './log-config.js';

/** Leftovers of interrupted work (ours or Kafka's) that recovery removes. */
const LEFTOVER_SUFFIXES = [DELETED_FILE_SUFFIX, '.cleaned', '.swap', '.tmp'];

const EMPTY = Buffer.alloc(0);

/** A read that raced with truncation or segment deletion is retried this many times. */
const READ_RETRIES_MAX = 5;

export interface PartitionLogOptions {
  disk: Disk;
  clock: Clock;
  /** The partition directory, `<logDir>/<topic>-<partition>`; created if missing. */
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  /** Offset below which everything was fsynced (recovery-point checkpoint). Default 0: check everything. */
  recoveryPoint?: number;
  /** Checkpointed log start offset. Default: the first segment's base offset. */
  logStartOffset?: number;
  /** True when the log was closed cleanly: indexes are trusted and only the last batches are checked. */
  cleanShutdown?: boolean;
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
}

/** What a leader append returns; `duplicate` when the producer retried a batch already in the log (nothing written). */
export interface LeaderAppendResult {
  baseOffset: number;
  lastOffset: number;
  logAppendTimeMs: number;
  maxTimestamp: number;
  duplicate?: boolean;
}

/** Producer snapshots kept per partition (the newest is loaded at open; older ones are fallbacks). */
const PRODUCER_SNAPSHOTS_KEPT = 2;
/** Without a usable snapshot, producer state is rebuilt from this many trailing segments. */
const PRODUCER_REBUILD_SEGMENTS = 1;

interface DeleteDelay {
  timer: Timer;
  resolve: () => void;
}

/**
 * Gather buffers for grouped leader appends: a few reused 1 MiB buffers shared by all logs (a
 * group's buffer is busy only while its write is in flight; Disk.write copies or writes it
 * through), so grouping does not allocate per write. Larger groups get a one-off buffer.
 */
const GATHER_BUFFER_BYTES = 1 << 20;
const GATHER_BUFFERS_KEPT = 4;
const gatherPool: Buffer[] = [];
function takeGatherBuffer(bytes: number): Buffer {
  if (bytes > GATHER_BUFFER_BYTES) return Buffer.allocUnsafe(bytes);
  return gatherPool.pop() ?? Buffer.allocUnsafe(GATHER_BUFFER_BYTES);
}
function releaseGatherBuffer(b: Buffer): void {
  if (b.length === GATHER_BUFFER_BYTES && gatherPool.length < GATHER_BUFFERS_KEPT) gatherPool.push(b);
}

interface LeaderAppend {
  records: Buffer;
  messages: number;
  leaderEpoch: number;
  resolve: (r: LeaderAppendResult) => void;
  reject: (err: unknown) => void;
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
  #closing = false;
  #closePromise: Promise<void> | null = null;
  readonly #pendingDeletes = new Set<Promise<void>>();
  readonly #deleteDelays = new Set<DeleteDelay>();
  /** Idempotent-producer state (producer-state.ts); changed only on the serial queue. */
  readonly #producerState = new ProducerStateManager();
  readonly #producerIdExpirationMs: number;
  /** Offsets of the producer snapshot files on disk, ascending. */
  #producerSnapshots: number[] = [];

  private constructor(opts: PartitionLogOptions, segments: LogSegment[], logStartOffset: number, recoveryPoint: number, log: Logger) {
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
    this.#recoveryPoint = recoveryPoint;
    this.#highWatermark = clamp(opts.highWatermark ?? this.#logEndOffset, logStartOffset, this.#logEndOffset);
    this.#sizeBytes = segments.reduce((n, s) => n + s.sizeBytes, 0);
    this.#lastFlushMonotonicMs = opts.clock.monotonicMs();
    this.#producerIdExpirationMs = opts.producerIdExpirationMs ?? PRODUCER_ID_EXPIRATION_MS_DEFAULT;
  }

  // ---------------------------------------------------------------- open and recovery

  /**
   * Opens (creating if needed) the log in `opts.dir` and recovers it: removes leftover files,
   * loads every segment, checks batches after the recovery point (all of them after an unclean
   * shutdown without a checkpoint), cuts a torn or corrupt tail (dropping later segments), rebuilds
   * missing or inconsistent indexes and fsyncs what recovery touched.
   */
  static async open(opts: PartitionLogOptions): Promise<PartitionLog> {
    validateLogConfig(opts.config);
    assert.ok(Number.isInteger(opts.partition) && opts.partition >= 0);
    const { disk, dir, config } = opts;
    const log = logger('storage').child({ topic: opts.topic, partition: opts.partition });
    const nowMs = opts.clock.nowMs();
    const limits = { segmentIndexBytes: config.segmentIndexBytes };
    await disk.mkdir(dir);
    // Log cleaner hook: a crash mid-swap leaves a complete `.swap` segment that must replace the old ones.
    await recoverInterruptedSwaps(disk, dir, log);

    const logBases: number[] = [];
    const snapshotBases: number[] = [];
    const indexBases: { base: number; name: string }[] = [];
    for (const entry of await disk.readdir(dir)) {
      if (entry.isDirectory) continue;
      const name = entry.name;
      if (LEFTOVER_SUFFIXES.some((s) => name.endsWith(s))) {
        log.info({ file: path.join(dir, name) }, 'removing leftover file');
        await disk.rm(path.join(dir, name));
        continue;
      }
      const logBase = parseSegmentFileName(name, LOG_FILE_SUFFIX);
      if (logBase !== null) {
        logBases.push(logBase);
        continue;
      }
      const snapshotBase = parseSegmentFileName(name, SNAPSHOT_FILE_SUFFIX);
      if (snapshotBase !== null) {
        snapshotBases.push(snapshotBase);
        continue;
      }
      for (const suffix of [INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX]) {
        const base = parseSegmentFileName(name, suffix);
        if (base !== null) indexBases.push({ base, name });
      }
    }
    logBases.sort((a, b) => a - b);
    const logBaseSet = new Set(logBases);
    for (const { base, name } of indexBases) {
      if (!logBaseSet.has(base)) {
        log.info({ file: path.join(dir, name) }, 'removing index without a segment');
        await disk.rm(path.join(dir, name));
      }
    }

    const cleanShutdown = opts.cleanShutdown === true;
    const recoveryPointIn = opts.recoveryPoint ?? 0;
    const segments: LogSegment[] = [];
    let recovered = false;
    for (let i = 0; i < logBases.length; i++) {
      const base = logBases[i]!;
      const nextBase = i + 1 < logBases.length ? logBases[i + 1]! : null;
      // A segment is trusted when everything in it was fsynced: after a clean shutdown, or when it
      // lies wholly below the recovery point (and is not the last one, which may have grown since).
      const trusted = cleanShutdown || (nextBase !== null && nextBase <= recoveryPointIn);
      const { segment, problem } = await LogSegment.open({
        disk,
        dir,
        baseOffset: base,
        limits,
        mode: trusted ? 'trust' : 'recover',
        nextSegmentBaseOffset: nextBase,
        indexIntervalBytes: config.indexIntervalBytes,
        nowMs,
        log,
      });
      if (!trusted) recovered = true;
      segments.push(segment);
      if (problem !== null) {
        log.warn(
          { file: segment.logPath, position: problem.position, bytesDropped: problem.bytesDropped, reason: problem.reason },
          'recovery truncated a torn or corrupt segment tail',
        );
        if (!trusted || nextBase === null) {
          // Unflushed data past a torn write cannot be trusted: drop the later segments.
          for (const laterBase of logBases.slice(i + 1)) {
            log.warn({ file: path.join(dir, segmentFileName(laterBase, LOG_FILE_SUFFIX)) }, 'recovery deleted a segment after a torn tail');
            for (const suffix of [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX]) {
              await disk.rm(path.join(dir, segmentFileName(laterBase, suffix)));
            }
          }
          break;
        }
      }
    }

    let logStartOffset = opts.logStartOffset ?? 0;
    if (segments.length === 0) {
      segments.push(await LogSegment.create(disk, dir, logStartOffset, limits, nowMs));
    }
    const first = segments[0]!;
    let last = segments.at(-1)!;
    logStartOffset = Math.max(logStartOffset, first.baseOffset);
    if (logStartOffset > last.nextOffset) {
      // Everything below the checkpointed start offset is gone anyway (e.g. a crash lost the
      // unflushed tail after DeleteRecords): restart the log empty at the start offset.
      log.warn({ logStartOffset, logEndOffset: last.nextOffset }, 'log start offset past the recovered log end; starting the log empty there');
      for (const seg of segments) {
        await seg.close();
        for (const suffix of [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX]) {
          await disk.rm(path.join(dir, segmentFileName(seg.baseOffset, suffix)));
        }
      }
      segments.length = 0;
      segments.push(await LogSegment.create(disk, dir, logStartOffset, limits, nowMs));
      last = segments[0]!;
    }
    for (const seg of segments) if (seg !== last) seg.markInactive();
    await last.initRollBase(nowMs);
    // Make what recovery checked (and rebuilt indexes) durable, so the recovery point can move to the end.
    for (const seg of segments) if (seg.hasUnsyncedData) await seg.flush();
    if (recovered || segments.some((s) => s.sizeBytes === 0)) await disk.syncDir(dir);
    const plog = new PartitionLog(opts, segments, logStartOffset, last.nextOffset, log);
    await plog.#loadProducerState(snapshotBases.sort((a, b) => a - b), cleanShutdown, nowMs);
    log.debug(
      { segments: segments.length, logStartOffset, logEndOffset: plog.logEndOffset, cleanShutdown },
      'partition log opened',
    );
    return plog;
  }

  /**
   * Rebuilds idempotent-producer state at open: loads the newest valid `<offset>.snapshot` at or
   * below the log end (newer ones describe bytes recovery cut off and are deleted), then replays
   * the batch headers from its offset to the log end. After a clean shutdown without any snapshot
   * there was no producer state, so nothing is replayed. Otherwise, without a usable snapshot, it replays only the
   * last PRODUCER_REBUILD_SEGMENTS segment(s): producers whose last batch lies in older segments are
   * forgotten and treated as unknown (their next sequence is accepted), the documented limit.
   */
  async #loadProducerState(snapshotBases: number[], cleanShutdown: boolean, nowMs: number): Promise<void> {
    const state = this.#producerState;
    const logEndOffset = this.#logEndOffset;
    const kept: number[] = [];
    for (const base of snapshotBases) {
      if (base > logEndOffset) {
        await this.#disk.rm(path.join(this.dir, segmentFileName(base, SNAPSHOT_FILE_SUFFIX)));
      } else {
        kept.push(base);
      }
    }
    let startOffset = -1;
    for (let i = kept.length - 1; i >= 0 && startOffset < 0; i--) {
      const file = path.join(this.dir, segmentFileName(kept[i]!, SNAPSHOT_FILE_SUFFIX));
      const problem = state.loadSnapshot(await this.#disk.readFile(file));
      if (problem === null) startOffset = kept[i]!;
      else this.#log.warn({ file, reason: problem }, 'ignoring an unusable producer state snapshot');
    }
    this.#producerSnapshots = kept;
    if (startOffset < 0 && cleanShutdown && kept.length === 0) {
      // close() writes a snapshot whenever there is producer state: none means there was none.
      state.mapEndOffset = logEndOffset;
      return;
    }
    if (startOffset < 0) {
      state.clear();
      startOffset = this.#segments[Math.max(0, this.#segments.length - PRODUCER_REBUILD_SEGMENTS)]!.baseOffset;
    }
    let offset = Math.max(startOffset, this.#logStartOffset);
    let batches = 0;
    while (offset < logEndOffset) {
      const { records } = await this.read(offset, 1 << 20, { minOneMessage: true });
      if (records.length === 0) break;
      for (let at = 0; at + BATCH_HEADER_BYTES <= records.length; at += batch.totalBytes(records, at)) {
        const baseOffset = batch.baseOffset(records, at);
        offset = batch.lastOffset(records, at) + 1;
        if (baseOffset < startOffset) continue;
        const maxTimestamp = batch.maxTimestamp(records, at);
        state.record(producerBatchAt(records, at), baseOffset, maxTimestamp >= 0 ? maxTimestamp : nowMs);
        batches++;
      }
    }
    state.mapEndOffset = logEndOffset;
    if (state.size > 0) {
      this.#log.debug({ producers: state.size, fromOffset: startOffset, batchesReplayed: batches }, 'producer state rebuilt');
    }
  }

  /**
   * On the queue (roll) or at close: writes `<mapEndOffset>.snapshot` (format in producer-state.ts)
   * and keeps the newest PRODUCER_SNAPSHOTS_KEPT. Skipped while the partition has no producer state
   * and no snapshot: then a clean shutdown leaves no snapshot, which tells the next open that there
   * is nothing to rebuild (partitions without idempotent producers never scan at open).
   */
  async #writeProducerSnapshot(): Promise<void> {
    const state = this.#producerState;
    if (state.size === 0 && this.#producerSnapshots.length === 0) return;
    const offset = state.mapEndOffset;
    if (this.#producerSnapshots.at(-1) === offset) return;
    await this.#disk.writeFileAtomic(path.join(this.dir, segmentFileName(offset, SNAPSHOT_FILE_SUFFIX)), state.encodeSnapshot());
    this.#producerSnapshots = [...this.#producerSnapshots.filter((o) => o < offset), offset];
    await this.#removeProducerSnapshots((o) => o < offset && this.#producerSnapshots.indexOf(o) < this.#producerSnapshots.length - PRODUCER_SNAPSHOTS_KEPT);
  }

  async #removeProducerSnapshots(which: (offset: number) => boolean): Promise<void> {
    const doomed = this.#producerSnapshots.filter(which);
    if (doomed.length === 0) return;
    this.#producerSnapshots = this.#producerSnapshots.filter((o) => !doomed.includes(o));
    for (const o of doomed) await this.#disk.rm(path.join(this.dir, segmentFileName(o, SNAPSHOT_FILE_SUFFIX)));
  }

  /** Idempotent-producer state of one producer (tests, tools). */
  producerEntry(producerId: bigint): { epoch: number; lastSequence: number; lastOffset: number } | null {
    const e = this.#producerState.get(producerId);
    const last = e?.batches.at(-1);
    if (e === undefined || last === undefined) return null;
    return { epoch: e.epoch, lastSequence: last.lastSeq, lastOffset: last.lastOffset };
  }

  /** Offsets of the producer snapshot files (tests, tools). */
  producerSnapshotOffsets(): number[] {
    return [...this.#producerSnapshots];
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
    this.#highWatermark = clamp(offset, this.#logStartOffset, this.#logEndOffset);
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
  segmentInfos(): Array<{ baseOffset: number; sizeBytes: number; largestTimestampMs: number }> {
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
        const nextBaseOffset = segments[first + old.length]!.baseOffset;
        await this.#deleteSegments(old);
        await this.#disk.rename(swapPath, path.join(this.dir, segmentFileName(baseOffsets[0]!, LOG_FILE_SUFFIX)));
        await this.#disk.syncDir(this.dir);
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
        await segment.flush();
        this.#segments = [...segments.slice(0, first), segment, ...segments.slice(first + old.length)];
        this.#sizeBytes = this.#segments.reduce((n, seg) => n + seg.sizeBytes, 0);
        return true;
      } catch (err) {
        throw this.#fail(err, 'replace cleaned segments');
      }
    });
  }

  /** Base offsets of the live segments, oldest first (tests, tools). */
  segmentBaseOffsets(): number[] {
    return this.#segments.map((s) => s.baseOffset);
  }

  /** Total bytes of all segments' .log files. */
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
    const messages = this.#checkBatches(records, 'leader');
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
   * On the queue: checks each append's idempotent batches against producer state (per batch, in
   * order, each request in its own tx so a rejected one leaves no trace), assigns offsets to the
   * batches to be written, then writes them all at once. A duplicate batch is left out of the write
   * and its request gets the original offsets; producer state is committed after the write.
   */
  async #appendLeaderGroup(group: LeaderAppend[]): Promise<void> {
    const outcomes: Array<{ ok: true; result: LeaderAppendResult } | { ok: false; err: unknown }> = [];
    const groupTx = this.#producerState.begin();
    const toWrite: Buffer[] = [];
    try {
      this.#checkUsable();
      const logAppendTime = this.#config.messageTimestampType === 'LogAppendTime';
      const nowMs = this.#clock.nowMs();
      let nextOffset = this.#logEndOffset;
      let messages = 0;
      for (const e of group) {
        const records = e.records;
        const tx = groupTx.begin();
        const entryStart = nextOffset;
        let baseOffset = -1;
        let lastOffset = -1;
        let maxTimestamp = -1;
        let duplicate = false;
        let appendTimeMs = logAppendTime ? nowMs : -1;
        // Byte ranges of this request's batches that are written (duplicates are skipped).
        const keep: Array<[number, number]> = [];
        try {
          for (let at = 0; at < records.length; at += batch.totalBytes(records, at)) {
            const pb = producerBatchAt(records, at);
            const original = tx.checkLeader(pb);
            if (original !== null) {
              duplicate = true;
              if (baseOffset < 0) baseOffset = original.firstOffset;
              lastOffset = Math.max(lastOffset, original.lastOffset);
              if (logAppendTime) appendTimeMs = original.timestampMs;
              continue;
            }
            batch.setBaseOffset(records, nextOffset, at);
            batch.setPartitionLeaderEpoch(records, e.leaderEpoch, at);
            if (logAppendTime) {
              records.writeInt16BE(batch.attributes(records, at) | ATTR_TIMESTAMP_LOG_APPEND, at + BATCH_ATTRIBUTES_OFFSET);
              records.writeBigInt64BE(BigInt(nowMs), at + 35);
              batch.resealCrc(records, at);
            }
            tx.record(pb, nextOffset, nowMs);
            if (baseOffset < 0) baseOffset = nextOffset;
            maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp(records, at));
            nextOffset += batch.lastOffsetDelta(records, at) + 1;
            lastOffset = nextOffset - 1;
            const end = at + batch.totalBytes(records, at);
            const prev = keep.at(-1);
            if (prev !== undefined && prev[1] === at) prev[1] = end;
            else keep.push([at, end]);
          }
        } catch (err) {
          nextOffset = entryStart; // nothing of this request is written
          outcomes.push({ ok: false, err });
          continue;
        }
        tx.commit();
        for (const [from, to] of keep) toWrite.push(from === 0 && to === records.length ? records : records.subarray(from, to));
        if (keep.length > 0) messages += e.messages; // an approximation when some batches were duplicates
        outcomes.push({
          ok: true,
          result: {
            baseOffset,
            lastOffset,
            logAppendTimeMs: appendTimeMs,
            maxTimestamp,
            ...(duplicate && keep.length === 0 ? { duplicate: true } : {}),
          },
        });
      }
      if (toWrite.length === 1) {
        await this.#appendLocked(toWrite[0]!, messages, nowMs);
      } else if (toWrite.length > 1) {
        let totalBytes = 0;
        for (const b of toWrite) totalBytes += b.length;
        const gather = takeGatherBuffer(totalBytes);
        try {
          let at = 0;
          for (const b of toWrite) at += b.copy(gather, at);
          await this.#appendLocked(gather.subarray(0, totalBytes), messages, nowMs);
        } finally {
          releaseGatherBuffer(gather);
        }
      }
      assert.equal(this.#logEndOffset, nextOffset);
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
    const messages = this.#checkBatches(records, 'follower');
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
        this.#producerState.record(producerBatchAt(records, at), batch.baseOffset(records, at), nowMs);
      }
      this.#producerState.mapEndOffset = this.#logEndOffset;
      return { lastOffset: this.#logEndOffset - 1 };
    });
  }

  /**
   * Structural checks on the batches to append (the caller checked CRCs): whole batches, magic 2,
   * sane lengths, each one fits an empty segment; for followers, offsets increase. Returns the record count.
   */
  #checkBatches(records: Buffer, role: 'leader' | 'follower'): number {
    if (records.length === 0) throw new StorageError('corruptBatch', 'append of zero bytes');
    let messages = 0;
    let lastOffset = -1;
    let at = 0;
    while (at < records.length) {
      const remaining = records.length - at;
      if (remaining < BATCH_HEADER_BYTES) throw new StorageError('corruptBatch', `${remaining} trailing bytes are not a batch`);
      const batchLength = batch.batchLength(records, at);
      const totalBytes = batch.totalBytes(records, at);
      if (batchLength < BATCH_LENGTH_MIN || totalBytes > remaining) {
        throw new StorageError('corruptBatch', `batchLength ${batchLength} at byte ${at} does not fit the ${remaining} bytes left`);
      }
      if (records.readInt8(at + BATCH_MAGIC_OFFSET) !== 2) throw new StorageError('corruptBatch', `magic ${batch.magic(records, at)} at byte ${at}`);
      if (batch.lastOffsetDelta(records, at) < 0) throw new StorageError('corruptBatch', `negative lastOffsetDelta at byte ${at}`);
      if (totalBytes > this.#config.segmentBytes) {
        throw new StorageError('messageTooLarge', `batch of ${totalBytes} bytes exceeds segmentBytes ${this.#config.segmentBytes}`);
      }
      if (role === 'follower') {
        const baseOffset = batch.baseOffset(records, at);
        if (!Number.isSafeInteger(baseOffset) || baseOffset <= lastOffset) {
          throw new StorageError('corruptBatch', `batch offset ${baseOffset} does not follow ${lastOffset}`);
        }
        lastOffset = baseOffset + batch.lastOffsetDelta(records, at);
      }
      messages += Math.max(0, batch.recordCount(records, at));
      at += totalBytes;
    }
    return messages;
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
        this.#sizeBytes += chunk.length;
        at = end;
      }
    } catch (err) {
      throw this.#fail(err, 'append');
    }
    this.#unflushedMessages += messages;
    if (this.#unflushedMessages >= config.flushIntervalMessages) await this.#flushNow();
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
    await this.#writeProducerSnapshot();
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
      for (let i = floorSegment(segments, fetchOffset); i < segments.length; i++) {
        const seg = segments[i]!;
        if (seg.baseOffset >= maxOffset) break;
        seg.pin();
        try {
          const result = await seg.read(fetchOffset, maxBytes, opts.minOneMessage, maxOffset, this.#config.indexIntervalBytes);
          if (result !== null) return result;
        } finally {
          seg.unpin();
        }
      }
      return { records: EMPTY, firstOffset: fetchOffset };
    });
  }

  /**
   * ListOffsets by timestamp: the first record at or after logStartOffset whose timestamp is >=
   * `timestampMs` (batches found through the time index, records read inside the batch; for
   * compressed batches the batch's first offset), with that record's timestamp; null if none.
   */
  async offsetForTimestamp(timestampMs: number): Promise<{ offset: number; timestampMs: number } | null> {
    return this.#withSnapshot('offsetForTimestamp', async (segments) => {
      const logStartOffset = this.#logStartOffset;
      for (const seg of segments) {
        if (seg.nextOffset <= logStartOffset || seg.maxTimestamp < timestampMs) continue;
        seg.pin();
        try {
          const found = await seg.findOffsetForTimestamp(timestampMs, logStartOffset);
          if (found !== null) return found;
        } finally {
          seg.unpin();
        }
      }
      return null;
    });
  }

  /** ListOffsets MAX_TIMESTAMP (-3): the first record carrying the log's largest timestamp, or null when the log is empty. */
  async maxTimestampOffset(): Promise<{ offset: number; timestampMs: number } | null> {
    return this.#withSnapshot('maxTimestampOffset', async (segments) => {
      const logStartOffset = this.#logStartOffset;
      let best: LogSegment | null = null;
      for (const seg of segments) {
        if (seg.nextOffset <= logStartOffset || seg.maxTimestamp < 0) continue;
        if (best === null || seg.maxTimestamp > best.maxTimestamp) best = seg;
      }
      if (best === null) return null;
      best.pin();
      try {
        const found = await best.findMaxTimestampRecord(0);
        return found === null ? null : { offset: Math.max(found.offset, logStartOffset), timestampMs: found.timestampMs };
      } finally {
        best.unpin();
      }
    });
  }

  /** Runs a read-only operation on a snapshot of the segments; retries when truncation or deletion raced with it. */
  async #withSnapshot<T>(what: string, fn: (segments: readonly LogSegment[]) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.#checkUsable();
      const generation = this.#generation;
      let result: T;
      try {
        result = await fn(this.#segments);
      } catch (err) {
        if (err instanceof StorageError && err.kind === 'offsetOutOfRange') throw err;
        // Expected case: the segment shrank or was deleted under us; the retry sees the new state.
        if (generation !== this.#generation && attempt < READ_RETRIES_MAX) continue;
        throw this.#fail(err, what);
      }
      if (generation === this.#generation || attempt >= READ_RETRIES_MAX) return result;
    }
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
        await this.#deleteSegments(removed);
        const last = this.#segments.at(-1)!;
        this.#logEndOffset = last.nextOffset;
        this.#producerState.truncateTo(this.#logEndOffset);
        await this.#removeProducerSnapshots((o) => o > this.#logEndOffset || o < this.#segments[0]!.baseOffset);
        this.#sizeBytes = this.#segments.reduce((n, s) => n + s.sizeBytes, 0);
        this.#logStartOffset = Math.min(this.#logStartOffset, this.#logEndOffset);
        this.#highWatermark = clamp(this.#highWatermark, this.#logStartOffset, this.#logEndOffset);
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
    this.#highWatermark = clamp(this.#highWatermark, this.#logStartOffset, this.#logEndOffset);
  }

  async #removeOldestSegments(count: number): Promise<void> {
    const removed = this.#segments.slice(0, count);
    this.#generation++;
    this.#segments = this.#segments.slice(count);
    this.#sizeBytes -= removed.reduce((n, s) => n + s.sizeBytes, 0);
    this.#logStartOffset = Math.max(this.#logStartOffset, this.#segments[0]!.baseOffset);
    this.#highWatermark = clamp(this.#highWatermark, this.#logStartOffset, this.#logEndOffset);
    await this.#deleteSegments(removed);
  }

  /**
   * Segments already out of #segments: renamed to `*.deleted` now; closed and removed after
   * fileDeleteDelayMs, once no read holds them (at once when the log closes).
   */
  async #deleteSegments(removed: LogSegment[]): Promise<void> {
    for (const seg of removed) await seg.markDeleted();
    for (const seg of removed) {
      const done = this.#deleteDelay()
        .then(() => seg.destroy())
        .catch((err: unknown) => {
          // Reported through #fail (one error line, log offline); nobody awaits this promise but
          // close(). Our own bugs (assertions) still crash.
          const failure = this.#fail(err, 'delete segment');
          if (!(failure instanceof StorageError)) throw failure;
        });
      this.#pendingDeletes.add(done);
      void done.then(() => this.#pendingDeletes.delete(done));
    }
  }

  #deleteDelay(): Promise<void> {
    const delayMs = this.#config.fileDeleteDelayMs;
    if (delayMs <= 0 || this.#closing) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const entry: DeleteDelay = {
        timer: this.#clock.setTimer(
          delayMs,
          () => {
            this.#deleteDelays.delete(entry);
            resolve();
          },
          { unref: true },
        ),
        resolve,
      };
      this.#deleteDelays.add(entry);
    });
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
    this.#closing = true;
    await this.#serial(async () => {
      this.#closed = true;
    });
    await this.#backgroundFlush;
    for (const d of this.#deleteDelays) {
      d.timer.cancel();
      d.resolve();
    }
    this.#deleteDelays.clear();
    await Promise.all([...this.#pendingDeletes]);
    let failure: Error | null = null;
    if (this.#offlineError === null) {
      try {
        if (opts.flush !== false) {
          await this.#flushNow();
          await this.#writeProducerSnapshot();
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

/** The producer fields of the batch at `at` (producerId -1 for non-idempotent batches). */
function producerBatchAt(records: Buffer, at: number): ProducerBatch {
  const producerId = batch.producerId(records, at);
  if (producerId < 0n) return { producerId: NO_PRODUCER_ID, epoch: -1, baseSequence: -1, lastOffsetDelta: 0 };
  return {
    producerId,
    epoch: batch.producerEpoch(records, at),
    baseSequence: batch.baseSequence(records, at),
    lastOffsetDelta: batch.lastOffsetDelta(records, at),
  };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

/** Index of the last segment whose baseOffset <= offset (0 when offset precedes them all). */
function floorSegment(segments: readonly LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/**
 * Log loader: opens one partition directory and recovers it into the state a PartitionLog starts
 * from (≈ Kafka's LogLoader). PartitionLog.open calls `loadLog` once and keeps what it returns; the
 * loader holds nothing afterwards.
 *
 * Recovery, in order:
 *   1. Create the directory if missing; complete a log cleaner swap a crash interrupted
 *      (`<base>.log.swap`, see recoverInterruptedSwaps below).
 *   2. List the directory: remove leftovers of interrupted work (`*.deleted`, `*.cleaned`,
 *      `*.swap` still there after step 1, `*.tmp`) and index files without a `.log`; collect the
 *      segment and `.snapshot` base offsets, sorted.
 *   3. Open every segment (log-segment.ts). A segment is trusted when everything in it was fsynced:
 *      after a clean shutdown, or when it lies wholly below the checkpointed recovery point. Trusted
 *      segments load their index files (none when the .log is empty: it indexes nothing) and check
 *      only the tail after the last index entry; the
 *      others are scanned batch by batch (magic 2, sane length, CRC32C, increasing offsets), their
 *      indexes rebuilt, and cut after the last whole batch. A cut in an untrusted (unflushed)
 *      segment, or in the last one, drops every later segment.
 *   4. Reconcile the checkpointed log start offset with the segments found (an empty directory gets
 *      one empty segment at the log start offset; a start offset past the recovered end restarts the
 *      log empty there), mark all but the last segment inactive and fsync what recovery touched, so
 *      the recovery point can start at the log end. The directory is fsynced only when recovery
 *      touched it or this open created a segment; a brand-new log leaves it to its first flush.
 *      (One directory listing serves steps 1 and 2: 10,000 partitions open in seconds, issue 15.)
 *   5. Rebuild producer state (idempotence and transactions): the newest valid snapshot at or below
 *      the log end (and at or below the first segment whose txn index may be incomplete), then the
 *      batches after it, which also re-adds the aborted transactions a crash kept out of the
 *      `.txnindex` files (see loadProducerState).
 *
 * On-disk formats: segments in log-segment.ts, indexes in offset-index.ts / time-index.ts, snapshots
 * in producer-state.ts; the directory layout in README.md. Every I/O goes through the given Disk.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Clock } from '../io/clock.js';
import type { DirEntry, Disk } from '../io/disk.js';
import type { Logger } from '../log.js';
import { BATCH_HEADER_BYTES, batch } from '../protocol/records/batch.js';
import { BatchReader, walkBatches } from './batch-scan.js';
import { StorageError, storageErrorFromIo } from './errors.js';
import { recordBatchInState } from './leader-append.js';
import type { LogConfig } from './log-config.js';
import {
  CLEANED_FILE_SUFFIX,
  DELETED_FILE_SUFFIX,
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  LogSegment,
  parseSegmentFileName,
  removeSegmentFiles,
  segmentFileName,
  SWAP_FILE_SUFFIX,
  TIME_INDEX_FILE_SUFFIX,
  TXN_INDEX_FILE_SUFFIX,
  type SegmentLimits,
} from './log-segment.js';
import { ProducerSnapshotFiles } from './producer-snapshots.js';
import { ProducerStateManager, SNAPSHOT_FILE_SUFFIX } from './producer-state.js';
import { floorSegment, readSegments } from './segment-list.js';

/** Leftovers of interrupted work (ours or Kafka's) that recovery removes. */
const LEFTOVER_SUFFIXES = [DELETED_FILE_SUFFIX, CLEANED_FILE_SUFFIX, SWAP_FILE_SUFFIX, '.tmp'];

/** Without a usable snapshot, producer state is rebuilt from this many trailing segments. */
const PRODUCER_REBUILD_SEGMENTS = 1;

/** Window size for scanning a `.swap` file and for the producer-state replay reads. */
const READ_CHUNK_BYTES = 1 << 20;

/** What recovery needs to know about a partition directory (PartitionLogOptions extends it). */
export interface LogLoadOptions {
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
  /** The directory is known to exist (LogManager found it): no mkdir. */
  dirExists?: boolean;
}

/** A recovered log: everything in it is on disk and fsynced. */
export interface LoadedLog {
  /** Sorted by baseOffset, at least one; all but the last are inactive. */
  segments: LogSegment[];
  logStartOffset: number;
  /** The log end: recovery fsynced everything it checked. */
  recoveryPoint: number;
  producerState: ProducerStateManager;
  producerSnapshots: ProducerSnapshotFiles;
  /**
   * A brand-new log (its directory held no segment): its files exist but the directory was not
   * fsynced; the log's first flush does it (as after a roll), and nothing is durable before then.
   */
  dirSyncPending: boolean;
}

/** What step 2 found in the directory (base offsets, sorted). */
interface DirListing {
  logBases: number[];
  snapshotBases: number[];
  /** Names of the files kept (leftovers and orphaned indexes removed). */
  files: Set<string>;
}

/**
 * Opens (creating if needed) the log in `opts.dir` and recovers it: removes leftover files,
 * loads every segment, checks batches after the recovery point (all of them after an unclean
 * shutdown without a checkpoint), cuts a torn or corrupt tail (dropping later segments), rebuilds
 * missing or inconsistent indexes, fsyncs what recovery touched and rebuilds producer state.
 */
export async function loadLog(opts: LogLoadOptions, log: Logger): Promise<LoadedLog> {
  const { disk, dir, config } = opts;
  const nowMs = opts.clock.nowMs();
  const limits = { segmentIndexBytes: config.segmentIndexBytes };
  if (opts.dirExists !== true) await disk.mkdir(dir);
  // Log cleaner hook: a crash mid-swap leaves a complete `.swap` segment that must replace the old ones.
  // One directory listing serves both steps unless a swap was completed (which changes the files).
  let entries = await disk.readdir(dir);
  if (await recoverInterruptedSwaps(disk, dir, log, entries)) entries = await disk.readdir(dir);
  const listing = await listPartitionDir(disk, dir, log, entries);
  const loaded = await loadSegments(opts, listing.logBases, listing.files, limits, nowMs, log);
  const { segments, logStartOffset } = await reconcileLogStart(opts, loaded.segments, listing.files, limits, nowMs, log);
  const last = segments.at(-1)!;
  for (const seg of segments) if (seg !== last) seg.markInactive();
  await last.initRollBase(nowMs);
  const producer = await loadProducerState(opts, segments, logStartOffset, listing.snapshotBases, nowMs, log);
  // Make what recovery checked (and rebuilt indexes, txn indexes included) durable, so the recovery point can move to the end.
  for (const seg of segments) if (seg.hasUnsyncedData) await seg.flush();
  // The directory is fsynced when recovery touched it or a segment file was created now. After a
  // clean shutdown every segment file found was already durable (created, then its dir fsynced at
  // creation or at the flush that followed a roll): no directory fsync per partition on a clean open.
  // A brand-new log defers it to its first flush (a roll does the same): it holds nothing yet, its
  // recovery point is 0, and close() flushes, so 10,000 new partitions cost no fsync each here.
  const listed = new Set(listing.logBases);
  const created = segments.some((s) => !listed.has(s.baseOffset));
  const emptyAfterCrash = opts.cleanShutdown !== true && segments.some((s) => s.sizeBytes === 0);
  const brandNew = listing.logBases.length === 0 && !loaded.recovered;
  if (!brandNew && (loaded.recovered || created || emptyAfterCrash)) await disk.syncDir(dir);
  return { segments, logStartOffset, recoveryPoint: last.nextOffset, ...producer, dirSyncPending: brandNew };
}

/** Step 2: removes leftovers and orphaned indexes; returns the segment and snapshot base offsets, sorted. */
async function listPartitionDir(disk: Disk, dir: string, log: Logger, entries: readonly DirEntry[]): Promise<DirListing> {
  const logBases: number[] = [];
  const snapshotBases: number[] = [];
  const indexBases: { base: number; name: string }[] = [];
  const files = new Set<string>();
  for (const entry of entries) {
    if (entry.isDirectory) continue;
    const name = entry.name;
    if (LEFTOVER_SUFFIXES.some((s) => name.endsWith(s))) {
      log.info({ file: path.join(dir, name) }, 'removing leftover file');
      await disk.rm(path.join(dir, name));
      continue;
    }
    files.add(name);
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
    for (const suffix of [INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX]) {
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
      files.delete(name);
    }
  }
  return { logBases, snapshotBases: snapshotBases.sort((a, b) => a - b), files };
}

/** Step 3: opens the segments, checking the untrusted ones; `recovered` when any was checked. */
async function loadSegments(
  opts: LogLoadOptions,
  logBases: readonly number[],
  files: ReadonlySet<string>,
  limits: SegmentLimits,
  nowMs: number,
  log: Logger,
): Promise<{ segments: LogSegment[]; recovered: boolean }> {
  const { disk, dir, config } = opts;
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
      files,
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
          await removeSegmentFiles(disk, dir, laterBase);
        }
        break;
      }
    }
  }
  return { segments, recovered };
}

/** Step 4: the log start offset from the checkpoint and the segments; replaces the segments when the log restarts empty. */
async function reconcileLogStart(
  opts: LogLoadOptions,
  found: LogSegment[],
  files: ReadonlySet<string>,
  limits: SegmentLimits,
  nowMs: number,
  log: Logger,
): Promise<{ segments: LogSegment[]; logStartOffset: number }> {
  const { disk, dir } = opts;
  let segments = found;
  let logStartOffset = opts.logStartOffset ?? 0;
  if (segments.length === 0) {
    segments = [await LogSegment.create(disk, dir, logStartOffset, limits, nowMs, { txnIndexAbsent: !files.has(segmentFileName(logStartOffset, TXN_INDEX_FILE_SUFFIX)) })];
  }
  logStartOffset = Math.max(logStartOffset, segments[0]!.baseOffset);
  const logEndOffset = segments.at(-1)!.nextOffset;
  if (logStartOffset > logEndOffset) {
    // Everything below the checkpointed start offset is gone anyway (e.g. a crash lost the
    // unflushed tail after DeleteRecords): restart the log empty at the start offset.
    log.warn({ logStartOffset, logEndOffset }, 'log start offset past the recovered log end; starting the log empty there');
    for (const seg of segments) {
      await seg.close();
      await removeSegmentFiles(disk, dir, seg.baseOffset);
    }
    segments = [await LogSegment.create(disk, dir, logStartOffset, limits, nowMs, { txnIndexAbsent: !files.has(segmentFileName(logStartOffset, TXN_INDEX_FILE_SUFFIX)) })];
  }
  return { segments, logStartOffset };
}

/**
 * Step 5: rebuilds producer state at open: loads the newest valid `<offset>.snapshot` at or below
 * the log end (newer ones describe bytes recovery cut off and are deleted) and at or below the
 * first segment whose txn index may be incomplete (a recovered one), then replays the batches from
 * its offset to the log end: data batches into producer state, transaction markers as the end of
 * their transaction, each abort also into the txn index of the segment holding the marker unless
 * that index already has it. After a clean shutdown without any snapshot there was no producer
 * state, so nothing is replayed. Otherwise, without a usable snapshot, it replays the last
 * PRODUCER_REBUILD_SEGMENTS segment(s) (or from the first recovered segment, if earlier): producers
 * whose last batch lies in older segments are forgotten and treated as unknown (their next
 * sequence is accepted), and a transaction whose data starts before the replay is taken to start
 * at its marker — the documented limits.
 */
async function loadProducerState(
  opts: LogLoadOptions,
  segments: readonly LogSegment[],
  logStartOffset: number,
  snapshotBases: readonly number[],
  nowMs: number,
  log: Logger,
): Promise<{ producerState: ProducerStateManager; producerSnapshots: ProducerSnapshotFiles }> {
  const state = new ProducerStateManager();
  const logEndOffset = segments.at(-1)!.nextOffset;
  const firstIncomplete = segments.find((s) => !s.txnIndexComplete)?.baseOffset ?? logEndOffset;
  const loaded = await ProducerSnapshotFiles.load(opts.disk, opts.dir, snapshotBases, logEndOffset, state, log, firstIncomplete);
  const result = { producerState: state, producerSnapshots: loaded.files };
  let startOffset = loaded.startOffset;
  if (startOffset < 0 && opts.cleanShutdown === true && loaded.files.count === 0) {
    // close() writes a snapshot whenever there is producer state: none means there was none.
    state.mapEndOffset = logEndOffset;
    return result;
  }
  if (startOffset < 0) {
    state.clear();
    startOffset = Math.min(firstIncomplete, segments[Math.max(0, segments.length - PRODUCER_REBUILD_SEGMENTS)]!.baseOffset);
  }
  const batches = await replayIntoState(opts, segments, Math.max(startOffset, logStartOffset), logEndOffset, state, nowMs, log);
  for (const seg of segments) if (seg.baseOffset >= startOffset) seg.markTxnIndexComplete();
  state.mapEndOffset = logEndOffset;
  if (state.size > 0) {
    log.debug({ producers: state.size, fromOffset: startOffset, batchesReplayed: batches }, 'producer state rebuilt');
  }
  return result;
}

/**
 * Replays the batches in [fromOffset, toOffset) into `state` (no checks; see recordBatchInState)
 * and re-adds aborted transactions missing from the segments' txn indexes. Returns the batch count.
 */
async function replayIntoState(
  opts: LogLoadOptions,
  segments: readonly LogSegment[],
  fromOffset: number,
  toOffset: number,
  state: ProducerStateManager,
  nowMs: number,
  log: Logger,
): Promise<number> {
  let offset = fromOffset;
  let batches = 0;
  const readOpts = { minOneMessage: true, maxOffset: toOffset, indexIntervalBytes: opts.config.indexIntervalBytes };
  // Bounded: every read returns at least one batch and moves `offset` past it, or ends the loop.
  while (offset < toOffset) {
    const { records } = await readSegments(segments, offset, READ_CHUNK_BYTES, readOpts).catch((err: unknown) => {
      throw readFailure(opts, err, log);
    });
    if (records.length === 0) break;
    for (let at = 0; at + BATCH_HEADER_BYTES <= records.length; at += batch.totalBytes(records, at)) {
      const baseOffset = batch.baseOffset(records, at);
      offset = batch.lastOffset(records, at) + 1;
      if (baseOffset < fromOffset) continue;
      const maxTimestamp = batch.maxTimestamp(records, at);
      const completed = recordBatchInState(state, records, at, maxTimestamp >= 0 ? maxTimestamp : nowMs);
      if (completed?.aborted === true) {
        const txnIndex = segments[floorSegment(segments, completed.lastOffset)]!.txnIndex;
        // Entries are a prefix of the true list: a marker at or below the last one is already there.
        if (completed.lastOffset > txnIndex.lastMarkerOffset) {
          txnIndex.append({ ...completed, lastStableOffset: state.lastStableOffsetAfter(completed.lastOffset) });
        }
      }
      batches++;
    }
  }
  return batches;
}

/**
 * A failed replay read, classified as PartitionLog's read path does: StorageErrors and assertion
 * failures pass through; anything else is an I/O failure, logged once and answered 'diskFull' or
 * 'ioError' (the log never opens).
 */
function readFailure(opts: LogLoadOptions, err: unknown, log: Logger): Error {
  if (err instanceof StorageError || err instanceof assert.AssertionError) return err;
  const name = `${opts.topic}-${opts.partition}`;
  const storageError = storageErrorFromIo(err, `${name} read failed`);
  log.error({ err, dir: opts.dir }, `log ${name} is offline: read failed: ${storageError.message}`);
  return storageError;
}

/**
 * Step 1: completes cleaner swaps a crash interrupted, before anything else reads `dir`: each
 * `<base>.log.swap` (complete and fsynced, or it would still be `.cleaned`) replaces the segments it
 * covers — `<base>.log` and every segment whose base offset lies within the swap's offsets — and
 * becomes `<base>.log`. Stale index files of replaced segments go with them (open rebuilds them).
 * A `.swap` whose batches do not check out to its last byte was not written by a finished cleaner
 * pass (or is another program's leftover): it is removed and the old segments stay.
 */
export async function recoverInterruptedSwaps(disk: Disk, dir: string, log: Logger, entries: readonly DirEntry[]): Promise<boolean> {
  const names = entries.filter((e) => !e.isDirectory).map((e) => e.name);
  let changed = false;
  for (const name of names) {
    const base = parseSegmentFileName(name.slice(0, -SWAP_FILE_SUFFIX.length), LOG_FILE_SUFFIX);
    if (!name.endsWith(SWAP_FILE_SUFFIX) || base === null) continue;
    const swapPath = path.join(dir, name);
    const stat = await disk.stat(swapPath);
    const file = await disk.open(swapPath, 'r');
    const sizeBytes = stat?.sizeBytes ?? 0;
    let lastOffset = base - 1;
    let complete = false;
    try {
      const walk = await walkBatches(new BatchReader(file, sizeBytes, READ_CHUNK_BYTES), 0, { verifyCrc: true, previousLastOffset: base - 1 }, () => true);
      lastOffset = walk.lastOffset;
      complete = walk.stopped === 'end' && walk.endPosition === sizeBytes;
    } finally {
      await file.close();
    }
    if (!complete) {
      // Not a file our cleaner finished (it fsyncs before renaming to .swap): the old segments stand.
      log.warn({ file: swapPath }, 'removing a damaged .swap file; keeping the segments it would have replaced');
      await disk.rm(swapPath);
      changed = true;
      continue;
    }
    changed = true;
    for (const other of names) {
      const otherBase = parseSegmentFileName(other, LOG_FILE_SUFFIX);
      if (otherBase === null || otherBase < base || otherBase > lastOffset) continue;
      await removeSegmentFiles(disk, dir, otherBase);
    }
    for (const suffix of [INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX]) await disk.rm(path.join(dir, segmentFileName(base, suffix)));
    await disk.rename(swapPath, path.join(dir, segmentFileName(base, LOG_FILE_SUFFIX)));
    await disk.syncDir(dir);
    log.warn({ file: swapPath, lastOffset }, 'completed a log cleaner swap interrupted by a crash');
  }
  return changed;
}

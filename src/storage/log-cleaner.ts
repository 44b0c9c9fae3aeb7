/**
 * LogCleaner: log compaction for topics whose cleanup.policy includes `compact` (the internal
 * `__consumer_offsets`, and users' own compacted topics). Compaction keeps, for every key, only its
 * last record in the log's closed segments, and drops a key's tombstone (null value) once it is
 * older than delete.retention.ms, so consumers reading from the start still see deletions for a while.
 *
 * One pass over one log:
 *   1. Cleanable range: the closed segments (never the active one) whose largest timestamp is at
 *      least min.compaction.lag.ms old. The dirty part starts at the log's first dirty offset (what
 *      the last successful pass mapped up to; the log start after a restart).
 *   2. Map: key → last offset, over whole dirty segments, bounded by `keysPerPassMax` keys and
 *      `bytesPerPassMax` bytes read (always at least one segment, so every pass makes progress).
 *   3. Clean: every segment from the log start up to the end of the map is rewritten, in groups of
 *      consecutive segments whose cleaned sizes together fit segment.bytes: a record is kept unless the map
 *      names a later offset for its key, or it is a tombstone in a segment older than
 *      delete.retention.ms. Batches that keep all their records are copied byte for byte; others are
 *      rebuilt with the same offsets (gaps stay gaps), producer fields, codec and timestamps.
 *   4. Swap, per group, crash-safe: the cleaned group is written to `<base>.log.cleaned` and fsynced,
 *      renamed to `<base>.log.swap` (and the directory fsynced), then PartitionLog.replaceWithCleaned
 *      retires the old segments (renamed `*.deleted`) and renames the swap file to `<base>.log`. A
 *      crash leaves at most a `.cleaned` file (deleted at open) or a `.swap` file, which the log
 *      loader (log-loader.ts, recoverInterruptedSwaps) completes at open before anything else reads
 *      the directory.
 *
 * The dirty ratio (dirty bytes / cleanable bytes) must reach min.cleanable.dirty.ratio before a log
 * is cleaned, unless retained tombstones have become old enough to drop. Logs are cleaned dirtiest
 * first; one tick stops after `bytesPerPassMax` bytes read in total.
 *
 * Tombstone age uses the segment's largest record timestamp (Kafka ≥ 3.1 instead stamps a delete
 * horizon into rewritten batch headers, KIP-534; both keep a tombstone at least delete.retention.ms).
 *
 * Transactions (KIP-98): nothing at or past the log's first unstable offset is cleaned (a segment
 * is cleanable only when it ends at or below it), so the outcome of every transaction in the
 * cleaned range is known. Data batches of aborted transactions (found through the txn indexes:
 * same producer, offset inside [firstOffset, marker)) are dropped whole, and never enter the key
 * map, so an aborted record cannot shadow a committed one. Control batches (COMMIT / ABORT markers)
 * are always KEPT, never removed: simpler than Kafka's rule (remove a marker once no data of its
 * transaction remains and delete.retention.ms has passed), and still correct, since a marker
 * without data is skipped by every consumer; the cost is 1 small batch per transaction.
 *
 * Owner: LogManager (its background cleaner task). Callers: LogManager.cleanerTick, tests (clean()).
 * State: the first dirty offset and tombstone re-check time per log, in memory only (a restart
 * cleans everything once more).
 *
 * Dependencies point one way: the cleaner works on any `CleanableLog` (the few PartitionLog members
 * it needs, declared below) and never imports partition-log.ts; PartitionLog knows nothing of the
 * cleaner (the cleanup.policy reading both need lives in log-config.ts).
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Clock } from '../io/clock.js';
import type { Disk, FileHandle } from '../io/disk.js';
import { logger, type Logger } from '../log.js';
import { ATTR_TIMESTAMP_LOG_APPEND, batch } from '../protocol/records/batch.js';
import { buildRecordBatch, readRecords, type RecordInput } from '../protocol/records/builder.js';
import { compactionSettingsOf, type CompactionSettings, type LogConfig } from './log-config.js';
import { CLEANED_FILE_SUFFIX, LOG_FILE_SUFFIX, segmentFileName, SWAP_FILE_SUFFIX, type SegmentInfo } from './log-segment.js';
import type { AbortedTxn } from './txn-index.js';

const READ_CHUNK_BYTES = 1 << 20;
const INT32_MAX = 0x7fffffff;

/** What the cleaner needs of a log; PartitionLog has all of it (structurally: it does not import this file). */
export interface CleanableLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  readonly disk: Disk;
  readonly config: LogConfig;
  readonly offline: boolean;
  readonly closed: boolean;
  readonly logStartOffset: number;
  /** First offset of the earliest ongoing or not yet replicated transaction, or null: nothing from it on is cleaned. */
  readonly firstUnstableOffset: number | null;
  /** Aborted transactions overlapping [startOffset, upperBoundOffset) (txn index entries). */
  abortedTxnEntries(startOffset: number, upperBoundOffset: number): AbortedTxn[];
  /** Each live segment, oldest first (the last is active). */
  segmentInfos(): SegmentInfo[];
  read(fetchOffset: number, maxBytes: number, opts: { minOneMessage: boolean; maxOffset?: number }): Promise<{ records: Buffer; firstOffset: number }>;
  /** Swaps the fsynced `swapPath` in for the segments at `baseOffsets`; false (swap file removed) when they changed meanwhile. */
  replaceWithCleaned(baseOffsets: readonly number[], swapPath: string): Promise<boolean>;
}

export interface LogCleanerOptions {
  clock: Clock;
  /** Bytes read per tick (over all logs) and per log pass. */
  bytesPerPassMax?: number;
  /** Distinct keys mapped per log pass. */
  keysPerPassMax?: number;
}

export interface CleanResult {
  cleaned: boolean;
  segmentsRewritten: number;
  recordsRemoved: number;
  bytesRead: number;
  /** Why nothing was cleaned, when `cleaned` is false. */
  skipped?: string;
}

export class LogCleaner {
  readonly #clock: Clock;
  readonly #bytesPerPassMax: number;
  readonly #keysPerPassMax: number;
  readonly #log: Logger = logger('log-cleaner');
  readonly #firstDirty = new WeakMap<CleanableLog, number>();
  readonly #recheckAtMs = new WeakMap<CleanableLog, number>();

  constructor(opts: LogCleanerOptions) {
    this.#clock = opts.clock;
    this.#bytesPerPassMax = opts.bytesPerPassMax ?? 256 << 20;
    this.#keysPerPassMax = opts.keysPerPassMax ?? 1_000_000;
    assert.ok(this.#bytesPerPassMax > 0 && this.#keysPerPassMax > 0);
  }

  /** One cleaner tick: compacted logs that need it, dirtiest first, within the byte budget. */
  async cleanTick(logs: readonly CleanableLog[]): Promise<void> {
    const candidates: Array<{ log: CleanableLog; ratio: number }> = [];
    for (const log of logs) {
      if (log.offline || log.closed) continue;
      const settings = compactionSettingsOf(log.config);
      if (settings === null) continue;
      const ratio = this.#needsCleaning(log, settings);
      if (ratio !== null) candidates.push({ log, ratio });
    }
    candidates.sort((a, b) => b.ratio - a.ratio);
    let budget = this.#bytesPerPassMax;
    for (const { log } of candidates) {
      if (budget <= 0) break;
      try {
        const r = await this.clean(log, budget);
        budget -= r.bytesRead;
      } catch (err) {
        if (err instanceof assert.AssertionError) throw err;
        // One log's failure (usually I/O: the log reported it and went offline) must not stop the others.
        this.#log.error({ err, topic: log.topic, partition: log.partition }, 'cleaning failed');
      }
    }
  }

  /** The dirty ratio when the log should be cleaned now, else null. */
  #needsCleaning(log: CleanableLog, settings: CompactionSettings): number | null {
    const { segments, cleanableEnd } = this.#cleanable(log, settings);
    if (cleanableEnd === 0) return null;
    const firstDirty = this.#firstDirtyOf(log, segments);
    let dirty = 0;
    let total = 0;
    for (let i = 0; i < cleanableEnd; i++) {
      const s = segments[i]!;
      total += s.sizeBytes;
      const next = segments[i + 1]!.baseOffset;
      if (next > firstDirty) dirty += s.sizeBytes;
    }
    const ratio = total === 0 ? 0 : dirty / total;
    const recheck = this.#recheckAtMs.get(log);
    if (ratio > 0 && ratio >= settings.minCleanableDirtyRatio) return ratio;
    if (recheck !== undefined && recheck <= this.#clock.nowMs()) return ratio;
    return null;
  }

  /** Segments and how many leading ones are cleanable (closed, older than min.compaction.lag.ms, below the first unstable offset). */
  #cleanable(log: CleanableLog, settings: CompactionSettings): { segments: SegmentInfo[]; cleanableEnd: number } {
    const segments = log.segmentInfos();
    const nowMs = this.#clock.nowMs();
    const firstUnstable = log.firstUnstableOffset ?? Number.POSITIVE_INFINITY;
    let cleanableEnd = 0;
    while (cleanableEnd < segments.length - 1) {
      const s = segments[cleanableEnd]!;
      if (settings.minCompactionLagMs > 0 && nowMs - s.largestTimestampMs < settings.minCompactionLagMs) break;
      if (segments[cleanableEnd + 1]!.baseOffset > firstUnstable) break;
      cleanableEnd++;
    }
    return { segments, cleanableEnd };
  }

  #firstDirtyOf(log: CleanableLog, segments: readonly SegmentInfo[]): number {
    const stored = this.#firstDirty.get(log) ?? log.logStartOffset;
    return Math.max(stored, log.logStartOffset, segments[0]?.baseOffset ?? 0);
  }

  /** One compaction pass over `log`, reading at most about `bytesMax` bytes. */
  async clean(log: CleanableLog, bytesMax = this.#bytesPerPassMax): Promise<CleanResult> {
    const settings = compactionSettingsOf(log.config);
    const result: CleanResult = { cleaned: false, segmentsRewritten: 0, recordsRemoved: 0, bytesRead: 0 };
    if (settings === null) return { ...result, skipped: 'not a compacted log' };
    const { segments, cleanableEnd } = this.#cleanable(log, settings);
    if (cleanableEnd === 0) return { ...result, skipped: 'no closed segment old enough to clean' };
    const firstDirty = this.#firstDirtyOf(log, segments);
    const aborted = new AbortedBatches(log.abortedTxnEntries(log.logStartOffset, segments[cleanableEnd]!.baseOffset));

    // ---- map: key → last offset over whole dirty segments
    const map = new Map<string, number>();
    let mapEnd = -1;
    let firstMapped = 0;
    while (firstMapped < cleanableEnd && segments[firstMapped + 1]!.baseOffset <= firstDirty) firstMapped++;
    for (let i = firstMapped; i < cleanableEnd; i++) {
      const from = Math.max(segments[i]!.baseOffset, log.logStartOffset);
      const to = segments[i + 1]!.baseOffset;
      if (i > firstMapped && (result.bytesRead + segments[i]!.sizeBytes > bytesMax || map.size >= this.#keysPerPassMax)) break;
      const read = await forEachBatch(log, from, to, async (b) => {
        if (batch.isControl(b) || aborted.has(b)) return;
        for (const rec of await readRecords(b)) if (rec.key !== null) map.set(rec.key.toString('latin1'), rec.offset);
      });
      result.bytesRead += read;
      mapEnd = to;
      if (map.size > this.#keysPerPassMax) break;
    }
    if (mapEnd < 0) return { ...result, skipped: 'nothing dirty' };

    // ---- clean: rewrite every segment below mapEnd. Groups are formed as we go: the next segment
    // joins the current group while the group's cleaned bytes plus that segment's full size still fit
    // segment.bytes (so a group never outgrows a segment, and segments shrunk by cleaning merge).
    const nowMs = this.#clock.nowMs();
    const toClean = segments.slice(0, cleanableEnd).filter((_, i) => segments[i + 1]!.baseOffset <= mapEnd);
    let nextTombstoneDropMs = Number.POSITIVE_INFINITY;
    let complete = true;
    let group: CleanedGroup | null = null;
    const finish = async (): Promise<boolean> => {
      const g = group!;
      group = null;
      const ok = await this.#swapIn(log, g);
      if (ok) {
        result.segmentsRewritten += g.baseOffsets.length;
        result.recordsRemoved += g.removed;
      }
      return ok;
    };
    for (let i = 0; i < toClean.length; i++) {
      const seg = toClean[i]!;
      const segEnd = segments[i + 1]!.baseOffset;
      if (group !== null && (group.position + seg.sizeBytes > settings.segmentBytes || segEnd - group.baseOffsets[0]! > INT32_MAX)) {
        if (!(await finish())) {
          complete = false;
          break;
        }
      }
      if (group === null && result.bytesRead >= bytesMax * 2) {
        complete = false; // bounded work: the rest waits for the next pass (its map is rebuilt then)
        break;
      }
      group ??= await this.#startGroup(log, seg.baseOffset);
      const g: CleanedGroup = group;
      g.baseOffsets.push(seg.baseOffset);
      const tombstonesDroppable = nowMs - seg.largestTimestampMs > settings.deleteRetentionMs;
      if (!tombstonesDroppable) nextTombstoneDropMs = Math.min(nextTombstoneDropMs, seg.largestTimestampMs + settings.deleteRetentionMs + 1);
      try {
        result.bytesRead += await forEachBatch(log, Math.max(seg.baseOffset, log.logStartOffset), segEnd, async (b) => {
          const kept = aborted.has(b) ? { bytes: null, removed: Math.max(0, batch.recordCount(b)) } : await cleanBatch(b, map, tombstonesDroppable);
          g.removed += kept.removed;
          if (kept.bytes !== null) {
            await g.file.write(kept.bytes, g.position);
            g.position += kept.bytes.length;
          }
        });
      } catch (err) {
        await g.file.close();
        await log.disk.rm(g.cleanedPath);
        throw err;
      }
    }
    if (group !== null && !(await finish())) complete = false;
    if (complete) this.#firstDirty.set(log, mapEnd);
    if (nextTombstoneDropMs !== Number.POSITIVE_INFINITY) this.#recheckAtMs.set(log, nextTombstoneDropMs);
    else this.#recheckAtMs.delete(log);
    result.cleaned = result.segmentsRewritten > 0;
    this.#log.info(
      { topic: log.topic, partition: log.partition, segments: result.segmentsRewritten, recordsRemoved: result.recordsRemoved, keys: map.size, bytesRead: result.bytesRead },
      'cleaned log',
    );
    return result;
  }

  async #startGroup(log: CleanableLog, baseOffset: number): Promise<CleanedGroup> {
    const name = segmentFileName(baseOffset, LOG_FILE_SUFFIX);
    const cleanedPath = path.join(log.dir, name + CLEANED_FILE_SUFFIX);
    const file = await log.disk.open(cleanedPath, 'w+');
    return { baseOffsets: [], cleanedPath, swapPath: path.join(log.dir, name + SWAP_FILE_SUFFIX), file, position: 0, removed: 0 };
  }

  /** Makes the cleaned group durable, renames it to `.swap` and lets the log replace its segments. */
  async #swapIn(log: CleanableLog, g: CleanedGroup): Promise<boolean> {
    try {
      await g.file.sync();
    } finally {
      await g.file.close();
    }
    await log.disk.rename(g.cleanedPath, g.swapPath);
    await log.disk.syncDir(log.dir);
    const ok = await log.replaceWithCleaned(g.baseOffsets, g.swapPath);
    if (!ok) this.#log.info({ topic: log.topic, partition: log.partition }, 'log changed while cleaning; retrying next pass');
    return ok;
  }
}

interface CleanedGroup {
  baseOffsets: number[];
  cleanedPath: string;
  swapPath: string;
  file: FileHandle;
  position: number;
  removed: number;
}

/** Recognises the data batches of aborted transactions in the cleaned range. */
class AbortedBatches {
  readonly #byProducer = new Map<bigint, AbortedTxn[]>();

  constructor(txns: readonly AbortedTxn[]) {
    for (const t of txns) {
      let list = this.#byProducer.get(t.producerId);
      if (list === undefined) this.#byProducer.set(t.producerId, (list = []));
      list.push(t);
    }
  }

  /** True for a transactional data batch inside one of its producer's aborted transactions. */
  has(b: Buffer): boolean {
    if (!batch.isTransactional(b) || batch.isControl(b)) return false;
    const list = this.#byProducer.get(batch.producerId(b));
    if (list === undefined) return false;
    const offset = batch.baseOffset(b);
    return list.some((t) => t.firstOffset <= offset && offset < t.lastOffset);
  }
}

/** Calls `visit` for every whole batch of `log` in [from, to); returns the bytes read. */
async function forEachBatch(log: CleanableLog, from: number, to: number, visit: (b: Buffer) => Promise<void>): Promise<number> {
  let offset = from;
  let bytes = 0;
  // Bounded: every read returns at least one batch and moves `offset` past it, or ends the loop.
  while (offset < to) {
    const { records } = await log.read(offset, READ_CHUNK_BYTES, { minOneMessage: true, maxOffset: to });
    if (records.length === 0) break;
    bytes += records.length;
    for (let at = 0; at < records.length; at += batch.totalBytes(records, at)) {
      const b = records.subarray(at, at + batch.totalBytes(records, at));
      await visit(b);
      offset = batch.lastOffset(b) + 1;
    }
  }
  return bytes;
}

/** The batch with superseded records (and droppable tombstones) removed; null bytes when none is left. */
async function cleanBatch(b: Buffer, map: ReadonlyMap<string, number>, tombstonesDroppable: boolean): Promise<{ bytes: Buffer | null; removed: number }> {
  if (batch.isControl(b)) return { bytes: b, removed: 0 };
  const records = await readRecords(b);
  const keep = records.filter((r) => {
    if (r.key === null) return true;
    const latest = map.get(r.key.toString('latin1'));
    if (latest !== undefined && latest > r.offset) return false;
    return !(r.value === null && tombstonesDroppable);
  });
  const removed = records.length - keep.length;
  if (removed === 0) return { bytes: b, removed };
  if (keep.length === 0) return { bytes: null, removed };
  const baseOffset = batch.baseOffset(b);
  const logAppendTime = (batch.attributes(b) & ATTR_TIMESTAMP_LOG_APPEND) !== 0;
  const inputs: RecordInput[] = keep.map((r) => ({
    key: r.key,
    value: r.value,
    headers: r.headers,
    timestampMs: r.timestampMs,
    offsetDelta: r.offset - baseOffset,
  }));
  const rebuilt = await buildRecordBatch({
    baseOffset,
    partitionLeaderEpoch: batch.partitionLeaderEpoch(b),
    records: inputs,
    compression: batch.compression(b),
    producerId: batch.producerId(b),
    producerEpoch: batch.producerEpoch(b),
    baseSequence: batch.baseSequence(b),
    timestampType: logAppendTime ? 'logAppend' : 'create',
    transactional: batch.isTransactional(b),
    lastOffsetDelta: batch.lastOffsetDelta(b),
  });
  return { bytes: rebuilt, removed };
}

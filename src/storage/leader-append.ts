/**
 * The byte-level half of PartitionLog's appends: structural checks of the batches a caller hands
 * in, and, for a group of leader appends gathered into one write, the idempotent-producer checks and
 * offset assignment that patch the batches in place before the write. PartitionLog keeps the
 * queueing, the write itself and the commit of producer state after it.
 *
 * What a leader append patches (everything else stays verbatim): baseOffset and
 * partitionLeaderEpoch, both outside the CRC; with LogAppendTime also the timestamp-type bit and
 * maxTimestamp = now, after which the CRC is resealed.
 *
 * Stateless apart from the shared pool of gather buffers (module level, shared by all logs).
 */
import {
  ATTR_TIMESTAMP_LOG_APPEND,
  BATCH_ATTRIBUTES_OFFSET,
  BATCH_HEADER_BYTES,
  BATCH_MAGIC_OFFSET,
  batch,
} from '../protocol/records/batch.js';
import { BATCH_LENGTH_MIN } from './batch-scan.js';
import { readControlRecord } from './control-batch.js';
import { StorageError } from './errors.js';
import { NO_PRODUCER_ID, type CompletedTxn, type ProducerBatch, type ProducerStateManager, type ProducerStateTx } from './producer-state.js';

/** What a leader append returns; `duplicate` when the producer retried a batch already in the log (nothing written). */
export interface LeaderAppendResult {
  baseOffset: number;
  lastOffset: number;
  logAppendTimeMs: number;
  maxTimestamp: number;
  duplicate?: boolean;
}

/** One appendAsLeader call waiting in (or written by) a gathered group. */
export interface LeaderAppend {
  records: Buffer;
  messages: number;
  leaderEpoch: number;
  resolve: (r: LeaderAppendResult) => void;
  reject: (err: unknown) => void;
}

export type LeaderAppendOutcome = { ok: true; result: LeaderAppendResult } | { ok: false; err: unknown };

/**
 * Gather buffers for grouped leader appends: a few reused 1 MiB buffers shared by all logs (a
 * group's buffer is busy only while its write is in flight; Disk.write copies or writes it
 * through), so grouping does not allocate per write. While all of them are busy (many partitions
 * appending at once), and for groups larger than 1 MiB, a group gets a one-off buffer of its own size:
 * a one-off 1 MiB buffer for every small group was 146 GB of allocations in 12 s of P6's flood, and
 * a full GC for every 64 MB of it (docs/PERFORMANCE.md, "Write-behind, recycled tail chunks, the gather buffers").
 */
const GATHER_BUFFER_BYTES = 1 << 20;
const GATHER_BUFFERS_KEPT = 4;
const gatherPool: Buffer[] = [];
let gatherBuffersMade = 0;
function takeGatherBuffer(bytes: number): Buffer {
  if (bytes > GATHER_BUFFER_BYTES) return Buffer.allocUnsafe(bytes);
  const pooled = gatherPool.pop();
  if (pooled !== undefined) return pooled;
  if (gatherBuffersMade >= GATHER_BUFFERS_KEPT) return Buffer.allocUnsafe(bytes);
  gatherBuffersMade++;
  return Buffer.allocUnsafeSlow(GATHER_BUFFER_BYTES);
}
function releaseGatherBuffer(b: Buffer): void {
  if (b.length === GATHER_BUFFER_BYTES && gatherPool.length < GATHER_BUFFERS_KEPT) gatherPool.push(b);
}

/**
 * Structural checks on the batches to append (the caller checked CRCs): whole batches, magic 2,
 * sane lengths, each one fits an empty segment; for followers, offsets increase. Returns the record count.
 */
export function checkBatches(records: Buffer, role: 'leader' | 'follower', segmentBytes: number): number {
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
    // Markers go through appendControlAsLeader, which checks them against producer state.
    if (role === 'leader' && batch.isControl(records, at)) throw new StorageError('corruptBatch', `control batch at byte ${at} in a leader data append`);
    if (batch.lastOffsetDelta(records, at) < 0) throw new StorageError('corruptBatch', `negative lastOffsetDelta at byte ${at}`);
    if (totalBytes > segmentBytes) {
      throw new StorageError('messageTooLarge', `batch of ${totalBytes} bytes exceeds segmentBytes ${segmentBytes}`);
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

/**
 * Checks each append's idempotent batches against producer state (per batch, in order, each
 * request in its own tx layered on `groupTx`, so a rejected one leaves no trace) and assigns
 * offsets from `nextOffset` on to the batches to be written, patching them in place. A duplicate
 * batch is left out of the write and its request gets the original offsets. Returns one outcome per
 * append, the byte ranges to write (in order), their record count and the offset after them.
 * `groupTx` is not committed here: the caller commits it after the write.
 */
export function assignLeaderOffsets(
  group: readonly LeaderAppend[],
  groupTx: ProducerStateTx,
  opts: { nextOffset: number; logAppendTime: boolean; nowMs: number },
): { outcomes: LeaderAppendOutcome[]; toWrite: Buffer[]; messages: number; nextOffset: number } {
  const { logAppendTime, nowMs } = opts;
  const outcomes: LeaderAppendOutcome[] = [];
  const toWrite: Buffer[] = [];
  let nextOffset = opts.nextOffset;
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
  return { outcomes, toWrite, messages, nextOffset };
}

/** Hands `write` the pieces as one buffer: the piece itself when alone, else a gather buffer copy. Nothing to write, no call. */
export async function writeGathered(pieces: readonly Buffer[], write: (bytes: Buffer) => Promise<void>): Promise<void> {
  if (pieces.length === 1) {
    await write(pieces[0]!);
  } else if (pieces.length > 1) {
    let totalBytes = 0;
    for (const b of pieces) totalBytes += b.length;
    const gather = takeGatherBuffer(totalBytes);
    try {
      let at = 0;
      for (const b of pieces) at += b.copy(gather, at);
      await write(gather.subarray(0, totalBytes));
    } finally {
      releaseGatherBuffer(gather);
    }
  }
}

/** The producer fields of the batch at `at` (producerId -1 for non-idempotent batches). */
export function producerBatchAt(records: Buffer, at: number): ProducerBatch {
  const producerId = batch.producerId(records, at);
  if (producerId < 0n) return { producerId: NO_PRODUCER_ID, epoch: -1, baseSequence: -1, lastOffsetDelta: 0, transactional: false };
  return {
    producerId,
    epoch: batch.producerEpoch(records, at),
    baseSequence: batch.baseSequence(records, at),
    lastOffsetDelta: batch.lastOffsetDelta(records, at),
    transactional: batch.isTransactional(records, at),
  };
}

/**
 * Follower append and replay (no checks): records the batch at `at` in producer state, a data
 * batch as such and a transaction marker as the end of its producer's transaction (returned). Other
 * control batches change nothing.
 */
export function recordBatchInState(state: ProducerStateManager, records: Buffer, at: number, timestampMs: number): CompletedTxn | null {
  const baseOffset = batch.baseOffset(records, at);
  if (!batch.isControl(records, at)) {
    state.record(producerBatchAt(records, at), baseOffset, timestampMs);
    return null;
  }
  const marker = readControlRecord(records.subarray(at, at + batch.totalBytes(records, at)));
  return marker === null ? null : state.recordMarker(marker, baseOffset, timestampMs);
}

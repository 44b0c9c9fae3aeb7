/**
 * Control batches: the COMMIT / ABORT markers that end a transaction in a partition (KIP-98).
 * Written only by the partition leader (PartitionLog.appendControlAsLeader, on behalf of the
 * transaction coordinator's WriteTxnMarkers); clients never send them (Produce refuses them).
 *
 * Wire facts (Kafka's format): one batch with the transactional (0x10) and control (0x20)
 * attribute bits, the transaction's producerId / producerEpoch, baseSequence -1, uncompressed, one
 * record:
 *   key   = int16 version (0) | int16 type (0 = ABORT, 1 = COMMIT)
 *   value = int16 version (0) | int32 coordinatorEpoch
 * Other control types (2 LEADER_CHANGE, 3/4 snapshot header/footer in KRaft logs) are not
 * transaction markers: `readControlRecord` answers null for them and storage ignores them.
 *
 * Stateless; used by PartitionLog (leader append, follower append), the log loader (replay) and
 * tests. The record is parsed with the records reader (a control batch is tiny), never on the
 * data path of ordinary batches.
 */
import { batch } from '../protocol/records/batch.js';
import { buildRecordBatchSync, readRecordsSync } from '../protocol/records/builder.js';
import { CompressionError } from '../protocol/records/compression.js';
import { RecordBatchError } from '../protocol/records/validate.js';

/** A transaction marker to write: which producer's transaction, how it ends, and who says so. */
export interface TxnMarker {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  commit: boolean;
}

export const CONTROL_TYPE_ABORT = 0;
export const CONTROL_TYPE_COMMIT = 1;
const CONTROL_KEY_BYTES = 4;
const CONTROL_VALUE_BYTES = 6;

/** The control batch for `marker` at `baseOffset` (patched again by the append), timestamped `timestampMs`. */
export function buildControlBatch(marker: TxnMarker, opts: { timestampMs: number; baseOffset?: number; partitionLeaderEpoch?: number }): Buffer {
  const key = Buffer.alloc(CONTROL_KEY_BYTES);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(marker.commit ? CONTROL_TYPE_COMMIT : CONTROL_TYPE_ABORT, 2);
  const value = Buffer.alloc(CONTROL_VALUE_BYTES);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(marker.coordinatorEpoch, 2);
  return buildRecordBatchSync({
    baseOffset: opts.baseOffset ?? 0,
    partitionLeaderEpoch: opts.partitionLeaderEpoch ?? -1,
    records: [{ key, value, timestampMs: opts.timestampMs }],
    producerId: marker.producerId,
    producerEpoch: marker.producerEpoch,
    baseSequence: -1,
    transactional: true,
    control: true,
  });
}

/**
 * The transaction marker carried by the control batch `b` (a whole batch starting at byte 0), or
 * null when `b` is not a control batch, or is one of another type (LEADER_CHANGE, ...) or an
 * unreadable one. Stored bytes are validated, not asserted.
 */
export function readControlRecord(b: Buffer): TxnMarker | null {
  if (!batch.isControl(b)) return null;
  let key: Buffer | null;
  let value: Buffer | null;
  try {
    const records = readRecordsSync(b, { verifyCrc: false });
    if (records.length === 0) return null;
    key = records[0]!.key;
    value = records[0]!.value;
  } catch (err) {
    // Expected case: a control batch whose record does not decode is not a transaction marker.
    if (err instanceof RecordBatchError || err instanceof CompressionError) return null;
    throw err;
  }
  if (key === null || key.length < CONTROL_KEY_BYTES) return null;
  const type = key.readInt16BE(2);
  if (type !== CONTROL_TYPE_ABORT && type !== CONTROL_TYPE_COMMIT) return null;
  const coordinatorEpoch = value !== null && value.length >= CONTROL_VALUE_BYTES ? value.readInt32BE(2) : -1;
  return { producerId: batch.producerId(b), producerEpoch: batch.producerEpoch(b), coordinatorEpoch, commit: type === CONTROL_TYPE_COMMIT };
}

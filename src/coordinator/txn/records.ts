/**
 * The records of `__transaction_state`, in Kafka's own formats (so Kafka's tools can read a Samsa
 * log and state written by either can be loaded by the other). Written from the record format facts:
 *
 *   key    int16 version (0) | transactionalId string
 *   value  int16 version, then
 *     v0   producerId int64 | producerEpoch int16 | transactionTimeoutMs int32 | state int8 |
 *          partitions nullable array of [topic string | partitionIds int32 array] |
 *          lastUpdateTimestampMs int64 | startTimestampMs int64
 *     v1   the same fields in the flexible encoding (compact strings and arrays, tagged fields
 *          after each struct: newer Kafka puts prevProducerId / nextProducerId / client
 *          transaction version there). We write v0 and read both; tagged fields are skipped.
 *
 * A null value (tombstone) removes an expired transactional id. State ids: Empty 0, Ongoing 1,
 * PrepareCommit 2, PrepareAbort 3, CompleteCommit 4, CompleteAbort 5, Dead 6, PrepareEpochFence 7.
 * The partition of a transactional id: abs(javaHashCode(id)) % partitions, the groups' formula.
 */
import { DecodeError, Reader, Writer } from '../../protocol/primitives.js';
import { offsetsPartitionFor } from '../offsets/records.js';

export const TXN_STATE_TOPIC = '__transaction_state';

export const TXN_STATES = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'] as const;
export type TxnState = (typeof TXN_STATES)[number];

export interface TxnTopicPartitions {
  topic: string;
  partitions: number[];
}

export interface TxnStateValue {
  producerId: bigint;
  producerEpoch: number;
  transactionTimeoutMs: number;
  state: TxnState;
  partitions: TxnTopicPartitions[];
  lastUpdateTimestampMs: number;
  startTimestampMs: number;
}

export class TxnRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TxnRecordError';
  }
}

export function txnStatePartitionFor(transactionalId: string, partitions: number): number {
  return offsetsPartitionFor(transactionalId, partitions);
}

export function encodeTxnKey(transactionalId: string): Buffer {
  return Buffer.from(new Writer(16 + transactionalId.length).int16(0).string(transactionalId, false).toBuffer());
}

export function decodeTxnKey(key: Buffer): string {
  return guarded(() => {
    const r = new Reader(key);
    const version = r.int16();
    if (version !== 0) throw new TxnRecordError(`unsupported __transaction_state key version ${version}`);
    return r.string(false, false)!;
  });
}

export function encodeTxnValue(v: TxnStateValue): Buffer {
  const w = new Writer(64);
  w.int16(0).int64(v.producerId).int16(v.producerEpoch).int32(v.transactionTimeoutMs).int8(TXN_STATES.indexOf(v.state));
  w.arrayLength(v.partitions.length, false);
  for (const t of v.partitions) {
    w.string(t.topic, false).arrayLength(t.partitions.length, false);
    for (const p of t.partitions) w.int32(p);
  }
  w.int64(BigInt(v.lastUpdateTimestampMs)).int64(BigInt(v.startTimestampMs));
  return Buffer.from(w.toBuffer());
}

export function decodeTxnValue(value: Buffer): TxnStateValue {
  return guarded(() => {
    const r = new Reader(value);
    const version = r.int16();
    if (version !== 0 && version !== 1) throw new TxnRecordError(`unsupported __transaction_state value version ${version}`);
    const compact = version === 1;
    const producerId = r.int64();
    const producerEpoch = r.int16();
    const transactionTimeoutMs = r.int32();
    const stateId = r.int8();
    const state = TXN_STATES[stateId];
    if (state === undefined) throw new TxnRecordError(`unknown transaction state id ${stateId}`);
    const partitions: TxnTopicPartitions[] = [];
    const topics = r.arrayLength(compact, true);
    for (let i = 0; i < topics; i++) {
      const topic = r.string(compact, false)!;
      const n = r.arrayLength(compact, false);
      const ps: number[] = [];
      for (let j = 0; j < n; j++) ps.push(r.int32());
      if (compact) skipTaggedFields(r);
      partitions.push({ topic, partitions: ps });
    }
    const lastUpdateTimestampMs = Number(r.int64());
    const startTimestampMs = Number(r.int64());
    if (compact) skipTaggedFields(r);
    return { producerId, producerEpoch, transactionTimeoutMs, state, partitions, lastUpdateTimestampMs, startTimestampMs };
  });
}

function skipTaggedFields(r: Reader): void {
  const n = r.uvarint();
  for (let i = 0; i < n; i++) {
    r.uvarint(); // tag
    r.skip(r.uvarint());
  }
}

function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DecodeError) throw new TxnRecordError(err.message);
    throw err;
  }
}

/**
 * TxnShard: the transactional ids of one `__transaction_state` partition led by this broker. Like
 * the group coordinator's CoordinatorShard it is the unit that moves between brokers: created and
 * loaded when this broker becomes the partition's leader (at `coordinatorEpoch` = the partition's
 * leader epoch, which partition leaders use to fence markers from an older coordinator), closed when
 * it stops being it.
 *
 * Loading replays the partition from its start to the leader's log end: the last record of each key
 * wins, a tombstone removes the id. Writes are one record per transition, appended as leader with
 * acks=all (OffsetsTopicLog over `__transaction_state`); the caller installs the new state only
 * after the append succeeded. Owned by TransactionCoordinator.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../io/clock.js';
import { BATCH_ATTRIBUTES_OFFSET, ATTR_CONTROL, batch } from '../../protocol/records/batch.js';
import { buildRecordBatchSync, readRecords } from '../../protocol/records/builder.js';
import { CompressionError } from '../../protocol/records/compression.js';
import { RecordBatchError } from '../../protocol/records/validate.js';
import type { OffsetsTopicLog, WriteFailure } from '../offsets/offsets-topic-log.js';
import { decodeTxnKey, decodeTxnValue, encodeTxnKey, encodeTxnValue, TxnRecordError, type TxnStateValue } from './records.js';
import { TransactionMetadata } from './txn-metadata.js';

const LOAD_READ_BYTES = 1 << 20;

export type TxnShardStatus = 'loading' | 'active' | 'closed';

export class TxnShard {
  readonly txns = new Map<string, TransactionMetadata>();
  #status: TxnShardStatus = 'loading';

  constructor(
    readonly partition: number,
    readonly coordinatorEpoch: number,
    private readonly stateLog: OffsetsTopicLog,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  get status(): TxnShardStatus {
    return this.#status;
  }

  get active(): boolean {
    return this.#status === 'active';
  }

  close(): void {
    this.#status = 'closed';
  }

  #closed(): boolean {
    return this.#status === 'closed';
  }

  /** Replays the partition; false when closed meanwhile or the partition is not readable as leader. */
  async load(): Promise<boolean> {
    const startedMs = this.clock.monotonicMs();
    const bounds = await this.stateLog.bounds(this.partition);
    if (bounds === null || this.#closed()) return false;
    const values = new Map<string, TxnStateValue | null>();
    let offset = bounds.startOffset;
    let records = 0;
    while (offset < bounds.endOffset) {
      if (this.#closed()) return false;
      const chunk = await this.stateLog.read(this.partition, offset, LOAD_READ_BYTES, bounds.endOffset);
      if (chunk.length === 0) break;
      for (let at = 0; at < chunk.length; at += batch.totalBytes(chunk, at)) {
        const one = chunk.subarray(at, at + batch.totalBytes(chunk, at));
        offset = batch.baseOffset(one) + batch.lastOffsetDelta(one) + 1;
        if ((one.readInt16BE(BATCH_ATTRIBUTES_OFFSET) & ATTR_CONTROL) !== 0) continue;
        records += await this.#replayBatch(one, values);
      }
    }
    if (this.#closed()) return false;
    for (const [id, value] of values) if (value !== null) this.txns.set(id, new TransactionMetadata(id, value));
    this.#status = 'active';
    this.log.info(
      { partition: this.partition, coordinatorEpoch: this.coordinatorEpoch, transactionalIds: this.txns.size, records, durationMs: Math.round(this.clock.monotonicMs() - startedMs) },
      'loaded transaction state',
    );
    return true;
  }

  async #replayBatch(one: Buffer, values: Map<string, TxnStateValue | null>): Promise<number> {
    let decoded;
    try {
      decoded = await readRecords(one);
    } catch (err) {
      if (!(err instanceof RecordBatchError || err instanceof CompressionError)) throw err;
      this.log.warn({ partition: this.partition, baseOffset: batch.baseOffset(one), err: err.message }, 'skipping undecodable batch in __transaction_state');
      return 0;
    }
    for (const rec of decoded) {
      if (rec.key === null) continue;
      try {
        values.set(decodeTxnKey(rec.key), rec.value === null ? null : decodeTxnValue(rec.value));
      } catch (err) {
        if (!(err instanceof TxnRecordError)) throw err;
        this.log.warn({ partition: this.partition, offset: rec.offset, err: err.message }, 'skipping unreadable __transaction_state record');
      }
    }
    return decoded.length;
  }

  /** Appends one transition (or a tombstone: `value` null); null once committed, else why not. */
  async write(transactionalId: string, value: TxnStateValue | null): Promise<WriteFailure | null> {
    if (this.#status !== 'active') return 'notLeader';
    const timestampMs = this.clock.nowMs();
    const bytes = buildRecordBatchSync({ records: [{ key: encodeTxnKey(transactionalId), value: value === null ? null : encodeTxnValue(value), timestampMs }] });
    // A committed append answers null or its position (depending on the OffsetsTopicLog version); a failure is its kind.
    const outcome: unknown = await this.stateLog.append(this.partition, bytes);
    const failure = typeof outcome === 'string' ? (outcome as WriteFailure) : null;
    if (failure === null && this.#status !== 'active') return 'notLeader';
    return failure;
  }
}

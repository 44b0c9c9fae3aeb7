/**
 * OffsetsTopicLog: how the group coordinator reads and writes its partitions of
 * `__consumer_offsets`. Production goes through ReplicaManager, so a write is a leader append like
 * a produce with acks=all: the coordinator answers once the in-sync replicas have it (at once on a
 * single node). Tests substitute an in-memory log.
 *
 * Failures come back as kinds, which the coordinator turns into the codes Kafka answers for them:
 * notLeader → NOT_COORDINATOR, unavailable → COORDINATOR_NOT_AVAILABLE, tooLarge →
 * INVALID_COMMIT_OFFSET_SIZE (offsets) or UNKNOWN_SERVER_ERROR (group metadata), storage → NOT_COORDINATOR,
 * invalidProducerEpoch (a TxnOffsetCommit batch from a fenced producer epoch) → INVALID_PRODUCER_EPOCH.
 *
 * Transactional offset batches (TxnOffsetCommit) carry the producer's id, epoch and a sequence, so
 * the partition's producer state checks them like any idempotent batch: the writer asks
 * `producerSequence` for the next sequence and serialises its transactional appends per partition.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ReplicaManager } from '../../replication/replica-manager.js';
import { StorageError } from '../../storage/errors.js';
import { ProducerStateError } from '../../storage/producer-state.js';
import { OFFSETS_TOPIC } from './records.js';

export type WriteFailure = 'notLeader' | 'unavailable' | 'tooLarge' | 'storage' | 'invalidProducerEpoch';

/**
 * The code a coordinator answers for a failed write (groups, offsets, transaction state): leadership
 * lost or storage → NOT_COORDINATOR, unavailable → COORDINATOR_NOT_AVAILABLE; the codes for tooLarge
 * and invalidProducerEpoch depend on what was written and are the caller's.
 */
export function writeFailureCode(failure: WriteFailure, codes: { tooLarge: number; invalidProducerEpoch: number }): number {
  switch (failure) {
    case 'notLeader':
    case 'storage':
      return ErrorCode.NOT_COORDINATOR;
    case 'unavailable':
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    default:
      return codes[failure];
  }
}

/** A committed append: where its batch starts in the log. */
export interface Appended {
  baseOffset: number;
}

export interface OffsetsTopicLog {
  /** Appends one record batch as the partition's leader; its base offset once committed, else why not. */
  append(partition: number, batch: Buffer): Promise<WriteFailure | Appended>;
  /** The producer's epoch and last sequence in the partition as leader; null when it has none (any sequence goes). */
  producerSequence(partition: number, producerId: bigint): { epoch: number; lastSequence: number } | null;
  /**
   * The range to load, [startOffset, endOffset); null when this broker cannot read it as leader.
   * As leader the end is the log end offset, not the high watermark (Kafka loads to the log end too):
   * a new leader's high watermark may still trail records the old leader already had committed
   * (followers learn it one fetch late), and a leader's log is never truncated while it leads.
   */
  bounds(partition: number): { startOffset: number; endOffset: number } | null | Promise<{ startOffset: number; endOffset: number } | null>;
  /** Whole batches from `offset`, at most about `maxBytes` (at least one batch), none at or past `endOffset`. */
  read(partition: number, offset: number, maxBytes: number, endOffset: number): Promise<Buffer>;
}

export class ReplicaOffsetsTopicLog implements OffsetsTopicLog {
  /**
   * `commitTimeoutMs`: how long a write may wait for the in-sync replicas (Kafka's offsets.commit.timeout.ms).
   * `topic`: the internal topic (the transaction coordinator uses the same reads and writes for `__transaction_state`).
   */
  constructor(
    private readonly replicas: ReplicaManager,
    private readonly commitTimeoutMs: number,
    private readonly topic: string = OFFSETS_TOPIC,
  ) {}

  async append(partition: number, batch: Buffer): Promise<WriteFailure | Appended> {
    let lastOffset: number;
    let baseOffset: number;
    try {
      // acks=all, as Kafka writes its coordinator records: an offset answered as committed survives failover.
      ({ baseOffset, lastOffset } = await this.replicas.appendAsLeader(this.topic, partition, batch, { requiredAcks: -1 }));
    } catch (err) {
      if (err instanceof StorageError && err.kind === 'messageTooLarge') return 'tooLarge';
      // Sequences come from producerSequence under the writer's per-partition queue, so only an
      // epoch fence is expected; anything else is answered retriable.
      if (err instanceof ProducerStateError) return err.kind === 'invalidProducerEpoch' ? 'invalidProducerEpoch' : 'unavailable';
      const kind = ReplicaManager.classifyAll(err);
      if (kind === null) throw err;
      switch (kind) {
        case 'notLeader':
        case 'fencedLeaderEpoch':
        case 'unknownLeaderEpoch':
          return 'notLeader';
        case 'unknownTopicOrPartition':
        case 'notEnoughReplicas':
        case 'notEnoughReplicasAfterAppend':
        case 'requestTimedOut':
          return 'unavailable';
        case 'offsetOutOfRange':
        case 'storage':
          return 'storage';
      }
    }
    const outcome = await this.replicas.waitForCommit(this.topic, partition, lastOffset, this.commitTimeoutMs);
    switch (outcome) {
      case 'committed':
        return { baseOffset };
      case 'notLeader':
        return 'notLeader';
      case 'notEnoughReplicasAfterAppend':
      case 'timedOut':
        return 'unavailable';
    }
  }

  producerSequence(partition: number, producerId: bigint): { epoch: number; lastSequence: number } | null {
    try {
      return this.replicas.leaderLog(this.topic, partition).producerEntry(producerId);
    } catch (err) {
      // Not the leader (any more): the append that follows fails with the same kind.
      if (ReplicaManager.classify(err) !== null) return null;
      throw err;
    }
  }

  async bounds(partition: number): Promise<{ startOffset: number; endOffset: number } | null> {
    try {
      // The replica fetcher's last append (or truncation) finishes before the epoch starts.
      await this.replicas.leaderPartition(this.topic, partition).leaderReady;
      const log = this.replicas.leaderLog(this.topic, partition);
      return { startOffset: log.logStartOffset, endOffset: log.logEndOffset };
    } catch (err) {
      // Expected while leadership or the topic changes: the caller retries on the next image.
      if (ReplicaManager.classify(err) !== null) return null;
      throw err;
    }
  }

  async read(partition: number, offset: number, maxBytes: number, endOffset: number): Promise<Buffer> {
    const log = this.replicas.leaderLog(this.topic, partition);
    const r = await log.read(offset, maxBytes, { minOneMessage: true, maxOffset: endOffset });
    return r.records;
  }
}

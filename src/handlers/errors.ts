/**
 * Internal failures → Kafka error codes. Storage, replication and the controller report typed kinds;
 * only this file knows the wire codes. Unknown kinds map deliberately to UNKNOWN_SERVER_ERROR.
 * An idempotent duplicate is not an error: Produce answers NONE with the original baseOffset
 * (ReplicaManager.appendAsLeader returns it with `duplicate: true`), as Kafka ≥ 1.0 does.
 */
import type { AdminErrorKind } from '../cluster/controller.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ReplicaManager, type ReplicationErrorKind } from '../replication/replica-manager.js';
import { ProducerStateError, type ProducerStateErrorKind } from '../storage/producer-state.js';

export function partitionErrorCode(kind: ReplicationErrorKind): number {
  switch (kind) {
    case 'unknownTopicOrPartition':
      return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    case 'notLeader':
      return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    case 'offsetOutOfRange':
      return ErrorCode.OFFSET_OUT_OF_RANGE;
    case 'storage':
      return ErrorCode.KAFKA_STORAGE_ERROR;
    case 'fencedLeaderEpoch':
      return ErrorCode.FENCED_LEADER_EPOCH;
    case 'unknownLeaderEpoch':
      return ErrorCode.UNKNOWN_LEADER_EPOCH;
    case 'notEnoughReplicas':
      return ErrorCode.NOT_ENOUGH_REPLICAS;
    case 'notEnoughReplicasAfterAppend':
      return ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND;
    case 'requestTimedOut':
      return ErrorCode.REQUEST_TIMED_OUT;
  }
}

/** For a caught error on a partition operation: its code, or rethrow when it is our bug. */
export function codeForPartitionFailure(err: unknown): number {
  if (err instanceof ProducerStateError) return producerStateErrorCode(err.kind);
  const kind = ReplicaManager.classifyAll(err);
  if (kind === null) throw err;
  return partitionErrorCode(kind);
}

/** Idempotent/transactional producer-state failures (storage/producer-state.ts) on Produce and WriteTxnMarkers. */
export function producerStateErrorCode(kind: ProducerStateErrorKind): number {
  switch (kind) {
    case 'outOfOrderSequence':
      return ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER;
    case 'invalidProducerEpoch':
      // Kafka answers PRODUCER_FENCED instead for transactional producers; the produce path of
      // transactional producers decides that (it knows the request's transactionalId).
      return ErrorCode.INVALID_PRODUCER_EPOCH;
    case 'transactionCoordinatorFenced':
      return ErrorCode.TRANSACTION_COORDINATOR_FENCED;
    case 'invalidTxnState':
      return ErrorCode.INVALID_TXN_STATE;
  }
}

export function adminErrorCode(kind: AdminErrorKind): number {
  switch (kind) {
    case 'topicAlreadyExists':
      return ErrorCode.TOPIC_ALREADY_EXISTS;
    case 'invalidTopic':
      return ErrorCode.INVALID_TOPIC_EXCEPTION;
    case 'invalidPartitions':
      return ErrorCode.INVALID_PARTITIONS;
    case 'invalidReplicationFactor':
      return ErrorCode.INVALID_REPLICATION_FACTOR;
    case 'invalidReplicaAssignment':
      return ErrorCode.INVALID_REPLICA_ASSIGNMENT;
    case 'unknownTopic':
      return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    case 'invalidConfig':
      return ErrorCode.INVALID_CONFIG;
    case 'topicDeletionDisabled':
      return ErrorCode.TOPIC_DELETION_DISABLED;
    case 'unknownTopicOrPartition':
      return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    case 'noReassignmentInProgress':
      return ErrorCode.NO_REASSIGNMENT_IN_PROGRESS;
    case 'notController':
      return ErrorCode.NOT_CONTROLLER;
    case 'invalidRequest':
      return ErrorCode.INVALID_REQUEST;
  }
}

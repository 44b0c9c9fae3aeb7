/**
 * Transaction administration requests behind `kafka-transactions` and `samsa txn` (KIP-664):
 * - DescribeProducers goes to a partition's leader (or to the broker asked for: any replica keeps
 *   producer state); the partition's error code comes back as a KafkaError.
 * - ListTransactions is answered by each broker for the transactional ids it coordinates, so it is
 *   sent to every broker and the listings are kept per broker (Kafka's `allByBrokerId`).
 * - DescribeTransactions goes to the transactional id's coordinator (FindCoordinator key type 1).
 * - Aborting a hanging transaction writes an ABORT marker with WriteTxnMarkers straight to the
 *   partition's leader, as Kafka's Admin.abortTransaction does (no coordinator involved).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { describeProducersApi, type DescribeProducersResponse } from '../protocol/messages/describe-producers.js';
import { describeTransactionsApi, type DescribeTransactionsResponse } from '../protocol/messages/describe-transactions.js';
import { listTransactionsApi, type ListTransactionsResponse } from '../protocol/messages/list-transactions.js';
import { writeTxnMarkersApi, type WriteTxnMarkersResponse } from '../protocol/messages/write-txn-markers.js';
import type { KafkaClient } from './client.js';
import { KafkaError } from './errors.js';
import { findCoordinator } from './offsets.js';

/** FindCoordinator key type of a transactional id. */
const TRANSACTION_KEY_TYPE = 1;

export interface ProducerState {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestampMs: number;
  /** -1 when no marker of this producer was written yet. */
  coordinatorEpoch: number;
  /** -1 when the producer has no open transaction in the partition. */
  currentTxnStartOffset: number;
}

export interface TransactionListing {
  transactionalId: string;
  producerId: bigint;
  state: string;
}

export interface TransactionDescription {
  coordinatorId: number;
  transactionalId: string;
  state: string;
  producerId: bigint;
  producerEpoch: number;
  transactionTimeoutMs: number;
  /** -1 when no transaction is open. */
  transactionStartTimeMs: number;
  topicPartitions: Array<{ topic: string; partition: number }>;
}

export interface AbortSpec {
  topic: string;
  partition: number;
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
}

/** The active producers of a partition, or why they could not be read. */
export interface PartitionProducers {
  topic: string;
  partition: number;
  producers: ProducerState[];
  error: KafkaError | null;
}

/** Active producers of one partition, from its leader or from `brokerId`; its error is thrown. */
export async function describeProducers(client: KafkaClient, topic: string, partition: number, brokerId: number | null = null): Promise<ProducerState[]> {
  const [one] = await describeProducersOf(client, [{ topic, partition }], brokerId);
  if (one!.error !== null) throw one!.error;
  return one!.producers;
}

/** Active producers of several partitions: one request per broker (each partition's leader, or `brokerId`). */
export async function describeProducersOf(
  client: KafkaClient,
  partitions: ReadonlyArray<{ topic: string; partition: number }>,
  brokerId: number | null = null,
): Promise<PartitionProducers[]> {
  const results = partitions.map((p): PartitionProducers => ({ ...p, producers: [], error: null }));
  const byNode = new Map<number, PartitionProducers[]>();
  if (brokerId === null) await client.refreshMetadata([...new Set(partitions.map((p) => p.topic))]);
  for (const r of results) {
    let nodeId = brokerId;
    if (nodeId === null) {
      const md = client.cachedTopic(r.topic);
      const p = md?.partitions.find((x) => x.partition === r.partition);
      if (md === undefined || md.errorCode !== ErrorCode.NONE || p === undefined) {
        r.error = new KafkaError(md && md.errorCode !== ErrorCode.NONE ? md.errorCode : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${r.topic}-${r.partition} does not exist`);
        continue;
      }
      if (p.leader < 0) {
        r.error = new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `${r.topic}-${r.partition} has no leader`);
        continue;
      }
      nodeId = p.leader;
    }
    let list = byNode.get(nodeId);
    if (!list) byNode.set(nodeId, (list = []));
    list.push(r);
  }
  await Promise.all(
    [...byNode].map(async ([nodeId, list]) => {
      const topics = new Map<string, number[]>();
      for (const r of list) topics.set(r.topic, [...(topics.get(r.topic) ?? []), r.partition]);
      const res = await client.requestNode<DescribeProducersResponse>(nodeId, describeProducersApi, {
        topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
      });
      for (const r of list) {
        const answer = res.topics.find((t) => t.name === r.topic)?.partitions.find((p) => p.partitionIndex === r.partition);
        if (!answer) r.error = new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `broker ${nodeId} did not answer for ${r.topic}-${r.partition}`);
        else if (answer.errorCode !== ErrorCode.NONE) r.error = new KafkaError(answer.errorCode, answer.errorMessage);
        else r.producers = answer.activeProducers.map(toProducerState);
      }
    }),
  );
  return results;
}

function toProducerState(p: DescribeProducersResponse['topics'][number]['partitions'][number]['activeProducers'][number]): ProducerState {
  return {
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    lastSequence: p.lastSequence,
    lastTimestampMs: Number(p.lastTimestamp),
    coordinatorEpoch: p.coordinatorEpoch,
    currentTxnStartOffset: Number(p.currentTxnStartOffset),
  };
}

/** Every broker's transactions (optionally only those of `producerIds`), keyed by broker id. */
export async function listTransactions(client: KafkaClient, filters: { producerIds?: bigint[]; states?: string[] } = {}): Promise<Map<number, TransactionListing[]>> {
  const md = await client.refreshMetadata([]);
  const out = new Map<number, TransactionListing[]>();
  const ids = [...md.brokers.keys()].sort((a, b) => a - b);
  const answers = await Promise.all(
    ids.map((id) =>
      client.requestNode<ListTransactionsResponse>(id, listTransactionsApi, { stateFilters: filters.states ?? [], producerIdFilters: filters.producerIds ?? [], durationFilter: -1n }),
    ),
  );
  answers.forEach((res, i) => {
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, `broker ${ids[i]}: ${new KafkaError(res.errorCode).message}`);
    out.set(
      ids[i]!,
      res.transactionStates.map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, state: t.transactionState })),
    );
  });
  return out;
}

/** The state of one transactional id, from its coordinator; TRANSACTIONAL_ID_NOT_FOUND as a KafkaError. */
export async function describeTransaction(client: KafkaClient, transactionalId: string): Promise<TransactionDescription> {
  const coordinator = await findCoordinator(client, transactionalId, TRANSACTION_KEY_TYPE);
  const res = await client.requestNode<DescribeTransactionsResponse>(coordinator.nodeId, describeTransactionsApi, { transactionalIds: [transactionalId] });
  const t = res.transactionStates.find((s) => s.transactionalId === transactionalId);
  if (!t) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `the coordinator did not describe ${transactionalId}`);
  if (t.errorCode !== ErrorCode.NONE) throw new KafkaError(t.errorCode);
  return {
    coordinatorId: coordinator.nodeId,
    transactionalId,
    state: t.transactionState,
    producerId: t.producerId,
    producerEpoch: t.producerEpoch,
    transactionTimeoutMs: t.transactionTimeoutMs,
    transactionStartTimeMs: Number(t.transactionStartTimeMs),
    topicPartitions: t.topics.flatMap((x) => x.partitions.map((partition) => ({ topic: x.topic, partition }))),
  };
}

/** Writes an ABORT marker for the producer to the partition's leader. */
export async function abortTransaction(client: KafkaClient, spec: AbortSpec): Promise<void> {
  const md = await client.topicMetadata(spec.topic, { refresh: true });
  if (md.errorCode !== ErrorCode.NONE) throw new KafkaError(md.errorCode);
  const p = md.partitions.find((x) => x.partition === spec.partition);
  if (!p) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${spec.topic}-${spec.partition} does not exist`);
  if (p.leader < 0) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `${spec.topic}-${spec.partition} has no leader`);
  const res = await client.requestNode<WriteTxnMarkersResponse>(p.leader, writeTxnMarkersApi, {
    markers: [
      {
        producerId: spec.producerId,
        producerEpoch: spec.producerEpoch,
        transactionResult: false,
        topics: [{ name: spec.topic, partitionIndexes: [spec.partition] }],
        coordinatorEpoch: spec.coordinatorEpoch,
      },
    ],
  });
  const code = res.markers[0]?.topics.find((t) => t.name === spec.topic)?.partitions.find((x) => x.partitionIndex === spec.partition)?.errorCode;
  if (code === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `broker ${p.leader} did not answer for ${spec.topic}-${spec.partition}`);
  if (code !== ErrorCode.NONE) throw new KafkaError(code);
}

/**
 * AddPartitionsToTxn (v0-5). v0-3: a client adds partitions to its ongoing transaction. v4+: a
 * batch of transactions, each either an add (as v0-3) or, with verifyOnly, a KIP-890 check from a
 * partition leader whether the partitions are already in the producer's ongoing transaction
 * (nothing is written). Answers are per partition:
 * - a partition of an unknown topic (or beyond its partition count) gets UNKNOWN_TOPIC_OR_PARTITION
 *   and the request's other partitions OPERATION_NOT_ATTEMPTED, as Kafka answers;
 * - otherwise every partition gets the coordinator's answer (TransactionCoordinator.addPartitions),
 *   PRODUCER_FENCED turned into INVALID_PRODUCER_EPOCH before v2.
 * The v4+ top-level errorCode is NONE (it carries request-wide failures such as authorization).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import {
  addPartitionsToTxnApi,
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
  type AddPartitionsToTxnTopicResult,
  type TxnTopics,
} from '../protocol/messages/add-partitions-to-txn.js';
import { producerFencedFor } from './errors.js';
import { allowed, allowedOnCluster, deniedNames, Op, Res } from './authz.js';
import { defineHandler, type RequestContext } from './handler.js';

const FIRST_VERSION_WITH_PRODUCER_FENCED = 2;

function uniform(topics: TxnTopics[], code: (topic: string, partition: number) => number): AddPartitionsToTxnTopicResult[] {
  return topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(t.name, p) })) }));
}

function unknownPartitions(ctx: RequestContext, topics: TxnTopics[]): Set<string> {
  const unknown = new Set<string>();
  for (const t of topics) {
    const info = ctx.image.topics.get(t.name);
    for (const p of t.partitions) if (!info || p < 0 || p >= info.partitions.length) unknown.add(`${t.name}\u0000${p}`);
  }
  return unknown;
}

async function one(ctx: RequestContext, tx: { transactionalId: string; producerId: bigint; producerEpoch: number; verifyOnly: boolean; topics: TxnTopics[] }): Promise<AddPartitionsToTxnTopicResult[]> {
  const txns = ctx.broker.txnCoordinator;
  if (tx.transactionalId === '') return uniform(tx.topics, () => ErrorCode.INVALID_REQUEST);
  const topics = tx.topics.map((t) => ({ topic: t.name, partitions: t.partitions }));
  const fenced = (code: number): number => producerFencedFor(code, ctx.apiVersion, FIRST_VERSION_WITH_PRODUCER_FENCED);
  // Kafka's checks: verification (verifyOnly, from partition leaders) needs ClusterAction; adding
  // partitions needs Write on the transactional id, then Write on each topic (the others of a
  // partly refused request answer OPERATION_NOT_ATTEMPTED).
  if (tx.verifyOnly && !allowedOnCluster(ctx, Op.CLUSTER_ACTION)) return uniform(tx.topics, () => ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  if (!tx.verifyOnly && !allowed(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, tx.transactionalId)) return uniform(tx.topics, () => ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  const deniedTopics = tx.verifyOnly ? new Set<string>() : deniedNames(ctx, Op.WRITE, Res.TOPIC, tx.topics.map((t) => t.name));
  if (deniedTopics.size > 0) return uniform(tx.topics, (t) => (deniedTopics.has(t) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.OPERATION_NOT_ATTEMPTED));
  if (!txns) return uniform(tx.topics, () => ErrorCode.COORDINATOR_NOT_AVAILABLE);
  if (tx.verifyOnly) {
    const codes = txns.verifyPartitions(tx.transactionalId, tx.producerId, tx.producerEpoch, topics);
    return uniform(tx.topics, (t, p) => fenced(codes.get(t)?.get(p) ?? ErrorCode.UNKNOWN_SERVER_ERROR));
  }
  const unknown = unknownPartitions(ctx, tx.topics);
  if (unknown.size > 0) {
    return uniform(tx.topics, (t, p) => (unknown.has(`${t}\u0000${p}`) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED));
  }
  const code = fenced(await txns.addPartitions(tx.transactionalId, tx.producerId, tx.producerEpoch, topics));
  if (code !== ErrorCode.NONE) ctx.log.debug({ transactionalId: tx.transactionalId, errorCode: code }, 'AddPartitionsToTxn refused');
  return uniform(tx.topics, () => code);
}

export const addPartitionsToTxnHandler = defineHandler<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(addPartitionsToTxnApi, async (ctx, req) => {
  if (ctx.apiVersion >= 4) {
    const resultsByTransaction = await Promise.all(
      req.transactions.map(async (tx) => ({ transactionalId: tx.transactionalId, topicResults: await one(ctx, tx) })),
    );
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction, resultsByTopicV3AndBelow: [] };
  }
  const resultsByTopicV3AndBelow = await one(ctx, {
    transactionalId: req.v3AndBelowTransactionalId,
    producerId: req.v3AndBelowProducerId,
    producerEpoch: req.v3AndBelowProducerEpoch,
    verifyOnly: false,
    topics: req.v3AndBelowTopics,
  });
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow };
});

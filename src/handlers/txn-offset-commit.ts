/**
 * TxnOffsetCommit (v0-4): a transactional producer commits a consumer group's offsets as part of
 * its transaction (send_offsets_to_transaction / sendOffsetsToTransaction). The group coordinator
 * writes them to `__consumer_offsets` as a transactional batch of the request's producer id and
 * epoch and keeps them pending until the transaction's COMMIT/ABORT marker (WriteTxnMarkers); see
 * coordinator/group/offset-manager.ts for every rule. v3+ carries the consumer's generation, member
 * id and instance id (KIP-447), checked against the group. A producer epoch older than the one the
 * offsets partition has seen answers INVALID_PRODUCER_EPOCH (the client treats it as fenced).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { txnOffsetCommitApi, type TxnOffsetCommitRequest, type TxnOffsetCommitResponse } from '../protocol/messages/txn-offset-commit.js';
import { allPartitions } from '../coordinator/group/offset-manager.js';
import { allowed, deniedNames, Op, Res } from './authz.js';
import { defineHandler, type RequestContext } from './handler.js';
import { commitSafeOffsets } from './offset-commit.js';

export const txnOffsetCommitHandler = defineHandler<TxnOffsetCommitRequest, TxnOffsetCommitResponse>(txnOffsetCommitApi, async (ctx, req) => {
  // Kafka's checks: Write on the transactional id, Read on the group, then Read on each topic (the
  // refused topics' partitions answer TOPIC_AUTHORIZATION_FAILED and are not committed).
  if (!allowed(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId)) return { throttleTimeMs: 0, topics: allPartitions(req.topics, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED) };
  if (!allowed(ctx, Op.READ, Res.GROUP, req.groupId)) return { throttleTimeMs: 0, topics: allPartitions(req.topics, ErrorCode.GROUP_AUTHORIZATION_FAILED) };
  const deniedTopics = deniedNames(ctx, Op.READ, Res.TOPIC, req.topics.map((t) => t.name));
  if (deniedTopics.size > 0) {
    const refused = allPartitions(req.topics.filter((t) => deniedTopics.has(t.name)), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const rest = req.topics.filter((t) => !deniedTopics.has(t.name));
    if (rest.length === 0) return { throttleTimeMs: 0, topics: refused };
    const served = await txnOffsetCommit(ctx, { ...req, topics: rest });
    return { throttleTimeMs: 0, topics: [...served.topics, ...refused] };
  }
  return txnOffsetCommit(ctx, req);
});

async function txnOffsetCommit(ctx: RequestContext, req: TxnOffsetCommitRequest): Promise<TxnOffsetCommitResponse> {
  const v = ctx.apiVersion;
  const groups = ctx.broker.groupCoordinator;
  if (!groups) return { throttleTimeMs: 0, topics: allPartitions(req.topics, ErrorCode.COORDINATOR_NOT_AVAILABLE) };
  if (req.producerId < 0n || req.producerEpoch < 0) return { throttleTimeMs: 0, topics: allPartitions(req.topics, ErrorCode.INVALID_PRODUCER_EPOCH) };
  const results = await commitSafeOffsets(
    req.topics,
    (p) => ({ committedLeaderEpoch: v >= 2 ? p.committedLeaderEpoch : -1, commitTimestampMs: -1 }),
    (topics) =>
      groups.commitTxnOffsets({
        transactionalId: req.transactionalId,
        producerId: req.producerId,
        producerEpoch: req.producerEpoch,
        groupId: req.groupId,
        generationId: v >= 3 ? req.generationId : -1,
        memberId: v >= 3 ? req.memberId : '',
        groupInstanceId: v >= 3 ? req.groupInstanceId : null,
        topics,
      }),
  );
  return { throttleTimeMs: 0, topics: results };
}

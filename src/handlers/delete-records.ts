/**
 * DeleteRecords (v0-2): moves each partition's log start offset up to the requested offset (-1: the
 * high watermark), deleting the segments wholly below it, and answers the new low watermark, as
 * Kafka's ReplicaManager.deleteRecords does:
 * - an unknown topic or partition is UNKNOWN_TOPIC_OR_PARTITION, a partition led elsewhere
 *   NOT_LEADER_OR_FOLLOWER;
 * - a topic whose cleanup.policy lacks `delete` is POLICY_VIOLATION;
 * - a negative offset other than -1, or one beyond the high watermark, is OFFSET_OUT_OF_RANGE;
 * - an offset at or below the current log start offset changes nothing and succeeds.
 * A failed partition answers lowWatermark -1. On one node the low watermark is the leader's log
 * start offset, so the response does not wait for followers; timeoutMs is irrelevant.
 */
import { toLogConfig } from '../config/topic-config.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { deleteRecordsApi, type DeleteRecordsRequest, type DeleteRecordsResponse } from '../protocol/messages/delete-records.js';
import { codeForPartitionFailure } from './errors.js';
import { defineHandler, type RequestContext } from './handler.js';
import { allowed, Op, Res } from './authz.js';

type PartitionResult = DeleteRecordsResponse['topics'][number]['partitions'][number];

const HIGH_WATERMARK = -1n;
const INVALID_LOW_WATERMARK = -1n;

async function deleteRecords(ctx: RequestContext, topic: string, partitionIndex: number, requested: bigint): Promise<PartitionResult> {
  const failed = (errorCode: number): PartitionResult => ({ partitionIndex, lowWatermark: INVALID_LOW_WATERMARK, errorCode });
  // Authorization (Kafka's): Delete on the topic; no record is deleted without it.
  if (!allowed(ctx, Op.DELETE, Res.TOPIC, topic)) return failed(ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  try {
    const log = ctx.broker.replicas.leaderLog(topic, partitionIndex);
    const info = ctx.image.topics.get(topic);
    if (info && !toLogConfig(ctx.broker.config, { ...info.configs }).cleanupPolicy.includes('delete')) {
      ctx.log.info({ topic, partition: partitionIndex }, 'delete records refused: cleanup.policy does not include delete');
      return failed(ErrorCode.POLICY_VIOLATION);
    }
    if (requested < 0n && requested !== HIGH_WATERMARK) return failed(ErrorCode.OFFSET_OUT_OF_RANGE);
    const offset = requested === HIGH_WATERMARK ? log.highWatermark : Number(requested);
    if (!Number.isSafeInteger(offset) || offset > log.highWatermark) return failed(ErrorCode.OFFSET_OUT_OF_RANGE);
    const before = log.logStartOffset;
    await log.deleteRecordsBefore(offset);
    if (log.logStartOffset !== before) {
      ctx.log.info({ topic, partition: partitionIndex, from: before, to: log.logStartOffset }, 'deleted records: log start offset moved');
    }
    return { partitionIndex, lowWatermark: BigInt(log.logStartOffset), errorCode: ErrorCode.NONE };
  } catch (err) {
    const code = codeForPartitionFailure(err);
    ctx.log.info({ topic, partition: partitionIndex, err: (err as Error).message }, 'delete records failed');
    return failed(code);
  }
}

export const deleteRecordsHandler = defineHandler<DeleteRecordsRequest, DeleteRecordsResponse>(deleteRecordsApi, async (ctx, req) => ({
  throttleTimeMs: 0,
  topics: await Promise.all(
    req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(t.partitions.map((p) => deleteRecords(ctx, t.name, p.partitionIndex, p.offset))),
    })),
  ),
}));

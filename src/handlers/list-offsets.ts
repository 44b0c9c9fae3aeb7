/**
 * ListOffsets: earliest (-2: log start offset), latest (-1: high watermark, or the last stable
 * offset for isolationLevel 1 = READ_COMMITTED, v2+), max timestamp (-3, v7+), or the first offset
 * whose timestamp is at least the given one (time index, below the high watermark, or below the
 * last stable offset for READ_COMMITTED). Only the leader
 * answers (NOT_LEADER_OR_FOLLOWER otherwise); currentLeaderEpoch (v4+) is checked
 * (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH). v0 answers in its old list form.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import {
  listOffsetsApi,
  type ListOffsetsPartitionResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from '../protocol/messages/list-offsets.js';
import { codeForPartitionFailure } from './errors.js';
import { defineHandler, type RequestContext } from './handler.js';
import { deniedNames, Op, Res } from './authz.js';

const LATEST = -1n;
const EARLIEST = -2n;
const MAX_TIMESTAMP = -3n;

const READ_COMMITTED = 1;

async function lookup(
  ctx: RequestContext,
  topic: string,
  partition: number,
  currentLeaderEpoch: number,
  timestamp: bigint,
  isolationLevel: number,
): Promise<ListOffsetsPartitionResponse> {
  const out: ListOffsetsPartitionResponse = {
    partitionIndex: partition,
    errorCode: ErrorCode.NONE,
    oldStyleOffsets: [],
    timestamp: -1n,
    offset: -1n,
    leaderEpoch: -1,
  };
  try {
    const log = ctx.broker.replicas.leaderLog(topic, partition, ctx.apiVersion >= 4 ? currentLeaderEpoch : -1);
    out.leaderEpoch = ctx.image.partition(topic, partition)?.leaderEpoch ?? -1;
    // What a consumer of this isolation level may read up to (exclusive).
    const fetchableEnd = ctx.apiVersion >= 2 && isolationLevel === READ_COMMITTED ? log.lastStableOffset : log.highWatermark;
    if (timestamp === LATEST) out.offset = BigInt(fetchableEnd);
    else if (timestamp === EARLIEST) out.offset = BigInt(log.logStartOffset);
    else if (timestamp === MAX_TIMESTAMP) {
      const found = await log.maxTimestampOffset();
      if (found) {
        out.offset = BigInt(found.offset);
        out.timestamp = BigInt(found.timestampMs);
      }
    } else if (timestamp < 0n) {
      out.errorCode = ErrorCode.INVALID_REQUEST;
    } else {
      const found = await log.offsetForTimestamp(Number(timestamp));
      if (found && found.offset < fetchableEnd) {
        out.offset = BigInt(found.offset);
        out.timestamp = BigInt(found.timestampMs);
      }
    }
    if (ctx.apiVersion === 0) out.oldStyleOffsets = out.offset >= 0n ? [out.offset] : [];
  } catch (err) {
    out.errorCode = codeForPartitionFailure(err);
  }
  return out;
}

/** A partition refused by authorization (Describe on the topic, Kafka's rule). */
function refused(partition: number): ListOffsetsPartitionResponse {
  return { partitionIndex: partition, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, oldStyleOffsets: [], timestamp: -1n, offset: -1n, leaderEpoch: -1 };
}

export const listOffsetsHandler = defineHandler<ListOffsetsRequest, ListOffsetsResponse>(listOffsetsApi, async (ctx, req) => {
  const denied = deniedNames(ctx, Op.DESCRIBE, Res.TOPIC, req.topics.map((t) => t.name));
  return {
    throttleTimeMs: 0,
    topics: await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name,
        partitions: denied.has(t.name)
          ? t.partitions.map((p) => refused(p.partitionIndex))
          : await Promise.all(t.partitions.map((p) => lookup(ctx, t.name, p.partitionIndex, p.currentLeaderEpoch, p.timestamp, req.isolationLevel))),
      })),
    ),
  };
});

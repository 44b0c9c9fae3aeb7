/**
 * OffsetFetch (v0-8): committed offsets of a group (-1 with empty metadata where nothing is
 * committed). A null topic list (v2+) asks for every committed offset; v8 asks for several groups
 * at once (KIP-709), each with its own error code. With requireStable (v7+), a partition whose
 * commit is still being written answers UNSTABLE_OFFSET_COMMIT so the client retries. Group-level
 * errors (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS) are top-level from v2 and also set on each
 * requested partition (the only place v0-1 have for them).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import {
  offsetFetchApi,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponseTopic,
} from '../protocol/messages/offset-fetch.js';
import { defineHandler, type RequestContext } from './handler.js';

type TopicsRequest = Array<{ name: string; partitionIndexes: number[] }> | null;

function fetchGroup(ctx: RequestContext, groupId: string, topics: TopicsRequest, requireStable: boolean): { errorCode: number; topics: OffsetFetchResponseTopic[] } {
  const r = ctx.broker.groupCoordinator?.fetchOffsets(groupId, topics, requireStable) ?? { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
  if (r.errorCode !== ErrorCode.NONE) {
    return {
      errorCode: r.errorCode,
      topics: (topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: r.errorCode })),
      })),
    };
  }
  return {
    errorCode: ErrorCode.NONE,
    topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ ...p, committedOffset: BigInt(p.committedOffset) })) })),
  };
}

export const offsetFetchHandler = defineHandler<OffsetFetchRequest, OffsetFetchResponse>(offsetFetchApi, (ctx, req) => {
  const v = ctx.apiVersion;
  const requireStable = v >= 7 && req.requireStable;
  if (v >= 8) {
    return {
      throttleTimeMs: 0,
      topics: [],
      errorCode: ErrorCode.NONE,
      groups: req.groups.map((g) => ({ groupId: g.groupId, ...fetchGroup(ctx, g.groupId, g.topics, requireStable) })),
    };
  }
  const one = fetchGroup(ctx, req.groupId, v >= 2 ? req.topics : (req.topics ?? []), requireStable);
  return { throttleTimeMs: 0, topics: one.topics, errorCode: one.errorCode, groups: [] };
});

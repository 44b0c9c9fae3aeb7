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
import { allowed, deniedNames, Op, Res } from './authz.js';

type TopicsRequest = Array<{ name: string; partitionIndexes: number[] }> | null;

/**
 * Authorization (Kafka's): Describe on the group (else GROUP_AUTHORIZATION_FAILED); Describe on each
 * topic: a named topic without it answers TOPIC_AUTHORIZATION_FAILED per partition, and "all
 * topics" lists only the topics the principal may Describe.
 */
function fetchGroup(ctx: RequestContext, groupId: string, topics: TopicsRequest, requireStable: boolean): { errorCode: number; topics: OffsetFetchResponseTopic[] } {
  if (!allowed(ctx, Op.DESCRIBE, Res.GROUP, groupId)) return failedGroup(topics, ErrorCode.GROUP_AUTHORIZATION_FAILED);
  if (ctx.broker.authorizer === undefined) return fetchAuthorized(ctx, groupId, topics, requireStable);
  const denied = deniedNames(ctx, Op.DESCRIBE, Res.TOPIC, (topics ?? []).map((t) => t.name));
  const r = fetchAuthorized(ctx, groupId, topics === null ? null : topics.filter((t) => !denied.has(t.name)), requireStable);
  if (r.errorCode !== ErrorCode.NONE) return r;
  const visible = topics === null ? r.topics.filter((t) => allowed(ctx, Op.DESCRIBE, Res.TOPIC, t.name)) : r.topics;
  const refused = failedGroup((topics ?? []).filter((t) => denied.has(t.name)), ErrorCode.TOPIC_AUTHORIZATION_FAILED).topics;
  return { errorCode: ErrorCode.NONE, topics: [...visible, ...refused] };
}

function failedGroup(topics: TopicsRequest, errorCode: number): { errorCode: number; topics: OffsetFetchResponseTopic[] } {
  return {
    errorCode: errorCode === ErrorCode.TOPIC_AUTHORIZATION_FAILED ? ErrorCode.NONE : errorCode,
    topics: (topics ?? []).map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode })),
    })),
  };
}

function fetchAuthorized(ctx: RequestContext, groupId: string, topics: TopicsRequest, requireStable: boolean): { errorCode: number; topics: OffsetFetchResponseTopic[] } {
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

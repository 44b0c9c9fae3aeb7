/**
 * OffsetDelete (v0, KIP-496): deletes a group's committed offsets for some partitions. Allowed for
 * Empty groups, and for consumer groups with members on topics none of them subscribes to
 * (GROUP_SUBSCRIBED_TO_TOPIC otherwise); other groups with members answer NON_EMPTY_GROUP.
 */
import { offsetDeleteApi, type OffsetDeleteRequest, type OffsetDeleteResponse } from '../protocol/messages/offset-delete.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { defineHandler } from './handler.js';
import { allowed, deniedNames, Op, Res } from './authz.js';

export const offsetDeleteHandler = defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>(offsetDeleteApi, async (ctx, req) => {
  const groups = ctx.broker.groupCoordinator;
  // Authorization (Kafka's): Delete on the group; Read on each topic (refused partitions TOPIC_AUTHORIZATION_FAILED, kept).
  if (!allowed(ctx, Op.DELETE, Res.GROUP, req.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
  const denied = deniedNames(ctx, Op.READ, Res.TOPIC, req.topics.map((t) => t.name));
  const topics = req.topics.filter((t) => !denied.has(t.name));
  const r = groups ? await groups.deleteOffsets(req.groupId, topics) : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
  const refused = req.topics
    .filter((t) => denied.has(t.name))
    .map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }));
  if (refused.length > 0 && r.errorCode === ErrorCode.NONE) return { errorCode: r.errorCode, throttleTimeMs: 0, topics: [...r.topics, ...refused] };
  return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
});

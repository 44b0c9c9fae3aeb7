/**
 * OffsetDelete (v0, KIP-496): deletes a group's committed offsets for some partitions. Allowed for
 * Empty groups, and for consumer groups with members on topics none of them subscribes to
 * (GROUP_SUBSCRIBED_TO_TOPIC otherwise); other groups with members answer NON_EMPTY_GROUP.
 */
import { offsetDeleteApi, type OffsetDeleteRequest, type OffsetDeleteResponse } from '../protocol/messages/offset-delete.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { defineHandler } from './handler.js';

export const offsetDeleteHandler = defineHandler<OffsetDeleteRequest, OffsetDeleteResponse>(offsetDeleteApi, async (ctx, req) => {
  const groups = ctx.broker.groupCoordinator;
  const r = groups ? await groups.deleteOffsets(req.groupId, req.topics) : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
  return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
});

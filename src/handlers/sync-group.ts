/**
 * SyncGroup (v0-5): after a join phase, the leader sends every member's assignment and each member
 * receives its own. Followers' requests are parked until the leader's assignment is stored in
 * `__consumer_offsets`; the coordinator never looks inside the assignment bytes.
 */
import { syncGroupApi, type SyncGroupRequest, type SyncGroupResponse } from '../protocol/messages/sync-group.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { syncError } from '../coordinator/group/classic-rebalance.js';
import { asRemote, defineHandler } from './handler.js';
import { allowed, Op, Res } from './authz.js';

export const syncGroupHandler = defineHandler<SyncGroupRequest, SyncGroupResponse>(syncGroupApi, async (ctx, req) => {
  const v = ctx.apiVersion;
  const groups = ctx.broker.groupCoordinator;
  if (!groups) return { throttleTimeMs: 0, ...syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE) };
  if (!allowed(ctx, Op.READ, Res.GROUP, req.groupId)) return { throttleTimeMs: 0, ...syncError(ErrorCode.GROUP_AUTHORIZATION_FAILED) };
  const result = await asRemote(
    ctx,
    groups.syncGroup(req.groupId, {
      memberId: req.memberId,
      groupInstanceId: v >= 3 ? req.groupInstanceId : null,
      generationId: req.generationId,
      protocolType: v >= 5 ? req.protocolType : null,
      protocolName: v >= 5 ? req.protocolName : null,
      assignments: req.assignments,
    }),
  );
  return { throttleTimeMs: 0, ...result };
});

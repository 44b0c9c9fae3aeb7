/**
 * Heartbeat (v0-4): keeps a member's session alive; answers REBALANCE_IN_PROGRESS while the group
 * rebalances so the member rejoins, ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID
 * for members the group no longer knows as they claim to be.
 */
import { heartbeatApi, type HeartbeatRequest, type HeartbeatResponse } from '../protocol/messages/heartbeat.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { defineHandler } from './handler.js';
import { allowed, Op, Res } from './authz.js';

export const heartbeatHandler = defineHandler<HeartbeatRequest, HeartbeatResponse>(heartbeatApi, (ctx, req) => ({
  throttleTimeMs: 0,
  errorCode: !allowed(ctx, Op.READ, Res.GROUP, req.groupId)
    ? ErrorCode.GROUP_AUTHORIZATION_FAILED
    : ctx.broker.groupCoordinator?.heartbeat(req.groupId, {
      memberId: req.memberId,
      groupInstanceId: ctx.apiVersion >= 3 ? req.groupInstanceId : null,
      generationId: req.generationId,
    }) ?? ErrorCode.COORDINATOR_NOT_AVAILABLE,
}));

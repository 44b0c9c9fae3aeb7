/**
 * LeaveGroup (v0-5): members leave at once instead of waiting for their session to expire, which
 * starts a rebalance for the rest. v0-2 name one member and carry its error at the top level; v3+
 * name several (by member id or group.instance.id, KIP-345) with one error each, and the top-level
 * code reports group-level failures only.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { leaveGroupApi, type LeaveGroupRequest, type LeaveGroupResponse } from '../protocol/messages/leave-group.js';
import { defineHandler } from './handler.js';
import { allowed, Op, Res } from './authz.js';

export const leaveGroupHandler = defineHandler<LeaveGroupRequest, LeaveGroupResponse>(leaveGroupApi, (ctx, req) => {
  const v = ctx.apiVersion;
  const leaving =
    v >= 3
      ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: v >= 5 ? m.reason : null }))
      : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
  const result = !allowed(ctx, Op.READ, Res.GROUP, req.groupId)
    ? { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, members: [] }
    : (ctx.broker.groupCoordinator?.leaveGroup(req.groupId, leaving) ?? { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] });
  if (v < 3) {
    const errorCode = result.errorCode !== ErrorCode.NONE ? result.errorCode : (result.members[0] ?? ErrorCode.UNKNOWN_MEMBER_ID);
    return { throttleTimeMs: 0, errorCode, members: [] };
  }
  if (result.errorCode !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: result.errorCode, members: [] };
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    members: leaving.map((m, i) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: result.members[i]! })),
  };
});

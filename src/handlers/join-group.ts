/**
 * JoinGroup (v0-9): a member joins or rejoins a classic group. The response is a long poll: the
 * coordinator parks the request until the join phase ends (every known member rejoined, or the
 * rebalance timeout passed), and this handler's promise resolves then. v4+ new members first get
 * MEMBER_ID_REQUIRED with their id (KIP-394); v5+ carry group.instance.id (static membership,
 * KIP-345); v0 has no rebalance timeout (the session timeout serves as one).
 */
import { joinGroupApi, type JoinGroupRequest, type JoinGroupResponse } from '../protocol/messages/join-group.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { joinError } from '../coordinator/group/classic-rebalance.js';
import { clientHostOf } from '../coordinator/group/group-coordinator.js';
import { asRemote, defineHandler } from './handler.js';
import { allowed, Op, Res } from './authz.js';

export const joinGroupHandler = defineHandler<JoinGroupRequest, JoinGroupResponse>(joinGroupApi, async (ctx, req) => {
  const v = ctx.apiVersion;
  const groups = ctx.broker.groupCoordinator;
  if (!groups) return { throttleTimeMs: 0, ...joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE) };
  if (!allowed(ctx, Op.READ, Res.GROUP, req.groupId)) return { throttleTimeMs: 0, ...joinError(req.memberId, ErrorCode.GROUP_AUTHORIZATION_FAILED) };
  const result = await asRemote(
    ctx,
    groups.joinGroup({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: v >= 5 ? req.groupInstanceId : null,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : -1,
      protocolType: req.protocolType,
      // Copies: the member keeps its metadata for the group's lifetime, the frame is gone after this request.
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      reason: v >= 8 ? req.reason : null,
      clientId: ctx.header.clientId ?? '',
      clientHost: clientHostOf(ctx.clientAddress),
      apiVersion: v,
    }),
  );
  return { throttleTimeMs: 0, ...result };
});

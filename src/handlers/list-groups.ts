/**
 * ListGroups (v0-4): every group coordinated by this broker (of the `__consumer_offsets`
 * partitions it leads), with its protocol type and, from v4, its state; v4's statesFilter keeps
 * only groups in the named states (case-insensitive; empty = all).
 */
import { listGroupsApi, type ListGroupsRequest, type ListGroupsResponse } from '../protocol/messages/list-groups.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { defineHandler } from './handler.js';
import { allowed, allowedOnCluster, Op, Res } from './authz.js';

export const listGroupsHandler = defineHandler<ListGroupsRequest, ListGroupsResponse>(listGroupsApi, (ctx, req) => {
  const result = ctx.broker.groupCoordinator?.listGroups(ctx.apiVersion >= 4 ? req.statesFilter : null) ?? { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
  // Authorization (Kafka's): Describe on the cluster lists every group; otherwise only the groups the principal may Describe.
  const groups = allowedOnCluster(ctx, Op.DESCRIBE) ? result.groups : result.groups.filter((g) => allowed(ctx, Op.DESCRIBE, Res.GROUP, g.groupId));
  return { throttleTimeMs: 0, errorCode: result.errorCode, groups };
});

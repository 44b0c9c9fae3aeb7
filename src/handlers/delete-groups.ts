/**
 * DeleteGroups (v0-2): removes Empty groups with their committed offsets (tombstones in
 * `__consumer_offsets`). A group with members answers NON_EMPTY_GROUP, an unknown one
 * GROUP_ID_NOT_FOUND.
 */
import { deleteGroupsApi, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../protocol/messages/delete-groups.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { defineHandler } from './handler.js';
import { deniedNames, Op, Res } from './authz.js';

export const deleteGroupsHandler = defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>(deleteGroupsApi, async (ctx, req) => {
  // Authorization (Kafka's): Delete on each group; refused ones answer GROUP_AUTHORIZATION_FAILED and stay.
  const denied = deniedNames(ctx, Op.DELETE, Res.GROUP, req.groupsNames);
  const names = req.groupsNames.filter((g) => !denied.has(g));
  const done = names.length === 0
    ? []
    : ctx.broker.groupCoordinator
    ? await ctx.broker.groupCoordinator.deleteGroups(names)
    : names.map((groupId) => ({ groupId, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE }));
  return { throttleTimeMs: 0, results: [...[...denied].map((groupId) => ({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED })), ...done] };
});

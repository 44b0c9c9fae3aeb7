/**
 * DeleteGroups (v0-2): removes Empty groups with their committed offsets (tombstones in
 * `__consumer_offsets`). A group with members answers NON_EMPTY_GROUP, an unknown one
 * GROUP_ID_NOT_FOUND.
 */
import { deleteGroupsApi, type DeleteGroupsRequest, type DeleteGroupsResponse } from '../protocol/messages/delete-groups.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { defineHandler } from './handler.js';

export const deleteGroupsHandler = defineHandler<DeleteGroupsRequest, DeleteGroupsResponse>(deleteGroupsApi, async (ctx, req) => ({
  throttleTimeMs: 0,
  results: ctx.broker.groupCoordinator
    ? await ctx.broker.groupCoordinator.deleteGroups(req.groupsNames)
    : req.groupsNames.map((groupId) => ({ groupId, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE })),
}));

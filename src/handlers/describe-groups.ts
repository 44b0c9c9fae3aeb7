/**
 * DescribeGroups (v0-5): state, protocol and members of each named group. Member metadata and
 * assignments are filled only while the group is Stable (they are the current generation's then);
 * an unknown group is described as Dead with no members, as Kafka does before v6.
 */
import { describeGroupsApi, type DescribeGroupsRequest, type DescribeGroupsResponse } from '../protocol/messages/describe-groups.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { defineHandler } from './handler.js';
import { allowed, Op, Res } from './authz.js';

/** Kafka's "authorized operations not requested / unknown" marker. */
const AUTHORIZED_OPERATIONS_UNKNOWN = -2147483648;

export const describeGroupsHandler = defineHandler<DescribeGroupsRequest, DescribeGroupsResponse>(describeGroupsApi, (ctx, req) => ({
  throttleTimeMs: 0,
  groups: req.groups.map((id) => ({
    ...(!allowed(ctx, Op.DESCRIBE, Res.GROUP, id)
      ? { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId: id, groupState: '', protocolType: '', protocolData: '', members: [] }
      : ctx.broker.groupCoordinator?.describeGroup(id) ?? {
      errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
      groupId: id,
      groupState: '',
      protocolType: '',
      protocolData: '',
      members: [],
    }),
    authorizedOperations: AUTHORIZED_OPERATIONS_UNKNOWN,
  })),
}));

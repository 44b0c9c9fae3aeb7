/**
 * DescribeAcls: the stored ACLs a filter selects, grouped by resource pattern. Needs Describe on the
 * cluster (CLUSTER_AUTHORIZATION_FAILED); SECURITY_DISABLED when no authorizer is configured, as Kafka.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { describeAclsApi, type DescribeAclsRequest, type DescribeAclsResponse } from '../protocol/messages/describe-acls.js';
import { filterMatches, filterProblem } from '../security/acl.js';
import { bindingsOf, byPattern, entryCodes, filterOf, SECURITY_DISABLED_MESSAGE } from './acl-common.js';
import { allowedOnCluster, Op } from './authz.js';
import { defineHandler } from './handler.js';

const answer = (errorCode: number, errorMessage: string | null): DescribeAclsResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, resources: [] });

export const describeAclsHandler = defineHandler<DescribeAclsRequest, DescribeAclsResponse>(describeAclsApi, (ctx, req) => {
  if (!allowedOnCluster(ctx, Op.DESCRIBE)) return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
  const store = ctx.broker.security;
  if (ctx.broker.authorizer === undefined || store === undefined) return answer(ErrorCode.SECURITY_DISABLED, SECURITY_DISABLED_MESSAGE);
  const filter = filterOf(req, ctx.apiVersion);
  const problem = filterProblem(filter);
  if (problem !== null) return answer(ErrorCode.INVALID_REQUEST, problem);
  const matched = bindingsOf(store.state).filter((b) => filterMatches(filter, b));
  return {
    ...answer(ErrorCode.NONE, null),
    resources: byPattern(matched).map((g) => ({
      resourceType: g.pattern.resourceType,
      resourceName: g.pattern.name,
      patternType: g.pattern.patternType,
      acls: g.bindings.map((b) => ({ principal: b.entry.principal, host: b.entry.host, ...entryCodes(b) })),
    })),
  };
});

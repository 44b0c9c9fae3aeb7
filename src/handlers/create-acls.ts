/**
 * CreateAcls: stores each creation (LITERAL or PREFIXED, Allow or Deny); one result per creation, in
 * order. Needs Alter on the cluster (every result CLUSTER_AUTHORIZATION_FAILED, nothing stored);
 * SECURITY_DISABLED when no authorizer is configured. An invalid binding answers INVALID_REQUEST
 * naming the problem; adding a binding that exists already succeeds and changes nothing.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { createAclsApi, type CreateAclsRequest, type CreateAclsResponse } from '../protocol/messages/create-acls.js';
import { bindingProblem, operationName, permissionName, PatternType, sameEntry, type AclBinding, type ResourceTypeCode } from '../security/acl.js';
import { byPattern, SECURITY_DISABLED_MESSAGE } from './acl-common.js';
import { allowedOnCluster, Op } from './authz.js';
import { defineHandler } from './handler.js';

export const createAclsHandler = defineHandler<CreateAclsRequest, CreateAclsResponse>(createAclsApi, async (ctx, req) => {
  const all = (errorCode: number, errorMessage: string): CreateAclsResponse => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) });
  if (!allowedOnCluster(ctx, Op.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
  const store = ctx.broker.security;
  if (ctx.broker.authorizer === undefined || store === undefined) return all(ErrorCode.SECURITY_DISABLED, SECURITY_DISABLED_MESSAGE);
  const results = req.creations.map(() => ({ errorCode: ErrorCode.NONE as number, errorMessage: null as string | null }));
  const valid: Array<AclBinding & { index: number }> = [];
  req.creations.forEach((c, index) => {
    const patternType = ctx.apiVersion >= 1 ? c.resourcePatternType : PatternType.LITERAL;
    const problem = bindingProblem({ resourceType: c.resourceType, name: c.resourceName, patternType, principal: c.principal, host: c.host, operation: c.operation, permissionType: c.permissionType });
    if (problem !== null) {
      results[index] = { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem };
      return;
    }
    valid.push({
      index,
      pattern: { resourceType: c.resourceType as ResourceTypeCode, name: c.resourceName, patternType: patternType as typeof PatternType.LITERAL | typeof PatternType.PREFIXED },
      entry: { principal: c.principal, permissionType: permissionName(c.permissionType) as 'Allow' | 'Deny', operation: operationName(c.operation), host: c.host },
    });
  });
  for (const g of byPattern(valid)) {
    try {
      await store.updateAcls(g.pattern, (current) => [...current, ...g.bindings.map((b) => b.entry).filter((e, i, added) => !current.some((c) => sameEntry(c, e)) && added.findIndex((x) => sameEntry(x, e)) === i)]);
      ctx.log.info({ pattern: g.pattern, acls: g.bindings.map((b) => b.entry) }, 'ACLs added');
    } catch (err) {
      ctx.log.warn({ err, pattern: g.pattern }, 'storing ACLs failed');
      for (const b of g.bindings as Array<AclBinding & { index: number }>) results[b.index] = { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: `Storing the ACL failed: ${(err as Error).message}` };
    }
  }
  return { throttleTimeMs: 0, results };
});

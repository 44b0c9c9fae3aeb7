/**
 * DeleteAcls: removes every stored ACL each filter selects and reports them, one result per filter.
 * Needs Alter on the cluster (every filter CLUSTER_AUTHORIZATION_FAILED, nothing removed);
 * SECURITY_DISABLED when no authorizer is configured.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { deleteAclsApi, type DeleteAclsMatchingAcl, type DeleteAclsRequest, type DeleteAclsResponse } from '../protocol/messages/delete-acls.js';
import { filterMatches, filterProblem, sameEntry, type AclBinding } from '../security/acl.js';
import { bindingsOf, byPattern, entryCodes, filterOf, SECURITY_DISABLED_MESSAGE } from './acl-common.js';
import { allowedOnCluster, Op } from './authz.js';
import { defineHandler } from './handler.js';

function described(b: AclBinding, errorCode = ErrorCode.NONE as number, errorMessage: string | null = null): DeleteAclsMatchingAcl {
  return { errorCode, errorMessage, resourceType: b.pattern.resourceType, resourceName: b.pattern.name, patternType: b.pattern.patternType, principal: b.entry.principal, host: b.entry.host, ...entryCodes(b) };
}

export const deleteAclsHandler = defineHandler<DeleteAclsRequest, DeleteAclsResponse>(deleteAclsApi, async (ctx, req) => {
  const all = (errorCode: number, errorMessage: string): DeleteAclsResponse => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
  if (!allowedOnCluster(ctx, Op.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
  const store = ctx.broker.security;
  if (ctx.broker.authorizer === undefined || store === undefined) return all(ErrorCode.SECURITY_DISABLED, SECURITY_DISABLED_MESSAGE);
  const stored = bindingsOf(store.state);
  const filterResults: DeleteAclsResponse['filterResults'] = [];
  for (const fields of req.filters) {
    const filter = filterOf(fields, ctx.apiVersion);
    const problem = filterProblem(filter);
    if (problem !== null) {
      filterResults.push({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, matchingAcls: [] });
      continue;
    }
    const matched = stored.filter((b) => filterMatches(filter, b));
    const matchingAcls: DeleteAclsMatchingAcl[] = [];
    for (const g of byPattern(matched)) {
      try {
        await store.updateAcls(g.pattern, (current) => current.filter((c) => !g.bindings.some((b) => sameEntry(b.entry, c))));
        matchingAcls.push(...g.bindings.map((b) => described(b)));
        ctx.log.info({ pattern: g.pattern, acls: g.bindings.map((b) => b.entry) }, 'ACLs removed');
      } catch (err) {
        ctx.log.warn({ err, pattern: g.pattern }, 'removing ACLs failed');
        matchingAcls.push(...g.bindings.map((b) => described(b, ErrorCode.UNKNOWN_SERVER_ERROR, `Removing the ACL failed: ${(err as Error).message}`)));
      }
    }
    filterResults.push({ errorCode: ErrorCode.NONE, errorMessage: null, matchingAcls });
  }
  return { throttleTimeMs: 0, filterResults };
});

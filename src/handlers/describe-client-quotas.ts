/**
 * DescribeClientQuotas: the stored quotas of the entities the components select (exact name, the
 * default entity, or any entity of a type; `strict` leaves out entities of other types too).
 * Needs DescribeConfigs on the cluster (CLUSTER_AUTHORIZATION_FAILED).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { describeClientQuotasApi, type DescribeClientQuotasRequest, type DescribeClientQuotasResponse, type QuotaEntityPart } from '../protocol/messages/describe-client-quotas.js';
import { allowedOnCluster, Op } from './authz.js';
import { CLIENT_ID, entityOfStoredPath, USER } from './client-quota-entities.js';
import { defineHandler } from './handler.js';

const MATCH_EXACT = 0;
const MATCH_DEFAULT = 1;
const MATCH_ANY = 2;

const answer = (errorCode: number, errorMessage: string | null): DescribeClientQuotasResponse => ({ throttleTimeMs: 0, errorCode, errorMessage, entries: errorCode === ErrorCode.NONE ? [] : null });

function selected(entity: QuotaEntityPart[], req: DescribeClientQuotasRequest): boolean {
  for (const c of req.components) {
    const part = entity.find((p) => p.entityType === c.entityType);
    if (part === undefined) return false;
    if (c.matchType === MATCH_EXACT && part.entityName !== c.match) return false;
    if (c.matchType === MATCH_DEFAULT && part.entityName !== null) return false;
  }
  return !req.strict || entity.every((p) => req.components.some((c) => c.entityType === p.entityType));
}

export const describeClientQuotasHandler = defineHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponse>(describeClientQuotasApi, (ctx, req) => {
  if (!allowedOnCluster(ctx, Op.DESCRIBE_CONFIGS)) return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
  for (const c of req.components) {
    if (c.entityType !== USER && c.entityType !== CLIENT_ID && c.entityType !== 'ip') return answer(ErrorCode.INVALID_REQUEST, `Unknown entity type '${c.entityType}'`);
    if (c.matchType !== MATCH_EXACT && c.matchType !== MATCH_DEFAULT && c.matchType !== MATCH_ANY) return answer(ErrorCode.INVALID_REQUEST, `Unknown match type ${c.matchType}`);
    if (c.matchType === MATCH_EXACT && c.match === null) return answer(ErrorCode.INVALID_REQUEST, `An exact match of ${c.entityType} needs a name`);
  }
  const store = ctx.broker.security;
  const entries: NonNullable<DescribeClientQuotasResponse['entries']> = [];
  for (const [path, values] of store?.state.quotas ?? []) {
    const entity = entityOfStoredPath(path);
    if (entity === null || !selected(entity, req)) continue;
    entries.push({ entity, values: Object.entries(values).map(([key, value]) => ({ key, value })) });
  }
  return { ...answer(ErrorCode.NONE, null), entries };
});

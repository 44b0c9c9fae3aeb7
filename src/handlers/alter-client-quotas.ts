/**
 * AlterClientQuotas: sets or removes quota keys of user, client-id and (user, client-id) entities,
 * `<default>` ones included (entityName null). Each entry is checked on its own (INVALID_REQUEST
 * naming the problem); `validateOnly` stores nothing. Needs AlterConfigs on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED, nothing stored). The new quotas reach every broker through the
 * SecurityStore's change notifications.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { alterClientQuotasApi, type AlterClientQuotasRequest, type AlterClientQuotasResponse } from '../protocol/messages/alter-client-quotas.js';
import { allowedOnCluster, Op } from './authz.js';
import { pathOfEntity, quotaValueProblem } from './client-quota-entities.js';
import { defineHandler } from './handler.js';

export const alterClientQuotasHandler = defineHandler<AlterClientQuotasRequest, AlterClientQuotasResponse>(alterClientQuotasApi, async (ctx, req) => {
  const results: AlterClientQuotasResponse['entries'] = [];
  const mayAlter = allowedOnCluster(ctx, Op.ALTER_CONFIGS);
  for (const e of req.entries) {
    const done = (errorCode: number, errorMessage: string | null): void => void results.push({ errorCode, errorMessage, entity: e.entity });
    if (!mayAlter) {
      done(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
      continue;
    }
    const target = pathOfEntity(e.entity);
    if ('problem' in target) {
      done(ErrorCode.INVALID_REQUEST, target.problem);
      continue;
    }
    const changes: Record<string, number | null> = {};
    let problem: string | null = null;
    for (const op of e.ops) {
      if (op.key in changes) problem ??= `Quota ${op.key} appears twice in one entry`;
      else if (op.remove) changes[op.key] = null;
      else problem ??= quotaValueProblem(op.key, op.value);
      if (!op.remove) changes[op.key] = op.value;
    }
    if (problem !== null) {
      done(ErrorCode.INVALID_REQUEST, problem);
      continue;
    }
    const store = ctx.broker.security;
    if (store === undefined) {
      done(ErrorCode.UNKNOWN_SERVER_ERROR, 'This broker has no quota store.');
      continue;
    }
    if (!req.validateOnly) {
      try {
        await store.updateQuotas(target.path, changes);
        ctx.log.info({ entity: target.path, changes }, 'client quotas changed');
      } catch (err) {
        ctx.log.warn({ err, entity: target.path }, 'storing client quotas failed');
        done(ErrorCode.UNKNOWN_SERVER_ERROR, `Storing the quotas failed: ${(err as Error).message}`);
        continue;
      }
    }
    done(ErrorCode.NONE, null);
  }
  return { throttleTimeMs: 0, entries: results };
});

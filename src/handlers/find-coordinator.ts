/**
 * FindCoordinator (v0-4): which broker coordinates a group. Groups are coordinated by the leader of
 * their `__consumer_offsets` partition (GroupCoordinator.findGroupCoordinator, which also creates
 * the topic on first use). v4 looks up several keys at once (KIP-699), earlier versions one.
 * Transaction coordinators (keyType 1) are the leaders of the transactional id's `__transaction_state`
 * partition (TransactionCoordinator.findCoordinator, which creates that topic on first use). Other
 * key types are INVALID_REQUEST.
 */
import { brokerEndpoint } from '../cluster/metadata-image.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { findCoordinatorApi, type FindCoordinatorRequest, type FindCoordinatorResponse } from '../protocol/messages/find-coordinator.js';
import type { CoordinatorLookup } from '../coordinator/led-shards.js';
import { defineHandler, type RequestContext } from './handler.js';
import { allowed, Op, Res } from './authz.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

function failed(errorCode: number, errorMessage: string): CoordinatorLookup {
  return { errorCode, errorMessage, nodeId: -1, host: '', port: -1 };
}

/** The coordinator's address on the listener the request came in on. */
function onListener(ctx: RequestContext, found: CoordinatorLookup): CoordinatorLookup {
  if (found.errorCode !== ErrorCode.NONE) return found;
  const broker = ctx.image.brokers.get(found.nodeId);
  const ep = broker ? brokerEndpoint(broker, ctx.listenerName) : null;
  if (ep === null) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE, `The coordinator (broker ${found.nodeId}) has no endpoint on listener ${ctx.listenerName ?? ''}.`);
  return { ...found, host: ep.host, port: ep.port };
}

async function lookup(ctx: RequestContext, keyType: number, key: string): Promise<CoordinatorLookup> {
  // Authorization (Kafka's): Describe on the group or the transactional id.
  if (keyType === KEY_TYPE_GROUP && !allowed(ctx, Op.DESCRIBE, Res.GROUP, key)) return failed(ErrorCode.GROUP_AUTHORIZATION_FAILED, 'Group authorization failed.');
  if (keyType === KEY_TYPE_TRANSACTION && !allowed(ctx, Op.DESCRIBE, Res.TRANSACTIONAL_ID, key)) return failed(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'Transactional Id authorization failed.');
  if (keyType === KEY_TYPE_GROUP) {
    const groups = ctx.broker.groupCoordinator;
    if (!groups) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'No group coordinator runs on this broker.');
    return onListener(ctx, await groups.findGroupCoordinator(key));
  }
  if (keyType === KEY_TYPE_TRANSACTION) {
    const txns = ctx.broker.txnCoordinator;
    if (!txns) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'No transaction coordinator runs on this broker.');
    if (key === '') return failed(ErrorCode.INVALID_REQUEST, 'The transactional id must not be empty.');
    return onListener(ctx, await txns.findCoordinator(key));
  }
  return failed(ErrorCode.INVALID_REQUEST, `Unknown coordinator key type ${keyType}.`);
}

export const findCoordinatorHandler = defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>(findCoordinatorApi, async (ctx, req) => {
  const keyType = ctx.apiVersion >= 1 ? req.keyType : KEY_TYPE_GROUP;
  if (ctx.apiVersion >= 4) {
    const coordinators = await Promise.all(req.coordinatorKeys.map(async (key) => ({ key, ...(await lookup(ctx, keyType, key)) })));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators };
  }
  const one = await lookup(ctx, keyType, req.key);
  if (one.errorCode !== ErrorCode.NONE) ctx.log.debug({ key: req.key, errorCode: one.errorCode }, 'coordinator lookup failed');
  return { throttleTimeMs: 0, ...one, coordinators: [] };
});

/**
 * InitProducerId (v0-4).
 *
 * Idempotent producers (transactionalId null): a fresh producer id with epoch 0, as Kafka's
 * coordinator does for a null transactionalId (any producerId/epoch the client sends in v3+ is
 * ignored; a new id is always allocated). Ids come from the cluster-wide block allocator
 * (coordinator/txn/producer-id-manager.ts: blocks reserved through ZooKeeper's
 * /latest_producer_id_block or the embedded/KRaft controller's durable document), so no two
 * brokers and no two runs ever hand out the same id. When no block can be reserved the answer is
 * COORDINATOR_NOT_AVAILABLE (clients retry).
 *
 * Transactional producers: the transaction coordinator (TransactionCoordinator.initProducerId):
 * NOT_COORDINATOR when this broker does not coordinate the id, INVALID_TRANSACTION_TIMEOUT outside
 * (0, transaction.max.timeout.ms], epoch bump and fencing of the previous producer, an ongoing
 * transaction aborted first (CONCURRENT_TRANSACTIONS until it is), KIP-360 id/epoch in v3+.
 * PRODUCER_FENCED is answered from v4; older versions get INVALID_PRODUCER_EPOCH, as in Kafka.
 *
 * v3+: exactly one of producerId / producerEpoch set to -1 is INVALID_REQUEST, as in Kafka's
 * KafkaApis; an empty transactionalId is INVALID_REQUEST.
 */
import { ProducerIdAllocationError, ProducerIdManager } from '../coordinator/txn/producer-id-manager.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { initProducerIdApi, type InitProducerIdRequest, type InitProducerIdResponse } from '../protocol/messages/init-producer-id.js';
import { producerFencedFor } from './errors.js';
import { defineHandler, type BrokerContext } from './handler.js';
import { allowed, allowedOnCluster, Op, Res } from './authz.js';

const NO_PRODUCER_ID = -1n;
const NO_PRODUCER_EPOCH = -1;
const FIRST_VERSION_WITH_PRODUCER_FENCED = 4;

/** Contexts without a broker-wide allocator (handler tests) get one over their controller. */
const fallbackManagers = new WeakMap<BrokerContext, ProducerIdManager>();

export function producerIdsOf(broker: BrokerContext): ProducerIdManager {
  if (broker.producerIds) return broker.producerIds;
  let m = fallbackManagers.get(broker);
  if (!m) fallbackManagers.set(broker, (m = new ProducerIdManager(broker.brokerId, broker.controller)));
  return m;
}

function refuse(errorCode: number): InitProducerIdResponse {
  return { throttleTimeMs: 0, errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
}

export const initProducerIdHandler = defineHandler<InitProducerIdRequest, InitProducerIdResponse>(initProducerIdApi, async (ctx, req) => {
  const hasExpected = ctx.apiVersion >= 3 && req.producerId !== NO_PRODUCER_ID;
  if (ctx.apiVersion >= 3) {
    const noId = req.producerId === NO_PRODUCER_ID;
    const noEpoch = req.producerEpoch === NO_PRODUCER_EPOCH;
    if (noId !== noEpoch) return refuse(ErrorCode.INVALID_REQUEST);
  }
  // Authorization (Kafka 3.x): a transactional producer needs Write on its transactional id; an
  // idempotent one IdempotentWrite on the cluster or Write on at least one topic (KIP-679).
  if (req.transactionalId && !allowed(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId)) return refuse(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  if (req.transactionalId === null && ctx.broker.authorizer !== undefined && !allowedOnCluster(ctx, Op.IDEMPOTENT_WRITE) && !ctx.broker.authorizer.authorizeAny(ctx, Op.WRITE, Res.TOPIC)) {
    return refuse(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  }
  if (req.transactionalId !== null) {
    if (req.transactionalId === '') return refuse(ErrorCode.INVALID_REQUEST);
    const txns = ctx.broker.txnCoordinator;
    if (!txns) return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const r = await txns.initProducerId(req.transactionalId, req.transactionTimeoutMs, hasExpected ? { producerId: req.producerId, producerEpoch: req.producerEpoch } : null);
    if (r.errorCode !== ErrorCode.NONE) {
      ctx.log.debug({ transactionalId: req.transactionalId, errorCode: r.errorCode }, 'InitProducerId refused');
      return refuse(producerFencedFor(r.errorCode, ctx.apiVersion, FIRST_VERSION_WITH_PRODUCER_FENCED));
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch };
  }
  let producerId: bigint;
  try {
    producerId = await producerIdsOf(ctx.broker).generate();
  } catch (err) {
    if (!(err instanceof ProducerIdAllocationError)) throw err;
    ctx.log.warn({ err: err.message }, 'no producer id available; answering COORDINATOR_NOT_AVAILABLE');
    return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  }
  ctx.log.debug({ producerId: producerId.toString() }, 'allocated producer id');
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
});

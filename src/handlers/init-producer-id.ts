/**
 * InitProducerId (v0-4) for idempotent producers (transactionalId null): hands out a fresh producer
 * id with epoch 0, as Kafka's transaction coordinator does for a null transactionalId (it ignores
 * any producerId/epoch the client sends in v3+ and always allocates a new id). A v3+ request with
 * exactly one of producerId / producerEpoch set to -1 is INVALID_REQUEST, as in Kafka's KafkaApis.
 *
 * Producer ids. Kafka allocates them in blocks from the controller so they are never reused. We
 * have no durable counter here (handlers do no I/O, and the controller's document has no field for
 * it yet), so ids are anchored to the wall clock: id = max(previous + 1, nowMs * 2^20). Ids from a
 * later process start above every id an earlier process gave out unless that process handed out
 * more than 2^20 ids per millisecond of its life, or the clock went backwards between the two
 * runs. Reuse matters once storage checks sequence numbers (a restarted broker could otherwise take
 * a new producer's first batches for duplicates of an old one's). nowMs * 2^20 fits in int64 until
 * the year 2248. The counter is per broker (keyed by its BrokerContext), so brokers sharing one
 * process in tests stay independent. In a multi-broker cluster, two brokers may allocate the same
 * id; allocation must then move to the controller (block allocation, as Kafka does).
 *
 * Transactions are not implemented. A request with a transactionalId is answered
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED: of the codes a broker may return here, it is the one that
 * Java (TransactionalIdAuthorizationException), librdkafka (rd_kafka_idemp_check_error marks it
 * fatal) and kafkajs (not retriable) all surface at once instead of retrying until
 * transaction.timeout.ms; COORDINATOR_NOT_AVAILABLE or NOT_COORDINATOR would make clients retry
 * silently. The broker logs why at warn level. An empty transactionalId is INVALID_REQUEST, as in
 * Kafka.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { initProducerIdApi, type InitProducerIdRequest, type InitProducerIdResponse } from '../protocol/messages/init-producer-id.js';
import { defineHandler, type BrokerContext } from './handler.js';
import { allowed, allowedOnCluster, Op, Res } from './authz.js';

const NO_PRODUCER_ID = -1n;
const NO_PRODUCER_EPOCH = -1;
const CLOCK_SHIFT = 20n;

const nextIdByBroker = new WeakMap<BrokerContext, bigint>();

/** The next producer id for this broker (see the file comment for why it is clock-anchored). */
export function allocateProducerId(broker: BrokerContext): bigint {
  const floor = BigInt(Math.max(0, Math.floor(broker.clock.nowMs()))) << CLOCK_SHIFT;
  const next = nextIdByBroker.get(broker) ?? 0n;
  const id = next > floor ? next : floor;
  nextIdByBroker.set(broker, id + 1n);
  return id;
}

function refuse(errorCode: number): InitProducerIdResponse {
  return { throttleTimeMs: 0, errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
}

export const initProducerIdHandler = defineHandler<InitProducerIdRequest, InitProducerIdResponse>(initProducerIdApi, (ctx, req) => {
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
    ctx.log.warn(
      { transactionalId: req.transactionalId },
      'refused InitProducerId for a transactional producer: Samsa does not support transactions yet ' +
        '(answered TRANSACTIONAL_ID_AUTHORIZATION_FAILED so the client fails at once)',
    );
    return refuse(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  }
  const producerId = allocateProducerId(ctx.broker);
  ctx.log.debug({ producerId: producerId.toString() }, 'allocated producer id');
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
});

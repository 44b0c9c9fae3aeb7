/**
 * AddOffsetsToTxn (v0-4): the group's `__consumer_offsets` partition joins the producer's
 * transaction, so the coordinator writes a marker there too when the transaction ends (and the
 * group coordinator then commits or drops the transaction's offsets). PRODUCER_FENCED is
 * INVALID_PRODUCER_EPOCH before v2.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { addOffsetsToTxnApi, type AddOffsetsToTxnRequest, type AddOffsetsToTxnResponse } from '../protocol/messages/add-offsets-to-txn.js';
import { producerFencedFor } from './errors.js';
import { allowed, Op, Res } from './authz.js';
import { defineHandler } from './handler.js';

export const addOffsetsToTxnHandler = defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(addOffsetsToTxnApi, async (ctx, req) => {
  const txns = ctx.broker.txnCoordinator;
  if (req.transactionalId === '') return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST };
  if (req.groupId === '') return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_GROUP_ID };
  // Kafka's checks: Write on the transactional id, then Read on the group.
  if (!allowed(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
  if (!allowed(ctx, Op.READ, Res.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
  if (!txns) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
  const code = await txns.addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId);
  return { throttleTimeMs: 0, errorCode: producerFencedFor(code, ctx.apiVersion, 2) };
});

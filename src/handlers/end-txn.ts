/**
 * EndTxn (v0-4): commits or aborts the producer's transaction. The answer comes once the
 * coordinator has durably written PrepareCommit / PrepareAbort; the markers and the Complete record
 * follow asynchronously (TransactionCoordinator.endTxn). PRODUCER_FENCED is INVALID_PRODUCER_EPOCH
 * before v2. v5 (KIP-890 part 2: an epoch bump at the end of every transaction) is not implemented
 * and not advertised. Authorization: Write on the transactional id.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { endTxnApi, type EndTxnRequest, type EndTxnResponse } from '../protocol/messages/end-txn.js';
import { producerFencedFor } from './errors.js';
import { allowed, Op, Res } from './authz.js';
import { defineHandler } from './handler.js';

export const endTxnHandler = defineHandler<EndTxnRequest, EndTxnResponse>(
  endTxnApi,
  async (ctx, req) => {
    const answer = (errorCode: number): EndTxnResponse => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
    const txns = ctx.broker.txnCoordinator;
    if (req.transactionalId === '') return answer(ErrorCode.INVALID_REQUEST);
    if (!allowed(ctx, Op.WRITE, Res.TRANSACTIONAL_ID, req.transactionalId)) return answer(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (!txns) return answer(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const code = await txns.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    if (code !== ErrorCode.NONE) ctx.log.debug({ transactionalId: req.transactionalId, commit: req.committed, errorCode: code }, 'EndTxn refused');
    return answer(producerFencedFor(code, ctx.apiVersion, 2));
  },
  { versionMax: 4 },
);

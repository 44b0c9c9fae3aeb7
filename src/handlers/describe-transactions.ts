/**
 * DescribeTransactions (v0, KIP-664): state, timeout, start time, producer id/epoch and partitions
 * of each transactional id this broker coordinates; NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS
 * for ids coordinated elsewhere or still loading, TRANSACTIONAL_ID_NOT_FOUND for unknown ones.
 * Authorization: Describe on each id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED for the others).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { describeTransactionsApi, type DescribeTransactionsRequest, type DescribeTransactionsResponse } from '../protocol/messages/describe-transactions.js';
import { describedTxnError } from '../coordinator/txn/transaction-coordinator.js';
import { deniedNames, Op, Res } from './authz.js';
import { defineHandler } from './handler.js';

export const describeTransactionsHandler = defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>(describeTransactionsApi, (ctx, req) => {
  const txns = ctx.broker.txnCoordinator;
  // Describe on each transactional id (Kafka's check); refused ids answer TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
  const denied = deniedNames(ctx, Op.DESCRIBE, Res.TRANSACTIONAL_ID, req.transactionalIds);
  const allowedIds = req.transactionalIds.filter((id) => !denied.has(id));
  const described = allowedIds.length === 0 ? [] : txns ? txns.describe(allowedIds) : allowedIds.map((id) => describedTxnError(id, ErrorCode.COORDINATOR_NOT_AVAILABLE));
  const byId = new Map(described.map((s) => [s.transactionalId, s]));
  const transactionStates = req.transactionalIds.map((id) => (denied.has(id) ? describedTxnError(id, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED) : byId.get(id)!));
  return { throttleTimeMs: 0, transactionStates };
});

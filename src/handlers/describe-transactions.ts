/**
 * DescribeTransactions (v0, KIP-664): state, timeout, start time, producer id/epoch and partitions
 * of each transactional id this broker coordinates; NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS
 * for ids coordinated elsewhere or still loading, TRANSACTIONAL_ID_NOT_FOUND for unknown ones.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { describeTransactionsApi, type DescribeTransactionsRequest, type DescribeTransactionsResponse } from '../protocol/messages/describe-transactions.js';
import { defineHandler } from './handler.js';

export const describeTransactionsHandler = defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponse>(describeTransactionsApi, (ctx, req) => {
  const txns = ctx.broker.txnCoordinator;
  const transactionStates = txns
    ? txns.describe(req.transactionalIds)
    : req.transactionalIds.map((transactionalId) => ({
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
        transactionalId,
        transactionState: '',
        transactionTimeoutMs: 0,
        transactionStartTimeMs: -1n,
        producerId: -1n,
        producerEpoch: -1,
        topics: [],
      }));
  return { throttleTimeMs: 0, transactionStates };
});

/**
 * ListTransactions (v0-1, KIP-664 / KIP-994): the transactions of every `__transaction_state`
 * partition this broker coordinates, filtered by state names (unknown names are echoed in
 * unknownStateFilters and match nothing), producer ids and, from v1, a minimum running time in ms
 * (durationFilter; -1 none). COORDINATOR_LOAD_IN_PROGRESS while a partition is still loading.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { listTransactionsApi, type ListTransactionsRequest, type ListTransactionsResponse } from '../protocol/messages/list-transactions.js';
import { authorizing, deniedNames, Op, Res } from './authz.js';
import { defineHandler } from './handler.js';

export const listTransactionsHandler = defineHandler<ListTransactionsRequest, ListTransactionsResponse>(listTransactionsApi, (ctx, req) => {
  const txns = ctx.broker.txnCoordinator;
  if (!txns) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], transactionStates: [] };
  const durationFilterMs = ctx.apiVersion >= 1 ? Number(req.durationFilter) : -1;
  const listed = txns.list(req.stateFilters, req.producerIdFilters, durationFilterMs);
  if (!authorizing(ctx)) return { throttleTimeMs: 0, ...listed };
  // Kafka lists only the ids the principal may Describe.
  const denied = deniedNames(ctx, Op.DESCRIBE, Res.TRANSACTIONAL_ID, listed.transactionStates.map((t) => t.transactionalId));
  return { throttleTimeMs: 0, ...listed, transactionStates: listed.transactionStates.filter((t) => !denied.has(t.transactionalId)) };
});

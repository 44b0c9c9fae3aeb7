/**
 * ListTransactions (key 66), versions 0-1, flexible (KIP-664; v1 adds durationFilter, KIP-994).
 * Request: stateFilters, producerIdFilters, durationFilter (v1+: only transactions running longer
 * than this many ms; -1 none).
 * Response: throttleTimeMs, errorCode, unknownStateFilters, transactionStates[transactionalId,
 * producerId, transactionState].
 */
import { f, type ApiDef } from '../schema.js';

export const listTransactionsApi: ApiDef = {
  apiKey: 66,
  name: 'ListTransactions',
  versionMin: 0,
  versionMax: 1,
  flexibleMin: 0,
  request: [f('stateFilters', 'string[]'), f('producerIdFilters', 'int64[]'), f('durationFilter', 'int64', '1+', { default: -1n })],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16'),
    f('unknownStateFilters', 'string[]'),
    f('transactionStates', [f('transactionalId', 'string'), f('producerId', 'int64'), f('transactionState', 'string')]),
  ],
};

export interface ListTransactionsRequest {
  stateFilters: string[];
  producerIdFilters: bigint[];
  durationFilter: bigint;
}

export interface ListTransactionsResponse {
  throttleTimeMs: number;
  errorCode: number;
  unknownStateFilters: string[];
  transactionStates: Array<{ transactionalId: string; producerId: bigint; transactionState: string }>;
}

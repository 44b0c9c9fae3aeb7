/**
 * DescribeTransactions (key 65), version 0, flexible (KIP-664).
 * Request: transactionalIds.
 * Response: throttleTimeMs, transactionStates[errorCode, transactionalId, transactionState,
 * transactionTimeoutMs, transactionStartTimeMs, producerId, producerEpoch, topics[topic, partitions]].
 */
import { f, type ApiDef } from '../schema.js';

export const describeTransactionsApi: ApiDef = {
  apiKey: 65,
  name: 'DescribeTransactions',
  versionMin: 0,
  versionMax: 0,
  flexibleMin: 0,
  request: [f('transactionalIds', 'string[]')],
  response: [
    f('throttleTimeMs', 'int32'),
    f('transactionStates', [
      f('errorCode', 'int16'),
      f('transactionalId', 'string'),
      f('transactionState', 'string'),
      f('transactionTimeoutMs', 'int32'),
      f('transactionStartTimeMs', 'int64'),
      f('producerId', 'int64'),
      f('producerEpoch', 'int16'),
      f('topics', [f('topic', 'string'), f('partitions', 'int32[]')]),
    ]),
  ],
};

export interface DescribeTransactionsRequest {
  transactionalIds: string[];
}

export interface DescribedTransaction {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: bigint;
  producerId: bigint;
  producerEpoch: number;
  topics: Array<{ topic: string; partitions: number[] }>;
}

export interface DescribeTransactionsResponse {
  throttleTimeMs: number;
  transactionStates: DescribedTransaction[];
}

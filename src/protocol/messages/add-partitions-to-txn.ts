/**
 * AddPartitionsToTxn (key 24), versions 0-5, flexible from 3.
 * Request: v0-3 one transaction (transactionalId, producerId, producerEpoch, topics[name,
 * partitions]); v4+ a batch of transactions[transactionalId, producerId, producerEpoch, verifyOnly,
 * topics[name, partitions]] (KIP-890: brokers send v4+ to coordinators; verifyOnly asks whether the
 * partitions are already part of the ongoing transaction, adding nothing). v5 only allows the
 * TRANSACTION_ABORTABLE error.
 * Response: throttleTimeMs; v4+ a top-level errorCode and resultsByTransaction[transactionalId,
 * topicResults[name, resultsByPartition[partitionIndex, partitionErrorCode]]]; v0-3
 * resultsByTopicV3AndBelow[name, resultsByPartition[partitionIndex, partitionErrorCode]].
 */
import { f, type ApiDef, type FieldDef } from '../schema.js';

const topics = (versions: string): FieldDef => f('topics', [f('name', 'string'), f('partitions', 'int32[]')], versions);
const topicResults = (name: string, versions: string): FieldDef =>
  f(name, [f('name', 'string'), f('resultsByPartition', [f('partitionIndex', 'int32'), f('partitionErrorCode', 'int16')])], versions);

export const addPartitionsToTxnApi: ApiDef = {
  apiKey: 24,
  name: 'AddPartitionsToTxn',
  versionMin: 0,
  versionMax: 5,
  flexibleMin: 3,
  request: [
    f(
      'transactions',
      [f('transactionalId', 'string'), f('producerId', 'int64'), f('producerEpoch', 'int16'), f('verifyOnly', 'bool', '0+', { default: false }), topics('0+')],
      '4+',
    ),
    f('v3AndBelowTransactionalId', 'string', '0-3'),
    f('v3AndBelowProducerId', 'int64', '0-3'),
    f('v3AndBelowProducerEpoch', 'int16', '0-3'),
    f('v3AndBelowTopics', [f('name', 'string'), f('partitions', 'int32[]')], '0-3'),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16', '4+'),
    f('resultsByTransaction', [f('transactionalId', 'string'), topicResults('topicResults', '0+')], '4+'),
    topicResults('resultsByTopicV3AndBelow', '0-3'),
  ],
};

export interface TxnTopics {
  name: string;
  partitions: number[];
}

export interface AddPartitionsToTxnTransaction {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  verifyOnly: boolean;
  topics: TxnTopics[];
}

export interface AddPartitionsToTxnRequest {
  transactions: AddPartitionsToTxnTransaction[];
  v3AndBelowTransactionalId: string;
  v3AndBelowProducerId: bigint;
  v3AndBelowProducerEpoch: number;
  v3AndBelowTopics: TxnTopics[];
}

export interface AddPartitionsToTxnTopicResult {
  name: string;
  resultsByPartition: Array<{ partitionIndex: number; partitionErrorCode: number }>;
}

export interface AddPartitionsToTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
  resultsByTransaction: Array<{ transactionalId: string; topicResults: AddPartitionsToTxnTopicResult[] }>;
  resultsByTopicV3AndBelow: AddPartitionsToTxnTopicResult[];
}

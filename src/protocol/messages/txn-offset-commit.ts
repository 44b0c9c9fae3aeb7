/**
 * TxnOffsetCommit (key 28), versions 0-4, flexible from 3 (KIP-98, KIP-447).
 * A transactional producer commits a consumer group's offsets inside its transaction; they become
 * visible to OffsetFetch only when the transaction commits.
 * Request: transactionalId, groupId, producerId, producerEpoch, generationId (v3+, -1 when absent),
 * memberId (v3+, '' when absent), groupInstanceId (v3+, nullable), topics[name,
 * partitions[partitionIndex, committedOffset, committedLeaderEpoch (v2+), committedMetadata (nullable)]].
 * Response: throttleTimeMs, topics[name, partitions[partitionIndex, errorCode]].
 * History: v1 = v0 (throttling after the response); v2 adds committedLeaderEpoch; v3 adds the group
 * membership fields (KIP-447) and flexible encoding; v4 = v3 but the client accepts
 * TRANSACTION_ABORTABLE (KIP-890), which this broker never answers. v5 (transactions v2, KIP-890
 * part 2: the request implies AddOffsetsToTxn) is not implemented.
 */
import { f, type ApiDef } from '../schema.js';

export const txnOffsetCommitApi: ApiDef = {
  apiKey: 28,
  name: 'TxnOffsetCommit',
  versionMin: 0,
  versionMax: 4,
  flexibleMin: 3,
  request: [
    f('transactionalId', 'string'),
    f('groupId', 'string'),
    f('producerId', 'int64'),
    f('producerEpoch', 'int16'),
    f('generationId', 'int32', '3+', { default: -1 }),
    f('memberId', 'string', '3+', { default: '' }),
    f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    f('topics', [
      f('name', 'string'),
      f('partitions', [
        f('partitionIndex', 'int32'),
        f('committedOffset', 'int64'),
        f('committedLeaderEpoch', 'int32', '2+', { default: -1 }),
        f('committedMetadata', 'string', '0+', { nullable: '0+' }),
      ]),
    ]),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('topics', [f('name', 'string'), f('partitions', [f('partitionIndex', 'int32'), f('errorCode', 'int16')])]),
  ],
};

export interface TxnOffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  committedMetadata: string | null;
}

export interface TxnOffsetCommitRequest {
  transactionalId: string;
  groupId: string;
  producerId: bigint;
  producerEpoch: number;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: Array<{ name: string; partitions: TxnOffsetCommitRequestPartition[] }>;
}

export interface TxnOffsetCommitResponse {
  throttleTimeMs: number;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
}

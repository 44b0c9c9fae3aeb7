/**
 * OffsetCommit (key 8), versions 0-8, flexible from 8.
 * Request: groupId, generationIdOrMemberEpoch (v1+), memberId (v1+), groupInstanceId (v7+),
 * retentionTimeMs (v2-4 only), topics[name, partitions[partitionIndex, committedOffset,
 * committedLeaderEpoch (v6+), commitTimestamp (v1 only), committedMetadata]].
 * Response: throttleTimeMs (v3+), topics[name, partitions[partitionIndex, errorCode]].
 */
import { f, type ApiDef } from '../schema.js';

export const offsetCommitApi: ApiDef = {
  apiKey: 8,
  name: 'OffsetCommit',
  versionMin: 0,
  versionMax: 8,
  flexibleMin: 8,
  request: [
    f('groupId', 'string'),
    f('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
    f('memberId', 'string', '1+'),
    f('groupInstanceId', 'string', '7+', { nullable: '7+', default: null }),
    f('retentionTimeMs', 'int64', '2-4', { default: -1n }),
    f('topics', [
      f('name', 'string'),
      f('partitions', [
        f('partitionIndex', 'int32'),
        f('committedOffset', 'int64'),
        f('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
        f('commitTimestamp', 'int64', '1', { default: -1n }),
        f('committedMetadata', 'string', '0+', { nullable: '0+' }),
      ]),
    ]),
  ],
  response: [
    f('throttleTimeMs', 'int32', '3+'),
    f('topics', [f('name', 'string'), f('partitions', [f('partitionIndex', 'int32'), f('errorCode', 'int16')])]),
  ],
};

export interface OffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  commitTimestamp: bigint;
  committedMetadata: string | null;
}

export interface OffsetCommitRequest {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  retentionTimeMs: bigint;
  topics: Array<{ name: string; partitions: OffsetCommitRequestPartition[] }>;
}

export interface OffsetCommitResponse {
  throttleTimeMs: number;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
}

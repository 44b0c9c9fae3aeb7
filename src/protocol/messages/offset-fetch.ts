/**
 * OffsetFetch (key 9), versions 0-8, flexible from 6.
 * Request: v0-7 groupId and topics[name, partitionIndexes] (null = all committed offsets, v2+);
 * v8+ groups[groupId, topics (nullable)[name, partitionIndexes]] (several groups per request,
 * KIP-709); requireStable (v7+).
 * Response: throttleTimeMs (v3+); v0-7 topics[name, partitions[partitionIndex, committedOffset,
 * committedLeaderEpoch (v5+), metadata, errorCode]] and errorCode (v2+); v8+ groups[groupId,
 * topics[...same partitions...], errorCode].
 */
import { f, type ApiDef } from '../schema.js';

const responsePartition = [
  f('partitionIndex', 'int32'),
  f('committedOffset', 'int64'),
  f('committedLeaderEpoch', 'int32', '5+', { default: -1 }),
  f('metadata', 'string', '0+', { nullable: '0+' }),
  f('errorCode', 'int16'),
];

export const offsetFetchApi: ApiDef = {
  apiKey: 9,
  name: 'OffsetFetch',
  versionMin: 0,
  versionMax: 8,
  flexibleMin: 6,
  request: [
    f('groupId', 'string', '0-7'),
    f('topics', [f('name', 'string'), f('partitionIndexes', 'int32[]')], '0-7', { nullable: '2-7' }),
    f(
      'groups',
      [
        f('groupId', 'string'),
        f('topics', [f('name', 'string'), f('partitionIndexes', 'int32[]')], '8+', { nullable: '8+', default: null }),
      ],
      '8+',
    ),
    f('requireStable', 'bool', '7+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '3+'),
    f('topics', [f('name', 'string'), f('partitions', responsePartition)], '0-7'),
    f('errorCode', 'int16', '2-7'),
    f('groups', [f('groupId', 'string'), f('topics', [f('name', 'string'), f('partitions', responsePartition)]), f('errorCode', 'int16')], '8+'),
  ],
};

export interface OffsetFetchRequest {
  groupId: string;
  topics: Array<{ name: string; partitionIndexes: number[] }> | null;
  groups: Array<{ groupId: string; topics: Array<{ name: string; partitionIndexes: number[] }> | null }>;
  requireStable: boolean;
}

export interface OffsetFetchResponsePartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetFetchResponseTopic {
  name: string;
  partitions: OffsetFetchResponsePartition[];
}

export interface OffsetFetchResponse {
  throttleTimeMs: number;
  topics: OffsetFetchResponseTopic[];
  errorCode: number;
  groups: Array<{ groupId: string; topics: OffsetFetchResponseTopic[]; errorCode: number }>;
}

/**
 * OffsetForLeaderEpoch (key 23), versions 0-4, flexible from 4. Used by consumers (KIP-320) to detect
 * log truncation after a leader change.
 * Request: replicaId (v3+; -1 consumer, -2 debug / unset), topics[topic, partitions[partition,
 * currentLeaderEpoch (v2+), leaderEpoch]].
 * Response: throttleTimeMs (v2+), topics[topic, partitions[errorCode, partition, leaderEpoch (v1+),
 * endOffset]].
 */
import { f, type ApiDef } from '../schema.js';

export const offsetForLeaderEpochApi: ApiDef = {
  apiKey: 23,
  name: 'OffsetForLeaderEpoch',
  versionMin: 0,
  versionMax: 4,
  flexibleMin: 4,
  request: [
    f('replicaId', 'int32', '3+', { default: -2 }),
    f('topics', [
      f('topic', 'string'),
      f('partitions', [
        f('partition', 'int32'),
        f('currentLeaderEpoch', 'int32', '2+', { default: -1 }),
        f('leaderEpoch', 'int32'),
      ]),
    ]),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    f('topics', [
      f('topic', 'string'),
      f('partitions', [
        f('errorCode', 'int16'),
        f('partition', 'int32'),
        f('leaderEpoch', 'int32', '1+', { default: -1 }),
        f('endOffset', 'int64', '0+', { default: -1n }),
      ]),
    ]),
  ],
};

export interface OffsetForLeaderEpochRequest {
  replicaId: number;
  topics: Array<{
    topic: string;
    partitions: Array<{ partition: number; currentLeaderEpoch: number; leaderEpoch: number }>;
  }>;
}

export interface OffsetForLeaderEpochResponse {
  throttleTimeMs: number;
  topics: Array<{
    topic: string;
    partitions: Array<{ errorCode: number; partition: number; leaderEpoch: number; endOffset: bigint }>;
  }>;
}

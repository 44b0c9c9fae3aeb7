/**
 * Fetch (key 1), versions 0-13, flexible from 12. v0-3 return legacy message sets (magic 0 for
 * v0-1, magic 1 with timestamps for v2-3; handlers/fetch-down-convert.ts converts to them); v1 adds
 * throttleTimeMs, v3 the response-wide maxBytes (KIP-74). v4 is the first with record batches v2,
 * isolationLevel and lastStableOffset / abortedTransactions, which transactional reads need; v12 is the last that names
 * topics; v13 (KIP-516) identifies them by topicId instead (topic is absent, '' when decoded) and is
 * otherwise identical to v12. @platformatic/kafka needs v13: at v12 it sends the topic id's text in
 * the topic name field.
 * Request: clusterId (v12+, tagged 0), replicaId (-1 for consumers), maxWaitMs, minBytes, maxBytes
 * (v3+), isolationLevel (v4+, 0 = read uncommitted, 1 = read committed), sessionId / sessionEpoch
 * (v7+, incremental fetch sessions, KIP-227), topics[topic (v0-12) / topicId (v13+), partitions[
 * partition, currentLeaderEpoch (v9+), fetchOffset, lastFetchedEpoch (v12+), logStartOffset (v5+),
 * partitionMaxBytes]], forgottenTopicsData (v7+)[topic / topicId, partitions], rackId (v11+, KIP-392).
 * Response: throttleTimeMs (v1+), errorCode / sessionId (v7+), responses[topic (v0-12) / topicId
 * (v13+), partitions[partitionIndex, errorCode, highWatermark, lastStableOffset (v4+), logStartOffset
 * (v5+), tagged (v12+): divergingEpoch 0, currentLeader 1, snapshotId 2; abortedTransactions (v4+,
 * nullable)[producerId, firstOffset], preferredReadReplica (v11+), records]].
 * (v15 replaces replicaId with a tagged replicaState, v16 adds nodeEndpoints; we stop at 13.)
 */
import { f, type ApiDef } from '../schema.js';

export const fetchApi: ApiDef = {
  apiKey: 1,
  name: 'Fetch',
  versionMin: 0,
  versionMax: 13,
  flexibleMin: 12,
  request: [
    f('clusterId', 'string', '12+', { tag: 0, nullable: '12+', default: null }),
    f('replicaId', 'int32', '0+', { default: -1 }),
    f('maxWaitMs', 'int32'),
    f('minBytes', 'int32'),
    f('maxBytes', 'int32', '3+', { default: 0x7fffffff }),
    f('isolationLevel', 'int8', '4+'),
    f('sessionId', 'int32', '7+'),
    f('sessionEpoch', 'int32', '7+', { default: -1 }),
    f('topics', [
      f('topic', 'string', '0-12'),
      f('topicId', 'uuid', '13+'),
      f('partitions', [
        f('partition', 'int32'),
        f('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
        f('fetchOffset', 'int64'),
        f('lastFetchedEpoch', 'int32', '12+', { default: -1 }),
        f('logStartOffset', 'int64', '5+', { default: -1n }),
        f('partitionMaxBytes', 'int32'),
      ]),
    ]),
    f('forgottenTopicsData', [f('topic', 'string', '7-12'), f('topicId', 'uuid', '13+'), f('partitions', 'int32[]')], '7+'),
    f('rackId', 'string', '11+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '7+'),
    f('sessionId', 'int32', '7+'),
    f('responses', [
      f('topic', 'string', '0-12'),
      f('topicId', 'uuid', '13+'),
      f('partitions', [
        f('partitionIndex', 'int32'),
        f('errorCode', 'int16'),
        f('highWatermark', 'int64'),
        f('lastStableOffset', 'int64', '4+', { default: -1n }),
        f('logStartOffset', 'int64', '5+', { default: -1n }),
        f('divergingEpoch', [f('epoch', 'int32', '0+', { default: -1 }), f('endOffset', 'int64', '0+', { default: -1n })], '12+', {
          tag: 0,
          struct: true,
        }),
        f('currentLeader', [f('leaderId', 'int32', '0+', { default: -1 }), f('leaderEpoch', 'int32', '0+', { default: -1 })], '12+', {
          tag: 1,
          struct: true,
        }),
        f('snapshotId', [f('endOffset', 'int64', '0+', { default: -1n }), f('epoch', 'int32', '0+', { default: -1 })], '12+', {
          tag: 2,
          struct: true,
        }),
        f('abortedTransactions', [f('producerId', 'int64'), f('firstOffset', 'int64')], '4+', { nullable: '4+' }),
        f('preferredReadReplica', 'int32', '11+', { default: -1 }),
        // Omitted = an empty record set: kafka-python 2.0 cannot read a null one on a partition without error.
        f('records', 'records', '0+', { nullable: '0+', default: Buffer.alloc(0) }),
      ]),
    ]),
  ],
};

export interface FetchRequestPartition {
  partition: number;
  currentLeaderEpoch: number;
  fetchOffset: bigint;
  lastFetchedEpoch: number;
  logStartOffset: bigint;
  partitionMaxBytes: number;
}

export interface FetchRequest {
  clusterId: string | null;
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  /** topic in v4-12, topicId in v13+ (the other is '' / the zero UUID). */
  topics: Array<{ topic: string; topicId: string; partitions: FetchRequestPartition[] }>;
  forgottenTopicsData: Array<{ topic: string; topicId: string; partitions: number[] }>;
  rackId: string;
}

export interface FetchResponsePartition {
  partitionIndex: number;
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  logStartOffset: bigint;
  /** Tagged (v12+): left undefined when not set, which means "absent" on the wire. */
  divergingEpoch?: { epoch: number; endOffset: bigint };
  currentLeader?: { leaderId: number; leaderEpoch: number };
  snapshotId?: { endOffset: bigint; epoch: number };
  abortedTransactions: Array<{ producerId: bigint; firstOffset: bigint }> | null;
  preferredReadReplica: number;
  records: Buffer | null;
}

export interface FetchResponse {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  /** Set topic for v4-12 and topicId for v13+. */
  responses: Array<{ topic: string; topicId: string; partitions: FetchResponsePartition[] }>;
}

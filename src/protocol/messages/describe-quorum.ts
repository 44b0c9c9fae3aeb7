/**
 * DescribeQuorum (key 55), versions 0-2, flexible in all of them (KIP-595; v1 KIP-836, v2 KIP-853).
 * Request: topics[topicName, partitions[partitionIndex]] — the metadata partition __cluster_metadata-0.
 * Response: errorCode, errorMessage (v2+), topics[topicName, partitions[partitionIndex, errorCode,
 * errorMessage (v2+), leaderId, leaderEpoch, highWatermark, currentVoters[replicaId,
 * replicaDirectoryId (v2+), logEndOffset, lastFetchTimestamp (v1+), lastCaughtUpTimestamp (v1+)],
 * observers[same]]], nodes (v2+)[nodeId, listeners[name, host, port (uint16)]].
 */
import { f, type ApiDef, type FieldDef } from '../schema.js';

const replicaState: FieldDef[] = [
  f('replicaId', 'int32'),
  f('replicaDirectoryId', 'uuid', '2+', { default: '00000000-0000-0000-0000-000000000000' }),
  f('logEndOffset', 'int64'),
  f('lastFetchTimestamp', 'int64', '1+', { default: -1n }),
  f('lastCaughtUpTimestamp', 'int64', '1+', { default: -1n }),
];

export const describeQuorumApi: ApiDef = {
  apiKey: 55,
  name: 'DescribeQuorum',
  versionMin: 0,
  versionMax: 2,
  flexibleMin: 0,
  request: [f('topics', [f('topicName', 'string'), f('partitions', [f('partitionIndex', 'int32')])])],
  response: [
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '2+', { nullable: '2+', default: null }),
    f('topics', [
      f('topicName', 'string'),
      f('partitions', [
        f('partitionIndex', 'int32'),
        f('errorCode', 'int16'),
        f('errorMessage', 'string', '2+', { nullable: '2+', default: null }),
        f('leaderId', 'int32'),
        f('leaderEpoch', 'int32'),
        f('highWatermark', 'int64'),
        f('currentVoters', replicaState),
        f('observers', replicaState),
      ]),
    ]),
    f('nodes', [f('nodeId', 'int32'), f('listeners', [f('name', 'string'), f('host', 'string'), f('port', 'uint16')])], '2+'),
  ],
};

export interface DescribeQuorumRequest {
  topics: Array<{ topicName: string; partitions: Array<{ partitionIndex: number }> }>;
}

export interface QuorumReplicaState {
  replicaId: number;
  replicaDirectoryId: string;
  logEndOffset: bigint;
  lastFetchTimestamp: bigint;
  lastCaughtUpTimestamp: bigint;
}

export interface DescribeQuorumResponse {
  errorCode: number;
  errorMessage: string | null;
  topics: Array<{
    topicName: string;
    partitions: Array<{
      partitionIndex: number;
      errorCode: number;
      errorMessage: string | null;
      leaderId: number;
      leaderEpoch: number;
      highWatermark: bigint;
      currentVoters: QuorumReplicaState[];
      observers: QuorumReplicaState[];
    }>;
  }>;
  nodes: Array<{ nodeId: number; listeners: Array<{ name: string; host: string; port: number }> }>;
}

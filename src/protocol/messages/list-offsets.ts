/**
 * ListOffsets (key 2), versions 0-7, flexible from 6.
 * Request: replicaId (-1 for consumers), isolationLevel (v2+), topics[name, partitions[partitionIndex,
 * currentLeaderEpoch (v4+), timestamp (-1 latest, -2 earliest, -3 max timestamp from v7), and in v0
 * only maxNumOffsets]].
 * Response: throttleTimeMs (v2+), topics[name, partitions[partitionIndex, errorCode, v0 only:
 * oldStyleOffsets (a list of offsets, newest first); v1+: timestamp, offset; leaderEpoch (v4+)]].
 */
import { f, type ApiDef } from '../schema.js';

export const listOffsetsApi: ApiDef = {
  apiKey: 2,
  name: 'ListOffsets',
  versionMin: 0,
  versionMax: 7,
  flexibleMin: 6,
  request: [
    f('replicaId', 'int32', '0+', { default: -1 }),
    f('isolationLevel', 'int8', '2+'),
    f('topics', [
      f('name', 'string'),
      f('partitions', [
        f('partitionIndex', 'int32'),
        f('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
        f('timestamp', 'int64'),
        f('maxNumOffsets', 'int32', '0', { default: 1 }),
      ]),
    ]),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    f('topics', [
      f('name', 'string'),
      f('partitions', [
        f('partitionIndex', 'int32'),
        f('errorCode', 'int16'),
        f('oldStyleOffsets', 'int64[]', '0'),
        f('timestamp', 'int64', '1+', { default: -1n }),
        f('offset', 'int64', '1+', { default: -1n }),
        f('leaderEpoch', 'int32', '4+', { default: -1 }),
      ]),
    ]),
  ],
};

export interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  topics: Array<{
    name: string;
    partitions: Array<{ partitionIndex: number; currentLeaderEpoch: number; timestamp: bigint; maxNumOffsets: number }>;
  }>;
}

export interface ListOffsetsPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  oldStyleOffsets: bigint[];
  timestamp: bigint;
  offset: bigint;
  leaderEpoch: number;
}

export interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: Array<{ name: string; partitions: ListOffsetsPartitionResponse[] }>;
}

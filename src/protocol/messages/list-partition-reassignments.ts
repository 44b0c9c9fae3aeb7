/**
 * ListPartitionReassignments (key 46), version 0, flexible (KIP-455).
 * Request: timeoutMs, topics (nullable: null lists every ongoing reassignment)[name, partitionIndexes].
 * Response: throttleTimeMs, errorCode, errorMessage, topics[name, partitions[partitionIndex,
 * replicas, addingReplicas, removingReplicas]].
 */
import { f, type ApiDef } from '../schema.js';

export const listPartitionReassignmentsApi: ApiDef = {
  apiKey: 46,
  name: 'ListPartitionReassignments',
  versionMin: 0,
  versionMax: 0,
  flexibleMin: 0,
  request: [
    f('timeoutMs', 'int32', '0+', { default: 60_000 }),
    f('topics', [f('name', 'string'), f('partitionIndexes', 'int32[]')], '0+', { nullable: '0+', default: null }),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    f('topics', [
      f('name', 'string'),
      f('partitions', [f('partitionIndex', 'int32'), f('replicas', 'int32[]'), f('addingReplicas', 'int32[]'), f('removingReplicas', 'int32[]')]),
    ]),
  ],
};

export interface ListPartitionReassignmentsRequest {
  timeoutMs: number;
  topics: Array<{ name: string; partitionIndexes: number[] }> | null;
}

export interface ListPartitionReassignmentsResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }> }>;
}

/**
 * AlterPartitionReassignments (key 45), versions 0-1, flexible in both (KIP-455; v1 KIP-860).
 * Request: timeoutMs, allowReplicationFactorChange (v1+, default true), topics[name,
 * partitions[partitionIndex, replicas (nullable: null cancels the partition's reassignment)]].
 * Response: throttleTimeMs, errorCode, errorMessage, responses[name, partitions[partitionIndex,
 * errorCode, errorMessage]] — the same in v1 (@platformatic/kafka's v1 parser reads exactly this).
 */
import { f, type ApiDef } from '../schema.js';

export const alterPartitionReassignmentsApi: ApiDef = {
  apiKey: 45,
  name: 'AlterPartitionReassignments',
  versionMin: 0,
  versionMax: 1,
  flexibleMin: 0,
  request: [
    f('timeoutMs', 'int32', '0+', { default: 60_000 }),
    f('allowReplicationFactorChange', 'bool', '1+', { default: true }),
    f('topics', [f('name', 'string'), f('partitions', [f('partitionIndex', 'int32'), f('replicas', 'int32[]', '0+', { nullable: '0+', default: null })])]),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    f('responses', [
      f('name', 'string'),
      f('partitions', [f('partitionIndex', 'int32'), f('errorCode', 'int16'), f('errorMessage', 'string', '0+', { nullable: '0+', default: null })]),
    ]),
  ],
};

export interface AlterPartitionReassignmentsRequest {
  timeoutMs: number;
  allowReplicationFactorChange: boolean;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; replicas: number[] | null }> }>;
}

export interface AlterPartitionReassignmentsResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  responses: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number; errorMessage: string | null }> }>;
}

/**
 * Metadata (key 3), versions 0-12, flexible from 9.
 * Request: topics (null = all, v1+; an empty array in v0 means all), allowAutoTopicCreation (v4+),
 * includeClusterAuthorizedOperations (v8-10), includeTopicAuthorizedOperations (v8+); topicId (v10+).
 * Response: throttleTimeMs (v3+), brokers[nodeId, host, port, rack (v1+)], clusterId (v2+),
 * controllerId (v1+), topics[errorCode, name, topicId (v10+), isInternal (v1+), partitions[errorCode,
 * partitionIndex, leaderId, leaderEpoch (v7+), replicaNodes, isrNodes, offlineReplicas (v5+)],
 * topicAuthorizedOperations (v8+)], clusterAuthorizedOperations (v8-10).
 */
import { f, type ApiDef } from '../schema.js';

const AUTHORIZED_OPERATIONS_UNKNOWN = -2147483648;

export const metadataApi: ApiDef = {
  apiKey: 3,
  name: 'Metadata',
  versionMin: 0,
  versionMax: 12,
  flexibleMin: 9,
  request: [
    f('topics', [f('topicId', 'uuid', '10+'), f('name', 'string', '0+', { nullable: '10+' })], '0+', { nullable: '1+' }),
    f('allowAutoTopicCreation', 'bool', '4+', { default: true }),
    f('includeClusterAuthorizedOperations', 'bool', '8-10'),
    f('includeTopicAuthorizedOperations', 'bool', '8+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '3+'),
    f('brokers', [
      f('nodeId', 'int32'),
      f('host', 'string'),
      f('port', 'int32'),
      f('rack', 'string', '1+', { nullable: '1+' }),
    ]),
    f('clusterId', 'string', '2+', { nullable: '2+' }),
    f('controllerId', 'int32', '1+', { default: -1 }),
    f('topics', [
      f('errorCode', 'int16'),
      f('name', 'string', '0+', { nullable: '12+' }),
      f('topicId', 'uuid', '10+'),
      f('isInternal', 'bool', '1+'),
      f('partitions', [
        f('errorCode', 'int16'),
        f('partitionIndex', 'int32'),
        f('leaderId', 'int32'),
        f('leaderEpoch', 'int32', '7+', { default: -1 }),
        f('replicaNodes', 'int32[]'),
        f('isrNodes', 'int32[]'),
        f('offlineReplicas', 'int32[]', '5+'),
      ]),
      f('topicAuthorizedOperations', 'int32', '8+', { default: AUTHORIZED_OPERATIONS_UNKNOWN }),
    ]),
    f('clusterAuthorizedOperations', 'int32', '8-10', { default: AUTHORIZED_OPERATIONS_UNKNOWN }),
  ],
};

export interface MetadataRequest {
  topics: Array<{ topicId: string; name: string | null }> | null;
  allowAutoTopicCreation: boolean;
  includeClusterAuthorizedOperations: boolean;
  includeTopicAuthorizedOperations: boolean;
}

export interface MetadataPartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}

export interface MetadataTopic {
  errorCode: number;
  name: string | null;
  topicId: string;
  isInternal: boolean;
  partitions: MetadataPartition[];
}

export interface MetadataResponse {
  throttleTimeMs: number;
  brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }>;
  clusterId: string | null;
  controllerId: number;
  topics: MetadataTopic[];
}

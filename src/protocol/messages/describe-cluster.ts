/**
 * DescribeCluster (key 60), versions 0-1, flexible in all of them (KIP-700).
 * Request: includeClusterAuthorizedOperations, endpointType (v1+, 1 = brokers, 2 = controllers).
 * Response: throttleTimeMs, errorCode, errorMessage, endpointType (v1+), clusterId, controllerId,
 * brokers[brokerId, host, port, rack], clusterAuthorizedOperations.
 * (v2 adds includeFencedBrokers / isFenced; we stop at 1.)
 */
import { f, type ApiDef } from '../schema.js';

const AUTHORIZED_OPERATIONS_UNKNOWN = -2147483648;

export const describeClusterApi: ApiDef = {
  apiKey: 60,
  name: 'DescribeCluster',
  versionMin: 0,
  versionMax: 1,
  flexibleMin: 0,
  request: [f('includeClusterAuthorizedOperations', 'bool'), f('endpointType', 'int8', '1+', { default: 1 })],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    f('endpointType', 'int8', '1+', { default: 1 }),
    f('clusterId', 'string'),
    f('controllerId', 'int32', '0+', { default: -1 }),
    f('brokers', [
      f('brokerId', 'int32'),
      f('host', 'string'),
      f('port', 'int32'),
      f('rack', 'string', '0+', { nullable: '0+', default: null }),
    ]),
    f('clusterAuthorizedOperations', 'int32', '0+', { default: AUTHORIZED_OPERATIONS_UNKNOWN }),
  ],
};

export interface DescribeClusterRequest {
  includeClusterAuthorizedOperations: boolean;
  endpointType: number;
}

export interface DescribeClusterResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  endpointType: number;
  clusterId: string;
  controllerId: number;
  brokers: Array<{ brokerId: number; host: string; port: number; rack: string | null }>;
  clusterAuthorizedOperations: number;
}

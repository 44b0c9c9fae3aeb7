/**
 * FindCoordinator (key 10), versions 0-4, flexible from 3.
 * Request: v0-3 key (group id or transactional id); keyType (v1+, 0 group, 1 transaction); v4+
 * coordinatorKeys (batched lookup, KIP-699).
 * Response: throttleTimeMs (v1+); v0-3 errorCode, errorMessage (v1+), nodeId, host, port; v4+
 * coordinators[key, nodeId, host, port, errorCode, errorMessage].
 */
import { f, type ApiDef } from '../schema.js';

export const findCoordinatorApi: ApiDef = {
  apiKey: 10,
  name: 'FindCoordinator',
  versionMin: 0,
  versionMax: 4,
  flexibleMin: 3,
  request: [f('key', 'string', '0-3'), f('keyType', 'int8', '1+'), f('coordinatorKeys', 'string[]', '4+')],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('errorCode', 'int16', '0-3'),
    f('errorMessage', 'string', '1-3', { nullable: '1-3', default: null }),
    f('nodeId', 'int32', '0-3'),
    f('host', 'string', '0-3'),
    f('port', 'int32', '0-3'),
    f(
      'coordinators',
      [
        f('key', 'string'),
        f('nodeId', 'int32'),
        f('host', 'string'),
        f('port', 'int32'),
        f('errorCode', 'int16'),
        f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
      ],
      '4+',
    ),
  ],
};

export interface FindCoordinatorRequest {
  key: string;
  keyType: number;
  coordinatorKeys: string[];
}

export interface FindCoordinatorResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
  coordinators: Array<{
    key: string;
    nodeId: number;
    host: string;
    port: number;
    errorCode: number;
    errorMessage: string | null;
  }>;
}

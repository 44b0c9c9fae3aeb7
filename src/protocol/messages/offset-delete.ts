/**
 * OffsetDelete (key 47), version 0, not flexible (KIP-496).
 * Request: groupId, topics[name, partitions[partitionIndex]].
 * Response: errorCode, throttleTimeMs (note: after the error code here), topics[name,
 * partitions[partitionIndex, errorCode]].
 */
import { f, type ApiDef } from '../schema.js';

export const offsetDeleteApi: ApiDef = {
  apiKey: 47,
  name: 'OffsetDelete',
  versionMin: 0,
  versionMax: 0,
  flexibleMin: null,
  request: [f('groupId', 'string'), f('topics', [f('name', 'string'), f('partitions', [f('partitionIndex', 'int32')])])],
  response: [
    f('errorCode', 'int16'),
    f('throttleTimeMs', 'int32'),
    f('topics', [f('name', 'string'), f('partitions', [f('partitionIndex', 'int32'), f('errorCode', 'int16')])]),
  ],
};

export interface OffsetDeleteRequest {
  groupId: string;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number }> }>;
}

export interface OffsetDeleteResponse {
  errorCode: number;
  throttleTimeMs: number;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
}

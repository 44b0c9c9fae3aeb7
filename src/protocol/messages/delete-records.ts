/**
 * DeleteRecords (key 21), versions 0-2, flexible from 2. Advances a partition's log start offset.
 * Request: topics[name, partitions[partitionIndex, offset (-1 = the high watermark)]], timeoutMs.
 * Response: throttleTimeMs, topics[name, partitions[partitionIndex, lowWatermark, errorCode]].
 */
import { f, type ApiDef } from '../schema.js';

export const deleteRecordsApi: ApiDef = {
  apiKey: 21,
  name: 'DeleteRecords',
  versionMin: 0,
  versionMax: 2,
  flexibleMin: 2,
  request: [
    f('topics', [f('name', 'string'), f('partitions', [f('partitionIndex', 'int32'), f('offset', 'int64')])]),
    f('timeoutMs', 'int32'),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('topics', [
      f('name', 'string'),
      f('partitions', [f('partitionIndex', 'int32'), f('lowWatermark', 'int64'), f('errorCode', 'int16')]),
    ]),
  ],
};

export interface DeleteRecordsRequest {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; offset: bigint }> }>;
  timeoutMs: number;
}

export interface DeleteRecordsResponse {
  throttleTimeMs: number;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; lowWatermark: bigint; errorCode: number }> }>;
}

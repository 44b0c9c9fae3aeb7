/**
 * CreatePartitions (key 37), versions 0-3, flexible from 2.
 * Request: topics[name, count (the new total), assignments (nullable)[brokerIds] — one entry per new
 * partition], timeoutMs, validateOnly.
 * Response: throttleTimeMs, results[name, errorCode, errorMessage].
 */
import { f, type ApiDef } from '../schema.js';

export const createPartitionsApi: ApiDef = {
  apiKey: 37,
  name: 'CreatePartitions',
  versionMin: 0,
  versionMax: 3,
  flexibleMin: 2,
  request: [
    f('topics', [
      f('name', 'string'),
      f('count', 'int32'),
      f('assignments', [f('brokerIds', 'int32[]')], '0+', { nullable: '0+', default: null }),
    ]),
    f('timeoutMs', 'int32'),
    f('validateOnly', 'bool'),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('results', [f('name', 'string'), f('errorCode', 'int16'), f('errorMessage', 'string', '0+', { nullable: '0+', default: null })]),
  ],
};

export interface CreatePartitionsRequest {
  topics: Array<{ name: string; count: number; assignments: Array<{ brokerIds: number[] }> | null }>;
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatePartitionsResponse {
  throttleTimeMs: number;
  results: Array<{ name: string; errorCode: number; errorMessage: string | null }>;
}

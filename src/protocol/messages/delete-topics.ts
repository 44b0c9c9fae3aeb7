/**
 * DeleteTopics (key 20), versions 0-6, flexible from 4.
 * Request: v0-5 topicNames (strings); v6+ topics[name (nullable), topicId] — each entry names a topic
 * either by name (topicId all zeros) or by id (name null); timeoutMs.
 * Response: throttleTimeMs (v1+), responses[name (nullable from v6), topicId (v6+), errorCode,
 * errorMessage (v5+)].
 */
import { f, type ApiDef } from '../schema.js';

export const deleteTopicsApi: ApiDef = {
  apiKey: 20,
  name: 'DeleteTopics',
  versionMin: 0,
  versionMax: 6,
  flexibleMin: 4,
  request: [
    f('topics', [f('name', 'string', '6+', { nullable: '6+', default: null }), f('topicId', 'uuid', '6+')], '6+'),
    f('topicNames', 'string[]', '0-5'),
    f('timeoutMs', 'int32'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '1+'),
    f('responses', [
      f('name', 'string', '0+', { nullable: '6+' }),
      f('topicId', 'uuid', '6+'),
      f('errorCode', 'int16'),
      f('errorMessage', 'string', '5+', { nullable: '5+', default: null }),
    ]),
  ],
};

export interface DeleteTopicsRequest {
  topics: Array<{ name: string | null; topicId: string }>;
  topicNames: string[];
  timeoutMs: number;
}

export interface DeleteTopicsResponse {
  throttleTimeMs: number;
  responses: Array<{ name: string | null; topicId: string; errorCode: number; errorMessage: string | null }>;
}

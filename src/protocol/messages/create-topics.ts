/**
 * CreateTopics (key 19), versions 0-7, flexible from 5.
 * Request: topics[name, numPartitions (-1 = broker default, v4+), replicationFactor (-1 = default,
 * v4+), assignments[partitionIndex, brokerIds] (manual placement), configs[name, value]], timeoutMs,
 * validateOnly (v1+).
 * Response: throttleTimeMs (v2+), topics[name, topicId (v7+), errorCode, errorMessage (v1+), and from
 * v5 the resulting numPartitions, replicationFactor and configs[name, value, readOnly, configSource,
 * isSensitive] (null when describing them was not allowed) plus tagged topicConfigErrorCode (tag 0)].
 */
import { f, type ApiDef } from '../schema.js';

export const createTopicsApi: ApiDef = {
  apiKey: 19,
  name: 'CreateTopics',
  versionMin: 0,
  versionMax: 7,
  flexibleMin: 5,
  request: [
    f('topics', [
      f('name', 'string'),
      f('numPartitions', 'int32'),
      f('replicationFactor', 'int16'),
      f('assignments', [f('partitionIndex', 'int32'), f('brokerIds', 'int32[]')]),
      f('configs', [f('name', 'string'), f('value', 'string', '0+', { nullable: '0+' })]),
    ]),
    f('timeoutMs', 'int32', '0+', { default: 60000 }),
    f('validateOnly', 'bool', '1+'),
  ],
  response: [
    f('throttleTimeMs', 'int32', '2+'),
    f('topics', [
      f('name', 'string'),
      f('topicId', 'uuid', '7+'),
      f('errorCode', 'int16'),
      f('errorMessage', 'string', '1+', { nullable: '0+' }),
      f('topicConfigErrorCode', 'int16', '5+', { tag: 0 }),
      f('numPartitions', 'int32', '5+', { default: -1 }),
      f('replicationFactor', 'int16', '5+', { default: -1 }),
      f(
        'configs',
        [
          f('name', 'string'),
          f('value', 'string', '0+', { nullable: '0+' }),
          f('readOnly', 'bool'),
          f('configSource', 'int8', '0+', { default: -1 }),
          f('isSensitive', 'bool'),
        ],
        '5+',
        { nullable: '5+', default: null },
      ),
    ]),
  ],
};

export interface CreateTopicsRequest {
  topics: Array<{
    name: string;
    numPartitions: number;
    replicationFactor: number;
    assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
    configs: Array<{ name: string; value: string | null }>;
  }>;
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatableTopicConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
}

export interface CreateTopicsResponse {
  throttleTimeMs: number;
  topics: Array<{
    name: string;
    topicId: string;
    errorCode: number;
    errorMessage: string | null;
    /** Tagged (v5+), written only when non-zero. */
    topicConfigErrorCode: number;
    numPartitions: number;
    replicationFactor: number;
    configs: CreatableTopicConfig[] | null;
  }>;
}

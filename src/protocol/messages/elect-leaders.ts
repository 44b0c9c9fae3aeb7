/**
 * ElectLeaders (key 43), versions 0-2, flexible from 2.
 * Request: electionType (v1+; 0 preferred, 1 unclean), topicPartitions (null = all)[topic,
 * partitions], timeoutMs.
 * Response: throttleTimeMs, errorCode (v1+), replicaElectionResults[topic, partitionResult[
 * partitionId, errorCode, errorMessage]].
 */
import { f, type ApiDef } from '../schema.js';

export const electLeadersApi: ApiDef = {
  apiKey: 43,
  name: 'ElectLeaders',
  versionMin: 0,
  versionMax: 2,
  flexibleMin: 2,
  request: [
    f('electionType', 'int8', '1+'),
    f('topicPartitions', [f('topic', 'string'), f('partitions', 'int32[]')], '0+', { nullable: '0+' }),
    f('timeoutMs', 'int32', '0+', { default: 60000 }),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16', '1+'),
    f('replicaElectionResults', [
      f('topic', 'string'),
      f('partitionResult', [
        f('partitionId', 'int32'),
        f('errorCode', 'int16'),
        f('errorMessage', 'string', '0+', { nullable: '0+' }),
      ]),
    ]),
  ],
};

export interface ElectLeadersRequest {
  electionType: number;
  topicPartitions: Array<{ topic: string; partitions: number[] }> | null;
  timeoutMs: number;
}

export interface ElectLeadersResponse {
  throttleTimeMs: number;
  errorCode: number;
  replicaElectionResults: Array<{
    topic: string;
    partitionResult: Array<{ partitionId: number; errorCode: number; errorMessage: string | null }>;
  }>;
}

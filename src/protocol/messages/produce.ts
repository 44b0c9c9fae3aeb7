/**
 * Produce (key 0), versions 0-9, flexible from 9. We store only record batch v2 (magic 2), which
 * clients send from Produce v3 on; v0-2 carry legacy message sets (magic 0, or 1 from v2), which
 * handlers/produce.ts up-converts (protocol/records/legacy.ts). v0 must stay advertised anyway:
 * librdkafka enables gzip, snappy and lz4 only when the broker lists Produce v0 (the problem Apache
 * Kafka 4.0 met as KAFKA-18659).
 * Request: transactionalId (nullable), acks, timeoutMs, topicData[name, partitionData[index, records]].
 * Response: responses[name, partitionResponses[index, errorCode, baseOffset, logAppendTimeMs (-1
 * unless the topic uses LogAppendTime), logStartOffset (v5+), recordErrors (v8+)[batchIndex,
 * batchIndexErrorMessage], errorMessage (v8+)]], throttleTimeMs.
 * (v10 adds tagged currentLeader / nodeEndpoints for KIP-951 leader discovery; we stop at 9.)
 */
import { f, type ApiDef } from '../schema.js';

export const produceApi: ApiDef = {
  apiKey: 0,
  name: 'Produce',
  versionMin: 0,
  versionMax: 9,
  flexibleMin: 9,
  request: [
    f('transactionalId', 'string', '3+', { nullable: '3+' }),
    f('acks', 'int16'),
    f('timeoutMs', 'int32'),
    f('topicData', [
      f('name', 'string'),
      f('partitionData', [f('index', 'int32'), f('records', 'records', '0+', { nullable: '0+' })]),
    ]),
  ],
  response: [
    f('responses', [
      f('name', 'string'),
      f('partitionResponses', [
        f('index', 'int32'),
        f('errorCode', 'int16'),
        f('baseOffset', 'int64'),
        f('logAppendTimeMs', 'int64', '2+', { default: -1n }),
        f('logStartOffset', 'int64', '5+', { default: -1n }),
        f('recordErrors', [f('batchIndex', 'int32'), f('batchIndexErrorMessage', 'string', '8+', { nullable: '8+' })], '8+'),
        f('errorMessage', 'string', '8+', { nullable: '8+' }),
      ]),
    ]),
    f('throttleTimeMs', 'int32', '1+'),
  ],
};

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: Array<{
    name: string;
    partitionData: Array<{ index: number; records: Buffer | null }>;
  }>;
}

export interface ProducePartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  recordErrors: Array<{ batchIndex: number; batchIndexErrorMessage: string | null }>;
  errorMessage: string | null;
}

export interface ProduceResponse {
  responses: Array<{ name: string; partitionResponses: ProducePartitionResponse[] }>;
  throttleTimeMs: number;
}

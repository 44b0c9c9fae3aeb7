/**
 * DescribeProducers (key 61), version 0, flexible (KIP-664).
 * Request: topics[name, partitionIndexes].
 * Response: throttleTimeMs, topics[name, partitions[partitionIndex, errorCode, errorMessage,
 * activeProducers[producerId, producerEpoch (int32 here), lastSequence, lastTimestamp,
 * coordinatorEpoch, currentTxnStartOffset]]].
 */
import { f, type ApiDef } from '../schema.js';

export const describeProducersApi: ApiDef = {
  apiKey: 61,
  name: 'DescribeProducers',
  versionMin: 0,
  versionMax: 0,
  flexibleMin: 0,
  request: [f('topics', [f('name', 'string'), f('partitionIndexes', 'int32[]')])],
  response: [
    f('throttleTimeMs', 'int32'),
    f('topics', [
      f('name', 'string'),
      f('partitions', [
        f('partitionIndex', 'int32'),
        f('errorCode', 'int16'),
        f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
        f('activeProducers', [
          f('producerId', 'int64'),
          f('producerEpoch', 'int32'),
          f('lastSequence', 'int32', '0+', { default: -1 }),
          f('lastTimestamp', 'int64', '0+', { default: -1n }),
          f('coordinatorEpoch', 'int32'),
          f('currentTxnStartOffset', 'int64', '0+', { default: -1n }),
        ]),
      ]),
    ]),
  ],
};

export interface DescribeProducersRequest {
  topics: Array<{ name: string; partitionIndexes: number[] }>;
}

export interface DescribeProducersActiveProducer {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: bigint;
  coordinatorEpoch: number;
  currentTxnStartOffset: bigint;
}

export interface DescribeProducersResponse {
  throttleTimeMs: number;
  topics: Array<{
    name: string;
    partitions: Array<{
      partitionIndex: number;
      errorCode: number;
      errorMessage: string | null;
      activeProducers: DescribeProducersActiveProducer[];
    }>;
  }>;
}

/**
 * WriteTxnMarkers (key 27), versions 0-1, flexible from 1. Inter-broker: the transaction
 * coordinator asks partition leaders to write COMMIT/ABORT control batches.
 * Request: markers[producerId, producerEpoch, transactionResult (true: commit), topics[name,
 * partitionIndexes], coordinatorEpoch].
 * Response (no throttle time): markers[producerId, topics[name, partitions[partitionIndex, errorCode]]].
 */
import { f, type ApiDef } from '../schema.js';

export const writeTxnMarkersApi: ApiDef = {
  apiKey: 27,
  name: 'WriteTxnMarkers',
  versionMin: 0,
  versionMax: 1,
  flexibleMin: 1,
  request: [
    f('markers', [
      f('producerId', 'int64'),
      f('producerEpoch', 'int16'),
      f('transactionResult', 'bool'),
      f('topics', [f('name', 'string'), f('partitionIndexes', 'int32[]')]),
      f('coordinatorEpoch', 'int32'),
    ]),
  ],
  response: [
    f('markers', [
      f('producerId', 'int64'),
      f('topics', [f('name', 'string'), f('partitions', [f('partitionIndex', 'int32'), f('errorCode', 'int16')])]),
    ]),
  ],
};

export interface WritableTxnMarker {
  producerId: bigint;
  producerEpoch: number;
  transactionResult: boolean;
  topics: Array<{ name: string; partitionIndexes: number[] }>;
  coordinatorEpoch: number;
}

export interface WriteTxnMarkersRequest {
  markers: WritableTxnMarker[];
}

export interface WriteTxnMarkersResponse {
  markers: Array<{
    producerId: bigint;
    topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
  }>;
}

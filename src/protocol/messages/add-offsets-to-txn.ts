/**
 * AddOffsetsToTxn (key 25), versions 0-4, flexible from 3.
 * Request: transactionalId, producerId, producerEpoch, groupId (the group whose offsets the
 * transaction will commit: its __consumer_offsets partition joins the transaction).
 * Response: throttleTimeMs, errorCode.
 */
import { f, type ApiDef } from '../schema.js';

export const addOffsetsToTxnApi: ApiDef = {
  apiKey: 25,
  name: 'AddOffsetsToTxn',
  versionMin: 0,
  versionMax: 4,
  flexibleMin: 3,
  request: [f('transactionalId', 'string'), f('producerId', 'int64'), f('producerEpoch', 'int16'), f('groupId', 'string')],
  response: [f('throttleTimeMs', 'int32'), f('errorCode', 'int16')],
};

export interface AddOffsetsToTxnRequest {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  groupId: string;
}

export interface AddOffsetsToTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
}

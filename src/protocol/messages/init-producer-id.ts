/**
 * InitProducerId (key 22), versions 0-4, flexible from 2.
 * Request: transactionalId (null for an idempotent-only producer), transactionTimeoutMs, and from v3
 * the producerId / producerEpoch the client already holds (-1 when it has none, KIP-360).
 * Response: throttleTimeMs, errorCode, producerId, producerEpoch.
 */
import { f, type ApiDef } from '../schema.js';

export const initProducerIdApi: ApiDef = {
  apiKey: 22,
  name: 'InitProducerId',
  versionMin: 0,
  versionMax: 4,
  flexibleMin: 2,
  request: [
    f('transactionalId', 'string', '0+', { nullable: '0+' }),
    f('transactionTimeoutMs', 'int32'),
    f('producerId', 'int64', '3+', { default: -1n }),
    f('producerEpoch', 'int16', '3+', { default: -1 }),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16'),
    f('producerId', 'int64', '0+', { default: -1n }),
    f('producerEpoch', 'int16'),
  ],
};

export interface InitProducerIdRequest {
  transactionalId: string | null;
  transactionTimeoutMs: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

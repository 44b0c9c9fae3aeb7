/**
 * EndTxn (key 26), versions 0-5, flexible from 3.
 * Request: transactionalId, producerId, producerEpoch, committed (true: commit, false: abort).
 * Response: throttleTimeMs, errorCode; v5+ producerId and producerEpoch (KIP-890 part 2: the
 * coordinator bumps the epoch at the end of every transaction and tells the client the new one).
 */
import { f, type ApiDef } from '../schema.js';

export const endTxnApi: ApiDef = {
  apiKey: 26,
  name: 'EndTxn',
  versionMin: 0,
  versionMax: 5,
  flexibleMin: 3,
  request: [f('transactionalId', 'string'), f('producerId', 'int64'), f('producerEpoch', 'int16'), f('committed', 'bool')],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16'),
    f('producerId', 'int64', '5+', { default: -1n }),
    f('producerEpoch', 'int16', '5+', { default: -1 }),
  ],
};

export interface EndTxnRequest {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  committed: boolean;
}

export interface EndTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

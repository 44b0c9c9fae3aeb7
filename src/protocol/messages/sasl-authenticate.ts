/**
 * SaslAuthenticate (key 36, KIP-152), versions 0-2, flexible from 2. Carries one SASL token each
 * way after SaslHandshake v1. v1 adds the session lifetime (KIP-368: the client must
 * re-authenticate before it ends, or the broker disconnects it).
 * Request: authBytes. Response: errorCode, errorMessage, authBytes, sessionLifetimeMs (v1+, 0 = none).
 */
import { f, type ApiDef } from '../schema.js';

export const saslAuthenticateApi: ApiDef = {
  apiKey: 36,
  name: 'SaslAuthenticate',
  versionMin: 0,
  versionMax: 2,
  flexibleMin: 2,
  request: [f('authBytes', 'bytes')],
  response: [
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    f('authBytes', 'bytes'),
    f('sessionLifetimeMs', 'int64', '1+', { default: 0n }),
  ],
};

export interface SaslAuthenticateRequest {
  authBytes: Buffer;
}

export interface SaslAuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  sessionLifetimeMs: bigint;
}

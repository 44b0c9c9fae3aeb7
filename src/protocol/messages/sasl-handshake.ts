/**
 * SaslHandshake (key 17), versions 0-1, never flexible. v0 is followed by raw SASL tokens on the
 * socket; v1 by SaslAuthenticate requests.
 * Request: mechanism. Response: errorCode, mechanisms (the ones the broker enables).
 */
import { f, type ApiDef } from '../schema.js';

export const saslHandshakeApi: ApiDef = {
  apiKey: 17,
  name: 'SaslHandshake',
  versionMin: 0,
  versionMax: 1,
  flexibleMin: null,
  request: [f('mechanism', 'string')],
  response: [f('errorCode', 'int16'), f('mechanisms', 'string[]')],
};

export interface SaslHandshakeRequest {
  mechanism: string;
}

export interface SaslHandshakeResponse {
  errorCode: number;
  mechanisms: string[];
}

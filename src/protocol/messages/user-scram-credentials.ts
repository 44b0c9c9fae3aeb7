/**
 * DescribeUserScramCredentials (key 50) and AlterUserScramCredentials (key 51), KIP-554: version 0,
 * flexible. Mechanisms are numbered 1 = SCRAM-SHA-256, 2 = SCRAM-SHA-512 (0 = unknown).
 *
 * Describe request: users (null = all). Response: throttleTimeMs, errorCode, errorMessage, results
 * [user, errorCode, errorMessage, credentialInfos [mechanism, iterations]].
 * Alter request: deletions [name, mechanism], upsertions [name, mechanism, iterations, salt,
 * saltedPassword] (the client salts and hashes the password; it never reaches the broker).
 * Response: throttleTimeMs, results [user, errorCode, errorMessage].
 */
import { f, type ApiDef } from '../schema.js';

export const describeUserScramCredentialsApi: ApiDef = {
  apiKey: 50,
  name: 'DescribeUserScramCredentials',
  versionMin: 0,
  versionMax: 0,
  flexibleMin: 0,
  request: [f('users', [f('name', 'string')], '0+', { nullable: '0+' })],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
    f('results', [
      f('user', 'string'),
      f('errorCode', 'int16'),
      f('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
      f('credentialInfos', [f('mechanism', 'int8'), f('iterations', 'int32')]),
    ]),
  ],
};

export interface DescribeUserScramCredentialsRequest {
  users: Array<{ name: string }> | null;
}

export interface DescribeUserScramCredentialsResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  results: Array<{ user: string; errorCode: number; errorMessage: string | null; credentialInfos: Array<{ mechanism: number; iterations: number }> }>;
}

export const alterUserScramCredentialsApi: ApiDef = {
  apiKey: 51,
  name: 'AlterUserScramCredentials',
  versionMin: 0,
  versionMax: 0,
  flexibleMin: 0,
  request: [
    f('deletions', [f('name', 'string'), f('mechanism', 'int8')]),
    f('upsertions', [f('name', 'string'), f('mechanism', 'int8'), f('iterations', 'int32'), f('salt', 'bytes'), f('saltedPassword', 'bytes')]),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('results', [f('user', 'string'), f('errorCode', 'int16'), f('errorMessage', 'string', '0+', { nullable: '0+', default: null })]),
  ],
};

export interface AlterUserScramCredentialsRequest {
  deletions: Array<{ name: string; mechanism: number }>;
  upsertions: Array<{ name: string; mechanism: number; iterations: number; salt: Buffer; saltedPassword: Buffer }>;
}

export interface AlterUserScramCredentialsResponse {
  throttleTimeMs: number;
  results: Array<{ user: string; errorCode: number; errorMessage: string | null }>;
}

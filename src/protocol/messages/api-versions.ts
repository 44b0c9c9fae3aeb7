/**
 * ApiVersions (key 18), versions 0-3, flexible from 3.
 * Request v3+: clientSoftwareName, clientSoftwareVersion.
 * Response: errorCode, apiKeys[apiKey, minVersion, maxVersion], throttleTimeMs (v1+), and in v3
 * tagged fields for features (we advertise none).
 */
import { f, type ApiDef } from '../schema.js';

export const apiVersionsApi: ApiDef = {
  apiKey: 18,
  name: 'ApiVersions',
  versionMin: 0,
  versionMax: 3,
  flexibleMin: 3,
  request: [f('clientSoftwareName', 'string', '3+'), f('clientSoftwareVersion', 'string', '3+')],
  response: [
    f('errorCode', 'int16'),
    f('apiKeys', [f('apiKey', 'int16'), f('minVersion', 'int16'), f('maxVersion', 'int16')]),
    f('throttleTimeMs', 'int32', '1+'),
    f('supportedFeatures', [f('name', 'string'), f('minVersion', 'int16'), f('maxVersion', 'int16')], '3+', { tag: 0 }),
    f('finalizedFeaturesEpoch', 'int64', '3+', { tag: 1, default: -1n }),
    f('finalizedFeatures', [f('name', 'string'), f('maxVersionLevel', 'int16'), f('minVersionLevel', 'int16')], '3+', { tag: 2 }),
    f('zkMigrationReady', 'bool', '3+', { tag: 3 }),
  ],
};

export interface ApiVersionsRequest {
  clientSoftwareName: string;
  clientSoftwareVersion: string;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: Array<{ apiKey: number; minVersion: number; maxVersion: number }>;
  throttleTimeMs: number;
}

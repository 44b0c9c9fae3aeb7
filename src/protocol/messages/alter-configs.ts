/**
 * AlterConfigs (key 33), versions 0-2, flexible from 2. Replaces the whole dynamic config of each
 * resource (IncrementalAlterConfigs is the per-key variant).
 * Request: resources[resourceType, resourceName, configs[name, value]], validateOnly.
 * Response: throttleTimeMs, responses[errorCode, errorMessage, resourceType, resourceName].
 */
import { f, type ApiDef } from '../schema.js';

export const alterConfigsApi: ApiDef = {
  apiKey: 33,
  name: 'AlterConfigs',
  versionMin: 0,
  versionMax: 2,
  flexibleMin: 2,
  request: [
    f('resources', [
      f('resourceType', 'int8'),
      f('resourceName', 'string'),
      f('configs', [f('name', 'string'), f('value', 'string', '0+', { nullable: '0+' })]),
    ]),
    f('validateOnly', 'bool'),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('responses', [
      f('errorCode', 'int16'),
      f('errorMessage', 'string', '0+', { nullable: '0+' }),
      f('resourceType', 'int8'),
      f('resourceName', 'string'),
    ]),
  ],
};

export interface AlterConfigsRequest {
  resources: Array<{ resourceType: number; resourceName: string; configs: Array<{ name: string; value: string | null }> }>;
  validateOnly: boolean;
}

export interface AlterConfigsResponse {
  throttleTimeMs: number;
  responses: Array<{ errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }>;
}

/**
 * IncrementalAlterConfigs (key 44), versions 0-1, flexible from 1 (KIP-339).
 * Request: resources[resourceType, resourceName, configs[name, configOperation (0 set, 1 delete,
 * 2 append, 3 subtract), value]], validateOnly.
 * Response: throttleTimeMs, responses[errorCode, errorMessage, resourceType, resourceName].
 */
import { f, type ApiDef } from '../schema.js';

export const incrementalAlterConfigsApi: ApiDef = {
  apiKey: 44,
  name: 'IncrementalAlterConfigs',
  versionMin: 0,
  versionMax: 1,
  flexibleMin: 1,
  request: [
    f('resources', [
      f('resourceType', 'int8'),
      f('resourceName', 'string'),
      f('configs', [f('name', 'string'), f('configOperation', 'int8'), f('value', 'string', '0+', { nullable: '0+' })]),
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

export interface IncrementalAlterConfigsRequest {
  resources: Array<{
    resourceType: number;
    resourceName: string;
    configs: Array<{ name: string; configOperation: number; value: string | null }>;
  }>;
  validateOnly: boolean;
}

export interface IncrementalAlterConfigsResponse {
  throttleTimeMs: number;
  responses: Array<{ errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }>;
}

/**
 * DescribeConfigs (key 32), versions 0-4, flexible from 4.
 * Request: resources[resourceType (2 = topic, 4 = broker, 8 = broker logger), resourceName,
 * configurationKeys (null = all)], includeSynonyms (v1+), includeDocumentation (v3+).
 * Response: throttleTimeMs, results[errorCode, errorMessage, resourceType, resourceName, configs[name,
 * value, readOnly, isDefault (v0 only; replaced by configSource from v1), configSource (v1+),
 * isSensitive, synonyms (v1+)[name, value, source], configType (v3+), documentation (v3+)]].
 */
import { f, type ApiDef } from '../schema.js';

export const describeConfigsApi: ApiDef = {
  apiKey: 32,
  name: 'DescribeConfigs',
  versionMin: 0,
  versionMax: 4,
  flexibleMin: 4,
  request: [
    f('resources', [
      f('resourceType', 'int8'),
      f('resourceName', 'string'),
      f('configurationKeys', 'string[]', '0+', { nullable: '0+', default: null }),
    ]),
    f('includeSynonyms', 'bool', '1+'),
    f('includeDocumentation', 'bool', '3+'),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('results', [
      f('errorCode', 'int16'),
      f('errorMessage', 'string', '0+', { nullable: '0+' }),
      f('resourceType', 'int8'),
      f('resourceName', 'string'),
      f('configs', [
        f('name', 'string'),
        f('value', 'string', '0+', { nullable: '0+' }),
        f('readOnly', 'bool'),
        f('isDefault', 'bool', '0'),
        f('configSource', 'int8', '1+', { default: -1 }),
        f('isSensitive', 'bool'),
        f('synonyms', [f('name', 'string'), f('value', 'string', '0+', { nullable: '0+' }), f('source', 'int8')], '1+'),
        f('configType', 'int8', '3+'),
        f('documentation', 'string', '3+', { nullable: '0+' }),
      ]),
    ]),
  ],
};

export interface DescribeConfigsRequest {
  resources: Array<{ resourceType: number; resourceName: string; configurationKeys: string[] | null }>;
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

export interface DescribeConfigsResourceResult {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: Array<{ name: string; value: string | null; source: number }>;
  configType: number;
  documentation: string | null;
}

export interface DescribeConfigsResponse {
  throttleTimeMs: number;
  results: Array<{
    errorCode: number;
    errorMessage: string | null;
    resourceType: number;
    resourceName: string;
    configs: DescribeConfigsResourceResult[];
  }>;
}

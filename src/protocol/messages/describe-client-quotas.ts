/**
 * DescribeClientQuotas (key 48), versions 0-1, flexible from 1 (written from Kafka's protocol docs).
 * Request: components[entityType ('user', 'client-id', 'ip'), matchType (0 exact name, 1 the
 * default entity, 2 any entity of the type), match (the name for matchType 0)], strict (only
 * entities with exactly these types). Response: throttleTimeMs, errorCode, errorMessage,
 * entries (nullable)[entity[entityType, entityName (null = the default)], values[key, value]].
 */
import { f, type ApiDef } from '../schema.js';

export const describeClientQuotasApi: ApiDef = {
  apiKey: 48,
  name: 'DescribeClientQuotas',
  versionMin: 0,
  versionMax: 1,
  flexibleMin: 1,
  request: [
    f('components', [f('entityType', 'string'), f('matchType', 'int8'), f('match', 'string', '0+', { nullable: '0+' })]),
    f('strict', 'bool'),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f(
      'entries',
      [f('entity', [f('entityType', 'string'), f('entityName', 'string', '0+', { nullable: '0+' })]), f('values', [f('key', 'string'), f('value', 'float64')])],
      '0+',
      { nullable: '0+' },
    ),
  ],
};

export interface QuotaEntityPart {
  entityType: string;
  entityName: string | null;
}

export interface DescribeClientQuotasRequest {
  components: Array<{ entityType: string; matchType: number; match: string | null }>;
  strict: boolean;
}

export interface DescribeClientQuotasResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  entries: Array<{ entity: QuotaEntityPart[]; values: Array<{ key: string; value: number }> }> | null;
}

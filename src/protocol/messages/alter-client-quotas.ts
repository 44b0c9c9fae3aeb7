/**
 * AlterClientQuotas (key 49), versions 0-1, flexible from 1 (written from Kafka's protocol docs).
 * Request: entries[entity[entityType, entityName (null = the default)], ops[key, value, remove]],
 * validateOnly. Response: throttleTimeMs, entries[errorCode, errorMessage, entity[entityType, entityName]].
 */
import { f, type ApiDef } from '../schema.js';
import type { QuotaEntityPart } from './describe-client-quotas.js';

const entity = f('entity', [f('entityType', 'string'), f('entityName', 'string', '0+', { nullable: '0+' })]);

export const alterClientQuotasApi: ApiDef = {
  apiKey: 49,
  name: 'AlterClientQuotas',
  versionMin: 0,
  versionMax: 1,
  flexibleMin: 1,
  request: [f('entries', [entity, f('ops', [f('key', 'string'), f('value', 'float64'), f('remove', 'bool')])]), f('validateOnly', 'bool')],
  response: [f('throttleTimeMs', 'int32'), f('entries', [f('errorCode', 'int16'), f('errorMessage', 'string', '0+', { nullable: '0+' }), entity])],
};

export interface AlterClientQuotasRequest {
  entries: Array<{ entity: QuotaEntityPart[]; ops: Array<{ key: string; value: number; remove: boolean }> }>;
  validateOnly: boolean;
}

export interface AlterClientQuotasResponse {
  throttleTimeMs: number;
  entries: Array<{ errorCode: number; errorMessage: string | null; entity: QuotaEntityPart[] }>;
}

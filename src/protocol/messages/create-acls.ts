/**
 * CreateAcls (key 30), versions 0-3, flexible from 2 (written from Kafka's protocol docs).
 * Request: creations[resourceType, resourceName, resourcePatternType (v1+; v0 means LITERAL),
 * principal, host, operation, permissionType]. Response: throttleTimeMs, results[errorCode,
 * errorMessage], one per creation in order.
 */
import { f, type ApiDef } from '../schema.js';

export const createAclsApi: ApiDef = {
  apiKey: 30,
  name: 'CreateAcls',
  versionMin: 0,
  versionMax: 3,
  flexibleMin: 2,
  request: [
    f('creations', [
      f('resourceType', 'int8'),
      f('resourceName', 'string'),
      f('resourcePatternType', 'int8', '1+', { default: 3 }),
      f('principal', 'string'),
      f('host', 'string'),
      f('operation', 'int8'),
      f('permissionType', 'int8'),
    ]),
  ],
  response: [f('throttleTimeMs', 'int32'), f('results', [f('errorCode', 'int16'), f('errorMessage', 'string', '0+', { nullable: '0+' })])],
};

export interface AclCreation {
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

export interface CreateAclsRequest {
  creations: AclCreation[];
}

export interface CreateAclsResponse {
  throttleTimeMs: number;
  results: Array<{ errorCode: number; errorMessage: string | null }>;
}

/**
 * DeleteAcls (key 31), versions 0-3, flexible from 2 (written from Kafka's protocol docs).
 * Request: filters[resourceTypeFilter, resourceNameFilter, patternTypeFilter (v1+), principalFilter,
 * hostFilter, operation, permissionType]. Response: throttleTimeMs, filterResults[errorCode,
 * errorMessage, matchingAcls[errorCode, errorMessage, resourceType, resourceName, patternType (v1+),
 * principal, host, operation, permissionType]], one result per filter in order.
 */
import { f, type ApiDef } from '../schema.js';
import { aclFilterFields, type AclFilterFields } from './describe-acls.js';

export type { AclFilterFields };

export const deleteAclsApi: ApiDef = {
  apiKey: 31,
  name: 'DeleteAcls',
  versionMin: 0,
  versionMax: 3,
  flexibleMin: 2,
  request: [
    f('filters', aclFilterFields),
  ],
  response: [
    f('throttleTimeMs', 'int32'),
    f('filterResults', [
      f('errorCode', 'int16'),
      f('errorMessage', 'string', '0+', { nullable: '0+' }),
      f('matchingAcls', [
        f('errorCode', 'int16'),
        f('errorMessage', 'string', '0+', { nullable: '0+' }),
        f('resourceType', 'int8'),
        f('resourceName', 'string'),
        f('patternType', 'int8', '1+', { default: 3 }),
        f('principal', 'string'),
        f('host', 'string'),
        f('operation', 'int8'),
        f('permissionType', 'int8'),
      ]),
    ]),
  ],
};

export interface DeleteAclsRequest {
  filters: AclFilterFields[];
}

export interface DeleteAclsMatchingAcl {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

export interface DeleteAclsResponse {
  throttleTimeMs: number;
  filterResults: Array<{ errorCode: number; errorMessage: string | null; matchingAcls: DeleteAclsMatchingAcl[] }>;
}

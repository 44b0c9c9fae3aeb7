/**
 * DescribeAcls (key 29), versions 0-3, flexible from 2 (written from Kafka's protocol docs).
 * Request: a binding filter — resourceTypeFilter, resourceNameFilter (null = any), patternTypeFilter
 * (v1+; v0 means LITERAL), principalFilter, hostFilter (null = any), operation, permissionType
 * (codes in security/acl.ts). Response: throttleTimeMs, errorCode, errorMessage, resources[resourceType,
 * resourceName, patternType (v1+), acls[principal, host, operation, permissionType]].
 */
import { f, type ApiDef, type FieldDef } from '../schema.js';

/** An ACL binding filter: DescribeAcls's request, and each of DeleteAcls's filters. */
export const aclFilterFields: FieldDef[] = [
  f('resourceTypeFilter', 'int8'),
  f('resourceNameFilter', 'string', '0+', { nullable: '0+' }),
  f('patternTypeFilter', 'int8', '1+', { default: 3 }),
  f('principalFilter', 'string', '0+', { nullable: '0+' }),
  f('hostFilter', 'string', '0+', { nullable: '0+' }),
  f('operation', 'int8'),
  f('permissionType', 'int8'),
];

export const describeAclsApi: ApiDef = {
  apiKey: 29,
  name: 'DescribeAcls',
  versionMin: 0,
  versionMax: 3,
  flexibleMin: 2,
  request: aclFilterFields,
  response: [
    f('throttleTimeMs', 'int32'),
    f('errorCode', 'int16'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f('resources', [
      f('resourceType', 'int8'),
      f('resourceName', 'string'),
      f('patternType', 'int8', '1+', { default: 3 }),
      f('acls', [f('principal', 'string'), f('host', 'string'), f('operation', 'int8'), f('permissionType', 'int8')]),
    ]),
  ],
};

export interface AclFilterFields {
  resourceTypeFilter: number;
  resourceNameFilter: string | null;
  patternTypeFilter: number;
  principalFilter: string | null;
  hostFilter: string | null;
  operation: number;
  permissionType: number;
}

export type DescribeAclsRequest = AclFilterFields;

export interface AclDescription {
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

export interface DescribeAclsResource {
  resourceType: number;
  resourceName: string;
  patternType: number;
  acls: AclDescription[];
}

export interface DescribeAclsResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  resources: DescribeAclsResource[];
}

/**
 * ACL vocabulary, as Kafka defines it: resource types, operations, pattern types and permissions,
 * with their wire codes (CreateAcls/DescribeAcls/DeleteAcls) and their names (the ZooKeeper JSON,
 * `kafka-acls` output). Pure data and functions; the authorizer (acl-authorizer.ts) and the ACL
 * store (security-store.ts) build on it.
 *
 * Wire codes, from Kafka's protocol documentation:
 * - resource type: 0 UNKNOWN, 1 ANY, 2 TOPIC, 3 GROUP, 4 CLUSTER, 5 TRANSACTIONAL_ID, 6 DELEGATION_TOKEN, 7 USER
 * - operation: 0 UNKNOWN, 1 ANY, 2 ALL, 3 READ, 4 WRITE, 5 CREATE, 6 DELETE, 7 ALTER, 8 DESCRIBE,
 *   9 CLUSTER_ACTION, 10 DESCRIBE_CONFIGS, 11 ALTER_CONFIGS, 12 IDEMPOTENT_WRITE, 13 CREATE_TOKENS, 14 DESCRIBE_TOKENS
 * - pattern type: 0 UNKNOWN, 1 ANY, 2 MATCH, 3 LITERAL, 4 PREFIXED
 * - permission type: 0 UNKNOWN, 1 ANY, 2 DENY, 3 ALLOW
 */

export const ResourceType = {
  UNKNOWN: 0,
  ANY: 1,
  TOPIC: 2,
  GROUP: 3,
  CLUSTER: 4,
  TRANSACTIONAL_ID: 5,
  DELEGATION_TOKEN: 6,
  USER: 7,
} as const;
export type ResourceTypeCode = (typeof ResourceType)[keyof typeof ResourceType];

export const AclOperation = {
  UNKNOWN: 0,
  ANY: 1,
  ALL: 2,
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
  CREATE_TOKENS: 13,
  DESCRIBE_TOKENS: 14,
} as const;
export type AclOperationCode = (typeof AclOperation)[keyof typeof AclOperation];

export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;
export type PatternTypeCode = (typeof PatternType)[keyof typeof PatternType];

export const Permission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;
export type PermissionCode = (typeof Permission)[keyof typeof Permission];

/** The names Kafka's ZooKeeper JSON and `kafka-acls` use. */
const RESOURCE_TYPE_NAMES: Record<number, string> = { 2: 'Topic', 3: 'Group', 4: 'Cluster', 5: 'TransactionalId', 6: 'DelegationToken', 7: 'User' };
const OPERATION_NAMES: Record<number, string> = {
  2: 'All',
  3: 'Read',
  4: 'Write',
  5: 'Create',
  6: 'Delete',
  7: 'Alter',
  8: 'Describe',
  9: 'ClusterAction',
  10: 'DescribeConfigs',
  11: 'AlterConfigs',
  12: 'IdempotentWrite',
  13: 'CreateTokens',
  14: 'DescribeTokens',
};
const PERMISSION_NAMES: Record<number, string> = { 2: 'Deny', 3: 'Allow' };
const PATTERN_NAMES: Record<number, string> = { 3: 'LITERAL', 4: 'PREFIXED' };

export const resourceTypeName = (code: number): string => RESOURCE_TYPE_NAMES[code] ?? 'Unknown';
export const operationName = (code: number): string => OPERATION_NAMES[code] ?? 'Unknown';
export const permissionName = (code: number): string => PERMISSION_NAMES[code] ?? 'Unknown';
export const patternTypeName = (code: number): string => PATTERN_NAMES[code] ?? 'UNKNOWN';

/** Parses a name in any of Kafka's spellings (`Read`, `READ`, `read`, `ClusterAction`, `CLUSTER_ACTION`); null if unknown. */
function codeOf(names: Record<number, string>, text: string): number | null {
  const want = text.replace(/_/g, '').toLowerCase();
  for (const [code, name] of Object.entries(names)) if (name.toLowerCase() === want) return Number(code);
  return null;
}
export const resourceTypeCode = (text: string): ResourceTypeCode | null => codeOf(RESOURCE_TYPE_NAMES, text) as ResourceTypeCode | null;
export const operationCode = (text: string): AclOperationCode | null => codeOf(OPERATION_NAMES, text) as AclOperationCode | null;
export const permissionCode = (text: string): PermissionCode | null => codeOf(PERMISSION_NAMES, text) as PermissionCode | null;

/** The cluster resource's only name. */
export const CLUSTER_NAME = 'kafka-cluster';
/** The wildcard resource name and the wildcard principal/host. */
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

/** A resource pattern an ACL is attached to (a stored ACL is LITERAL or PREFIXED). */
export interface ResourcePattern {
  resourceType: ResourceTypeCode;
  name: string;
  patternType: typeof PatternType.LITERAL | typeof PatternType.PREFIXED;
}

/** One access control entry, as stored (names, Kafka's ZooKeeper JSON form). */
export interface AclEntry {
  principal: string;
  permissionType: 'Allow' | 'Deny';
  operation: string;
  host: string;
}

/** A full binding: pattern + entry. */
export interface AclBinding {
  pattern: ResourcePattern;
  entry: AclEntry;
}

/** A filter (DescribeAcls, DeleteAcls): null fields match anything; codes may be ANY/MATCH. */
export interface AclBindingFilter {
  resourceType: number;
  name: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

/** Why a binding cannot be stored (CreateAcls answers INVALID_REQUEST with it), or null. */
export function bindingProblem(b: { resourceType: number; name: string; patternType: number; principal: string; host: string; operation: number; permissionType: number }): string | null {
  if (RESOURCE_TYPE_NAMES[b.resourceType] === undefined || b.resourceType === ResourceType.USER) return `Invalid resource type ${b.resourceType}`;
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `Invalid pattern type ${b.patternType}: must be LITERAL or PREFIXED`;
  if (OPERATION_NAMES[b.operation] === undefined) return `Invalid operation ${b.operation}`;
  if (PERMISSION_NAMES[b.permissionType] === undefined) return `Invalid permission type ${b.permissionType}`;
  if (b.name === '') return 'Resource name must not be empty';
  if (b.resourceType === ResourceType.CLUSTER && b.name !== CLUSTER_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_NAME}`;
  if (b.patternType === PatternType.PREFIXED && b.name === WILDCARD) return "Prefixed resource pattern may not be the wildcard '*'";
  if (!/^[^:]+:.+$/.test(b.principal)) return `Invalid principal '${b.principal}': expected Type:name, e.g. User:alice`;
  if (b.host === '') return "Host must not be empty (use '*' for any host)";
  return null;
}

/** Whether `filter` selects the stored binding (Kafka's AclBindingFilter.matches). */
export function filterMatches(filter: AclBindingFilter, b: AclBinding): boolean {
  if (filter.resourceType !== ResourceType.ANY && filter.resourceType !== b.pattern.resourceType) return false;
  if (!patternFilterMatches(filter, b.pattern)) return false;
  if (filter.principal !== null && filter.principal !== b.entry.principal) return false;
  if (filter.host !== null && filter.host !== b.entry.host) return false;
  if (filter.operation !== AclOperation.ANY && operationCode(b.entry.operation) !== filter.operation) return false;
  if (filter.permissionType !== Permission.ANY && permissionCode(b.entry.permissionType) !== filter.permissionType) return false;
  return true;
}

function patternFilterMatches(filter: AclBindingFilter, p: ResourcePattern): boolean {
  switch (filter.patternType) {
    case PatternType.ANY:
      return filter.name === null || filter.name === p.name;
    case PatternType.MATCH:
      // Every stored pattern that would apply to a resource of this name.
      if (filter.name === null) return true;
      if (p.patternType === PatternType.LITERAL) return p.name === filter.name || p.name === WILDCARD;
      return filter.name.startsWith(p.name);
    case PatternType.LITERAL:
    case PatternType.PREFIXED:
      return filter.patternType === p.patternType && (filter.name === null || filter.name === p.name);
    default:
      return false;
  }
}

/** Why a filter is unusable (DescribeAcls/DeleteAcls answer INVALID_REQUEST), or null. */
export function filterProblem(f: AclBindingFilter): string | null {
  if (f.resourceType === ResourceType.UNKNOWN) return 'Invalid resource type UNKNOWN in filter';
  if (f.patternType === PatternType.UNKNOWN || f.patternType > PatternType.PREFIXED) return 'Invalid pattern type in filter';
  if (f.operation === AclOperation.UNKNOWN || f.operation > AclOperation.DESCRIBE_TOKENS) return 'Invalid operation in filter';
  if (f.permissionType === Permission.UNKNOWN || f.permissionType > Permission.ALLOW) return 'Invalid permission type in filter';
  return null;
}

/** The key a pattern is indexed by (`Topic:LITERAL:orders`). */
export function patternKey(p: ResourcePattern): string {
  return `${resourceTypeName(p.resourceType)}:${patternTypeName(p.patternType)}:${p.name}`;
}

export function sameEntry(a: AclEntry, b: AclEntry): boolean {
  return a.principal === b.principal && a.permissionType === b.permissionType && a.operation === b.operation && a.host === b.host;
}

/** Kafka's text form of a binding (kafka-acls and log lines). */
export function entryText(e: AclEntry): string {
  return `(principal=${e.principal}, host=${e.host}, operation=${e.operation.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}, permissionType=${e.permissionType.toUpperCase()})`;
}

/**
 * What CreateAcls, DescribeAcls and DeleteAcls share: the answer when no authorizer is configured
 * (SECURITY_DISABLED, Kafka's), filters out of request fields, and the stored bindings as a list.
 */
import { type AclBinding, type AclBindingFilter, operationCode, permissionCode, PatternType, type ResourcePattern } from '../security/acl.js';
import type { SecurityState } from '../security/security-store.js';
import type { AclFilterFields } from '../protocol/messages/delete-acls.js';

export const SECURITY_DISABLED_MESSAGE = 'No Authorizer is configured on the broker (set authorizer.class.name=kafka.security.authorizer.AclAuthorizer).';

/** A request's filter fields as a filter; v0 has no pattern type and means LITERAL. */
export function filterOf(f: AclFilterFields, apiVersion: number): AclBindingFilter {
  return {
    resourceType: f.resourceTypeFilter,
    name: f.resourceNameFilter,
    patternType: apiVersion >= 1 ? f.patternTypeFilter : PatternType.LITERAL,
    principal: f.principalFilter,
    host: f.hostFilter,
    operation: f.operation,
    permissionType: f.permissionType,
  };
}

/** Every stored binding. */
export function bindingsOf(state: SecurityState): AclBinding[] {
  const out: AclBinding[] = [];
  for (const p of state.acls.values()) for (const entry of p.entries) out.push({ pattern: p.pattern, entry });
  return out;
}

/** Wire codes of a stored entry. */
export function entryCodes(b: AclBinding): { operation: number; permissionType: number } {
  return { operation: operationCode(b.entry.operation) ?? 0, permissionType: permissionCode(b.entry.permissionType) ?? 0 };
}

/** Groups bindings by their pattern (stable order). */
export function byPattern(bindings: AclBinding[]): Array<{ pattern: ResourcePattern; bindings: AclBinding[] }> {
  const groups = new Map<string, { pattern: ResourcePattern; bindings: AclBinding[] }>();
  for (const b of bindings) {
    const key = `${b.pattern.resourceType}\u0000${b.pattern.patternType}\u0000${b.pattern.name}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { pattern: b.pattern, bindings: [] }));
    g.bindings.push(b);
  }
  return [...groups.values()];
}

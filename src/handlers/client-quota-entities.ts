/**
 * Client quota entities on the wire (DescribeClientQuotas, AlterClientQuotas): a list of
 * (entityType 'user' | 'client-id', entityName or null for the default) turned into and out of the
 * stored entity paths (security/security-store.ts).
 */
import type { QuotaEntityPart } from '../protocol/messages/describe-client-quotas.js';
import { DEFAULT_ENTITY, entityOfPath, entityPath, isQuotaKey } from '../security/security-store.js';

export const USER = 'user';
export const CLIENT_ID = 'client-id';

/** The stored path of a wire entity, or the problem with it. */
export function pathOfEntity(parts: readonly QuotaEntityPart[]): { path: string } | { problem: string } {
  let user: string | null = null;
  let clientId: string | null = null;
  for (const p of parts) {
    const name = p.entityName ?? DEFAULT_ENTITY;
    if (p.entityType === USER && user === null) user = name;
    else if (p.entityType === CLIENT_ID && clientId === null) clientId = name;
    else if (p.entityType === 'ip') return { problem: 'IP quotas (connection_creation_rate per address) are not supported by Samsa; use max.connections.per.ip and max.connection.creation.rate' };
    else return { problem: `Invalid quota entity: unknown or repeated entity type '${p.entityType}' (use user and/or client-id)` };
  }
  if (user === null && clientId === null) return { problem: 'Invalid quota entity: it names no user and no client-id' };
  if (user === '' || clientId === '') return { problem: 'Invalid quota entity: an empty name (use null for the default entity)' };
  return { path: entityPath({ user, clientId }) };
}

/** The wire entity of a stored path (null for a path that is not a quota entity). */
export function entityOfStoredPath(path: string): QuotaEntityPart[] | null {
  const e = entityOfPath(path);
  if (e === null) return null;
  const parts: QuotaEntityPart[] = [];
  if (e.user !== null) parts.push({ entityType: USER, entityName: e.user === DEFAULT_ENTITY ? null : e.user });
  if (e.clientId !== null) parts.push({ entityType: CLIENT_ID, entityName: e.clientId === DEFAULT_ENTITY ? null : e.clientId });
  return parts;
}

/** The problem with setting `key` to `value`, or null. */
export function quotaValueProblem(key: string, value: number): string | null {
  if (!isQuotaKey(key)) return `Unknown quota key '${key}': expected producer_byte_rate, consumer_byte_rate, request_percentage or controller_mutation_rate`;
  if (!Number.isFinite(value) || value <= 0) return `Quota ${key} must be a positive number, got ${value}`;
  if ((key === 'producer_byte_rate' || key === 'consumer_byte_rate') && !Number.isInteger(value)) return `Quota ${key} must be a whole number of bytes per second, got ${value}`;
  return null;
}

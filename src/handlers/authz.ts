/**
 * The authorization checks handlers make, in one small vocabulary over BrokerContext.authorizer
 * (security/authorizer.ts). With no authorizer configured (authorizer.class.name empty) every
 * check is a single `undefined` test: handlers pay nothing.
 *
 * Each handler makes its checks in one place, before it changes anything, answering the right
 * *_AUTHORIZATION_FAILED code (Kafka's per-API table: docs/SECURITY.md "Authorization (ACLs)").
 */
import { AclOperation, CLUSTER_NAME, ResourceType, type AclOperationCode, type ResourceTypeCode } from '../security/acl.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { RequestContext } from './handler.js';

export { AclOperation as Op, ResourceType as Res } from '../security/acl.js';

/** May the request's principal do `op` on the resource? */
export function allowed(ctx: RequestContext, op: AclOperationCode, type: ResourceTypeCode, name: string): boolean {
  const a = ctx.broker.authorizer;
  return a === undefined || a.authorize(ctx, op, type, name);
}

/** `op` on the cluster resource. */
export function allowedOnCluster(ctx: RequestContext, op: AclOperationCode): boolean {
  return allowed(ctx, op, ResourceType.CLUSTER, CLUSTER_NAME);
}

/** The names among `names` NOT allowed `op` (empty when all are, or when there is no authorizer). */
export function deniedNames(ctx: RequestContext, op: AclOperationCode, type: ResourceTypeCode, names: Iterable<string>): Set<string> {
  const a = ctx.broker.authorizer;
  const denied = new Set<string>();
  if (a === undefined) return denied;
  for (const n of names) if (!a.authorize(ctx, op, type, n)) denied.add(n);
  return denied;
}

/** Kafka's rule for creating topics (CreateTopics, Metadata auto-create): Create on the cluster, or on the topic. */
export function mayCreateTopic(ctx: RequestContext, topic: string): boolean {
  return allowedOnCluster(ctx, AclOperation.CREATE) || allowed(ctx, AclOperation.CREATE, ResourceType.TOPIC, topic);
}

/** True when an authorizer is configured (some responses differ only then). */
export function authorizing(ctx: RequestContext): boolean {
  return ctx.broker.authorizer !== undefined;
}

/** Config resource types (DescribeConfigs/AlterConfigs): 2 topic, 4 broker, 8 broker logger. */
const CONFIG_TOPIC = 2;

/**
 * Kafka's check for a config resource: `op` (DescribeConfigs or AlterConfigs) on the topic, or on
 * the cluster for broker and broker-logger resources. Returns the refusal code, or null.
 */
export function configResourceRefusal(ctx: RequestContext, op: AclOperationCode, resourceType: number, name: string): number | null {
  if (ctx.broker.authorizer === undefined) return null;
  if (resourceType === CONFIG_TOPIC) return allowed(ctx, op, ResourceType.TOPIC, name) ? null : ErrorCode.TOPIC_AUTHORIZATION_FAILED;
  return allowedOnCluster(ctx, op) ? null : ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
}

/**
 * AlterConfigs (v0-2, the legacy API): replaces the whole set of config overrides of each resource
 * (keys not named lose their override), as Kafka's KRaft broker does (ConfigAdminManager.preprocess,
 * then the controller's legacyAlterConfigs). Per resource, in Kafka's order:
 * - a resource named twice: INVALID_REQUEST "Each resource must appear at most once." (both entries);
 * - a key named twice: INVALID_REQUEST "Error due to duplicate config keys";
 * - a null value: INVALID_REQUEST "Null value not supported for : k1, k2";
 * - TOPIC: '' is INVALID_REQUEST, an illegal name INVALID_TOPIC_EXCEPTION, then the controller
 *   validates every key and value (INVALID_CONFIG) and the topic's existence
 *   (UNKNOWN_TOPIC_OR_PARTITION);
 * - BROKER: the name must be '' (the cluster-wide default) or this broker's id (INVALID_REQUEST
 *   otherwise, Kafka's messages); the keys must be dynamic ones (INVALID_REQUEST "Cannot update
 *   these configs dynamically") with valid values (INVALID_CONFIG), see
 *   config/dynamic-broker-config.ts; then the controller stores them and they reach every broker;
 * - any other type, BROKER_LOGGER included: INVALID_REQUEST "Unknown resource type N".
 * validateOnly runs every check and changes nothing.
 */
import { topicNameProblem } from '../cluster/topic-names.js';
import { checkDynamicBrokerConfigs } from '../config/dynamic-broker-config.js';
import { deprecatedTopicConfigWarnings } from '../config/topic-config.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { alterConfigsApi, type AlterConfigsRequest, type AlterConfigsResponse } from '../protocol/messages/alter-configs.js';
import { ResourceType } from './describe-configs.js';
import { adminErrorCode } from './errors.js';
import { defineHandler, type RequestContext } from './handler.js';
import { configResourceRefusal, Op } from './authz.js';

/** A resource's outcome: errorCode and errorMessage as they go on the wire. */
export interface AlterOutcome {
  errorCode: number;
  errorMessage: string | null;
}

export const ALTER_OK: AlterOutcome = Object.freeze({ errorCode: ErrorCode.NONE, errorMessage: null });

export function refused(errorCode: number, errorMessage: string): AlterOutcome {
  return { errorCode, errorMessage };
}

/** For each resource, whether another entry names the same (type, name): Kafka refuses both. */
export function duplicateResourceFlags(resources: ReadonlyArray<{ resourceType: number; resourceName: string }>): boolean[] {
  const counts = new Map<string, number>();
  const key = (r: { resourceType: number; resourceName: string }): string => `${r.resourceType}\u0000${r.resourceName}`;
  for (const r of resources) counts.set(key(r), (counts.get(key(r)) ?? 0) + 1);
  return resources.map((r) => counts.get(key(r))! > 1);
}

export const DUPLICATE_RESOURCE = 'Each resource must appear at most once.';
export const DUPLICATE_KEYS = 'Error due to duplicate config keys';

export function hasDuplicateNames(configs: ReadonlyArray<{ name: string }>): boolean {
  return new Set(configs.map((c) => c.name)).size !== configs.length;
}

/** Kafka's validateResourceNameIsCurrentNodeId (alter paths). */
export function nodeIdProblem(name: string, brokerId: number): string | null {
  const id = Number(name);
  if (!/^[+-]?\d+$/.test(name) || !(id >= -(2 ** 31) && id <= 2 ** 31 - 1)) return `Node id must be an integer, but it is: ${name}`;
  if (id !== brokerId) return `Unexpected broker id, expected ${brokerId}, but received ${name}`;
  return null;
}

/** Checks on a TOPIC resource's name before the controller sees it (Kafka's ControllerConfigurationValidator). */
export function topicResourceProblem(name: string): AlterOutcome | null {
  if (name === '') return refused(ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.');
  const problem = topicNameProblem(name);
  return problem === null ? null : refused(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
}

/**
 * Changes the dynamic configs of a BROKER resource ('' = cluster default, else this broker's id):
 * checks the resulting set (dynamic keys only, valid values), then has the controller store it.
 */
export async function alterBroker(
  ctx: RequestContext,
  entity: string,
  changes: Record<string, string | null>,
  mode: 'replace' | 'incremental',
  validateOnly: boolean,
): Promise<AlterOutcome> {
  const next: Record<string, string> = mode === 'replace' ? {} : { ...(ctx.image.brokerConfigs.get(entity) ?? {}) };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  const problem = checkDynamicBrokerConfigs(ctx.broker.config, entity, next);
  if (problem !== null) return refused(problem.code === 'invalidRequest' ? ErrorCode.INVALID_REQUEST : ErrorCode.INVALID_CONFIG, problem.message);
  const result = await ctx.broker.controller.alterBrokerConfigs(entity, changes, mode, validateOnly);
  if (!result.ok) return refused(adminErrorCode(result.error), result.message);
  if (!validateOnly) ctx.log.info({ entity: entity === '' ? '<default>' : entity, changes, mode }, 'altered dynamic broker configs');
  return ALTER_OK;
}

/** Kafka's BROKER handling up to the change itself: '' (cluster default) or this broker's id. */
export function brokerResourceProblem(name: string, brokerId: number): AlterOutcome | null {
  if (name === '') return null;
  const problem = nodeIdProblem(name, brokerId);
  return problem === null ? null : refused(ErrorCode.INVALID_REQUEST, problem);
}

/** Runs the controller's change of a topic's overrides and maps its answer. */
export async function alterTopic(
  ctx: RequestContext,
  name: string,
  configs: Record<string, string | null>,
  mode: 'replace' | 'incremental',
  validateOnly: boolean,
): Promise<AlterOutcome> {
  const result = await ctx.broker.controller.alterTopicConfigs(name, configs, mode, validateOnly);
  if (!result.ok) {
    ctx.log.info({ topic: name, error: result.error }, `alter topic configs refused: ${result.message}`);
    return refused(adminErrorCode(result.error), result.message);
  }
  if (!validateOnly) ctx.log.info({ topic: name, configs, mode }, 'altered topic configs');
  for (const warning of deprecatedTopicConfigWarnings(name, configs)) ctx.log.warn({ topic: name }, warning);
  return ALTER_OK;
}

type Resource = AlterConfigsRequest['resources'][number];

async function alterResource(ctx: RequestContext, r: Resource, validateOnly: boolean): Promise<AlterOutcome> {
  if (hasDuplicateNames(r.configs)) return refused(ErrorCode.INVALID_REQUEST, DUPLICATE_KEYS);
  const nulls = r.configs.filter((c) => c.value === null).map((c) => c.name);
  if (nulls.length > 0) return refused(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(', ')}`);
  switch (r.resourceType) {
    case ResourceType.TOPIC: {
      const problem = topicResourceProblem(r.resourceName);
      if (problem) return problem;
      const configs: Record<string, string> = {};
      for (const c of r.configs) configs[c.name] = c.value!;
      return alterTopic(ctx, r.resourceName, configs, 'replace', validateOnly);
    }
    case ResourceType.BROKER: {
      const problem = brokerResourceProblem(r.resourceName, ctx.broker.brokerId);
      if (problem) return problem;
      const configs: Record<string, string> = {};
      for (const c of r.configs) configs[c.name] = c.value!;
      return alterBroker(ctx, r.resourceName, configs, 'replace', validateOnly);
    }
    default:
      return refused(ErrorCode.INVALID_REQUEST, `Unknown resource type ${r.resourceType}`);
  }
}

/**
 * Both AlterConfigs APIs' loop over resources, in request order: a resource listed twice answers
 * INVALID_REQUEST, one not authorized its authorization code, the others what `alter` answers.
 */
export async function alterEachResource<R extends { resourceType: number; resourceName: string }>(
  ctx: RequestContext,
  resources: readonly R[],
  alter: (r: R) => Promise<AlterOutcome>,
): Promise<Array<AlterOutcome & { resourceType: number; resourceName: string }>> {
  const duplicate = duplicateResourceFlags(resources);
  const responses: Array<AlterOutcome & { resourceType: number; resourceName: string }> = [];
  for (const [i, r] of resources.entries()) {
    const denied = configResourceRefusal(ctx, Op.ALTER_CONFIGS, r.resourceType, r.resourceName);
    const outcome = duplicate[i]
      ? refused(ErrorCode.INVALID_REQUEST, DUPLICATE_RESOURCE)
      : denied !== null
        ? refused(denied, 'Authorization failed.')
        : await alter(r);
    responses.push({ ...outcome, resourceType: r.resourceType, resourceName: r.resourceName });
  }
  return responses;
}

export const alterConfigsHandler = defineHandler<AlterConfigsRequest, AlterConfigsResponse>(alterConfigsApi, async (ctx, req) => ({
  throttleTimeMs: 0,
  responses: await alterEachResource(ctx, req.resources, (r) => alterResource(ctx, r, req.validateOnly)),
}));

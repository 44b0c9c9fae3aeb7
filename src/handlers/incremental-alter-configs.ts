/**
 * IncrementalAlterConfigs (v0-1, KIP-339): changes named keys of each resource, leaving the others,
 * as Kafka's KRaft broker and controller do (ConfigAdminManager.preprocess, then
 * ConfigurationControlManager.incrementalAlterConfigResource). Operations: 0 SET, 1 DELETE (remove the
 * override; a key without one is a no-op), 2 APPEND and 3 SUBTRACT (list-typed keys only: items are
 * added if absent / removed, starting from the override or else the key's default).
 * Per resource, in Kafka's order:
 * - a resource named twice: INVALID_REQUEST "Each resource must appear at most once." (both entries);
 * - a key named twice: INVALID_REQUEST "Error due to duplicate config keys";
 * - a null value for anything but DELETE: INVALID_REQUEST "Null value not supported for : k1, k2";
 * - TOPIC: '' is INVALID_REQUEST, an illegal name INVALID_TOPIC_EXCEPTION; APPEND/SUBTRACT on a key
 *   that is not a list is INVALID_CONFIG "Can't APPEND to key k because its type is not LIST."; the
 *   controller then validates the resulting keys and values (INVALID_CONFIG) and the topic's
 *   existence (UNKNOWN_TOPIC_OR_PARTITION). An unknown operation is INVALID_REQUEST (Kafka's
 *   controller fails it with UNKNOWN_SERVER_ERROR; a clear client error is better).
 * - BROKER: the name must be '' or this broker's id; an unknown operation is INVALID_REQUEST; the
 *   changes apply to the stored dynamic configs of that entity (APPEND/SUBTRACT on list keys as for
 *   topics), and the result must hold only dynamic keys with valid values (alter-configs.ts).
 * - BROKER_LOGGER: the name must be this broker's id. Samsa has no per-logger levels (DescribeConfigs
 *   lists none), so, as Kafka answers for a logger it does not have, SET and DELETE are INVALID_CONFIG
 *   "Logger <name> does not exist!"; APPEND/SUBTRACT are INVALID_REQUEST as in Kafka.
 * - any other type: INVALID_REQUEST "Unknown resource type N".
 * The changes of one resource succeed or fail together. validateOnly runs every check, changes nothing.
 * The APPEND/SUBTRACT base is read from the controller's latest image just before the change.
 */
import { brokerKeyDef } from '../config/broker-config.js';
import { topicKeyDef } from '../config/topic-config.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  incrementalAlterConfigsApi,
  type IncrementalAlterConfigsRequest,
  type IncrementalAlterConfigsResponse,
} from '../protocol/messages/incremental-alter-configs.js';
import {
  ALTER_OK,
  DUPLICATE_KEYS,
  alterBroker,
  alterEachResource,
  alterTopic,
  brokerResourceProblem,
  hasDuplicateNames,
  nodeIdProblem,
  refused,
  topicResourceProblem,
  type AlterOutcome,
} from './alter-configs.js';
import { ResourceType } from './describe-configs.js';
import { defineHandler, type RequestContext } from './handler.js';

export const OpType = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
const OP_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'];

type Resource = IncrementalAlterConfigsRequest['resources'][number];
type AlterableConfig = Resource['configs'][number];

function isKnownOp(op: number): boolean {
  return op >= OpType.SET && op <= OpType.SUBTRACT;
}

/** Items of a list value as Kafka's getParts reads them: split on ',', empty items dropped. */
function parts(value: string | null | undefined): string[] {
  if (value === null || value === undefined) return [];
  return value.split(',').filter((item) => item !== '');
}

/** The topic's new overrides for these operations (string = set, null = remove), or a refusal. */
type Changes = { ok: true; changes: Record<string, string | null> } | { ok: false; outcome: AlterOutcome };

function computeChanges(
  current: Readonly<Record<string, string>>,
  configs: readonly AlterableConfig[],
  defOf: (name: string) => { type: string; default: string | null } | undefined,
): Changes {
  const changes: Record<string, string | null> = {};
  for (const c of configs) {
    switch (c.configOperation) {
      case OpType.SET:
        changes[c.name] = c.value;
        break;
      case OpType.DELETE:
        changes[c.name] = null;
        break;
      case OpType.APPEND:
      case OpType.SUBTRACT: {
        const def = defOf(c.name);
        if (def === undefined || def.type !== 'list') {
          const outcome = refused(ErrorCode.INVALID_CONFIG, `Can't ${OP_NAMES[c.configOperation]} to key ${c.name} because its type is not LIST.`);
          return { ok: false, outcome };
        }
        const items = parts(Object.hasOwn(current, c.name) ? current[c.name] : def.default);
        for (const item of parts(c.value)) {
          if (c.configOperation === OpType.APPEND) {
            if (!items.includes(item)) items.push(item);
          } else {
            const at = items.indexOf(item);
            if (at >= 0) items.splice(at, 1);
          }
        }
        changes[c.name] = items.join(',');
        break;
      }
      default:
        return { ok: false, outcome: refused(ErrorCode.INVALID_REQUEST, `Unknown operation type ${c.configOperation}`) };
    }
  }
  return { ok: true, changes };
}

function loggerOutcome(r: Resource, brokerId: number): AlterOutcome {
  const problem = nodeIdProblem(r.resourceName, brokerId);
  if (problem) return refused(ErrorCode.INVALID_REQUEST, problem);
  for (const c of r.configs) {
    if (c.configOperation === OpType.SET || c.configOperation === OpType.DELETE) {
      return refused(ErrorCode.INVALID_CONFIG, `Logger ${c.name} does not exist!`);
    }
    if (c.configOperation === OpType.APPEND || c.configOperation === OpType.SUBTRACT) {
      return refused(ErrorCode.INVALID_REQUEST, `${OP_NAMES[c.configOperation]} operation is not allowed for the BROKER_LOGGER resource`);
    }
    return refused(ErrorCode.INVALID_REQUEST, `Unknown operation type ${c.configOperation} is not allowed for the BROKER_LOGGER resource`);
  }
  return ALTER_OK;
}

async function alterResource(ctx: RequestContext, r: Resource, validateOnly: boolean): Promise<AlterOutcome> {
  if (hasDuplicateNames(r.configs)) return refused(ErrorCode.INVALID_REQUEST, DUPLICATE_KEYS);
  const nulls = r.configs.filter((c) => c.configOperation !== OpType.DELETE && c.value === null).map((c) => c.name);
  if (nulls.length > 0) return refused(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${nulls.join(', ')}`);
  switch (r.resourceType) {
    case ResourceType.TOPIC: {
      const problem = topicResourceProblem(r.resourceName);
      if (problem) return problem;
      const current = ctx.broker.controller.image.topics.get(r.resourceName)?.configs ?? {};
      const computed = computeChanges(current, r.configs, topicKeyDef);
      if (!computed.ok) return computed.outcome;
      return alterTopic(ctx, r.resourceName, computed.changes, 'incremental', validateOnly);
    }
    case ResourceType.BROKER: {
      const problem = brokerResourceProblem(r.resourceName, ctx.broker.brokerId);
      if (problem) return problem;
      const unknown = r.configs.find((c) => !isKnownOp(c.configOperation));
      if (unknown) return refused(ErrorCode.INVALID_REQUEST, `Unknown operations type ${unknown.configOperation}`);
      const computed = computeChanges(ctx.image.brokerConfigs.get(r.resourceName) ?? {}, r.configs, brokerKeyDef);
      if (!computed.ok) return computed.outcome;
      return alterBroker(ctx, r.resourceName, computed.changes, 'incremental', validateOnly);
    }
    case ResourceType.BROKER_LOGGER:
      return loggerOutcome(r, ctx.broker.brokerId);
    default:
      return refused(ErrorCode.INVALID_REQUEST, `Unknown resource type ${r.resourceType}`);
  }
}

export const incrementalAlterConfigsHandler = defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>(incrementalAlterConfigsApi, async (ctx, req) => ({
  throttleTimeMs: 0,
  responses: await alterEachResource(ctx, req.resources, (r) => alterResource(ctx, r, req.validateOnly)),
}));

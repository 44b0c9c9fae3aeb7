/**
 * DescribeConfigs (v0-4), per resource, as Kafka's ConfigHelper does:
 * - TOPIC (2): every topic key with its effective value and source (DYNAMIC_TOPIC_CONFIG for an
 *   override, STATIC_BROKER_CONFIG when a broker key set in server.properties supplies it,
 *   DEFAULT_CONFIG otherwise). An illegal name is INVALID_TOPIC_EXCEPTION; a topic that does not
 *   exist is UNKNOWN_TOPIC_OR_PARTITION with no message, as Kafka answers.
 * - BROKER (4): this broker's id gives every broker key (describeBrokerConfigs); '' (the cluster-wide
 *   default resource) lists only dynamic cluster defaults, which Samsa does not have, so it is empty
 *   (Kafka answers the same on a cluster without dynamic defaults). Any other id is INVALID_REQUEST
 *   with Kafka's message.
 * - BROKER_LOGGER (8): Kafka lists its log4j loggers; Samsa has no per-logger levels, so this
 *   broker's id gives an empty list. An empty or foreign id is INVALID_REQUEST, as in Kafka.
 * - GROUP (32) and CLIENT_METRICS (16) configs are not supported: INVALID_REQUEST naming the type.
 *   Any other type is INVALID_REQUEST "Unexpected resource type UNKNOWN for resource <name>" (Kafka
 *   fails the whole request there; we fail just that resource).
 * configurationKeys null or empty means all keys; otherwise only the keys named (unknown ones are
 * simply absent). isDefault is on the wire in v0 only, configSource and synonyms from v1 (synonyms
 * only when includeSynonyms), configType and documentation from v3 (documentation only when
 * includeDocumentation). Sensitive values are null.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { brokerConfigLayers, brokerKeyDef, describeBrokerConfigs } from '../config/broker-config.js';
import { ConfigSource, ConfigType, effectiveTopicConfig } from '../config/topic-config.js';
import { topicNameProblem } from '../cluster/topic-names.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  describeConfigsApi,
  type DescribeConfigsRequest,
  type DescribeConfigsResourceResult,
  type DescribeConfigsResponse,
} from '../protocol/messages/describe-configs.js';
import { defineHandler, type RequestContext } from './handler.js';
import { configResourceRefusal, Op } from './authz.js';

/** ConfigResource.Type ids on the wire. Shared with AlterConfigs and IncrementalAlterConfigs. */
export const ResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const;

export function resourceTypeName(id: number): string {
  for (const [name, value] of Object.entries(ResourceType)) if (value === id) return name;
  return 'UNKNOWN';
}

type Resource = DescribeConfigsRequest['resources'][number];
type ResourceResult = DescribeConfigsResponse['results'][number];

interface Options {
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

class Refusal {
  constructor(
    readonly code: number,
    readonly message: string | null,
  ) {}
}

function wanted(resource: Resource): (name: string) => boolean {
  const keys = resource.configurationKeys;
  if (keys === null || keys.length === 0) return () => true;
  const set = new Set(keys);
  return (name) => set.has(name);
}

function describeTopic(ctx: RequestContext, resource: Resource, opts: Options): DescribeConfigsResourceResult[] | Refusal {
  const name = resource.resourceName;
  const problem = topicNameProblem(name);
  if (problem !== null) return new Refusal(ErrorCode.INVALID_TOPIC_EXCEPTION, problem);
  const topic = ctx.image.topics.get(name);
  if (!topic) return new Refusal(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
  const effective = effectiveTopicConfig(ctx.broker.config, { ...topic.configs });
  const include = wanted(resource);
  const out: DescribeConfigsResourceResult[] = [];
  for (const [key, e] of Object.entries(effective)) {
    if (!include(key)) continue;
    out.push({
      name: key,
      value: e.sensitive ? null : e.value,
      readOnly: e.readOnly,
      isDefault: e.isDefault,
      configSource: ConfigSource[e.source],
      isSensitive: e.sensitive,
      synonyms: opts.includeSynonyms
        ? e.synonyms.map((s) => ({ name: s.name, value: e.sensitive ? null : s.value, source: ConfigSource[s.source] }))
        : [],
      configType: ConfigType[e.type],
      documentation: opts.includeDocumentation ? (e.documentation ?? null) : null,
    });
  }
  return out;
}

/** Kafka's resourceNameToBrokerId for DescribeConfigs. */
function brokerIdOf(name: string): number | Refusal {
  // Java's Integer.parseInt: optional sign, decimal digits, within int32.
  const id = Number(name);
  if (!/^[+-]?\d+$/.test(name) || !(id >= -(2 ** 31) && id <= 2 ** 31 - 1)) {
    return new Refusal(ErrorCode.INVALID_REQUEST, `Broker id must be an integer, but it is: ${name}`);
  }
  return id;
}

/**
 * This broker's keys, each with synonyms as Kafka lists them, strongest first: a dynamic value of
 * this broker (DYNAMIC_BROKER_CONFIG), the cluster-wide dynamic default
 * (DYNAMIC_DEFAULT_BROKER_CONFIG), the value set in server.properties (STATIC_BROKER_CONFIG), then
 * the built-in default (DEFAULT_CONFIG).
 */
function describeBroker(config: BrokerConfig, resource: Resource, opts: Options): DescribeConfigsResourceResult[] {
  const include = wanted(resource);
  const out: DescribeConfigsResourceResult[] = [];
  for (const d of describeBrokerConfigs(config)) {
    if (!include(d.name)) continue;
    const synonyms: DescribeConfigsResourceResult['synonyms'] = [];
    if (opts.includeSynonyms) {
      for (const layer of brokerConfigLayers(config, d.name)) synonyms.push({ name: d.name, value: d.isSensitive ? null : layer.value, source: ConfigSource[layer.source] });
      const def = brokerKeyDef(d.name);
      if (def !== undefined && def.default !== null) {
        synonyms.push({ name: d.name, value: d.isSensitive ? null : def.default, source: ConfigSource.DEFAULT_CONFIG });
      }
    }
    out.push({
      name: d.name,
      value: d.value,
      readOnly: d.readOnly,
      isDefault: d.source === 'DEFAULT_CONFIG',
      configSource: ConfigSource[d.source],
      isSensitive: d.isSensitive,
      synonyms,
      configType: ConfigType[d.type],
      documentation: opts.includeDocumentation ? d.documentation : null,
    });
  }
  return out;
}

/** The cluster-wide dynamic defaults (kafka-configs --entity-type brokers --entity-default --describe), as Kafka lists them. */
function describeClusterDefault(ctx: RequestContext, resource: Resource, opts: Options): DescribeConfigsResourceResult[] {
  const include = wanted(resource);
  const values = ctx.image.brokerConfigs.get('') ?? {};
  const types = new Map(describeBrokerConfigs(ctx.broker.config).map((d) => [d.name, d.type]));
  return Object.entries(values)
    .filter(([name]) => include(name))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => {
      const def = brokerKeyDef(name);
      const isSensitive = def?.type === 'password' || def?.sensitive === true;
      return {
        name,
        value: isSensitive ? null : value,
        readOnly: false,
        isDefault: false,
        configSource: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG,
        isSensitive,
        synonyms: opts.includeSynonyms ? [{ name, value: isSensitive ? null : value, source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG }] : [],
        configType: ConfigType[types.get(name) ?? 'UNKNOWN'],
        documentation: null,
      };
    });
}

function describeResource(ctx: RequestContext, resource: Resource, opts: Options): DescribeConfigsResourceResult[] | Refusal {
  const brokerId = ctx.broker.brokerId;
  switch (resource.resourceType) {
    case ResourceType.TOPIC:
      return describeTopic(ctx, resource, opts);
    case ResourceType.BROKER: {
      if (resource.resourceName === '') return describeClusterDefault(ctx, resource, opts);
      const id = brokerIdOf(resource.resourceName);
      if (id instanceof Refusal) return id;
      if (id !== brokerId) {
        return new Refusal(
          ErrorCode.INVALID_REQUEST,
          `Unexpected broker id, expected ${brokerId} or empty string, but received ${resource.resourceName}`,
        );
      }
      return describeBroker(ctx.broker.config, resource, opts);
    }
    case ResourceType.BROKER_LOGGER: {
      if (resource.resourceName === '') return new Refusal(ErrorCode.INVALID_REQUEST, 'Broker id must not be empty');
      const id = brokerIdOf(resource.resourceName);
      if (id instanceof Refusal) return id;
      if (id !== brokerId) {
        return new Refusal(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${brokerId} but received ${resource.resourceName}`);
      }
      return [];
    }
    case ResourceType.GROUP:
    case ResourceType.CLIENT_METRICS:
      return new Refusal(ErrorCode.INVALID_REQUEST, `Unsupported resource type: ${resourceTypeName(resource.resourceType)}`);
    default:
      return new Refusal(ErrorCode.INVALID_REQUEST, `Unexpected resource type UNKNOWN for resource ${resource.resourceName}`);
  }
}

export const describeConfigsHandler = defineHandler<DescribeConfigsRequest, DescribeConfigsResponse>(describeConfigsApi, (ctx, req) => {
  const opts: Options = {
    includeSynonyms: ctx.apiVersion >= 1 && req.includeSynonyms,
    includeDocumentation: ctx.apiVersion >= 3 && req.includeDocumentation,
  };
  const results: ResourceResult[] = req.resources.map((resource) => {
    const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
    const denied = configResourceRefusal(ctx, Op.DESCRIBE_CONFIGS, resource.resourceType, resource.resourceName);
    if (denied !== null) return { ...base, errorCode: denied, errorMessage: 'Authorization failed.', configs: [] };
    const described = describeResource(ctx, resource, opts);
    if (described instanceof Refusal) {
      ctx.log.debug({ ...base, errorCode: described.code }, `describe configs refused: ${described.message ?? ''}`);
      return { ...base, errorCode: described.code, errorMessage: described.message, configs: [] };
    }
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: described };
  });
  return { throttleTimeMs: 0, results };
});

/**
 * CreateTopics (v0-7): creates each requested topic through the controller, as Kafka's KRaft broker
 * and controller do. Checked here, before the controller sees the topic, with Kafka's codes and
 * messages: a name given twice in one request (INVALID_REQUEST "Duplicate topic name.", one result
 * per name), numPartitions / replicationFactor of 0 or below -1, a config with a null value
 * (INVALID_CONFIG), and a manual replica assignment (numPartitions and replicationFactor must then be
 * -1; partition indexes distinct and 0..n-1; each replica list non-empty, of known brokers, without
 * repeats, all of one length). The controller checks the name, existence, defaults for -1 and the
 * config keys and values. validateOnly runs every check and creates nothing.
 *
 * -1 for numPartitions / replicationFactor (broker default) is accepted in every version, as
 * Kafka's broker does; only Kafka's client refuses to send it below v4. timeoutMs is irrelevant on
 * one node: the topic exists when the controller returns.
 *
 * From v5 a created (or validated) topic's result carries its partition count, replication factor
 * and every effective topic config (sorted by name, sensitive values null); from v7 its topic id.
 */
import type { MetadataImage, TopicInfo } from '../cluster/metadata-image.js';
import { ConfigSource, deprecatedTopicConfigWarnings, effectiveTopicConfig } from '../config/topic-config.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  createTopicsApi,
  type CreatableTopicConfig,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
} from '../protocol/messages/create-topics.js';
import { ZERO_UUID } from '../protocol/primitives.js';
import { adminErrorCode } from './errors.js';
import { defineHandler, type RequestContext } from './handler.js';
import { MutationQuota, THROTTLED_MESSAGE } from './mutation-quota.js';
import { mayCreateTopic } from './authz.js';

type CreatableTopic = CreateTopicsRequest['topics'][number];
type CreatableTopicResult = CreateTopicsResponse['topics'][number];

function failed(name: string, errorCode: number, errorMessage: string | null): CreatableTopicResult {
  // Kafka's defaults for a failed topic: no id, -1 counts, an empty config list.
  return {
    name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage,
    topicConfigErrorCode: ErrorCode.NONE,
    numPartitions: -1,
    replicationFactor: -1,
    configs: [],
  };
}

class Rejection {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}

/**
 * Kafka's checks of a manual assignment (ReplicationControlManager.createTopic and
 * validateManualPartitionAssignment), in Kafka's order. Returns the replica lists by partition.
 */
function manualAssignment(topic: CreatableTopic, image: MetadataImage): number[][] | Rejection {
  if (topic.replicationFactor !== -1) {
    return new Rejection(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but replication factor was not set to -1.');
  }
  if (topic.numPartitions !== -1) {
    return new Rejection(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions was not set to -1.');
  }
  const byPartition = new Map<number, number[]>();
  let replicationFactor: number | null = null;
  for (const a of topic.assignments) {
    if (byPartition.has(a.partitionIndex)) {
      return new Rejection(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Found multiple manual partition assignments for partition ${a.partitionIndex}`);
    }
    const problem = replicaListProblem(a.brokerIds, image, replicationFactor);
    if (problem !== null) return new Rejection(ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem);
    replicationFactor = a.brokerIds.length;
    byPartition.set(a.partitionIndex, a.brokerIds);
  }
  const lists: number[][] = [];
  for (let p = 0; p < byPartition.size; p++) {
    const replicas = byPartition.get(p);
    if (replicas === undefined) {
      return new Rejection(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence');
    }
    lists.push([...replicas]);
  }
  return lists;
}

/**
 * One partition's replica list, checked as Kafka's validateManualPartitionAssignment does (brokers in
 * ascending order, so the message names the lowest offender). Shared with CreatePartitions.
 */
export function replicaListProblem(brokerIds: readonly number[], image: MetadataImage, replicationFactor: number | null): string | null {
  if (brokerIds.length === 0) return 'The manual partition assignment includes an empty replica list.';
  const sorted = [...brokerIds].sort((a, b) => a - b);
  let previous: number | null = null;
  for (const id of sorted) {
    if (!image.brokers.has(id)) return `The manual partition assignment includes broker ${id}, but no such broker is registered.`;
    if (id === previous) return `The manual partition assignment includes the broker ${id} more than once.`;
    previous = id;
  }
  if (replicationFactor !== null && brokerIds.length !== replicationFactor) {
    return (
      `The manual partition assignment includes a partition with ${brokerIds.length} replica(s), but this is not consistent ` +
      `with previous partitions, which have ${replicationFactor} replica(s).`
    );
  }
  return null;
}

function configsOf(topic: CreatableTopic): Record<string, string> | Rejection {
  const nulls = topic.configs.filter((c) => c.value === null).map((c) => c.name);
  if (nulls.length > 0) return new Rejection(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${nulls.join(',')}`);
  const configs: Record<string, string> = {};
  // A key given twice: the last value wins (Kafka builds a map from the list the same way).
  for (const c of topic.configs) configs[c.name] = c.value!;
  return configs;
}

/** The v5+ description of a created topic: every effective config, sorted by name as Kafka lists them. */
function describeCreated(ctx: RequestContext, topic: TopicInfo): CreatableTopicResult {
  const effective = effectiveTopicConfig(ctx.broker.config, { ...topic.configs });
  const configs: CreatableTopicConfig[] = Object.keys(effective)
    .sort()
    .map((name) => {
      const e = effective[name]!;
      return { name, value: e.sensitive ? null : e.value, readOnly: e.readOnly, configSource: ConfigSource[e.source], isSensitive: e.sensitive };
    });
  return {
    name: topic.name,
    topicId: topic.topicId,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topicConfigErrorCode: ErrorCode.NONE,
    numPartitions: topic.partitions.length,
    replicationFactor: topic.partitions[0]?.replicas.length ?? -1,
    configs,
  };
}

async function createOne(ctx: RequestContext, topic: CreatableTopic, validateOnly: boolean, quota: MutationQuota): Promise<CreatableTopicResult> {
  // Authorization (Kafka's): Create on the cluster or on the topic; nothing is created without it.
  if (!mayCreateTopic(ctx, topic.name)) return failed(topic.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
  const image = ctx.broker.controller.image;
  if (topic.numPartitions === 0 || topic.numPartitions < -1) {
    return failed(topic.name, ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
  }
  if (topic.replicationFactor === 0 || topic.replicationFactor < -1) {
    return failed(topic.name, ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
  }
  let assignments: number[][] = [];
  if (topic.assignments.length > 0) {
    const manual = manualAssignment(topic, image);
    if (manual instanceof Rejection) return failed(topic.name, manual.code, manual.message);
    assignments = manual;
  }
  const configs = configsOf(topic);
  if (configs instanceof Rejection) return failed(topic.name, configs.code, configs.message);
  const partitions = assignments.length > 0 ? assignments.length : topic.numPartitions === -1 ? ctx.broker.config.numPartitions : topic.numPartitions;
  if (!image.topics.has(topic.name) && quota.admit(partitions) !== ErrorCode.NONE) return failed(topic.name, ErrorCode.THROTTLING_QUOTA_EXCEEDED, THROTTLED_MESSAGE);

  const result = await ctx.broker.controller.createTopic({
    name: topic.name,
    numPartitions: topic.numPartitions,
    replicationFactor: topic.replicationFactor,
    assignments,
    configs,
    validateOnly,
  });
  if (!result.ok) {
    ctx.log.info({ topic: topic.name, error: result.error }, `create topic refused: ${result.message}`);
    return failed(topic.name, adminErrorCode(result.error), result.message);
  }
  const created = result.topic;
  if (!created) throw new Error(`controller created ${topic.name} but returned no topic`);
  if (!validateOnly) ctx.log.info({ topic: topic.name, partitions: created.partitions.length }, 'created topic');
  for (const warning of deprecatedTopicConfigWarnings(topic.name, configs)) ctx.log.warn({ topic: topic.name }, warning);
  return describeCreated(ctx, created);
}

export const createTopicsHandler = defineHandler<CreateTopicsRequest, CreateTopicsResponse>(createTopicsApi, async (ctx, req) => {
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const validateOnly = ctx.apiVersion >= 1 && req.validateOnly;
  const topics: CreatableTopicResult[] = [];
  const reported = new Set<string>();
  const quota = new MutationQuota(ctx, 6, validateOnly);
  // One at a time, in request order: the controller serialises them anyway, and a later topic's
  // checks then see the earlier ones.
  for (const t of req.topics) {
    if (reported.has(t.name)) continue;
    reported.add(t.name);
    if (counts.get(t.name)! > 1) topics.push(failed(t.name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'));
    else topics.push(await createOne(ctx, t, validateOnly, quota));
  }
  return { throttleTimeMs: quota.throttleMs, topics };
});

/**
 * CreatePartitions (v0-3): raises a topic's partition count through the controller, as Kafka does.
 * Checked here with Kafka's codes and messages: a topic named twice (INVALID_REQUEST "Duplicate topic
 * name.", one result), an unknown topic, a count equal to the current one (INVALID_PARTITIONS "Topic
 * already has N partitions.") and explicit assignments (one per new partition, each replica list
 * non-empty, of known brokers, without repeats and as long as the existing partitions' lists).
 * The controller checks a count below the current one and the partition limit. A non-null but empty
 * assignment list counts as "assignments given" (Kafka's rule; kafkajs sends null for none).
 * validateOnly runs every check and changes nothing. timeoutMs is irrelevant on one node.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import {
  createPartitionsApi,
  type CreatePartitionsRequest,
  type CreatePartitionsResponse,
} from '../protocol/messages/create-partitions.js';
import { replicaListProblem } from './create-topics.js';
import { adminErrorCode } from './errors.js';
import { defineHandler, type RequestContext } from './handler.js';
import { MutationQuota, THROTTLED_MESSAGE } from './mutation-quota.js';
import { allowed, Op, Res } from './authz.js';

type CreatePartitionsTopic = CreatePartitionsRequest['topics'][number];
type CreatePartitionsTopicResult = CreatePartitionsResponse['results'][number];

function outcome(name: string, errorCode: number, errorMessage: string | null): CreatePartitionsTopicResult {
  return { name, errorCode, errorMessage };
}

async function createPartitions(ctx: RequestContext, t: CreatePartitionsTopic, validateOnly: boolean, quota: MutationQuota): Promise<CreatePartitionsTopicResult> {
  // Authorization (Kafka's): Alter on the topic.
  if (!allowed(ctx, Op.ALTER, Res.TOPIC, t.name)) return outcome(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
  const image = ctx.broker.controller.image;
  const topic = image.topics.get(t.name);
  if (!topic) return outcome(t.name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${t.name}' does not exist.`);
  const current = topic.partitions.length;
  if (t.count === current) return outcome(t.name, ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
  let assignments: number[][] = [];
  if (t.assignments !== null && t.count > current) {
    const increment = t.count - current;
    if (t.assignments.length !== increment) {
      return outcome(
        t.name,
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Increasing the number of partitions by ${increment} but ${t.assignments.length} assignments provided.`,
      );
    }
    const replicationFactor = topic.partitions[0]?.replicas.length ?? null;
    for (const a of t.assignments) {
      const problem = replicaListProblem(a.brokerIds, image, replicationFactor);
      if (problem !== null) return outcome(t.name, ErrorCode.INVALID_REPLICA_ASSIGNMENT, problem);
    }
    assignments = t.assignments.map((a) => [...a.brokerIds]);
  }
  if (t.count > current && quota.admit(t.count - current) !== ErrorCode.NONE) return outcome(t.name, ErrorCode.THROTTLING_QUOTA_EXCEEDED, THROTTLED_MESSAGE);
  const result = await ctx.broker.controller.createPartitions(t.name, t.count, assignments, validateOnly);
  if (!result.ok) {
    ctx.log.info({ topic: t.name, count: t.count, error: result.error }, `create partitions refused: ${result.message}`);
    return outcome(t.name, adminErrorCode(result.error), result.message);
  }
  if (!validateOnly) ctx.log.info({ topic: t.name, from: current, to: t.count }, 'added partitions');
  return outcome(t.name, ErrorCode.NONE, null);
}

export const createPartitionsHandler = defineHandler<CreatePartitionsRequest, CreatePartitionsResponse>(
  createPartitionsApi,
  async (ctx, req) => {
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results: CreatePartitionsTopicResult[] = [];
    const reported = new Set<string>();
    const quota = new MutationQuota(ctx, 3, req.validateOnly);
    for (const t of req.topics) {
      if (reported.has(t.name)) continue;
      reported.add(t.name);
      if (counts.get(t.name)! > 1) results.push(outcome(t.name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'));
      else results.push(await createPartitions(ctx, t, req.validateOnly, quota));
    }
    return { throttleTimeMs: quota.throttleMs, results };
  },
);

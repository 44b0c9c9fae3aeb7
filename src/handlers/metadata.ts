/**
 * Metadata: brokers, controller, and for each requested topic (all when the list is null, or empty in
 * v0) its partitions with leader, replicas and ISR from the request's metadata image. Unknown topics
 * are created when the request allows it (v4+ flag; always before v4) and auto.create.topics.enable
 * is on, as Kafka does.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { ZERO_UUID } from '../protocol/primitives.js';
import {
  metadataApi,
  type MetadataRequest,
  type MetadataResponse,
  type MetadataTopic,
} from '../protocol/messages/metadata.js';
import { brokersOnListener, type MetadataImage, type TopicInfo } from '../cluster/metadata-image.js';
import { topicNameProblem } from '../cluster/topic-names.js';
import { defineHandler, type RequestContext } from './handler.js';
import { allowed, mayCreateTopic, Op, Res } from './authz.js';

function describeTopic(t: TopicInfo, image: MetadataImage): MetadataTopic {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.topicId,
    isInternal: t.internal,
    partitions: t.partitions.map((p) => {
      const offline = p.replicas.filter((id) => !image.brokers.has(id));
      return {
        errorCode: image.brokers.has(p.leader) ? ErrorCode.NONE : ErrorCode.LEADER_NOT_AVAILABLE,
        partitionIndex: p.partition,
        leaderId: image.brokers.has(p.leader) ? p.leader : -1,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: [...p.replicas],
        isrNodes: [...p.isr],
        offlineReplicas: offline,
      };
    }),
  };
}

function missingTopic(name: string | null, topicId: string, errorCode: number): MetadataTopic {
  return { errorCode, name, topicId, isInternal: false, partitions: [] };
}

async function resolveTopic(ctx: RequestContext, name: string, allowCreate: boolean): Promise<MetadataTopic> {
  const existing = ctx.image.topics.get(name) ?? ctx.broker.controller.image.topics.get(name);
  if (existing) return describeTopic(existing, ctx.broker.controller.image);
  if (topicNameProblem(name) !== null) return missingTopic(name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION);
  if (!allowCreate || !ctx.broker.config.autoCreateTopicsEnable) return missingTopic(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (!mayCreateTopic(ctx, name)) return missingTopic(name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  const created = await ctx.broker.controller.createTopic({
    name,
    numPartitions: -1,
    replicationFactor: -1,
    assignments: [],
    configs: {},
    validateOnly: false,
  });
  if (created.ok && created.topic) {
    ctx.log.info({ topic: name }, 'auto-created topic');
    return describeTopic(created.topic, ctx.broker.controller.image);
  }
  // A concurrent request may have created it first.
  const now = ctx.broker.controller.image.topics.get(name);
  if (now) return describeTopic(now, ctx.broker.controller.image);
  return missingTopic(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
}

export const metadataHandler = defineHandler<MetadataRequest, MetadataResponse>(metadataApi, async (ctx, req) => {
  const image = ctx.image;
  const allowCreate = ctx.apiVersion < 4 ? true : req.allowAutoTopicCreation;
  let topics: MetadataTopic[];
  const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
  // Authorization (Kafka's): only topics the principal may Describe are listed; a named one it may
  // not answers TOPIC_AUTHORIZATION_FAILED (whether or not it exists); auto-creation also needs
  // Create on the cluster or the topic.
  const mayDescribe = (name: string): boolean => allowed(ctx, Op.DESCRIBE, Res.TOPIC, name);
  if (all) {
    topics = [...image.topics.values()].filter((t) => mayDescribe(t.name)).map((t) => describeTopic(t, image));
  } else {
    topics = [];
    for (const t of req.topics!) {
      if (t.name === null || t.name === undefined) {
        const byId = image.topicsById.get(t.topicId);
        if (byId && !mayDescribe(byId.name)) topics.push(missingTopic(null, t.topicId, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
        else topics.push(byId ? describeTopic(byId, image) : missingTopic(null, t.topicId, ErrorCode.UNKNOWN_TOPIC_ID));
      } else if (!mayDescribe(t.name)) {
        topics.push(missingTopic(t.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
      } else {
        topics.push(await resolveTopic(ctx, t.name, allowCreate));
      }
    }
  }
  return {
    throttleTimeMs: 0,
    brokers: brokersOnListener(image, ctx.listenerName).map((b) => ({ nodeId: b.id, host: b.host, port: b.port, rack: b.rack })),
    clusterId: image.clusterId,
    controllerId: image.controllerId,
    topics,
  };
});

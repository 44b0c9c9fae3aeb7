/**
 * DeleteTopics (v0-6): deletes topics named in `topicNames` (v0-5) or in `topics` (v6, each entry by
 * name or by topic id), as Kafka's KRaft broker does (ControllerApis.deleteTopics):
 * - an entry with both a name and an id, or neither, is INVALID_REQUEST;
 * - a name or id given twice is INVALID_REQUEST ("Duplicate topic name." / "Duplicate topic id."),
 *   one result for it;
 * - a name whose topic is also named by id in the same request is INVALID_REQUEST (both entries);
 * - an unknown name is UNKNOWN_TOPIC_OR_PARTITION, an unknown id UNKNOWN_TOPIC_ID, with Kafka's
 *   default messages;
 * - with delete.topic.enable=false every entry fails: INVALID_REQUEST before v3, else
 *   TOPIC_DELETION_DISABLED.
 * errorMessage is on the wire from v5. Results keep request order (Kafka shuffles them so an
 * unauthorised client cannot tell absent topics from forbidden ones; we have no authorisation).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { deleteTopicsApi, type DeleteTopicsRequest, type DeleteTopicsResponse } from '../protocol/messages/delete-topics.js';
import { ZERO_UUID } from '../protocol/primitives.js';
import { adminErrorCode } from './errors.js';
import { defineHandler, type RequestContext } from './handler.js';
import { MutationQuota, THROTTLED_MESSAGE } from './mutation-quota.js';
import { allowed, Op, Res } from './authz.js';

type DeletableTopicResult = DeleteTopicsResponse['responses'][number];

/** Kafka's default messages for these codes (the text clients show when no message is given). */
const UNKNOWN_TOPIC_MESSAGE = 'This server does not host this topic-partition.';
const UNKNOWN_TOPIC_ID_MESSAGE = 'This server does not host this topic ID.';
const DELETION_DISABLED_MESSAGE = 'Topic deletion is disabled.';
const CONFLICT_MESSAGE = 'The provided topic name maps to an ID that was already supplied.';

interface Entry {
  name: string | null;
  topicId: string;
}

function result(name: string | null, topicId: string, errorCode: number, errorMessage: string | null): DeletableTopicResult {
  return { name, topicId, errorCode, errorMessage };
}

async function deleteByName(ctx: RequestContext, name: string, topicId: string, quota: MutationQuota): Promise<DeletableTopicResult> {
  // Authorization (Kafka's): Delete on the topic; the topic stays without it.
  if (!allowed(ctx, Op.DELETE, Res.TOPIC, name)) return result(name, ctx.apiVersion >= 6 && topicId !== ZERO_UUID ? topicId : ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
  const partitions = ctx.broker.controller.image.topics.get(name)?.partitions.length;
  if (partitions !== undefined && quota.admit(partitions) !== ErrorCode.NONE) return result(name, topicId, ErrorCode.THROTTLING_QUOTA_EXCEEDED, THROTTLED_MESSAGE);
  const outcome = await ctx.broker.controller.deleteTopic(name);
  if (outcome.ok) {
    ctx.log.info({ topic: name, topicId }, 'deleted topic');
    return result(name, topicId, ErrorCode.NONE, null);
  }
  if (outcome.error === 'unknownTopic') return result(name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_MESSAGE);
  if (outcome.error === 'topicDeletionDisabled') {
    const code = ctx.apiVersion < 3 ? ErrorCode.INVALID_REQUEST : ErrorCode.TOPIC_DELETION_DISABLED;
    return result(name, topicId, code, DELETION_DISABLED_MESSAGE);
  }
  ctx.log.info({ topic: name, error: outcome.error }, `delete topic refused: ${outcome.message}`);
  return result(name, topicId, adminErrorCode(outcome.error), outcome.message);
}

export const deleteTopicsHandler = defineHandler<DeleteTopicsRequest, DeleteTopicsResponse>(deleteTopicsApi, async (ctx, req) => {
  const entries: Entry[] = ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
  if (!ctx.broker.config.deleteTopicEnable) {
    // Kafka refuses the whole request before looking at any entry.
    const code = ctx.apiVersion < 3 ? ErrorCode.INVALID_REQUEST : ErrorCode.TOPIC_DELETION_DISABLED;
    return { throttleTimeMs: 0, responses: entries.map((e) => result(e.name, e.topicId, code, DELETION_DISABLED_MESSAGE)) };
  }
  const nameCounts = new Map<string, number>();
  const idCounts = new Map<string, number>();
  for (const e of entries) {
    if (e.name !== null && e.topicId === ZERO_UUID) nameCounts.set(e.name, (nameCounts.get(e.name) ?? 0) + 1);
    if (e.name === null && e.topicId !== ZERO_UUID) idCounts.set(e.topicId, (idCounts.get(e.topicId) ?? 0) + 1);
  }
  // A name that resolves to an id also supplied by id: Kafka refuses it rather than delete twice.
  const image = ctx.broker.controller.image;
  const conflictIds = new Set<string>();
  for (const name of nameCounts.keys()) {
    const id = image.topics.get(name)?.topicId;
    if (id !== undefined && idCounts.has(id)) conflictIds.add(id);
  }
  const responses: DeletableTopicResult[] = [];
  const quota = new MutationQuota(ctx, 5);
  const reportedNames = new Set<string>();
  const reportedIds = new Set<string>();
  for (const e of entries) {
    if (e.name === null && e.topicId === ZERO_UUID) {
      responses.push(result(null, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.'));
      continue;
    }
    if (e.name !== null && e.topicId !== ZERO_UUID) {
      responses.push(result(e.name, e.topicId, ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.'));
      continue;
    }
    if (e.name !== null) {
      if (reportedNames.has(e.name)) continue;
      reportedNames.add(e.name);
      if (nameCounts.get(e.name)! > 1) {
        responses.push(result(e.name, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'));
        continue;
      }
      const topicId = image.topics.get(e.name)?.topicId ?? ZERO_UUID;
      if (conflictIds.has(topicId)) {
        responses.push(result(e.name, topicId, ErrorCode.INVALID_REQUEST, CONFLICT_MESSAGE));
        continue;
      }
      responses.push(await deleteByName(ctx, e.name, topicId, quota));
      continue;
    }
    if (reportedIds.has(e.topicId)) continue;
    reportedIds.add(e.topicId);
    if (idCounts.get(e.topicId)! > 1) {
      responses.push(result(null, e.topicId, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.'));
      continue;
    }
    if (conflictIds.has(e.topicId)) {
      responses.push(result(null, e.topicId, ErrorCode.INVALID_REQUEST, CONFLICT_MESSAGE));
      continue;
    }
    const topic = ctx.broker.controller.image.topicsById.get(e.topicId);
    if (!topic) {
      responses.push(result(null, e.topicId, ErrorCode.UNKNOWN_TOPIC_ID, UNKNOWN_TOPIC_ID_MESSAGE));
      continue;
    }
    responses.push(await deleteByName(ctx, topic.name, topic.topicId, quota));
  }
  return { throttleTimeMs: quota.throttleMs, responses };
});

/**
 * Fetch: reads whole batches straight from the segment files (no re-encoding) for each requested
 * partition, up to partitionMaxBytes each and maxBytes in total (the first non-empty partition may
 * exceed them by one batch, as Kafka does, so a consumer never stalls on a large batch). Consumers
 * read only below the high watermark; followers (replicaId >= 0) read to the log end, and their
 * fetchOffset is recorded first as their log end offset (ReplicaManager.recordFollowerFetch), which
 * may advance the high watermark that the response carries back. currentLeaderEpoch (v9+) is checked:
 * older than ours → FENCED_LEADER_EPOCH, newer → UNKNOWN_LEADER_EPOCH; a broker that does not lead
 * the partition answers NOT_LEADER_OR_FOLLOWER. When fewer than minBytes are available the request
 * (a consumer's or a follower's alike) waits in the fetch purgatory, woken by appends and high
 * watermark moves on its partitions, until minBytes arrive or maxWaitMs passes.
 * Transactions (v4+): every answer carries the partition's last stable offset. READ_COMMITTED
 * consumers read only below it and get the aborted transactions overlapping the batches returned
 * (from the txn indexes), which clients use to drop aborted records; control batches travel like
 * any other batch and clients skip them. READ_UNCOMMITTED reads to the high watermark as before.
 * A delayed fetch is woken by appends, high watermark moves and marker writes: the LSO moves only then.
 * From v13 topics are named by topic id (KIP-516): ids resolve through the request's image, an
 * unknown id answers UNKNOWN_TOPIC_ID. Fetch sessions (KIP-227, v7+; fetch-sessions.ts): a request
 * in a session is served as the full list of the session's partitions, and an incremental one is
 * answered with only the partitions that have something new.
 * Consumers using v0-3 read legacy message sets (magic 0 for v0-1, magic 1 for v2-3): their
 * partitions are down-converted within the same byte budgets (fetch-down-convert.ts); v4+ and
 * followers get the stored bytes untouched.
 */
import { limits } from '../limits.js';
import { ErrorCode } from '../protocol/error-codes.js';
import {
  fetchApi,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartition,
} from '../protocol/messages/fetch.js';
import { BATCH_HEADER_BYTES, batch } from '../protocol/records/batch.js';
import { partitionKey } from '../replication/replica-manager.js';
import { codeForPartitionFailure } from './errors.js';
import { downConversionEnabled, legacyMagicForFetch, readDownConverted } from './fetch-down-convert.js';
import { asRemote, defineHandler, type RequestContext } from './handler.js';
import { allowedOnCluster, deniedNames, Op, Res } from './authz.js';

const READ_COMMITTED = 1;
const EMPTY = Buffer.alloc(0);

interface Built {
  response: FetchResponse;
  bytes: number;
}

/** The topic a request entry names: by name up to v12, by topic id from v13 (KIP-516); null when the id is unknown. */
function topicName(ctx: RequestContext, t: { topic: string; topicId: string }): string | null {
  if (ctx.apiVersion < 13) return t.topic;
  return ctx.image.topicsById.get(t.topicId)?.name ?? null;
}

/**
 * Authorization (Kafka's): a follower's fetch needs ClusterAction on the cluster, a consumer's Read
 * on each topic; refused partitions answer TOPIC_AUTHORIZATION_FAILED and nothing is read.
 * Returns the topics refused (null: none).
 */
function refusedTopics(ctx: RequestContext, req: FetchRequest): Set<string> | null {
  if (ctx.broker.authorizer === undefined) return null;
  const names = req.topics.map((t) => topicName(ctx, t)).filter((n): n is string => n !== null);
  if (req.replicaId >= 0) return allowedOnCluster(ctx, Op.CLUSTER_ACTION) ? null : new Set(names);
  const denied = deniedNames(ctx, Op.READ, Res.TOPIC, names);
  return denied.size === 0 ? null : denied;
}

async function readAll(ctx: RequestContext, req: FetchRequest, refused: Set<string> | null): Promise<Built> {
  const maxBytes = Math.min(ctx.apiVersion >= 3 ? req.maxBytes : limits.fetchResponseBytesMax, limits.fetchResponseBytesMax);
  let bytes = 0;
  const responses: FetchResponse['responses'] = [];
  for (const t of req.topics) {
    const partitions: FetchResponsePartition[] = [];
    const topic = topicName(ctx, t);
    if (topic === null) {
      for (const p of t.partitions) partitions.push({ ...emptyPartition(p.partition), errorCode: ErrorCode.UNKNOWN_TOPIC_ID, records: null });
      responses.push({ topic: t.topic, topicId: t.topicId, partitions });
      continue;
    }
    if (refused?.has(topic)) {
      for (const p of t.partitions) partitions.push({ ...emptyPartition(p.partition), errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, records: null });
      responses.push({ topic: t.topic, topicId: t.topicId, partitions });
      continue;
    }
    for (const p of t.partitions) {
      const currentLeaderEpoch = ctx.apiVersion >= 9 ? p.currentLeaderEpoch : -1;
      partitions.push(
        await readPartition(ctx, req, topic, p.partition, currentLeaderEpoch, Number(p.fetchOffset), Math.max(0, Math.min(p.partitionMaxBytes, maxBytes - bytes)), bytes === 0),
      );
      const got = partitions[partitions.length - 1]!.records?.length ?? 0;
      bytes += got;
    }
    responses.push({ topic: t.topic, topicId: t.topicId, partitions });
  }
  return { response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses }, bytes };
}

/** The last offset of the last whole batch in `records`. */
function lastOffsetOf(records: Buffer): number {
  let last = -1;
  for (let at = 0; at + BATCH_HEADER_BYTES <= records.length; at += batch.totalBytes(records, at)) last = batch.lastOffset(records, at);
  return last;
}

function emptyPartition(partition: number): FetchResponsePartition {
  return {
    partitionIndex: partition,
    errorCode: ErrorCode.NONE,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}

async function readPartition(
  ctx: RequestContext,
  req: FetchRequest,
  topic: string,
  partition: number,
  currentLeaderEpoch: number,
  fetchOffset: number,
  maxBytes: number,
  minOneMessage: boolean,
): Promise<FetchResponsePartition> {
  const base = emptyPartition(partition);
  try {
    const log = ctx.broker.replicas.leaderLog(topic, partition, currentLeaderEpoch);
    const highWatermark = log.highWatermark;
    const lastStableOffset = log.lastStableOffset;
    const readCommitted = req.replicaId < 0 && req.isolationLevel === READ_COMMITTED;
    base.highWatermark = BigInt(highWatermark);
    base.lastStableOffset = BigInt(lastStableOffset);
    base.logStartOffset = BigInt(log.logStartOffset);
    if (readCommitted) base.abortedTransactions = [];
    if (fetchOffset < log.logStartOffset || fetchOffset > log.logEndOffset) {
      base.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
      return base;
    }
    // Followers (replicaId >= 0) may read to the log end; consumers stop at the high watermark,
    // read_committed ones at the last stable offset.
    const maxOffset = req.replicaId >= 0 ? log.logEndOffset : readCommitted ? lastStableOffset : highWatermark;
    const legacyMagic = req.replicaId < 0 ? legacyMagicForFetch(ctx.apiVersion) : null;
    if (legacyMagic !== null && !downConversionEnabled(ctx, topic)) {
      base.errorCode = ErrorCode.UNSUPPORTED_VERSION;
      base.records = null;
      return base;
    }
    if (fetchOffset >= maxOffset || (maxBytes === 0 && !minOneMessage)) return base;
    // leader.replication.throttled.rate: a throttled follower replica gets no data while over quota.
    if (req.replicaId >= 0 && ctx.broker.replicas.leaderThrottled(topic, partition, req.replicaId)) return base;
    if (legacyMagic !== null) {
      const converted = await readDownConverted(log, legacyMagic, fetchOffset, maxOffset, maxBytes, minOneMessage);
      base.errorCode = converted.errorCode;
      base.records = converted.records;
      return base;
    }
    const read = await log.read(fetchOffset, maxBytes, { minOneMessage, maxOffset });
    base.records = read.records;
    if (readCommitted && read.records.length > 0) {
      // The aborted transactions overlapping what is returned, so the consumer can drop their records.
      base.abortedTransactions = log
        .abortedTransactions(fetchOffset, lastOffsetOf(read.records) + 1)
        .map((t) => ({ producerId: t.producerId, firstOffset: BigInt(t.firstOffset) }));
    }
    if (req.replicaId >= 0) ctx.broker.replicas.recordLeaderThrottled(topic, partition, req.replicaId, read.records.length);
    return base;
  } catch (err) {
    base.errorCode = codeForPartitionFailure(err);
    base.records = null;
    return base;
  }
}

/** Metrics: record bytes sent per topic (consumers: BytesOut; followers: ReplicationBytesOut). */
function recordFetched(ctx: RequestContext, req: FetchRequest, response: FetchResponse): FetchResponse {
  const metrics = ctx.broker.metrics;
  if (!metrics) return response;
  const follower = req.replicaId >= 0;
  response.responses.forEach((t, i) => {
    const topic = topicName(ctx, req.topics[i]!);
    if (topic === null || !ctx.image.topics.has(topic)) return; // unknown names would grow the per-topic map
    for (const p of t.partitions) {
      const bytes = p.records?.length ?? 0;
      if (follower) metrics.replicationBytesOut.value += bytes;
      else metrics.recordConsumerFetch(topic, bytes, p.errorCode !== ErrorCode.NONE);
    }
  });
  return response;
}

export const fetchHandler = defineHandler<FetchRequest, FetchResponse>(fetchApi, async (ctx, req) => {
  const sessions = ctx.broker.fetchSessions;
  if (ctx.apiVersion < 7 || sessions === undefined) return recordFetched(ctx, req, await fetch(ctx, req));
  const resolved = sessions.resolve(req, ctx.apiVersion, ctx.broker.clock.monotonicMs());
  switch (resolved.kind) {
    case 'error':
      return { throttleTimeMs: 0, errorCode: resolved.errorCode, sessionId: 0, responses: [] };
    case 'sessionless':
      return recordFetched(ctx, resolved.request, await fetch(ctx, resolved.request));
    case 'session': {
      const full = recordFetched(ctx, resolved.request, await fetch(ctx, resolved.request));
      return resolved.session.answer(full, resolved.incremental);
    }
  }
});

async function fetch(ctx: RequestContext, req: FetchRequest): Promise<FetchResponse> {
  const refused = refusedTopics(ctx, req);
  if (req.replicaId >= 0 && refused === null) {
    // A follower's fetch: its fetchOffset is its log end offset, which may move our high watermark
    // and ISR. Recorded once, when the request arrives (not again when a delayed fetch re-reads).
    for (const t of req.topics) {
      const topic = topicName(ctx, t);
      if (topic === null) continue;
      for (const p of t.partitions) {
        ctx.broker.replicas.recordFollowerFetch(topic, p.partition, req.replicaId, Number(p.fetchOffset), ctx.apiVersion >= 9 ? p.currentLeaderEpoch : -1);
      }
    }
  }
  const first = await readAll(ctx, req, refused);
  const maxWaitMs = Math.min(Math.max(0, req.maxWaitMs), limits.fetchWaitMsMax);
  const hasError = first.response.responses.some((t) => t.partitions.some((p) => p.errorCode !== ErrorCode.NONE));
  if (maxWaitMs === 0 || first.bytes >= Math.max(1, req.minBytes) || hasError || req.topics.length === 0) {
    return first.response;
  }
  const keys = req.topics.flatMap((t) => t.partitions.map((p) => partitionKey(topicName(ctx, t) ?? '', p.partition)));
  const delayed = new Promise<FetchResponse>((resolve, reject) => {
    let finished = false;
    const finish = (r: FetchResponse): void => {
      if (finished) return;
      finished = true;
      resolve(r);
    };
    const watching = ctx.broker.fetchPurgatory.watch(
      keys,
      {
        tryComplete: async () => {
          if (finished) return true;
          const again = await readAll(ctx, req, refused);
          if (again.bytes >= Math.max(1, req.minBytes)) {
            finish(again.response);
            return true;
          }
          return false;
        },
        onExpire: async () => {
          if (finished) return;
          try {
            finish((await readAll(ctx, req, refused)).response);
          } catch (err) {
            reject(err);
          }
        },
      },
      maxWaitMs,
    );
    if (!watching) finish(first.response);
  });
  return asRemote(ctx, delayed);
}

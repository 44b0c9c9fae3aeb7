/**
 * Requests shared by Consumer and Admin: ListOffsets routed to each partition's leader, and the
 * group-coordinator lookups (FindCoordinator, OffsetFetch) whose request/response shapes changed
 * across versions (v4 FindCoordinator batches keys, v8 OffsetFetch batches groups); these helpers
 * fill both shapes so whichever version the broker negotiates works.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { findCoordinatorApi, type FindCoordinatorResponse } from '../protocol/messages/find-coordinator.js';
import { listOffsetsApi, type ListOffsetsResponse } from '../protocol/messages/list-offsets.js';
import { offsetFetchApi, type OffsetFetchResponse } from '../protocol/messages/offset-fetch.js';
import type { BrokerInfo, KafkaClient } from './client.js';
import type { KafkaConnection } from './connection.js';
import { KafkaError, needsMetadataRefresh } from './errors.js';

export const EARLIEST_TIMESTAMP = -2;
export const LATEST_TIMESTAMP = -1;
export const MAX_TIMESTAMP = -3;

export interface OffsetQuery {
  topic: string;
  partition: number;
  /** -2 earliest, -1 latest, -3 max timestamp, or a timestamp in ms (first offset at or after it). */
  timestamp: number;
}

export interface OffsetAnswer {
  topic: string;
  partition: number;
  /** -1 when no offset matches (a timestamp after the last record). */
  offset: number;
  timestampMs: number;
}

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * ListOffsets for every query, each sent to its partition's leader, retried with fresh metadata when
 * a leader moved. isolationLevel 1 (read_committed) answers "latest" with the last stable offset.
 */
export async function listOffsets(client: KafkaClient, queries: OffsetQuery[], isolationLevel = 0): Promise<OffsetAnswer[]> {
  // A request may name each partition once: queries repeating a partition go in later rounds.
  const rounds: OffsetQuery[][] = [];
  const seen = new Map<string, number>();
  for (const q of queries) {
    const key = tpKey(q.topic, q.partition);
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    (rounds[round] ??= []).push(q);
  }
  const byQuery = new Map<OffsetQuery, OffsetAnswer>();
  for (const round of rounds) {
    const answers = await listOffsetsOnce(client, round, isolationLevel);
    round.forEach((q, i) => byQuery.set(q, answers[i]!));
  }
  return queries.map((q) => byQuery.get(q)!);
}

async function listOffsetsOnce(client: KafkaClient, queries: OffsetQuery[], isolationLevel: number): Promise<OffsetAnswer[]> {
  const answers = new Map<string, OffsetAnswer>();
  let pending = queries;
  for (let attempt = 0; pending.length > 0; attempt++) {
    const topics = [...new Set(pending.map((q) => q.topic))];
    if (attempt === 0) {
      for (const t of topics) await client.topicMetadata(t); // cached, else fetched; throws for a missing topic
    } else {
      await client.refreshMetadata(topics);
    }
    const byLeader = new Map<number, OffsetQuery[]>();
    for (const q of pending) {
      const leader = client.leaderOf(q.topic, q.partition);
      if (leader < 0) {
        const tm = client.cachedTopic(q.topic);
        if (tm && !tm.partitions.some((p) => p.partition === q.partition)) {
          throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Partition ${q.partition} of topic '${q.topic}' does not exist.`);
        }
      }
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(q);
    }
    const retry: OffsetQuery[] = [];
    let lastError: KafkaError | null = null;
    await Promise.all(
      [...byLeader].map(async ([leader, qs]) => {
        if (leader < 0) {
          retry.push(...qs);
          lastError = new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE);
          return;
        }
        const byTopic = new Map<string, OffsetQuery[]>();
        for (const q of qs) {
          let l = byTopic.get(q.topic);
          if (!l) byTopic.set(q.topic, (l = []));
          l.push(q);
        }
        const res = await client.requestNode<ListOffsetsResponse>(leader, listOffsetsApi, {
          replicaId: -1,
          isolationLevel,
          topics: [...byTopic].map(([name, list]) => ({
            name,
            partitions: list.map((q) => ({ partitionIndex: q.partition, currentLeaderEpoch: -1, timestamp: BigInt(q.timestamp), maxNumOffsets: 1 })),
          })),
        });
        for (const t of res.topics) {
          for (const p of t.partitions) {
            const q = qs.find((x) => x.topic === t.name && x.partition === p.partitionIndex);
            if (!q) continue;
            if (p.errorCode !== ErrorCode.NONE) {
              const err = new KafkaError(p.errorCode, p.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? `Topic '${t.name}' partition ${p.partitionIndex} does not exist.` : undefined);
              if (needsMetadataRefresh(p.errorCode) || err.retriable) {
                retry.push(q);
                lastError = err;
                continue;
              }
              throw err;
            }
            const offset = p.oldStyleOffsets && p.oldStyleOffsets.length > 0 ? Number(p.oldStyleOffsets[0]) : Number(p.offset);
            answers.set(tpKey(q.topic, q.partition), { topic: q.topic, partition: q.partition, offset, timestampMs: Number(p.timestamp ?? -1n) });
          }
        }
      }),
    );
    if (retry.length > 0 && attempt >= client.retries) throw lastError ?? new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE);
    if (retry.length > 0) await new Promise((r) => setTimeout(r, Math.min(client.retryBackoffMs * 2 ** attempt, 1000)));
    pending = retry;
  }
  return queries.map((q) => answers.get(tpKey(q.topic, q.partition))!);
}

/** The coordinator broker of a group (keyType 0) or transactional id (keyType 1). */
export async function findCoordinator(client: KafkaClient, key: string, keyType = 0): Promise<BrokerInfo> {
  for (let attempt = 0; ; attempt++) {
    const res = await client.requestAny<FindCoordinatorResponse>(findCoordinatorApi, { key, keyType, coordinatorKeys: [key] });
    const c = res.coordinators && res.coordinators.length > 0 ? res.coordinators[0]! : res;
    if (c.errorCode === ErrorCode.NONE) return { nodeId: c.nodeId, host: c.host, port: c.port, rack: null };
    const err = new KafkaError(c.errorCode, c.errorMessage);
    if (!err.retriable || attempt >= client.retries) throw err;
    await new Promise((r) => setTimeout(r, Math.min(client.retryBackoffMs * 2 ** attempt, 1000)));
  }
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** -1 when the group has no committed offset for the partition. */
  offset: number;
  metadata: string | null;
  leaderEpoch: number;
}

/** OffsetFetch for one group: `topics` null = every partition the group has committed. */
export async function fetchCommittedOffsets(
  conn: KafkaConnection,
  groupId: string,
  topics: Array<{ topic: string; partitions: number[] }> | null,
  requireStable = false,
): Promise<CommittedOffset[]> {
  const wire = topics === null ? null : topics.map((t) => ({ name: t.topic, partitionIndexes: t.partitions }));
  const version = conn.versionFor(offsetFetchApi);
  if (wire === null && version < 2) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `the broker at ${conn.address} cannot list all offsets of a group (OffsetFetch v${version})`);
  const res = await conn.request<OffsetFetchResponse>(offsetFetchApi, {
    groupId,
    topics: wire,
    groups: [{ groupId, topics: wire }],
    requireStable,
  });
  const group = res.groups && res.groups.length > 0 ? res.groups[0]! : { topics: res.topics, errorCode: res.errorCode ?? 0 };
  if (group.errorCode !== ErrorCode.NONE) throw new KafkaError(group.errorCode);
  const out: CommittedOffset[] = [];
  for (const t of group.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode);
      out.push({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset), metadata: p.metadata, leaderEpoch: p.committedLeaderEpoch ?? -1 });
    }
  }
  return out;
}

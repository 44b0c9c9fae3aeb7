/**
 * Log administration requests behind Admin.deleteRecords and Admin.describeLogDirs:
 * - DeleteRecords goes to each partition's leader; partitions whose leader moved (or was not known)
 *   are retried with fresh metadata, up to the client's retry count. Each partition gets its own
 *   result (new low watermark, or the error), as Kafka's Admin reports them.
 * - DescribeLogDirs is answered by each broker for its own directories, so it is sent to every
 *   broker asked for; a broker that cannot be reached fails the call (the tools report it).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { deleteRecordsApi, type DeleteRecordsResponse } from '../protocol/messages/delete-records.js';
import { describeLogDirsApi, type DescribeLogDirsResponse } from '../protocol/messages/describe-log-dirs.js';
import type { KafkaClient } from './client.js';
import { KafkaError, needsMetadataRefresh } from './errors.js';
import { tpKey } from './offsets.js';

export interface RecordsToDelete {
  topic: string;
  partition: number;
  /** Delete every record below this offset; -1 means the high watermark. */
  offset: number;
}

export interface DeletedRecords {
  topic: string;
  partition: number;
  /** The partition's new log start offset; -1 with an error. */
  lowWatermark: number;
  error: KafkaError | null;
}

export interface ReplicaLogInfo {
  topic: string;
  partition: number;
  sizeBytes: number;
  offsetLag: number;
  isFuture: boolean;
}

export interface LogDirInfo {
  logDir: string;
  error: KafkaError | null;
  replicas: ReplicaLogInfo[];
  /** -1 when the broker does not say (v3 and older, or unknown). */
  totalBytes: number;
  usableBytes: number;
}

const DELETE_RECORDS_TIMEOUT_MS = 30_000;

function unknownPartition(): KafkaError {
  return new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
}

export async function deleteRecords(client: KafkaClient, items: RecordsToDelete[]): Promise<DeletedRecords[]> {
  const results = new Map<string, DeletedRecords>();
  let pending = items;
  for (let attempt = 0; pending.length > 0; attempt++) {
    const md = await client.refreshMetadata([...new Set(pending.map((i) => i.topic))]);
    const byLeader = new Map<number, RecordsToDelete[]>();
    const retry: RecordsToDelete[] = [];
    let lastError: KafkaError | null = null;
    for (const item of pending) {
      const t = md.topics.get(item.topic);
      const p = t?.errorCode === ErrorCode.NONE ? t.partitions.find((x) => x.partition === item.partition) : undefined;
      if (!t || t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || (t.errorCode === ErrorCode.NONE && !p)) {
        results.set(tpKey(item.topic, item.partition), { ...item, lowWatermark: -1, error: unknownPartition() });
      } else if (t.errorCode !== ErrorCode.NONE) {
        results.set(tpKey(item.topic, item.partition), { ...item, lowWatermark: -1, error: new KafkaError(t.errorCode) });
      } else if (p!.leader < 0) {
        retry.push(item);
        lastError = new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE);
      } else {
        let list = byLeader.get(p!.leader);
        if (!list) byLeader.set(p!.leader, (list = []));
        list.push(item);
      }
    }
    await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        const byTopic = new Map<string, RecordsToDelete[]>();
        for (const i of list) {
          let l = byTopic.get(i.topic);
          if (!l) byTopic.set(i.topic, (l = []));
          l.push(i);
        }
        const res = await client.requestNode<DeleteRecordsResponse>(
          leader,
          deleteRecordsApi,
          {
            topics: [...byTopic].map(([name, l]) => ({ name, partitions: l.map((i) => ({ partitionIndex: i.partition, offset: BigInt(i.offset) })) })),
            timeoutMs: DELETE_RECORDS_TIMEOUT_MS,
          },
          { timeoutMs: DELETE_RECORDS_TIMEOUT_MS + 5_000 },
        );
        for (const t of res.topics) {
          for (const p of t.partitions) {
            const item = list.find((i) => i.topic === t.name && i.partition === p.partitionIndex);
            if (!item) continue;
            if (p.errorCode === ErrorCode.NONE) {
              results.set(tpKey(item.topic, item.partition), { ...item, lowWatermark: Number(p.lowWatermark), error: null });
            } else if (needsMetadataRefresh(p.errorCode) && p.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && attempt < client.retries) {
              retry.push(item);
              lastError = new KafkaError(p.errorCode);
            } else {
              const error = p.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? unknownPartition() : new KafkaError(p.errorCode);
              results.set(tpKey(item.topic, item.partition), { ...item, lowWatermark: -1, error });
            }
          }
        }
      }),
    );
    if (retry.length > 0 && attempt >= client.retries) {
      for (const item of retry) results.set(tpKey(item.topic, item.partition), { ...item, lowWatermark: -1, error: lastError ?? new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE) });
      break;
    }
    if (retry.length > 0) await new Promise((r) => setTimeout(r, Math.min(client.retryBackoffMs * 2 ** attempt, 1000)));
    pending = retry;
  }
  return items.map((i) => results.get(tpKey(i.topic, i.partition))!);
}

/** Each broker's log directories and the replicas in them (all partitions, or those of `topics`). */
export async function describeLogDirs(client: KafkaClient, brokerIds: number[], topics: string[] | null = null): Promise<Map<number, LogDirInfo[]>> {
  let request: { topics: Array<{ topic: string; partitions: number[] }> | null } = { topics: null };
  if (topics !== null) {
    const md = await client.refreshMetadata(topics);
    request = {
      topics: topics
        .map((name) => md.topics.get(name))
        .filter((t) => t !== undefined && t.errorCode === ErrorCode.NONE)
        .map((t) => ({ topic: t!.name, partitions: t!.partitions.map((p) => p.partition) })),
    };
  }
  const out = new Map<number, LogDirInfo[]>();
  await Promise.all(
    brokerIds.map(async (id) => {
      const res = await client.requestNode<DescribeLogDirsResponse>(id, describeLogDirsApi, request);
      if (res.errorCode !== undefined && res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, `broker ${id} refused DescribeLogDirs`);
      out.set(
        id,
        res.results.map((r) => ({
          logDir: r.logDir,
          error: r.errorCode === ErrorCode.NONE ? null : new KafkaError(r.errorCode),
          replicas: r.topics.flatMap((t) =>
            t.partitions.map((p) => ({
              topic: t.name,
              partition: p.partitionIndex,
              sizeBytes: Number(p.partitionSize),
              offsetLag: Number(p.offsetLag),
              isFuture: p.isFutureKey,
            })),
          ),
          totalBytes: r.totalBytes === undefined ? -1 : Number(r.totalBytes),
          usableBytes: r.usableBytes === undefined ? -1 : Number(r.usableBytes),
        })),
      );
    }),
  );
  return out;
}

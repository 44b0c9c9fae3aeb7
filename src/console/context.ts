/**
 * What every console API module shares: the Kafka client (admin, producer), the sample history,
 * the HTTP error type, and two reads that tolerate a partly dead cluster (the console must still
 * draw a cluster whose broker was just killed):
 * - `partitionOffsets`: earliest and latest offsets, one ListOffsets per leader and kind, no
 *   retries; a partition whose leader is gone or did not answer gets null.
 * - `logDirsByBroker`: DescribeLogDirs asked of each broker separately; a broker that fails gets
 *   its error instead of failing the whole page.
 */
import { Admin, KafkaClient, Producer, type ClusterMetadata } from '../client/index.js';
import { ConnectionError, KafkaError, TimeoutError } from '../client/errors.js';
import type { ClientSecurity } from '../client/security.js';
import type { LogDirInfo } from '../client/log-admin.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, tpKey } from '../client/offsets.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { listOffsetsApi, type ListOffsetsResponse } from '../protocol/messages/list-offsets.js';
import { History } from './history.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Kafka codes that are the caller's mistake (400), a missing thing (404) or a conflict (409). */
const STATUS_BY_CODE = new Map<number, number>([
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 404],
  [ErrorCode.GROUP_ID_NOT_FOUND, 404],
  [ErrorCode.TOPIC_ALREADY_EXISTS, 409],
  [ErrorCode.NON_EMPTY_GROUP, 409],
  [ErrorCode.UNKNOWN_MEMBER_ID, 409],
  [ErrorCode.REBALANCE_IN_PROGRESS, 409],
  [ErrorCode.INVALID_TOPIC_EXCEPTION, 400],
  [ErrorCode.INVALID_PARTITIONS, 400],
  [ErrorCode.INVALID_REPLICATION_FACTOR, 400],
  [ErrorCode.INVALID_REPLICA_ASSIGNMENT, 400],
  [ErrorCode.INVALID_CONFIG, 400],
  [ErrorCode.INVALID_REQUEST, 400],
  [ErrorCode.POLICY_VIOLATION, 400],
  [ErrorCode.MESSAGE_TOO_LARGE, 400],
  [ErrorCode.RECORD_LIST_TOO_LARGE, 400],
  [ErrorCode.INVALID_RECORD, 400],
  [ErrorCode.TOPIC_DELETION_DISABLED, 403],
  [ErrorCode.TOPIC_AUTHORIZATION_FAILED, 403],
  [ErrorCode.GROUP_AUTHORIZATION_FAILED, 403],
  [ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 403],
]);

/** The HTTP answer for an error thrown while serving a request: status and one line of text. */
export function httpErrorOf(err: unknown): { status: number; message: string } {
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  if (err instanceof KafkaError) return { status: STATUS_BY_CODE.get(err.code) ?? 502, message: `${err.type}: ${err.message}` };
  if (err instanceof ConnectionError || err instanceof TimeoutError) return { status: 502, message: `cannot reach the cluster: ${err.message}` };
  return { status: 500, message: err instanceof Error ? err.message : String(err) };
}

export interface ConsoleContextOptions {
  bootstrapServers: string[];
  clientId?: string;
  requestTimeoutMs?: number;
  now?: () => number;
  security?: ClientSecurity;
}

export class ConsoleContext {
  readonly client: KafkaClient;
  readonly admin: Admin;
  readonly history = new History();
  readonly now: () => number;
  #producer: Producer | null = null;

  constructor(opts: ConsoleContextOptions) {
    this.client = new KafkaClient({
      bootstrapServers: opts.bootstrapServers,
      clientId: opts.clientId ?? 'samsa-console',
      // Short: a page waits on these, and a dead broker must not freeze it.
      connectTimeoutMs: 3_000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
      retries: 2,
      ...(opts.security !== undefined ? { security: opts.security } : {}),
    });
    this.admin = new Admin(this.client);
    this.now = opts.now ?? Date.now;
  }

  /** The producer behind "produce a message": created on first use, acks=all, no batching delay. */
  get producer(): Producer {
    this.#producer ??= new Producer(this.client, { acks: -1, lingerMs: 0, maxBlockMs: 5_000, deliveryTimeoutMs: 15_000, allowAutoTopicCreation: false });
    return this.#producer;
  }

  async close(): Promise<void> {
    const p = this.#producer;
    this.#producer = null;
    try {
      await p?.close();
    } finally {
      await this.client.close();
    }
  }

  /** Every topic's metadata (fresh). */
  metadata(): Promise<ClusterMetadata> {
    return this.client.refreshMetadata(null);
  }

  /** Earliest and latest offset per partition (key: tpKey); null where the leader did not answer. */
  async partitionOffsets(md: ClusterMetadata, partitions: Array<{ topic: string; partition: number }>): Promise<Map<string, { earliest: number; latest: number } | null>> {
    const byLeader = new Map<number, Array<{ topic: string; partition: number }>>();
    const out = new Map<string, { earliest: number; latest: number } | null>();
    for (const tp of partitions) {
      out.set(tpKey(tp.topic, tp.partition), null);
      const leader = md.topics.get(tp.topic)?.partitions.find((p) => p.partition === tp.partition)?.leader ?? -1;
      if (leader < 0 || !md.brokers.has(leader)) continue;
      let l = byLeader.get(leader);
      if (!l) byLeader.set(leader, (l = []));
      l.push(tp);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, tps]) => {
        const [earliest, latest] = await Promise.allSettled([this.#listOffsets(leader, tps, EARLIEST_TIMESTAMP), this.#listOffsets(leader, tps, LATEST_TIMESTAMP)]);
        if (earliest.status !== 'fulfilled' || latest.status !== 'fulfilled') return; // leader down: those partitions stay null
        for (const [key, e] of earliest.value) {
          const l = latest.value.get(key);
          if (l !== undefined) out.set(key, { earliest: e, latest: l });
        }
      }),
    );
    return out;
  }

  /** One ListOffsets to one broker; partitions that answered with an error are left out. */
  async #listOffsets(nodeId: number, tps: Array<{ topic: string; partition: number }>, timestamp: number): Promise<Map<string, number>> {
    const byTopic = new Map<string, number[]>();
    for (const tp of tps) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
    const res = await this.client.requestNode<ListOffsetsResponse>(nodeId, listOffsetsApi, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [...byTopic].map(([name, ps]) => ({
        name,
        partitions: ps.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: BigInt(timestamp), maxNumOffsets: 1 })),
      })),
    });
    const out = new Map<string, number>();
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) continue;
        out.set(tpKey(t.name, p.partitionIndex), p.oldStyleOffsets && p.oldStyleOffsets.length > 0 ? Number(p.oldStyleOffsets[0]) : Number(p.offset));
      }
    }
    return out;
  }

  /** DescribeLogDirs per broker: its directories, or the error it failed with. */
  async logDirsByBroker(brokerIds: number[], topics: string[] | null = null): Promise<Map<number, LogDirInfo[] | Error>> {
    const out = new Map<number, LogDirInfo[] | Error>();
    await Promise.all(
      brokerIds.map(async (id) => {
        try {
          out.set(id, (await this.admin.describeLogDirs([id], topics)).get(id) ?? []);
        } catch (err) {
          out.set(id, err instanceof Error ? err : new Error(String(err)));
        }
      }),
    );
    return out;
  }
}

/** The size of each partition's copy on the broker `pick(topic, partition)` names (its leader). */
export function leaderSizes(
  logDirs: Map<number, LogDirInfo[] | Error>,
  pick: (topic: string, partition: number) => number,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const [brokerId, dirs] of logDirs) {
    if (dirs instanceof Error) continue;
    for (const d of dirs) {
      for (const r of d.replicas) {
        if (r.isFuture || pick(r.topic, r.partition) !== brokerId) continue;
        out.set(tpKey(r.topic, r.partition), r.sizeBytes);
      }
    }
  }
  return out;
}

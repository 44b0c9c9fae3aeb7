/**
 * KafkaClient: the cluster view shared by Producer, Consumer and Admin. Owns the connections (one
 * per broker address, opened on first use and replaced when they die), the bootstrap list and a
 * metadata cache (brokers, topics, partition leaders). Lifecycle: create, use, close(); close()
 * ends every connection and fails whatever is still in flight.
 *
 * - Bootstrap: the first request goes to the bootstrap servers in order; the first that answers
 *   wins. When none answers, the error lists each address and its reason.
 * - Metadata: refreshMetadata() asks any live broker and replaces the cached entries for the topics
 *   it asked about (or all of them). Leader routing reads the cache; callers that get
 *   NOT_LEADER_OR_FOLLOWER / LEADER_NOT_AVAILABLE / UNKNOWN_TOPIC_OR_PARTITION refresh and retry
 *   (see `retry()`).
 * - Connections are keyed by host:port, so the bootstrap connection is reused when the broker
 *   advertises the same address it was reached at.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { metadataApi, type MetadataResponse } from '../protocol/messages/metadata.js';
import { ZERO_UUID } from '../protocol/primitives.js';
import type { ApiDef } from '../protocol/schema.js';
import { formatAddress, KafkaConnection, type RequestOptions } from './connection.js';
import { AuthenticationError, ConnectionError, KafkaError, needsMetadataRefresh, TimeoutError } from './errors.js';
import type { ClientSecurity } from './security.js';

export interface ClientOptions {
  /** "host:port,host:port" or a list of them. */
  bootstrapServers: string | string[];
  clientId?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Retries of metadata-sensitive requests (default 5). */
  retries?: number;
  retryBackoffMs?: number;
  /** Hint appended to "cannot connect" errors. */
  startHint?: string;
  /** TLS and SASL for every connection (security.ts: securityFromProps); default PLAINTEXT. */
  security?: ClientSecurity;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  errorCode: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offline: number[];
}

export interface TopicMetadata {
  name: string;
  topicId: string;
  isInternal: boolean;
  errorCode: number;
  /** Sorted by partition index. */
  partitions: PartitionInfo[];
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: Map<number, BrokerInfo>;
  topics: Map<string, TopicMetadata>;
}

export interface HostPort {
  host: string;
  port: number;
}

const DEFAULT_PORT = 9092;

/** Parses "host:port", "[v6]:port" or a bare host (port 9092). Throws on garbage. */
export function parseHostPort(s: string): HostPort {
  const t = s.trim().replace(/^[a-zA-Z_]+:\/\//, ''); // tolerate PLAINTEXT://host:port
  if (t === '') throw new Error(`empty broker address in '${s}'`);
  let m = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (m) return { host: m[1]!, port: m[2] ? Number(m[2]) : DEFAULT_PORT };
  m = /^([^:]*):(\d+)$/.exec(t);
  if (m) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new Error(`bad port in broker address '${s}'`);
    return { host: m[1] === '' ? 'localhost' : m[1]!, port };
  }
  if (/^[^:\s/]+$/.test(t)) return { host: t, port: DEFAULT_PORT };
  throw new Error(`bad broker address '${s}': expected host:port`);
}

export function parseBootstrap(list: string | string[]): HostPort[] {
  const parts = (Array.isArray(list) ? list : [list]).flatMap((s) => s.split(',')).filter((s) => s.trim() !== '');
  if (parts.length === 0) throw new Error('no bootstrap server given (expected host:port)');
  return parts.map(parseHostPort);
}

export class KafkaClient {
  readonly clientId: string;
  readonly bootstrap: HostPort[];
  readonly requestTimeoutMs: number;
  readonly retries: number;
  readonly retryBackoffMs: number;
  #opts: ClientOptions;
  #connections = new Map<string, Promise<KafkaConnection>>();
  #brokers = new Map<number, BrokerInfo>();
  #topics = new Map<string, TopicMetadata>();
  #clusterId: string | null = null;
  #controllerId = -1;
  #closed = false;

  constructor(opts: ClientOptions) {
    this.#opts = opts;
    this.clientId = opts.clientId ?? 'samsa-client';
    this.bootstrap = parseBootstrap(opts.bootstrapServers);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.retries = opts.retries ?? 5;
    this.retryBackoffMs = opts.retryBackoffMs ?? 100;
  }

  get brokers(): ReadonlyMap<number, BrokerInfo> {
    return this.#brokers;
  }
  get clusterId(): string | null {
    return this.#clusterId;
  }
  get controllerId(): number {
    return this.#controllerId;
  }

  /** The cached metadata of a topic, if any. */
  cachedTopic(name: string): TopicMetadata | undefined {
    return this.#topics.get(name);
  }

  /** The leader of a partition per the cache, or -1. */
  leaderOf(topic: string, partition: number): number {
    const t = this.#topics.get(topic);
    if (!t) return -1;
    const p = t.partitions[partition]?.partition === partition ? t.partitions[partition] : t.partitions.find((x) => x.partition === partition);
    return p ? p.leader : -1;
  }

  /** A connection to host:port, opened on first use. */
  connectionTo(host: string, port: number): Promise<KafkaConnection> {
    if (this.#closed) return Promise.reject(new Error('the client is closed'));
    const key = formatAddress(host, port);
    const existing = this.#connections.get(key);
    if (existing) return existing;
    const p = KafkaConnection.connect({
      host,
      port,
      clientId: this.clientId,
      connectTimeoutMs: this.#opts.connectTimeoutMs,
      requestTimeoutMs: this.requestTimeoutMs,
      startHint: this.#opts.startHint,
      ...(this.#opts.security !== undefined ? { security: this.#opts.security } : {}),
    });
    this.#connections.set(key, p);
    p.then(
      (conn) => {
        if (this.#closed) void conn.close();
        conn.onClose(() => {
          if (this.#connections.get(key) === p) this.#connections.delete(key);
        });
      },
      () => {
        if (this.#connections.get(key) === p) this.#connections.delete(key);
      },
    );
    return p;
  }

  /** A connection to a broker by node id (from metadata). */
  async connectionToNode(nodeId: number): Promise<KafkaConnection> {
    let b = this.#brokers.get(nodeId);
    if (!b) {
      await this.refreshMetadata([]);
      b = this.#brokers.get(nodeId);
      if (!b) throw new KafkaError(ErrorCode.BROKER_NOT_AVAILABLE, `broker ${nodeId} is not in the cluster metadata`);
    }
    return this.connectionTo(b.host, b.port);
  }

  /** Any live connection, else the bootstrap servers (then known brokers) in order. */
  async anyConnection(): Promise<KafkaConnection> {
    for (const p of this.#connections.values()) {
      const c = await p.catch(() => null); // a failed connect: try the next candidate
      if (c && !c.closed) return c;
    }
    const candidates: HostPort[] = [...this.bootstrap];
    for (const b of this.#brokers.values()) {
      if (!candidates.some((c) => c.host === b.host && c.port === b.port)) candidates.push({ host: b.host, port: b.port });
    }
    const failures: Error[] = [];
    for (const c of candidates) {
      try {
        return await this.connectionTo(c.host, c.port);
      } catch (err) {
        // Refused credentials will be refused by the next broker too: say so at once.
        if (err instanceof AuthenticationError) throw err;
        failures.push(err as Error);
      }
    }
    if (failures.length === 1) throw failures[0]!;
    const first = failures[0] as ConnectionError;
    throw new ConnectionError(
      `cannot connect to any bootstrap server:\n${failures.map((f) => `  ${f.message}`).join('\n')}`,
      first.address ?? '',
      first.reason ?? 'UNKNOWN',
    );
  }

  /** Sends to any broker (bootstrap first); retries once on a dead connection. */
  async requestAny<T>(api: ApiDef, body: object, opts?: RequestOptions): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const conn = await this.anyConnection();
      try {
        return await conn.request<T>(api, body, opts);
      } catch (err) {
        if (!(err instanceof ConnectionError) || attempt >= 1) throw err;
      }
    }
  }

  /** Sends to one broker by node id. */
  async requestNode<T>(nodeId: number, api: ApiDef, body: object, opts?: RequestOptions): Promise<T> {
    const conn = await this.connectionToNode(nodeId);
    return conn.request<T>(api, body, opts);
  }

  /**
   * Fetches metadata for `topics` (null = every topic; [] = brokers only) and updates the cache.
   */
  async refreshMetadata(topics: string[] | null, opts: { allowAutoTopicCreation?: boolean } = {}): Promise<ClusterMetadata> {
    const conn = await this.anyConnection();
    const version = conn.versionFor(metadataApi);
    const res = await conn.request<MetadataResponse>(metadataApi, {
      topics: topics === null ? (version === 0 ? [] : null) : topics.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation: opts.allowAutoTopicCreation ?? false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    return this.#applyMetadata(res, topics);
  }

  #applyMetadata(res: MetadataResponse, asked: string[] | null): ClusterMetadata {
    const brokers = new Map<number, BrokerInfo>();
    for (const b of res.brokers) brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null });
    this.#brokers = brokers;
    this.#clusterId = res.clusterId ?? null;
    this.#controllerId = res.controllerId ?? -1;
    const topics = new Map<string, TopicMetadata>();
    for (const t of res.topics) {
      if (t.name === null) continue;
      const partitions: PartitionInfo[] = t.partitions
        .map((p) => ({
          partition: p.partitionIndex,
          errorCode: p.errorCode,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch ?? -1,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offline: p.offlineReplicas ?? [],
        }))
        .sort((a, b) => a.partition - b.partition);
      const tm: TopicMetadata = { name: t.name, topicId: t.topicId ?? ZERO_UUID, isInternal: t.isInternal ?? false, errorCode: t.errorCode, partitions };
      topics.set(t.name, tm);
      if (t.errorCode === ErrorCode.NONE) this.#topics.set(t.name, tm);
      else this.#topics.delete(t.name);
    }
    if (asked === null) {
      for (const name of [...this.#topics.keys()]) if (!topics.has(name)) this.#topics.delete(name);
    }
    return { clusterId: this.#clusterId, controllerId: this.#controllerId, brokers, topics };
  }

  /**
   * The metadata of one topic, from the cache unless `refresh`. Throws KafkaError for an unknown
   * topic (UNKNOWN_TOPIC_OR_PARTITION) or another topic-level error.
   */
  async topicMetadata(topic: string, opts: { refresh?: boolean; allowAutoTopicCreation?: boolean } = {}): Promise<TopicMetadata> {
    if (!opts.refresh) {
      const cached = this.#topics.get(topic);
      if (cached) return cached;
    }
    const md = await this.refreshMetadata([topic], { allowAutoTopicCreation: opts.allowAutoTopicCreation });
    const t = md.topics.get(topic);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${topic}' does not exist.`);
    if (t.errorCode !== ErrorCode.NONE) {
      const msg = t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? `Topic '${topic}' does not exist.` : undefined;
      throw new KafkaError(t.errorCode, msg);
    }
    return t;
  }

  /**
   * Runs `fn`, retrying after a metadata refresh when it fails with a metadata-related Kafka error
   * or a lost connection, up to `retries` times with a growing backoff.
   */
  async retry<T>(fn: (attempt: number) => Promise<T>, opts: { retries?: number; topics?: string[] | null } = {}): Promise<T> {
    const retries = opts.retries ?? this.retries;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn(attempt);
      } catch (err) {
        const retriable =
          (err instanceof KafkaError && (needsMetadataRefresh(err.code) || err.code === ErrorCode.NOT_CONTROLLER)) ||
          (err instanceof ConnectionError && err.reason === 'CLOSED') ||
          err instanceof TimeoutError;
        if (!retriable || attempt >= retries) throw err;
        await sleep(Math.min(this.retryBackoffMs * 2 ** attempt, 1000));
        await this.refreshMetadata(opts.topics ?? []).catch(() => undefined); // best effort: the retry reports the real error
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.all(
      all.map(async (p) => {
        const c = await p.catch(() => null); // a connection that never opened has nothing to close
        await c?.close();
      }),
    );
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

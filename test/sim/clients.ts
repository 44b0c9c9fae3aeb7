/**
 * Simulated Kafka clients, speaking the real protocol (our codec, the broker-side request client
 * src/replication/broker-client.ts over the simulated network) to the simulated brokers:
 *
 * - SimAdmin: CreateTopics, with retries until the controller answers; during the faults, one
 *   admin request at a time (create and delete a scratch topic, change a topic config, preferred
 *   leader election), answered or not.
 * - SimProducer: an idempotent acks=all producer (InitProducerId, sequence numbers per partition,
 *   one batch in flight per partition, retries of the same batch on retriable errors with fresh
 *   metadata), as librdkafka's idempotent producer behaves. Every record it sends is numbered;
 *   the ones the broker acknowledged are recorded with their offsets — the "acknowledged writes"
 *   that the checks say must never be lost.
 * - SimConsumer: reads every partition from the leader with Fetch; ReadChecker checks what any
 *   reader may see: offsets below the high watermark of the answer, and an offset never changing
 *   its record. (Group members, in group.ts, read through the same check.)
 *
 * Clients run on their own simulated machine ("client-N"), so partitions can cut them off too.
 */
import { buildRecordBatchSync, readRecordsSync } from '../../src/protocol/records/builder.js';
import { BATCH_HEADER_BYTES, BATCH_LENGTH_PREFIX_BYTES, batch } from '../../src/protocol/records/batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { Struct } from '../../src/protocol/codec.js';
import { createTopicsApi, type CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js';
import { deleteTopicsApi, type DeleteTopicsResponse } from '../../src/protocol/messages/delete-topics.js';
import { electLeadersApi, type ElectLeadersResponse } from '../../src/protocol/messages/elect-leaders.js';
import { incrementalAlterConfigsApi, type IncrementalAlterConfigsResponse } from '../../src/protocol/messages/incremental-alter-configs.js';
import { fetchApi, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { initProducerIdApi, type InitProducerIdResponse } from '../../src/protocol/messages/init-producer-id.js';
import { metadataApi, type MetadataResponse } from '../../src/protocol/messages/metadata.js';
import { produceApi, type ProduceResponse } from '../../src/protocol/messages/produce.js';
import { BrokerClient } from '../../src/replication/broker-client.js';
import { netConnector } from '../../src/replication/connector.js';
import type { SimCluster } from './cluster.js';
import { BROKER_PORT, brokerName } from './cluster.js';
import type { SimNode } from './node.js';

const REQUEST_TIMEOUT_MS = 5000;
export const RETRY_BACKOFF_MS = 200;

/** Connections to brokers from one client machine, with metadata. */
export class Connections {
  readonly #clients = new Map<number, BrokerClient>();
  leaders = new Map<string, number>();

  constructor(
    readonly cluster: SimCluster,
    readonly node: SimNode,
    readonly requestTimeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  async to(brokerId: number): Promise<BrokerClient> {
    const existing = this.#clients.get(brokerId);
    if (existing && !existing.closed) return existing;
    const c = new BrokerClient(netConnector(this.cluster.network.facade(this.node)), this.node.clock(), this.node.name, brokerName(brokerId), BROKER_PORT, this.requestTimeoutMs);
    this.#clients.set(brokerId, c);
    try {
      await c.connect();
    } catch (err) {
      c.close(); // a failed connect leaves a client that can never send: replace it next time
      throw err;
    }
    return c;
  }

  /** Sends to `brokerId`; rejects on connection problems (the caller retries). */
  async request<T>(brokerId: number, api: Parameters<BrokerClient['request']>[0], version: number, body: Struct): Promise<T> {
    const c = await this.to(brokerId);
    return c.request<T>(api, version, body);
  }

  /** Any broker that answers, in a seed-chosen order. */
  async any<T>(api: Parameters<BrokerClient['request']>[0], version: number, body: Struct): Promise<T> {
    const ids = [...this.cluster.brokers.keys()];
    const start = this.cluster.sched.random.int(ids.length);
    let last: unknown;
    for (let i = 0; i < ids.length; i++) {
      try {
        return await this.request<T>(ids[(start + i) % ids.length]!, api, version, body);
      } catch (err) {
        last = err;
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  async refreshMetadata(topic: string): Promise<MetadataResponse> {
    const md = await this.any<MetadataResponse>(metadataApi, 9, { topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    for (const t of md.topics) for (const p of t.partitions) if (p.leaderId >= 0) this.leaders.set(`${t.name}/${p.partitionIndex}`, p.leaderId);
    return md;
  }

  close(): void {
    for (const c of this.#clients.values()) c.close();
  }
}

export function sleep(node: SimNode, ms: number): Promise<void> {
  return new Promise((resolve) => node.clock().setTimer(ms, resolve));
}

export class SimAdmin {
  readonly #conns: Connections;

  constructor(cluster: SimCluster, node: SimNode) {
    this.#conns = new Connections(cluster, node);
  }

  /** Creates a topic, retrying (bounded) until a controller answered; TOPIC_ALREADY_EXISTS counts as done. */
  async createTopic(name: string, partitions: number, replicationFactor: number): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const code = await this.once({ kind: 'create', topic: name, partitions, replicationFactor });
      if (code === ErrorCode.NONE || code === ErrorCode.TOPIC_ALREADY_EXISTS) return;
      if (code !== null) this.#conns.cluster.sched.note(`create topic ${name}: error ${code}`);
      await sleep(this.#conns.node, RETRY_BACKOFF_MS);
    }
    throw new Error(`could not create topic ${name}`);
  }

  /**
   * One admin request during the faults, answered or not (the answer's error code, or null when no
   * broker answered): what an operator or a tool does while the cluster is in trouble.
   */
  async once(op: AdminOperation): Promise<number | null> {
    try {
      const md = await this.#conns.any<MetadataResponse>(metadataApi, 9, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      const target = md.controllerId >= 0 ? md.controllerId : (md.brokers[0]?.nodeId ?? 0);
      switch (op.kind) {
        case 'create': {
          const res = await this.#conns.request<CreateTopicsResponse>(target, createTopicsApi, 5, { topics: [{ name: op.topic, numPartitions: op.partitions, replicationFactor: op.replicationFactor, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
          return res.topics[0]?.errorCode ?? null;
        }
        case 'delete': {
          const res = await this.#conns.request<DeleteTopicsResponse>(target, deleteTopicsApi, 4, { topicNames: [op.topic], timeoutMs: 10_000 } as unknown as Struct);
          return res.responses[0]?.errorCode ?? null;
        }
        case 'config': {
          const res = await this.#conns.request<IncrementalAlterConfigsResponse>(target, incrementalAlterConfigsApi, 0, {
            resources: [{ resourceType: 2, resourceName: op.topic, configs: [{ name: op.name, configOperation: 0, value: op.value }] }],
            validateOnly: false,
          });
          return res.responses[0]?.errorCode ?? null;
        }
        case 'elect-preferred': {
          const res = await this.#conns.request<ElectLeadersResponse>(target, electLeadersApi, 1, { electionType: 0, topicPartitions: [{ topic: op.topic, partitions: op.partitions }], timeoutMs: 10_000 });
          return res.errorCode !== ErrorCode.NONE ? res.errorCode : (res.replicaElectionResults[0]?.partitionResult.find((r) => r.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE);
        }
      }
    } catch {
      return null; // no answer while faults run
    }
  }

  close(): void {
    this.#conns.close();
  }
}

/** An admin request the simulator sends during the faults (see SimAdmin.once). */
export type AdminOperation =
  | { kind: 'create'; topic: string; partitions: number; replicationFactor: number }
  | { kind: 'delete'; topic: string }
  | { kind: 'config'; topic: string; name: string; value: string }
  | { kind: 'elect-preferred'; topic: string; partitions: number[] };

export interface AckedRecord {
  partition: number;
  offset: number;
  value: string;
}

const RETRIABLE = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.NETWORK_EXCEPTION,
]);

/** A client that runs one loop per partition until stopped (the producer, the consumer). */
abstract class PartitionLoops {
  protected stopping = false;
  #running: Array<Promise<void>> = [];
  protected readonly conns: Connections;

  constructor(
    readonly cluster: SimCluster,
    readonly node: SimNode,
    readonly partitions: number,
  ) {
    this.conns = new Connections(cluster, node);
  }

  start(): void {
    this.#running = Array.from({ length: this.partitions }, (_, p) => this.loop(p));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.#running);
    this.conns.close();
  }

  protected abstract loop(partition: number): Promise<void>;
}

export class SimProducer extends PartitionLoops {
  readonly acked: AckedRecord[] = [];
  /** Numbers sent (or being retried) but never acknowledged; may or may not be in the log. */
  readonly unacked = new Set<string>();
  sent = 0;
  retries = 0;
  producerResets = 0;
  #producerId = -1n;
  #producerEpoch = -1;
  /** A partition whose acknowledgements go into the run's story (--watch). */
  watchPartition = -1;

  constructor(
    cluster: SimCluster,
    node: SimNode,
    readonly topic: string,
    partitions: number,
    readonly recordsPerBatch: number,
    readonly intervalMs: number,
  ) {
    super(cluster, node, partitions);
  }

  /** Acknowledged so far (liveness: progress after the faults heal). */
  get ackedCount(): number {
    return this.acked.length;
  }

  async #initProducerId(): Promise<void> {
    for (;;) {
      try {
        const res = await this.conns.any<InitProducerIdResponse>(initProducerIdApi, 3, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
        if (res.errorCode === ErrorCode.NONE) {
          this.#producerId = res.producerId;
          this.#producerEpoch = res.producerEpoch;
          return;
        }
      } catch {
        // retried below
      }
      if (this.stopping) return;
      await sleep(this.node, RETRY_BACKOFF_MS);
    }
  }

  protected async loop(partition: number): Promise<void> {
    let sequence = 0;
    let n = 0;
    let epoch = -2;
    while (!this.stopping) {
      if (this.#producerId < 0n || epoch !== this.#producerEpoch) {
        if (this.#producerId < 0n) await this.#initProducerId();
        if (this.stopping) return;
        if (epoch !== this.#producerEpoch) {
          epoch = this.#producerEpoch;
          sequence = 0;
        }
      }
      const values = Array.from({ length: this.recordsPerBatch }, (_, i) => `p${partition}-n${n + i}`);
      for (const v of values) this.unacked.add(v);
      this.sent += values.length;
      const batch = buildRecordBatchSync({
        records: values.map((v) => ({ key: null, value: Buffer.from(v) })),
        producerId: this.#producerId,
        producerEpoch: this.#producerEpoch,
        baseSequence: sequence,
        baseTimestampMs: this.node.clock().nowMs(),
      });
      // Retry this very batch (same sequence) until acknowledged or refused for good.
      for (let attempt = 0; !this.stopping; attempt++) {
        const outcome = await this.#send(partition, batch);
        if (outcome.kind === 'acked') {
          if (this.watchPartition === partition) this.cluster.sched.note(`watch: ${values[0]}..${values[values.length - 1]} acknowledged at ${outcome.baseOffset} by leader ${outcome.leader}`);
          values.forEach((value, i) => {
            this.unacked.delete(value);
            this.acked.push({ partition, offset: outcome.baseOffset + i, value });
          });
          sequence += values.length;
          n += values.length;
          if (this.intervalMs > 0) await sleep(this.node, this.intervalMs);
          break;
        }
        if (outcome.kind === 'fatal') {
          // The producer's idempotence state is gone (e.g. OUT_OF_ORDER_SEQUENCE after a leader lost
          // its producer snapshot): start again as a new producer, as a real client would.
          this.cluster.sched.note(`producer reset on partition ${partition}: ${outcome.why}`);
          this.producerResets++;
          this.#producerId = -1n;
          n += values.length; // these numbers may or may not be stored: never reused
          break;
        }
        this.retries++;
        await sleep(this.node, RETRY_BACKOFF_MS);
      }
    }
  }

  async #send(partition: number, records: Buffer): Promise<{ kind: 'acked'; baseOffset: number; leader: number } | { kind: 'retry' } | { kind: 'fatal'; why: string }> {
    const key = `${this.topic}/${partition}`;
    let leader = this.conns.leaders.get(key);
    if (leader === undefined) {
      try {
        await this.conns.refreshMetadata(this.topic);
      } catch {
        return { kind: 'retry' };
      }
      leader = this.conns.leaders.get(key);
      if (leader === undefined) return { kind: 'retry' };
    }
    let res: ProduceResponse;
    try {
      res = await this.conns.request<ProduceResponse>(leader, produceApi, 7, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 10_000,
        topicData: [{ name: this.topic, partitionData: [{ index: partition, records }] }],
      });
    } catch {
      this.conns.leaders.delete(key);
      return { kind: 'retry' };
    }
    const p = res.responses[0]?.partitionResponses[0];
    if (p === undefined) return { kind: 'retry' };
    if (p.errorCode === ErrorCode.NONE || p.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) return { kind: 'acked', baseOffset: Number(p.baseOffset), leader };
    if (RETRIABLE.has(p.errorCode)) {
      this.conns.leaders.delete(key);
      return { kind: 'retry' };
    }
    return { kind: 'fatal', why: `error ${p.errorCode}` };
  }
}

/**
 * What every reader of the topic saw, and the checks on it: a record at or above the high
 * watermark of its answer, or an offset whose record changed since someone first read it.
 */
export class ReadChecker {
  /** offset → value per partition, as first seen. */
  readonly seen: Array<Map<number, string>>;
  readonly anomalies: string[] = [];

  constructor(readonly topic: string, partitions: number) {
    this.seen = Array.from({ length: partitions }, () => new Map());
  }

  /** Checks one answer's records; returns the offset after the last one (or `offset`). */
  check(partition: number, records: Buffer | null, highWatermark: number, offset: number, context: string): number {
    const key = `${this.topic}/${partition}`;
    let next = offset;
    for (const r of recordsOf(records)) {
      if (r.offset >= highWatermark) this.anomalies.push(`${context} saw ${key}@${r.offset} at or above the high watermark ${highWatermark}`);
      const before = this.seen[partition]!.get(r.offset);
      if (before === undefined) this.seen[partition]!.set(r.offset, r.value);
      else if (before !== r.value) {
        this.anomalies.push(`${key}@${r.offset} changed from ${before} to ${r.value} (${context}, fetch at ${offset}, batches ${batchRanges(records!)}, hw ${highWatermark})`);
      }
      if (r.offset >= next) next = r.offset + 1;
    }
    return next;
  }
}

/**
 * One Fetch of `partition` at `offset` from its leader (metadata refreshed when unknown), checked
 * by `reads`. Returns the next offset to fetch, or null after an error (the leader is forgotten).
 */
export async function fetchChecked(conns: Connections, reads: ReadChecker, partition: number, offset: number, context: string): Promise<number | null> {
  const topic = reads.topic;
  const key = `${topic}/${partition}`;
  try {
    let leader = conns.leaders.get(key);
    if (leader === undefined) {
      await conns.refreshMetadata(topic);
      leader = conns.leaders.get(key);
    }
    if (leader === undefined) return null;
    const res = await conns.request<FetchResponse>(leader, fetchApi, 12, {
      clusterId: null,
      replicaId: -1,
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, topicId: '00000000-0000-0000-0000-000000000000', partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [],
      rackId: '',
    } as unknown as Struct);
    const p = res.responses[0]?.partitions[0];
    if (p === undefined || p.errorCode !== ErrorCode.NONE) {
      conns.leaders.delete(key);
      return null;
    }
    return reads.check(partition, p.records, Number(p.highWatermark), offset, `${context} from leader ${leader}`);
  } catch {
    conns.leaders.delete(key);
    return null;
  }
}

/** Reads every partition from its leader, from offset 0 on, through `fetchChecked`. */
export class SimConsumer extends PartitionLoops {
  fetches = 0;

  constructor(
    cluster: SimCluster,
    node: SimNode,
    readonly reads: ReadChecker,
    partitions: number,
  ) {
    super(cluster, node, partitions);
  }

  protected async loop(partition: number): Promise<void> {
    let offset = 0;
    while (!this.stopping) {
      const next = await fetchChecked(this.conns, this.reads, partition, offset, 'the consumer');
      this.fetches++;
      if (next === null) await sleep(this.node, RETRY_BACKOFF_MS);
      else offset = next;
    }
  }
}

/** The records of a fetched record set (whole batches only), with their offsets. */
export function recordsOf(records: Buffer | null): Array<{ offset: number; value: string }> {
  const out: Array<{ offset: number; value: string }> = [];
  if (records === null) return out;
  for (let at = 0; at + BATCH_LENGTH_PREFIX_BYTES <= records.length; ) {
    const end = at + BATCH_LENGTH_PREFIX_BYTES + records.readInt32BE(at + 8);
    if (end > records.length) break;
    for (const r of readRecordsSync(records.subarray(at, end))) out.push({ offset: r.offset, value: r.value?.toString('utf8') ?? '' });
    at = end;
  }
  return out;
}

/** "base-last" of the first whole batches in `records`, for anomaly reports. */
function batchRanges(records: Buffer): string {
  const ranges: string[] = [];
  let at = 0;
  for (; at + BATCH_HEADER_BYTES <= records.length && ranges.length < 3; at += batch.totalBytes(records, at)) ranges.push(`${batch.baseOffset(records, at)}-${batch.lastOffset(records, at)}`);
  return at < records.length ? `${ranges.join(' ')} ...` : ranges.join(' ');
}

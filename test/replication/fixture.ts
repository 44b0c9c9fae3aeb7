/**
 * A small in-process cluster for replication tests, with no ZooKeeper. Every node is a whole
 * broker started by `Broker.start` — the wiring production uses: log dir locks, LogManager,
 * ReplicaManager, the handler table and group coordinator, the Server on 127.0.0.1:0, replica
 * fetchers over real sockets through the io Net — in ZooKeeper mode, with one seam:
 * `BrokerIo.cluster` (a `ClusterFactory`, src/cluster/zk-cluster.ts) joins the brokers to a
 * ScriptedController instead of ZooKeeper and the ZkController.
 *
 * The ScriptedController holds the metadata image, applies conditional ISR changes
 * (alterPartitionIsr, fenced by leader and partition epochs) and republishes, as the ZooKeeper
 * controller does, but elects leaders only when the test says so (`elect`), so a test reads like
 * the story it checks: `crash(1)`, `elect(t, 0, 2)`, `restart(1)`. Why not the real ZkController
 * over the simulator's ZooKeeper (test/sim/sim-zookeeper.ts): it reacts to a stopped
 * broker by itself (ISR removal, elections), and these tests need what a controller never does on
 * its own: keep a stopped follower in the ISR until the leader's lag timer drops it, cut one
 * broker off from new images (`cutOff(id)`), lose an ISR answer, refuse ISR changes.
 *
 * A crash is `Broker.stop()` with the controller told nothing (the membership's `beforeStop` only
 * detaches the broker from new images). Every wait has a timeout; `stopAll()` stops every node
 * and removes the data dirs.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { Broker } from '../../src/broker.js';
import type { AdminResult, Controller, CreateTopicSpec, IsrChange, IsrChangeResult, ReassignmentChange, ReassignmentOutcome } from '../../src/cluster/controller.js';
import { MetadataImage, type BrokerInfo, type PartitionInfo, type TopicInfo } from '../../src/cluster/metadata-image.js';
import type { ClusterMembership } from '../../src/cluster/zk-cluster.js';
import { loadBrokerConfig, type BrokerConfig } from '../../src/config/broker-config.js';
import { NodeClock } from '../../src/io/node/clock.js';
import { NodeDisk } from '../../src/io/node/disk.js';
import { NodeNet } from '../../src/io/node/net.js';
import { NodeRandom } from '../../src/io/node/random.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { fetchApi, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { produceApi, type ProduceResponse } from '../../src/protocol/messages/produce.js';
import type { ReplicaManager } from '../../src/replication/replica-manager.js';
import type { LogManager } from '../../src/storage/log-manager.js';
import { makeTempDir, removeDir, withTimeout, waitFor } from '../helpers/broker.js';
import { buildBatch, RawConnection, readUncompressedBatch, scanBatches } from '../helpers/raw-kafka.js';

process.env.SAMSA_LOG_LEVEL ??= process.env.SAMSA_TEST_LOG_LEVEL ?? 'error';

type Listener = (image: MetadataImage) => void | Promise<void>;

/** The controller the nodes share: an image, conditional ISR writes, elections when the test says. */
export class ScriptedController {
  image: MetadataImage;
  private readonly listeners = new Map<number, Listener[]>();
  readonly isrChanges: IsrChange[] = [];
  /** When set, alterPartitionIsr answers this instead of applying the change. */
  refuseIsrChanges: IsrChangeResult | null = null;
  /** This many next alterPartitionIsr calls throw after applying the change (an answer lost on the way back). */
  loseIsrAnswers = 0;

  constructor() {
    this.image = new MetadataImage('samsa-replication-test', 1, new Map(), new Map());
  }

  /** Broker `brokerId`'s membership: Broker.start gets it through BrokerIo.cluster. */
  membership(brokerId: number): ClusterMembership {
    this.listeners.delete(brokerId); // a new incarnation of the broker
    return {
      controller: new ControllerView(this, brokerId),
      register: (bound) => this.registerBroker({ id: brokerId, host: '127.0.0.1', port: bound[0]!.port, rack: null }),
      // A crash as far as the controller knows: the broker stops hearing images, nothing else changes.
      beforeStop: async () => this.cutOff(brokerId),
      close: async () => this.cutOff(brokerId),
    };
  }

  /** Cuts broker `brokerId` off from new images (its subscriptions are dropped; a restart subscribes afresh). */
  cutOff(brokerId: number): void {
    this.listeners.delete(brokerId);
  }

  /** Adds one of broker `brokerId`'s image subscriptions (its ReplicaManager, its group coordinator). */
  subscribe(brokerId: number, listener: Listener): void {
    const list = this.listeners.get(brokerId) ?? [];
    list.push(listener);
    this.listeners.set(brokerId, list);
  }

  async publish(image: MetadataImage): Promise<void> {
    this.image = image;
    await Promise.all([...this.listeners.values()].flat().map((l) => l(image)));
  }

  async registerBroker(b: BrokerInfo): Promise<void> {
    const brokers = new Map(this.image.brokers);
    brokers.set(b.id, b);
    await this.publish(new MetadataImage(this.image.clusterId, this.image.controllerId, brokers, this.image.topics));
  }

  async addTopic(name: string, replicas: number[][], configs: Record<string, string> = {}): Promise<void> {
    const partitions: PartitionInfo[] = replicas.map((r, i) =>
      Object.freeze({ partition: i, leader: r[0]!, leaderEpoch: 0, replicas: r, isr: r, offline: [], partitionEpoch: 0 }),
    );
    const topic: TopicInfo = Object.freeze({ name, topicId: `00000000-0000-0000-0000-${String(this.image.topics.size + 1).padStart(12, '0')}`, internal: false, partitions, configs });
    const topics = new Map(this.image.topics);
    topics.set(name, topic);
    await this.publish(this.image.withTopics(topics));
  }

  /** Dynamic broker configs: kept in the image, as the real controllers do. */
  async alterBrokerConfigs(entity: string, configs: Record<string, string | null>, mode: 'replace' | 'incremental', validateOnly: boolean): Promise<AdminResult> {
    const next: Record<string, string> = mode === 'replace' ? {} : { ...(this.image.brokerConfigs.get(entity) ?? {}) };
    for (const [k, v] of Object.entries(configs)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    if (validateOnly) return { ok: true };
    const all = new Map(this.image.brokerConfigs);
    all.set(entity, next);
    await this.publish(this.image.withBrokerConfigs(all));
    return { ok: true };
  }

  partition(topic: string, partition: number): PartitionInfo {
    const p = this.image.partition(topic, partition);
    assert.ok(p, `no ${topic}-${partition}`);
    return p;
  }

  private replacePartition(topic: string, partition: number, next: PartitionInfo): MetadataImage {
    const t = this.image.topics.get(topic)!;
    const partitions = t.partitions.map((p) => (p.partition === partition ? Object.freeze(next) : p));
    const topics = new Map(this.image.topics);
    topics.set(topic, Object.freeze({ ...t, partitions }));
    return this.image.withTopics(topics);
  }

  /** A leader election: `leader` leads at a new leader epoch with `isr` (default: the current ISR, with the leader). */
  async elect(topic: string, partition: number, leader: number, isr?: number[]): Promise<void> {
    const p = this.partition(topic, partition);
    const newIsr = isr ?? (p.isr.includes(leader) ? [...p.isr] : [...p.isr, leader]);
    await this.publish(
      this.replacePartition(topic, partition, { ...p, leader, leaderEpoch: p.leaderEpoch + 1, isr: newIsr, partitionEpoch: p.partitionEpoch + 1 }),
    );
  }

  async alterPartitionIsr(change: IsrChange): Promise<IsrChangeResult> {
    const result = await this.applyIsrChange(change);
    if (this.loseIsrAnswers > 0) {
      this.loseIsrAnswers--;
      throw new Error('connection to the controller lost before the answer');
    }
    return result;
  }

  private applyIsrChange(change: IsrChange): Promise<IsrChangeResult> {
    this.isrChanges.push(change);
    if (this.refuseIsrChanges !== null) return Promise.resolve(this.refuseIsrChanges);
    const p = this.image.partition(change.topic, change.partition);
    if (!p) return Promise.resolve({ ok: false, error: 'unknownTopicOrPartition' });
    if (p.leader !== change.leaderId || p.leaderEpoch !== change.leaderEpoch || p.partitionEpoch !== change.partitionEpoch) {
      return Promise.resolve({ ok: false, error: 'fenced' });
    }
    if (!change.isr.includes(change.leaderId) || change.isr.some((id) => !p.replicas.includes(id))) return Promise.resolve({ ok: false, error: 'invalidRequest' });
    const partitionEpoch = p.partitionEpoch + 1;
    const image = this.replacePartition(change.topic, change.partition, { ...p, isr: [...change.isr], partitionEpoch });
    // As ZooKeeper: the write succeeds, the new image reaches brokers a moment later.
    setImmediate(() => void this.publish(image));
    this.image = image;
    return Promise.resolve({ ok: true, partitionEpoch });
  }
}

/** The Controller one broker holds: the shared ScriptedController, with that broker's subscription. */
class ControllerView implements Controller {
  constructor(
    private readonly c: ScriptedController,
    private readonly brokerId: number,
  ) {}

  get image(): MetadataImage {
    return this.c.image;
  }
  subscribe(listener: Listener): void {
    this.c.subscribe(this.brokerId, listener);
  }
  alterPartitionIsr(change: IsrChange): Promise<IsrChangeResult> {
    return this.c.alterPartitionIsr(change);
  }
  alterBrokerConfigs(entity: string, configs: Record<string, string | null>, mode: 'replace' | 'incremental', validateOnly: boolean): Promise<AdminResult> {
    return this.c.alterBrokerConfigs(entity, configs, mode, validateOnly);
  }
  /** Replication tests move partitions with elect()/publish(); reassignment has its own e2e tests. */
  alterPartitionReassignments(changes: ReassignmentChange[]): Promise<ReassignmentOutcome[]> {
    return Promise.resolve(changes.map(({ topic, partition }) => ({ topic, partition, result: { ok: false, error: 'notController', message: 'the scripted controller does not reassign' } })));
  }
  /** Topics come from addTopic(); the admin requests are refused. */
  createTopic(_spec: CreateTopicSpec): Promise<AdminResult> {
    return Promise.resolve({ ok: false, error: 'invalidRequest', message: 'not in the scripted controller' });
  }
  deleteTopic(): Promise<AdminResult> {
    return this.createTopic({} as CreateTopicSpec);
  }
  createPartitions(): Promise<AdminResult> {
    return this.createTopic({} as CreateTopicSpec);
  }
  alterTopicConfigs(): Promise<AdminResult> {
    return this.createTopic({} as CreateTopicSpec);
  }
}

export interface Node {
  readonly id: number;
  readonly port: number;
  readonly dataDir: string;
  readonly replicas: ReplicaManager;
  readonly logs: LogManager;
  readonly config: BrokerConfig;
  /** Stops serving and replicating, closes the logs (the data dir stays); the controller is not told. */
  stop(): Promise<void>;
}

const DEFAULT_OVERRIDES = [
  // ZooKeeper mode, but never contacted: BrokerIo.cluster replaces openZkCluster.
  'zookeeper.connect=127.0.0.1:2181',
  'replica.fetch.backoff.ms=100',
  'replica.fetch.wait.max.ms=200',
  'replica.socket.timeout.ms=5000',
];

export async function startNode(id: number, controller: ScriptedController, dataDir: string, overrides: string[] = []): Promise<Node> {
  const { config } = loadBrokerConfig({
    overrides: [`broker.id=${id}`, `log.dirs=${dataDir}`, 'listeners=PLAINTEXT://127.0.0.1:0', ...DEFAULT_OVERRIDES, ...overrides],
    env: {},
  });
  const broker = await withTimeout(
    Broker.start(config, { clock: new NodeClock(), disk: new NodeDisk(), net: new NodeNet(), random: new NodeRandom(), cluster: async () => controller.membership(id) }),
    20_000,
    `broker ${id} to start`,
  );
  let stopped = false;
  return {
    id,
    port: broker.listeners[0]!.port,
    dataDir,
    replicas: broker.replicas,
    logs: broker.logs,
    config,
    async stop() {
      if (stopped) return;
      stopped = true;
      await broker.stop();
    },
  };
}

export interface Cluster {
  readonly controller: ScriptedController;
  node(id: number): Node;
  /** Simulates a crash (stops the node; the controller learns nothing until the test says so). */
  crash(id: number): Promise<void>;
  /** Starts the node again on its data dir (new port, re-registered). */
  restart(id: number): Promise<Node>;
  stopAll(): Promise<void>;
}

export async function startCluster(opts: { brokers: number; overrides?: string[] }): Promise<Cluster> {
  const controller = new ScriptedController();
  const nodes = new Map<number, Node>();
  const dirs = new Map<number, string>();
  for (let id = 1; id <= opts.brokers; id++) {
    const dir = await makeTempDir(`samsa-repl-${id}-`);
    dirs.set(id, dir);
    nodes.set(id, await startNode(id, controller, path.join(dir, 'data'), opts.overrides));
  }
  return {
    controller,
    node(id) {
      const n = nodes.get(id);
      assert.ok(n, `node ${id} is not running`);
      return n;
    },
    async crash(id) {
      const n = nodes.get(id);
      nodes.delete(id);
      await n?.stop();
    },
    async restart(id) {
      assert.ok(!nodes.has(id), `node ${id} still runs`);
      const n = await startNode(id, controller, path.join(dirs.get(id)!, 'data'), opts.overrides);
      nodes.set(id, n);
      return n;
    },
    async stopAll() {
      for (const n of nodes.values()) await withTimeout(n.stop(), 20_000, `node ${n.id} to stop`);
      nodes.clear();
      for (const d of dirs.values()) await removeDir(d);
    },
  };
}

// ------------------------------------------------------------------------------- client side

export interface ProduceOutcome {
  errorCode: number;
  baseOffset: number;
}

/** One Produce (v8) of `values` as one batch to `port`. */
export async function produce(
  port: number,
  topic: string,
  partition: number,
  values: string[],
  opts: { acks?: number; timeoutMs?: number } = {},
): Promise<ProduceOutcome> {
  const c = await RawConnection.connect(port);
  try {
    const records = buildBatch(values.map((v) => ({ key: null, value: Buffer.from(v) })));
    const res = await c.request<ProduceResponse>(
      produceApi,
      8,
      { transactionalId: null, acks: opts.acks ?? -1, timeoutMs: opts.timeoutMs ?? 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] },
      (opts.timeoutMs ?? 10_000) + 10_000,
    );
    const p = res.responses[0]!.partitionResponses[0]!;
    return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset) };
  } finally {
    c.close();
  }
}

/** A consumer's Fetch (v12, replicaId -1) from `offset`: the records below the high watermark. */
export async function consume(
  port: number,
  topic: string,
  partition: number,
  offset: number,
): Promise<{ errorCode: number; highWatermark: number; records: Array<{ offset: number; value: string }> }> {
  const c = await RawConnection.connect(port);
  try {
    const res = await c.request<FetchResponse>(fetchApi, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 64 * 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 64 * 1024 * 1024 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const p = res.responses[0]!.partitions[0]!;
    const records: Array<{ offset: number; value: string }> = [];
    if (p.records && p.records.length > 0) {
      const { batches } = scanBatches(p.records);
      let at = 0;
      for (const b of batches) {
        for (const r of readUncompressedBatch(p.records.subarray(at, at + b.sizeBytes))) records.push({ offset: r.offset, value: r.value?.toString() ?? '' });
        at += b.sizeBytes;
      }
    }
    return { errorCode: p.errorCode, highWatermark: Number(p.highWatermark), records };
  } finally {
    c.close();
  }
}

/** Everything a consumer can read from the leader on `port`, following the high watermark. */
export async function consumeAll(port: number, topic: string, partition: number): Promise<Array<{ offset: number; value: string }>> {
  const out: Array<{ offset: number; value: string }> = [];
  let offset = 0;
  for (let i = 0; i < 10_000; i++) {
    const r = await consume(port, topic, partition, offset);
    assert.equal(r.errorCode, ErrorCode.NONE, `consume from ${port} at ${offset}`);
    const fresh = r.records.filter((x) => x.offset >= offset);
    if (fresh.length === 0) return out;
    out.push(...fresh);
    offset = fresh.at(-1)!.offset + 1;
  }
  throw new Error('consumeAll did not finish');
}

/** The raw bytes of a replica's whole log (for byte-identity checks). */
export async function logBytes(node: Node, topic: string, partition: number): Promise<Buffer> {
  const log = node.logs.getLog(topic, partition);
  assert.ok(log, `node ${node.id} has no log for ${topic}-${partition}`);
  const parts: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, 16 * 1024 * 1024, { minOneMessage: true });
    if (r.records.length === 0) break;
    parts.push(Buffer.from(r.records));
    const { batches } = scanBatches(r.records);
    offset = batches.at(-1)!.lastOffset + 1;
  }
  return Buffer.concat(parts);
}

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  await waitFor(check, { timeoutMs, intervalMs: 25, what });
}

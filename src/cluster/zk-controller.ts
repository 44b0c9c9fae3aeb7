/**
 * ZkController: the Controller of a broker in a ZooKeeper-coordinated cluster (Kafka's ZooKeeper
 * mode, layout and JSON formats included, so Kafka's ZooKeeper-reading tools understand it).
 *
 * Every broker runs one. Each broker:
 * - reads the cluster state from the coordination service (through `Coordination`, never the
 *   ZooKeeper client directly) and keeps it current with one-shot watches (re-armed on every read):
 *   /brokers/ids (children), /brokers/topics (children), /brokers/topics/<t> (assignment),
 *   /brokers/topics/<t>/partitions/<p>/state (leader, epoch, ISR), /config/topics/<t>, /controller;
 * - builds a frozen MetadataImage from that cache after every change and hands it to subscribers
 *   (ReplicaManager) in order. Partitions whose leader is not registered show leader -1. While this
 *   broker's session is suspect or expired it publishes an image in which it leads nothing;
 * - writes admin changes directly to ZooKeeper, as Kafka's ZooKeeper-mode brokers do (topic and
 *   config nodes, /admin/delete_topics/<t>), and lets the active controller react;
 * - as a partition leader, changes the ISR with a write conditional on the state node's version
 *   (alterPartitionIsr), refused when its leader epoch or version is stale.
 *
 * One broker is the active controller: it holds the ephemeral /controller node and increments
 * /controller_epoch when it takes over. Each of its partition-state writes is a ZooKeeper multi
 * that checks /controller_epoch's version and the state node's version, so a deposed controller's
 * writes fail. It initialises partition states of new topics/partitions, elects leaders when brokers
 * disappear or ask for controlled shutdown (/samsa/controlled_shutdown/<id>), removes dead brokers
 * from ISRs, performs preferred-leader elections (/admin/preferred_replica_election, on demand or
 * automatically) and deletes topics.
 *
 * Lifecycle (owned by Broker): open() connects and publishes the first image; register() after the
 * listeners are bound; controlledShutdown() then close() when stopping.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { validateTopicConfigs } from '../config/topic-config.js';
import type { Clock, Timer } from '../io/clock.js';
import type { Random } from '../io/random.js';
import { limits } from '../limits.js';
import type { AdminResult, Controller, CreateTopicSpec, IsrChange, IsrChangeResult, ReassignmentChange, ReassignmentOutcome, PreferredElectionResult } from './controller.js';
import { type Coordination, deleteRecursive, isCoordinationError, json, type MultiOp, parseJson, type SessionEvent } from './coordination/coordination.js';
import { initialState, nextState, preferredImbalance, type ClusterView, type PartitionState } from './leader-election.js';
import { MetadataImage, type BrokerEndpoint, type BrokerInfo, type PartitionInfo, type TopicInfo } from './metadata-image.js';
import { AssignmentError, assignReplicas } from './replica-assignment.js';
import { isInternalTopic, topicNameProblem } from './topic-names.js';

/** Attempts at a read-modify-write of a shared node (configs, the reassignment request) before giving up. */
const CONFIG_WRITE_ATTEMPTS_MAX = 10;

export const paths = {
  clusterId: '/cluster/id',
  brokerIds: '/brokers/ids',
  broker: (id: number) => `/brokers/ids/${id}`,
  topics: '/brokers/topics',
  topic: (t: string) => `/brokers/topics/${t}`,
  partitions: (t: string) => `/brokers/topics/${t}/partitions`,
  partition: (t: string, p: number) => `/brokers/topics/${t}/partitions/${p}`,
  state: (t: string, p: number) => `/brokers/topics/${t}/partitions/${p}/state`,
  seqid: '/brokers/seqid',
  configTopics: '/config/topics',
  configTopic: (t: string) => `/config/topics/${t}`,
  configChanges: '/config/changes',
  configBrokers: '/config/brokers',
  /** Dynamic broker configs: '' is the cluster-wide default, Kafka's `<default>` node. */
  configBroker: (entity: string) => `/config/brokers/${entity === '' ? '<default>' : entity}`,
  controller: '/controller',
  controllerEpoch: '/controller_epoch',
  deleteTopics: '/admin/delete_topics',
  deleteTopic: (t: string) => `/admin/delete_topics/${t}`,
  preferredElection: '/admin/preferred_replica_election',
  reassignPartitions: '/admin/reassign_partitions',
  isrChanges: '/isr_change_notification',
  controlledShutdown: '/samsa/controlled_shutdown',
  controlledShutdownOf: (id: number) => `/samsa/controlled_shutdown/${id}`,
} as const;

const PERSISTENT_PATHS = [
  paths.brokerIds,
  paths.topics,
  paths.seqid,
  paths.configTopics,
  paths.configChanges,
  paths.configBrokers,
  paths.deleteTopics,
  paths.isrChanges,
  paths.controlledShutdown,
  '/cluster',
  '/admin',
];

/** JSON documents, in Kafka's formats. */
export interface BrokerRegistration {
  version: 5;
  host: string;
  port: number;
  endpoints: string[];
  listener_security_protocol_map: Record<string, string>;
  jmx_port: number;
  features: Record<string, unknown>;
  timestamp: string;
  rack?: string;
}
export interface TopicAssignmentDoc {
  version: 3;
  partitions: Record<string, number[]>;
  topic_id: string;
  adding_replicas: Record<string, number[]>;
  removing_replicas: Record<string, number[]>;
}
export interface PartitionStateDoc {
  controller_epoch: number;
  leader: number;
  version: 1;
  leader_epoch: number;
  isr: number[];
}

export interface ZkControllerOptions {
  brokerId: number;
  coordination: Coordination & { readonly healthy?: boolean };
  clock: Clock;
  random: Random;
  log: Logger;
  defaults: {
    numPartitions: number;
    replicationFactor: number;
    deleteTopicEnable: boolean;
    uncleanLeaderElectionEnable: boolean;
    autoLeaderRebalanceEnable: boolean;
    leaderImbalancePerBrokerPercentage: number;
    leaderImbalanceCheckIntervalMs: number;
  };
  /** How long admin calls wait for their change to show in this broker's image. */
  adminWaitMs?: number;
}

interface CachedTopic {
  topicId: string;
  replicas: number[][];
  version: number;
  /** In-progress reassignments (Kafka's adding_replicas / removing_replicas), by partition number. */
  adding: Record<string, number[]>;
  removing: Record<string, number[]>;
  /** The assignment node has no topic_id yet (written by an older tool). */
  needsId: boolean;
}

function nameDerivedId(topic: string): string {
  const hex = createHash('sha256').update(`samsa-topic-id:${topic}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

interface CachedState extends PartitionState {
  controllerEpoch: number;
  version: number;
  generation: number;
}

/** Kafka stores topic ids as base64url of the 16 UUID bytes; the image uses the RFC 4122 text form. */
export function uuidToKafkaId(uuid: string): string {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex').toString('base64url');
}
export function kafkaIdToUuid(id: string): string {
  const hex = Buffer.from(id, 'base64url').toString('hex').padStart(32, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function registrationOf(broker: BrokerInfo, nowMs: number, endpoints?: Array<{ name: string; host: string; port: number; protocol: string }>): BrokerRegistration {
  const eps = endpoints ?? [{ name: 'PLAINTEXT', host: broker.host, port: broker.port, protocol: 'PLAINTEXT' }];
  const reg: BrokerRegistration = {
    version: 5,
    host: broker.host,
    port: broker.port,
    endpoints: eps.map((e) => `${e.name}://${e.host}:${e.port}`),
    listener_security_protocol_map: Object.fromEntries(eps.map((e) => [e.name, e.protocol])),
    jmx_port: -1,
    features: {},
    timestamp: String(nowMs),
  };
  if (broker.rack !== null) reg.rack = broker.rack;
  return reg;
}

/** `NAME://host:port` (host may be a bracketed IPv6 address) of a registration's endpoints. */
const ENDPOINT_PATTERN = /^([^:]+):\/\/\[?([^\]]*?)\]?:(\d+)$/;

/** The image's view of a registration: every endpoint by listener, the first as host/port. */
export function brokerOf(id: number, reg: BrokerRegistration): BrokerInfo {
  const endpoints: BrokerEndpoint[] = [];
  for (const text of reg.endpoints ?? []) {
    const m = ENDPOINT_PATTERN.exec(text);
    if (m) endpoints.push(Object.freeze({ listener: m[1]!.toUpperCase(), host: m[2]!, port: Number(m[3]) }));
  }
  const first = endpoints[0];
  const host = first?.host ?? reg.host;
  const port = first?.port ?? reg.port;
  return Object.freeze({ id, host, port, rack: reg.rack ?? null, ...(endpoints.length > 0 ? { endpoints: Object.freeze(endpoints) } : {}) });
}

type Fail = Extract<AdminResult, { ok: false }>;
function fail(error: Fail['error'], message: string): Fail {
  return { ok: false, error, message };
}

export class ZkController implements Controller {
  readonly #coord: Coordination & { readonly healthy?: boolean };
  readonly #log: Logger;
  #image: MetadataImage;
  #listeners: Array<(image: MetadataImage) => void | Promise<void>> = [];
  #publishChain: Promise<void> = Promise.resolve();
  #publishScheduled = false;
  #waiters = new Set<() => void>();

  // Cache of the coordination state.
  #clusterId = '';
  #brokers = new Map<number, BrokerInfo>();
  #controllerId = -1;
  #topics = new Map<string, CachedTopic>();
  #configs = new Map<string, Record<string, string>>();
  /** Dynamic broker configs by entity ('' = cluster default), from /config/brokers. */
  #brokerConfigs = new Map<string, Readonly<Record<string, string>>>();
  #states = new Map<string, CachedState>();
  #deleting = new Set<string>();
  #stopping = new Set<number>();
  #armed = new Set<string>();
  /** Bumped on every new session: watches and reads of an older session are ignored. */
  #generation = 0;
  #suspended = false;
  #closed = false;

  // Registration and controllership.
  #registration: { broker: BrokerInfo; endpoints?: Array<{ name: string; host: string; port: number; protocol: string }> } | null = null;
  #registered = false;
  #isController = false;
  #controllerEpoch = 0;
  #controllerEpochVersion = -1;
  #controllerWork: Promise<void> = Promise.resolve();
  #controllerWorkPending = false;
  #conflicts = 0;
  #preferredRequested: Array<{ topic: string; partition: number }> | null = null;
  /** The pending /admin/reassign_partitions request (active controller only), with the node's version. */
  #reassignRequested: { partitions: ReassignTarget[]; version: number } | null = null;
  #rebalanceTimer: Timer | null = null;
  #retryTimer: Timer | null = null;

  private constructor(private readonly opts: ZkControllerOptions) {
    this.#coord = opts.coordination;
    this.#log = opts.log;
    this.#image = new MetadataImage('', -1, new Map(), new Map());
  }

  /** Connects (the coordination must be started), reads the whole cluster state and publishes the first image. */
  static async open(opts: ZkControllerOptions): Promise<ZkController> {
    const c = new ZkController(opts);
    c.#coord.onSession((e) => c.onSession(e));
    await c.bootstrap();
    return c;
  }

  get image(): MetadataImage {
    return this.#image;
  }

  get brokerId(): number {
    return this.opts.brokerId;
  }

  /** True while this broker is the active controller. */
  get isActiveController(): boolean {
    return this.#isController;
  }

  subscribe(listener: (image: MetadataImage) => void | Promise<void>): void {
    this.#listeners.push(listener);
  }

  // -------------------------------------------------------------------------------------------
  // Bootstrap, sessions, registration

  private async bootstrap(): Promise<void> {
    const gen = this.#generation;
    for (const p of PERSISTENT_PATHS) await this.#coord.ensurePath(p);
    this.#clusterId = await this.readOrCreateClusterId();
    await this.readBrokers(gen);
    await this.readTopicList(gen);
    await this.readBrokerConfigList(gen);
    await this.readDeleteRequests(gen);
    await this.readStoppingBrokers(gen);
    await this.readController(gen);
    this.publishSoon();
    await this.#publishChain;
  }

  private async readOrCreateClusterId(): Promise<string> {
    const existing = await this.#coord.get(paths.clusterId);
    if (existing) return parseJson<{ id: string }>(existing.data).id;
    const id = this.opts.random.base64Id().slice(0, 22);
    try {
      await this.#coord.create(paths.clusterId, json({ version: '1', id }));
      this.#log.info({ clusterId: id }, 'created cluster id');
      return id;
    } catch (err) {
      if (!isCoordinationError(err, 'nodeExists')) throw err;
      const now = await this.#coord.get(paths.clusterId);
      assert.ok(now, 'cluster id exists after nodeExists');
      return parseJson<{ id: string }>(now.data).id;
    }
  }

  private onSession(e: SessionEvent): void {
    if (this.#closed) return;
    if (e === 'disconnected' || e === 'expired') {
      if (!this.#suspended) {
        this.#suspended = true;
        this.#log.warn({ event: e }, 'coordination session suspect: this broker stops leading until it is confirmed or renewed');
        this.publishSoon();
      }
      if (e === 'expired') this.resignController('session expired');
    } else if (e === 'connected') {
      if (this.#suspended) {
        this.#suspended = false;
        this.#log.info('coordination session confirmed alive: resyncing');
        void this.resync('connected');
      }
    } else if (e === 'newSession') {
      this.#generation++;
      this.#armed.clear();
      this.#registered = false;
      this.resignController('new session');
      void this.resync('newSession');
    }
  }

  private async resync(reason: string): Promise<void> {
    const gen = this.#generation;
    try {
      if (this.#registration && !this.#registered) await this.registerNow(gen);
      await this.bootstrap(); // re-reads everything; watches already armed in this session are kept
      this.#suspended = false;
      this.publishSoon();
      this.#log.info({ reason }, 'resynced cluster state from ZooKeeper');
    } catch (err) {
      this.#log.warn({ err, reason }, 'resync failed; retrying in 1 s');
      this.#retryTimer = this.opts.clock.setTimer(1000, () => void this.resync(reason), { unref: true });
    }
  }

  /** Registers this broker (ephemeral /brokers/ids/<id>) with its bound endpoint and joins the controller election. */
  async register(broker: BrokerInfo, endpoints?: Array<{ name: string; host: string; port: number; protocol: string }>): Promise<void> {
    this.#registration = endpoints ? { broker, endpoints } : { broker };
    await this.registerNow(this.#generation);
  }

  private async registerNow(gen: number): Promise<void> {
    const reg = this.#registration;
    assert.ok(reg);
    const path = paths.broker(this.opts.brokerId);
    const data = json(registrationOf(reg.broker, this.opts.clock.nowMs(), reg.endpoints));
    const deadline = this.opts.clock.monotonicMs() + 120_000;
    let warned = false;
    for (;;) {
      try {
        await this.#coord.create(path, data, { ephemeral: true });
        break;
      } catch (err) {
        if (!isCoordinationError(err, 'nodeExists')) throw err;
        const existing = await this.#coord.get(path);
        if (existing?.ownedBySession) break;
        if (this.opts.clock.monotonicMs() > deadline) throw new Error(`broker id ${this.opts.brokerId} is registered by another session (another broker with the same broker.id?)`);
        if (!warned) {
          warned = true;
          this.#log.warn({ brokerId: this.opts.brokerId }, 'a previous registration of this broker id still exists (its session has not expired yet): waiting for it to go');
        }
        await this.sleep(500);
      }
    }
    if (gen !== this.#generation) return;
    this.#registered = true;
    this.#log.info({ brokerId: this.opts.brokerId, host: reg.broker.host, port: reg.broker.port }, 'registered broker in ZooKeeper');
    await this.readBrokers(gen);
    await this.tryBecomeController(gen);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => this.opts.clock.setTimer(ms, r));
  }

  // -------------------------------------------------------------------------------------------
  // Watched reads into the cache

  /** Returns a watcher for `key` unless one is already armed for it in this session. */
  private watcher(key: string, gen: number, onFire: () => Promise<void>): (() => void) | undefined {
    if (this.#armed.has(key)) return undefined;
    this.#armed.add(key);
    return () => {
      if (gen !== this.#generation || this.#closed) return;
      this.#armed.delete(key);
      onFire().catch((err: unknown) => this.onReadError(err, key));
    };
  }

  private onReadError(err: unknown, what: string): void {
    if (this.#closed) return;
    // A read failed (connection loss, expiry): the session handler resyncs everything when the
    // session is back, which re-arms every watch; until then the image is marked suspect.
    this.#log.warn({ err, what }, 'ZooKeeper read failed; will resync');
    this.#armed.delete(what);
    if (!this.#retryTimer) {
      this.#retryTimer = this.opts.clock.setTimer(
        1000,
        () => {
          this.#retryTimer = null;
          void this.resync(`read failure: ${what}`);
        },
        { unref: true },
      );
    }
  }

  private async readBrokers(gen: number): Promise<void> {
    const w = this.watcher('brokers', gen, () => this.readBrokers(gen));
    const ids = (await this.#coord.children(paths.brokerIds, w)) ?? [];
    const next = new Map<number, BrokerInfo>();
    for (const name of ids) {
      const id = Number(name);
      if (!Number.isInteger(id)) continue;
      const node = await this.#coord.get(paths.broker(id));
      if (!node) continue;
      try {
        next.set(id, brokerOf(id, parseJson<BrokerRegistration>(node.data)));
      } catch (err) {
        this.#log.warn({ err, brokerId: id }, 'unreadable broker registration ignored');
      }
    }
    if (gen !== this.#generation) return;
    this.#brokers = next;
    this.publishSoon();
    this.controllerWorkSoon();
  }

  private async readTopicList(gen: number): Promise<void> {
    const w = this.watcher('topics', gen, () => this.readTopicList(gen));
    const names = (await this.#coord.children(paths.topics, w)) ?? [];
    if (gen !== this.#generation) return;
    const present = new Set(names);
    for (const t of [...this.#topics.keys()]) if (!present.has(t)) this.dropTopic(t);
    for (const t of names) if (!this.#topics.has(t) || !this.#armed.has(`topic:${t}`)) await this.readTopic(gen, t);
    this.publishSoon();
    this.controllerWorkSoon();
  }

  private async readBrokerConfigList(gen: number): Promise<void> {
    const w = this.watcher('brokerConfigs', gen, () => this.readBrokerConfigList(gen));
    const names = (await this.#coord.children(paths.configBrokers, w)) ?? [];
    if (gen !== this.#generation) return;
    const entities = new Set(names.map((n) => (n === '<default>' ? '' : n)));
    for (const e of [...this.#brokerConfigs.keys()]) if (!entities.has(e)) this.#brokerConfigs.delete(e);
    for (const e of entities) if (!this.#armed.has(`brokerConfig:${e}`)) await this.readBrokerConfig(gen, e);
    this.publishSoon();
  }

  private async readBrokerConfig(gen: number, entity: string): Promise<void> {
    const w = this.watcher(`brokerConfig:${entity}`, gen, () => this.readBrokerConfig(gen, entity));
    const node = await this.#coord.get(paths.configBroker(entity), w);
    if (gen !== this.#generation) return;
    let config: Record<string, string> = {};
    if (node) {
      try {
        config = parseJson<{ config?: Record<string, string> }>(node.data).config ?? {};
      } catch (err) {
        this.#log.warn({ err, entity }, `unreadable ${paths.configBroker(entity)} ignored`);
      }
    }
    if (Object.keys(config).length === 0) this.#brokerConfigs.delete(entity);
    else this.#brokerConfigs.set(entity, Object.freeze({ ...config }));
    this.publishSoon();
  }

  private dropTopic(t: string): void {
    const cached = this.#topics.get(t);
    this.#topics.delete(t);
    this.#configs.delete(t);
    if (cached) for (let p = 0; p < cached.replicas.length; p++) this.#states.delete(`${t}/${p}`);
  }

  private async readTopic(gen: number, t: string): Promise<void> {
    const w = this.watcher(`topic:${t}`, gen, () => this.readTopic(gen, t));
    const node = await this.#coord.get(paths.topic(t), w);
    if (gen !== this.#generation) return;
    if (!node) {
      this.dropTopic(t);
      this.publishSoon();
      return;
    }
    const doc = parseJson<TopicAssignmentDoc>(node.data);
    const replicas: number[][] = [];
    for (let p = 0; doc.partitions[String(p)] !== undefined; p++) replicas.push(doc.partitions[String(p)]!);
    // Topics written by older tools (assignment version 1/2) have no topic_id: the controller adds
    // one; until then every broker uses the same name-derived id so their images agree.
    const topicId = doc.topic_id ? kafkaIdToUuid(doc.topic_id) : nameDerivedId(t);
    const before = this.#topics.get(t);
    this.#topics.set(t, { topicId, replicas, version: node.version, needsId: !doc.topic_id, adding: doc.adding_replicas ?? {}, removing: doc.removing_replicas ?? {} });
    if (!before || !this.#armed.has(`config:${t}`)) await this.readConfig(gen, t);
    for (let p = 0; p < replicas.length; p++) {
      if (!this.#states.has(`${t}/${p}`) || !this.#armed.has(`state:${t}/${p}`)) await this.readState(gen, t, p);
    }
    this.publishSoon();
    this.controllerWorkSoon();
  }

  private async readConfig(gen: number, t: string): Promise<void> {
    const w = this.watcher(`config:${t}`, gen, () => this.readConfig(gen, t));
    const node = await this.#coord.get(paths.configTopic(t), w);
    if (gen !== this.#generation) return;
    if (!this.#topics.has(t)) return;
    this.#configs.set(t, node ? (parseJson<{ config?: Record<string, string> }>(node.data).config ?? {}) : {});
    this.publishSoon();
  }

  private async readState(gen: number, t: string, p: number): Promise<void> {
    const key = `${t}/${p}`;
    const w = this.watcher(`state:${key}`, gen, () => this.readState(gen, t, p));
    const node = await this.#coord.get(paths.state(t, p), w);
    if (gen !== this.#generation) return;
    if (!this.#topics.has(t)) return;
    if (!node) this.#states.delete(key);
    else this.cacheState(t, p, parseJson<PartitionStateDoc>(node.data), node.version);
    this.publishSoon();
    this.controllerWorkSoon();
  }

  private cacheState(t: string, p: number, doc: PartitionStateDoc, version: number): void {
    const key = `${t}/${p}`;
    const prev = this.#states.get(key);
    // Within a session ZooKeeper answers in order, but our own write's result and a watch-triggered
    // read may be applied in either order: never go back to an older version of the same session.
    if (prev && prev.generation === this.#generation && prev.version > version) return;
    this.#states.set(key, { leader: doc.leader, leaderEpoch: doc.leader_epoch, isr: doc.isr, controllerEpoch: doc.controller_epoch, version, generation: this.#generation });
  }

  private async readDeleteRequests(gen: number): Promise<void> {
    const w = this.watcher('deletes', gen, () => this.readDeleteRequests(gen));
    const names = (await this.#coord.children(paths.deleteTopics, w)) ?? [];
    if (gen !== this.#generation) return;
    this.#deleting = new Set(names);
    this.controllerWorkSoon();
  }

  private async readStoppingBrokers(gen: number): Promise<void> {
    const w = this.watcher('stopping', gen, () => this.readStoppingBrokers(gen));
    const names = (await this.#coord.children(paths.controlledShutdown, w)) ?? [];
    if (gen !== this.#generation) return;
    this.#stopping = new Set(names.map(Number).filter(Number.isInteger));
    this.controllerWorkSoon();
    for (const w of [...this.#waiters]) w(); // a controlled shutdown waits on who else is stopping
  }

  private async readController(gen: number): Promise<void> {
    const w = this.watcher('controller', gen, () => this.readController(gen));
    const node = await this.#coord.get(paths.controller, w);
    if (gen !== this.#generation) return;
    this.#controllerId = node ? parseJson<{ brokerid: number }>(node.data).brokerid : -1;
    if (this.#isController && this.#controllerId !== this.opts.brokerId) this.resignController('another broker holds /controller');
    this.publishSoon();
    if (!node && this.#registered) await this.tryBecomeController(gen);
  }

  private async readPreferredRequest(gen: number): Promise<void> {
    const w = this.watcher('preferred', gen, () => this.readPreferredRequest(gen));
    const node = await this.#coord.get(paths.preferredElection, w);
    if (gen !== this.#generation) return;
    if (node) {
      const doc = parseJson<{ partitions?: Array<{ topic: string; partition: number }> }>(node.data);
      this.#preferredRequested = doc.partitions ?? [];
      this.controllerWorkSoon();
    }
  }

  private async readReassignRequest(gen: number): Promise<void> {
    const w = this.watcher('reassign', gen, () => this.readReassignRequest(gen));
    const node = await this.#coord.get(paths.reassignPartitions, w);
    if (gen !== this.#generation || !this.#isController) return;
    if (!node) {
      this.#reassignRequested = null;
      return;
    }
    let partitions: ReassignTarget[] = [];
    try {
      partitions = parseReassignment(node.data.toString('utf8'));
    } catch (err) {
      this.#log.warn({ err }, `unreadable ${paths.reassignPartitions} ignored`);
    }
    this.#reassignRequested = { partitions, version: node.version };
    this.#log.info({ partitions: partitions.length }, 'partition reassignment requested');
    this.controllerWorkSoon();
  }

  // -------------------------------------------------------------------------------------------
  // The image

  private publishSoon(): void {
    if (this.#publishScheduled || this.#closed) return;
    this.#publishScheduled = true;
    queueMicrotask(() => {
      this.#publishScheduled = false;
      const next = this.buildImage();
      this.#publishChain = this.#publishChain.then(async () => {
        this.#image = next;
        for (const l of this.#listeners) {
          try {
            await l(next);
          } catch (err) {
            this.#log.error({ err }, 'metadata image subscriber failed');
          }
        }
        for (const w of [...this.#waiters]) w();
      });
    });
  }

  private buildImage(): MetadataImage {
    const self = this.opts.brokerId;
    // Not registered (yet, or again after a session loss) or session suspect: lead nothing.
    const fenced = this.#suspended || !this.#registered;
    const topics = new Map<string, TopicInfo>();
    for (const [name, t] of [...this.#topics].sort((a, b) => a[0].localeCompare(b[0]))) {
      const partitions: PartitionInfo[] = t.replicas.map((replicas, p) => {
        const s = this.#states.get(`${name}/${p}`);
        let leader = s?.leader ?? -1;
        if (!this.#brokers.has(leader)) leader = -1;
        if (fenced && leader === self) leader = -1;
        return Object.freeze({
          partition: p,
          leader,
          leaderEpoch: s?.leaderEpoch ?? -1,
          replicas: Object.freeze([...replicas]),
          isr: Object.freeze([...(s?.isr ?? [])]),
          offline: Object.freeze(replicas.filter((r) => !this.#brokers.has(r))),
          partitionEpoch: s?.version ?? -1,
          addingReplicas: Object.freeze([...(t.adding[String(p)] ?? [])]),
          removingReplicas: Object.freeze([...(t.removing[String(p)] ?? [])]),
        });
      });
      topics.set(name, Object.freeze({ name, topicId: t.topicId, internal: isInternalTopic(name), partitions: Object.freeze(partitions), configs: Object.freeze({ ...(this.#configs.get(name) ?? {}) }) }));
    }
    const brokers = new Map([...this.#brokers].sort((a, b) => a[0] - b[0]));
    return new MetadataImage(this.#clusterId, this.#controllerId, brokers, topics, new Map(this.#brokerConfigs));
  }

  /** Resolves when `check(image)` holds for a published image, or false after `timeoutMs`. */
  private waitForImage(check: (image: MetadataImage) => boolean, timeoutMs = this.opts.adminWaitMs ?? 10_000): Promise<boolean> {
    if (check(this.#image)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = (): void => {
        if (check(this.#image)) {
          this.#waiters.delete(waiter);
          timer.cancel();
          resolve(true);
        }
      };
      const timer = this.opts.clock.setTimer(timeoutMs, () => {
        this.#waiters.delete(waiter);
        resolve(false);
      });
      this.#waiters.add(waiter);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Admin operations (any broker)

  private liveBrokerList(): BrokerInfo[] {
    return [...this.#brokers.values()].sort((a, b) => a.id - b.id);
  }

  async createTopic(spec: CreateTopicSpec): Promise<AdminResult & { topic?: TopicInfo }> {
    const problem = topicNameProblem(spec.name);
    if (problem) return fail('invalidTopic', problem);
    if (await this.knownTopic(spec.name)) return fail('topicAlreadyExists', `Topic '${spec.name}' already exists.`);
    if (this.#deleting.has(spec.name)) return fail('topicAlreadyExists', `Topic '${spec.name}' is marked for deletion.`);
    const collision = [...this.#topics.keys()].find((n) => n !== spec.name && n.replace(/\./g, '_') === spec.name.replace(/\./g, '_'));
    if (collision) return fail('invalidTopic', `Topic '${spec.name}' collides with existing topic: ${collision}`);
    const brokers = this.liveBrokerList();
    let assignment: number[][];
    if (spec.assignments.length > 0) {
      if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
        return fail('invalidRequest', 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
      }
      const rf = spec.assignments[0]!.length;
      for (const replicas of spec.assignments) {
        if (replicas.length !== rf || replicas.length === 0 || new Set(replicas).size !== replicas.length || replicas.some((id) => !this.#brokers.has(id))) {
          return fail('invalidReplicaAssignment', `Invalid replica assignment ${JSON.stringify(spec.assignments)}: unknown broker, duplicate or uneven replication factor.`);
        }
      }
      assignment = spec.assignments.map((r) => [...r]);
    } else {
      const partitions = spec.numPartitions === -1 ? this.opts.defaults.numPartitions : spec.numPartitions;
      const rf = spec.replicationFactor === -1 ? this.opts.defaults.replicationFactor : spec.replicationFactor;
      if (partitions < 1 || partitions > limits.partitionsPerTopicMax) {
        return fail('invalidPartitions', `Number of partitions must be between 1 and ${limits.partitionsPerTopicMax}, got ${partitions}.`);
      }
      try {
        assignment = assignReplicas({ brokers, partitions, replicationFactor: rf, startIndex: this.opts.random.int(Math.max(1, brokers.length)), shift: this.opts.random.int(Math.max(1, brokers.length)) });
      } catch (err) {
        if (err instanceof AssignmentError) return fail(err.kind, err.message);
        throw err;
      }
    }
    if (assignment.length > limits.partitionsPerTopicMax) return fail('invalidPartitions', `Number of partitions must be at most ${limits.partitionsPerTopicMax}.`);
    const configCheck = validateTopicConfigs(spec.configs);
    if (!configCheck.ok) return fail('invalidConfig', configCheck.message);
    const topicId = this.opts.random.uuid();
    const preview = this.previewTopic(spec.name, topicId, assignment, spec.configs);
    if (spec.validateOnly) return { ok: true, topic: preview };
    // Kafka's order: the config first, then the assignment (which the controller reacts to).
    await this.writeConfig(spec.name, spec.configs);
    const doc: TopicAssignmentDoc = {
      version: 3,
      partitions: Object.fromEntries(assignment.map((r, p) => [String(p), r])),
      topic_id: uuidToKafkaId(topicId),
      adding_replicas: {},
      removing_replicas: {},
    };
    try {
      await this.#coord.create(paths.topic(spec.name), json(doc));
    } catch (err) {
      if (isCoordinationError(err, 'nodeExists')) return fail('topicAlreadyExists', `Topic '${spec.name}' already exists.`);
      throw err;
    }
    this.#log.info({ topic: spec.name, assignment }, 'created topic');
    await this.waitForImage((img) => {
      const t = img.topics.get(spec.name);
      return t !== undefined && t.partitions.every((p) => p.leader !== -1);
    });
    return { ok: true, topic: this.#image.topics.get(spec.name) ?? preview };
  }

  private previewTopic(name: string, topicId: string, assignment: number[][], configs: Record<string, string>): TopicInfo {
    const partitions = assignment.map((replicas, p) =>
      Object.freeze({ partition: p, leader: -1, leaderEpoch: -1, replicas, isr: [], offline: [], partitionEpoch: -1 }),
    );
    return Object.freeze({ name, topicId, internal: isInternalTopic(name), partitions, configs: Object.freeze({ ...configs }) });
  }

  private async writeConfig(topic: string, config: Record<string, string>, expectedVersion?: number): Promise<void> {
    const data = json({ version: 1, config });
    if (expectedVersion !== undefined) {
      await this.#coord.set(paths.configTopic(topic), data, expectedVersion);
      return;
    }
    try {
      await this.#coord.create(paths.configTopic(topic), data);
    } catch (err) {
      if (!isCoordinationError(err, 'nodeExists')) throw err;
      await this.#coord.set(paths.configTopic(topic), data);
    }
  }

  /** True when the topic exists; reads ZooKeeper when this broker's cache has not seen it yet (just created elsewhere). */
  private async knownTopic(name: string): Promise<boolean> {
    if (this.#topics.has(name)) return true;
    if (topicNameProblem(name) !== null) return false;
    if ((await this.#coord.get(paths.topic(name))) === null) return false;
    this.#armed.delete(`topic:${name}`);
    await this.readTopic(this.#generation, name);
    return this.#topics.has(name);
  }

  async deleteTopic(name: string): Promise<AdminResult> {
    if (!this.opts.defaults.deleteTopicEnable) return fail('topicDeletionDisabled', 'Topic deletion is disabled (delete.topic.enable=false).');
    if (!(await this.knownTopic(name))) return fail('unknownTopic', `Topic '${name}' does not exist.`);
    try {
      await this.#coord.create(paths.deleteTopic(name), Buffer.alloc(0));
    } catch (err) {
      if (!isCoordinationError(err, 'nodeExists')) throw err; // already requested: wait with the others
    }
    this.#log.info({ topic: name }, 'requested topic deletion');
    await this.waitForImage((img) => !img.topics.has(name));
    return { ok: true };
  }

  async createPartitions(name: string, totalCount: number, assignments: number[][], validateOnly: boolean): Promise<AdminResult> {
    await this.knownTopic(name);
    const topic = this.#topics.get(name);
    if (!topic) return fail('unknownTopic', `The topic '${name}' does not exist.`);
    const current = topic.replicas.length;
    if (totalCount <= current) return fail('invalidPartitions', `Topic currently has ${current} partitions, which is higher than the requested ${totalCount}.`);
    if (totalCount > limits.partitionsPerTopicMax) return fail('invalidPartitions', `Number of partitions must be at most ${limits.partitionsPerTopicMax}.`);
    if (assignments.length > 0 && assignments.length !== totalCount - current) {
      return fail('invalidReplicaAssignment', `Increasing the number of partitions by ${totalCount - current} but ${assignments.length} assignments provided.`);
    }
    const rf = topic.replicas[0]?.length ?? 1;
    let added: number[][];
    if (assignments.length > 0) {
      if (assignments.some((r) => r.length !== rf || new Set(r).size !== r.length || r.some((id) => !this.#brokers.has(id)))) {
        return fail('invalidReplicaAssignment', 'Replica assignment names an unknown broker, repeats a broker or has a different replication factor.');
      }
      added = assignments.map((r) => [...r]);
    } else {
      const brokers = this.liveBrokerList();
      const firstLeader = topic.replicas[0]?.[0] ?? brokers[0]?.id ?? 0;
      const startIndex = Math.max(0, brokers.findIndex((b) => b.id === firstLeader));
      try {
        added = assignReplicas({ brokers, partitions: totalCount - current, replicationFactor: rf, startIndex, shift: this.opts.random.int(Math.max(1, brokers.length)), firstPartition: current });
      } catch (err) {
        if (err instanceof AssignmentError) return fail(err.kind, err.message);
        throw err;
      }
    }
    if (validateOnly) return { ok: true };
    const all = [...topic.replicas, ...added];
    const doc: TopicAssignmentDoc = {
      version: 3,
      partitions: Object.fromEntries(all.map((r, p) => [String(p), r])),
      topic_id: uuidToKafkaId(topic.topicId),
      adding_replicas: topic.adding,
      removing_replicas: topic.removing,
    };
    try {
      await this.#coord.set(paths.topic(name), json(doc), topic.version);
    } catch (err) {
      if (isCoordinationError(err, 'badVersion')) return fail('invalidRequest', `The partitions of '${name}' changed concurrently; retry.`);
      if (isCoordinationError(err, 'noNode')) return fail('unknownTopic', `The topic '${name}' does not exist.`);
      throw err;
    }
    await this.waitForImage((img) => {
      const t = img.topics.get(name);
      return t !== undefined && t.partitions.length === totalCount && t.partitions.every((p) => p.leader !== -1);
    });
    return { ok: true };
  }

  async alterTopicConfigs(name: string, configs: Record<string, string | null>, mode: 'replace' | 'incremental', validateOnly: boolean): Promise<AdminResult> {
    if (!(await this.knownTopic(name))) return fail('unknownTopic', `Topic ${name} does not exist.`);
    const check = validateTopicConfigs(configs);
    if (!check.ok) return fail('invalidConfig', check.message);
    const node = await this.#coord.get(paths.configTopic(name));
    const current = node ? (parseJson<{ config?: Record<string, string> }>(node.data).config ?? {}) : {};
    const next: Record<string, string> = mode === 'replace' ? {} : { ...current };
    for (const [k, v] of Object.entries(configs)) {
      if (v === null) delete next[k];
      else next[k] = v;
    }
    if (validateOnly) return { ok: true };
    try {
      await this.writeConfig(name, next, node?.version);
    } catch (err) {
      if (isCoordinationError(err, 'badVersion')) return fail('invalidRequest', `The configs of '${name}' changed concurrently; retry.`);
      throw err;
    }
    const want = JSON.stringify(Object.entries(next).sort());
    await this.waitForImage((img) => {
      const t = img.topics.get(name);
      return t === undefined || JSON.stringify(Object.entries(t.configs).sort()) === want;
    });
    return { ok: true };
  }

  /** Dynamic broker configs, in Kafka's nodes /config/brokers/<id> and /config/brokers/<default>. */
  async alterBrokerConfigs(entity: string, configs: Record<string, string | null>, mode: 'replace' | 'incremental', validateOnly: boolean): Promise<AdminResult> {
    const path = paths.configBroker(entity);
    for (let attempt = 0; attempt < CONFIG_WRITE_ATTEMPTS_MAX; attempt++) {
      const node = await this.#coord.get(path);
      const current = node ? (parseJson<{ config?: Record<string, string> }>(node.data).config ?? {}) : {};
      const next: Record<string, string> = mode === 'replace' ? {} : { ...current };
      for (const [k, v] of Object.entries(configs)) {
        if (v === null) delete next[k];
        else next[k] = v;
      }
      if (validateOnly) return { ok: true };
      try {
        const data = json({ version: 1, config: next });
        if (node) await this.#coord.set(path, data, node.version);
        else await this.#coord.create(path, data);
      } catch (err) {
        if (isCoordinationError(err, 'badVersion') || isCoordinationError(err, 'nodeExists') || isCoordinationError(err, 'noNode')) continue; // a concurrent change: read it and apply ours on top
        throw err;
      }
      const want = JSON.stringify(Object.entries(next).sort());
      await this.waitForImage((img) => JSON.stringify(Object.entries(img.brokerConfigs.get(entity) ?? {}).sort()) === want);
      return { ok: true };
    }
    return fail('invalidRequest', `The dynamic configs of ${entity === '' ? 'the cluster default' : `broker ${entity}`} kept changing concurrently; retry.`);
  }

  /**
   * AlterPartitionReassignments on the active controller: new targets join /admin/reassign_partitions
   * (the same request node kafka-reassign-partitions --zookeeper writes, carried out by `reassign`);
   * a cancellation puts a partition in progress back on its original replicas (replicas minus
   * adding_replicas), leader from those in sync, in one fenced write.
   */
  async alterPartitionReassignments(changes: ReassignmentChange[]): Promise<ReassignmentOutcome[]> {
    if (!this.#isController) {
      return changes.map(({ topic, partition }) => ({ topic, partition, result: fail('notController', `Broker ${this.opts.brokerId} is not the active controller.`) }));
    }
    const outcomes: ReassignmentOutcome[] = [];
    const targets: ReassignTarget[] = [];
    const cancels: Array<{ topic: string; partition: number }> = [];
    const pending = new Set((this.#reassignRequested?.partitions ?? []).map((x) => `${x.topic}/${x.partition}`));
    for (const { topic: t, partition: p, replicas } of changes) {
      const at = { topic: t, partition: p };
      const topic = this.#topics.get(t);
      if (!topic || this.#deleting.has(t) || !Number.isInteger(p) || p < 0 || p >= topic.replicas.length) {
        outcomes.push({ ...at, result: fail('unknownTopicOrPartition', `Unable to find partition ${t}-${p}.`) });
        continue;
      }
      if (replicas === null) {
        const inProgress = topic.adding[String(p)] !== undefined || topic.removing[String(p)] !== undefined || pending.has(`${t}/${p}`);
        if (!inProgress) {
          outcomes.push({ ...at, result: fail('noReassignmentInProgress', `No reassignment is in progress for partition ${t}-${p}.`) });
          continue;
        }
        cancels.push(at);
        outcomes.push({ ...at, result: { ok: true } });
        continue;
      }
      const problem = replicas.length === 0 ? 'the replica list is empty' : new Set(replicas).size !== replicas.length ? 'a broker is listed twice' : null;
      const unknown = replicas.filter((id) => !this.#brokers.has(id));
      if (problem !== null || unknown.length > 0) {
        const why = problem ?? `it includes broker ${unknown.join(', ')}, which is not registered`;
        outcomes.push({ ...at, result: fail('invalidReplicaAssignment', `Invalid replica assignment for ${t}-${p}: ${why}.`) });
        continue;
      }
      targets.push({ topic: t, partition: p, replicas: [...replicas] });
      outcomes.push({ ...at, result: { ok: true } });
    }
    if (targets.length > 0 || cancels.length > 0) {
      // On the controller's work chain, so `reassign` never runs between the cancellation's write
      // and the request's update (it would start the cancelled move again).
      await this.onControllerChain(async () => {
        for (const c of cancels) await this.cancelReassignment(c.topic, c.partition);
        await this.mergeReassignRequest(targets, cancels);
      });
    }
    this.controllerWorkSoon();
    return outcomes;
  }

  /** Runs `fn` after the controller work queued so far, and before any queued later. */
  private onControllerChain<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#controllerWork.then(fn);
    this.#controllerWork = run.then(
      () => undefined,
      (err: unknown) => this.#log.warn({ err }, 'an admin change on the controller failed'), // the caller gets the rejection through `run`
    );
    return run;
  }

  /**
   * Adds `targets` to (and drops `cancels` from) /admin/reassign_partitions, retrying on concurrent
   * writes, and makes the result the pending request at once (the node's watch would bring it back
   * later; until then `reassign` must not act on the old list, e.g. restart a cancelled move).
   */
  private async mergeReassignRequest(targets: ReassignTarget[], cancels: Array<{ topic: string; partition: number }>): Promise<void> {
    const dropped = new Set([...targets, ...cancels].map((x) => `${x.topic}/${x.partition}`));
    for (let attempt = 0; attempt < CONFIG_WRITE_ATTEMPTS_MAX; attempt++) {
      const node = await this.#coord.get(paths.reassignPartitions);
      let existing: ReassignTarget[] = [];
      if (node) {
        try {
          existing = parseReassignment(node.data.toString('utf8'));
        } catch (err) {
          this.#log.warn({ err }, `unreadable ${paths.reassignPartitions} replaced`);
        }
      }
      const merged = [...existing.filter((x) => !dropped.has(`${x.topic}/${x.partition}`)), ...targets];
      try {
        if (merged.length === 0) {
          if (node) await this.#coord.delete(paths.reassignPartitions, node.version);
          this.#reassignRequested = null;
        } else if (node) {
          const version = await this.#coord.set(paths.reassignPartitions, json({ version: 1, partitions: merged }), node.version);
          this.#reassignRequested = { partitions: merged, version };
        } else {
          await this.#coord.create(paths.reassignPartitions, json({ version: 1, partitions: merged }));
          this.#reassignRequested = { partitions: merged, version: 0 };
        }
        return;
      } catch (err) {
        if (isCoordinationError(err, 'badVersion') || isCoordinationError(err, 'nodeExists') || isCoordinationError(err, 'noNode')) continue;
        throw err;
      }
    }
    throw new Error(`${paths.reassignPartitions} kept changing concurrently`);
  }

  /** Puts a partition being reassigned back on its original replicas (fenced by the controller epoch). */
  private async cancelReassignment(t: string, p: number): Promise<void> {
    const topic = this.#topics.get(t);
    const s = this.#states.get(`${t}/${p}`);
    if (!topic || !s) return;
    const adding = topic.adding[String(p)];
    if (adding === undefined && topic.removing[String(p)] === undefined) return; // only requested, not started: dropping the request is enough
    const original = topic.replicas[p]!.filter((r) => !(adding ?? []).includes(r));
    const live = (id: number): boolean => this.#brokers.has(id) && !this.#stopping.has(id);
    const isr = s.isr.filter((r) => original.includes(r));
    let leader = s.leader;
    if (!original.includes(leader) || !live(leader)) leader = isr.find(live) ?? -1;
    this.#log.info({ topic: t, partition: p, replicas: original, leader, isr }, 'reassignment cancelled: back to the original replicas');
    await this.writeReassignment(t, p, topic, original, null, null, { leader, leaderEpoch: s.leaderEpoch + 1, isr: isr.length > 0 ? isr : s.isr, version: s.version });
  }

  /**
   * The leader changes its partition's ISR: a write of the state node conditional on the version
   * the leader last saw (Kafka's ZooKeeper-era ISR update; the controller is not involved). Refused
   * ('fenced') when this broker is not the partition's current leader at that epoch, when the state
   * moved on, or when this broker's session is suspect.
   */
  async alterPartitionIsr(change: IsrChange): Promise<IsrChangeResult> {
    const key = `${change.topic}/${change.partition}`;
    const topic = this.#topics.get(change.topic);
    const s = this.#states.get(key);
    if (!topic || !s || change.partition >= topic.replicas.length) return { ok: false, error: 'unknownTopicOrPartition' };
    const replicas = topic.replicas[change.partition]!;
    const isr = [...change.isr];
    if (isr.length === 0 || new Set(isr).size !== isr.length || !isr.includes(change.leaderId) || isr.some((id) => !replicas.includes(id))) {
      return { ok: false, error: 'invalidRequest' };
    }
    if (this.#suspended || this.#coord.healthy === false || !this.#registered) return { ok: false, error: 'fenced' };
    if (change.leaderId !== this.opts.brokerId || s.leader !== change.leaderId || s.leaderEpoch !== change.leaderEpoch || s.version !== change.partitionEpoch) {
      return { ok: false, error: 'fenced' };
    }
    const doc: PartitionStateDoc = { controller_epoch: s.controllerEpoch, leader: s.leader, version: 1, leader_epoch: s.leaderEpoch, isr };
    let version: number;
    try {
      version = await this.#coord.set(paths.state(change.topic, change.partition), json(doc), change.partitionEpoch);
    } catch (err) {
      if (isCoordinationError(err, 'badVersion') || isCoordinationError(err, 'noNode')) {
        void this.readState(this.#generation, change.topic, change.partition).catch((e: unknown) => this.onReadError(e, `state:${key}`));
        return { ok: false, error: 'fenced' };
      }
      this.#log.warn({ err, topic: change.topic, partition: change.partition }, 'ISR update failed');
      return { ok: false, error: 'fenced' };
    }
    this.cacheState(change.topic, change.partition, doc, version);
    this.#log.info({ topic: change.topic, partition: change.partition, isr, partitionEpoch: version }, 'ISR updated');
    this.publishSoon();
    await this.waitForImage((img) => (img.partition(change.topic, change.partition)?.partitionEpoch ?? -1) >= version, 2000);
    return { ok: true, partitionEpoch: version };
  }

  /**
   * Preferred-leader election on demand (kafka-leader-election --election-type preferred): asks the
   * controller through /admin/preferred_replica_election (Kafka's node) and waits for it to finish.
   * `partitions` null means every partition.
   */
  async electPreferredLeaders(partitions: Array<{ topic: string; partition: number }> | null): Promise<PreferredElectionResult[]> {
    const all = partitions ?? [...this.#topics].flatMap(([topic, t]) => t.replicas.map((_, partition) => ({ topic, partition })));
    const before = this.#image;
    const notNeeded = (w: { topic: string; partition: number }): boolean => {
      const p = before.partition(w.topic, w.partition);
      return p !== undefined && p.leader === p.replicas[0];
    };
    const wanted = all.filter((w) => before.partition(w.topic, w.partition) !== undefined && !notNeeded(w));
    const results = (img: MetadataImage): PreferredElectionResult[] =>
      all.map((w) => {
        const p = img.partition(w.topic, w.partition);
        if (!p) return { ...w, result: 'unknownTopicOrPartition' };
        if (notNeeded(w)) return { ...w, result: 'electionNotNeeded' };
        return { ...w, result: p.leader === p.replicas[0] ? 'elected' : 'preferredNotAvailable' };
      });
    if (wanted.length === 0) return results(before);
    try {
      await this.#coord.create(paths.preferredElection, json({ version: 1, partitions: wanted }));
    } catch (err) {
      if (!isCoordinationError(err, 'nodeExists')) throw err;
      // One is in progress: wait for it, then ask again.
      await this.waitUntilGone(paths.preferredElection, 10_000);
      await this.#coord.create(paths.preferredElection, json({ version: 1, partitions: wanted }));
    }
    await this.waitUntilGone(paths.preferredElection, 10_000);
    await this.waitForImage((img) => wanted.every((w) => {
      const p = img.partition(w.topic, w.partition);
      return !p || p.leader === p.replicas[0] || !p.isr.includes(p.replicas[0]!) || !img.brokers.has(p.replicas[0]!);
    }), 5000);
    return results(this.#image);
  }

  private async waitUntilGone(path: string, timeoutMs: number): Promise<void> {
    const deadline = this.opts.clock.monotonicMs() + timeoutMs;
    while ((await this.#coord.get(path)) !== null) {
      if (this.opts.clock.monotonicMs() > deadline) throw new Error(`${path} still present after ${timeoutMs} ms: is a controller running?`);
      await this.sleep(100);
    }
  }

  /**
   * Controlled shutdown: asks the controller (ephemeral /samsa/controlled_shutdown/<id>) to move
   * leadership away from this broker and take it out of ISRs, then waits until this broker leads no
   * partition that another in-sync replica could lead, or `timeoutMs` passes. Returns the partitions
   * still led here. A replica that is itself in controlled shutdown cannot lead, so when every broker
   * stops at once (samsa cluster start's Ctrl-C) none waits for the others.
   */
  async controlledShutdown(timeoutMs: number): Promise<number> {
    if (!this.#registered) return 0;
    const self = this.opts.brokerId;
    try {
      await this.#coord.create(paths.controlledShutdownOf(self), Buffer.alloc(0), { ephemeral: true });
    } catch (err) {
      if (!isCoordinationError(err, 'nodeExists')) throw err;
    }
    this.#log.info('controlled shutdown: asking the controller to move leadership away');
    const movable = (img: MetadataImage): number =>
      [...img.topics.values()].flatMap((t) => t.partitions).filter((p) => p.leader === self && p.isr.some((id) => id !== self && img.brokers.has(id) && !this.#stopping.has(id))).length;
    await this.waitForImage((img) => movable(img) === 0, timeoutMs);
    const left = movable(this.#image);
    this.#log.info({ partitionsStillLed: left }, 'controlled shutdown: leadership moved');
    return left;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#rebalanceTimer?.cancel();
    this.#retryTimer?.cancel();
    for (const w of [...this.#waiters]) w();
    await this.#controllerWork.catch(() => undefined); // errors were logged where they happened
  }

  // -------------------------------------------------------------------------------------------
  // Active controller

  private async tryBecomeController(gen: number): Promise<void> {
    if (this.#isController || !this.#registered || this.#closed) return;
    try {
      await this.#coord.create(paths.controller, json({ version: 1, brokerid: this.opts.brokerId, timestamp: String(this.opts.clock.nowMs()) }), { ephemeral: true });
    } catch (err) {
      if (isCoordinationError(err, 'nodeExists')) {
        await this.readController(gen);
        return;
      }
      throw err;
    }
    if (gen !== this.#generation) return;
    try {
      await this.takeEpoch();
    } catch (err) {
      // Holding /controller without an epoch would stall the cluster: give it up so another broker (or we, later) can try.
      this.#log.warn({ err }, 'could not take the controller epoch; resigning /controller');
      try {
        await this.#coord.delete(paths.controller);
      } catch (e) {
        this.#log.warn({ err: e }, 'could not delete /controller; it goes with our session');
      }
      throw err;
    }
    this.#isController = true;
    this.#controllerId = this.opts.brokerId;
    this.#log.info({ controllerEpoch: this.#controllerEpoch }, 'this broker is now the active controller');
    await this.readController(gen);
    await this.readPreferredRequest(gen);
    await this.readReassignRequest(gen);
    if (this.opts.defaults.autoLeaderRebalanceEnable) {
      this.#rebalanceTimer = this.opts.clock.setInterval(this.opts.defaults.leaderImbalanceCheckIntervalMs, () => this.checkImbalance(), { unref: true });
    }
    this.publishSoon();
    this.controllerWorkSoon();
  }

  /** Increments /controller_epoch (creating it at 1) and remembers its version: every controller write is fenced by it. */
  private async takeEpoch(): Promise<void> {
    for (;;) {
      const node = await this.#coord.get(paths.controllerEpoch);
      try {
        if (!node) {
          await this.#coord.create(paths.controllerEpoch, Buffer.from('1'));
          this.#controllerEpoch = 1;
          this.#controllerEpochVersion = 0;
        } else {
          const epoch = Number(node.data.toString('utf8')) + 1;
          this.#controllerEpochVersion = await this.#coord.set(paths.controllerEpoch, Buffer.from(String(epoch)), node.version);
          this.#controllerEpoch = epoch;
        }
        return;
      } catch (err) {
        if (!isCoordinationError(err, 'nodeExists') && !isCoordinationError(err, 'badVersion')) throw err;
      }
    }
  }

  private resignController(reason: string): void {
    if (!this.#isController) return;
    this.#isController = false;
    this.#rebalanceTimer?.cancel();
    this.#rebalanceTimer = null;
    this.#log.warn({ reason }, 'no longer the active controller');
  }

  private checkImbalance(): void {
    if (!this.#isController) return;
    const all = [...this.#topics].flatMap(([t, topic]) =>
      topic.replicas.map((replicas, p) => {
        const s = this.#states.get(`${t}/${p}`);
        return { topic: t, partition: p, replicas, leader: s?.leader ?? -1, isr: s?.isr ?? [] };
      }),
    );
    const live = new Set(this.#brokers.keys());
    const { ratioByBroker } = preferredImbalance(all, live);
    const over = [...ratioByBroker].filter(([, r]) => r * 100 > this.opts.defaults.leaderImbalancePerBrokerPercentage).map(([id]) => id);
    if (over.length === 0) return;
    this.#log.info({ brokers: over }, 'leader imbalance above leader.imbalance.per.broker.percentage: preferred-leader election');
    this.#preferredRequested = all.filter((p) => over.includes(p.replicas[0]!)).map((p) => ({ topic: p.topic, partition: p.partition }));
    this.controllerWorkSoon();
  }

  private controllerWorkSoon(): void {
    if (!this.#isController || this.#controllerWorkPending || this.#closed) return;
    this.#controllerWorkPending = true;
    this.#controllerWork = this.#controllerWork.then(async () => {
      this.#controllerWorkPending = false;
      if (!this.#isController || this.#closed) return;
      // After write conflicts, back off a little so a persistent conflict cannot spin.
      if (this.#conflicts > 0) await this.sleep(Math.min(1000, 5 * 2 ** Math.min(this.#conflicts, 8)));
      try {
        const before = this.#conflicts;
        await this.reconcile();
        if (this.#conflicts === before) this.#conflicts = 0;
      } catch (err) {
        this.#log.warn({ err }, 'controller work failed; retrying in 1 s');
        this.opts.clock.setTimer(1000, () => this.controllerWorkSoon(), { unref: true });
      }
    });
  }

  /** Brings every partition state in line with the cluster (the controller's whole job, idempotent). */
  private async reconcile(): Promise<void> {
    const gen = this.#generation;
    for (const t of [...this.#deleting]) await this.deleteTopicNodes(t);
    const view: ClusterView = { live: new Set(this.#brokers.keys()), stopping: this.#stopping, uncleanLeaderElection: this.opts.defaults.uncleanLeaderElectionEnable };
    const preferred = this.#preferredRequested;
    const preferredSet = new Set((preferred ?? []).map((p) => `${p.topic}/${p.partition}`));
    for (const [t, topic] of [...this.#topics]) {
      if (this.#deleting.has(t)) continue;
      if (topic.needsId) await this.addTopicId(t, topic);
      for (let p = 0; p < topic.replicas.length; p++) {
        if (!this.#isController || gen !== this.#generation) return;
        const replicas = topic.replicas[p]!;
        const key = `${t}/${p}`;
        const s = this.#states.get(key);
        if (!s) {
          await this.createState(t, p, initialState(replicas, view));
          continue;
        }
        const next = nextState(replicas, s, view, preferredSet.has(key));
        if (next) await this.writeState(t, p, next, s.version);
      }
    }
    if (this.#reassignRequested !== null) await this.reassign(gen);
    if (preferred !== null && this.#preferredRequested === preferred) {
      this.#preferredRequested = null;
      try {
        await this.#coord.delete(paths.preferredElection);
      } catch (err) {
        if (!isCoordinationError(err, 'noNode')) throw err; // automatic rebalances have no node
      }
    }
  }

  /** Rewrites an assignment without topic_id in the current format, with a fresh id (conditional on its version). */
  private async addTopicId(t: string, topic: CachedTopic): Promise<void> {
    const doc: TopicAssignmentDoc = {
      version: 3,
      partitions: Object.fromEntries(topic.replicas.map((r, p) => [String(p), r])),
      topic_id: uuidToKafkaId(this.opts.random.uuid()),
      adding_replicas: topic.adding,
      removing_replicas: topic.removing,
    };
    try {
      await this.#coord.set(paths.topic(t), json(doc), topic.version);
      this.#log.info({ topic: t }, 'assigned a topic id to a topic created without one');
    } catch (err) {
      if (!isCoordinationError(err, 'badVersion') && !isCoordinationError(err, 'noNode')) throw err;
      // changed or deleted meanwhile: the topic watch re-reads it and we try again if still needed
    }
  }

  private async createState(t: string, p: number, s: PartitionState): Promise<void> {
    const doc: PartitionStateDoc = { controller_epoch: this.#controllerEpoch, leader: s.leader, version: 1, leader_epoch: s.leaderEpoch, isr: s.isr };
    const topic = this.#topics.get(t);
    if (!topic) return;
    try {
      // Parents are created in the same multi, which also checks that the topic still exists (at
      // the version we read), so a topic being deleted is never resurrected.
      const ops: MultiOp[] = [
        { op: 'check', path: paths.controllerEpoch, version: this.#controllerEpochVersion },
        { op: 'check', path: paths.topic(t), version: topic.version },
      ];
      if ((await this.#coord.get(paths.partitions(t))) === null) ops.push({ op: 'create', path: paths.partitions(t), data: Buffer.alloc(0) });
      if ((await this.#coord.get(paths.partition(t, p))) === null) ops.push({ op: 'create', path: paths.partition(t, p), data: Buffer.alloc(0) });
      ops.push({ op: 'create', path: paths.state(t, p), data: json(doc) });
      await this.#coord.multi(ops);
      this.cacheState(t, p, doc, 0);
      this.#log.info({ topic: t, partition: p, leader: s.leader, isr: s.isr }, 'initialised partition state');
      this.publishSoon();
    } catch (err) {
      await this.onWriteConflict(err, t, p);
    }
  }

  private async writeState(t: string, p: number, s: PartitionState, version: number): Promise<void> {
    const doc: PartitionStateDoc = { controller_epoch: this.#controllerEpoch, leader: s.leader, version: 1, leader_epoch: s.leaderEpoch, isr: s.isr };
    try {
      const [v] = await this.#coord.multi([
        { op: 'check', path: paths.controllerEpoch, version: this.#controllerEpochVersion },
        { op: 'set', path: paths.state(t, p), data: json(doc), version },
      ]);
      this.cacheState(t, p, doc, v!);
      this.#log.info({ topic: t, partition: p, leader: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr }, 'partition leader/ISR changed');
      this.publishSoon();
    } catch (err) {
      await this.onWriteConflict(err, t, p);
    }
  }

  /** A fenced write: either we are no longer the controller, or the state moved (re-read it; the read reschedules work). */
  private async onWriteConflict(err: unknown, t: string, p: number): Promise<void> {
    if (!isCoordinationError(err, 'badVersion') && !isCoordinationError(err, 'nodeExists') && !isCoordinationError(err, 'noNode')) throw err;
    this.#conflicts++;
    const epoch = await this.#coord.get(paths.controllerEpoch);
    if (!epoch || epoch.version !== this.#controllerEpochVersion) {
      this.resignController('controller epoch moved on: another controller was elected');
      return;
    }
    if ((await this.#coord.get(paths.topic(t))) === null) {
      this.dropTopic(t); // deleted meanwhile; the topic-list watch confirms it
      return;
    }
    this.#armed.delete(`state:${t}/${p}`);
    await this.readState(this.#generation, t, p);
  }

  /**
   * Partition reassignment (Kafka's ZooKeeper-mode algorithm, KIP-455 terms), one idempotent step per
   * partition each time the controller reconciles (state and assignment watches bring it back):
   * 1. start: replicas := NEW ++ (OLD - NEW) with adding_replicas / removing_replicas recorded in the
   *    assignment, and the leader epoch bumped, in one fenced multi; brokers in NEW start fetching;
   * 2. when every adding replica is in the ISR: leader := the current one if in NEW, else the first
   *    of NEW that is live and in the ISR; ISR := ISR ∩ NEW; replicas := NEW; adding/removing cleared,
   *    again in one fenced multi (brokers dropped from the replicas stop and delete their copy);
   * 3. completed partitions leave /admin/reassign_partitions, which is deleted when empty.
   */
  private async reassign(gen: number): Promise<void> {
    const req = this.#reassignRequested;
    if (!req) return;
    const remaining: ReassignTarget[] = [];
    for (const target of req.partitions) {
      if (!this.#isController || gen !== this.#generation) return;
      const done = await this.reassignStep(target);
      if (!done) remaining.push(target);
    }
    if (this.#reassignRequested !== req || remaining.length === req.partitions.length) return;
    try {
      if (remaining.length === 0) {
        await this.#coord.multi([
          { op: 'check', path: paths.controllerEpoch, version: this.#controllerEpochVersion },
          { op: 'delete', path: paths.reassignPartitions, version: req.version },
        ]);
        this.#reassignRequested = null;
        this.#log.info('partition reassignment completed');
      } else {
        const [v] = await this.#coord.multi([
          { op: 'check', path: paths.controllerEpoch, version: this.#controllerEpochVersion },
          { op: 'set', path: paths.reassignPartitions, data: json({ version: 1, partitions: remaining }), version: req.version },
        ]);
        this.#reassignRequested = { partitions: remaining, version: v! };
      }
    } catch (err) {
      if (!isCoordinationError(err, 'badVersion') && !isCoordinationError(err, 'noNode')) throw err;
      // Rewritten by an admin meanwhile (or we were deposed): re-read; its watch also reschedules.
      this.#armed.delete('reassign');
      await this.readReassignRequest(this.#generation);
    }
  }

  /** One step of one partition's reassignment; true when it is complete (or cannot apply). */
  private async reassignStep(target: ReassignTarget): Promise<boolean> {
    const { topic: t, partition: p } = target;
    const NEW = target.replicas;
    const topic = this.#topics.get(t);
    if (!topic || this.#deleting.has(t) || p < 0 || p >= topic.replicas.length) {
      this.#log.warn({ topic: t, partition: p }, 'reassignment of an unknown partition ignored');
      return true;
    }
    const key = String(p);
    const s = this.#states.get(`${t}/${p}`);
    if (!s) return false; // not initialised yet
    const current = topic.replicas[p]!;
    const adding = topic.adding[key];
    const inProgress = adding !== undefined || topic.removing[key] !== undefined;
    if (!inProgress && sameMembers(current, NEW)) {
      if (current.some((r, i) => r !== NEW[i])) {
        // Same brokers in another order: only the preferred-replica order changes.
        await this.writeReassignment(t, p, topic, NEW, null, null, s);
        return false;
      }
      return true;
    }
    if (!inProgress) {
      const rs = [...NEW, ...current.filter((r) => !NEW.includes(r))];
      const add = NEW.filter((r) => !current.includes(r));
      const remove = current.filter((r) => !NEW.includes(r));
      this.#log.info({ topic: t, partition: p, from: current, to: NEW, adding: add, removing: remove }, 'reassignment: adding replicas');
      await this.writeReassignment(t, p, topic, rs, add, remove, { leader: s.leader, leaderEpoch: s.leaderEpoch + 1, isr: s.isr, version: s.version });
      return false;
    }
    // In progress: wait until every new replica is in sync (the state watch brings us back).
    const targetOfDoc = current.slice(0, current.length - (topic.removing[key]?.length ?? 0));
    const want = sameMembers(targetOfDoc, NEW) ? NEW : targetOfDoc; // the recorded target wins over a rewritten request
    if (!want.every((r) => s.isr.includes(r))) return false;
    const live = (id: number): boolean => this.#brokers.has(id) && !this.#stopping.has(id);
    let leader = s.leader;
    if (!want.includes(leader) || !live(leader) || !s.isr.includes(leader)) {
      const next = want.find((r) => live(r) && s.isr.includes(r));
      if (next === undefined) return false; // no new replica can lead yet
      leader = next;
    }
    const isr = s.isr.filter((r) => want.includes(r));
    this.#log.info({ topic: t, partition: p, replicas: want, leader, isr }, 'reassignment: new replicas in sync; removing old replicas');
    await this.writeReassignment(t, p, topic, want, null, null, { leader, leaderEpoch: s.leaderEpoch + 1, isr, version: s.version });
    return sameMembers(want, NEW);
  }

  /** Writes the assignment of one partition (with adding/removing, or cleared) and its state in one fenced multi. */
  private async writeReassignment(
    t: string,
    p: number,
    topic: CachedTopic,
    replicas: number[],
    add: number[] | null,
    remove: number[] | null,
    s: PartitionState & { version: number },
  ): Promise<void> {
    const key = String(p);
    const all = topic.replicas.map((r, i) => (i === p ? replicas : r));
    const adding = { ...topic.adding };
    const removing = { ...topic.removing };
    delete adding[key];
    delete removing[key];
    if (add) adding[key] = add;
    if (remove) removing[key] = remove;
    const doc: TopicAssignmentDoc = {
      version: 3,
      partitions: Object.fromEntries(all.map((r, i) => [String(i), r])),
      topic_id: uuidToKafkaId(topic.topicId),
      adding_replicas: adding,
      removing_replicas: removing,
    };
    const state: PartitionStateDoc = { controller_epoch: this.#controllerEpoch, leader: s.leader, version: 1, leader_epoch: s.leaderEpoch, isr: s.isr };
    try {
      const [tv, sv] = await this.#coord.multi([
        { op: 'check', path: paths.controllerEpoch, version: this.#controllerEpochVersion },
        { op: 'set', path: paths.topic(t), data: json(doc), version: topic.version },
        { op: 'set', path: paths.state(t, p), data: json(state), version: s.version },
      ]);
      this.#topics.set(t, { ...topic, replicas: all, version: tv!, adding, removing });
      this.cacheState(t, p, state, sv!);
      this.publishSoon();
    } catch (err) {
      if (isCoordinationError(err, 'badVersion')) {
        // The assignment may have moved too: re-read it along with the state.
        this.#armed.delete(`topic:${t}`);
        await this.readTopic(this.#generation, t).catch(() => undefined);
      }
      await this.onWriteConflict(err, t, p);
    }
  }

  private async deleteTopicNodes(t: string): Promise<void> {
    this.#log.info({ topic: t }, 'deleting topic');
    await deleteRecursive(this.#coord, paths.topic(t));
    try {
      await this.#coord.delete(paths.configTopic(t));
    } catch (err) {
      if (!isCoordinationError(err, 'noNode')) throw err; // a topic without config overrides node
    }
    try {
      await this.#coord.delete(paths.deleteTopic(t));
    } catch (err) {
      if (!isCoordinationError(err, 'noNode')) throw err; // another controller finished it
    }
    this.#deleting.delete(t);
    this.dropTopic(t);
    this.publishSoon();
  }
}

export interface ReassignTarget {
  topic: string;
  partition: number;
  replicas: number[];
}

/** Parses Kafka's reassignment JSON ({"version":1,"partitions":[{"topic","partition","replicas"}]}); throws on a malformed document. */
export function parseReassignment(text: string): ReassignTarget[] {
  const doc = JSON.parse(text) as { partitions?: unknown };
  if (!doc || !Array.isArray(doc.partitions)) throw new Error('expected {"version":1,"partitions":[...]}');
  return doc.partitions.map((x: unknown) => {
    const e = x as { topic?: unknown; partition?: unknown; replicas?: unknown };
    if (typeof e.topic !== 'string' || !Number.isInteger(e.partition) || !Array.isArray(e.replicas) || e.replicas.length === 0 || !e.replicas.every((r) => Number.isInteger(r))) {
      throw new Error(`malformed partition entry ${JSON.stringify(x)}`);
    }
    const replicas = e.replicas as number[];
    if (new Set(replicas).size !== replicas.length) throw new Error(`duplicate replicas in ${JSON.stringify(x)}`);
    return { topic: e.topic, partition: e.partition as number, replicas: [...replicas] };
  });
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

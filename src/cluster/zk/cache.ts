/**
 * ZkCache: this broker's cached copy of the cluster state in ZooKeeper, kept current by watched
 * reads, and the builder that turns it into a MetadataImage.
 *
 * Reads go through `Coordination` (never the ZooKeeper client directly) and leave one-shot watches,
 * re-armed on every read: /brokers/ids (children), /brokers/topics (children), /brokers/topics/<t>
 * (assignment), /brokers/topics/<t>/partitions/<p>/state (leader, epoch, ISR), /config/topics/<t>,
 * /config/brokers (children) and /config/brokers/<entity>, /admin/delete_topics (children) and
 * /samsa/controlled_shutdown (children). Each read that changes something calls the owner's hooks:
 * publish a new image, give the active controller work. /controller is read by the election
 * (active-controller.ts), which writes `controllerId` here.
 *
 * Owned by ZkController, one per broker, for its whole life. The cache also carries the session
 * flags the image depends on (`generation`, `suspended`, `registered`, `closed`), which ZkController's
 * session handling sets. The active controller writes its own successful writes through
 * (cacheState, dropTopic, topics.set) so it does not wait for the watch to bring them back.
 */
import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import type { Random } from '../../io/random.js';
import { type Coordination, isCoordinationError, json, parseJson } from '../coordination/coordination.js';
import type { PartitionState } from '../leader-election.js';
import { MetadataImage, type BrokerInfo, type PartitionInfo, type TopicInfo } from '../metadata-image.js';
import { isInternalTopic } from '../topic-names.js';
import { brokerOf, kafkaIdToUuid, nameDerivedId, paths, stateOf, type BrokerRegistration, type ConfigDoc, type PartitionStateDoc, type TopicAssignmentDoc } from './layout.js';

export interface CachedTopic {
  topicId: string;
  replicas: number[][];
  version: number;
  /** In-progress reassignments (Kafka's adding_replicas / removing_replicas), by partition number. */
  adding: Record<string, number[]>;
  removing: Record<string, number[]>;
  /** The assignment node has no topic_id yet (written by an older tool). */
  needsId: boolean;
}

export interface CachedState extends PartitionState {
  controllerEpoch: number;
  version: number;
  generation: number;
}

/** What the cache asks of its owner when a read changed something. */
export interface ZkCacheHooks {
  /** Something the image shows changed: publish a new image soon. */
  changed(): void;
  /** Something the active controller acts on changed: let it reconcile soon (a no-op elsewhere). */
  controllerWork(): void;
  /** The set of brokers in controlled shutdown changed (a controlled shutdown waits on it). */
  stoppingChanged(): void;
  /** A watched read failed (connection loss, expiry): resync everything once the session is back. */
  readFailed(what: string): void;
}

export interface ZkCacheOptions {
  brokerId: number;
  coord: Coordination;
  random: Random;
  log: Logger;
  hooks: ZkCacheHooks;
}

export class ZkCache {
  clusterId = '';
  brokers = new Map<number, BrokerInfo>();
  controllerId = -1;
  topics = new Map<string, CachedTopic>();
  configs = new Map<string, Record<string, string>>();
  /** Dynamic broker configs by entity ('' = cluster default), from /config/brokers. */
  brokerConfigs = new Map<string, Readonly<Record<string, string>>>();
  states = new Map<string, CachedState>();
  /** Registration epoch (the node's creating transaction) of each registered broker: a new one means it restarted. */
  brokerEpochs = new Map<number, string>();
  deleting = new Set<string>();
  stopping = new Set<number>();
  /** Keys of the watches armed in this session. */
  armed = new Set<string>();

  // Session flags, set by ZkController.
  /** Bumped on every new session: watches and reads of an older session are ignored. */
  generation = 0;
  suspended = false;
  registered = false;
  closed = false;

  readonly #coord: Coordination;
  readonly #log: Logger;
  readonly #hooks: ZkCacheHooks;

  constructor(private readonly opts: ZkCacheOptions) {
    this.#coord = opts.coord;
    this.#log = opts.log;
    this.#hooks = opts.hooks;
  }

  /** Returns a watcher for `key` unless one is already armed for it in this session. */
  watcher(key: string, gen: number, onFire: () => Promise<void>): (() => void) | undefined {
    if (this.armed.has(key)) return undefined;
    this.armed.add(key);
    return () => {
      if (gen !== this.generation || this.closed) return;
      this.armed.delete(key);
      onFire().catch((err: unknown) => this.onReadError(err, key));
    };
  }

  onReadError(err: unknown, what: string): void {
    if (this.closed) return;
    // A read failed (connection loss, expiry): the session handler resyncs everything when the
    // session is back, which re-arms every watch; until then the image is marked suspect.
    this.#log.warn({ err, what }, 'ZooKeeper read failed; will resync');
    this.armed.delete(what);
    this.#hooks.readFailed(what);
  }

  async readOrCreateClusterId(): Promise<string> {
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

  async readBrokers(gen: number): Promise<void> {
    const w = this.watcher('brokers', gen, () => this.readBrokers(gen));
    const ids = (await this.#coord.children(paths.brokerIds, w)) ?? [];
    const next = new Map<number, BrokerInfo>();
    const epochs = new Map<number, string>();
    for (const name of ids) {
      const id = Number(name);
      if (!Number.isInteger(id)) continue;
      const node = await this.#coord.get(paths.broker(id));
      if (!node) continue;
      try {
        next.set(id, brokerOf(id, parseJson<BrokerRegistration>(node.data)));
        epochs.set(id, node.createdTxId);
      } catch (err) {
        this.#log.warn({ err, brokerId: id }, 'unreadable broker registration ignored');
      }
    }
    if (gen !== this.generation) return;
    this.brokers = next;
    this.brokerEpochs = epochs;
    this.#hooks.changed();
    this.#hooks.controllerWork();
  }

  async readTopicList(gen: number): Promise<void> {
    const w = this.watcher('topics', gen, () => this.readTopicList(gen));
    const names = (await this.#coord.children(paths.topics, w)) ?? [];
    if (gen !== this.generation) return;
    const present = new Set(names);
    for (const t of [...this.topics.keys()]) if (!present.has(t)) this.dropTopic(t);
    for (const t of names) if (!this.topics.has(t) || !this.armed.has(`topic:${t}`)) await this.readTopic(gen, t);
    this.#hooks.changed();
    this.#hooks.controllerWork();
  }

  async readBrokerConfigList(gen: number): Promise<void> {
    const w = this.watcher('brokerConfigs', gen, () => this.readBrokerConfigList(gen));
    const names = (await this.#coord.children(paths.configBrokers, w)) ?? [];
    if (gen !== this.generation) return;
    const entities = new Set(names.map((n) => (n === '<default>' ? '' : n)));
    for (const e of [...this.brokerConfigs.keys()]) if (!entities.has(e)) this.brokerConfigs.delete(e);
    for (const e of entities) if (!this.armed.has(`brokerConfig:${e}`)) await this.readBrokerConfig(gen, e);
    this.#hooks.changed();
  }

  async readBrokerConfig(gen: number, entity: string): Promise<void> {
    const w = this.watcher(`brokerConfig:${entity}`, gen, () => this.readBrokerConfig(gen, entity));
    const node = await this.#coord.get(paths.configBroker(entity), w);
    if (gen !== this.generation) return;
    let config: Record<string, string> = {};
    if (node) {
      try {
        config = parseJson<ConfigDoc>(node.data).config ?? {};
      } catch (err) {
        this.#log.warn({ err, entity }, `unreadable ${paths.configBroker(entity)} ignored`);
      }
    }
    if (Object.keys(config).length === 0) this.brokerConfigs.delete(entity);
    else this.brokerConfigs.set(entity, Object.freeze({ ...config }));
    this.#hooks.changed();
  }

  dropTopic(t: string): void {
    const cached = this.topics.get(t);
    this.topics.delete(t);
    this.configs.delete(t);
    if (cached) for (let p = 0; p < cached.replicas.length; p++) this.states.delete(`${t}/${p}`);
  }

  async readTopic(gen: number, t: string): Promise<void> {
    const w = this.watcher(`topic:${t}`, gen, () => this.readTopic(gen, t));
    const node = await this.#coord.get(paths.topic(t), w);
    if (gen !== this.generation) return;
    if (!node) {
      this.dropTopic(t);
      this.#hooks.changed();
      return;
    }
    const doc = parseJson<TopicAssignmentDoc>(node.data);
    const replicas: number[][] = [];
    for (let p = 0; doc.partitions[String(p)] !== undefined; p++) replicas.push(doc.partitions[String(p)]!);
    // Topics written by older tools (assignment version 1/2) have no topic_id: the controller adds
    // one; until then every broker uses the same name-derived id so their images agree.
    const topicId = doc.topic_id ? kafkaIdToUuid(doc.topic_id) : nameDerivedId(t);
    const before = this.topics.get(t);
    this.topics.set(t, { topicId, replicas, version: node.version, needsId: !doc.topic_id, adding: doc.adding_replicas ?? {}, removing: doc.removing_replicas ?? {} });
    if (!before || !this.armed.has(`config:${t}`)) await this.readConfig(gen, t);
    for (let p = 0; p < replicas.length; p++) {
      if (!this.states.has(`${t}/${p}`) || !this.armed.has(`state:${t}/${p}`)) await this.readState(gen, t, p);
    }
    this.#hooks.changed();
    this.#hooks.controllerWork();
  }

  async readConfig(gen: number, t: string): Promise<void> {
    const w = this.watcher(`config:${t}`, gen, () => this.readConfig(gen, t));
    const node = await this.#coord.get(paths.configTopic(t), w);
    if (gen !== this.generation) return;
    if (!this.topics.has(t)) return;
    this.configs.set(t, node ? (parseJson<ConfigDoc>(node.data).config ?? {}) : {});
    this.#hooks.changed();
  }

  async readState(gen: number, t: string, p: number): Promise<void> {
    const key = `${t}/${p}`;
    const w = this.watcher(`state:${key}`, gen, () => this.readState(gen, t, p));
    const node = await this.#coord.get(paths.state(t, p), w);
    if (gen !== this.generation) return;
    if (!this.topics.has(t)) return;
    if (!node) this.states.delete(key);
    else this.cacheState(t, p, parseJson<PartitionStateDoc>(node.data), node.version);
    this.#hooks.changed();
    this.#hooks.controllerWork();
  }

  cacheState(t: string, p: number, doc: PartitionStateDoc, version: number): void {
    const key = `${t}/${p}`;
    const prev = this.states.get(key);
    // Within a session ZooKeeper answers in order, but our own write's result and a watch-triggered
    // read may be applied in either order: never go back to an older version of the same session.
    if (prev && prev.generation === this.generation && prev.version > version) return;
    this.states.set(key, { ...stateOf(doc), controllerEpoch: doc.controller_epoch, version, generation: this.generation });
  }

  async readDeleteRequests(gen: number): Promise<void> {
    const w = this.watcher('deletes', gen, () => this.readDeleteRequests(gen));
    const names = (await this.#coord.children(paths.deleteTopics, w)) ?? [];
    if (gen !== this.generation) return;
    this.deleting = new Set(names);
    this.#hooks.controllerWork();
  }

  async readStoppingBrokers(gen: number): Promise<void> {
    const w = this.watcher('stopping', gen, () => this.readStoppingBrokers(gen));
    const names = (await this.#coord.children(paths.controlledShutdown, w)) ?? [];
    if (gen !== this.generation) return;
    this.stopping = new Set(names.map(Number).filter(Number.isInteger));
    this.#hooks.controllerWork();
    this.#hooks.stoppingChanged(); // a controlled shutdown waits on who else is stopping
  }

  /** The image of the cached state. Partitions whose leader is not registered show leader -1. */
  buildImage(): MetadataImage {
    const self = this.opts.brokerId;
    // Not registered (yet, or again after a session loss) or session suspect: lead nothing.
    const fenced = this.suspended || !this.registered;
    const topics = new Map<string, TopicInfo>();
    for (const [name, t] of [...this.topics].sort((a, b) => a[0].localeCompare(b[0]))) {
      const partitions: PartitionInfo[] = t.replicas.map((replicas, p) => {
        const s = this.states.get(`${name}/${p}`);
        let leader = s?.leader ?? -1;
        if (!this.brokers.has(leader)) leader = -1;
        if (fenced && leader === self) leader = -1;
        // A leader elected in an earlier life of its broker leads nothing until the controller
        // elects again: that process may have lost data its successor does not have.
        if (leader !== -1 && s?.leaderBrokerEpoch !== undefined && this.brokerEpochs.get(leader) !== s.leaderBrokerEpoch) leader = -1;
        return Object.freeze({
          partition: p,
          leader,
          leaderEpoch: s?.leaderEpoch ?? -1,
          replicas: Object.freeze([...replicas]),
          isr: Object.freeze([...(s?.isr ?? [])]),
          offline: Object.freeze(replicas.filter((r) => !this.brokers.has(r))),
          partitionEpoch: s?.version ?? -1,
          addingReplicas: Object.freeze([...(t.adding[String(p)] ?? [])]),
          removingReplicas: Object.freeze([...(t.removing[String(p)] ?? [])]),
        });
      });
      topics.set(name, Object.freeze({ name, topicId: t.topicId, internal: isInternalTopic(name), partitions: Object.freeze(partitions), configs: Object.freeze({ ...(this.configs.get(name) ?? {}) }) }));
    }
    const brokers = new Map([...this.brokers].sort((a, b) => a[0] - b[0]));
    return new MetadataImage(this.clusterId, this.controllerId, brokers, topics, new Map(this.brokerConfigs));
  }
}

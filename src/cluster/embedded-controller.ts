/**
 * EmbeddedController: the single-node controller (no ZooKeeper, no quorum). This broker is the
 * controller, leader and only replica of every partition. Topic metadata (names, ids, partition
 * counts, config overrides) persists through a MetadataStore as one JSON document, written
 * atomically on every change, and is reloaded at start.
 * Owned by Broker; lives for the process. Operations are serialised through one promise chain.
 */
import assert from 'node:assert/strict';
import type { Random } from '../io/random.js';
import { validateTopicConfigs } from '../config/topic-config.js';
import { limits } from '../limits.js';
import type { AdminResult, Controller, CreateTopicSpec, IsrChange, IsrChangeResult, ReassignmentChange, ReassignmentOutcome } from './controller.js';
import { MetadataImage, type BrokerInfo, type PartitionInfo, type TopicInfo } from './metadata-image.js';
import { isInternalTopic, topicNameProblem } from './topic-names.js';

/** Where the controller keeps its state: one small document, replaced atomically. */
export interface MetadataStore {
  load(): Promise<string | null>;
  save(document: string): Promise<void>;
}

interface StoredTopic {
  name: string;
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
}

interface StoredDocument {
  version: 1;
  clusterId: string;
  topics: StoredTopic[];
  /** Dynamic broker configs by entity ('' = cluster default); absent in documents written before them. */
  brokerConfigs?: Record<string, Record<string, string>>;
  /** ACLs and client quotas (security/security-store.ts SecurityDocument); absent until first set. */
  security?: unknown;
}

export interface EmbeddedControllerOptions {
  brokerId: number;
  broker: BrokerInfo;
  store: MetadataStore;
  random: Random;
  /** KRaft mode: the cluster id formatted into meta.properties; the stored state must agree. Else a new state gets a random id. */
  clusterId?: string;
  defaults: { numPartitions: number; replicationFactor: number; deleteTopicEnable: boolean };
}

export class EmbeddedController implements Controller {
  #image: MetadataImage;
  #listeners: Array<(image: MetadataImage) => void | Promise<void>> = [];
  #chain: Promise<unknown> = Promise.resolve();
  /** The stored security section (ACLs, client quotas), owned by security/security-store.ts. */
  #security: unknown;

  private constructor(
    private readonly opts: EmbeddedControllerOptions,
    image: MetadataImage,
  ) {
    this.#image = image;
  }

  static async open(opts: EmbeddedControllerOptions): Promise<EmbeddedController> {
    const text = await opts.store.load();
    let doc: StoredDocument;
    if (text === null) {
      doc = { version: 1, clusterId: opts.clusterId ?? opts.random.base64Id().slice(0, 22), topics: [] };
    } else {
      doc = JSON.parse(text) as StoredDocument;
      assert.equal(doc.version, 1, 'unknown metadata document version');
      if (opts.clusterId !== undefined && doc.clusterId !== opts.clusterId) {
        throw new Error(`the stored metadata belongs to cluster ${doc.clusterId}, but meta.properties says ${opts.clusterId}`);
      }
    }
    const brokers = new Map([[opts.broker.id, opts.broker]]);
    const topics = new Map<string, TopicInfo>();
    for (const t of doc.topics) topics.set(t.name, makeTopic(opts.brokerId, t));
    const brokerConfigs = new Map(Object.entries(doc.brokerConfigs ?? {}).map(([k, v]) => [k, Object.freeze({ ...v })] as const));
    const controller = new EmbeddedController(opts, new MetadataImage(doc.clusterId, opts.brokerId, brokers, topics, brokerConfigs));
    controller.#security = doc.security;
    if (text === null) await controller.persist(controller.#image);
    return controller;
  }

  get image(): MetadataImage {
    return this.#image;
  }

  /** Records the endpoint actually bound (an ephemeral port is known only after listening). */
  setLocalBrokerEndpoint(host: string, port: number): void {
    const image = this.#image;
    const self = image.brokers.get(this.opts.brokerId);
    assert.ok(self, 'the local broker is in the image');
    const brokers = new Map(image.brokers);
    brokers.set(self.id, { id: self.id, host, port, rack: self.rack }); // the endpoint list no longer holds
    this.#image = image.withBrokers(brokers);
  }

  /** The security section as last stored (security/security-store.ts EmbeddedSecurityStore reads it). */
  get securityDocument(): unknown {
    return this.#security;
  }

  /** Replaces the security section; resolves once the document holding it is stored. */
  saveSecurityDocument(doc: unknown): Promise<void> {
    return this.serialised(async () => {
      const previous = this.#security;
      this.#security = doc;
      try {
        await this.persist(this.#image);
      } catch (err) {
        this.#security = previous;
        throw err;
      }
    });
  }

  subscribe(listener: (image: MetadataImage) => void | Promise<void>): void {
    this.#listeners.push(listener);
  }

  createTopic(spec: CreateTopicSpec): Promise<AdminResult & { topic?: TopicInfo }> {
    return this.serialised(async () => {
      const image = this.#image;
      const problem = topicNameProblem(spec.name);
      if (problem) return fail('invalidTopic', problem);
      if (image.topics.has(spec.name)) return fail('topicAlreadyExists', `Topic '${spec.name}' already exists.`);
      const collision = [...image.topics.keys()].find((n) => n !== spec.name && n.replace(/\./g, '_') === spec.name.replace(/\./g, '_'));
      if (collision) return fail('invalidTopic', `Topic '${spec.name}' collides with existing topic: ${collision}`);
      let partitions = spec.numPartitions;
      let replicationFactor = spec.replicationFactor;
      if (spec.assignments.length > 0) {
        if (partitions !== -1 || replicationFactor !== -1) {
          return fail('invalidRequest', 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
        }
        partitions = spec.assignments.length;
        replicationFactor = spec.assignments[0]!.length;
        for (const replicas of spec.assignments) {
          if (replicas.length !== replicationFactor || replicas.some((id) => !image.brokers.has(id))) {
            return fail('invalidReplicaAssignment', `Invalid replica assignment ${JSON.stringify(spec.assignments)}: unknown broker or uneven replication factor.`);
          }
        }
      }
      if (partitions === -1) partitions = this.opts.defaults.numPartitions;
      if (replicationFactor === -1) replicationFactor = this.opts.defaults.replicationFactor;
      if (partitions < 1 || partitions > limits.partitionsPerTopicMax) {
        return fail('invalidPartitions', `Number of partitions must be between 1 and ${limits.partitionsPerTopicMax}, got ${partitions}.`);
      }
      if (replicationFactor < 1) return fail('invalidReplicationFactor', 'Replication factor must be larger than 0.');
      if (replicationFactor > image.brokers.size) {
        return fail(
          'invalidReplicationFactor',
          `Replication factor: ${replicationFactor} larger than available brokers: ${image.brokers.size}.`,
        );
      }
      const configCheck = validateTopicConfigs(spec.configs);
      if (!configCheck.ok) return fail('invalidConfig', configCheck.message);
      const stored: StoredTopic = { name: spec.name, topicId: this.opts.random.uuid(), partitions, configs: { ...spec.configs } };
      const topic = makeTopic(this.opts.brokerId, stored);
      if (spec.validateOnly) return { ok: true, topic };
      const topics = new Map(image.topics);
      topics.set(spec.name, topic);
      await this.publish(image.withTopics(topics));
      return { ok: true, topic };
    });
  }

  deleteTopic(name: string): Promise<AdminResult> {
    return this.serialised(async () => {
      if (!this.opts.defaults.deleteTopicEnable) return fail('topicDeletionDisabled', 'Topic deletion is disabled (delete.topic.enable=false).');
      const image = this.#image;
      if (!image.topics.has(name)) return fail('unknownTopic', `Topic '${name}' does not exist.`);
      const topics = new Map(image.topics);
      topics.delete(name);
      await this.publish(image.withTopics(topics));
      return { ok: true };
    });
  }

  createPartitions(name: string, totalCount: number, assignments: number[][], validateOnly: boolean): Promise<AdminResult> {
    return this.serialised(async () => {
      const image = this.#image;
      const topic = image.topics.get(name);
      if (!topic) return fail('unknownTopic', `The topic '${name}' does not exist.`);
      const current = topic.partitions.length;
      if (totalCount <= current) {
        return fail('invalidPartitions', `Topic currently has ${current} partitions, which is higher than the requested ${totalCount}.`);
      }
      if (totalCount > limits.partitionsPerTopicMax) return fail('invalidPartitions', `Number of partitions must be at most ${limits.partitionsPerTopicMax}.`);
      if (assignments.length > 0 && assignments.length !== totalCount - current) {
        return fail('invalidReplicaAssignment', `Increasing the number of partitions by ${totalCount - current} but ${assignments.length} assignments provided.`);
      }
      if (assignments.some((r) => r.some((id) => !image.brokers.has(id)))) {
        return fail('invalidReplicaAssignment', 'Replica assignment names an unknown broker.');
      }
      if (validateOnly) return { ok: true };
      const topics = new Map(image.topics);
      topics.set(name, makeTopic(this.opts.brokerId, { ...storedOf(topic), partitions: totalCount }));
      await this.publish(image.withTopics(topics));
      return { ok: true };
    });
  }

  alterTopicConfigs(name: string, configs: Record<string, string | null>, mode: 'replace' | 'incremental', validateOnly: boolean): Promise<AdminResult> {
    return this.serialised(async () => {
      const image = this.#image;
      const topic = image.topics.get(name);
      if (!topic) return fail('unknownTopic', `Topic ${name} does not exist.`);
      const check = validateTopicConfigs(configs);
      if (!check.ok) return fail('invalidConfig', check.message);
      const next: Record<string, string> = mode === 'replace' ? {} : { ...topic.configs };
      for (const [k, v] of Object.entries(configs)) {
        if (v === null) delete next[k];
        else next[k] = v;
      }
      if (validateOnly) return { ok: true };
      const topics = new Map(image.topics);
      topics.set(name, makeTopic(this.opts.brokerId, { ...storedOf(topic), configs: next }));
      await this.publish(image.withTopics(topics));
      return { ok: true };
    });
  }

  alterBrokerConfigs(entity: string, configs: Record<string, string | null>, mode: 'replace' | 'incremental', validateOnly: boolean): Promise<AdminResult> {
    return this.serialised(async () => {
      const image = this.#image;
      const next: Record<string, string> = mode === 'replace' ? {} : { ...(image.brokerConfigs.get(entity) ?? {}) };
      for (const [k, v] of Object.entries(configs)) {
        if (v === null) delete next[k];
        else next[k] = v;
      }
      if (validateOnly) return { ok: true };
      const all = new Map(image.brokerConfigs);
      if (Object.keys(next).length === 0) all.delete(entity);
      else all.set(entity, Object.freeze(next));
      await this.publish(image.withBrokerConfigs(all));
      return { ok: true };
    });
  }

  /** One node: the only valid assignment is this broker alone, which it already has; nothing is ever in progress. */
  alterPartitionReassignments(changes: ReassignmentChange[]): Promise<ReassignmentOutcome[]> {
    const image = this.#image;
    return Promise.resolve(
      changes.map(({ topic, partition, replicas }): ReassignmentOutcome => {
        const at = { topic, partition };
        if (!image.partition(topic, partition)) return { ...at, result: fail('unknownTopicOrPartition', `Unable to find partition ${topic}-${partition}.`) };
        if (replicas === null) return { ...at, result: fail('noReassignmentInProgress', `No reassignment is in progress for partition ${topic}-${partition}.`) };
        const unknown = replicas.filter((id) => !image.brokers.has(id));
        if (unknown.length > 0 || replicas.length !== 1) {
          return { ...at, result: fail('invalidReplicaAssignment', `The manual partition assignment includes broker ${unknown[0] ?? replicas.find((id) => id !== this.opts.brokerId)}, but no such broker is registered (a single node has only broker ${this.opts.brokerId}).`) };
        }
        return { ...at, result: { ok: true } };
      }),
    );
  }

  alterPartitionIsr(change: IsrChange): Promise<IsrChangeResult> {
    // A single node is its own ISR: the only valid ISR is [self], at the current epochs.
    const p = this.#image.partition(change.topic, change.partition);
    if (!p) return Promise.resolve({ ok: false, error: 'unknownTopicOrPartition' });
    if (change.leaderEpoch !== p.leaderEpoch || change.partitionEpoch !== p.partitionEpoch) return Promise.resolve({ ok: false, error: 'fenced' });
    if (change.isr.length !== 1 || change.isr[0] !== this.opts.brokerId) return Promise.resolve({ ok: false, error: 'invalidRequest' });
    return Promise.resolve({ ok: true, partitionEpoch: p.partitionEpoch });
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(fn, fn);
    this.#chain = run.catch((err: unknown) => {
      // The caller receives the rejection through `run`; the chain itself must continue.
      void err;
    });
    return run;
  }

  private async publish(next: MetadataImage): Promise<void> {
    await this.persist(next);
    this.#image = next;
    for (const l of this.#listeners) await l(next);
  }

  private async persist(image: MetadataImage): Promise<void> {
    const doc: StoredDocument = { version: 1, clusterId: image.clusterId, topics: [...image.topics.values()].map(storedOf) };
    if (image.brokerConfigs.size > 0) doc.brokerConfigs = Object.fromEntries(image.brokerConfigs);
    if (this.#security !== undefined) doc.security = this.#security;
    await this.opts.store.save(JSON.stringify(doc, null, 1));
  }
}

function fail(error: AdminResult extends infer R ? (R extends { ok: false; error: infer E } ? E : never) : never, message: string): AdminResult {
  return { ok: false, error, message };
}

function storedOf(t: TopicInfo): StoredTopic {
  return { name: t.name, topicId: t.topicId, partitions: t.partitions.length, configs: { ...t.configs } };
}

function makeTopic(brokerId: number, t: StoredTopic): TopicInfo {
  const partitions: PartitionInfo[] = [];
  for (let p = 0; p < t.partitions; p++) {
    partitions.push(Object.freeze({ partition: p, leader: brokerId, leaderEpoch: 0, replicas: [brokerId], isr: [brokerId], offline: [], partitionEpoch: 0 }));
  }
  return Object.freeze({ name: t.name, topicId: t.topicId, internal: isInternalTopic(t.name), partitions, configs: Object.freeze({ ...t.configs }) });
}

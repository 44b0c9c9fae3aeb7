/**
 * ZkAdmin: the admin operations of the Controller interface in ZooKeeper mode, answered by any
 * broker. As Kafka's ZooKeeper-mode brokers do, they validate against this broker's cache and write
 * directly to ZooKeeper (topic and config nodes, /admin/delete_topics/<t>,
 * /admin/preferred_replica_election), then wait until the change shows in this broker's image; the
 * active controller reacts to the writes. Two exceptions: a partition leader changes its ISR itself
 * with a write conditional on the state node's version (`alterPartitionIsr`), and partition
 * reassignments are accepted only by the active controller (`alterPartitionReassignments`, carried
 * out by reassignment.ts).
 *
 * Owned by ZkController (one per broker, for its whole life), which delegates its Controller methods
 * here. Stateless: everything it reads is in the shared cache.
 */
import { validateTopicConfigs } from '../../config/topic-config.js';
import { limits } from '../../limits.js';
import type { AdminResult, ScramCredentialChange, CreateTopicSpec, IsrChange, IsrChangeResult, PreferredElectionResult, ReassignmentChange, ReassignmentOutcome } from '../controller.js';
import { isCoordinationError, json, parseJson } from '../coordination/coordination.js';
import type { BrokerInfo, MetadataImage, TopicInfo } from '../metadata-image.js';
import { withEpochs } from '../leader-election.js';
import { AssignmentError, assignReplicas } from '../replica-assignment.js';
import { isInternalTopic, topicNameProblem } from '../topic-names.js';
import type { ZkActiveController } from './active-controller.js';
import { sleep, type ZkContext } from './context.js';
import { assignmentDoc, CONFIG_WRITE_ATTEMPTS_MAX, desanitizeEntityName, paths, sanitizeEntityName, stateDoc, type ConfigDoc, type ReassignTarget } from './layout.js';

type Fail = Extract<AdminResult, { ok: false }>;
function fail(error: Fail['error'], message: string): Fail {
  return { ok: false, error, message };
}

export class ZkAdmin {
  constructor(
    private readonly ctx: ZkContext,
    private readonly active: ZkActiveController,
  ) {}

  private liveBrokerList(): BrokerInfo[] {
    return [...this.ctx.cache.brokers.values()].sort((a, b) => a.id - b.id);
  }

  async createTopic(spec: CreateTopicSpec): Promise<AdminResult & { topic?: TopicInfo }> {
    const { cache, defaults, random } = this.ctx;
    const problem = topicNameProblem(spec.name);
    if (problem) return fail('invalidTopic', problem);
    if (await this.knownTopic(spec.name)) return fail('topicAlreadyExists', `Topic '${spec.name}' already exists.`);
    if (cache.deleting.has(spec.name)) return fail('topicAlreadyExists', `Topic '${spec.name}' is marked for deletion.`);
    const collision = [...cache.topics.keys()].find((n) => n !== spec.name && n.replace(/\./g, '_') === spec.name.replace(/\./g, '_'));
    if (collision) return fail('invalidTopic', `Topic '${spec.name}' collides with existing topic: ${collision}`);
    const brokers = this.liveBrokerList();
    let assignment: number[][];
    if (spec.assignments.length > 0) {
      if (spec.numPartitions !== -1 || spec.replicationFactor !== -1) {
        return fail('invalidRequest', 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
      }
      const rf = spec.assignments[0]!.length;
      for (const replicas of spec.assignments) {
        if (replicas.length !== rf || replicas.length === 0 || new Set(replicas).size !== replicas.length || replicas.some((id) => !cache.brokers.has(id))) {
          return fail('invalidReplicaAssignment', `Invalid replica assignment ${JSON.stringify(spec.assignments)}: unknown broker, duplicate or uneven replication factor.`);
        }
      }
      assignment = spec.assignments.map((r) => [...r]);
    } else {
      const partitions = spec.numPartitions === -1 ? defaults.numPartitions : spec.numPartitions;
      const rf = spec.replicationFactor === -1 ? defaults.replicationFactor : spec.replicationFactor;
      if (partitions < 1 || partitions > limits.partitionsPerTopicMax) {
        return fail('invalidPartitions', `Number of partitions must be between 1 and ${limits.partitionsPerTopicMax}, got ${partitions}.`);
      }
      try {
        assignment = assignReplicas({ brokers, partitions, replicationFactor: rf, startIndex: random.int(Math.max(1, brokers.length)), shift: random.int(Math.max(1, brokers.length)) });
      } catch (err) {
        if (err instanceof AssignmentError) return fail(err.kind, err.message);
        throw err;
      }
    }
    if (assignment.length > limits.partitionsPerTopicMax) return fail('invalidPartitions', `Number of partitions must be at most ${limits.partitionsPerTopicMax}.`);
    const configCheck = validateTopicConfigs(spec.configs);
    if (!configCheck.ok) return fail('invalidConfig', configCheck.message);
    const topicId = random.uuid();
    const preview = this.previewTopic(spec.name, topicId, assignment, spec.configs);
    if (spec.validateOnly) return { ok: true, topic: preview };
    // Kafka's order: the config first, then the assignment (which the controller reacts to).
    await this.writeConfig(spec.name, spec.configs);
    const doc = assignmentDoc(assignment, topicId, {}, {});
    try {
      await this.ctx.coord.create(paths.topic(spec.name), json(doc));
    } catch (err) {
      if (isCoordinationError(err, 'nodeExists')) return fail('topicAlreadyExists', `Topic '${spec.name}' already exists.`);
      throw err;
    }
    this.ctx.log.info({ topic: spec.name, assignment }, 'created topic');
    await this.ctx.images.waitFor((img) => {
      const t = img.topics.get(spec.name);
      return t !== undefined && t.partitions.every((p) => p.leader !== -1);
    });
    return { ok: true, topic: this.ctx.images.image.topics.get(spec.name) ?? preview };
  }

  private previewTopic(name: string, topicId: string, assignment: number[][], configs: Record<string, string>): TopicInfo {
    const partitions = assignment.map((replicas, p) =>
      Object.freeze({ partition: p, leader: -1, leaderEpoch: -1, replicas, isr: [], offline: [], partitionEpoch: -1 }),
    );
    return Object.freeze({ name, topicId, internal: isInternalTopic(name), partitions, configs: Object.freeze({ ...configs }) });
  }

  private async writeConfig(topic: string, config: Record<string, string>, expectedVersion?: number): Promise<void> {
    const { coord } = this.ctx;
    const data = json({ version: 1, config });
    if (expectedVersion !== undefined) {
      await coord.set(paths.configTopic(topic), data, expectedVersion);
      return;
    }
    try {
      await coord.create(paths.configTopic(topic), data);
    } catch (err) {
      if (!isCoordinationError(err, 'nodeExists')) throw err;
      await coord.set(paths.configTopic(topic), data);
    }
  }

  /** True when the topic exists; reads ZooKeeper when this broker's cache has not seen it yet (just created elsewhere). */
  private async knownTopic(name: string): Promise<boolean> {
    const { cache } = this.ctx;
    if (cache.topics.has(name)) return true;
    if (topicNameProblem(name) !== null) return false;
    if ((await this.ctx.coord.get(paths.topic(name))) === null) return false;
    cache.armed.delete(`topic:${name}`);
    await cache.readTopic(cache.generation, name);
    return cache.topics.has(name);
  }

  async deleteTopic(name: string): Promise<AdminResult> {
    if (!this.ctx.defaults.deleteTopicEnable) return fail('topicDeletionDisabled', 'Topic deletion is disabled (delete.topic.enable=false).');
    if (!(await this.knownTopic(name))) return fail('unknownTopic', `Topic '${name}' does not exist.`);
    try {
      await this.ctx.coord.create(paths.deleteTopic(name), Buffer.alloc(0));
    } catch (err) {
      if (!isCoordinationError(err, 'nodeExists')) throw err; // already requested: wait with the others
    }
    this.ctx.log.info({ topic: name }, 'requested topic deletion');
    await this.ctx.images.waitFor((img) => !img.topics.has(name));
    return { ok: true };
  }

  async createPartitions(name: string, totalCount: number, assignments: number[][], validateOnly: boolean): Promise<AdminResult> {
    const { cache } = this.ctx;
    await this.knownTopic(name);
    const topic = cache.topics.get(name);
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
      if (assignments.some((r) => r.length !== rf || new Set(r).size !== r.length || r.some((id) => !cache.brokers.has(id)))) {
        return fail('invalidReplicaAssignment', 'Replica assignment names an unknown broker, repeats a broker or has a different replication factor.');
      }
      added = assignments.map((r) => [...r]);
    } else {
      const brokers = this.liveBrokerList();
      const firstLeader = topic.replicas[0]?.[0] ?? brokers[0]?.id ?? 0;
      const startIndex = Math.max(0, brokers.findIndex((b) => b.id === firstLeader));
      try {
        added = assignReplicas({ brokers, partitions: totalCount - current, replicationFactor: rf, startIndex, shift: this.ctx.random.int(Math.max(1, brokers.length)), firstPartition: current });
      } catch (err) {
        if (err instanceof AssignmentError) return fail(err.kind, err.message);
        throw err;
      }
    }
    if (validateOnly) return { ok: true };
    const all = [...topic.replicas, ...added];
    const doc = assignmentDoc(all, topic.topicId, topic.adding, topic.removing);
    try {
      await this.ctx.coord.set(paths.topic(name), json(doc), topic.version);
    } catch (err) {
      if (isCoordinationError(err, 'badVersion')) return fail('invalidRequest', `The partitions of '${name}' changed concurrently; retry.`);
      if (isCoordinationError(err, 'noNode')) return fail('unknownTopic', `The topic '${name}' does not exist.`);
      throw err;
    }
    await this.ctx.images.waitFor((img) => {
      const t = img.topics.get(name);
      return t !== undefined && t.partitions.length === totalCount && t.partitions.every((p) => p.leader !== -1);
    });
    return { ok: true };
  }

  async alterTopicConfigs(name: string, configs: Record<string, string | null>, mode: 'replace' | 'incremental', validateOnly: boolean): Promise<AdminResult> {
    if (!(await this.knownTopic(name))) return fail('unknownTopic', `Topic ${name} does not exist.`);
    const check = validateTopicConfigs(configs);
    if (!check.ok) return fail('invalidConfig', check.message);
    const node = await this.ctx.coord.get(paths.configTopic(name));
    const current = node ? (parseJson<ConfigDoc>(node.data).config ?? {}) : {};
    const next = applyConfigChanges(current, configs, mode);
    if (validateOnly) return { ok: true };
    try {
      await this.writeConfig(name, next, node?.version);
    } catch (err) {
      if (isCoordinationError(err, 'badVersion')) return fail('invalidRequest', `The configs of '${name}' changed concurrently; retry.`);
      throw err;
    }
    const want = JSON.stringify(Object.entries(next).sort());
    await this.ctx.images.waitFor((img) => {
      const t = img.topics.get(name);
      return t === undefined || JSON.stringify(Object.entries(t.configs).sort()) === want;
    });
    return { ok: true };
  }

  /** Dynamic broker configs, in Kafka's nodes /config/brokers/<id> and /config/brokers/<default>. */
  async alterBrokerConfigs(entity: string, configs: Record<string, string | null>, mode: 'replace' | 'incremental', validateOnly: boolean): Promise<AdminResult> {
    const { coord } = this.ctx;
    const path = paths.configBroker(entity);
    for (let attempt = 0; attempt < CONFIG_WRITE_ATTEMPTS_MAX; attempt++) {
      const node = await coord.get(path);
      const current = node ? (parseJson<ConfigDoc>(node.data).config ?? {}) : {};
      const next = applyConfigChanges(current, configs, mode);
      if (validateOnly) return { ok: true };
      try {
        const data = json({ version: 1, config: next });
        if (node) await coord.set(path, data, node.version);
        else await coord.create(path, data);
      } catch (err) {
        if (isCoordinationError(err, 'badVersion') || isCoordinationError(err, 'nodeExists') || isCoordinationError(err, 'noNode')) continue; // a concurrent change: read it and apply ours on top
        throw err;
      }
      const want = JSON.stringify(Object.entries(next).sort());
      await this.ctx.images.waitFor((img) => JSON.stringify(Object.entries(img.brokerConfigs.get(entity) ?? {}).sort()) === want);
      return { ok: true };
    }
    return fail('invalidRequest', `The dynamic configs of ${entity === '' ? 'the cluster default' : `broker ${entity}`} kept changing concurrently; retry.`);
  }

  /** SCRAM credentials from /config/users/<name> (Kafka's node, shared with user quotas), read fresh. */
  async scramCredentials(users: string[] | null): Promise<Map<string, Record<string, string>>> {
    const { coord } = this.ctx;
    const names = users ?? ((await coord.children(paths.configUsers)) ?? []).map(desanitizeEntityName);
    const out = new Map<string, Record<string, string>>();
    for (const user of names) {
      const node = await coord.get(paths.configUser(user));
      if (!node) continue;
      const config = parseJson<ConfigDoc>(node.data).config ?? {};
      const creds = Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith('SCRAM-')));
      if (Object.keys(creds).length > 0) out.set(user, creds);
    }
    return out;
  }

  /**
   * Sets or deletes SCRAM credentials in /config/users/<name>, keeping the node's other keys (quotas),
   * with a change notification as Kafka's tools write one (/config/changes/config_change_<seq>).
   */
  async alterScramCredentials(changes: ScramCredentialChange[]): Promise<AdminResult> {
    const { coord } = this.ctx;
    const byUser = new Map<string, ScramCredentialChange[]>();
    for (const c of changes) byUser.set(c.user, [...(byUser.get(c.user) ?? []), c]);
    for (const [user, list] of byUser) {
      const path = paths.configUser(user);
      let written = false;
      for (let attempt = 0; attempt < CONFIG_WRITE_ATTEMPTS_MAX && !written; attempt++) {
        const node = await coord.get(path);
        const next: Record<string, string> = { ...(node ? (parseJson<ConfigDoc>(node.data).config ?? {}) : {}) };
        for (const c of list) {
          if (c.credential === null) delete next[c.mechanism];
          else next[c.mechanism] = c.credential;
        }
        try {
          const data = json({ version: 1, config: next });
          if (node) await coord.set(path, data, node.version);
          else {
            await coord.ensurePath(paths.configUsers);
            await coord.create(path, data);
          }
          written = true;
        } catch (err) {
          if (isCoordinationError(err, 'badVersion') || isCoordinationError(err, 'nodeExists') || isCoordinationError(err, 'noNode')) continue;
          throw err;
        }
      }
      if (!written) return fail('invalidRequest', `The configs of user ${user} kept changing concurrently; retry.`);
      await coord.create(`${paths.configChanges}/config_change_`, json({ version: 2, entity_path: `users/${sanitizeEntityName(user)}` }), { sequential: true });
    }
    return { ok: true };
  }

  /**
   * AlterPartitionReassignments on the active controller: new targets join /admin/reassign_partitions
   * (the same request node kafka-reassign-partitions --zookeeper writes, carried out by
   * reassignment.ts); a cancellation puts a partition in progress back on its original replicas
   * (replicas minus adding_replicas), leader from those in sync, in one fenced write.
   */
  async alterPartitionReassignments(changes: ReassignmentChange[]): Promise<ReassignmentOutcome[]> {
    const { cache } = this.ctx;
    if (!this.active.isActive) {
      return changes.map(({ topic, partition }) => ({ topic, partition, result: fail('notController', `Broker ${this.ctx.brokerId} is not the active controller.`) }));
    }
    const outcomes: ReassignmentOutcome[] = [];
    const targets: ReassignTarget[] = [];
    const cancels: Array<{ topic: string; partition: number }> = [];
    const pending = this.active.reassignments.pendingKeys();
    for (const { topic: t, partition: p, replicas } of changes) {
      const at = { topic: t, partition: p };
      const topic = cache.topics.get(t);
      if (!topic || cache.deleting.has(t) || !Number.isInteger(p) || p < 0 || p >= topic.replicas.length) {
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
      const unknown = replicas.filter((id) => !cache.brokers.has(id));
      if (problem !== null || unknown.length > 0) {
        const why = problem ?? `it includes broker ${unknown.join(', ')}, which is not registered`;
        outcomes.push({ ...at, result: fail('invalidReplicaAssignment', `Invalid replica assignment for ${t}-${p}: ${why}.`) });
        continue;
      }
      targets.push({ topic: t, partition: p, replicas: [...replicas] });
      outcomes.push({ ...at, result: { ok: true } });
    }
    if (targets.length > 0 || cancels.length > 0) await this.active.reassignments.applyChanges(targets, cancels);
    this.active.workSoon();
    return outcomes;
  }

  /**
   * The leader changes its partition's ISR: a write of the state node conditional on the version
   * the leader last saw (Kafka's ZooKeeper-era ISR update; the controller is not involved). Refused
   * ('fenced') when this broker is not the partition's current leader at that epoch or the state
   * moved on; 'unavailable' (retry later) while this broker's session is suspect or when ZooKeeper
   * did not answer — a fenced leader waits for the next image, which such a write may never cause
   * (simulator seed 2239: a leader cut from ZooKeeper during an ISR expansion never expanded again).
   */
  async alterPartitionIsr(change: IsrChange): Promise<IsrChangeResult> {
    const { cache, coord, log } = this.ctx;
    const key = `${change.topic}/${change.partition}`;
    const topic = cache.topics.get(change.topic);
    const s = cache.states.get(key);
    if (!topic || !s || change.partition >= topic.replicas.length) return { ok: false, error: 'unknownTopicOrPartition' };
    const replicas = topic.replicas[change.partition]!;
    const isr = [...change.isr];
    if (isr.length === 0 || new Set(isr).size !== isr.length || !isr.includes(change.leaderId) || isr.some((id) => !replicas.includes(id))) {
      return { ok: false, error: 'invalidRequest' };
    }
    if (cache.suspended || coord.healthy === false || !cache.registered) return { ok: false, error: 'unavailable' };
    if (change.leaderId !== this.ctx.brokerId || s.leader !== change.leaderId || s.leaderEpoch !== change.leaderEpoch || s.version !== change.partitionEpoch) {
      return { ok: false, error: 'fenced' };
    }
    // The ISR members' current registration epochs are recorded with them (leader-election.ts, "Broker epochs").
    const view = { live: new Set(cache.brokers.keys()), stopping: new Set<number>(), uncleanLeaderElection: false, brokerEpochs: cache.brokerEpochs };
    const doc = stateDoc(s.controllerEpoch, withEpochs({ leader: s.leader, leaderEpoch: s.leaderEpoch, isr, ...(s.leaderBrokerEpoch !== undefined ? { leaderBrokerEpoch: s.leaderBrokerEpoch } : {}) }, view, s));
    let version: number;
    try {
      version = await coord.set(paths.state(change.topic, change.partition), json(doc), change.partitionEpoch);
    } catch (err) {
      if (isCoordinationError(err, 'badVersion') || isCoordinationError(err, 'noNode')) {
        void cache.readState(cache.generation, change.topic, change.partition).catch((e: unknown) => cache.onReadError(e, `state:${key}`));
        return { ok: false, error: 'fenced' };
      }
      log.warn({ err, topic: change.topic, partition: change.partition }, 'ISR update got no answer; the leader retries');
      return { ok: false, error: 'unavailable' };
    }
    cache.cacheState(change.topic, change.partition, doc, version);
    log.info({ topic: change.topic, partition: change.partition, isr, partitionEpoch: version }, 'ISR updated');
    this.ctx.images.publishSoon();
    await this.ctx.images.waitFor((img) => (img.partition(change.topic, change.partition)?.partitionEpoch ?? -1) >= version, 2000);
    return { ok: true, partitionEpoch: version };
  }

  /**
   * Preferred-leader election on demand (kafka-leader-election --election-type preferred): asks the
   * controller through /admin/preferred_replica_election (Kafka's node) and waits for it to finish.
   * `partitions` null means every partition.
   */
  async electPreferredLeaders(partitions: Array<{ topic: string; partition: number }> | null): Promise<PreferredElectionResult[]> {
    const { coord, images } = this.ctx;
    const all = partitions ?? [...this.ctx.cache.topics].flatMap(([topic, t]) => t.replicas.map((_, partition) => ({ topic, partition })));
    const before = images.image;
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
      await coord.create(paths.preferredElection, json({ version: 1, partitions: wanted }));
    } catch (err) {
      if (!isCoordinationError(err, 'nodeExists')) throw err;
      // One is in progress: wait for it, then ask again.
      await this.waitUntilGone(paths.preferredElection, 10_000);
      await coord.create(paths.preferredElection, json({ version: 1, partitions: wanted }));
    }
    await this.waitUntilGone(paths.preferredElection, 10_000);
    await images.waitFor((img) => wanted.every((w) => {
      const p = img.partition(w.topic, w.partition);
      return !p || p.leader === p.replicas[0] || !p.isr.includes(p.replicas[0]!) || !img.brokers.has(p.replicas[0]!);
    }), 5000);
    return results(images.image);
  }

  private async waitUntilGone(path: string, timeoutMs: number): Promise<void> {
    const { clock } = this.ctx;
    const deadline = clock.monotonicMs() + timeoutMs;
    while ((await this.ctx.coord.get(path)) !== null) {
      if (clock.monotonicMs() > deadline) throw new Error(`${path} still present after ${timeoutMs} ms: is a controller running?`);
      await sleep(clock, 100);
    }
  }
}

/** `replace`: exactly the non-null values of `changes`; `incremental`: `current` with them set and the nulls deleted. */
function applyConfigChanges(current: Record<string, string>, changes: Record<string, string | null>, mode: 'replace' | 'incremental'): Record<string, string> {
  const next: Record<string, string> = mode === 'replace' ? {} : { ...current };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}

/**
 * ZkReassignments: partition reassignment as the active controller carries it out (Kafka's
 * ZooKeeper-mode algorithm, KIP-455 terms), and the controller side of AlterPartitionReassignments.
 *
 * The request is /admin/reassign_partitions, the node kafka-reassign-partitions --zookeeper writes
 * and AlterPartitionReassignments merges into (`applyChanges`); progress is recorded in each topic's
 * assignment (adding_replicas / removing_replicas), so every broker's image shows it.
 *
 * Owned by the ZkActiveController (one per broker); it acts only while that broker is the active
 * controller: `readRequest` is armed when the broker takes over, `reassign` runs from the
 * controller's reconcile, `applyChanges` on the controller's work chain. Every write is fenced by the
 * controller epoch (`active.epochCheck()`).
 */
import { withEpochs } from '../leader-election.js';
import { isCoordinationError, json } from '../coordination/coordination.js';
import type { PartitionState } from '../leader-election.js';
import type { ZkActiveController } from './active-controller.js';
import type { CachedTopic } from './cache.js';
import type { ZkContext } from './context.js';
import { assignmentDoc, CONFIG_WRITE_ATTEMPTS_MAX, parseReassignment, paths, stateDoc, type ReassignTarget } from './layout.js';

export class ZkReassignments {
  /** The pending /admin/reassign_partitions request (active controller only), with the node's version. */
  requested: { partitions: ReassignTarget[]; version: number } | null = null;

  constructor(
    private readonly ctx: ZkContext,
    private readonly active: ZkActiveController,
  ) {}

  async readRequest(gen: number): Promise<void> {
    const { cache, log } = this.ctx;
    const w = cache.watcher('reassign', gen, () => this.readRequest(gen));
    const node = await this.ctx.coord.get(paths.reassignPartitions, w);
    if (gen !== cache.generation || !this.active.isActive) return;
    if (!node) {
      this.requested = null;
      return;
    }
    let partitions: ReassignTarget[] = [];
    try {
      partitions = parseReassignment(node.data.toString('utf8'));
    } catch (err) {
      log.warn({ err }, `unreadable ${paths.reassignPartitions} ignored`);
    }
    this.requested = { partitions, version: node.version };
    log.info({ partitions: partitions.length }, 'partition reassignment requested');
    this.active.workSoon();
  }

  /**
   * Partition reassignment, one idempotent step per partition each time the controller reconciles
   * (state and assignment watches bring it back):
   * 1. start: replicas := NEW ++ (OLD - NEW) with adding_replicas / removing_replicas recorded in the
   *    assignment, and the leader epoch bumped, in one fenced multi; brokers in NEW start fetching;
   * 2. when every adding replica is in the ISR: leader := the current one if in NEW, else the first
   *    of NEW that is live and in the ISR; ISR := ISR ∩ NEW; replicas := NEW; adding/removing cleared,
   *    again in one fenced multi (brokers dropped from the replicas stop and delete their copy);
   * 3. completed partitions leave /admin/reassign_partitions, which is deleted when empty.
   */
  async reassign(gen: number): Promise<void> {
    const { cache, coord } = this.ctx;
    const req = this.requested;
    if (!req) return;
    const remaining: ReassignTarget[] = [];
    for (const target of req.partitions) {
      if (!this.active.isActive || gen !== cache.generation) return;
      const done = await this.step(target);
      if (!done) remaining.push(target);
    }
    if (this.requested !== req || remaining.length === req.partitions.length) return;
    try {
      if (remaining.length === 0) {
        await coord.multi([this.active.epochCheck(), { op: 'delete', path: paths.reassignPartitions, version: req.version }]);
        this.requested = null;
        this.ctx.log.info('partition reassignment completed');
      } else {
        const [v] = await coord.multi([
          this.active.epochCheck(),
          { op: 'set', path: paths.reassignPartitions, data: json({ version: 1, partitions: remaining }), version: req.version },
        ]);
        this.requested = { partitions: remaining, version: v! };
      }
    } catch (err) {
      if (!isCoordinationError(err, 'badVersion') && !isCoordinationError(err, 'noNode')) throw err;
      // Rewritten by an admin meanwhile (or we were deposed): re-read; its watch also reschedules.
      cache.armed.delete('reassign');
      await this.readRequest(cache.generation);
    }
  }

  /** One step of one partition's reassignment; true when it is complete (or cannot apply). */
  private async step(target: ReassignTarget): Promise<boolean> {
    const { cache, log } = this.ctx;
    const { topic: t, partition: p } = target;
    const NEW = target.replicas;
    const topic = cache.topics.get(t);
    if (!topic || cache.deleting.has(t) || p < 0 || p >= topic.replicas.length) {
      log.warn({ topic: t, partition: p }, 'reassignment of an unknown partition ignored');
      return true;
    }
    const key = String(p);
    const s = cache.states.get(`${t}/${p}`);
    if (!s) return false; // not initialised yet
    const current = topic.replicas[p]!;
    const adding = topic.adding[key];
    const inProgress = adding !== undefined || topic.removing[key] !== undefined;
    if (!inProgress && sameMembers(current, NEW)) {
      if (current.some((r, i) => r !== NEW[i])) {
        // Same brokers in another order: only the preferred-replica order changes.
        await this.write(t, p, topic, NEW, null, null, s);
        return false;
      }
      return true;
    }
    if (!inProgress) {
      const rs = [...NEW, ...current.filter((r) => !NEW.includes(r))];
      const add = NEW.filter((r) => !current.includes(r));
      const remove = current.filter((r) => !NEW.includes(r));
      log.info({ topic: t, partition: p, from: current, to: NEW, adding: add, removing: remove }, 'reassignment: adding replicas');
      await this.write(t, p, topic, rs, add, remove, { leader: s.leader, leaderEpoch: s.leaderEpoch + 1, isr: s.isr, version: s.version });
      return false;
    }
    // In progress: wait until every new replica is in sync (the state watch brings us back).
    const targetOfDoc = current.slice(0, current.length - (topic.removing[key]?.length ?? 0));
    const want = sameMembers(targetOfDoc, NEW) ? NEW : targetOfDoc; // the recorded target wins over a rewritten request
    if (!want.every((r) => s.isr.includes(r))) return false;
    const live = (id: number): boolean => cache.brokers.has(id) && !cache.stopping.has(id);
    let leader = s.leader;
    if (!want.includes(leader) || !live(leader) || !s.isr.includes(leader)) {
      const next = want.find((r) => live(r) && s.isr.includes(r));
      if (next === undefined) return false; // no new replica can lead yet
      leader = next;
    }
    const isr = s.isr.filter((r) => want.includes(r));
    log.info({ topic: t, partition: p, replicas: want, leader, isr }, 'reassignment: new replicas in sync; removing old replicas');
    await this.write(t, p, topic, want, null, null, { leader, leaderEpoch: s.leaderEpoch + 1, isr, version: s.version });
    return sameMembers(want, NEW);
  }

  /** Writes the assignment of one partition (with adding/removing, or cleared) and its state in one fenced multi. */
  private async write(
    t: string,
    p: number,
    topic: CachedTopic,
    replicas: number[],
    add: number[] | null,
    remove: number[] | null,
    s: PartitionState & { version: number },
  ): Promise<void> {
    const { cache } = this.ctx;
    const key = String(p);
    const all = topic.replicas.map((r, i) => (i === p ? replicas : r));
    const adding = { ...topic.adding };
    const removing = { ...topic.removing };
    delete adding[key];
    delete removing[key];
    if (add) adding[key] = add;
    if (remove) removing[key] = remove;
    const doc = assignmentDoc(all, topic.topicId, adding, removing);
    const view = { live: new Set(cache.brokers.keys()), stopping: cache.stopping, uncleanLeaderElection: false, brokerEpochs: cache.brokerEpochs };
    const state = stateDoc(this.active.epoch, withEpochs(s, view, cache.states.get(`${t}/${p}`) ?? null));
    try {
      const [tv, sv] = await this.ctx.coord.multi([
        this.active.epochCheck(),
        { op: 'set', path: paths.topic(t), data: json(doc), version: topic.version },
        { op: 'set', path: paths.state(t, p), data: json(state), version: s.version },
      ]);
      cache.topics.set(t, { ...topic, replicas: all, version: tv!, adding, removing });
      cache.cacheState(t, p, state, sv!);
      this.ctx.images.publishSoon();
    } catch (err) {
      if (isCoordinationError(err, 'badVersion')) {
        // The assignment may have moved too: re-read it along with the state.
        cache.armed.delete(`topic:${t}`);
        await cache.readTopic(cache.generation, t).catch(() => undefined);
      }
      await this.active.onWriteConflict(err, t, p);
    }
  }

  /** Partitions named in the pending request, as `topic/partition`. */
  pendingKeys(): Set<string> {
    return new Set((this.requested?.partitions ?? []).map((x) => `${x.topic}/${x.partition}`));
  }

  /**
   * AlterPartitionReassignments' changes, validated by the caller: new targets join
   * /admin/reassign_partitions (carried out by `reassign`); a cancellation puts a partition in
   * progress back on its original replicas. On the controller's work chain, so `reassign` never runs
   * between the cancellation's write and the request's update (it would start the cancelled move again).
   */
  applyChanges(targets: ReassignTarget[], cancels: Array<{ topic: string; partition: number }>): Promise<void> {
    return this.active.onChain(async () => {
      for (const c of cancels) await this.cancel(c.topic, c.partition);
      await this.mergeRequest(targets, cancels);
    });
  }

  /**
   * Adds `targets` to (and drops `cancels` from) /admin/reassign_partitions, retrying on concurrent
   * writes, and makes the result the pending request at once (the node's watch would bring it back
   * later; until then `reassign` must not act on the old list, e.g. restart a cancelled move).
   */
  private async mergeRequest(targets: ReassignTarget[], cancels: Array<{ topic: string; partition: number }>): Promise<void> {
    const { coord } = this.ctx;
    const dropped = new Set([...targets, ...cancels].map((x) => `${x.topic}/${x.partition}`));
    for (let attempt = 0; attempt < CONFIG_WRITE_ATTEMPTS_MAX; attempt++) {
      const node = await coord.get(paths.reassignPartitions);
      let existing: ReassignTarget[] = [];
      if (node) {
        try {
          existing = parseReassignment(node.data.toString('utf8'));
        } catch (err) {
          this.ctx.log.warn({ err }, `unreadable ${paths.reassignPartitions} replaced`);
        }
      }
      const merged = [...existing.filter((x) => !dropped.has(`${x.topic}/${x.partition}`)), ...targets];
      try {
        if (merged.length === 0) {
          if (node) await coord.delete(paths.reassignPartitions, node.version);
          this.requested = null;
        } else if (node) {
          const version = await coord.set(paths.reassignPartitions, json({ version: 1, partitions: merged }), node.version);
          this.requested = { partitions: merged, version };
        } else {
          await coord.create(paths.reassignPartitions, json({ version: 1, partitions: merged }));
          this.requested = { partitions: merged, version: 0 };
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
  private async cancel(t: string, p: number): Promise<void> {
    const { cache } = this.ctx;
    const topic = cache.topics.get(t);
    const s = cache.states.get(`${t}/${p}`);
    if (!topic || !s) return;
    const adding = topic.adding[String(p)];
    if (adding === undefined && topic.removing[String(p)] === undefined) return; // only requested, not started: dropping the request is enough
    const original = topic.replicas[p]!.filter((r) => !(adding ?? []).includes(r));
    const live = (id: number): boolean => cache.brokers.has(id) && !cache.stopping.has(id);
    const isr = s.isr.filter((r) => original.includes(r));
    let leader = s.leader;
    if (!original.includes(leader) || !live(leader)) leader = isr.find(live) ?? -1;
    this.ctx.log.info({ topic: t, partition: p, replicas: original, leader, isr }, 'reassignment cancelled: back to the original replicas');
    await this.write(t, p, topic, original, null, null, { leader, leaderEpoch: s.leaderEpoch + 1, isr: isr.length > 0 ? isr : s.isr, version: s.version });
  }
}

function sameMembers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

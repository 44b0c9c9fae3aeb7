/**
 * ZkActiveController: the controller election and, while this broker is elected, the active
 * controller's work.
 *
 * Election: the active controller holds the ephemeral /controller node and increments
 * /controller_epoch when it takes over. Each of its partition-state writes is a ZooKeeper multi
 * that checks /controller_epoch's version (`epochCheck()`) and the state node's version, so a
 * deposed controller's writes fail. Every broker reads /controller (the image shows the controller
 * id) and tries to take it when it is free.
 *
 * Work (`reconcile`, idempotent, queued on one chain so steps never interleave): initialise the
 * partition states of new topics/partitions, elect leaders when brokers disappear or ask for
 * controlled shutdown (/samsa/controlled_shutdown/<id>), remove dead brokers from ISRs, perform
 * preferred-leader elections (/admin/preferred_replica_election, on demand or automatically when
 * auto.leader.rebalance.enable), carry out partition reassignments (reassignment.ts) and delete
 * topics. The decisions themselves are leader-election.ts's pure functions.
 *
 * Owned by ZkController, one per broker for its whole life (every broker is a candidate): it calls
 * `readController` when reading the cluster state, `tryBecomeController` once registered, `resign`
 * when its session is lost, and `close` last.
 */
import type { Timer } from '../../io/clock.js';
import { deleteRecursive, isCoordinationError, json, type MultiOp, parseJson } from '../coordination/coordination.js';
import { initialState, nextState, preferredImbalance, type ClusterView, type LogEnd, type PartitionState } from '../leader-election.js';
import type { CachedTopic } from './cache.js';
import { sleep, type ZkContext } from './context.js';
import { assignmentDoc, parseLogEnds, paths, stateDoc } from './layout.js';
import { ZkReassignments } from './reassignment.js';

export class ZkActiveController {
  #isController = false;
  #controllerEpoch = 0;
  #controllerEpochVersion = -1;
  #controllerWork: Promise<void> = Promise.resolve();
  #controllerWorkPending = false;
  #conflicts = 0;
  #preferredRequested: Array<{ topic: string; partition: number }> | null = null;
  #rebalanceTimer: Timer | null = null;
  /** Each registered broker's published log ends, read once per registration epoch (layout.ts, LogEndsDoc). */
  readonly #logEnds = new Map<number, { epoch: string; ends: ReadonlyMap<string, LogEnd> | null }>();
  /** Partition reassignment: the request node and its steps. */
  readonly reassignments: ZkReassignments;

  constructor(private readonly ctx: ZkContext) {
    this.reassignments = new ZkReassignments(ctx, this);
  }

  /** True while this broker is the active controller. */
  get isActive(): boolean {
    return this.#isController;
  }

  get epoch(): number {
    return this.#controllerEpoch;
  }

  /** The multi op that fences a controller write: /controller_epoch still at the version we set. */
  epochCheck(): MultiOp {
    return { op: 'check', path: paths.controllerEpoch, version: this.#controllerEpochVersion };
  }

  // -------------------------------------------------------------------------------------------
  // Election

  async readController(gen: number): Promise<void> {
    const { cache } = this.ctx;
    const w = cache.watcher('controller', gen, () => this.readController(gen));
    const node = await this.ctx.coord.get(paths.controller, w);
    if (gen !== cache.generation) return;
    cache.controllerId = node ? parseJson<{ brokerid: number }>(node.data).brokerid : -1;
    if (this.#isController && cache.controllerId !== this.ctx.brokerId) this.resign('another broker holds /controller');
    this.ctx.images.publishSoon();
    if (!node && cache.registered) await this.tryBecomeController(gen);
  }

  private async readPreferredRequest(gen: number): Promise<void> {
    const w = this.ctx.cache.watcher('preferred', gen, () => this.readPreferredRequest(gen));
    const node = await this.ctx.coord.get(paths.preferredElection, w);
    if (gen !== this.ctx.cache.generation) return;
    if (node) {
      const doc = parseJson<{ partitions?: Array<{ topic: string; partition: number }> }>(node.data);
      this.#preferredRequested = doc.partitions ?? [];
      this.workSoon();
    }
  }

  async tryBecomeController(gen: number): Promise<void> {
    const { cache, coord, log } = this.ctx;
    if (this.#isController || !cache.registered || cache.closed) return;
    try {
      await coord.create(paths.controller, json({ version: 1, brokerid: this.ctx.brokerId, timestamp: String(this.ctx.clock.nowMs()) }), { ephemeral: true });
    } catch (err) {
      if (isCoordinationError(err, 'nodeExists')) {
        await this.readController(gen);
        return;
      }
      throw err;
    }
    if (gen !== cache.generation) return;
    try {
      await this.takeEpoch();
    } catch (err) {
      // Holding /controller without an epoch would stall the cluster: give it up so another broker (or we, later) can try.
      log.warn({ err }, 'could not take the controller epoch; resigning /controller');
      try {
        await coord.delete(paths.controller);
      } catch (e) {
        log.warn({ err: e }, 'could not delete /controller; it goes with our session');
      }
      throw err;
    }
    this.#isController = true;
    this.ctx.onControllerEvent?.('ControllerChange');
    cache.controllerId = this.ctx.brokerId;
    log.info({ controllerEpoch: this.#controllerEpoch }, 'this broker is now the active controller');
    await this.readController(gen);
    await this.readPreferredRequest(gen);
    await this.reassignments.readRequest(gen);
    if (this.ctx.defaults.autoLeaderRebalanceEnable) {
      this.#rebalanceTimer = this.ctx.clock.setInterval(this.ctx.defaults.leaderImbalanceCheckIntervalMs, () => this.checkImbalance(), { unref: true });
    }
    this.ctx.images.publishSoon();
    this.workSoon();
  }

  /** Increments /controller_epoch (creating it at 1) and remembers its version: every controller write is fenced by it. */
  private async takeEpoch(): Promise<void> {
    const { coord } = this.ctx;
    for (;;) {
      const node = await coord.get(paths.controllerEpoch);
      try {
        if (!node) {
          await coord.create(paths.controllerEpoch, Buffer.from('1'));
          this.#controllerEpoch = 1;
          this.#controllerEpochVersion = 0;
        } else {
          const epoch = Number(node.data.toString('utf8')) + 1;
          this.#controllerEpochVersion = await coord.set(paths.controllerEpoch, Buffer.from(String(epoch)), node.version);
          this.#controllerEpoch = epoch;
        }
        return;
      } catch (err) {
        if (!isCoordinationError(err, 'nodeExists') && !isCoordinationError(err, 'badVersion')) throw err;
      }
    }
  }

  resign(reason: string): void {
    if (!this.#isController) return;
    this.#isController = false;
    this.ctx.onControllerEvent?.('ControllerResign');
    this.#rebalanceTimer?.cancel();
    this.#rebalanceTimer = null;
    this.ctx.log.warn({ reason }, 'no longer the active controller');
  }

  async close(): Promise<void> {
    this.#rebalanceTimer?.cancel();
    await this.#controllerWork.catch(() => undefined); // errors were logged where they happened
  }

  // -------------------------------------------------------------------------------------------
  // Work

  private checkImbalance(): void {
    if (!this.#isController) return;
    const { cache } = this.ctx;
    const all = [...cache.topics].flatMap(([t, topic]) =>
      topic.replicas.map((replicas, p) => {
        const s = cache.states.get(`${t}/${p}`);
        return { topic: t, partition: p, replicas, leader: s?.leader ?? -1, isr: s?.isr ?? [] };
      }),
    );
    const live = new Set(cache.brokers.keys());
    const { ratioByBroker } = preferredImbalance(all, live);
    const over = [...ratioByBroker].filter(([, r]) => r * 100 > this.ctx.defaults.leaderImbalancePerBrokerPercentage).map(([id]) => id);
    if (over.length === 0) return;
    this.ctx.log.info({ brokers: over }, 'leader imbalance above leader.imbalance.per.broker.percentage: preferred-leader election');
    this.#preferredRequested = all.filter((p) => over.includes(p.replicas[0]!)).map((p) => ({ topic: p.topic, partition: p.partition }));
    this.workSoon();
  }

  /** Queues a reconcile (at most one waiting), when this broker is the active controller. */
  workSoon(): void {
    if (!this.#isController || this.#controllerWorkPending || this.ctx.cache.closed) return;
    this.#controllerWorkPending = true;
    this.#controllerWork = this.#controllerWork.then(async () => {
      this.#controllerWorkPending = false;
      if (!this.#isController || this.ctx.cache.closed) return;
      // After write conflicts, back off a little so a persistent conflict cannot spin.
      if (this.#conflicts > 0) await sleep(this.ctx.clock, Math.min(1000, 5 * 2 ** Math.min(this.#conflicts, 8)));
      try {
        const before = this.#conflicts;
        this.ctx.onControllerEvent?.('Reconcile');
        await this.reconcile();
        if (this.#conflicts === before) this.#conflicts = 0;
      } catch (err) {
        this.ctx.log.warn({ err }, 'controller work failed; retrying in 1 s');
        this.ctx.clock.setTimer(1000, () => this.workSoon(), { unref: true });
      }
    });
  }

  /** Runs `fn` after the controller work queued so far, and before any queued later. */
  onChain<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#controllerWork.then(fn);
    this.#controllerWork = run.then(
      () => undefined,
      (err: unknown) => this.ctx.log.warn({ err }, 'an admin change on the controller failed'), // the caller gets the rejection through `run`
    );
    return run;
  }

  /** Brings every partition state in line with the cluster (the controller's whole job, idempotent). */
  private async reconcile(): Promise<void> {
    const { cache } = this.ctx;
    const gen = cache.generation;
    for (const t of [...cache.deleting]) await this.deleteTopicNodes(t);
    const view: ClusterView = {
      live: new Set(cache.brokers.keys()),
      stopping: cache.stopping,
      uncleanLeaderElection: this.ctx.defaults.uncleanLeaderElectionEnable,
      brokerEpochs: cache.brokerEpochs,
      logEnds: await this.readLogEnds(),
    };
    const preferred = this.#preferredRequested;
    const preferredSet = new Set((preferred ?? []).map((p) => `${p.topic}/${p.partition}`));
    for (const [t, topic] of [...cache.topics]) {
      if (cache.deleting.has(t)) continue;
      if (topic.needsId) await this.addTopicId(t, topic);
      for (let p = 0; p < topic.replicas.length; p++) {
        if (!this.#isController || gen !== cache.generation) return;
        const replicas = topic.replicas[p]!;
        const key = `${t}/${p}`;
        const s = cache.states.get(key);
        if (!s) {
          await this.createState(t, p, initialState(replicas, view));
          continue;
        }
        const next = nextState(replicas, s, view, preferredSet.has(key), key);
        if (next) await this.writeState(t, p, next, s.version);
      }
    }
    if (this.reassignments.requested !== null) await this.reassignments.reassign(gen);
    if (preferred !== null && this.#preferredRequested === preferred) {
      this.#preferredRequested = null;
      try {
        await this.ctx.coord.delete(paths.preferredElection);
      } catch (err) {
        if (!isCoordinationError(err, 'noNode')) throw err; // automatic rebalances have no node
      }
    }
  }

  /**
   * What each registered broker's replicas held when it registered ("topic/partition" → LogEnd),
   * for the election when every ISR member restarted. A broker writes it right before registering,
   * so it is read once per registration epoch; a broker that published none (or an unreadable one)
   * is absent.
   */
  private async readLogEnds(): Promise<Map<number, ReadonlyMap<string, LogEnd>>> {
    const { cache, coord, log } = this.ctx;
    for (const id of [...this.#logEnds.keys()]) if (!cache.brokerEpochs.has(id)) this.#logEnds.delete(id);
    for (const [id, epoch] of [...cache.brokerEpochs]) {
      if (this.#logEnds.get(id)?.epoch === epoch) continue;
      const node = await coord.get(paths.replicaLogEndsOf(id));
      let ends: ReadonlyMap<string, LogEnd> | null = null;
      try {
        if (node) ends = parseLogEnds(parseJson<unknown>(node.data));
      } catch (err) {
        log.warn({ err, brokerId: id }, 'unreadable replica log ends ignored (the broker counts as having published none)');
      }
      this.#logEnds.set(id, { epoch, ends });
    }
    const out = new Map<number, ReadonlyMap<string, LogEnd>>();
    for (const [id, e] of this.#logEnds) if (e.ends !== null) out.set(id, e.ends);
    return out;
  }

  /** Rewrites an assignment without topic_id in the current format, with a fresh id (conditional on its version). */
  private async addTopicId(t: string, topic: CachedTopic): Promise<void> {
    const doc = assignmentDoc(topic.replicas, this.ctx.random.uuid(), topic.adding, topic.removing);
    try {
      await this.ctx.coord.set(paths.topic(t), json(doc), topic.version);
      this.ctx.log.info({ topic: t }, 'assigned a topic id to a topic created without one');
    } catch (err) {
      if (!isCoordinationError(err, 'badVersion') && !isCoordinationError(err, 'noNode')) throw err;
      // changed or deleted meanwhile: the topic watch re-reads it and we try again if still needed
    }
  }

  private async createState(t: string, p: number, s: PartitionState): Promise<void> {
    const { cache, coord } = this.ctx;
    const doc = stateDoc(this.#controllerEpoch, s);
    const topic = cache.topics.get(t);
    if (!topic) return;
    try {
      // Parents are created in the same multi, which also checks that the topic still exists (at
      // the version we read), so a topic being deleted is never resurrected.
      const ops: MultiOp[] = [this.epochCheck(), { op: 'check', path: paths.topic(t), version: topic.version }];
      if ((await coord.get(paths.partitions(t))) === null) ops.push({ op: 'create', path: paths.partitions(t), data: Buffer.alloc(0) });
      if ((await coord.get(paths.partition(t, p))) === null) ops.push({ op: 'create', path: paths.partition(t, p), data: Buffer.alloc(0) });
      ops.push({ op: 'create', path: paths.state(t, p), data: json(doc) });
      await coord.multi(ops);
      cache.cacheState(t, p, doc, 0);
      this.ctx.log.info({ topic: t, partition: p, leader: s.leader, isr: s.isr }, 'initialised partition state');
      this.ctx.images.publishSoon();
    } catch (err) {
      await this.onWriteConflict(err, t, p);
    }
  }

  private async writeState(t: string, p: number, s: PartitionState, version: number): Promise<void> {
    const doc = stateDoc(this.#controllerEpoch, s);
    try {
      const [v] = await this.ctx.coord.multi([this.epochCheck(), { op: 'set', path: paths.state(t, p), data: json(doc), version }]);
      this.ctx.cache.cacheState(t, p, doc, v!);
      this.ctx.log.info({ topic: t, partition: p, leader: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr }, 'partition leader/ISR changed');
      this.ctx.images.publishSoon();
    } catch (err) {
      await this.onWriteConflict(err, t, p);
    }
  }

  /** A fenced write: either we are no longer the controller, or the state moved (re-read it; the read reschedules work). */
  async onWriteConflict(err: unknown, t: string, p: number): Promise<void> {
    if (!isCoordinationError(err, 'badVersion') && !isCoordinationError(err, 'nodeExists') && !isCoordinationError(err, 'noNode')) throw err;
    const { cache, coord } = this.ctx;
    this.#conflicts++;
    const epoch = await coord.get(paths.controllerEpoch);
    if (!epoch || epoch.version !== this.#controllerEpochVersion) {
      this.resign('controller epoch moved on: another controller was elected');
      return;
    }
    if ((await coord.get(paths.topic(t))) === null) {
      cache.dropTopic(t); // deleted meanwhile; the topic-list watch confirms it
      return;
    }
    cache.armed.delete(`state:${t}/${p}`);
    await cache.readState(cache.generation, t, p);
  }

  private async deleteTopicNodes(t: string): Promise<void> {
    const { cache, coord } = this.ctx;
    this.ctx.log.info({ topic: t }, 'deleting topic');
    await deleteRecursive(coord, paths.topic(t));
    try {
      await coord.delete(paths.configTopic(t));
    } catch (err) {
      if (!isCoordinationError(err, 'noNode')) throw err; // a topic without config overrides node
    }
    try {
      await coord.delete(paths.deleteTopic(t));
    } catch (err) {
      if (!isCoordinationError(err, 'noNode')) throw err; // another controller finished it
    }
    cache.deleting.delete(t);
    cache.dropTopic(t);
    this.ctx.images.publishSoon();
  }
}

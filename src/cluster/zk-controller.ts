/**
 * ZkController: the Controller of a broker in a ZooKeeper-coordinated cluster (Kafka's ZooKeeper
 * mode, layout and JSON formats included, so Kafka's ZooKeeper-reading tools understand it).
 *
 * Every broker runs one. It composes the parts in src/cluster/zk/ and owns the coordination
 * session's lifecycle:
 * - zk/layout.ts: Kafka's ZooKeeper paths and JSON documents (shared with the --zookeeper tools);
 * - zk/cache.ts: the watched cache of the cluster state and the MetadataImage built from it, which
 *   ../image-publisher.ts hands to subscribers (ReplicaManager) in order. While this broker's
 *   session is suspect or expired the image shows it leading nothing;
 * - zk/admin.ts: the Controller's admin operations, answered by any broker (writes straight to
 *   ZooKeeper, as Kafka's ZooKeeper-mode brokers do; the ISR update by a partition leader);
 * - zk/active-controller.ts and zk/reassignment.ts: the controller election (/controller, fenced by
 *   /controller_epoch) and the active controller's work.
 * Here: reading the whole state at start and after a session loss, this broker's registration
 * (/brokers/ids/<id>), controlled shutdown and close. The Controller methods delegate to ZkAdmin.
 *
 * Another coordination backend (the seeded simulator's in-memory ZooKeeper, later the built-in Raft
 * quorum) plugs in as a `Coordination` (coordination/coordination.ts) under all of these parts;
 * handlers see only the Controller interface.
 *
 * Lifecycle (owned by Broker through zk-cluster.ts): open() reads the cluster state and publishes
 * the first image; register() after the listeners are bound; controlledShutdown() then close() when
 * stopping.
 */
import assert from 'node:assert/strict';
import type { Logger } from 'pino';
import type { Clock, Timer } from '../io/clock.js';
import type { Random } from '../io/random.js';
import type { AdminResult, Controller, CreateTopicSpec, IsrChange, IsrChangeResult, ProducerIdBlock, ReassignmentChange, ReassignmentOutcome, PreferredElectionResult, ScramCredentialChange } from './controller.js';
import { allocateProducerIdBlockZk } from './zk/producer-id-block.js';
import { type Coordination, isCoordinationError, json, type SessionEvent } from './coordination/coordination.js';
import { ImagePublisher } from './image-publisher.js';
import type { BrokerInfo, MetadataImage, TopicInfo } from './metadata-image.js';
import { ZkActiveController } from './zk/active-controller.js';
import { ZkAdmin } from './zk/admin.js';
import { ZkCache } from './zk/cache.js';
import { sleep, type ZkContext, type ZkDefaults } from './zk/context.js';
import { logEndsDoc, paths, PERSISTENT_PATHS, registrationOf, type ReplicaLogEnd } from './zk/layout.js';

export interface ZkControllerOptions {
  brokerId: number;
  coordination: Coordination & { readonly healthy?: boolean };
  clock: Clock;
  random: Random;
  log: Logger;
  defaults: ZkDefaults;
  /** How long admin calls wait for their change to show in this broker's image. */
  adminWaitMs?: number;
  /** Controller events, for metrics. */
  onControllerEvent?: ZkContext['onControllerEvent'];
}

export class ZkController implements Controller {
  readonly #coord: Coordination & { readonly healthy?: boolean };
  readonly #log: Logger;
  readonly #cache: ZkCache;
  readonly #images: ImagePublisher;
  readonly #active: ZkActiveController;
  readonly #admin: ZkAdmin;

  // Registration.
  #registration: {
    broker: BrokerInfo;
    endpoints?: Array<{ name: string; host: string; port: number; protocol: string }>;
    /** What this broker's replicas hold, published before each registration (layout.ts, LogEndsDoc). */
    logEnds?: () => Iterable<ReplicaLogEnd>;
  } | null = null;
  #retryTimer: Timer | null = null;

  private constructor(private readonly opts: ZkControllerOptions) {
    this.#coord = opts.coordination;
    this.#log = opts.log;
    this.#cache = new ZkCache({
      brokerId: opts.brokerId,
      coord: opts.coordination,
      random: opts.random,
      log: opts.log,
      hooks: {
        changed: () => this.#images.publishSoon(),
        controllerWork: () => this.#active.workSoon(),
        stoppingChanged: () => this.#images.wake(),
        readFailed: (what) => this.resyncAfterReadFailure(what),
      },
    });
    this.#images = new ImagePublisher({ build: () => this.#cache.buildImage(), clock: opts.clock, log: opts.log, waitMsDefault: opts.adminWaitMs ?? 10_000 });
    const ctx: ZkContext = {
      brokerId: opts.brokerId,
      coord: opts.coordination,
      clock: opts.clock,
      random: opts.random,
      log: opts.log,
      defaults: opts.defaults,
      cache: this.#cache,
      images: this.#images,
      ...(opts.onControllerEvent ? { onControllerEvent: opts.onControllerEvent } : {}),
    };
    this.#active = new ZkActiveController(ctx);
    this.#admin = new ZkAdmin(ctx, this.#active);
  }

  /** Connects (the coordination must be started), reads the whole cluster state and publishes the first image. */
  static async open(opts: ZkControllerOptions): Promise<ZkController> {
    const c = new ZkController(opts);
    c.#coord.onSession((e) => c.onSession(e));
    await c.bootstrap();
    return c;
  }

  get image(): MetadataImage {
    return this.#images.image;
  }

  get brokerId(): number {
    return this.opts.brokerId;
  }

  /** True while this broker is the active controller. */
  get isActiveController(): boolean {
    return this.#active.isActive;
  }

  /** Why this broker is not a sound member of the cluster now, or null (readiness: /ready). */
  get membershipProblem(): string | null {
    const cache = this.#cache;
    if (cache.closed) return 'left the cluster (ZooKeeper session closed)';
    if (cache.suspended) return 'ZooKeeper session suspect (disconnected or expired): leading nothing until it is confirmed or renewed';
    if (!cache.registered) return 'not registered in ZooKeeper (/brokers/ids)';
    return null;
  }

  subscribe(listener: (image: MetadataImage) => void | Promise<void>): void {
    this.#images.subscribe(listener);
  }

  // -------------------------------------------------------------------------------------------
  // Bootstrap, sessions, registration

  private async bootstrap(): Promise<void> {
    const cache = this.#cache;
    const gen = cache.generation;
    for (const p of PERSISTENT_PATHS) await this.#coord.ensurePath(p);
    cache.clusterId = await cache.readOrCreateClusterId();
    await cache.readBrokers(gen);
    await cache.readTopicList(gen);
    await cache.readBrokerConfigList(gen);
    await cache.readDeleteRequests(gen);
    await cache.readStoppingBrokers(gen);
    await this.#active.readController(gen);
    this.#images.publishSoon();
    await this.#images.settled;
  }

  private onSession(e: SessionEvent): void {
    const cache = this.#cache;
    if (cache.closed) return;
    if (e === 'disconnected' || e === 'expired') {
      if (!cache.suspended) {
        cache.suspended = true;
        this.#log.warn({ event: e }, 'coordination session suspect: this broker stops leading until it is confirmed or renewed');
        this.#images.publishSoon();
      }
      if (e === 'expired') this.#active.resign('session expired');
    } else if (e === 'connected') {
      if (cache.suspended) {
        cache.suspended = false;
        this.#log.info('coordination session confirmed alive: resyncing');
        void this.resync('connected');
      }
    } else if (e === 'newSession') {
      cache.generation++;
      cache.armed.clear();
      cache.registered = false;
      this.#active.resign('new session');
      void this.resync('newSession');
    }
  }

  private async resync(reason: string): Promise<void> {
    const gen = this.#cache.generation;
    try {
      if (this.#registration && !this.#cache.registered) await this.registerNow(gen);
      await this.bootstrap(); // re-reads everything; watches already armed in this session are kept
      this.#cache.suspended = false;
      this.#images.publishSoon();
      this.#log.info({ reason }, 'resynced cluster state from ZooKeeper');
    } catch (err) {
      this.#log.warn({ err, reason }, 'resync failed; retrying in 1 s');
      this.scheduleResync(reason);
    }
  }

  /** A watched read failed (the cache logged it and forgot the watch): resync in 1 s. */
  private resyncAfterReadFailure(what: string): void {
    this.scheduleResync(`read failure: ${what}`);
  }

  /** Resyncs in 1 s unless one is already scheduled (the timer forgets itself when it fires). */
  private scheduleResync(reason: string): void {
    if (this.#retryTimer) return;
    this.#retryTimer = this.opts.clock.setTimer(
      1000,
      () => {
        this.#retryTimer = null;
        void this.resync(reason);
      },
      { unref: true },
    );
  }

  /** Registers this broker (ephemeral /brokers/ids/<id>) with its bound endpoint and joins the controller election. */
  async register(
    broker: BrokerInfo,
    endpoints?: Array<{ name: string; host: string; port: number; protocol: string }>,
    logEnds?: () => Iterable<ReplicaLogEnd>,
  ): Promise<void> {
    this.#registration = { broker, ...(endpoints ? { endpoints } : {}), ...(logEnds ? { logEnds } : {}) };
    await this.registerNow(this.#cache.generation);
  }

  /**
   * Writes what this broker's replicas hold (persistent node, overwritten), before registering: the
   * controller reads it with the new registration when every in-sync replica of a partition restarted.
   */
  private async publishLogEnds(logEnds: () => Iterable<ReplicaLogEnd>): Promise<void> {
    const path = paths.replicaLogEndsOf(this.opts.brokerId);
    const data = json(logEndsDoc(logEnds()));
    try {
      await this.#coord.set(path, data);
    } catch (err) {
      if (!isCoordinationError(err, 'noNode')) throw err;
      await this.#coord.create(path, data);
    }
  }

  private async registerNow(gen: number): Promise<void> {
    const reg = this.#registration;
    assert.ok(reg);
    const path = paths.broker(this.opts.brokerId);
    const data = json(registrationOf(reg.broker, this.opts.clock.nowMs(), reg.endpoints));
    if (reg.logEnds) await this.publishLogEnds(reg.logEnds);
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
        await sleep(this.opts.clock, 500);
      }
    }
    if (gen !== this.#cache.generation) return;
    this.#cache.registered = true;
    this.#log.info({ brokerId: this.opts.brokerId, host: reg.broker.host, port: reg.broker.port }, 'registered broker in ZooKeeper');
    await this.#cache.readBrokers(gen);
    await this.#active.tryBecomeController(gen);
  }

  // -------------------------------------------------------------------------------------------
  // Admin operations (zk/admin.ts)

  createTopic(spec: CreateTopicSpec): Promise<AdminResult & { topic?: TopicInfo }> {
    return this.#admin.createTopic(spec);
  }

  deleteTopic(name: string): Promise<AdminResult> {
    return this.#admin.deleteTopic(name);
  }

  createPartitions(name: string, totalCount: number, assignments: number[][], validateOnly: boolean): Promise<AdminResult> {
    return this.#admin.createPartitions(name, totalCount, assignments, validateOnly);
  }

  alterTopicConfigs(name: string, configs: Record<string, string | null>, mode: 'replace' | 'incremental', validateOnly: boolean): Promise<AdminResult> {
    return this.#admin.alterTopicConfigs(name, configs, mode, validateOnly);
  }

  alterBrokerConfigs(entity: string, configs: Record<string, string | null>, mode: 'replace' | 'incremental', validateOnly: boolean): Promise<AdminResult> {
    return this.#admin.alterBrokerConfigs(entity, configs, mode, validateOnly);
  }

  alterPartitionReassignments(changes: ReassignmentChange[]): Promise<ReassignmentOutcome[]> {
    return this.#admin.alterPartitionReassignments(changes);
  }

  /** Kafka's /latest_producer_id_block, conditionally written (zk/producer-id-block.ts). */
  allocateProducerIdBlock(brokerId: number, size: number): Promise<ProducerIdBlock> {
    return allocateProducerIdBlockZk(this.#coord, brokerId, size);
  }

  alterPartitionIsr(change: IsrChange): Promise<IsrChangeResult> {
    return this.#admin.alterPartitionIsr(change);
  }

  electPreferredLeaders(partitions: Array<{ topic: string; partition: number }> | null): Promise<PreferredElectionResult[]> {
    return this.#admin.electPreferredLeaders(partitions);
  }

  scramCredentials(users: string[] | null): Promise<Map<string, Record<string, string>>> {
    return this.#admin.scramCredentials(users);
  }

  alterScramCredentials(changes: ScramCredentialChange[]): Promise<AdminResult> {
    return this.#admin.alterScramCredentials(changes);
  }

  // -------------------------------------------------------------------------------------------
  // Stopping

  /**
   * Controlled shutdown: asks the controller (ephemeral /samsa/controlled_shutdown/<id>) to move
   * leadership away from this broker and take it out of ISRs, then waits until this broker leads no
   * partition that another in-sync replica could lead, or `timeoutMs` passes. Returns the partitions
   * still led here. A replica that is itself in controlled shutdown cannot lead, so when every broker
   * stops at once (samsa cluster start's Ctrl-C) none waits for the others.
   */
  async controlledShutdown(timeoutMs: number): Promise<number> {
    if (!this.#cache.registered) return 0;
    const self = this.opts.brokerId;
    try {
      await this.#coord.create(paths.controlledShutdownOf(self), Buffer.alloc(0), { ephemeral: true });
    } catch (err) {
      if (!isCoordinationError(err, 'nodeExists')) throw err;
    }
    this.#log.info('controlled shutdown: asking the controller to move leadership away');
    const movable = (img: MetadataImage): number =>
      [...img.topics.values()].flatMap((t) => t.partitions).filter((p) => p.leader === self && p.isr.some((id) => id !== self && img.brokers.has(id) && !this.#cache.stopping.has(id))).length;
    await this.#images.waitFor((img) => movable(img) === 0, timeoutMs);
    const left = movable(this.#images.image);
    this.#log.info({ partitionsStillLed: left }, 'controlled shutdown: leadership moved');
    return left;
  }

  async close(): Promise<void> {
    this.#cache.closed = true;
    this.#retryTimer?.cancel();
    this.#images.close();
    await this.#active.close();
  }
}

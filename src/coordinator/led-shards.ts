/**
 * LedShards: one shard per partition of an internal compacted topic that this broker leads, the
 * ownership both coordinators share (groups over `__consumer_offsets`, transactional ids over
 * `__transaction_state`).
 *
 * Leadership gained (ReplicaManager's `onLeadershipChange`, at a leader epoch) → a new shard is made
 * and loaded from the log (again at a new epoch, even if no loss was seen in between); leadership lost
 * → the shard is closed and dropped. A load that finds the log not yet readable as leader (replication
 * still applying the image) is retried shortly while leadership holds. Without a leadership source
 * (unit tests) the owner follows the metadata image and calls `load`/`unload` itself; a retry then
 * hands the current image back to it (`onImage`).
 *
 * `lookup` answers in the protocol's codes: COORDINATOR_NOT_AVAILABLE once stopped, NOT_COORDINATOR
 * for a partition not led here, COORDINATOR_LOAD_IN_PROGRESS while loading. `findCoordinator` is
 * FindCoordinator's common part: the topic created on first use, the partition leader's address.
 */
import type { Logger } from 'pino';
import type { Controller, CreateTopicSpec } from '../cluster/controller.js';
import type { MetadataImage } from '../cluster/metadata-image.js';
import type { Clock } from '../io/clock.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { LeadershipChange } from '../replication/replica-manager.js';

/** How long FindCoordinator waits for a shard that is loading here before answering anyway. */
export const FIND_COORDINATOR_LOAD_WAIT_MS = 5_000;
/** Delay before loading a led partition again when its log was not readable yet. */
const SHARD_LOAD_RETRY_MS = 500;

/** What LedShards needs of a shard. */
export interface LedShard {
  readonly status: string;
  readonly active: boolean;
  /** False: closed meanwhile, or the partition is not readable as leader yet (retried). */
  load(): Promise<boolean>;
  close(): void;
}

/** Leadership of this broker's partitions (ReplicaManager). */
export interface LeadershipSource {
  onLeadershipChange(listener: (change: LeadershipChange) => void): void;
}

export interface CoordinatorLookup {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

export type ShardLookup<S> = { shard: S; errorCode: typeof ErrorCode.NONE } | { shard: null; errorCode: number };

export interface LedShardsOptions<S extends LedShard> {
  topic: string;
  brokerId: number;
  clock: Clock;
  controller: Controller;
  log: Logger;
  /** Absent: the owner follows the image's leader field (unit tests). */
  leadership: LeadershipSource | undefined;
  /** The topic as created on first FindCoordinator. */
  topicSpec(): CreateTopicSpec;
  /** What a shard holds, for log lines: a field name ('groups') and a noun ('groups'). */
  items: { field: string; noun: string; count(shard: S): number };
  create(partition: number, leaderEpoch: number): S;
  /** After a shard loaded. */
  loaded(shard: S): void;
  /** After a shard was closed and dropped. */
  unloaded(shard: S): void;
  /** The owner's metadata image handler: called at start, on every image, and (without a leadership source) on a load retry. */
  onImage(image: MetadataImage): void;
}

export class LedShards<S extends LedShard> {
  readonly #opts: LedShardsOptions<S>;
  readonly #shards = new Map<number, S>();
  readonly #loads = new Map<S, Promise<void>>();
  /** With a leadership source: the partitions it says we lead, and at which epoch. */
  readonly #led = new Map<number, number>();
  #creatingTopic: Promise<void> | null = null;
  #stopped = false;

  constructor(opts: LedShardsOptions<S>) {
    this.#opts = opts;
  }

  /** Subscribes to the leadership source, if any, then to the metadata image (applying the current one). */
  start(): void {
    this.#opts.leadership?.onLeadershipChange((c) => {
      if (c.topic === this.#opts.topic) this.#onLeadership(c.partition, c.isLeader, c.leaderEpoch);
    });
    this.#opts.controller.subscribe((image) => this.#opts.onImage(image));
    this.#opts.onImage(this.#opts.controller.image);
  }

  /** Unloads every shard; lookups answer COORDINATOR_NOT_AVAILABLE from now on. */
  stop(): void {
    this.#stopped = true;
    for (const p of [...this.#shards.keys()]) this.unload(p, 'broker shutting down');
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  get(partition: number): S | undefined {
    return this.#shards.get(partition);
  }

  has(partition: number): boolean {
    return this.#shards.has(partition);
  }

  /** A snapshot: callers may unload while iterating. */
  entries(): Array<[number, S]> {
    return [...this.#shards];
  }

  values(): IterableIterator<S> {
    return this.#shards.values();
  }

  /** The load in progress of a shard, if any. */
  loading(shard: S): Promise<void> | undefined {
    return this.#loads.get(shard);
  }

  /** Test and admin view: the status of each led partition's shard. */
  statuses(): Map<number, string> {
    return new Map([...this.#shards].map(([p, s]) => [p, s.status]));
  }

  lookup(partition: number): ShardLookup<S> {
    if (this.#stopped) return { shard: null, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const shard = this.#shards.get(partition);
    if (!shard) return { shard: null, errorCode: ErrorCode.NOT_COORDINATOR };
    if (shard.status === 'loading') return { shard: null, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
    return { shard, errorCode: ErrorCode.NONE };
  }

  /** From the leadership source: load on a gain (again, at a new epoch), unload on a loss. */
  #onLeadership(partition: number, isLeader: boolean, leaderEpoch: number): void {
    if (this.#stopped) return;
    if (!isLeader) {
      if (this.#led.get(partition) === leaderEpoch) this.#led.delete(partition);
      this.unload(partition, 'no longer the partition leader');
      return;
    }
    this.#led.set(partition, leaderEpoch);
    this.unload(partition, `leader again at epoch ${leaderEpoch}`);
    this.load(partition, leaderEpoch);
  }

  load(partition: number, leaderEpoch: number): void {
    const { log, topic } = this.#opts;
    const shard = this.#opts.create(partition, leaderEpoch);
    this.#shards.set(partition, shard);
    log.info({ partition, leaderEpoch }, `became the coordinator of a ${topic} partition; loading`);
    const done = shard
      .load()
      .then((ok) => {
        if (ok) {
          this.#opts.loaded(shard);
        } else if (this.#shards.get(partition) === shard) {
          this.#shards.delete(partition);
          this.#opts.clock.setTimer(SHARD_LOAD_RETRY_MS, () => this.#retryLoad(partition), { unref: true });
        }
      })
      .catch((err: unknown) => {
        // Leadership moved on while loading (the shard was closed or replaced): nothing went wrong.
        if (this.#shards.get(partition) !== shard || shard.status === 'closed') log.info({ err, partition }, 'loading stopped: leadership moved on');
        else log.error({ err, partition }, `loading ${topic} partition failed; its ${this.#opts.items.noun} are unavailable until leadership changes`);
        shard.close();
        if (this.#shards.get(partition) === shard) this.#shards.delete(partition);
      })
      .finally(() => this.#loads.delete(shard));
    this.#loads.set(shard, done);
  }

  /** A load found the log not readable as leader yet: again, while leadership still names us. */
  #retryLoad(partition: number): void {
    if (this.#stopped || this.#shards.has(partition)) return;
    if (this.#opts.leadership === undefined) this.#opts.onImage(this.#opts.controller.image);
    else if (this.#led.has(partition)) this.load(partition, this.#led.get(partition)!);
  }

  unload(partition: number, reason: string): void {
    const shard = this.#shards.get(partition);
    if (!shard) return;
    this.#shards.delete(partition);
    shard.close();
    this.#opts.unloaded(shard);
    const { items } = this.#opts;
    this.#opts.log.info({ partition, [items.field]: items.count(shard), reason }, `unloaded ${this.#opts.topic} partition`);
  }

  /**
   * The broker coordinating the key of `partitionOf`, creating the topic on first use; when that is
   * this broker, `awaitShard` may wait (bounded) for the partition's shard first.
   */
  async findCoordinator(partitionOf: (image: MetadataImage) => number, awaitShard: (partition: number) => Promise<void>): Promise<CoordinatorLookup> {
    const fail = (errorCode: number, errorMessage: string): CoordinatorLookup => ({ errorCode, errorMessage, nodeId: -1, host: '', port: -1 });
    const { controller, topic: name } = this.#opts;
    if (this.#stopped) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is shutting down.');
    if (!controller.image.topics.has(name)) await this.#ensureTopic();
    const image = controller.image;
    const topic = image.topics.get(name);
    if (!topic) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `The internal topic ${name} is not available yet.`);
    const partition = partitionOf(image);
    const leaderId = topic.partitions[partition]!.leader;
    const leader = image.brokers.get(leaderId);
    if (!leader) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${name}-${partition} has no live leader.`);
    if (leaderId === this.#opts.brokerId) await awaitShard(partition);
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: leader.id, host: leader.host, port: leader.port };
  }

  /** Creates the topic once at a time (concurrent FindCoordinators share the attempt). */
  #ensureTopic(): Promise<void> {
    this.#creatingTopic ??= (async () => {
      const spec = this.#opts.topicSpec();
      const result = await this.#opts.controller.createTopic(spec);
      if (result.ok) this.#opts.log.info({ partitions: spec.numPartitions }, `created ${spec.name}`);
      else if (result.error !== 'topicAlreadyExists') this.#opts.log.warn({ error: result.error, message: result.message }, `creating ${spec.name} failed`);
    })().finally(() => {
      this.#creatingTopic = null;
    });
    return this.#creatingTopic;
  }
}

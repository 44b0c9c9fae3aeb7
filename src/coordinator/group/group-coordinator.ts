/**
 * GroupCoordinator: the broker's consumer group coordinator (classic protocol) and offset store.
 *
 * Groups are spread over the partitions of the internal compacted topic `__consumer_offsets`
 * (created on first FindCoordinator with offsets.topic.num.partitions partitions): group g lives in
 * partition abs(javaHashCode(g)) % partitions, Kafka's formula, and is coordinated by that
 * partition's leader. This broker keeps a CoordinatorShard for every such partition it leads:
 * leadership gained → the shard is loaded from the log (requests answer COORDINATOR_LOAD_IN_PROGRESS
 * meanwhile); leadership lost → parked requests are answered NOT_COORDINATOR and the shard is dropped.
 * In a broker, leadership comes from ReplicaManager's `onLeadershipChange` hook (the moment the
 * partition's log is ours to append to, and a new leader epoch reloads even if no image in between
 * showed the loss); without that source (unit tests) it follows the metadata image's leader field. Requests for groups of partitions not led here answer
 * NOT_COORDINATOR; FindCoordinator answers with the partition leader, wherever it is.
 *
 * Membership logic is in ClassicRebalancer, offsets in OffsetManager; this class routes, checks
 * ownership and the request-level rules, persists group metadata and runs offset expiry.
 *
 * Error vocabulary: the coordinator answers in the protocol's own error codes. Its outcomes ARE the
 * group protocol's defined errors (ILLEGAL_GENERATION, FENCED_INSTANCE_ID, ...), one to one, so a
 * separate internal kind per code would only restate them; storage failures still arrive as kinds
 * (WriteFailure) and are mapped here, at the coordinator's edge.
 *
 * KIP-848 (ConsumerGroupHeartbeat, server-side assignment) fits beside this: a `ConsumerGroup`
 * type next to ClassicGroup in the same shard (same partition → coordinator mapping, same offset
 * store and records with key versions 3+ for its state), a heartbeat-driven reconciliation instead
 * of join/sync barriers, and server-side assignors. Offsets and FindCoordinator are shared.
 *
 * Owned by Broker: created at start, `start()` subscribes to metadata, `shutdown()` answers every
 * parked request before the server drains connections.
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { Controller } from '../../cluster/controller.js';
import type { MetadataImage } from '../../cluster/metadata-image.js';
import { sleepOn, type Clock, type Timer } from '../../io/clock.js';
import type { Random } from '../../io/random.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { writeFailureCode, type OffsetsTopicLog, type WriteFailure } from '../offsets/offsets-topic-log.js';
import { FIND_COORDINATOR_LOAD_WAIT_MS, LedShards, type CoordinatorLookup, type LeadershipSource, type ShardLookup } from '../led-shards.js';
import { encodeGroupMetadataKey, encodeGroupMetadataValue, encodeOffsetCommitKey, OFFSETS_TOPIC, offsetsPartitionFor } from '../offsets/records.js';
import { ClassicGroup, GROUP_STATES, type JoinGroupResult, type SyncGroupResult } from './classic-group.js';
import {
  ClassicRebalancer,
  joinError,
  syncError,
  type GroupSettings,
  type HeartbeatRequest,
  type JoinRequest,
  type LeavingMember,
  type SyncRequest,
} from './classic-rebalance.js';
import { CoordinatorShard } from './coordinator-shard.js';
import { DeadlineQueue } from './deadline-queue.js';
import { allPartitions, OffsetManager, type CommitRequest, type FetchedTopics, type PartitionResults, type TxnCommitRequest } from './offset-manager.js';

const EMPTY = Buffer.alloc(0);
/** Kafka's offset.metadata.max.bytes default (no typed broker key yet; read from the raw config). */
const OFFSET_METADATA_MAX_BYTES_DEFAULT = 4096;

export interface GroupCoordinatorOptions {
  brokerId: number;
  config: BrokerConfig;
  clock: Clock;
  random: Random;
  controller: Controller;
  offsetsLog: OffsetsTopicLog;
  log: Logger;
  /** Leadership of this broker's partitions (ReplicaManager); absent: follow the image's leader field. */
  leadership?: LeadershipSource;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: Array<{
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    memberMetadata: Buffer;
    memberAssignment: Buffer;
  }>;
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
}

/** What /metrics reads about the groups coordinated here (src/metrics/collect.ts). */
export interface GroupMetricsView {
  groups: Array<{ groupId: string; state: string; members: number; offsets: ReadonlyMap<string, ReadonlyMap<number, { offset: number }>> }>;
  completedRebalances: number;
}

export class GroupCoordinator {
  readonly #opts: GroupCoordinatorOptions;
  readonly #log: Logger;
  readonly #timers: DeadlineQueue;
  readonly #rebalancer: ClassicRebalancer;
  readonly #offsets: OffsetManager;
  readonly #settings: GroupSettings;
  readonly #shards: LedShards<CoordinatorShard>;
  #offsetsTopicId: string | null = null;
  /** Topic name → id in the last image seen, to notice deleted topics. */
  #topicIds = new Map<string, string>();
  #expiryTimer: Timer | null = null;
  #expiryRunning = false;

  constructor(opts: GroupCoordinatorOptions) {
    this.#opts = opts;
    this.#log = opts.log;
    const config = opts.config;
    this.#settings = {
      initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
      minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
      maxSize: config.groupMaxSize,
    };
    this.#timers = new DeadlineQueue(opts.clock, (err, key) => this.#log.error({ err, timer: key }, 'group timer failed'));
    this.#rebalancer = new ClassicRebalancer({
      clock: opts.clock,
      random: opts.random,
      timers: this.#timers,
      settings: this.#settings,
      log: this.#log,
      storeGroup: (group, assignments) => this.#storeGroup(group, assignments),
    });
    const rawMetadataMax = Number(config.raw.get('offset.metadata.max.bytes') ?? OFFSET_METADATA_MAX_BYTES_DEFAULT);
    this.#offsets = new OffsetManager({
      clock: opts.clock,
      log: this.#log,
      settings: {
        metadataMaxBytes: Number.isSafeInteger(rawMetadataMax) && rawMetadataMax >= 0 ? rawMetadataMax : OFFSET_METADATA_MAX_BYTES_DEFAULT,
        retentionMs: config.offsetsRetentionMinutes * 60_000,
      },
      rebalancer: this.#rebalancer,
      image: () => this.#opts.controller.image,
    });
    this.#shards = new LedShards({
      topic: OFFSETS_TOPIC,
      brokerId: opts.brokerId,
      clock: opts.clock,
      controller: opts.controller,
      log: this.#log,
      leadership: opts.leadership,
      topicSpec: () => ({
        name: OFFSETS_TOPIC,
        numPartitions: config.offsetsTopicNumPartitions,
        replicationFactor: config.offsetsTopicReplicationFactor,
        assignments: [],
        configs: { 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': String(config.offsetsTopicSegmentBytes) },
        validateOnly: false,
      }),
      items: { field: 'groups', noun: 'groups', count: (shard) => shard.groups.size },
      create: (partition) => new CoordinatorShard(partition, opts.offsetsLog, opts.clock, this.#log),
      loaded: (shard) => {
        for (const group of shard.groups.values()) this.#rebalancer.onLoaded(group);
      },
      unloaded: (shard) => {
        for (const group of shard.groups.values()) this.#rebalancer.shutdownGroup(group, ErrorCode.NOT_COORDINATOR);
      },
      onImage: (image) => this.#onImage(image),
    });
  }

  get #stopped(): boolean {
    return this.#shards.stopped;
  }

  /** Follows the metadata image (shards for the partitions led here) and starts offset expiry. */
  start(): void {
    this.#shards.start();
    this.#expiryTimer = this.#opts.clock.setInterval(this.#opts.config.offsetsRetentionCheckIntervalMs, () => void this.runExpiry(), { unref: true });
  }

  /** Answers every parked JoinGroup/SyncGroup (NOT_COORDINATOR) and stops all timers. */
  shutdown(): void {
    this.#expiryTimer?.cancel();
    this.#shards.stop();
    this.#timers.close();
  }

  /** The __consumer_offsets partition of a group (the topic's actual partition count once it exists). */
  partitionFor(groupId: string, image: MetadataImage = this.#opts.controller.image): number {
    const topic = image.topics.get(OFFSETS_TOPIC);
    return offsetsPartitionFor(groupId, topic ? topic.partitions.length : this.#opts.config.offsetsTopicNumPartitions);
  }

  /** Metrics view: every group of the shards loaded here (Dead ones excluded), read-only. */
  metricsView(): GroupMetricsView {
    const groups: GroupMetricsView['groups'] = [];
    for (const shard of this.#shards.values()) {
      if (!shard.active) continue;
      for (const g of shard.groups.values()) {
        if (g.is('Dead')) continue;
        groups.push({ groupId: g.groupId, state: g.state, members: g.size, offsets: g.offsets });
      }
    }
    return { groups, completedRebalances: this.#rebalancer.completedRebalances };
  }

  /** Test and admin view: the shard state of each partition led here. */
  shardStatuses(): Map<number, string> {
    return this.#shards.statuses();
  }

  // ------------------------------------------------------------------------------- ownership

  #onImage(image: MetadataImage): void {
    if (this.#stopped) return;
    const topic = image.topics.get(OFFSETS_TOPIC);
    if (this.#opts.leadership === undefined) {
      // No leadership source: the image's leader field decides (its recreation unloads everything).
      if (topic && this.#offsetsTopicId !== null && topic.topicId !== this.#offsetsTopicId) {
        for (const [p] of this.#shards.entries()) this.#shards.unload(p, '__consumer_offsets was recreated');
      }
      const led = new Map<number, number>();
      if (topic) for (const p of topic.partitions) if (p.leader === this.#opts.brokerId) led.set(p.partition, p.leaderEpoch);
      for (const [p] of this.#shards.entries()) if (!led.has(p)) this.#shards.unload(p, 'no longer the partition leader');
      for (const [p, epoch] of led) if (!this.#shards.has(p)) this.#shards.load(p, epoch);
    }
    this.#offsetsTopicId = topic?.topicId ?? null;
    const deleted = [...this.#topicIds].filter(([name, id]) => image.topics.get(name)?.topicId !== id).map(([name]) => name);
    this.#topicIds = new Map([...image.topics.values()].map((t) => [t.name, t.topicId]));
    if (deleted.length > 0) void this.#removeOffsetsOfDeletedTopics(new Set(deleted));
  }

  /** A deleted (or recreated) topic's committed offsets go too, as in Kafka: tombstones per group. */
  async #removeOffsetsOfDeletedTopics(topics: ReadonlySet<string>): Promise<void> {
    for (const [, shard] of this.#shards.entries()) {
      if (!shard.active) continue;
      for (const group of [...shard.groups.values()]) {
        const gone: Array<{ topic: string; partition: number }> = [];
        for (const topic of topics) for (const partition of group.offsets.get(topic)?.keys() ?? []) gone.push({ topic, partition });
        if (gone.length === 0) continue;
        const failure = await shard.write(gone.map((g) => ({ key: encodeOffsetCommitKey(group.groupId, g.topic, g.partition), value: null })));
        if (failure !== null) {
          this.#log.warn({ group: group.groupId, failure }, 'removing offsets of deleted topics failed; they expire with the group');
          continue;
        }
        for (const g of gone) {
          group.deleteOffset(g.topic, g.partition);
          group.dropPendingTxnOffset(g.topic, g.partition);
        }
        this.#log.info({ group: group.groupId, topics: [...topics], partitions: gone.length }, 'removed committed offsets of deleted topics');
      }
    }
  }

  #shardFor(groupId: string): ShardLookup<CoordinatorShard> {
    return this.#shards.lookup(this.partitionFor(groupId));
  }

  // ------------------------------------------------------------------------------- FindCoordinator

  /** The broker coordinating `groupId`; creates __consumer_offsets on first use. */
  async findGroupCoordinator(groupId: string): Promise<CoordinatorLookup> {
    return this.#shards.findCoordinator((image) => this.partitionFor(groupId, image), (partition) => this.#awaitShard(partition));
  }

  /** Waits (bounded) for the loading shard of a partition the image says we lead. */
  async #awaitShard(partition: number): Promise<void> {
    const clock = this.#opts.clock;
    const deadline = clock.monotonicMs() + FIND_COORDINATOR_LOAD_WAIT_MS;
    for (;;) {
      const shard = this.#shards.get(partition);
      const loading = shard ? this.#shards.loading(shard) : undefined;
      const left = deadline - clock.monotonicMs();
      if (loading) await this.#waitBounded(loading, Math.max(0, left));
      // With a leadership source the image may name us before the replicas took the role: the
      // shard appears shortly (a just-created __consumer_offsets, a failover).
      if (loading || shard || this.#opts.leadership === undefined || this.#stopped || left <= 0) break;
      await sleepOn(clock, Math.min(20, left));
    }
  }

  #waitBounded(p: Promise<void>, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#opts.clock.setTimer(ms, resolve, { unref: true });
      void p.then(() => {
        timer.cancel();
        resolve();
      });
    });
  }

  // ------------------------------------------------------------------------------- membership

  joinGroup(req: JoinRequest): Promise<JoinGroupResult> {
    if (req.groupId === '') return Promise.resolve(joinError(req.memberId, ErrorCode.INVALID_GROUP_ID));
    const found = this.#shardFor(req.groupId);
    if (found.shard === null) return Promise.resolve(joinError(req.memberId, found.errorCode));
    const s = this.#settings;
    if (req.sessionTimeoutMs < s.minSessionTimeoutMs || req.sessionTimeoutMs > s.maxSessionTimeoutMs) {
      return Promise.resolve(joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const rebalanceTimeoutMs = req.rebalanceTimeoutMs > 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs;
    const shard = found.shard;
    const existing = shard.groups.get(req.groupId);
    if (existing) return this.#rebalancer.join(existing, { ...req, rebalanceTimeoutMs });
    if (req.memberId !== '') return Promise.resolve(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    const group = new ClassicGroup(req.groupId, this.#opts.clock.nowMs());
    shard.groups.set(req.groupId, group);
    return this.#rebalancer.join(group, { ...req, rebalanceTimeoutMs }).then((result) => {
      // A join that failed at once leaves nothing behind (no member, no pending id, no offsets).
      const untouched = group.is('Empty') && group.size === 0 && group.pendingMembers.size === 0 && !group.hasOffsets && group.generationId === 0;
      if (untouched && shard.groups.get(req.groupId) === group) shard.groups.delete(req.groupId);
      return result;
    });
  }

  syncGroup(groupId: string, req: SyncRequest): Promise<SyncGroupResult> {
    if (groupId === '') return Promise.resolve(syncError(ErrorCode.INVALID_GROUP_ID));
    const found = this.#shardFor(groupId);
    if (found.shard === null) return Promise.resolve(syncError(found.errorCode));
    const group = found.shard.groups.get(groupId);
    if (!group) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    return this.#rebalancer.sync(group, req);
  }

  heartbeat(groupId: string, req: HeartbeatRequest): number {
    if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
    const found = this.#shardFor(groupId);
    if (found.shard === null) return found.errorCode;
    const group = found.shard.groups.get(groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    return this.#rebalancer.heartbeat(group, req);
  }

  /** Top-level code plus one code per leaving member. An unknown group answers UNKNOWN_MEMBER_ID per member. */
  leaveGroup(groupId: string, leaving: readonly LeavingMember[]): { errorCode: number; members: number[] } {
    if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const found = this.#shardFor(groupId);
    if (found.shard === null) return { errorCode: found.errorCode, members: [] };
    const group = found.shard.groups.get(groupId);
    if (!group) return { errorCode: ErrorCode.NONE, members: leaving.map(() => ErrorCode.UNKNOWN_MEMBER_ID) };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    return { errorCode: ErrorCode.NONE, members: this.#rebalancer.leave(group, leaving) };
  }

  // ------------------------------------------------------------------------------- admin

  describeGroup(groupId: string): DescribedGroup {
    const base: DescribedGroup = { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    const found = this.#shardFor(groupId);
    if (found.shard === null) return { ...base, groupState: '', errorCode: found.errorCode };
    const group = found.shard.groups.get(groupId);
    if (!group) return base;
    const stable = group.is('Stable') && group.protocolName !== null;
    return {
      ...base,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? group.protocolName! : '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(group.protocolName!) : EMPTY,
        memberAssignment: stable ? m.assignment : EMPTY,
      })),
    };
  }

  /** Groups of every loaded partition; `statesFilter` (case-insensitive) empty or null = all states. */
  listGroups(statesFilter: readonly string[] | null): { errorCode: number; groups: ListedGroup[] } {
    const wanted = new Set((statesFilter ?? []).map((s) => s.toLowerCase()));
    let errorCode: number = ErrorCode.NONE;
    const groups: ListedGroup[] = [];
    for (const shard of this.#shards.values()) {
      if (shard.status === 'loading') {
        errorCode = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
        continue;
      }
      for (const g of shard.groups.values()) {
        if (g.is('Dead')) continue;
        if (wanted.size > 0 && !wanted.has(g.state.toLowerCase())) continue;
        groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state });
      }
    }
    groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
    return { errorCode, groups };
  }

  /** Whether `state` names a group state (ListGroups filters may name any string; unknown ones match nothing). */
  static isGroupState(state: string): boolean {
    return GROUP_STATES.some((s) => s.toLowerCase() === state.toLowerCase());
  }

  async deleteGroups(groupIds: readonly string[]): Promise<Array<{ groupId: string; errorCode: number }>> {
    return Promise.all(groupIds.map(async (groupId) => ({ groupId, errorCode: await this.#deleteGroup(groupId) })));
  }

  async #deleteGroup(groupId: string): Promise<number> {
    const found = this.#shardFor(groupId);
    if (found.shard === null) return found.errorCode;
    const shard = found.shard;
    const group = shard.groups.get(groupId);
    if (!group || group.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!group.is('Empty')) return ErrorCode.NON_EMPTY_GROUP;
    // Dead before the write: joins and commits arriving meanwhile answer COORDINATOR_NOT_AVAILABLE.
    group.transitionTo('Dead', this.#opts.clock.nowMs());
    const records: Array<{ key: Buffer; value: null }> = [];
    for (const [topic, byPartition] of group.offsets) {
      for (const partition of byPartition.keys()) records.push({ key: encodeOffsetCommitKey(groupId, topic, partition), value: null });
    }
    // Offsets of open transactions go too; their partitions without a committed offset need their
    // own tombstone (on load a plain tombstone also ends the pending ones, as Kafka's coordinator does).
    const pendingOnly = new Map<string, { topic: string; partition: number }>();
    for (const byKey of group.pendingTxnOffsets.values()) {
      for (const [key, p] of byKey) if (group.offset(p.topic, p.partition) === undefined) pendingOnly.set(key, p);
    }
    for (const p of pendingOnly.values()) records.push({ key: encodeOffsetCommitKey(groupId, p.topic, p.partition), value: null });
    records.push({ key: encodeGroupMetadataKey(groupId), value: null });
    const failure = await shard.write(records);
    if (failure !== null) {
      // Nothing changed on disk: put an Empty copy back so the group stays as the log says.
      if (shard.groups.get(groupId) === group) shard.groups.set(groupId, reviveEmpty(group, this.#opts.clock.nowMs()));
      return groupWriteErrorCode(failure);
    }
    this.#rebalancer.shutdownGroup(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (shard.groups.get(groupId) === group) shard.groups.delete(groupId);
    this.#log.info({ group: groupId, offsets: records.length - 1 }, 'deleted group');
    return ErrorCode.NONE;
  }

  // ------------------------------------------------------------------------------- offsets

  commitOffsets(req: CommitRequest): Promise<PartitionResults> {
    const found = this.#shardFor(req.groupId);
    if (found.shard === null) return Promise.resolve(allPartitions(req.topics, found.errorCode));
    return this.#offsets.commit(found.shard, req);
  }

  /** TxnOffsetCommit: offsets pending in the producer's transaction (an empty group id answers INVALID_GROUP_ID). */
  commitTxnOffsets(req: TxnCommitRequest): Promise<PartitionResults> {
    if (req.groupId === '') return Promise.resolve(allPartitions(req.topics, ErrorCode.INVALID_GROUP_ID));
    const found = this.#shardFor(req.groupId);
    if (found.shard === null) return Promise.resolve(allPartitions(req.topics, found.errorCode));
    return this.#offsets.txnCommit(found.shard, req);
  }

  /**
   * The producer's transaction marker (COMMIT or ABORT) was written to `__consumer_offsets`
   * partition `offsetsPartition` (the WriteTxnMarkers handler calls this once the marker is
   * committed): its pending offsets there become committed, or are dropped. A partition not led
   * here has nothing to do: its next leader replays the marker when it loads.
   */
  completeTransaction(offsetsPartition: number, producerId: bigint, commit: boolean): void {
    const shard = this.#shards.get(offsetsPartition);
    if (!shard) {
      this.#log.debug({ partition: offsetsPartition, producerId: String(producerId), commit }, 'transaction marker for a partition not loaded here');
      return;
    }
    const applied = shard.completeTransaction(producerId, commit);
    this.#log.debug({ partition: offsetsPartition, producerId: String(producerId), commit, applied }, 'completed transactional offsets');
  }

  fetchOffsets(
    groupId: string,
    topics: Array<{ name: string; partitionIndexes: number[] }> | null,
    requireStable: boolean,
  ): { errorCode: number; topics: FetchedTopics } {
    const found = this.#shardFor(groupId);
    if (found.shard === null) return { errorCode: found.errorCode, topics: [] };
    return { errorCode: ErrorCode.NONE, topics: this.#offsets.fetch(found.shard.groups.get(groupId), topics, requireStable) };
  }

  deleteOffsets(groupId: string, topics: Array<{ name: string; partitions: Array<{ partitionIndex: number }> }>): Promise<{ errorCode: number; topics: PartitionResults }> {
    const found = this.#shardFor(groupId);
    if (found.shard === null) return Promise.resolve({ errorCode: found.errorCode, topics: [] });
    return this.#offsets.deleteOffsets(found.shard, groupId, topics);
  }

  /** One offset-expiry pass over every loaded partition (what the retention check timer runs). */
  async runExpiry(): Promise<void> {
    if (this.#expiryRunning || this.#stopped) return;
    this.#expiryRunning = true;
    try {
      for (const shard of [...this.#shards.values()]) {
        if (!shard.active) continue;
        await this.#offsets.expire(shard);
      }
    } catch (err) {
      // Logged and retried next interval; a failed write already left the state as the log has it.
      this.#log.error({ err }, 'offset expiry pass failed');
    } finally {
      this.#expiryRunning = false;
    }
  }

  // ------------------------------------------------------------------------------- persistence

  async #storeGroup(group: ClassicGroup, assignments?: ReadonlyMap<string, Buffer>): Promise<number> {
    const shard = this.#shards.get(this.partitionFor(group.groupId));
    if (!shard || !shard.active) return ErrorCode.NOT_COORDINATOR;
    const protocol = group.protocolName;
    const value = encodeGroupMetadataValue({
      protocolType: group.protocolType ?? '',
      generation: group.generationId,
      protocol,
      leader: group.leaderId,
      currentStateTimestampMs: group.currentStateTimestampMs,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: protocol !== null ? m.metadataFor(protocol) : EMPTY,
        assignment: assignments?.get(m.memberId) ?? m.assignment,
      })),
    });
    const failure = await shard.write([{ key: encodeGroupMetadataKey(group.groupId), value }]);
    return failure === null ? ErrorCode.NONE : groupWriteErrorCode(failure);
  }
}

function groupWriteErrorCode(failure: WriteFailure): number {
  // tooLarge: a group metadata record over the limit (our bug, or a huge assignment).
  return writeFailureCode(failure, { tooLarge: ErrorCode.UNKNOWN_SERVER_ERROR, invalidProducerEpoch: ErrorCode.INVALID_PRODUCER_EPOCH });
}

/** An Empty group with the same stored state as a group whose deletion failed to write. */
function reviveEmpty(dead: ClassicGroup, nowMs: number): ClassicGroup {
  const group = new ClassicGroup(dead.groupId, nowMs);
  group.generationId = dead.generationId;
  group.protocolType = dead.protocolType;
  for (const [topic, byPartition] of dead.offsets) for (const [p, v] of byPartition) group.setOffset(topic, p, v);
  for (const [producerId, byKey] of dead.pendingTxnOffsets) for (const p of byKey.values()) group.addPendingTxnOffset(producerId, p);
  return group;
}

/** Kafka's form of a member's host in DescribeGroups: "/<ip>" (the connection's address without its port). */
export function clientHostOf(address: string): string {
  const colon = address.lastIndexOf(':');
  const host = colon > 0 ? address.slice(0, colon) : address;
  return `/${host.replace(/^::ffff:/, '')}`;
}

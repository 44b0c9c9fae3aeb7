/**
 * ReplicaManager: the partitions this broker hosts and what handlers do with them (≈ Kafka's
 * ReplicaManager). It follows the metadata image: for every partition with a replica here it keeps
 * a log, a leader epoch cache and a Partition (replication state), and on each image it makes the
 * partition leader (at the image's leaderEpoch), follower (of the image's leader: a ReplicaFetcher
 * per source broker replicates it, truncating a divergent tail first) or neither.
 *
 * As leader it appends produced batches, records what followers fetch (their fetchOffset is their
 * log end offset), moves the high watermark (min log end offset over the ISR, never down), and asks
 * the controller to change the ISR (`Controller.alterPartitionIsr`, conditional on the partition
 * epoch; on 'fenced' it waits for the next image): a follower joins when it reaches the high
 * watermark and the start of the current epoch, and leaves when it has not caught up for
 * replica.lag.time.max.ms (one timer per broker checks every led partition).
 *
 * acks=all produces wait in a delayed-produce purgatory until the high watermark passes their last
 * offset (or the ISR falls below min.insync.replicas: NOT_ENOUGH_REPLICAS_AFTER_APPEND, or the
 * timeout: REQUEST_TIMED_OUT). Losing leadership (any image where this broker no longer leads the
 * partition, including one published after our ZooKeeper session expired) completes every waiting
 * produce of that partition with NOT_LEADER_OR_FOLLOWER at once: a write is acknowledged only while
 * we lead and only once the whole ISR we know has it.
 *
 * Single node: every partition is led here with ISR = [self], so the high watermark is the log end
 * after each append and acks=all answers at once, exactly as before replication existed.
 *
 * Owned by Broker; lives for the process. `shutdown()` stops fetchers and the ISR timer.
 */
import * as path from 'node:path';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { toLogConfig } from '../config/topic-config.js';
import { forEachLimit } from '../for-each-limit.js';
import type { LogConfig } from '../storage/log-config.js';
import { isThrottledReplica, ReplicationThrottle } from './throttle.js';
import type { Controller } from '../cluster/controller.js';
import { brokerEndpoint, type MetadataImage, type PartitionInfo, type TopicInfo } from '../cluster/metadata-image.js';
import type { Clock, Timer } from '../io/clock.js';
import type { Disk } from '../io/disk.js';
import { limits } from '../limits.js';
import type { LogManager } from '../storage/log-manager.js';
import type { PartitionLog, TxnMarker } from '../storage/partition-log.js';
import { StorageError } from '../storage/errors.js';
import { LeaderEpochCache } from '../storage/leader-epoch-cache.js';
import { checkpointKey, readOffsetCheckpoint, sameCheckpointEntries, writeOffsetCheckpoint, type CheckpointEntry } from '../storage/checkpoint-file.js';
import type { Connector } from './connector.js';
import { Partition } from './partition.js';
import { Purgatory } from './purgatory.js';
import { ReplicaFetcher } from './replica-fetcher.js';

/** The failure kinds every caller handles (`classify`). */
export type PartitionError = 'unknownTopicOrPartition' | 'notLeader' | 'storage' | 'offsetOutOfRange';

/** All failure kinds, including replication's (`classifyAll`; handlers/errors.ts maps each to a code). */
export type ReplicationErrorKind =
  | PartitionError
  | 'fencedLeaderEpoch'
  | 'unknownLeaderEpoch'
  | 'notEnoughReplicas'
  | 'notEnoughReplicasAfterAppend'
  | 'requestTimedOut';

export class ReplicaError extends Error {
  constructor(
    readonly kind: ReplicationErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'ReplicaError';
  }
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  /** The leader epoch the batches were written in. */
  leaderEpoch: number;
}

/** This broker started leading a partition (at `leaderEpoch`) or stopped leading it (`onLeadershipChange`). */
export interface LeadershipChange {
  topic: string;
  partition: number;
  isLeader: boolean;
  leaderEpoch: number;
}

/** How an acks=all wait ended. */
export type CommitOutcome = 'committed' | 'notLeader' | 'notEnoughReplicasAfterAppend' | 'timedOut';

export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export interface ReplicaManagerDeps {
  /** Receives alterPartitionIsr requests; without it the ISR never changes (single node). */
  controller?: Controller;
  /** Every timer and timestamp (ISR checks, checkpoints, the produce purgatory, fetcher backoffs). */
  clock: Clock;
  /** Outbound connections for replica fetchers (connector.ts: netConnector over the io Net). */
  connector: Connector;
}

/** How long a transaction marker may wait for the ISR (Kafka uses request.timeout.ms, default 30 s). */
const MARKER_COMMIT_TIMEOUT_MS = 30_000;
/** Partitions new to this process opened or created at once by applyImage (issue 15: 10,000 partitions). */
const NEW_PARTITIONS_CONCURRENCY = 32;

/** Smallest ISR check interval, whatever replica.lag.time.max.ms says. */
const ISR_CHECK_INTERVAL_MS_MIN = 50;

/**
 * Kafka's high-watermark checkpoint, one per log dir, in the offset checkpoint text format
 * (storage/checkpoint-file.ts): "0", count, "topic partition highWatermark" lines. Written every
 * replica.high.watermark.checkpoint.interval.ms and at shutdown; read when a partition is first
 * hosted after a start, so a restarted replica does not take its whole log as committed.
 */
export const HIGH_WATERMARK_CHECKPOINT_FILE = 'replication-offset-checkpoint';

/**
 * Which of the num.replica.fetchers fetchers of a source broker replicates a partition: Kafka's
 * rule, abs(31 * topic.hashCode + partition) mod n, with Java's String.hashCode.
 */
export function fetcherIndex(topic: string, partition: number, fetchersPerSource: number): number {
  const n = Math.max(1, fetchersPerSource);
  let h = 0;
  for (let i = 0; i < topic.length; i++) h = (Math.imul(31, h) + topic.charCodeAt(i)) | 0;
  const v = (Math.imul(31, h) + partition) | 0;
  // Kafka's Utils.abs maps Integer.MIN_VALUE to 0 (v & 0x7fffffff), not to a negative number.
  return (v === -2147483648 ? 0 : Math.abs(v)) % n;
}

function fetcherKey(sourceBrokerId: number, index: number): string {
  return `${sourceBrokerId}/${index}`;
}

export class ReplicaManager {
  private image: MetadataImage | null = null;
  private readonly partitions = new Map<string, Partition>();
  /** Replica fetchers by source broker and fetcher index (num.replica.fetchers per source; fetcherKey). */
  private readonly fetchers = new Map<string, ReplicaFetcher>();
  private readonly producePurgatory: Purgatory;
  private readonly clock: Clock;
  private readonly connector: Connector;
  private controller: Controller | null;
  private isrTimer: Timer | null = null;
  private checkpointTimer: Timer | null = null;
  private checkpointWrite: Promise<void> = Promise.resolve();
  /** Checkpointed high watermarks per log dir, read once per process (a promise: new partitions load concurrently). */
  private readonly checkpointed = new Map<string, Promise<Map<string, number>>>();
  /** What each log dir's checkpoint last held, to skip unchanged rewrites. */
  private readonly lastCheckpoint = new Map<string, CheckpointEntry[]>();
  private applying: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Leadership hook (group coordinator): partition key → leader epoch of what listeners were last told we lead. */
  private readonly announcedLeadership = new Map<string, LeadershipChange>();
  private readonly leadershipListeners: Array<(change: LeadershipChange) => void> = [];
  /**
   * Counted in place for /metrics (src/metrics/collect.ts): ISR changes of partitions led here as
   * the controller confirmed them (Kafka's IsrShrinksPerSec / IsrExpandsPerSec), and record bytes
   * appended as a follower (ReplicationBytesInPerSec).
   */
  readonly stats = { isrShrinks: 0, isrExpands: 0, replicationBytesIn: 0 };

  /** Replication throttles (throttle.ts), rates from the (dynamic) broker config. */
  private readonly leaderThrottle: ReplicationThrottle;
  private readonly followerThrottle: ReplicationThrottle;

  constructor(
    private readonly brokerId: number,
    private config: BrokerConfig,
    private readonly logs: LogManager,
    private readonly fetchPurgatory: Purgatory,
    private readonly log: Logger,
    deps: ReplicaManagerDeps,
  ) {
    this.clock = deps.clock;
    this.connector = deps.connector;
    this.controller = deps.controller ?? null;
    this.producePurgatory = new Purgatory(this.clock, limits.purgatoryEntriesMax, (err) => log.error({ err }, 'delayed produce failed'));
    this.leaderThrottle = new ReplicationThrottle(config.leaderReplicationThrottledRate);
    this.followerThrottle = new ReplicationThrottle(config.followerReplicationThrottledRate);
  }

  /**
   * The broker's effective config changed (dynamic broker configs): new throttle rates now; the
   * next applyImage() gives every hosted log its topic config again, so new log.* defaults reach
   * the partitions without overrides (Broker calls it right after).
   */
  setBrokerConfig(config: BrokerConfig): void {
    this.config = config;
    this.leaderThrottle.setRate(config.leaderReplicationThrottledRate);
    this.followerThrottle.setRate(config.followerReplicationThrottledRate);
  }

  /**
   * Leader side of a follower fetch: true when this partition's data must be left out of the answer
   * to `followerId` now (a throttled replica, not in the ISR, while the leader quota is exceeded).
   */
  leaderThrottled(topic: string, partition: number, followerId: number): boolean {
    if (this.leaderThrottle.unlimited) return false;
    const value = this.image?.topics.get(topic)?.configs['leader.replication.throttled.replicas'];
    if (!isThrottledReplica(value, partition, this.brokerId)) return false;
    if (this.partitions.get(partitionKey(topic, partition))?.isr.includes(followerId)) return false;
    return this.leaderThrottle.exceeded(this.clock.monotonicMs());
  }

  /** Counts bytes served to a follower for a throttled replica of ours (see leaderThrottled). */
  recordLeaderThrottled(topic: string, partition: number, followerId: number, bytes: number): void {
    if (this.leaderThrottle.unlimited || bytes === 0) return;
    const value = this.image?.topics.get(topic)?.configs['leader.replication.throttled.replicas'];
    if (!isThrottledReplica(value, partition, this.brokerId)) return;
    if (this.partitions.get(partitionKey(topic, partition))?.isr.includes(followerId)) return;
    this.leaderThrottle.record(bytes, this.clock.monotonicMs());
  }

  /** Follower side: whether our replica of `p` is throttled (listed, and not in the ISR). */
  private followerThrottled(p: Partition): boolean {
    if (this.followerThrottle.unlimited) return false;
    const value = this.image?.topics.get(p.topic)?.configs['follower.replication.throttled.replicas'];
    return isThrottledReplica(value, p.partition, this.brokerId) && !p.isr.includes(this.brokerId);
  }

  /** Late wiring for owners that build the controller after the ReplicaManager. */
  setController(controller: Controller): void {
    this.controller = controller;
  }

  /**
   * Calls `listener` whenever this broker starts leading a partition at a new leader epoch
   * (isLeader true) or stops leading it (isLeader false: follower, no leader, deleted, reassigned
   * away), after the role has changed here: a leader's log is appendable (after `leaderReady`), a
   * former leader's acks=all waits have failed. A re-election at a newer epoch without an observed
   * loss is reported as a loss then a gain. Synchronous, from applyImage; listeners must not throw.
   */
  onLeadershipChange(listener: (change: LeadershipChange) => void): void {
    this.leadershipListeners.push(listener);
    for (const c of this.announcedLeadership.values()) listener(c);
  }

  /** Tells leadership listeners what changed since they were last told (diff of led partitions and epochs). */
  private announceLeadership(): void {
    // Kept even without listeners: a listener registered later hears the current state first.
    const led = new Map<string, LeadershipChange>();
    for (const [key, p] of this.partitions) if (p.isLeader) led.set(key, { topic: p.topic, partition: p.partition, isLeader: true, leaderEpoch: p.leaderEpoch });
    const changes: LeadershipChange[] = [];
    for (const [key, was] of this.announcedLeadership) {
      if (led.get(key)?.leaderEpoch === was.leaderEpoch) continue;
      this.announcedLeadership.delete(key);
      changes.push({ ...was, isLeader: false });
    }
    for (const [key, now] of led) {
      if (this.announcedLeadership.has(key)) continue;
      this.announcedLeadership.set(key, now);
      changes.push(now);
    }
    for (const c of changes) for (const l of this.leadershipListeners) l(c);
  }

  /** Brings local logs and replica roles in line with a new metadata image (images apply in order). */
  applyImage(image: MetadataImage): Promise<void> {
    const run = this.applying.then(() => this.apply(image));
    this.applying = run.catch(() => undefined);
    return run;
  }

  private async apply(image: MetadataImage): Promise<void> {
    if (this.stopped) return;
    this.image = image;
    const nowMs = this.clock.monotonicMs();
    // 1. Role changes of partitions we already host, synchronously, before any I/O: a broker that
    //    no longer leads fails its waiting acks=all produces at once.
    const hostedKeys = new Set<string>();
    const missing: Array<{ key: string; topic: TopicInfo; info: PartitionInfo }> = [];
    for (const topic of image.topics.values()) {
      for (const info of topic.partitions) {
        if (!info.replicas.includes(this.brokerId)) continue;
        const key = partitionKey(topic.name, info.partition);
        hostedKeys.add(key);
        const p = this.partitions.get(key);
        const plog = this.logs.getLog(topic.name, info.partition);
        if (p && plog && p.log === plog && !plog.closed) {
          plog.updateConfig(toLogConfig(this.config, topic.configs));
          this.applyPartition(key, p, info, nowMs);
        } else {
          if (p) {
            // Its log went away (topic deleted and re-created): the old state ends here.
            this.removeFromFetchers(key);
            p.stop(null);
            this.producePurgatory.checkAndComplete(key);
          }
          missing.push({ key, topic, info });
        }
      }
    }
    for (const [key, p] of this.partitions) {
      if (hostedKeys.has(key)) continue;
      // No longer a replica here (topic deleted or reassigned away).
      this.removeFromFetchers(key);
      p.stop(null);
      this.partitions.delete(key);
      this.producePurgatory.checkAndComplete(key);
    }
    this.announceLeadership();
    // 2. Partitions new to this process: open or create the log, load its epochs and checkpointed
    //    high watermark, then take the role.
    //    Partitions are independent: up to NEW_PARTITIONS_CONCURRENCY at once (10,000 partitions at
    //    start or in one CreateTopics would otherwise wait on each other's file calls one by one).
    const logConfigs = new Map<TopicInfo, LogConfig>();
    await forEachLimit(missing, NEW_PARTITIONS_CONCURRENCY, async ({ key, topic, info }) => {
      let logConfig = logConfigs.get(topic);
      if (!logConfig) logConfigs.set(topic, (logConfig = toLogConfig(this.config, topic.configs)));
      let plog = this.logs.getLog(topic.name, info.partition);
      if (plog) plog.updateConfig(logConfig);
      else plog = await this.logs.createLog(topic.name, info.partition, logConfig);
      const epochs = await LeaderEpochCache.load(plog.disk, plog.dir, plog.logEndOffset, (why) =>
        this.log.warn({ topic: topic.name, partition: info.partition, why }, 'ignoring malformed leader-epoch-checkpoint'),
      );
      const p = new Partition(topic.name, info.partition, plog, epochs, this.brokerId);
      const hw = (await this.checkpointedHighWatermarks(plog.disk, path.dirname(plog.dir))).get(checkpointKey(topic.name, info.partition));
      if (hw !== undefined && hw < plog.highWatermark) plog.highWatermark = hw;
      this.removeFromFetchers(key);
      this.partitions.set(key, p);
      this.applyPartition(key, p, info, this.clock.monotonicMs());
    });
    this.announceLeadership();
    this.ensureIsrTimer();
    for (const plog of this.logs.allLogs()) {
      const topic = image.topics.get(plog.topic);
      // Reassigned away (the topic still exists but this broker is no longer among the replicas):
      // Kafka's StopReplica with delete. Never the case on a single node (it holds every replica).
      const movedAway = topic !== undefined && plog.partition < topic.partitions.length && !topic.partitions[plog.partition]!.replicas.includes(this.brokerId);
      if (!topic || plog.partition >= topic.partitions.length || movedAway) {
        this.log.info({ topic: plog.topic, partition: plog.partition }, movedAway ? 'deleting log of a replica reassigned away from this broker' : 'deleting log of removed topic/partition');
        await this.logs.deleteLog(plog.topic, plog.partition);
        this.fetchPurgatory.checkAndComplete(partitionKey(plog.topic, plog.partition));
      }
    }
    await this.stopIdleFetchers();
  }

  private applyPartition(key: string, p: Partition, info: PartitionInfo, nowMs: number): void {
    if (info.leader === this.brokerId) {
      const wasLeader = p.isLeader;
      if (p.becomeLeader(info, nowMs)) {
        this.removeFromFetchers(key);
        this.log.info({ topic: p.topic, partition: p.partition, leaderEpoch: info.leaderEpoch, isr: info.isr, wasLeader }, 'became leader');
      }
      if (p.maybeIncrementHighWatermark()) this.fetchPurgatory.checkAndComplete(key);
    } else if (info.leader >= 0) {
      const wasLeader = p.isLeader;
      const index = fetcherIndex(p.topic, p.partition, this.config.numReplicaFetchers);
      if (p.becomeFollower(info) || !this.fetchers.get(fetcherKey(info.leader, index))?.has(key, p, info.leaderEpoch)) {
        this.removeFromFetchers(key);
        this.fetcherFor(info.leader, index).addPartition(key, p, info.leaderEpoch);
        this.log.info({ topic: p.topic, partition: p.partition, leader: info.leader, leaderEpoch: info.leaderEpoch, wasLeader }, 'became follower');
      }
    } else if (p.stop(info)) {
      this.removeFromFetchers(key);
      this.log.info({ topic: p.topic, partition: p.partition }, 'partition has no leader; stopped');
    }
    // Waiting acks=all produces re-check: they fail when we no longer lead; ISR changes may end them.
    this.producePurgatory.checkAndComplete(key);
  }

  private fetcherFor(leaderId: number, index: number): ReplicaFetcher {
    const fkey = fetcherKey(leaderId, index);
    let f = this.fetchers.get(fkey);
    if (!f) {
      const manager = this; // the fetcher reads the current (dynamic) config and throttle through these
      f = new ReplicaFetcher(leaderId, index, {
        localBrokerId: this.brokerId,
        get config() {
          return manager.config;
        },
        throttle: {
          throttled: (p) => this.followerThrottled(p),
          exceeded: () => this.followerThrottle.exceeded(this.clock.monotonicMs()),
          record: (bytes) => this.followerThrottle.record(bytes, this.clock.monotonicMs()),
        },
        clock: this.clock,
        connector: this.connector,
        onAppended: (bytes) => {
          this.stats.replicationBytesIn += bytes;
        },
        // Replication goes over inter.broker.listener.name (or security.inter.broker.protocol's listener).
        endpoint: (id) => {
          const b = this.image?.brokers.get(id);
          return b ? brokerEndpoint(b, this.config.interBrokerListenerName) : null;
        },
        log: this.log.child({ fetcherSource: leaderId, fetcherId: index }),
      });
      this.fetchers.set(fkey, f);
    }
    return f;
  }

  private removeFromFetchers(key: string): void {
    for (const f of this.fetchers.values()) f.removePartition(key);
  }

  private async stopIdleFetchers(): Promise<void> {
    for (const [id, f] of [...this.fetchers]) {
      if (f.size > 0) continue;
      this.fetchers.delete(id);
      await f.stop();
    }
  }

  // ---------------------------------------------------------------- leader operations (handlers)

  /** The partition if this broker leads it (and `currentLeaderEpoch`, when given (>= 0), matches ours). */
  leaderPartition(topic: string, partition: number, currentLeaderEpoch = -1): Partition {
    const info = this.image?.partition(topic, partition);
    const p = this.partitions.get(partitionKey(topic, partition));
    if (!info || !p) throw new ReplicaError('unknownTopicOrPartition', `unknown ${topic}-${partition}`);
    checkLeaderEpoch(p, currentLeaderEpoch);
    if (!p.isLeader) throw new ReplicaError('notLeader', `broker ${this.brokerId} does not lead ${topic}-${partition}`);
    return p;
  }

  /** The leader log for (topic, partition) or a ReplicaError. */
  leaderLog(topic: string, partition: number, currentLeaderEpoch = -1): PartitionLog {
    return this.leaderPartition(topic, partition, currentLeaderEpoch).log;
  }

  minInsyncReplicas(topic: string): number {
    const configured = this.image?.topics.get(topic)?.configs['min.insync.replicas'];
    const n = configured === undefined ? this.config.minInsyncReplicas : Number(configured);
    return Number.isInteger(n) && n >= 1 ? n : this.config.minInsyncReplicas;
  }

  /**
   * Appends produced batches as leader. With `requiredAcks` -1 the ISR must hold at least
   * min.insync.replicas replicas first (else NOT_ENOUGH_REPLICAS, nothing appended).
   */
  async appendAsLeader(topic: string, partition: number, records: Buffer, opts: { requiredAcks?: number } = {}): Promise<AppendResult> {
    let p = this.leaderPartition(topic, partition);
    if (opts.requiredAcks === -1) {
      const minIsr = this.minInsyncReplicas(topic);
      if (p.isr.length < minIsr) {
        throw new ReplicaError('notEnoughReplicas', `${topic}-${partition}: ISR ${JSON.stringify(p.isr)} is smaller than min.insync.replicas ${minIsr}`);
      }
    }
    await p.leaderReady;
    p = this.leaderPartition(topic, partition); // leadership may have moved while we waited
    const leaderEpoch = p.leaderEpoch;
    const result = await p.log.appendAsLeader(records, { leaderEpoch });
    // A duplicate (idempotent retry) wrote nothing: its original offsets may predate this epoch.
    if (result.duplicate !== true) p.epochs.assign(leaderEpoch, result.baseOffset);
    const key = partitionKey(topic, partition);
    if (p.maybeIncrementHighWatermark()) this.producePurgatory.checkAndComplete(key);
    this.fetchPurgatory.checkAndComplete(key);
    return {
      baseOffset: result.baseOffset,
      lastOffset: result.lastOffset,
      logAppendTimeMs: result.logAppendTimeMs,
      logStartOffset: p.log.logStartOffset,
      leaderEpoch,
    };
  }

  /**
   * WriteTxnMarkers (server side): writes a transaction marker as leader with acks=all semantics:
   * the ISR must hold min.insync.replicas first (else 'notEnoughReplicas', nothing written); the
   * result comes once the high watermark passes the marker ('notLeader',
   * 'notEnoughReplicasAfterAppend' or 'requestTimedOut' ReplicaErrors otherwise). Producer-state
   * refusals (stale producer epoch, fenced coordinator epoch) reject with the ProducerStateError.
   * Fetches waiting on the partition are woken: the last stable offset may move.
   */
  async appendControlAsLeader(topic: string, partition: number, marker: TxnMarker, opts: { timeoutMs?: number } = {}): Promise<AppendResult> {
    let p = this.leaderPartition(topic, partition);
    const minIsr = this.minInsyncReplicas(topic);
    if (p.isr.length < minIsr) {
      throw new ReplicaError('notEnoughReplicas', `${topic}-${partition}: ISR ${JSON.stringify(p.isr)} is smaller than min.insync.replicas ${minIsr}`);
    }
    await p.leaderReady;
    p = this.leaderPartition(topic, partition);
    const leaderEpoch = p.leaderEpoch;
    const result = await p.log.appendControlAsLeader(marker, leaderEpoch, this.clock.nowMs());
    p.epochs.assign(leaderEpoch, result.baseOffset);
    const key = partitionKey(topic, partition);
    if (p.maybeIncrementHighWatermark()) this.producePurgatory.checkAndComplete(key);
    this.fetchPurgatory.checkAndComplete(key);
    const outcome = await this.waitForCommit(topic, partition, result.lastOffset, opts.timeoutMs ?? MARKER_COMMIT_TIMEOUT_MS);
    if (outcome === 'notLeader') throw new ReplicaError('notLeader', `${topic}-${partition}: leadership moved before the marker at ${result.baseOffset} was committed`);
    if (outcome === 'notEnoughReplicasAfterAppend') {
      throw new ReplicaError('notEnoughReplicasAfterAppend', `${topic}-${partition}: the ISR fell below min.insync.replicas ${minIsr} before the marker was committed`);
    }
    if (outcome === 'timedOut') throw new ReplicaError('requestTimedOut', `${topic}-${partition}: the marker at ${result.baseOffset} was not replicated in time`);
    return { baseOffset: result.baseOffset, lastOffset: result.lastOffset, logAppendTimeMs: -1, logStartOffset: p.log.logStartOffset, leaderEpoch };
  }

  /**
   * acks=all: resolves once the high watermark passes `lastOffset` while we still lead, or with why
   * not (leadership lost, ISR below min.insync.replicas, `timeoutMs` passed).
   */
  waitForCommit(topic: string, partition: number, lastOffset: number, timeoutMs: number): Promise<CommitOutcome> {
    const key = partitionKey(topic, partition);
    const p = this.partitions.get(key);
    const minIsr = this.minInsyncReplicas(topic);
    const check = (): CommitOutcome | null => {
      if (this.partitions.get(key) !== p || !p?.isLeader) return 'notLeader';
      if (p.log.highWatermark > lastOffset) return p.isr.length >= minIsr ? 'committed' : 'notEnoughReplicasAfterAppend';
      if (p.isr.length < minIsr) return 'notEnoughReplicasAfterAppend';
      return null;
    };
    const now = check();
    if (now !== null) return Promise.resolve(now);
    return new Promise<CommitOutcome>((resolve) => {
      const watching = this.producePurgatory.watch(
        [key],
        {
          tryComplete: () => {
            const outcome = check();
            if (outcome === null) return false;
            resolve(outcome);
            return true;
          },
          onExpire: () => resolve(check() ?? 'timedOut'),
        },
        timeoutMs,
      );
      if (!watching) resolve('timedOut');
    });
  }

  /**
   * A follower's Fetch reached us (before its data is read): its fetchOffset becomes its log end
   * offset; the high watermark and the ISR may move. Errors are left to the read that follows.
   */
  recordFollowerFetch(topic: string, partition: number, replicaId: number, fetchOffset: number, currentLeaderEpoch: number): void {
    let p: Partition;
    try {
      p = this.leaderPartition(topic, partition, currentLeaderEpoch);
    } catch {
      return;
    }
    if (fetchOffset < p.log.logStartOffset || fetchOffset > p.log.logEndOffset) return;
    const { expandIsr } = p.onFollowerFetch(replicaId, fetchOffset, this.clock.monotonicMs());
    this.afterLeaderStateChange(p);
    if (expandIsr) this.alterIsr(p, [...p.isr, replicaId], 'expand');
  }

  /** OffsetForLeaderEpoch: end offset of `leaderEpoch` (the largest epoch <= it that this log knows). */
  endOffsetForEpoch(topic: string, partition: number, currentLeaderEpoch: number, leaderEpoch: number): { leaderEpoch: number; endOffset: number } {
    const p = this.leaderPartition(topic, partition, currentLeaderEpoch);
    const r = p.epochs.endOffsetFor(leaderEpoch, p.log.logEndOffset);
    return { leaderEpoch: r.epoch, endOffset: r.endOffset };
  }

  private afterLeaderStateChange(p: Partition): void {
    if (p.maybeIncrementHighWatermark()) {
      const key = partitionKey(p.topic, p.partition);
      this.producePurgatory.checkAndComplete(key);
      this.fetchPurgatory.checkAndComplete(key);
    }
  }

  // ---------------------------------------------------------------- ISR changes

  private checkpointedHighWatermarks(disk: Disk, logDir: string): Promise<Map<string, number>> {
    let m = this.checkpointed.get(logDir);
    if (m) return m;
    const file = path.join(logDir, HIGH_WATERMARK_CHECKPOINT_FILE);
    m = readOffsetCheckpoint(disk, file).then((read) => {
      if (typeof read === 'string') this.log.warn({ file, reason: read }, 'ignoring malformed high-watermark checkpoint');
      return read instanceof Map ? read : new Map<string, number>();
    });
    // A failed read is not cached: the next partition tries again.
    m.catch(() => this.checkpointed.delete(logDir));
    this.checkpointed.set(logDir, m);
    return m;
  }

  /** Writes every log dir's high-watermark checkpoint (serialised; skipped when nothing is hosted). */
  checkpointHighWatermarks(): Promise<void> {
    const run = this.checkpointWrite.then(async () => {
      const byDir = new Map<string, Array<{ topic: string; partition: number; offset: number }>>();
      for (const dir of this.logs.logDirs) byDir.set(dir, []);
      for (const p of this.partitions.values()) {
        if (p.log.closed) continue;
        const dir = path.dirname(p.log.dir);
        let list = byDir.get(dir);
        if (!list) byDir.set(dir, (list = []));
        list.push({ topic: p.topic, partition: p.partition, offset: p.log.highWatermark });
      }
      const first = [...this.partitions.values()][0];
      if (!first) return;
      for (const [dir, entries] of byDir) {
        if (sameCheckpointEntries(this.lastCheckpoint.get(dir), entries)) continue;
        await writeOffsetCheckpoint(first.log.disk, path.join(dir, HIGH_WATERMARK_CHECKPOINT_FILE), entries);
        this.lastCheckpoint.set(dir, entries);
      }
    });
    this.checkpointWrite = run.catch((err: unknown) => this.log.warn({ err }, 'writing the high-watermark checkpoint failed'));
    return this.checkpointWrite;
  }

  private ensureIsrTimer(): void {
    if (this.checkpointTimer === null && !this.stopped) {
      this.checkpointTimer = this.clock.setInterval(Math.max(100, this.config.replicaHighWatermarkCheckpointIntervalMs), () => void this.checkpointHighWatermarks(), {
        unref: true,
      });
    }
    if (this.isrTimer !== null || this.stopped) return;
    const intervalMs = Math.max(ISR_CHECK_INTERVAL_MS_MIN, Math.floor(this.config.replicaLagTimeMaxMs / 2));
    this.isrTimer = this.clock.setInterval(intervalMs, () => this.checkIsrLag(), { unref: true });
  }

  /**
   * The single per-broker lag check: drops followers not caught up for replica.lag.time.max.ms from
   * the ISR of every led partition, and re-sends ISR changes whose earlier call failed unanswered.
   */
  checkIsrLag(): void {
    const nowMs = this.clock.monotonicMs();
    for (const p of this.partitions.values()) {
      if (!p.isLeader || p.alterInFlight) continue;
      if (p.pendingIsr !== null) {
        this.alterIsr(p, [...p.pendingIsr], 'retry');
        continue;
      }
      if (p.fencedAtPartitionEpoch === p.partitionEpoch) continue;
      const out = p.outOfSyncReplicas(nowMs, this.config.replicaLagTimeMaxMs);
      if (out.length === 0) continue;
      this.alterIsr(p, p.isr.filter((id) => !out.includes(id)), 'shrink');
    }
  }

  private alterIsr(p: Partition, isr: number[], why: 'expand' | 'shrink' | 'retry'): void {
    const controller = this.controller;
    if (controller === null || p.alterInFlight || p.fencedAtPartitionEpoch === p.partitionEpoch) return;
    if (why !== 'retry' && p.pendingIsr !== null) return;
    const leaderEpoch = p.leaderEpoch;
    const partitionEpoch = why === 'retry' ? p.pendingAtPartitionEpoch : p.partitionEpoch;
    const fromIsr = p.isr;
    p.pendingIsr = isr;
    p.pendingAtPartitionEpoch = partitionEpoch;
    p.alterInFlight = true;
    this.log.info({ topic: p.topic, partition: p.partition, from: p.isr, to: isr, leaderEpoch, partitionEpoch }, `asking the controller to ${why} the ISR`);
    const settle = (): boolean => {
      const mine = p.pendingIsr === isr;
      if (mine) p.alterInFlight = false;
      return mine && p.isLeader && p.leaderEpoch === leaderEpoch;
    };
    controller
      .alterPartitionIsr({ topic: p.topic, partition: p.partition, leaderId: this.brokerId, leaderEpoch, partitionEpoch, isr })
      .then(
        (result) => {
          if (!settle()) return;
          if (result.ok) {
            p.pendingIsr = null;
            // Counted against the ISR when the change was asked for: the new image may be in force already.
            if (isr.some((id) => !fromIsr.includes(id))) this.stats.isrExpands++;
            if (fromIsr.some((id) => !isr.includes(id))) this.stats.isrShrinks++;
            if (result.partitionEpoch > p.partitionEpoch) {
              p.isr = isr;
              p.partitionEpoch = result.partitionEpoch;
            }
          } else if (result.error === 'fenced') {
            // The partition moved on (maybe through our own earlier, unanswered call): the next
            // image says how; until then the pending members still count.
            this.log.info({ topic: p.topic, partition: p.partition, partitionEpoch }, 'ISR change fenced; waiting for the next image');
            if (p.partitionEpoch > partitionEpoch) p.pendingIsr = null;
            else p.fencedAtPartitionEpoch = partitionEpoch;
          } else if (result.error === 'notController' || result.error === 'unavailable') {
            // Outcome unknown: the pending members still count; checkIsrLag retries (conditional on
            // the same partition epoch, so a change that did land is fenced and the image settles it).
            this.log.info({ topic: p.topic, partition: p.partition, error: result.error }, 'ISR change not confirmed; will retry');
          } else {
            this.log.warn({ topic: p.topic, partition: p.partition, error: result.error }, 'ISR change refused');
            p.pendingIsr = null;
          }
          this.afterLeaderStateChange(p);
          this.producePurgatory.checkAndComplete(partitionKey(p.topic, p.partition));
        },
        (err: unknown) => {
          // Outcome unknown: keep counting the pending members; the ISR timer retries, a newer image settles it.
          settle();
          this.log.warn({ topic: p.topic, partition: p.partition, err }, 'ISR change failed without an answer; will retry');
        },
      );
  }

  /** Every hosted replica's last leader epoch and log end (published with the broker's registration). */
  logEnds(): Array<{ topic: string; partition: number; lastEpoch: number; logEndOffset: number }> {
    return [...this.partitions.values()].map((p) => ({ topic: p.topic, partition: p.partition, lastEpoch: p.epochs.latestEpoch, logEndOffset: p.log.logEndOffset }));
  }

  // ---------------------------------------------------------------- lifecycle

  /** Stops fetchers and the ISR timer; waiting acks=all produces time out (never acknowledged). */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.isrTimer?.cancel();
    this.isrTimer = null;
    this.checkpointTimer?.cancel();
    this.checkpointTimer = null;
    for (const p of this.partitions.values()) p.stop(null);
    this.producePurgatory.expireAll();
    await Promise.all([...this.fetchers.values()].map((f) => f.stop()));
    this.fetchers.clear();
    await this.checkpointHighWatermarks();
  }

  /** acks=all produces waiting for replication (Kafka's Produce purgatory size). */
  get producePurgatorySize(): number {
    return this.producePurgatory.pending;
  }

  /** The hosted partition (tests, tools). */
  partitionState(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(partitionKey(topic, partition));
  }

  /** Every hosted partition, for observers (the simulator's invariant checks, metrics); read-only by contract. */
  hostedPartitions(): Partition[] {
    return [...this.partitions.values()];
  }

  /**
   * Maps failures to the basic partition kinds; null for anything else (our bugs). Replication's
   * own kinds fold into the nearest basic one (epoch fencing → notLeader: refresh metadata and
   * retry), for callers that only know those; handlers use `classifyAll`.
   */
  static classify(err: unknown): PartitionError | null {
    const kind = ReplicaManager.classifyAll(err);
    switch (kind) {
      case null:
      case 'unknownTopicOrPartition':
      case 'notLeader':
      case 'storage':
      case 'offsetOutOfRange':
        return kind;
      case 'fencedLeaderEpoch':
      case 'unknownLeaderEpoch':
      case 'notEnoughReplicas':
      case 'notEnoughReplicasAfterAppend':
      case 'requestTimedOut':
        return 'notLeader';
    }
  }

  /** Maps failures to every partition error kind; null for anything else (our bugs). */
  static classifyAll(err: unknown): ReplicationErrorKind | null {
    if (err instanceof ReplicaError) return err.kind;
    if (err instanceof StorageError) return err.kind === 'offsetOutOfRange' ? 'offsetOutOfRange' : 'storage';
    return null;
  }
}

/** currentLeaderEpoch (Fetch v9+, ListOffsets v4+, OffsetForLeaderEpoch v2+): -1 skips the check. */
function checkLeaderEpoch(p: Partition, currentLeaderEpoch: number): void {
  if (currentLeaderEpoch < 0) return;
  if (currentLeaderEpoch < p.leaderEpoch) {
    throw new ReplicaError('fencedLeaderEpoch', `${p.topic}-${p.partition}: epoch ${currentLeaderEpoch} is older than ${p.leaderEpoch}`);
  }
  if (currentLeaderEpoch > p.leaderEpoch) {
    throw new ReplicaError('unknownLeaderEpoch', `${p.topic}-${p.partition}: epoch ${currentLeaderEpoch} is newer than ${p.leaderEpoch}`);
  }
}

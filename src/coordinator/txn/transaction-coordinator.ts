/**
 * TransactionCoordinator: the broker's transaction coordinator (KIP-98), the facade the
 * transactional API handlers call.
 *
 * Ownership mirrors the group coordinator: transactional ids are spread over the partitions of the
 * compacted internal topic `__transaction_state` (created on first FindCoordinator keyType 1 with
 * transaction.state.log.num.partitions partitions, .replication.factor, .min.isr, .segment.bytes),
 * id → partition by Kafka's formula, and the partition's leader coordinates them. This broker keeps a
 * TxnShard per such partition it leads, loaded on gaining leadership (requests answer
 * COORDINATOR_LOAD_IN_PROGRESS meanwhile) and dropped on losing it (NOT_COORDINATOR). The shard's
 * coordinator epoch is the partition's leader epoch; markers carry it so partition leaders refuse a
 * deposed coordinator's markers.
 *
 * Every state change is written to `__transaction_state` (acks=all) before it takes effect
 * (TransactionMetadata's prepare/complete transitions). EndTxn answers once PrepareCommit /
 * PrepareAbort is durable; the markers are written asynchronously by TxnMarkerSender, and only then
 * is CompleteCommit / CompleteAbort written. Until then EndTxn for the id answers
 * CONCURRENT_TRANSACTIONS; InitProducerId and AddPartitionsToTxn first wait (up to
 * COMPLETION_WAIT_MS_MAX) for the completion in flight, so a producer starting its next transaction
 * right away is not sent into the client's 20 ms retry backoff, and answer CONCURRENT_TRANSACTIONS
 * only if it is still not done. A shard loaded with transactions in Prepare* resumes
 * their markers, so a coordinator crash between the two writes still completes the transaction.
 *
 * Timers: every transaction.abort.timed.out.transaction.cleanup.interval.ms, ongoing transactions
 * past their timeout are aborted with a bumped epoch (the old producer is fenced, as in Kafka);
 * every transaction.remove.expired.transaction.cleanup.interval.ms, ids idle for
 * transactional.id.expiration.ms in Empty/Complete* are removed (tombstone).
 *
 * Answers are the protocol's error codes. PRODUCER_FENCED is answered as such; handlers turn it into
 * INVALID_PRODUCER_EPOCH for request versions older than the one that introduced it.
 */
import type { Logger } from 'pino';
import type { Controller } from '../../cluster/controller.js';
import type { MetadataImage } from '../../cluster/metadata-image.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { Clock, Timer } from '../../io/clock.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { LeadershipChange } from '../../replication/replica-manager.js';
import type { OffsetsTopicLog, WriteFailure } from '../offsets/offsets-topic-log.js';
import { OFFSETS_TOPIC } from '../offsets/records.js';
import type { TxnMarkerSender } from './marker-sender.js';
import { ProducerIdAllocationError, type ProducerIdManager } from './producer-id-manager.js';
import { TXN_STATE_TOPIC, TXN_STATES, txnStatePartitionFor, type TxnState, type TxnTopicPartitions } from './records.js';
import { TransactionMetadata, unionPartitions, type TxnTransit } from './txn-metadata.js';
import { TxnShard } from './txn-shard.js';

const FIND_COORDINATOR_LOAD_WAIT_MS = 5_000;
const SHARD_LOAD_RETRY_MS = 500;
const COMPLETE_WRITE_RETRY_MS = 200;
const COMPLETE_WRITE_ATTEMPTS_MAX = 50;
/**
 * How long InitProducerId / AddPartitionsToTxn / AddOffsetsToTxn wait for the previous transaction
 * of their id to complete (markers, then the Complete record) before answering
 * CONCURRENT_TRANSACTIONS. Completion on one broker takes ~0.5 ms (p99 ~5 ms), while a client that is
 * refused retries only after 20 ms (librdkafka, the Java producer) or more; back-to-back
 * transactions hit that window a few times in a hundred. Past this bound (markers being retried: a
 * leader is down) the answer is CONCURRENT_TRANSACTIONS as before.
 */
const COMPLETION_WAIT_MS_MAX = 100;

export interface TransactionCoordinatorOptions {
  brokerId: number;
  config: BrokerConfig;
  clock: Clock;
  controller: Controller;
  stateLog: OffsetsTopicLog;
  producerIds: ProducerIdManager;
  markers: TxnMarkerSender;
  log: Logger;
  /** The __consumer_offsets partition of a group (AddOffsetsToTxn). */
  offsetsPartitionFor(groupId: string): number;
  leadership?: { onLeadershipChange(listener: (change: LeadershipChange) => void): void };
}

export interface TxnCoordinatorLookup {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface DescribedTxn {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: bigint;
  producerId: bigint;
  producerEpoch: number;
  topics: Array<{ topic: string; partitions: number[] }>;
}

export interface ListedTxn {
  transactionalId: string;
  producerId: bigint;
  transactionState: string;
}

type Found = { shard: TxnShard; meta: TransactionMetadata | undefined; errorCode: typeof ErrorCode.NONE } | { shard: null; meta: undefined; errorCode: number };

export class TransactionCoordinator {
  readonly #opts: TransactionCoordinatorOptions;
  readonly #log: Logger;
  readonly #shards = new Map<number, TxnShard>();
  readonly #loads = new Map<TxnShard, Promise<void>>();
  /** With a leadership source: the partitions it says we lead, at which leader epoch. */
  readonly #led = new Map<number, number>();
  #creatingTopic: Promise<void> | null = null;
  readonly #timers: Timer[] = [];
  /** Transactions whose markers and Complete record are being written, and when that ends. */
  readonly #completing = new Map<TransactionMetadata, Promise<void>>();
  #stopped = false;

  constructor(opts: TransactionCoordinatorOptions) {
    this.#opts = opts;
    this.#log = opts.log;
  }

  start(): void {
    this.#opts.leadership?.onLeadershipChange((c) => {
      if (c.topic === TXN_STATE_TOPIC) this.#onLeadership(c.partition, c.isLeader, c.leaderEpoch);
    });
    this.#opts.controller.subscribe((image) => this.#onImage(image));
    this.#onImage(this.#opts.controller.image);
    const config = this.#opts.config;
    const clock = this.#opts.clock;
    this.#timers.push(clock.setInterval(config.transactionAbortTimedOutTransactionCleanupIntervalMs, () => void this.abortTimedOutTransactions(), { unref: true }));
    this.#timers.push(clock.setInterval(config.transactionRemoveExpiredTransactionCleanupIntervalMs, () => void this.removeExpiredTransactionalIds(), { unref: true }));
  }

  shutdown(): void {
    this.#stopped = true;
    for (const t of this.#timers) t.cancel();
    this.#opts.markers.stop();
    for (const p of [...this.#shards.keys()]) this.#unloadShard(p, 'broker shutting down');
  }

  partitionFor(transactionalId: string, image: MetadataImage = this.#opts.controller.image): number {
    const topic = image.topics.get(TXN_STATE_TOPIC);
    return txnStatePartitionFor(transactionalId, topic ? topic.partitions.length : this.#opts.config.transactionStateLogNumPartitions);
  }

  /** Test and admin view: shard status per led partition. */
  shardStatuses(): Map<number, string> {
    return new Map([...this.#shards].map(([p, s]) => [p, s.status]));
  }

  // ------------------------------------------------------------------------------- ownership

  #onLeadership(partition: number, isLeader: boolean, leaderEpoch: number): void {
    if (this.#stopped) return;
    if (!isLeader) {
      if (this.#led.get(partition) === leaderEpoch) this.#led.delete(partition);
      this.#unloadShard(partition, 'no longer the partition leader');
      return;
    }
    this.#led.set(partition, leaderEpoch);
    this.#unloadShard(partition, `leader again at epoch ${leaderEpoch}`);
    this.#loadShard(partition, leaderEpoch);
  }

  #onImage(image: MetadataImage): void {
    if (this.#stopped || this.#opts.leadership !== undefined) return;
    const topic = image.topics.get(TXN_STATE_TOPIC);
    const led = new Map<number, number>();
    if (topic) for (const p of topic.partitions) if (p.leader === this.#opts.brokerId) led.set(p.partition, p.leaderEpoch);
    for (const [p, shard] of [...this.#shards]) if (led.get(p) !== shard.coordinatorEpoch) this.#unloadShard(p, 'no longer the partition leader');
    for (const [p, epoch] of led) if (!this.#shards.has(p)) this.#loadShard(p, epoch);
  }

  #loadShard(partition: number, coordinatorEpoch: number): void {
    const shard = new TxnShard(partition, coordinatorEpoch, this.#opts.stateLog, this.#opts.clock, this.#log);
    this.#shards.set(partition, shard);
    this.#log.info({ partition, coordinatorEpoch }, 'became the coordinator of a __transaction_state partition; loading');
    const done = shard
      .load()
      .then((ok) => {
        if (ok) {
          for (const meta of shard.txns.values()) if (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') this.#completeInBackground(shard, meta);
        } else if (this.#shards.get(partition) === shard) {
          this.#shards.delete(partition);
          // Not readable as leader yet (replication still applying the image): try again shortly.
          this.#opts.clock.setTimer(SHARD_LOAD_RETRY_MS, () => {
            if (this.#stopped || this.#shards.has(partition)) return;
            if (this.#opts.leadership === undefined) this.#onImage(this.#opts.controller.image);
            else if (this.#led.has(partition)) this.#loadShard(partition, this.#led.get(partition)!);
          }, { unref: true });
        }
      })
      .catch((err: unknown) => {
        if (this.#shards.get(partition) !== shard || shard.status === 'closed') this.#log.info({ err, partition }, 'loading stopped: leadership moved on');
        else this.#log.error({ err, partition }, 'loading __transaction_state partition failed; its transactional ids are unavailable until leadership changes');
        shard.close();
        if (this.#shards.get(partition) === shard) this.#shards.delete(partition);
      })
      .finally(() => this.#loads.delete(shard));
    this.#loads.set(shard, done);
  }

  #unloadShard(partition: number, reason: string): void {
    const shard = this.#shards.get(partition);
    if (!shard) return;
    this.#shards.delete(partition);
    shard.close();
    this.#log.info({ partition, transactionalIds: shard.txns.size, reason }, 'unloaded __transaction_state partition');
  }

  #owns(shard: TxnShard): boolean {
    return !this.#stopped && this.#shards.get(shard.partition) === shard && shard.active;
  }

  #find(transactionalId: string): Found {
    if (this.#stopped) return { shard: null, meta: undefined, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    const shard = this.#shards.get(this.partitionFor(transactionalId));
    if (!shard) return { shard: null, meta: undefined, errorCode: ErrorCode.NOT_COORDINATOR };
    if (shard.status === 'loading') return { shard: null, meta: undefined, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
    return { shard, meta: shard.txns.get(transactionalId), errorCode: ErrorCode.NONE };
  }

  // ------------------------------------------------------------------------------- FindCoordinator

  async findCoordinator(transactionalId: string): Promise<TxnCoordinatorLookup> {
    const fail = (errorCode: number, errorMessage: string): TxnCoordinatorLookup => ({ errorCode, errorMessage, nodeId: -1, host: '', port: -1 });
    if (this.#stopped) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is shutting down.');
    if (!this.#opts.controller.image.topics.has(TXN_STATE_TOPIC)) await this.#ensureTopic();
    const image = this.#opts.controller.image;
    const topic = image.topics.get(TXN_STATE_TOPIC);
    if (!topic) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `The internal topic ${TXN_STATE_TOPIC} is not available yet.`);
    const partition = this.partitionFor(transactionalId, image);
    const leaderId = topic.partitions[partition]!.leader;
    const leader = image.brokers.get(leaderId);
    if (!leader) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${TXN_STATE_TOPIC}-${partition} has no live leader.`);
    if (leaderId === this.#opts.brokerId) await this.#awaitShard(partition);
    return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: leader.id, host: leader.host, port: leader.port };
  }

  /** Waits (bounded) for the shard of a partition the image says we lead to appear and load. */
  async #awaitShard(partition: number): Promise<void> {
    const clock = this.#opts.clock;
    const deadline = clock.monotonicMs() + FIND_COORDINATOR_LOAD_WAIT_MS;
    for (;;) {
      const shard = this.#shards.get(partition);
      if (shard?.active || this.#stopped) return;
      const left = deadline - clock.monotonicMs();
      if (left <= 0) return;
      await new Promise<void>((resolve) => clock.setTimer(Math.min(20, left), resolve, { unref: true }));
    }
  }

  #ensureTopic(): Promise<void> {
    this.#creatingTopic ??= (async () => {
      const config = this.#opts.config;
      const result = await this.#opts.controller.createTopic({
        name: TXN_STATE_TOPIC,
        numPartitions: config.transactionStateLogNumPartitions,
        replicationFactor: config.transactionStateLogReplicationFactor,
        assignments: [],
        configs: {
          'cleanup.policy': 'compact',
          'compression.type': 'uncompressed',
          'min.insync.replicas': String(config.transactionStateLogMinIsr),
          'segment.bytes': String(config.transactionStateLogSegmentBytes),
          'unclean.leader.election.enable': 'false',
        },
        validateOnly: false,
      });
      if (result.ok) this.#log.info({ partitions: config.transactionStateLogNumPartitions }, `created ${TXN_STATE_TOPIC}`);
      else if (result.error !== 'topicAlreadyExists') this.#log.warn({ error: result.error, message: result.message }, `creating ${TXN_STATE_TOPIC} failed`);
    })().finally(() => {
      this.#creatingTopic = null;
    });
    return this.#creatingTopic;
  }

  // ------------------------------------------------------------------------------- InitProducerId

  /**
   * InitProducerId for a transactional id: a new id gets a fresh producer id at epoch 0; an
   * existing one gets its epoch bumped (fencing the previous producer), or a new producer id when
   * the epoch is exhausted. An ongoing transaction of the old epoch is aborted first (the client
   * gets CONCURRENT_TRANSACTIONS and retries). `expected` (v3+, KIP-360) is the id/epoch the client
   * holds: a retry of a completed bump gets the current epoch again; anything else stale is fenced.
   */
  async initProducerId(transactionalId: string, transactionTimeoutMs: number, expected: { producerId: bigint; producerEpoch: number } | null): Promise<InitProducerIdResult> {
    const refuse = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: -1n, producerEpoch: -1 });
    if (transactionTimeoutMs <= 0 || transactionTimeoutMs > this.#opts.config.transactionMaxTimeoutMs) return refuse(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    await this.#previousCompletion(transactionalId);
    const found = this.#find(transactionalId);
    if (found.shard === null) return refuse(found.errorCode);
    const shard = found.shard;
    const nowMs = this.#opts.clock.nowMs();
    let meta = found.meta;
    let created = false;
    if (meta === undefined) {
      // A KIP-360 call (`expected` set) for an id unknown here (expired, or never stored) gets a fresh
      // producer id at epoch 0 as a first call would: Kafka's coordinator accepts any expected id/epoch
      // against metadata it has just created, as the way back from UNKNOWN_PRODUCER_ID.
      let producerId: bigint;
      try {
        producerId = await this.#opts.producerIds.generate();
      } catch (err) {
        if (!(err instanceof ProducerIdAllocationError)) throw err;
        this.#log.warn({ err: err.message }, 'no producer id available');
        return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      if (!this.#owns(shard)) return refuse(ErrorCode.NOT_COORDINATOR);
      meta = shard.txns.get(transactionalId);
      if (meta === undefined) {
        meta = new TransactionMetadata(transactionalId, {
          producerId,
          producerEpoch: -1,
          transactionTimeoutMs,
          state: 'Empty',
          partitions: [],
          lastUpdateTimestampMs: nowMs,
          startTimestampMs: -1,
        });
        shard.txns.set(transactionalId, meta);
        created = true;
      }
    }
    if (meta.pendingState !== null) return refuse(ErrorCode.CONCURRENT_TRANSACTIONS);
    switch (meta.state) {
      case 'PrepareCommit':
      case 'PrepareAbort':
      case 'PrepareEpochFence':
      case 'Dead':
        return refuse(ErrorCode.CONCURRENT_TRANSACTIONS);
      case 'Ongoing': {
        // Kafka checks only the producer id here and fences even for a stale epoch (whose retry is then
        // fenced in CompleteAbort); we refuse the stale epoch at once and leave the live transaction be:
        // the caller gets PRODUCER_FENCED either way.
        if (expected !== null && !matchesCurrentOrLast(meta, expected)) return refuse(ErrorCode.PRODUCER_FENCED);
        // Fence the old producer: abort its transaction under a bumped epoch; the client retries.
        const code = await this.#abortOngoing(shard, meta, 'fenced by InitProducerId');
        return refuse(code === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : code);
      }
      case 'Empty':
      case 'CompleteCommit':
      case 'CompleteAbort':
        break;
    }
    let changes: Partial<TxnTransit>;
    if (expected !== null && !created) {
      if (expected.producerId === meta.producerId && expected.producerEpoch === meta.lastProducerEpoch && meta.lastProducerEpoch >= 0 && expected.producerEpoch !== meta.producerEpoch) {
        // A retry of an InitProducerId that already bumped: answer the current epoch again.
        return { errorCode: ErrorCode.NONE, producerId: meta.producerId, producerEpoch: meta.producerEpoch };
      }
      if (expected.producerId !== meta.producerId || (expected.producerEpoch !== meta.producerEpoch && expected.producerEpoch !== -1)) return refuse(ErrorCode.PRODUCER_FENCED);
    }
    if (meta.isProducerEpochExhausted) {
      let producerId: bigint;
      try {
        producerId = await this.#opts.producerIds.generate();
      } catch (err) {
        if (!(err instanceof ProducerIdAllocationError)) throw err;
        return refuse(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      }
      if (meta.pendingState !== null) return refuse(ErrorCode.CONCURRENT_TRANSACTIONS);
      changes = { producerId, producerEpoch: 0, lastProducerEpoch: -1 };
    } else {
      // Only a KIP-360 bump remembers the epoch it came from (so a lost answer can be retried); a
      // plain InitProducerId forgets it, so a fenced producer's later KIP-360 call stays fenced.
      changes = { producerEpoch: meta.producerEpoch + 1, lastProducerEpoch: expected !== null ? meta.producerEpoch : -1 };
    }
    const transit = meta.prepareTransition({ ...changes, state: 'Empty', transactionTimeoutMs, partitions: [], startTimestampMs: -1 }, nowMs);
    const code = await this.#persist(shard, meta, transit);
    if (code !== ErrorCode.NONE) {
      if (created && shard.txns.get(transactionalId) === meta) shard.txns.delete(transactionalId);
      return refuse(code);
    }
    this.#log.info({ transactionalId, producerId: meta.producerId.toString(), producerEpoch: meta.producerEpoch }, 'initialized transactional producer');
    return { errorCode: ErrorCode.NONE, producerId: meta.producerId, producerEpoch: meta.producerEpoch };
  }

  // ------------------------------------------------------------------------------- AddPartitions / AddOffsets

  /** The per-partition answer for adding `topics` to the producer's transaction (one code for all, or per-topic checks). */
  async addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, topics: TxnTopicPartitions[]): Promise<number> {
    await this.#previousCompletion(transactionalId);
    const found = this.#find(transactionalId);
    if (found.shard === null) return found.errorCode;
    const meta = found.meta;
    const check = producerCheck(meta, producerId, producerEpoch);
    if (check !== ErrorCode.NONE) return check;
    const m = meta!;
    if (m.pendingState !== null) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort' || m.state === 'PrepareEpochFence') return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (m.state === 'Dead') return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (m.state === 'Ongoing' && topics.every((t) => t.partitions.every((p) => m.hasPartition(t.topic, p)))) return ErrorCode.NONE;
    const nowMs = this.#opts.clock.nowMs();
    const transit = m.prepareTransition(
      { state: 'Ongoing', partitions: unionPartitions(m.partitionList(), topics), startTimestampMs: m.state === 'Ongoing' ? m.startTimestampMs : nowMs },
      nowMs,
    );
    return this.#persist(found.shard, m, transit);
  }

  /** KIP-890 verification: is each partition already part of the producer's ongoing transaction? */
  verifyPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, topics: TxnTopicPartitions[]): Map<string, Map<number, number>> {
    const found = this.#find(transactionalId);
    const out = new Map<string, Map<number, number>>();
    const check = found.shard === null ? found.errorCode : producerCheck(found.meta, producerId, producerEpoch);
    for (const t of topics) {
      const codes = new Map<number, number>();
      for (const p of t.partitions) {
        if (check !== ErrorCode.NONE) codes.set(p, check);
        else codes.set(p, found.meta!.state === 'Ongoing' && found.meta!.hasPartition(t.topic, p) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE);
      }
      out.set(t.topic, codes);
    }
    return out;
  }

  /** AddOffsetsToTxn: the group's __consumer_offsets partition joins the transaction. */
  addOffsets(transactionalId: string, producerId: bigint, producerEpoch: number, groupId: string): Promise<number> {
    return this.addPartitions(transactionalId, producerId, producerEpoch, [{ topic: OFFSETS_TOPIC, partitions: [this.#opts.offsetsPartitionFor(groupId)] }]);
  }

  // ------------------------------------------------------------------------------- EndTxn

  /** EndTxn: answers once PrepareCommit/PrepareAbort is durable; markers follow in the background. */
  async endTxn(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): Promise<number> {
    const found = this.#find(transactionalId);
    if (found.shard === null) return found.errorCode;
    const check = producerCheck(found.meta, producerId, producerEpoch);
    if (check !== ErrorCode.NONE) return check;
    const meta = found.meta!;
    if (meta.pendingState !== null) return ErrorCode.CONCURRENT_TRANSACTIONS;
    switch (meta.state) {
      case 'Ongoing':
        break;
      // Kafka's answers, state by state. An EndTxn whose outcome contradicts the state is
      // INVALID_TXN_STATE, fatal to the client: e.g. librdkafka's abort after an AddPartitionsToTxn
      // that was refused (CONCURRENT_TRANSACTIONS while the previous commit completes) finds
      // PrepareCommit / CompleteCommit, and Kafka answers it the same (see docs/COMPATIBILITY.md).
      case 'CompleteCommit':
        return commit ? ErrorCode.NONE : this.#invalidState(meta, commit); // a retried commit
      case 'CompleteAbort':
        return commit ? this.#invalidState(meta, commit) : ErrorCode.NONE;
      case 'PrepareCommit':
        return commit ? ErrorCode.CONCURRENT_TRANSACTIONS : this.#invalidState(meta, commit);
      case 'PrepareAbort':
        return commit ? this.#invalidState(meta, commit) : ErrorCode.CONCURRENT_TRANSACTIONS;
      case 'PrepareEpochFence':
        return ErrorCode.CONCURRENT_TRANSACTIONS;
      case 'Empty':
      case 'Dead':
        return this.#invalidState(meta, commit);
    }
    const transit = meta.prepareTransition({ state: commit ? 'PrepareCommit' : 'PrepareAbort' }, this.#opts.clock.nowMs());
    const code = await this.#persist(found.shard, meta, transit);
    if (code === ErrorCode.NONE) this.#completeInBackground(found.shard, meta);
    return code;
  }

  /** INVALID_TXN_STATE for an EndTxn that contradicts the state, logged with the state (as Kafka logs it). */
  #invalidState(meta: TransactionMetadata, commit: boolean): number {
    this.#log.debug(
      { transactionalId: meta.transactionalId, state: meta.state, producerId: meta.producerId.toString(), producerEpoch: meta.producerEpoch, commit },
      'EndTxn contradicts the transaction state: INVALID_TXN_STATE',
    );
    return ErrorCode.INVALID_TXN_STATE;
  }

  // ------------------------------------------------------------------------------- completion

  /**
   * Writes PrepareAbort for an ongoing transaction under a bumped epoch (fencing its producer); markers
   * follow. As in Kafka's fence, the epoch before the last KIP-360 bump is forgotten: no KIP-360
   * retry may come back after a fence.
   */
  async #abortOngoing(shard: TxnShard, meta: TransactionMetadata, reason: string): Promise<number> {
    const bump = !meta.isProducerEpochExhausted;
    const transit = meta.prepareTransition({ state: 'PrepareAbort', lastProducerEpoch: -1, ...(bump ? { producerEpoch: meta.producerEpoch + 1 } : {}) }, this.#opts.clock.nowMs());
    const code = await this.#persist(shard, meta, transit);
    if (code === ErrorCode.NONE) {
      this.#log.info({ transactionalId: meta.transactionalId, producerEpoch: meta.producerEpoch, reason }, 'aborting ongoing transaction');
      this.#completeInBackground(shard, meta);
    }
    return code;
  }

  #completeInBackground(shard: TxnShard, meta: TransactionMetadata): void {
    const done: Promise<void> = this.#complete(shard, meta)
      .catch((err: unknown) => this.#log.error({ err, transactionalId: meta.transactionalId }, 'completing transaction failed'))
      .finally(() => {
        if (this.#completing.get(meta) === done) this.#completing.delete(meta);
      });
    this.#completing.set(meta, done);
  }

  /**
   * Resolves when the id's previous transaction has completed, or after COMPLETION_WAIT_MS_MAX;
   * at once when none is completing. The caller then checks the state as usual (still Prepare*:
   * CONCURRENT_TRANSACTIONS).
   */
  async #previousCompletion(transactionalId: string): Promise<void> {
    const meta = this.#find(transactionalId).meta;
    const done = meta === undefined ? undefined : this.#completing.get(meta);
    if (done === undefined) return;
    let timer: Timer | null = null;
    const bound = new Promise<void>((resolve) => {
      timer = this.#opts.clock.setTimer(COMPLETION_WAIT_MS_MAX, resolve, { unref: true });
    });
    try {
      await Promise.race([done, bound]);
    } finally {
      (timer as Timer | null)?.cancel();
    }
  }

  /** Markers for a Prepare* transaction, then the Complete* record (retried while we own the shard). */
  async #complete(shard: TxnShard, meta: TransactionMetadata): Promise<void> {
    const commit = meta.state === 'PrepareCommit';
    const outcome = await this.#opts.markers.send(
      {
        transactionalId: meta.transactionalId,
        producerId: meta.producerId,
        producerEpoch: meta.producerEpoch,
        coordinatorEpoch: shard.coordinatorEpoch,
        commit,
        partitions: meta.partitionList(),
      },
      () => this.#owns(shard),
    );
    if (outcome !== 'written') return;
    for (let attempt = 0; attempt < COMPLETE_WRITE_ATTEMPTS_MAX && this.#owns(shard); attempt++) {
      if (meta.pendingState === null && (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort')) {
        const transit = meta.prepareTransition({ state: commit ? 'CompleteCommit' : 'CompleteAbort', partitions: [] }, this.#opts.clock.nowMs());
        const code = await this.#persist(shard, meta, transit);
        if (code === ErrorCode.NONE) {
          this.#log.debug({ transactionalId: meta.transactionalId, state: meta.state }, 'transaction complete');
          return;
        }
        if (code === ErrorCode.NOT_COORDINATOR) return;
      }
      await new Promise<void>((resolve) => this.#opts.clock.setTimer(COMPLETE_WRITE_RETRY_MS, resolve, { unref: true }));
    }
    if (this.#owns(shard)) this.#log.error({ transactionalId: meta.transactionalId }, 'could not write the Complete record; the transaction completes when the partition is loaded again');
  }

  /** Writes `transit` and installs it on success; the protocol code for the outcome. */
  async #persist(shard: TxnShard, meta: TransactionMetadata, transit: TxnTransit): Promise<number> {
    let failure: WriteFailure | null;
    try {
      failure = await shard.write(meta.transactionalId, transit);
    } catch (err) {
      meta.abortTransition();
      throw err;
    }
    if (failure !== null) {
      meta.abortTransition();
      this.#log.info({ transactionalId: meta.transactionalId, state: transit.state, failure }, 'writing transaction state failed');
      return writeErrorCode(failure);
    }
    meta.completeTransition(transit);
    return ErrorCode.NONE;
  }

  // ------------------------------------------------------------------------------- timers

  /** Aborts (with an epoch bump) every ongoing transaction past its timeout; what the cleanup timer runs. */
  async abortTimedOutTransactions(): Promise<void> {
    const nowMs = this.#opts.clock.nowMs();
    for (const shard of [...this.#shards.values()]) {
      if (!shard.active) continue;
      for (const meta of [...shard.txns.values()]) {
        if (meta.state !== 'Ongoing' || meta.pendingState !== null) continue;
        if (meta.startTimestampMs + meta.transactionTimeoutMs > nowMs) continue;
        await this.#abortOngoing(shard, meta, `timed out after ${meta.transactionTimeoutMs} ms`);
      }
    }
  }

  /** Removes ids idle past transactional.id.expiration.ms (tombstone), as Kafka's expiration does. */
  async removeExpiredTransactionalIds(): Promise<void> {
    const nowMs = this.#opts.clock.nowMs();
    const expirationMs = this.#opts.config.transactionalIdExpirationMs;
    for (const shard of [...this.#shards.values()]) {
      if (!shard.active) continue;
      for (const meta of [...shard.txns.values()]) {
        const idle = meta.state === 'Empty' || meta.state === 'CompleteCommit' || meta.state === 'CompleteAbort';
        if (!idle || meta.pendingState !== null || meta.lastUpdateTimestampMs + expirationMs > nowMs) continue;
        meta.prepareTransition({ state: 'Dead' }, nowMs);
        const failure = await shard.write(meta.transactionalId, null);
        if (failure !== null) {
          meta.abortTransition();
          continue;
        }
        if (shard.txns.get(meta.transactionalId) === meta) shard.txns.delete(meta.transactionalId);
        this.#log.info({ transactionalId: meta.transactionalId }, 'transactional id expired');
      }
    }
  }

  // ------------------------------------------------------------------------------- admin

  describe(transactionalIds: readonly string[]): DescribedTxn[] {
    return transactionalIds.map((transactionalId) => {
      const found = this.#find(transactionalId);
      const base: DescribedTxn = {
        errorCode: ErrorCode.NONE,
        transactionalId,
        transactionState: '',
        transactionTimeoutMs: 0,
        transactionStartTimeMs: -1n,
        producerId: -1n,
        producerEpoch: -1,
        topics: [],
      };
      if (found.shard === null) return { ...base, errorCode: found.errorCode };
      const meta = found.meta;
      if (meta === undefined || meta.state === 'Dead' || meta.producerEpoch < 0) return { ...base, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
      return {
        ...base,
        transactionState: meta.state,
        transactionTimeoutMs: meta.transactionTimeoutMs,
        transactionStartTimeMs: BigInt(meta.startTimestampMs),
        producerId: meta.producerId,
        producerEpoch: meta.producerEpoch,
        topics: meta.partitionList().map((t) => ({ topic: t.topic, partitions: t.partitions })),
      };
    });
  }

  /** Transactions of every loaded partition, filtered by state names, producer ids and (v1) minimum running time. */
  list(stateFilters: readonly string[], producerIdFilters: readonly bigint[], durationFilterMs: number): { errorCode: number; unknownStateFilters: string[]; transactionStates: ListedTxn[] } {
    const known = new Set<string>(TXN_STATES);
    const unknownStateFilters = stateFilters.filter((s) => !known.has(s));
    const states = new Set(stateFilters.filter((s) => known.has(s)));
    const producers = new Set(producerIdFilters);
    const nowMs = this.#opts.clock.nowMs();
    let errorCode: number = ErrorCode.NONE;
    const transactionStates: ListedTxn[] = [];
    for (const shard of this.#shards.values()) {
      if (shard.status === 'loading') {
        errorCode = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
        continue;
      }
      for (const meta of shard.txns.values()) {
        if (meta.producerEpoch < 0) continue; // created, first write not done
        if (stateFilters.length > 0 && !states.has(meta.state)) continue;
        if (producers.size > 0 && !producers.has(meta.producerId)) continue;
        if (durationFilterMs >= 0 && !(meta.startTimestampMs >= 0 && nowMs - meta.startTimestampMs >= durationFilterMs)) continue;
        transactionStates.push({ transactionalId: meta.transactionalId, producerId: meta.producerId, transactionState: meta.state });
      }
    }
    transactionStates.sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
    return { errorCode, unknownStateFilters, transactionStates };
  }

  /** Test view: a transactional id's state here, or null. */
  stateOf(transactionalId: string): { state: TxnState; producerId: bigint; producerEpoch: number; partitions: TxnTopicPartitions[] } | null {
    const found = this.#find(transactionalId);
    const meta = found.meta;
    if (!meta) return null;
    return { state: meta.state, producerId: meta.producerId, producerEpoch: meta.producerEpoch, partitions: meta.partitionList() };
  }
}

/** The producer id/epoch check every transactional request starts with. */
function producerCheck(meta: TransactionMetadata | undefined, producerId: bigint, producerEpoch: number): number {
  if (meta === undefined || meta.producerEpoch < 0) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  if (meta.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
  if (meta.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
  return ErrorCode.NONE;
}

function matchesCurrentOrLast(meta: TransactionMetadata, expected: { producerId: bigint; producerEpoch: number }): boolean {
  return expected.producerId === meta.producerId && (expected.producerEpoch === meta.producerEpoch || expected.producerEpoch === meta.lastProducerEpoch);
}

function writeErrorCode(failure: WriteFailure): number {
  switch (failure) {
    case 'notLeader':
    case 'storage':
      return ErrorCode.NOT_COORDINATOR;
    case 'unavailable':
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    default:
      // tooLarge (a state record is small: our bug), or a kind only transactional offset writes produce.
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

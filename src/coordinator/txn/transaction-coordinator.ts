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
import { sleepOn, type Clock, type Timer } from '../../io/clock.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { DescribedTransaction } from '../../protocol/messages/describe-transactions.js';
import { FIND_COORDINATOR_LOAD_WAIT_MS, LedShards, type CoordinatorLookup, type LeadershipSource, type ShardLookup } from '../led-shards.js';
import { writeFailureCode, type OffsetsTopicLog, type WriteFailure } from '../offsets/offsets-topic-log.js';
import { OFFSETS_TOPIC } from '../offsets/records.js';
import type { TxnMarkerSender } from './marker-sender.js';
import { ProducerIdAllocationError, type ProducerIdManager } from './producer-id-manager.js';
import { TXN_STATE_TOPIC, TXN_STATES, txnStatePartitionFor, type TxnState, type TxnTopicPartitions } from './records.js';
import { TransactionMetadata, unionPartitions, type TxnTransit } from './txn-metadata.js';
import { TxnShard } from './txn-shard.js';

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
  leadership?: LeadershipSource;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export type DescribedTxn = DescribedTransaction;

/** A DescribeTransactions entry that answers only an error code (the other fields Kafka's way: empty, -1). */
export function describedTxnError(transactionalId: string, errorCode: number): DescribedTxn {
  return { errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
}

export interface ListedTxn {
  transactionalId: string;
  producerId: bigint;
  transactionState: string;
}

type Found = ShardLookup<TxnShard> & { meta: TransactionMetadata | undefined };

export class TransactionCoordinator {
  readonly #opts: TransactionCoordinatorOptions;
  readonly #log: Logger;
  readonly #shards: LedShards<TxnShard>;
  readonly #timers: Timer[] = [];
  /** Transactions whose markers and Complete record are being written, and when that ends. */
  readonly #completing = new Map<TransactionMetadata, Promise<void>>();

  constructor(opts: TransactionCoordinatorOptions) {
    this.#opts = opts;
    this.#log = opts.log;
    const config = opts.config;
    this.#shards = new LedShards({
      topic: TXN_STATE_TOPIC,
      brokerId: opts.brokerId,
      clock: opts.clock,
      controller: opts.controller,
      log: this.#log,
      leadership: opts.leadership,
      topicSpec: () => ({
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
      }),
      items: { field: 'transactionalIds', noun: 'transactional ids', count: (shard) => shard.txns.size },
      create: (partition, leaderEpoch) => new TxnShard(partition, leaderEpoch, opts.stateLog, opts.clock, this.#log),
      loaded: (shard) => {
        for (const meta of shard.txns.values()) if (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') this.#completeInBackground(shard, meta);
      },
      unloaded: () => {},
      onImage: (image) => this.#onImage(image),
    });
  }

  get #stopped(): boolean {
    return this.#shards.stopped;
  }

  start(): void {
    this.#shards.start();
    const config = this.#opts.config;
    const clock = this.#opts.clock;
    this.#timers.push(clock.setInterval(config.transactionAbortTimedOutTransactionCleanupIntervalMs, () => void this.abortTimedOutTransactions(), { unref: true }));
    this.#timers.push(clock.setInterval(config.transactionRemoveExpiredTransactionCleanupIntervalMs, () => void this.removeExpiredTransactionalIds(), { unref: true }));
  }

  shutdown(): void {
    for (const t of this.#timers) t.cancel();
    this.#opts.markers.stop();
    this.#shards.stop();
  }

  partitionFor(transactionalId: string, image: MetadataImage = this.#opts.controller.image): number {
    const topic = image.topics.get(TXN_STATE_TOPIC);
    return txnStatePartitionFor(transactionalId, topic ? topic.partitions.length : this.#opts.config.transactionStateLogNumPartitions);
  }

  /** Test and admin view: shard status per led partition. */
  shardStatuses(): Map<number, string> {
    return this.#shards.statuses();
  }

  // ------------------------------------------------------------------------------- ownership

  #onImage(image: MetadataImage): void {
    if (this.#stopped || this.#opts.leadership !== undefined) return;
    const topic = image.topics.get(TXN_STATE_TOPIC);
    const led = new Map<number, number>();
    if (topic) for (const p of topic.partitions) if (p.leader === this.#opts.brokerId) led.set(p.partition, p.leaderEpoch);
    for (const [p, shard] of this.#shards.entries()) if (led.get(p) !== shard.coordinatorEpoch) this.#shards.unload(p, 'no longer the partition leader');
    for (const [p, epoch] of led) if (!this.#shards.has(p)) this.#shards.load(p, epoch);
  }

  #owns(shard: TxnShard): boolean {
    return !this.#stopped && this.#shards.get(shard.partition) === shard && shard.active;
  }

  #find(transactionalId: string): Found {
    const found = this.#shards.lookup(this.partitionFor(transactionalId));
    return { ...found, meta: found.shard?.txns.get(transactionalId) };
  }

  // ------------------------------------------------------------------------------- FindCoordinator

  async findCoordinator(transactionalId: string): Promise<CoordinatorLookup> {
    return this.#shards.findCoordinator((image) => this.partitionFor(transactionalId, image), (partition) => this.#awaitShard(partition));
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
      await sleepOn(clock, Math.min(20, left));
    }
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
      await sleepOn(this.#opts.clock, COMPLETE_WRITE_RETRY_MS);
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
    for (const [, shard] of this.#shards.entries()) {
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
    for (const [, shard] of this.#shards.entries()) {
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
      if (found.shard === null) return describedTxnError(transactionalId, found.errorCode);
      const meta = found.meta;
      if (meta === undefined || meta.state === 'Dead' || meta.producerEpoch < 0) return describedTxnError(transactionalId, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
      return {
        errorCode: ErrorCode.NONE,
        transactionalId,
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
  // tooLarge (a state record is small: our bug), or a kind only transactional offset writes produce.
  return writeFailureCode(failure, { tooLarge: ErrorCode.UNKNOWN_SERVER_ERROR, invalidProducerEpoch: ErrorCode.UNKNOWN_SERVER_ERROR });
}

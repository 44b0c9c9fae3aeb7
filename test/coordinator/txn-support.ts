/**
 * Fixtures for the transaction coordinator tests (not a test file itself): a TransactionCoordinator
 * over a real EmbeddedController (in-memory metadata store, so this broker leads every partition),
 * the groups tests' in-memory `__transaction_state` log, a real TxnMarkerSender whose in-process
 * writer appends to a fake ControlAppender (records every marker; can fail on demand), a remote
 * channel that must never be used (one broker), and a ManualClock: every timer (marker backoff,
 * timeouts, expiry) is driven by `clock.advance()`.
 */
import { EmbeddedController } from '../../src/cluster/embedded-controller.js';
import { loadBrokerConfig, type BrokerConfig } from '../../src/config/broker-config.js';
import { LocalMarkerWriter, type ControlAppender, type TxnMarkerSpec } from '../../src/coordinator/txn/marker-writer.js';
import { TxnMarkerSender } from '../../src/coordinator/txn/marker-sender.js';
import { ProducerIdManager } from '../../src/coordinator/txn/producer-id-manager.js';
import { TransactionCoordinator } from '../../src/coordinator/txn/transaction-coordinator.js';
import { offsetsPartitionFor } from '../../src/coordinator/offsets/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { CountingRandom, ManualClock, MemoryOffsetsLog, settle, silentLog } from './support.js';

export class FakeAppender implements ControlAppender {
  readonly written: Array<{ topic: string; partition: number; marker: TxnMarkerSpec }> = [];
  /** While set, appends fail with this error code's kind (NOT_LEADER_OR_FOLLOWER by default). */
  failing = false;
  attempts = 0;
  /** While set, appends wait for it (a slow marker write) before they succeed or fail. */
  gate: Promise<void> | null = null;

  async appendControlAsLeader(topic: string, partition: number, marker: TxnMarkerSpec): Promise<unknown> {
    this.attempts++;
    if (this.gate !== null) await this.gate;
    if (this.failing) throw new Error('not leader (test)');
    this.written.push({ topic, partition, marker });
    return {};
  }
}

export interface TxnFixture {
  clock: ManualClock;
  config: BrokerConfig;
  controller: EmbeddedController;
  stateLog: MemoryOffsetsLog;
  appender: FakeAppender;
  completed: Array<{ partition: number; producerId: bigint; commit: boolean }>;
  coordinator: TransactionCoordinator;
  /** A broker restart: a new coordinator (and sender) over the same log, controller and appender. */
  restart(): Promise<TransactionCoordinator>;
}

export async function txnFixture(overrides: string[] = []): Promise<TxnFixture> {
  const { config } = loadBrokerConfig({
    env: {},
    overrides: ['broker.id=1', 'log.dirs=/data', 'transaction.state.log.num.partitions=4', 'offsets.topic.num.partitions=4', ...overrides],
  });
  const clock = new ManualClock();
  const docs: string[] = [];
  const controller = await EmbeddedController.open({
    brokerId: 1,
    broker: { id: 1, host: 'localhost', port: 9092, rack: null },
    store: { load: async () => null, save: async (d) => void docs.push(d) },
    random: new CountingRandom(),
    defaults: { numPartitions: 1, replicationFactor: 1, deleteTopicEnable: true },
  });
  const stateLog = new MemoryOffsetsLog();
  const appender = new FakeAppender();
  const completed: TxnFixture['completed'] = [];
  const producerIds = new ProducerIdManager(1, controller);
  const make = (): TransactionCoordinator => {
    const local = new LocalMarkerWriter({
      appender,
      groups: { completeTransaction: (partition, producerId, commit) => void completed.push({ partition, producerId, commit }) },
      codeFor: () => ErrorCode.NOT_LEADER_OR_FOLLOWER,
    });
    const remote = { request: () => Promise.reject(new Error('a single broker never sends markers over the network')) };
    const markers = new TxnMarkerSender({ brokerId: 1, clock, image: () => controller.image, local, remote, log: silentLog });
    return new TransactionCoordinator({
      brokerId: 1,
      config,
      clock,
      controller,
      stateLog,
      producerIds,
      markers,
      log: silentLog,
      offsetsPartitionFor: (groupId) => offsetsPartitionFor(groupId, 4),
    });
  };
  const f: TxnFixture = {
    clock,
    config,
    controller,
    stateLog,
    appender,
    completed,
    coordinator: make(),
    async restart() {
      f.coordinator.shutdown();
      f.coordinator = make();
      f.coordinator.start();
      await settle();
      return f.coordinator;
    },
  };
  f.coordinator.start();
  const found = await drive(f, f.coordinator.findCoordinator('any'));
  if (found.errorCode !== ErrorCode.NONE) throw new Error(`__transaction_state not created: ${found.errorCode}`);
  return f;
}

/** Resolves `p` while advancing the manual clock in 20 ms steps (bounded: 10 s of manual time). */
export async function drive<T>(f: { clock: ManualClock }, p: Promise<T>): Promise<T> {
  let done = false;
  let value!: T;
  let error: unknown = null;
  p.then(
    (v) => {
      done = true;
      value = v;
    },
    (e: unknown) => {
      done = true;
      error = e;
    },
  );
  for (let i = 0; i < 500 && !done; i++) {
    await settle();
    if (!done) f.clock.advance(20);
  }
  await settle();
  if (!done) throw new Error('promise did not settle within 10 s of manual time');
  if (error !== null) throw error;
  return value;
}

/** Advances the manual clock by `ms` in steps, letting promise chains run between them. */
export async function advance(f: { clock: ManualClock }, ms: number, stepMs = 50): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    f.clock.advance(Math.min(stepMs, ms - t));
    await settle();
  }
}

/**
 * Fixtures for the group coordinator tests (not a test file itself): a GroupCoordinator over a real
 * EmbeddedController (in-memory metadata store), an in-memory `__consumer_offsets` log that can fail
 * or stall on demand, a counting Random and the storage tests' ManualClock, so every timeout is
 * driven by `clock.advance()` and nothing waits on wall time.
 */
import { pino } from 'pino';
import { EmbeddedController } from '../../src/cluster/embedded-controller.js';
import { loadBrokerConfig, type BrokerConfig } from '../../src/config/broker-config.js';
import { batch } from '../../src/protocol/records/batch.js';
import assert from 'node:assert/strict';
import { readRecordsSync } from '../../src/protocol/records/builder.js';
import { buildControlBatch } from '../../src/storage/control-batch.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { GroupCoordinator } from '../../src/coordinator/group/group-coordinator.js';
import type { JoinGroupResult, SyncGroupResult } from '../../src/coordinator/group/classic-group.js';
import type { JoinRequest } from '../../src/coordinator/group/classic-rebalance.js';
import type { Appended, OffsetsTopicLog, WriteFailure } from '../../src/coordinator/offsets/offsets-topic-log.js';
import { OFFSETS_TOPIC } from '../../src/coordinator/offsets/records.js';
import { Writer } from '../../src/protocol/primitives.js';
import { ManualClock } from '../../src/io/sim/manual-clock.js';
import { CountingRandom } from '../../src/io/sim/counting-random.js';

export { ManualClock };

export { CountingRandom };

/** `__consumer_offsets` in memory: batches per partition, offsets assigned on append. */
export class MemoryOffsetsLog implements OffsetsTopicLog {
  readonly batches = new Map<number, Buffer[]>();
  #ends = new Map<number, number>();
  /** Set to make the next appends fail with this kind. */
  failWith: WriteFailure | null = null;
  /** While set, reads wait for it (to observe COORDINATOR_LOAD_IN_PROGRESS). */
  readGate: Promise<void> | null = null;
  appends = 0;
  /** `partition|producerId` → the producer's epoch and last sequence (transactional batches). */
  readonly producers = new Map<string, { epoch: number; lastSequence: number }>();

  async append(partition: number, b: Buffer): Promise<WriteFailure | Appended> {
    if (this.failWith !== null) return this.failWith;
    const producerId = batch.producerId(b);
    if (producerId >= 0n) {
      // The checks the partition's producer state makes (storage/producer-state.ts).
      const known = this.producers.get(`${partition}|${producerId}`);
      const epoch = batch.producerEpoch(b);
      if (known !== undefined && epoch < known.epoch) return 'invalidProducerEpoch';
      const expected = known !== undefined && known.epoch === epoch ? known.lastSequence + 1 : 0;
      assert.equal(batch.baseSequence(b), expected, `producer ${producerId}: sequence out of order`);
      this.producers.set(`${partition}|${producerId}`, { epoch, lastSequence: expected + batch.lastOffsetDelta(b) });
    }
    const copy = Buffer.from(b);
    const base = this.#ends.get(partition) ?? 0;
    batch.setBaseOffset(copy, base);
    this.#ends.set(partition, base + batch.lastOffsetDelta(copy) + 1);
    let list = this.batches.get(partition);
    if (!list) this.batches.set(partition, (list = []));
    list.push(copy);
    this.appends++;
    return { baseOffset: base };
  }

  producerSequence(partition: number, producerId: bigint): { epoch: number; lastSequence: number } | null {
    return this.producers.get(`${partition}|${producerId}`) ?? null;
  }

  /** Appends a COMMIT (or ABORT) marker of the producer, as WriteTxnMarkers does. */
  appendMarker(partition: number, producerId: bigint, producerEpoch: number, commit: boolean): void {
    const b = buildControlBatch({ producerId, producerEpoch, coordinatorEpoch: 0, commit }, { timestampMs: 0 });
    const base = this.#ends.get(partition) ?? 0;
    batch.setBaseOffset(b, base);
    this.#ends.set(partition, base + 1);
    let list = this.batches.get(partition);
    if (!list) this.batches.set(partition, (list = []));
    list.push(b);
  }

  bounds(partition: number): { startOffset: number; endOffset: number } {
    return { startOffset: 0, endOffset: this.#ends.get(partition) ?? 0 };
  }

  async read(partition: number, offset: number, _maxBytes: number, endOffset: number): Promise<Buffer> {
    if (this.readGate) await this.readGate;
    const out = (this.batches.get(partition) ?? []).filter((b) => batch.lastOffset(b) >= offset && batch.lastOffset(b) < endOffset);
    return Buffer.concat(out);
  }

  /** Every record written, decoded (key, value or null), in log order, across partitions. */
  records(): Array<{ partition: number; key: Buffer; value: Buffer | null }> {
    const out: Array<{ partition: number; key: Buffer; value: Buffer | null }> = [];
    for (const [partition, list] of this.batches) {
      for (const b of list) if (!batch.isControl(b)) for (const r of readRecordsSync(b)) out.push({ partition, key: Buffer.from(r.key!), value: r.value && Buffer.from(r.value) });
    }
    return out;
  }
}

export interface Fixture {
  clock: ManualClock;
  config: BrokerConfig;
  controller: EmbeddedController;
  offsetsLog: MemoryOffsetsLog;
  coordinator: GroupCoordinator;
  /** Restarts the coordinator over the same log and controller (a broker restart). */
  restart(): Promise<GroupCoordinator>;
}

export const silentLog = pino({ level: 'silent' });

/** Lets promise chains (loads, writes) run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

export async function fixture(overrides: string[] = [], opts: { createTopic?: boolean } = {}): Promise<Fixture> {
  const { config } = loadBrokerConfig({
    env: {},
    overrides: [
      'broker.id=1',
      'log.dirs=/data',
      'offsets.topic.num.partitions=4',
      'group.initial.rebalance.delay.ms=0',
      'group.min.session.timeout.ms=1000',
      ...overrides,
    ],
  });
  const clock = new ManualClock();
  const controller = await EmbeddedController.open({
    brokerId: 1,
    broker: { id: 1, host: 'localhost', port: 9092, rack: null },
    store: { load: async () => null, save: async () => {} },
    random: new CountingRandom(),
    defaults: { numPartitions: 1, replicationFactor: 1, deleteTopicEnable: true },
  });
  const offsetsLog = new MemoryOffsetsLog();
  const make = (): GroupCoordinator =>
    new GroupCoordinator({ brokerId: 1, config, clock, random: new CountingRandom(), controller, offsetsLog, log: silentLog });
  const f: Fixture = {
    clock,
    config,
    controller,
    offsetsLog,
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
  if (opts.createTopic !== false) {
    const found = await f.coordinator.findGroupCoordinator('any');
    if (found.errorCode !== ErrorCode.NONE) throw new Error(`offsets topic not created: ${found.errorCode}`);
    await settle();
  }
  return f;
}

export async function createTopic(f: Fixture, name: string, partitions: number): Promise<void> {
  const r = await f.controller.createTopic({ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: {}, validateOnly: false });
  if (!r.ok) throw new Error(r.message);
}

/** A consumer-protocol subscription (version 0) for `topics`. */
export function subscription(topics: string[]): Buffer {
  const w = new Writer().int16(0).arrayLength(topics.length, false);
  for (const t of topics) w.string(t, false);
  return w.bytes(null, false).toBuffer();
}

export function joinRequest(groupId: string, overrides: Partial<JoinRequest> = {}): JoinRequest {
  return {
    groupId,
    memberId: '',
    groupInstanceId: null,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(['t']) }],
    reason: null,
    clientId: 'client',
    clientHost: '/127.0.0.1',
    apiVersion: 5,
    ...overrides,
  };
}

/** Tracks whether a long-poll promise has resolved yet, without awaiting it. */
export function track<T>(p: Promise<T>): { readonly done: boolean; readonly value: T | undefined; promise: Promise<T> } {
  const state: { done: boolean; value: T | undefined; promise: Promise<T> } = { done: false, value: undefined, promise: p };
  void p.then((v) => {
    state.done = true;
    state.value = v;
  });
  return state;
}

/** Joins a new member through the MEMBER_ID_REQUIRED round trip when apiVersion >= 4; returns the parked join. */
export async function joinNew(
  c: GroupCoordinator,
  groupId: string,
  overrides: Partial<JoinRequest> = {},
): Promise<{ memberId: string; join: ReturnType<typeof track<JoinGroupResult>> }> {
  const req = joinRequest(groupId, overrides);
  let memberId = req.memberId;
  if (memberId === '' && req.groupInstanceId === null && req.apiVersion >= 4) {
    const first = await c.joinGroup(req);
    if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) throw new Error(`expected MEMBER_ID_REQUIRED, got ${first.errorCode}`);
    memberId = first.memberId;
  }
  const join = track(c.joinGroup({ ...req, memberId }));
  await settle();
  return { memberId: join.done ? join.value!.memberId : memberId, join };
}

export function syncOf(c: GroupCoordinator, groupId: string, memberId: string, generationId: number, assignments: Array<{ memberId: string; assignment: Buffer }> = []): ReturnType<typeof track<SyncGroupResult>> {
  return track(c.syncGroup(groupId, { memberId, groupInstanceId: null, generationId, protocolType: null, protocolName: null, assignments }));
}

export { OFFSETS_TOPIC };

/**
 * Fixture for admin handler tests (not a test file itself): a real EmbeddedController over an
 * in-memory MetadataStore, a BrokerConfig loaded from --override strings (no file, no environment),
 * a fixed clock, deterministic ids, a silent logger and a fake ReplicaManager whose partition logs
 * are small in-memory stand-ins (log start offset, high watermark, size, deleteRecordsBefore). No
 * network and no disk. `fx.ctx(version)` builds the RequestContext a dispatcher would, with the image
 * captured at that moment.
 */
import { pino } from 'pino';
import { EmbeddedController } from '../../src/cluster/embedded-controller.js';
import { loadBrokerConfig, type BrokerConfig } from '../../src/config/broker-config.js';
import type { BrokerContext, Handler, RequestContext } from '../../src/handlers/handler.js';
import type { Clock, Timer } from '../../src/io/clock.js';
import type { Random } from '../../src/io/random.js';
import { ReplicaError, type ReplicaManager } from '../../src/replication/replica-manager.js';
import type { Purgatory } from '../../src/replication/purgatory.js';
import { StorageError } from '../../src/storage/errors.js';

export class FakeLog {
  logStartOffset = 0;
  logEndOffset = 0;
  highWatermark = 0;
  offline = false;
  bytes = 0;
  deleteCalls: number[] = [];

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly dir: string,
  ) {}

  /** Pretends `records` records of `bytesEach` bytes were appended and committed. */
  append(records: number, bytesEach = 100): void {
    this.logEndOffset += records;
    this.highWatermark = this.logEndOffset;
    this.bytes += records * bytesEach;
  }

  sizeBytes(): number {
    return this.bytes;
  }

  async deleteRecordsBefore(offset: number): Promise<void> {
    this.deleteCalls.push(offset);
    if (offset > this.highWatermark) throw new StorageError('offsetOutOfRange', `past the high watermark ${this.highWatermark}`);
    if (offset > this.logStartOffset) this.logStartOffset = offset;
  }
}

export class FixedClock implements Clock {
  constructor(public nowMsValue = 1_700_000_000_000) {}
  nowMs(): number {
    return this.nowMsValue;
  }
  monotonicMs(): number {
    return this.nowMsValue;
  }
  setTimer(): Timer {
    return { cancel() {} };
  }
  setInterval(): Timer {
    return { cancel() {} };
  }
}

class CountingRandom implements Random {
  #n = 0;
  uuid(): string {
    this.#n++;
    return `00000000-0000-4000-8000-${this.#n.toString(16).padStart(12, '0')}`;
  }
  int(maxExclusive: number): number {
    return this.#n++ % maxExclusive;
  }
  base64Id(): string {
    return 'AAAAAAAAAAAAAAAAAAAAAA';
  }
}

export interface Fixture {
  broker: BrokerContext;
  controller: EmbeddedController;
  config: BrokerConfig;
  clock: FixedClock;
  /** Logs created on demand by the fake ReplicaManager, keyed `topic-partition`. */
  logs: Map<string, FakeLog>;
  log(topic: string, partition: number): FakeLog;
  ctx(apiVersion: number, apiKey?: number): RequestContext;
  /** Runs a handler as the dispatcher would (context captured now). */
  call<Res>(handler: Handler, apiVersion: number, request: object): Promise<Res>;
  createTopic(name: string, partitions?: number, configs?: Record<string, string>): Promise<void>;
}

export async function adminFixture(overrides: string[] = []): Promise<Fixture> {
  const { config } = loadBrokerConfig({ env: {}, overrides: ['broker.id=1', 'log.dirs=/data/a,/data/b', ...overrides] });
  const clock = new FixedClock();
  const controller = await EmbeddedController.open({
    brokerId: config.brokerId,
    broker: { id: config.brokerId, host: 'localhost', port: 9092, rack: null },
    store: { load: async () => null, save: async () => {} },
    random: new CountingRandom(),
    defaults: {
      numPartitions: config.numPartitions,
      replicationFactor: config.defaultReplicationFactor,
      deleteTopicEnable: config.deleteTopicEnable,
    },
  });
  const logs = new Map<string, FakeLog>();
  const getLog = (topic: string, partition: number): FakeLog => {
    const key = `${topic}-${partition}`;
    let log = logs.get(key);
    if (!log) {
      // Spread partitions over the two log dirs, as LogManager would.
      const dir = config.logDirs[(logs.size % config.logDirs.length)]!;
      log = new FakeLog(topic, partition, `${dir}/${key}`);
      logs.set(key, log);
    }
    return log;
  };
  const replicas = {
    leaderLog(topic: string, partition: number) {
      const info = controller.image.partition(topic, partition);
      if (!info) throw new ReplicaError('unknownTopicOrPartition', `unknown ${topic}-${partition}`);
      if (info.leader !== config.brokerId) throw new ReplicaError('notLeader', `not leader of ${topic}-${partition}`);
      return getLog(topic, partition);
    },
    /** Hosted replicas, leader or follower (what DescribeLogDirs lists). */
    partitionState(topic: string, partition: number) {
      const info = controller.image.partition(topic, partition);
      if (!info || !info.replicas.includes(config.brokerId)) return undefined;
      return { log: getLog(topic, partition) };
    },
  } as unknown as ReplicaManager;
  const broker: BrokerContext = {
    brokerId: config.brokerId,
    config,
    clock,
    random: new CountingRandom(),
    controller,
    replicas,
    fetchPurgatory: {} as Purgatory,
    handlers: new Map(),
  };
  const log = pino({ level: 'silent' });
  const ctx = (apiVersion: number, apiKey = -1): RequestContext => ({
    header: { apiKey, apiVersion, correlationId: 1, clientId: 'test' },
    apiVersion,
    clientAddress: '127.0.0.1:1',
    broker,
    image: controller.image,
    log,
  });
  return {
    broker,
    controller,
    config,
    clock,
    logs,
    log: getLog,
    ctx,
    async call<Res>(handler: Handler, apiVersion: number, request: object): Promise<Res> {
      return (await handler.handle(ctx(apiVersion, handler.api.apiKey), request)) as Res;
    },
    async createTopic(name: string, partitions = 1, configs: Record<string, string> = {}): Promise<void> {
      const r = await controller.createTopic({ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs, validateOnly: false });
      if (!r.ok) throw new Error(`fixture could not create ${name}: ${r.message}`);
    },
  };
}

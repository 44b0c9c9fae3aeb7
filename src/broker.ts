/**
 * Broker: wires one Samsa broker together — storage (LogManager), metadata (Controller),
 * partitions (ReplicaManager), delayed fetches (Purgatory) and the network (Server) — from a
 * BrokerConfig and the four io interfaces. `Broker.start()` recovers the logs, loads topic metadata,
 * binds the listeners and returns once the broker serves; `stop()` shuts down gracefully: stop
 * accepting, answer in-flight requests, flush and close the logs.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { BrokerConfig } from './config/broker-config.js';
import { toLogConfig } from './config/topic-config.js';
import { EmbeddedController, type MetadataStore } from './cluster/embedded-controller.js';
import type { Controller } from './cluster/controller.js';
import { openZkCluster, type ZkCluster } from './cluster/zk-cluster.js';
import type { Clock } from './io/clock.js';
import { diskErrorCode, type Disk } from './io/disk.js';
import type { Net } from './io/net.js';
import type { Random } from './io/random.js';
import { assertLimits, limits } from './limits.js';
import { logger } from './log.js';
import { handlerTable } from './handlers/index.js';
import { GroupCoordinator } from './coordinator/group/group-coordinator.js';
import { ReplicaOffsetsTopicLog } from './coordinator/offsets/offsets-topic-log.js';
import type { BrokerContext } from './handlers/handler.js';
import { LogManager } from './storage/log-manager.js';
import { Purgatory } from './replication/purgatory.js';
import { ReplicaManager } from './replication/replica-manager.js';
import { Dispatcher } from './server/dispatcher.js';
import { Server, type BoundListener } from './server/server.js';

export interface BrokerIo {
  clock: Clock;
  disk: Disk;
  net: Net;
  random: Random;
}

const METADATA_FILE = 'samsa-metadata.json';
const SHUTDOWN_DRAIN_MS = 10_000;
const CHECKPOINT_INTERVAL_MS = 60_000;
/** Node timers overflow past 2^31-1 ms (and then fire at once). */
const TIMER_DELAY_MS_MAX = 2 ** 31 - 1;

function diskStore(disk: Disk, file: string): MetadataStore {
  return {
    async load() {
      try {
        return (await disk.readFile(file)).toString('utf8');
      } catch (err) {
        if (diskErrorCode(err) === 'ENOENT') return null; // first start: no metadata yet
        throw err;
      }
    },
    save: (doc) => disk.writeFileAtomic(file, Buffer.from(doc, 'utf8')),
  };
}

export class Broker {
  private constructor(
    readonly config: BrokerConfig,
    readonly listeners: BoundListener[],
    readonly controller: Controller,
    private readonly server: Server,
    private readonly logs: LogManager,
    private readonly purgatory: Purgatory,
    private readonly log: Logger,
    private readonly cluster: ZkCluster | null = null,
    private readonly groups: GroupCoordinator | null = null,
    private readonly replicas: ReplicaManager | null = null,
  ) {}

  static async start(config: BrokerConfig, io: BrokerIo): Promise<Broker> {
    assertLimits();
    const log = logger('broker');
    const brokerId = config.brokerId;
    for (const dir of config.logDirs) await io.disk.mkdir(dir);
    const logs = new LogManager({ disk: io.disk, clock: io.clock, logDirs: config.logDirs, defaults: toLogConfig(config, {}) });
    await logs.open();
    const listenerSpecs = config.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port }));
    const first = config.advertisedListeners.find((l) => l.name === listenerSpecs[0]!.name) ?? config.advertisedListeners[0]!;
    // Coordination selection: ZooKeeper when zookeeper.connect is set, else the embedded single node.
    const cluster: ZkCluster | null = config.zookeeperConnect !== null ? await openZkCluster(config, io) : null;
    const controller: Controller & { setLocalBrokerEndpoint?(host: string, port: number): void } = cluster?.controller ?? await EmbeddedController.open({
      brokerId,
      broker: { id: brokerId, host: first.host, port: first.port, rack: config.brokerRack ?? null },
      store: diskStore(io.disk, path.join(config.logDirs[0]!, METADATA_FILE)),
      random: io.random,
      defaults: {
        numPartitions: config.numPartitions,
        replicationFactor: config.defaultReplicationFactor,
        deleteTopicEnable: config.deleteTopicEnable,
      },
    });
    const purgatory = new Purgatory(io.clock, limits.purgatoryEntriesMax, (err) => log.error({ err }, 'delayed operation failed'));
    const replicas = new ReplicaManager(brokerId, config, logs, purgatory, logger('replicas'));
    if (cluster) replicas.setController(controller); // cluster: leaders change their ISR through ZooKeeper (alterPartitionIsr)
    await replicas.applyImage(controller.image);
    controller.subscribe((image) => replicas.applyImage(image));
    logs.startBackgroundTasks({
      retentionCheckIntervalMs: Math.min(config.logRetentionCheckIntervalMs, TIMER_DELAY_MS_MAX),
      // The flusher tick also writes checkpoints (Kafka: log.flush.offset.checkpoint.interval.ms = 60 s);
      // per-log flushes still honour flush.ms, so a shorter tick never flushes more than configured.
      flushCheckIntervalMs: Math.min(config.logFlushSchedulerIntervalMs, CHECKPOINT_INTERVAL_MS),
      // Compaction of cleanup.policy=compact logs (storage/log-cleaner.ts); log.cleaner.backoff.ms between ticks.
      cleanerBackoffMs: config.logCleanerEnable ? Number(config.raw.get('log.cleaner.backoff.ms') ?? 15_000) : 0,
    });
    // ---- consumer groups and committed offsets (src/coordinator/group): begin ----
    const groupCoordinator = new GroupCoordinator({
      brokerId,
      config,
      clock: io.clock,
      random: io.random,
      controller,
      offsetsLog: new ReplicaOffsetsTopicLog(replicas, Number(config.raw.get('offsets.commit.timeout.ms') ?? 5000)),
      log: logger('groups'),
      leadership: replicas, // shards load/unload as ReplicaManager takes or loses __consumer_offsets leadership
    });
    groupCoordinator.start();
    // ---- consumer groups: end ----
    const context: BrokerContext = {
      brokerId,
      config,
      clock: io.clock,
      random: io.random,
      controller,
      replicas,
      fetchPurgatory: purgatory,
      groupCoordinator,
      handlers: handlerTable(),
    };
    const server = new Server(io.net, io.clock, new Dispatcher(context, logger('requests')), logger('server'), config.socketRequestMaxBytes);
    const bound = await server.listen(listenerSpecs);
    // An ephemeral port (0) is advertised as the port actually bound.
    if (first.port === 0) controller.setLocalBrokerEndpoint?.(first.host, bound[0]!.port);
    // A coordinated broker registers (ephemeral /brokers/ids/<id>) only once it serves.
    await cluster?.register(bound.map((b) => ({ name: b.name, port: b.port })));
    return new Broker(config, bound, controller, server, logs, purgatory, log, cluster, groupCoordinator, replicas);
  }

  async stop(): Promise<void> {
    await this.cluster?.beforeStop(); // controlled shutdown: leadership moves away first
    this.log.info('shutting down: closing listeners, answering in-flight requests');
    this.purgatory.expireAll();
    this.groups?.shutdown(); // answers parked JoinGroup/SyncGroup so connections drain
    await this.server.stop(SHUTDOWN_DRAIN_MS);
    await this.replicas?.shutdown(); // stops fetchers, fails waiting acks=all produces, writes the HW checkpoint
    await this.cluster?.close(); // ends the ZooKeeper session: the registration goes at once
    await this.logs.close();
    this.log.info('shut down cleanly');
  }
}

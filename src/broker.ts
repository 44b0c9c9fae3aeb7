/**
 * Broker: wires one Samsa broker together — storage (LogManager), metadata (Controller),
 * partitions (ReplicaManager), delayed fetches (Purgatory) and the network (Server) — from a
 * BrokerConfig and the four io interfaces.
 *
 * `Broker.start()`: locks every log dir, binds the listeners (connections wait until the broker
 * serves), checks meta.properties, recovers the logs, opens the metadata source for the mode —
 * ZooKeeper (zookeeper.connect), KRaft single node (process.roles, metadata log in the metadata
 * dir) or embedded (neither: `npm start`, `samsa start`) — and returns once the broker serves.
 * A reason to refuse that the user can fix is a StartupError with a one-line message; whatever
 * was opened is closed again before it is thrown. `stop()` shuts down gracefully: stop accepting,
 * answer in-flight requests, flush and close the logs, release the locks.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { ConfigError, withDynamicConfigs, type BrokerConfig } from './config/broker-config.js';
import { dynamicLayersFor, sameDynamicLayers } from './config/dynamic-broker-config.js';
import { MetadataImage } from './cluster/metadata-image.js';
import { toLogConfig } from './config/topic-config.js';
import { EmbeddedController, type MetadataStore } from './cluster/embedded-controller.js';
import type { Controller } from './cluster/controller.js';
import { openZkCluster, type ClusterFactory, type ClusterMembership } from './cluster/zk-cluster.js';
import type { CoordinationFactory } from './cluster/coordination/coordination.js';
import type { Clock } from './io/clock.js';
import { diskErrorCode, lockHolder, type Disk } from './io/disk.js';
import type { Net } from './io/net.js';
import type { Random } from './io/random.js';
import { assertLimits, limits } from './limits.js';
import { logger } from './log.js';
import { handlerTable } from './handlers/index.js';
import { codeForPartitionFailure } from './handlers/errors.js';
import { FetchSessionCache } from './handlers/fetch-sessions.js';
import { GroupCoordinator } from './coordinator/group/group-coordinator.js';
import { ReplicaOffsetsTopicLog } from './coordinator/offsets/offsets-topic-log.js';
import { startTransactions, type Transactions } from './coordinator/txn/wiring.js';
import type { BrokerContext, QuorumView } from './handlers/handler.js';
import { LogManager } from './storage/log-manager.js';
import { Purgatory } from './replication/purgatory.js';
import { ReplicaManager } from './replication/replica-manager.js';
import { interBrokerConnector } from './security/inter-broker.js';
import { listenerSecurity, type ListenerSecurity } from './security/listener-security.js';
import { parseScramCredential, type ScramCredentialLookup } from './security/sasl/scram.js';
import { Dispatcher } from './server/dispatcher.js';
import { Server, type BoundListener } from './server/server.js';
import { MetadataLog } from './cluster/kraft/metadata-log.js';
import { adminListenProblem, checkKraftDirs, checkZkDir, listenProblem, lockedDirMessage, logDirProblem, metadataDir, type BrokerMode } from './cluster/startup-checks.js';
import type { Http } from './io/http.js';
import type { ProcessStats } from './io/process-stats.js';
import { AdminHttpServer, type AdminHttpHandler } from './admin/http.js';
import { healthHandler, readyHandler, type ReadinessView } from './admin/health.js';
import { metricsHandler } from './admin/metrics-handler.js';
import { BrokerMetrics, BrokerState } from './metrics/broker-metrics.js';
import type { MetricsSources } from './metrics/collect.js';
import { StartupError } from './startup-error.js';
import { openSecurity } from './security/open.js';
import { securitySettings } from './security/settings.js';
import { connectionLimits } from './server/connection-limits.js';

/**
 * Everything a broker uses to reach the world: time and timers, files, sockets (listen and
 * connect), randomness, and the coordination backend (ZooKeeper mode). Production: io/node/* and
 * coordination/zookeeper.ts's `zookeeperCoordination` (main.ts); the simulator: its own.
 */
export interface BrokerIo {
  clock: Clock;
  disk: Disk;
  net: Net;
  random: Random;
  /** Needed when zookeeper.connect is set. */
  coordination?: CoordinationFactory;
  /** Needed when admin.listeners is set (the admin HTTP listener: metrics, health, console). */
  http?: Http;
  /** The process's own CPU, memory, fds, event loop and GC, for /metrics; absent = left out. */
  process?: ProcessStats;
  /**
   * The web console (src/console's createConsoleHandler: a Kafka client of this broker, so it
   * lives outside the io boundary), mounted on the admin listener once the broker serves; absent =
   * the admin listener serves metrics and health only.
   */
  webConsole?: WebConsoleFactory;
  /**
   * ZooKeeper mode only: joins the cluster instead of `openZkCluster` (which uses `coordination`).
   * For tests that script the controller themselves (test/replication/fixture.ts); production
   * leaves it unset.
   */
  cluster?: ClusterFactory;
}

const METADATA_FILE = 'samsa-metadata.json';
/** Kafka's lock file in every log dir. */
const LOCK_FILE = '.lock';
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
    /** This broker's logs and partitions, for in-process tests that look inside. */
    readonly logs: LogManager,
    readonly replicas: ReplicaManager,
    private readonly purgatory: Purgatory,
    private readonly log: Logger,
    private readonly closers: Closers,
    private readonly cluster: ClusterMembership | null,
    private readonly groups: GroupCoordinator,
    /** The transaction coordinator and its helpers (coordinator/txn/wiring.ts). */
    readonly transactions: Transactions,
    private readonly fatal: FatalSignal,
    /** Counters and state behind /metrics (src/metrics). */
    readonly metrics: BrokerMetrics,
    private readonly admin: AdminHttpServer | null,
    /** The admin HTTP listeners as bound (admin.listeners; port 0 resolved), empty when off. */
    readonly adminListeners: ReadonlyArray<{ host: string; port: number }>,
  ) {}

  /**
   * `listener` hears (once) of a failure the broker cannot serve through — every log dir failed —
   * and should end the process at once, as Kafka halts: its partitions are then led elsewhere once
   * its ZooKeeper session ends. main.ts exits with code 1.
   */
  onFatal(listener: (reason: string) => void): void {
    this.fatal.listen(listener);
  }

  /** zookeeper | kraft | embedded, from the config (see the header). */
  static modeOf(config: BrokerConfig): BrokerMode {
    if (config.processRoles.length > 0) return 'kraft';
    return config.zookeeperConnect !== null ? 'zookeeper' : 'embedded';
  }

  static async start(config: BrokerConfig, io: BrokerIo): Promise<Broker> {
    assertLimits();
    const closers = new Closers();
    try {
      return await Broker.#start(config, io, closers);
    } catch (err) {
      await closers.closeAll(logger('broker'));
      throw err;
    }
  }

  static async #start(config: BrokerConfig, io: BrokerIo, closers: Closers): Promise<Broker> {
    const log = logger('broker');
    const brokerId = config.brokerId;
    const mode = Broker.modeOf(config);
    const dirs = [...new Set([...config.logDirs, ...(mode === 'kraft' ? [metadataDir(config)] : [])])];
    for (const dir of dirs) {
      try {
        await io.disk.mkdir(dir);
        const lock = await io.disk.lock(path.join(dir, LOCK_FILE));
        closers.add(() => lock.release(), { atStop: true });
      } catch (err) {
        if (diskErrorCode(err) === 'ELOCKED') throw new StartupError(lockedDirMessage(dir, lockHolder(err), config));
        const problem = logDirProblem(err, dir, config);
        if (problem !== null) throw new StartupError(problem);
        throw err;
      }
    }
    const fatal = new FatalSignal();
    // `effective` (the config with dynamic broker configs) is set once the controller's image is read.
    const settings = { effective: config };
    const metrics = new BrokerMetrics(logger('requests'), () => settings.effective, io.random);
    metrics.state = BrokerState.STARTING;
    // Listeners are bound early so a taken port fails at once; connections wait until serve().
    const server = new Server(io.net, io.clock, logger('server'), config.socketRequestMaxBytes, connectionLimits(securitySettings(config)));
    closers.add(() => server.stop(0));
    // SCRAM credentials come from the controller, which exists only later; connections are not
    // read before serve(), by when it is set.
    let scramSource: Controller | null = null;
    const scramLookup: ScramCredentialLookup = async (user, mechanism) => {
      const creds = scramSource?.scramCredentials ? await scramSource.scramCredentials([user]) : null;
      const text = creds?.get(user)?.[mechanism];
      return text === undefined ? null : parseScramCredential(text);
    };
    const bound: BoundListener[] = [];
    for (const l of config.listeners) {
      const security: ListenerSecurity = await listenerSecurity(l.name, { config, disk: io.disk, clock: io.clock, random: io.random, scramLookup });
      try {
        bound.push(await server.listen({ name: l.name, host: l.host, port: l.port, security }));
      } catch (err) {
        const problem = listenProblem(err, l, config);
        if (problem !== null) throw new StartupError(problem);
        if (security.tls !== null && err instanceof Error && !('code' in err && String(err.code).startsWith('EADDR'))) {
          // OpenSSL's reason (bad PKCS12 password, key not matching the certificate); never a secret.
          throw new StartupError(`cannot set up TLS on listener ${l.name}: ${err.message}; check its ssl.keystore.* / ssl.truststore.* settings`);
        }
        throw err;
      }
    }
    const connector = await interBrokerConnector({ net: io.net, config, disk: io.disk, clock: io.clock, random: io.random });
    // The admin listener answers /health, /ready and a start-up /metrics while the logs load.
    const readinessProblems: { fn: () => string[] } = { fn: () => [] };
    const readiness: ReadinessView = { state: () => metrics.state, fatal: () => fatal.reason, problems: () => readinessProblems.fn() };
    const admin = config.adminListeners.length > 0 ? new AdminHttpServer(startingAdminHandlers(metrics, readiness, server, io.process ?? null), logger('admin')) : null;
    const adminBound: Array<{ host: string; port: number }> = [];
    if (admin) {
      if (!io.http) throw new StartupError('admin.listeners is set but this runtime has no HTTP implementation (BrokerIo.http); leave admin.listeners empty');
      closers.add(() => admin.close());
      for (const a of config.adminListeners) {
        try {
          const l = await admin.listen(io.http, a.host, a.port);
          adminBound.push({ host: a.host, port: l.port });
        } catch (err) {
          const problem = adminListenProblem(err, a);
          if (problem !== null) throw new StartupError(problem);
          throw err;
        }
      }
    }
    const kraft = mode === 'kraft' ? await checkKraftDirs(io.disk, config, dirs) : null;
    const zkDirs = mode === 'zookeeper' ? await checkZkDir(io.disk, config) : null;

    metrics.state = BrokerState.RECOVERY;
    const logs = new LogManager({
      disk: io.disk,
      clock: io.clock,
      logDirs: config.logDirs,
      defaults: toLogConfig(config, {}),
      tailCacheBytes: config.logTailCacheBytes,
      writeBehindBytes: config.logWriteBehindBytes,
      onLogDirFailure: (_dir, failedDirs, err) => {
        if (config.logDirs.every((d) => failedDirs.has(d))) {
          fatal.raise(`shutting down: all log dirs in ${config.logDirs.join(',')} have failed (last: ${err.message}); free space or fix the disk, then restart`);
        }
      },
    });
    await logs.open();
    closers.add(() => logs.close());
    metrics.state = BrokerState.STARTING;
    const firstName = config.listeners.find((l) => !config.controllerListenerNames.includes(l.name))?.name ?? config.listeners[0]!.name;
    const first = config.advertisedListeners.find((l) => l.name === firstName) ?? config.advertisedListeners[0]!;
    const firstPort = first.port !== 0 ? first.port : (bound.find((b) => b.name === first.name) ?? bound[0]!).port;
    // Every advertised broker listener (an ephemeral port as bound): clients get the one they came in on.
    const endpoints = config.advertisedListeners
      .filter((l) => !config.controllerListenerNames.includes(l.name))
      .map((l) => ({ listener: l.name, host: l.host, port: l.port !== 0 ? l.port : (bound.find((b) => b.name === l.name) ?? bound[0]!).port }));
    let cluster: ClusterMembership | null = null;
    let metadataLog: MetadataLog | null = null;
    let controller: Controller;
    if (mode === 'zookeeper') {
      cluster = await (io.cluster ?? openZkCluster)(config, io, metrics);
      closers.add(() => cluster!.close());
      await zkDirs!.afterClusterId(cluster.controller.image.clusterId, io.clock.nowMs());
      controller = cluster.controller;
    } else {
      let store: MetadataStore;
      if (mode === 'kraft') {
        metadataLog = await MetadataLog.open({ disk: io.disk, clock: io.clock, metadataLogDir: metadataDir(config), clusterId: kraft!.clusterId, nodeId: brokerId });
        closers.add(() => metadataLog!.close(), { atStop: true });
        store = metadataLog;
      } else {
        store = diskStore(io.disk, path.join(config.logDirs[0]!, METADATA_FILE));
      }
      controller = await EmbeddedController.open({
        brokerId,
        broker: { id: brokerId, host: first.host, port: firstPort, rack: config.brokerRack ?? null, ...(endpoints.length > 0 ? { endpoints } : {}) },
        store,
        random: io.random,
        ...(kraft ? { clusterId: kraft.clusterId } : {}),
        defaults: {
          numPartitions: config.numPartitions,
          replicationFactor: config.defaultReplicationFactor,
          deleteTopicEnable: config.deleteTopicEnable,
        },
      });
    }
    scramSource = controller;
    // Dynamic broker configs (kafka-configs --entity-type brokers) come with the image; `effective`
    // is the static config with them laid over, rebuilt whenever they change.
    let effective = effectiveConfig(config, config, controller.image, log);
    settings.effective = effective;
    const purgatory = new Purgatory(io.clock, limits.purgatoryEntriesMax, (err) => log.error({ err }, 'delayed operation failed'));
    closers.add(async () => purgatory.expireAll());
    const replicas = new ReplicaManager(brokerId, effective, logs, purgatory, logger('replicas'), { clock: io.clock, connector });
    closers.add(() => replicas.shutdown());
    if (cluster) replicas.setController(controller); // cluster: leaders change their ISR through ZooKeeper (alterPartitionIsr)
    await replicas.applyImage(controller.image);
    controller.subscribe((image) => {
      const next = effectiveConfig(config, effective, image, log);
      if (next !== effective) {
        effective = next;
        settings.effective = next;
        replicas.setBrokerConfig(next);
      }
      return replicas.applyImage(image);
    });
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
    closers.add(async () => groupCoordinator.shutdown());
    // ---- consumer groups: end ----
    // ---- ACLs and client quotas (src/security): the store for the mode, the authorizer if configured ----
    const security = await openSecurity({ config, controller, coordination: cluster?.coordination, clock: io.clock, log: logger('security') });
    closers.add(() => security.store.close());
    // ---- transactions (src/coordinator/txn) ----
    const txns = startTransactions({ brokerId, config, io, controller, replicas, groupCoordinator, codeForAppendFailure: codeForPartitionFailure, log: logger('txn') });
    closers.add(async () => txns.shutdown());
    const fetchSessions = new FetchSessionCache(() => ({ slotsMax: effective.fetchSessionCacheSlots, evictionMs: effective.fetchSessionEvictionMs }));
    const context: BrokerContext = {
      brokerId,
      get config() {
        return effective;
      },
      clock: io.clock,
      random: io.random,
      controller,
      replicas,
      fetchPurgatory: purgatory,
      fetchSessions,
      groupCoordinator,
      txnCoordinator: txns.coordinator,
      producerIds: txns.producerIds,
      txnMarkers: txns.markerWriter,
      txnVerifier: txns.verifier,
      ...(metadataLog ? { quorum: quorumView(metadataLog, config, bound) } : {}),
      handlers: handlerTable({ kraft: mode === 'kraft' }),
      security: security.store,
      quotas: security.quotas,
      ...(security.authorizer ? { authorizer: security.authorizer } : {}),
      metrics,
    };
    server.serve(new Dispatcher(context, logger('requests')));
    const sources: MetricsSources = {
      brokerId,
      metrics,
      image: () => controller.image,
      partitions: () => replicas.hostedPartitions(),
      minInsyncReplicas: (topic) => replicas.minInsyncReplicas(topic),
      isrShrinks: () => replicas.stats.isrShrinks,
      isrExpands: () => replicas.stats.isrExpands,
      replicationBytesIn: () => replicas.stats.replicationBytesIn,
      producePurgatorySize: () => replicas.producePurgatorySize,
      fetchPurgatorySize: () => purgatory.pending,
      // Embedded and KRaft single node: this broker is the controller.
      isActiveController: () => (cluster ? (cluster.isActiveController?.() ?? false) : true),
      connections: () => server.connectionStats(),
      receivePool: () => server.receivePoolStats(),
      groups: () => groupCoordinator.metricsView(),
      process: io.process ?? null,
      partitionLogMetrics: () => effective.metricsPartitionLogEnable,
      logDirs: () => ({ total: config.logDirs.length, offline: logs.failedLogDirs.size }),
      tailCache: () => logs.tailCacheStats(),
      diskWrites: () => io.disk.writeStats?.() ?? null,
      writeBehind: () => logs.writeBehindStats(),
      fetchSessions: () => ({ sessions: fetchSessions.size, partitions: fetchSessions.partitionCount }),
    };
    readinessProblems.fn = () => readinessProblemsOf(brokerId, controller.image, replicas, cluster);
    const webConsole = admin && io.webConsole ? mountWebConsole(io.webConsole, config, bound, adminBound, logger('admin')) : null;
    if (webConsole) closers.add(() => webConsole.close());
    admin?.setHandlers(adminHandlers({ context, metricsSources: sources, readiness, webConsole: webConsole?.handler ?? null }));
    // A coordinated broker registers (ephemeral /brokers/ids/<id>) only once it serves.
    await cluster?.register(
      bound.map((b) => ({ name: b.name, port: b.port })),
      () => replicas.logEnds(),
    );
    metrics.state = BrokerState.RUNNING;
    return new Broker(config, bound, controller, server, logs, replicas, purgatory, log, closers, cluster, groupCoordinator, txns, fatal, metrics, admin, adminBound);
  }

  async stop(): Promise<void> {
    this.metrics.state = this.cluster ? BrokerState.PENDING_CONTROLLED_SHUTDOWN : BrokerState.SHUTTING_DOWN;
    await this.cluster?.beforeStop(); // controlled shutdown: leadership moves away first
    this.metrics.state = BrokerState.SHUTTING_DOWN;
    this.log.info('shutting down: closing listeners, answering in-flight requests');
    this.purgatory.expireAll();
    this.groups.shutdown(); // answers parked JoinGroup/SyncGroup so connections drain
    this.transactions.shutdown(); // stops marker sending; Prepare* transactions resume at the next coordinator
    await this.server.stop(SHUTDOWN_DRAIN_MS);
    await this.replicas.shutdown(); // stops fetchers, fails waiting acks=all produces, writes the HW checkpoint
    await this.cluster?.close(); // ends the ZooKeeper session: the registration goes at once
    await this.logs.close();
    this.metrics.state = BrokerState.NOT_RUNNING;
    await this.admin?.close(); // last listener to go: /ready answered 503 throughout the shutdown
    await this.closers.closeAll(this.log, { onlyAtStop: true }); // then the metadata log, then the locks
    this.log.info('shut down cleanly');
  }
}

/**
 * The config in force for `image`: `base` (static) with this broker's dynamic layers from the
 * image; `current` itself when they did not change. A dynamic value this broker cannot accept (it
 * was checked against another broker's static config) is logged and the previous config kept, as
 * Kafka does.
 */
function effectiveConfig(base: BrokerConfig, current: BrokerConfig, image: MetadataImage, log: Logger): BrokerConfig {
  const layers = dynamicLayersFor(base.brokerId, image.brokerConfigs);
  if (sameDynamicLayers(layers, current.dynamic)) return current;
  try {
    const next = withDynamicConfigs(base, layers);
    log.info({ clusterDefault: layers.clusterDefault, broker: layers.broker }, 'dynamic broker configs in force');
    return next;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    log.error({ err: err.message }, 'ignoring dynamic broker configs this broker cannot accept; keeping the previous ones');
    return current;
  }
}

/** DescribeQuorum's view of a KRaft node: its metadata log's status and its bound controller listeners. */
function quorumView(metadataLog: MetadataLog, config: BrokerConfig, bound: BoundListener[]): QuorumView {
  const endpoints = bound
    .filter((b) => config.controllerListenerNames.includes(b.name))
    .map((b) => ({ nodeId: config.brokerId, name: b.name, host: b.host === '' || b.host === '0.0.0.0' ? 'localhost' : b.host, port: b.port }));
  return { status: () => metadataLog.status(), endpoints };
}

/**
 * The admin listener's handlers once the broker serves, in the order they are tried (the first
 * non-null answer wins, 404 when none answers). A new admin feature (the web console) is one more
 * entry here; `context` gives it the broker's services (controller, replicas, groups, config).
 */
export interface AdminDeps {
  context: BrokerContext;
  metricsSources: MetricsSources;
  readiness: ReadinessView;
  /** The web console's handler (tried last: it owns /, /console/* and /v1/*), or null. */
  webConsole: AdminHttpHandler | null;
}

function adminHandlers(d: AdminDeps): AdminHttpHandler[] {
  const handlers = [metricsHandler(() => d.metricsSources), healthHandler(d.readiness), readyHandler(d.readiness)];
  return d.webConsole ? [...handlers, d.webConsole] : handlers;
}

export type WebConsoleFactory = (opts: { bootstrapServers: string[]; metricsUrl?: string }) => { handler: AdminHttpHandler; close(): Promise<void> };

/**
 * The console connects to this broker like any client: through a PLAINTEXT listener (the broker has
 * no client credentials to give it; `samsa console --command-config` reaches secured listeners), on
 * loopback when the listener binds every interface. Null (and a log line) when every listener is
 * secured.
 */
function mountWebConsole(factory: WebConsoleFactory, config: BrokerConfig, bound: BoundListener[], adminBound: ReadonlyArray<{ host: string; port: number }>, log: Logger): { handler: AdminHttpHandler; close(): Promise<void> } | null {
  const plain = config.listeners.find((l) => l.securityProtocol === 'PLAINTEXT');
  const port = plain ? bound.find((b) => b.name === plain.name)?.port : undefined;
  if (!plain || port === undefined) {
    log.warn('web console off: it connects through a PLAINTEXT listener and every listener is secured');
    return null;
  }
  const loopback = (host: string): string => (host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host);
  const admin = adminBound[0];
  return factory({
    bootstrapServers: [`${loopback(plain.host)}:${port}`],
    ...(admin ? { metricsUrl: `http://${loopback(admin.host)}:${admin.port}/metrics` } : {}),
  });
}

const EMPTY_IMAGE = new MetadataImage('', -1, new Map(), new Map());

/** While the logs load: /health, /ready, and /metrics with the broker state, connections and the process only. */
function startingAdminHandlers(metrics: BrokerMetrics, readiness: ReadinessView, server: Server, process: ProcessStats | null): AdminHttpHandler[] {
  const starting: MetricsSources = {
    brokerId: -1,
    metrics,
    image: () => EMPTY_IMAGE,
    partitions: () => [],
    minInsyncReplicas: () => 1,
    isrShrinks: () => 0,
    isrExpands: () => 0,
    replicationBytesIn: () => 0,
    producePurgatorySize: () => 0,
    fetchPurgatorySize: () => 0,
    isActiveController: () => false,
    connections: () => server.connectionStats(),
    receivePool: () => server.receivePoolStats(),
    groups: () => null,
    process,
    partitionLogMetrics: () => false,
    logDirs: () => ({ total: 0, offline: 0 }),
    tailCache: () => ({ bytes: 0, hits: 0, misses: 0 }),
    diskWrites: () => null,
    writeBehind: () => ({ syncs: 0, queued: 0 }),
    fetchSessions: () => ({ sessions: 0, partitions: 0 }),
  };
  return [metricsHandler(() => starting), healthHandler(readiness), readyHandler(readiness)];
}

/** Readiness beyond the broker state: cluster membership, and every partition the image says we lead served here. */
function readinessProblemsOf(brokerId: number, image: MetadataImage, replicas: ReplicaManager, cluster: ClusterMembership | null): string[] {
  const out: string[] = [];
  const membership = cluster?.membershipProblem?.() ?? null;
  if (membership !== null) out.push(membership);
  const notServed: string[] = [];
  for (const t of image.topics.values()) {
    for (const p of t.partitions) {
      if (p.leader !== brokerId) continue;
      const here = replicas.partitionState(t.name, p.partition);
      if (!here || !here.isLeader || here.log.offline) notServed.push(`${t.name}-${p.partition}`);
    }
  }
  if (notServed.length > 0) {
    const shown = notServed.slice(0, 5).join(', ');
    out.push(`${notServed.length} partition(s) this broker leads are not served here (offline or not yet loaded): ${shown}${notServed.length > 5 ? ', ...' : ''}`);
  }
  return out;
}

/** A fatal failure, raised once, delivered to listeners registered before or after it. */
class FatalSignal {
  #reason: string | null = null;
  readonly #listeners: Array<(reason: string) => void> = [];

  get reason(): string | null {
    return this.#reason;
  }

  raise(reason: string): void {
    if (this.#reason !== null) return;
    this.#reason = reason;
    for (const l of this.#listeners) l(reason);
  }

  listen(listener: (reason: string) => void): void {
    this.#listeners.push(listener);
    if (this.#reason !== null) listener(this.#reason);
  }
}

/**
 * What start() opened, closed in reverse order: all of it when start fails; at stop(), after the
 * explicit shutdown sequence, only the entries marked `atStop` (the metadata log and the locks).
 */
class Closers {
  #entries: Array<{ fn: () => Promise<unknown>; atStop: boolean }> = [];

  add(fn: () => Promise<unknown>, opts: { atStop?: boolean } = {}): void {
    this.#entries.push({ fn, atStop: opts.atStop ?? false });
  }

  async closeAll(log: Logger, opts: { onlyAtStop?: boolean } = {}): Promise<void> {
    const entries = this.#entries.reverse().filter((e) => !opts.onlyAtStop || e.atStop);
    this.#entries = [];
    for (const { fn } of entries) {
      try {
        await fn();
      } catch (err) {
        log.warn({ err }, 'closing after a failed start or at stop failed; continuing');
      }
    }
  }
}

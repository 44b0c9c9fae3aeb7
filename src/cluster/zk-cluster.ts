/**
 * Glue between Broker and the ZooKeeper-coordinated controller, so broker.ts needs one small block
 * (the `ClusterMembership` seam, which tests may fill with a scripted controller instead):
 * `openZkCluster` starts the ZooKeeper session (zookeeper.connect, zookeeper.session.timeout.ms,
 * zookeeper.connection.timeout.ms) and the ZkController; the broker calls `register()` once its
 * listeners are bound (the advertised endpoints then carry the real ports), `beforeStop()` first
 * when stopping (controlled shutdown when controlled.shutdown.enable) and `close()` last (ends the
 * session, so the registration disappears at once rather than after the session timeout).
 */
import assert from 'node:assert/strict';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Controller } from './controller.js';
import type { Clock } from '../io/clock.js';
import type { Random } from '../io/random.js';
import { logger } from '../log.js';
import { StartupError } from '../startup-error.js';
import { isCoordinationError } from './coordination/coordination.js';
import type { Coordination, CoordinationFactory } from './coordination/coordination.js';
import { meteredCoordination } from './coordination/metered.js';
import type { BrokerMetrics, ControllerEvent } from '../metrics/broker-metrics.js';
import { ZkMetrics } from '../metrics/zk-metrics.js';
import { ZkController } from './zk-controller.js';
import type { ReplicaLogEnd } from './zk/layout.js';

/**
 * A coordinated broker's membership of its cluster: the controller it follows (images, ISR
 * changes, admin requests) and the hooks Broker calls around serving. Production: `openZkCluster`.
 */
export interface ClusterMembership {
  readonly controller: Controller;
  /**
   * Once the listeners serve: announce this broker with its bound ports, and what its replicas hold
   * (the controller's choice when every in-sync replica of a partition restarted).
   */
  register(bound: Array<{ name: string; port: number }>, logEnds?: () => Iterable<ReplicaLogEnd>): Promise<void>;
  /** First thing at stop (controlled shutdown). */
  beforeStop(): Promise<void>;
  /** Last thing at stop: leave the cluster. */
  close(): Promise<void>;
  /** The coordination session (ACLs and client quotas live there too); absent in scripted tests. */
  readonly coordination?: Coordination;
  /** Why this broker is not a sound member now (readiness), or null; absent = always sound. */
  membershipProblem?(): string | null;
  /** True while this broker is the active controller (metrics); absent = never. */
  isActiveController?(): boolean;
}

/**
 * How Broker.start joins the cluster in ZooKeeper mode. The default is `openZkCluster` (ZooKeeper
 * through `io.coordination`, and the ZkController). A test that decides leadership itself passes
 * its own (BrokerIo.cluster; test/replication/fixture.ts scripts elections and ISR answers).
 */
export type ClusterFactory = (config: BrokerConfig, io: { clock: Clock; random: Random; coordination?: CoordinationFactory }, metrics?: BrokerMetrics) => Promise<ClusterMembership>;

export interface ZkCluster extends ClusterMembership {
  readonly controller: ZkController;
}

export async function openZkCluster(config: BrokerConfig, io: { clock: Clock; random: Random; coordination?: CoordinationFactory }, metrics?: BrokerMetrics): Promise<ZkCluster> {
  const log = logger('cluster');
  const connect = config.zookeeperConnect;
  assert.ok(connect !== null, 'openZkCluster needs zookeeper.connect');
  assert.ok(io.coordination !== undefined, 'a broker with zookeeper.connect needs a coordination factory in its io bundle');
  const bare = io.coordination({
    connect,
    sessionTimeoutMs: config.zookeeperSessionTimeoutMs,
    connectionTimeoutMs: config.zookeeperConnectionTimeoutMs,
    clock: io.clock,
    log: logger('zookeeper'),
  });
  if (metrics) metrics.zk = new ZkMetrics();
  const coordination = metrics ? meteredCoordination(bare, io.clock, metrics.zk!) : bare;
  log.info({ zookeeperConnect: connect, connectionTimeoutMs: config.zookeeperConnectionTimeoutMs }, `connecting to ZooKeeper at ${connect} (zookeeper.connect)`);
  try {
    await coordination.start();
  } catch (err) {
    if (!isCoordinationError(err, 'connectionLoss')) throw err;
    throw new StartupError(
      `cannot reach ZooKeeper at ${connect} (zookeeper.connect): nothing answered within ${config.zookeeperConnectionTimeoutMs} ms (zookeeper.connection.timeout.ms). ` +
        'Start ZooKeeper first (bin/zookeeper-server-start config/zookeeper.properties), or run without it: `npm start`, `samsa start`, or KRaft mode with config/kraft/server.properties',
    );
  }
  log.info({ zookeeperConnect: connect, sessionTimeoutMs: config.zookeeperSessionTimeoutMs }, 'connected to ZooKeeper');
  const controller = await ZkController.open({
    brokerId: config.brokerId,
    coordination,
    clock: io.clock,
    random: io.random,
    log,
    defaults: {
      numPartitions: config.numPartitions,
      replicationFactor: config.defaultReplicationFactor,
      deleteTopicEnable: config.deleteTopicEnable,
      uncleanLeaderElectionEnable: config.uncleanLeaderElectionEnable,
      autoLeaderRebalanceEnable: config.autoLeaderRebalanceEnable,
      leaderImbalancePerBrokerPercentage: config.leaderImbalancePerBrokerPercentage,
      leaderImbalanceCheckIntervalMs: Math.min(config.leaderImbalanceCheckIntervalSeconds * 1000, 2 ** 31 - 1),
    },
    ...(metrics ? { onControllerEvent: (e: ControllerEvent) => metrics.controllerEvent(e) } : {}),
  });
  return {
    controller,
    coordination,
    async register(bound, logEnds) {
      const endpoints = config.advertisedListeners.map((l) => {
        const port = l.port !== 0 ? l.port : (bound.find((b) => b.name === l.name)?.port ?? bound[0]!.port);
        return { name: l.name, host: l.host, port, protocol: config.listenerSecurityProtocolMap.get(l.name) ?? 'PLAINTEXT' };
      });
      const first = endpoints[0]!;
      await controller.register({ id: config.brokerId, host: first.host, port: first.port, rack: config.brokerRack }, endpoints, logEnds);
    },
    async beforeStop() {
      if (!config.controlledShutdownEnable) return;
      const budgetMs = Math.min(30_000, config.controlledShutdownMaxRetries * Math.max(1000, config.controlledShutdownRetryBackoffMs));
      try {
        await controller.controlledShutdown(budgetMs);
      } catch (err) {
        log.warn({ err }, 'controlled shutdown failed; stopping anyway (leaders move after the session ends)');
      }
    },
    async close() {
      await controller.close();
      await coordination.close();
    },
    membershipProblem: () => controller.membershipProblem,
    isActiveController: () => controller.isActiveController,
  };
}

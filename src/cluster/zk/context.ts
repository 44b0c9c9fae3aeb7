/**
 * What the parts of the ZooKeeper-mode controller share. ZkController (../zk-controller.ts) builds
 * one ZkContext when it is opened and hands it to the admin operations (admin.ts) and the active
 * controller (active-controller.ts, reassignment.ts); it lives as long as the ZkController.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../io/clock.js';
import type { Random } from '../../io/random.js';
import type { Coordination } from '../coordination/coordination.js';
import type { ImagePublisher } from '../image-publisher.js';
import type { ZkCache } from './cache.js';

/** Broker settings the controller applies (server.properties). */
export interface ZkDefaults {
  numPartitions: number;
  replicationFactor: number;
  deleteTopicEnable: boolean;
  uncleanLeaderElectionEnable: boolean;
  autoLeaderRebalanceEnable: boolean;
  leaderImbalancePerBrokerPercentage: number;
  leaderImbalanceCheckIntervalMs: number;
}

export interface ZkContext {
  readonly brokerId: number;
  readonly coord: Coordination & { readonly healthy?: boolean };
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Logger;
  readonly defaults: ZkDefaults;
  /** The watched cache of the coordination state (and this broker's session flags). */
  readonly cache: ZkCache;
  /** Publishes the images built from `cache`. */
  readonly images: ImagePublisher;
  /** Controller events, for metrics (kafka_controller_controllerstats_events). */
  readonly onControllerEvent?: (event: 'ControllerChange' | 'ControllerResign' | 'Reconcile') => void;
}

export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((r) => clock.setTimer(ms, r));
}

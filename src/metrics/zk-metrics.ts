/**
 * ZooKeeper client metrics (Kafka: kafka.server:type=SessionExpireListener and
 * type=ZooKeeperClientMetrics): the session state, session event counts and the latency of every
 * coordination request. Updated by cluster/coordination/metered.ts, read at scrape time.
 */
import { Histogram } from './exposition.js';
import { REQUEST_TIME_BUCKETS_SECONDS } from './request-metrics.js';

export type ZkSessionState = 'CONNECTED' | 'DISCONNECTED' | 'EXPIRED' | 'CLOSED';
export const ZK_SESSION_STATES: readonly ZkSessionState[] = ['CONNECTED', 'DISCONNECTED', 'EXPIRED', 'CLOSED'];

export class ZkMetrics {
  sessionState: ZkSessionState = 'CONNECTED';
  disconnects = 0;
  expires = 0;
  /** Reconnections of the same session after a disconnect (Kafka's ZooKeeperSyncConnectsPerSec counts every connect). */
  syncConnects = 0;
  readonly requestLatency = new Histogram(REQUEST_TIME_BUCKETS_SECONDS);
}

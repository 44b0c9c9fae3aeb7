/**
 * A Coordination that measures the one it wraps: each request's latency (success or failure) and
 * the session's state and events, into ZkMetrics (src/metrics/zk-metrics.ts). Used by
 * zk-cluster.ts when the broker has metrics; everything else passes through unchanged.
 */
import type { Clock } from '../../io/clock.js';
import type { ZkMetrics } from '../../metrics/zk-metrics.js';
import type { Coordination, MultiOp, NodeData, SessionEvent, Watcher } from './coordination.js';

export function meteredCoordination(inner: Coordination & { readonly healthy?: boolean }, clock: Clock, m: ZkMetrics): Coordination & { readonly healthy?: boolean } {
  const timed = async <T>(op: () => Promise<T>): Promise<T> => {
    const startMs = clock.monotonicMs();
    try {
      return await op();
    } finally {
      m.requestLatency.observe((clock.monotonicMs() - startMs) / 1000);
    }
  };
  inner.onSession((e: SessionEvent) => {
    if (e === 'disconnected') {
      m.disconnects++;
      m.sessionState = 'DISCONNECTED';
    } else if (e === 'expired') {
      m.expires++;
      m.sessionState = 'EXPIRED';
    } else {
      if (e === 'connected') m.syncConnects++;
      m.sessionState = 'CONNECTED';
    }
  });
  return {
    start: () => inner.start(),
    close: async () => {
      await inner.close();
      m.sessionState = 'CLOSED';
    },
    onSession: (listener) => inner.onSession(listener),
    get connected() {
      return inner.connected;
    },
    get healthy() {
      return inner.healthy;
    },
    create: (path: string, data: Buffer, mode?: { ephemeral?: boolean; sequential?: boolean }) => timed(() => inner.create(path, data, mode)),
    ensurePath: (path: string) => timed(() => inner.ensurePath(path)),
    get: (path: string, watch?: Watcher): Promise<NodeData | null> => timed(() => inner.get(path, watch)),
    children: (path: string, watch?: Watcher) => timed(() => inner.children(path, watch)),
    set: (path: string, data: Buffer, expectedVersion?: number) => timed(() => inner.set(path, data, expectedVersion)),
    delete: (path: string, expectedVersion?: number) => timed(() => inner.delete(path, expectedVersion)),
    multi: (ops: MultiOp[]) => timed(() => inner.multi(ops)),
  };
}

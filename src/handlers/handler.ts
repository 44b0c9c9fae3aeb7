/**
 * The handler contract: one file per API key exports a Handler built with `defineHandler`, which
 * names its ApiDef (protocol/messages) and may narrow the implemented version range. handlers/index.ts
 * is the single list; the dispatcher's version gate and the ApiVersions response both come from it.
 */
import type { Logger } from 'pino';
import type { ApiDef } from '../protocol/schema.js';
import type { RequestHeader } from '../protocol/header.js';
import type { BrokerConfig } from '../config/broker-config.js';
import type { Controller } from '../cluster/controller.js';
import type { Clock } from '../io/clock.js';
import type { Random } from '../io/random.js';
import type { Purgatory } from '../replication/purgatory.js';
import type { ReplicaManager } from '../replication/replica-manager.js';
import type { MetadataImage } from '../cluster/metadata-image.js';
import type { GroupCoordinator } from '../coordinator/group/group-coordinator.js';
import type { BrokerMetrics } from '../metrics/broker-metrics.js';
import type { RequestTiming } from '../metrics/request-metrics.js';

export interface RequestContext {
  readonly header: RequestHeader;
  readonly apiVersion: number;
  readonly clientAddress: string;
  /**
   * The listener the request came in on ('' when unknown, e.g. in unit tests): broker addresses in
   * responses are that listener's advertised endpoints (cluster/metadata-image.ts brokerEndpoint).
   */
  readonly listenerName?: string;
  readonly broker: BrokerContext;
  /** The metadata image captured when the request arrived. */
  readonly image: MetadataImage;
  readonly log: Logger;
  /**
   * This request's phase times (when the broker keeps metrics). A handler that waits in a
   * purgatory brackets the wait with `enterRemote`/`leaveRemote` (Kafka's remote time).
   */
  readonly timing?: RequestTiming;
}

/** What a handler returns: the response body, or null for "send nothing" (Produce acks=0). */
export type HandlerResult<Res> = Res | null | Promise<Res | null>;

export interface Handler {
  readonly api: ApiDef;
  readonly versionMin: number;
  readonly versionMax: number;
  handle(ctx: RequestContext, request: unknown): HandlerResult<object>;
}

export function defineHandler<Req, Res extends object>(
  api: ApiDef,
  handle: (ctx: RequestContext, request: Req) => HandlerResult<Res>,
  range: { versionMin?: number; versionMax?: number } = {},
): Handler {
  return {
    api,
    versionMin: range.versionMin ?? api.versionMin,
    versionMax: range.versionMax ?? api.versionMax,
    handle: handle as (ctx: RequestContext, request: unknown) => HandlerResult<object>,
  };
}

/** What DescribeQuorum reports about the KRaft metadata quorum (cluster/kraft/metadata-log.ts). */
export interface QuorumView {
  status(): { leaderId: number; leaderEpoch: number; highWatermark: number; voters: number[]; lastAppendMs: number };
  /** The voters' controller endpoints (listener name, host, port as bound). */
  readonly endpoints: ReadonlyArray<{ nodeId: number; name: string; host: string; port: number }>;
}

/** The services a handler may use. Handlers reach storage only through ReplicaManager and metadata only through the Controller. */
export interface BrokerContext {
  readonly brokerId: number;
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly random: Random;
  readonly controller: Controller;
  readonly replicas: ReplicaManager;
  readonly fetchPurgatory: Purgatory;
  /**
   * Consumer groups and committed offsets. The broker always sets it; it is optional so that
   * contexts built by tests of other handlers need not construct one (group APIs then answer
   * COORDINATOR_NOT_AVAILABLE).
   */
  readonly groupCoordinator?: GroupCoordinator;
  /** KRaft mode: the metadata quorum (DescribeQuorum answers from it); absent in other modes. */
  readonly quorum?: QuorumView;
  /** The handler table (ApiVersions answers from it). */
  readonly handlers: ReadonlyMap<number, Handler>;
  /** Counters the data path updates in place (src/metrics); absent in contexts built by unit tests. */
  readonly metrics?: BrokerMetrics;
}

/** Brackets a purgatory wait of `ctx`'s request as remote time (no-op without metrics). */
export async function asRemote<T>(ctx: RequestContext, wait: Promise<T>): Promise<T> {
  const t = ctx.timing;
  if (!t) return wait;
  t.enterRemote(ctx.broker.clock.monotonicMs());
  try {
    return await wait;
  } finally {
    t.leaveRemote(ctx.broker.clock.monotonicMs());
  }
}

/**
 * The handler contract: one file per API key exports a Handler built with `defineHandler`, which
 * names its ApiDef (protocol/messages) and may narrow the implemented version range. handlers/index.ts
 * is the single list; the dispatcher's version gate and the ApiVersions response both come from it.
 */
import type { KafkaPrincipal } from '../security/principal.js';
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
import type { Authorizer } from '../security/authorizer.js';
import type { SecurityStore } from '../security/security-store.js';
import type { QuotaManager } from '../security/quotas.js';
import type { TransactionCoordinator } from '../coordinator/txn/transaction-coordinator.js';
import type { ProducerIdManager } from '../coordinator/txn/producer-id-manager.js';
import type { LocalMarkerWriter } from '../coordinator/txn/marker-writer.js';
import type { TxnVerifier } from '../coordinator/txn/txn-verifier.js';
import type { BrokerMetrics } from '../metrics/broker-metrics.js';
import type { RequestTiming } from '../metrics/request-metrics.js';
import type { FetchSessionCache } from './fetch-sessions.js';

export interface RequestContext {
  readonly header: RequestHeader;
  readonly apiVersion: number;
  readonly clientAddress: string;
  /**
   * The listener the request came in on ('' when unknown, e.g. in unit tests): broker addresses in
   * responses are that listener's advertised endpoints (cluster/metadata-image.ts brokerEndpoint).
   */
  readonly listenerName?: string;
  /** Who sent the request (security/principal.ts); absent (= User:ANONYMOUS) in unit tests. */
  readonly principal?: KafkaPrincipal;
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
  /** Fetch sessions (KIP-227); without it every fetch is served without a session. */
  readonly fetchSessions?: FetchSessionCache;
  /**
   * Consumer groups and committed offsets. The broker always sets it; it is optional so that
   * contexts built by tests of other handlers need not construct one (group APIs then answer
   * COORDINATOR_NOT_AVAILABLE).
   */
  readonly groupCoordinator?: GroupCoordinator;
  /**
   * Transactions (coordinator/txn): the transaction coordinator, the producer id allocator (also for
   * idempotent producers), the partition-leader side of WriteTxnMarkers and the KIP-890 verifier
   * Produce uses. The broker sets them all; tests of other handlers may leave them out (the
   * transactional APIs then answer COORDINATOR_NOT_AVAILABLE; producer ids come from the controller).
   */
  readonly txnCoordinator?: TransactionCoordinator;
  readonly producerIds?: ProducerIdManager;
  readonly txnMarkers?: LocalMarkerWriter;
  readonly txnVerifier?: TxnVerifier;
  /** KRaft mode: the metadata quorum (DescribeQuorum answers from it); absent in other modes. */
  readonly quorum?: QuorumView;
  /** The handler table (ApiVersions answers from it). */
  readonly handlers: ReadonlyMap<number, Handler>;
  /**
   * The ACL authorizer when authorizer.class.name enables it; absent = no authorization (every
   * check in handlers/authz.ts is then free).
   */
  readonly authorizer?: Authorizer;
  /** Where ACLs and client quotas are stored (CreateAcls, AlterClientQuotas, ...); absent in unit tests of other handlers. */
  readonly security?: SecurityStore;
  /** Client quotas (producer/consumer byte rates, request percentage, controller mutation rate); absent = none. */
  readonly quotas?: QuotaManager;
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

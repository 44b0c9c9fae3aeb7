/**
 * How Broker assembles the transaction side (one call in broker.ts): the producer id allocator, the
 * inter-broker channels, the partition-leader marker writer, the marker sender, the transaction
 * coordinator over `__transaction_state`, and the KIP-890 verifier Produce uses.
 */
import type { Logger } from 'pino';
import type { Controller } from '../../cluster/controller.js';
import { brokerEndpoint } from '../../cluster/metadata-image.js';
import type { BrokerConfig } from '../../config/broker-config.js';
import type { Clock } from '../../io/clock.js';
import type { Net } from '../../io/net.js';
import { netConnector } from '../../replication/connector.js';
import type { ReplicaManager } from '../../replication/replica-manager.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { GroupCoordinator } from '../group/group-coordinator.js';
import { ReplicaOffsetsTopicLog } from '../offsets/offsets-topic-log.js';
import { BrokerChannels } from './broker-channels.js';
import { LocalMarkerWriter } from './marker-writer.js';
import { TxnMarkerSender } from './marker-sender.js';
import { ProducerIdManager } from './producer-id-manager.js';
import { TXN_STATE_TOPIC } from './records.js';
import { TransactionCoordinator } from './transaction-coordinator.js';
import { CoordinatorTxnVerifier, type TxnVerifier } from './txn-verifier.js';

export interface Transactions {
  readonly coordinator: TransactionCoordinator;
  readonly producerIds: ProducerIdManager;
  readonly markerWriter: LocalMarkerWriter;
  readonly verifier: TxnVerifier;
  shutdown(): void;
}

export interface TransactionsDeps {
  brokerId: number;
  config: BrokerConfig;
  io: { clock: Clock; net: Net };
  controller: Controller;
  replicas: ReplicaManager;
  groupCoordinator: GroupCoordinator;
  /** The Kafka error code of a failed leader append (handlers/errors.ts codeForPartitionFailure; throws for unknown errors). */
  codeForAppendFailure(err: unknown): number;
  log: Logger;
}

/** Kafka's transaction.state.log commit wait (offsets.commit.timeout.ms has the same role for groups). */
const STATE_LOG_COMMIT_TIMEOUT_MS = 5_000;

export function startTransactions(deps: TransactionsDeps): Transactions {
  const { brokerId, config, controller, log } = deps;
  const producerIds = new ProducerIdManager(brokerId, controller);
  const channels = new BrokerChannels({
    connector: netConnector(deps.io.net),
    clock: deps.io.clock,
    clientId: `broker-${brokerId}-txn-coordinator`,
    requestTimeoutMs: config.replicaSocketTimeoutMs,
    endpoint: (id) => {
      const b = controller.image.brokers.get(id);
      return b ? brokerEndpoint(b, config.interBrokerListenerName) : null;
    },
  });
  const markerWriter = new LocalMarkerWriter({
    appender: deps.replicas,
    groups: deps.groupCoordinator,
    codeFor: (err) => {
      try {
        return deps.codeForAppendFailure(err);
      } catch (unknown) {
        log.error({ err: unknown }, 'writing a transaction marker failed unexpectedly');
        return ErrorCode.UNKNOWN_SERVER_ERROR;
      }
    },
  });
  const markers = new TxnMarkerSender({ brokerId, clock: deps.io.clock, image: () => controller.image, local: markerWriter, remote: channels, log });
  const coordinator = new TransactionCoordinator({
    brokerId,
    config,
    clock: deps.io.clock,
    controller,
    stateLog: new ReplicaOffsetsTopicLog(deps.replicas, STATE_LOG_COMMIT_TIMEOUT_MS, TXN_STATE_TOPIC),
    producerIds,
    markers,
    log,
    offsetsPartitionFor: (groupId) => deps.groupCoordinator.partitionFor(groupId),
    leadership: deps.replicas,
  });
  coordinator.start();
  const verifier = new CoordinatorTxnVerifier({ brokerId, image: () => controller.image, local: coordinator, remote: channels, log });
  return {
    coordinator,
    producerIds,
    markerWriter,
    verifier,
    shutdown() {
      coordinator.shutdown();
      channels.close();
    },
  };
}

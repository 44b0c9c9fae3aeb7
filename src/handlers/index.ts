/**
 * The handler table: the single list of APIs this broker implements. The dispatcher's version gate
 * and the ApiVersions response are both derived from it, so what we advertise is what we serve.
 */
import type { Handler } from './handler.js';
import { alterConfigsHandler } from './alter-configs.js';
import { alterPartitionReassignmentsHandler } from './alter-partition-reassignments.js';
import { apiVersionsHandler } from './api-versions.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeClusterHandler } from './describe-cluster.js';
import { describeConfigsHandler } from './describe-configs.js';
import { describeLogDirsHandler } from './describe-log-dirs.js';
import { describeProducersHandler } from './describe-producers.js';
import { describeQuorumHandler } from './describe-quorum.js';
import { electLeadersHandler } from './elect-leaders.js';
import { fetchHandler } from './fetch.js';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { listOffsetsHandler } from './list-offsets.js';
import { listPartitionReassignmentsHandler } from './list-partition-reassignments.js';
import { metadataHandler } from './metadata.js';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.js';
import { produceHandler } from './produce.js';
// Authorization and quotas (src/security).
import { alterClientQuotasHandler } from './alter-client-quotas.js';
import { createAclsHandler } from './create-acls.js';
import { deleteAclsHandler } from './delete-acls.js';
import { describeAclsHandler } from './describe-acls.js';
import { describeClientQuotasHandler } from './describe-client-quotas.js';
// Consumer groups and committed offsets (coordinator/group).
import { deleteGroupsHandler } from './delete-groups.js';
import { describeGroupsHandler } from './describe-groups.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import { heartbeatHandler } from './heartbeat.js';
import { joinGroupHandler } from './join-group.js';
import { leaveGroupHandler } from './leave-group.js';
import { listGroupsHandler } from './list-groups.js';
import { offsetCommitHandler } from './offset-commit.js';
import { offsetDeleteHandler } from './offset-delete.js';
import { offsetFetchHandler } from './offset-fetch.js';
import { syncGroupHandler } from './sync-group.js';
// Transactions (coordinator/txn).
import { addOffsetsToTxnHandler } from './add-offsets-to-txn.js';
import { addPartitionsToTxnHandler } from './add-partitions-to-txn.js';
import { describeTransactionsHandler } from './describe-transactions.js';
import { endTxnHandler } from './end-txn.js';
import { listTransactionsHandler } from './list-transactions.js';
import { writeTxnMarkersHandler } from './write-txn-markers.js';
// Security: SASL (answered by the connection's authenticator on SASL listeners) and SCRAM users.
import { saslAuthenticateHandler, saslHandshakeHandler } from './sasl-handshake.js';
import { alterUserScramCredentialsHandler, describeUserScramCredentialsHandler } from './user-scram-credentials.js';
import { txnOffsetCommitHandler } from './txn-offset-commit.js';

const all: Handler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  initProducerIdHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  describeLogDirsHandler,
  createPartitionsHandler,
  incrementalAlterConfigsHandler,
  alterPartitionReassignmentsHandler,
  listPartitionReassignmentsHandler,
  describeClusterHandler,
  electLeadersHandler,
  offsetForLeaderEpochHandler,
  describeProducersHandler,
  // Consumer groups (classic protocol). KIP-848's ConsumerGroupHeartbeat (key 68) is not listed:
  // ApiVersions must not advertise it until the coordinator implements it (see docs/ARCHITECTURE.md).
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  deleteGroupsHandler,
  offsetDeleteHandler,
  txnOffsetCommitHandler,
  describeAclsHandler,
  createAclsHandler,
  deleteAclsHandler,
  describeClientQuotasHandler,
  alterClientQuotasHandler,
  // Transactions (KIP-98, KIP-664).
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  writeTxnMarkersHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
  saslHandshakeHandler,
  saslAuthenticateHandler,
  describeUserScramCredentialsHandler,
  alterUserScramCredentialsHandler,
];

/** KRaft-only APIs: served (and advertised) only by a node in KRaft mode, as in Kafka. */
const kraftOnly: Handler[] = [describeQuorumHandler];

/**
 * The table for one broker. With no argument: every API Samsa implements (what docs/COMPATIBILITY.md
 * lists); `{ kraft: false }` leaves out the KRaft-only APIs, as a ZooKeeper-mode Kafka broker does.
 */
export function handlerTable(opts: { kraft?: boolean } = {}): ReadonlyMap<number, Handler> {
  const handlers = opts.kraft === false ? [...all] : [...all, ...kraftOnly];
  return new Map(handlers.sort((a, b) => a.api.apiKey - b.api.apiKey).map((h) => [h.api.apiKey, h]));
}

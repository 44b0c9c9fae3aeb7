/**
 * Every API definition we implement, in one list (`allApis`, ordered by API key); each api const
 * and its request/response interfaces are re-exported from here. The server builds its
 * ApiVersions answer and its codec table from this list.
 */
import type { ApiDef } from '../schema.js';
import { alterClientQuotasApi } from './alter-client-quotas.js';
import { addOffsetsToTxnApi } from './add-offsets-to-txn.js';
import { addPartitionsToTxnApi } from './add-partitions-to-txn.js';
import { alterConfigsApi } from './alter-configs.js';
import { createAclsApi } from './create-acls.js';
import { deleteAclsApi } from './delete-acls.js';
import { describeAclsApi } from './describe-acls.js';
import { describeClientQuotasApi } from './describe-client-quotas.js';
import { alterPartitionReassignmentsApi } from './alter-partition-reassignments.js';
import { apiVersionsApi } from './api-versions.js';
import { consumerGroupHeartbeatApi } from './consumer-group-heartbeat.js';
import { createPartitionsApi } from './create-partitions.js';
import { createTopicsApi } from './create-topics.js';
import { deleteGroupsApi } from './delete-groups.js';
import { deleteRecordsApi } from './delete-records.js';
import { deleteTopicsApi } from './delete-topics.js';
import { describeClusterApi } from './describe-cluster.js';
import { describeConfigsApi } from './describe-configs.js';
import { describeGroupsApi } from './describe-groups.js';
import { describeLogDirsApi } from './describe-log-dirs.js';
import { describeProducersApi } from './describe-producers.js';
import { describeQuorumApi } from './describe-quorum.js';
import { describeTransactionsApi } from './describe-transactions.js';
import { electLeadersApi } from './elect-leaders.js';
import { endTxnApi } from './end-txn.js';
import { fetchApi } from './fetch.js';
import { findCoordinatorApi } from './find-coordinator.js';
import { heartbeatApi } from './heartbeat.js';
import { incrementalAlterConfigsApi } from './incremental-alter-configs.js';
import { initProducerIdApi } from './init-producer-id.js';
import { joinGroupApi } from './join-group.js';
import { leaveGroupApi } from './leave-group.js';
import { listGroupsApi } from './list-groups.js';
import { listOffsetsApi } from './list-offsets.js';
import { listPartitionReassignmentsApi } from './list-partition-reassignments.js';
import { listTransactionsApi } from './list-transactions.js';
import { metadataApi } from './metadata.js';
import { offsetCommitApi } from './offset-commit.js';
import { offsetDeleteApi } from './offset-delete.js';
import { offsetFetchApi } from './offset-fetch.js';
import { offsetForLeaderEpochApi } from './offset-for-leader-epoch.js';
import { produceApi } from './produce.js';
import { saslAuthenticateApi } from './sasl-authenticate.js';
import { saslHandshakeApi } from './sasl-handshake.js';
import { alterUserScramCredentialsApi, describeUserScramCredentialsApi } from './user-scram-credentials.js';
import { syncGroupApi } from './sync-group.js';
import { txnOffsetCommitApi } from './txn-offset-commit.js';
import { writeTxnMarkersApi } from './write-txn-markers.js';

export const allApis: ApiDef[] = [
  produceApi, // 0
  fetchApi, // 1
  listOffsetsApi, // 2
  metadataApi, // 3
  offsetCommitApi, // 8
  offsetFetchApi, // 9
  findCoordinatorApi, // 10
  joinGroupApi, // 11
  heartbeatApi, // 12
  leaveGroupApi, // 13
  syncGroupApi, // 14
  describeGroupsApi, // 15
  listGroupsApi, // 16
  saslHandshakeApi, // 17
  apiVersionsApi, // 18
  createTopicsApi, // 19
  deleteTopicsApi, // 20
  deleteRecordsApi, // 21
  initProducerIdApi, // 22
  offsetForLeaderEpochApi, // 23
  addPartitionsToTxnApi, // 24
  addOffsetsToTxnApi, // 25
  endTxnApi, // 26
  writeTxnMarkersApi, // 27
  txnOffsetCommitApi, // 28
  describeAclsApi, // 29
  createAclsApi, // 30
  deleteAclsApi, // 31
  describeConfigsApi, // 32
  alterConfigsApi, // 33
  describeLogDirsApi, // 35
  saslAuthenticateApi, // 36
  createPartitionsApi, // 37
  deleteGroupsApi, // 42
  electLeadersApi, // 43
  incrementalAlterConfigsApi, // 44
  alterPartitionReassignmentsApi, // 45
  listPartitionReassignmentsApi, // 46
  offsetDeleteApi, // 47
  describeClientQuotasApi, // 48
  alterClientQuotasApi, // 49
  describeUserScramCredentialsApi, // 50
  alterUserScramCredentialsApi, // 51
  describeQuorumApi, // 55
  describeClusterApi, // 60
  describeProducersApi, // 61
  describeTransactionsApi, // 65
  listTransactionsApi, // 66
  consumerGroupHeartbeatApi, // 68
];

export * from './alter-client-quotas.js';
export * from './add-offsets-to-txn.js';
export * from './add-partitions-to-txn.js';
export * from './alter-configs.js';
export * from './create-acls.js';
export * from './delete-acls.js';
export * from './describe-acls.js';
export * from './describe-client-quotas.js';
export * from './alter-partition-reassignments.js';
export * from './api-versions.js';
export * from './consumer-group-heartbeat.js';
export * from './create-partitions.js';
export * from './create-topics.js';
export * from './delete-groups.js';
export * from './delete-records.js';
export * from './delete-topics.js';
export * from './describe-cluster.js';
export * from './describe-configs.js';
export * from './describe-groups.js';
export * from './describe-log-dirs.js';
export * from './describe-producers.js';
export * from './describe-quorum.js';
export * from './describe-transactions.js';
export * from './elect-leaders.js';
export * from './end-txn.js';
export * from './fetch.js';
export * from './find-coordinator.js';
export * from './heartbeat.js';
export * from './incremental-alter-configs.js';
export * from './init-producer-id.js';
export * from './join-group.js';
export * from './leave-group.js';
export * from './list-groups.js';
export * from './list-offsets.js';
export * from './list-partition-reassignments.js';
export * from './list-transactions.js';
export * from './metadata.js';
export * from './offset-commit.js';
export * from './offset-delete.js';
export * from './offset-fetch.js';
export * from './offset-for-leader-epoch.js';
export * from './produce.js';
export * from './sasl-authenticate.js';
export * from './sasl-handshake.js';
export * from './sync-group.js';
export * from './txn-offset-commit.js';
export * from './write-txn-markers.js';
export * from './user-scram-credentials.js';

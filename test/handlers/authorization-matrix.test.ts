/**
 * Goal: every API checks exactly what Kafka checks. For each API, a principal without the needed
 * ACL gets the right *_AUTHORIZATION_FAILED code and nothing changes (no append, no offset commit,
 * no group call, no topic created/deleted/altered); the same principal with the ACL gets past the
 * check. Also: no authorizer configured = nothing is checked.
 * Method: handler level, as the dispatcher calls handlers, with an explicit principal User:alice in
 * the RequestContext. The admin fixture gives a real EmbeddedController; the ACL authorizer reads
 * an EmbeddedSecurityStore kept in that controller's document. ReplicaManager and GroupCoordinator
 * are recording fakes (unit-test mocks): every call is logged and answered with a sentinel
 * failure, so "nothing changed" means "no call was made", and "got past the check" means "a call
 * was made or the response carries no authorization error".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminFixture, type Fixture } from './admin-fixture.js';
import type { BrokerContext, Handler, RequestContext } from '../../src/handlers/handler.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { AclAuthorizer } from '../../src/security/authorizer.js';
import { EmbeddedSecurityStore } from '../../src/security/security-store.js';
import { AclOperation, CLUSTER_NAME, operationName, PatternType, ResourceType, type ResourceTypeCode } from '../../src/security/acl.js';
import type { KafkaPrincipal } from '../../src/security/principal.js';
import { buildBatches } from '../helpers/batches.js';
import { produceHandler } from '../../src/handlers/produce.js';
import { fetchHandler } from '../../src/handlers/fetch.js';
import { listOffsetsHandler } from '../../src/handlers/list-offsets.js';
import { metadataHandler } from '../../src/handlers/metadata.js';
import { offsetCommitHandler } from '../../src/handlers/offset-commit.js';
import { offsetFetchHandler } from '../../src/handlers/offset-fetch.js';
import { findCoordinatorHandler } from '../../src/handlers/find-coordinator.js';
import { joinGroupHandler } from '../../src/handlers/join-group.js';
import { syncGroupHandler } from '../../src/handlers/sync-group.js';
import { heartbeatHandler } from '../../src/handlers/heartbeat.js';
import { leaveGroupHandler } from '../../src/handlers/leave-group.js';
import { describeGroupsHandler } from '../../src/handlers/describe-groups.js';
import { listGroupsHandler } from '../../src/handlers/list-groups.js';
import { deleteGroupsHandler } from '../../src/handlers/delete-groups.js';
import { offsetDeleteHandler } from '../../src/handlers/offset-delete.js';
import { createTopicsHandler } from '../../src/handlers/create-topics.js';
import { deleteTopicsHandler } from '../../src/handlers/delete-topics.js';
import { createPartitionsHandler } from '../../src/handlers/create-partitions.js';
import { deleteRecordsHandler } from '../../src/handlers/delete-records.js';
import { describeConfigsHandler } from '../../src/handlers/describe-configs.js';
import { alterConfigsHandler } from '../../src/handlers/alter-configs.js';
import { incrementalAlterConfigsHandler } from '../../src/handlers/incremental-alter-configs.js';
import { initProducerIdHandler } from '../../src/handlers/init-producer-id.js';
import { electLeadersHandler } from '../../src/handlers/elect-leaders.js';
import { alterPartitionReassignmentsHandler } from '../../src/handlers/alter-partition-reassignments.js';
import { listPartitionReassignmentsHandler } from '../../src/handlers/list-partition-reassignments.js';
import { describeLogDirsHandler } from '../../src/handlers/describe-log-dirs.js';
import { describeClusterHandler } from '../../src/handlers/describe-cluster.js';
import { offsetForLeaderEpochHandler } from '../../src/handlers/offset-for-leader-epoch.js';
import { createAclsHandler } from '../../src/handlers/create-acls.js';
import { describeAclsHandler } from '../../src/handlers/describe-acls.js';
import { deleteAclsHandler } from '../../src/handlers/delete-acls.js';
import { describeClientQuotasHandler } from '../../src/handlers/describe-client-quotas.js';
import { alterClientQuotasHandler } from '../../src/handlers/alter-client-quotas.js';
import { addPartitionsToTxnHandler } from '../../src/handlers/add-partitions-to-txn.js';
import { addOffsetsToTxnHandler } from '../../src/handlers/add-offsets-to-txn.js';
import { endTxnHandler } from '../../src/handlers/end-txn.js';
import { writeTxnMarkersHandler } from '../../src/handlers/write-txn-markers.js';
import { describeTransactionsHandler } from '../../src/handlers/describe-transactions.js';
import { txnOffsetCommitHandler } from '../../src/handlers/txn-offset-commit.js';
import { describeProducersHandler } from '../../src/handlers/describe-producers.js';

const ALICE: KafkaPrincipal = { type: 'User', name: 'alice' };
const T = 'orders';
const G = 'billing';

class Sentinel extends Error {}

/** A fake that logs every method called on it and fails each call with a Sentinel. */
function recorder(calls: string[], prefix: string): object {
  return new Proxy(
    {},
    {
      get: (_t, prop) => {
        if (typeof prop !== 'string' || prop === 'then') return undefined;
        return (..._args: unknown[]) => {
          calls.push(`${prefix}.${prop}`);
          throw new Sentinel(`${prefix}.${prop} (fake)`);
        };
      },
    },
  );
}

interface World {
  fx: Fixture;
  broker: BrokerContext;
  calls: string[];
  grant(type: ResourceTypeCode, name: string, op: number, opts?: { deny?: boolean; prefixed?: boolean; principal?: string }): Promise<void>;
  call<R>(handler: Handler, version: number, request: object, principal?: KafkaPrincipal): Promise<R | 'called'>;
}

async function world(): Promise<World> {
  const fx = await adminFixture();
  await fx.createTopic(T, 2);
  const store = new EmbeddedSecurityStore(fx.controller);
  const authorizer = new AclAuthorizer({ superUsers: ['User:admin'], allowEveryoneIfNoAclFound: false }, store.state);
  store.onChange((s) => authorizer.update(s));
  const calls: string[] = [];
  const broker: BrokerContext = {
    ...fx.broker,
    replicas: recorder(calls, 'replicas') as BrokerContext['replicas'],
    groupCoordinator: recorder(calls, 'groups') as BrokerContext['groupCoordinator'],
    txnCoordinator: recorder(calls, 'txns') as BrokerContext['txnCoordinator'],
    authorizer,
    security: store,
  };
  return {
    fx,
    broker,
    calls,
    async grant(type, name, op, opts = {}) {
      await store.updateAcls({ resourceType: type, name, patternType: opts.prefixed ? PatternType.PREFIXED : PatternType.LITERAL }, (cur) => [
        ...cur,
        { principal: opts.principal ?? 'User:alice', permissionType: opts.deny ? 'Deny' : 'Allow', operation: operationName(op), host: '*' },
      ]);
    },
    async call<R>(handler: Handler, version: number, request: object, principal = ALICE): Promise<R | 'called'> {
      const ctx: RequestContext = { ...fx.ctx(version, handler.api.apiKey), broker, image: fx.controller.image, principal };
      try {
        return (await handler.handle(ctx, request)) as R;
      } catch (err) {
        if (err instanceof Sentinel) return 'called';
        throw err;
      }
    },
  };
}

/** Every errorCode anywhere in a response object. */
function codes(v: unknown, out: number[] = []): number[] {
  if (Array.isArray(v)) for (const x of v) codes(x, out);
  else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
    for (const [k, x] of Object.entries(v)) {
      if ((k === 'errorCode' || k.endsWith('ErrorCode')) && typeof x === 'number') out.push(x);
      else codes(x, out);
    }
  }
  return out;
}

const AUTH_CODES = new Set<number>([ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]);

interface Row {
  api: string;
  handler: Handler;
  version: number;
  request: () => object;
  /** The ACL(s) that let alice through. */
  needs: Array<[ResourceTypeCode, string, number]>;
  /** The code a denied request answers with. */
  denied: number;
  /** Checks that the denied request changed nothing (beyond "no fake was called"). */
  unchanged?: (w: World) => void;
}

const topicPartitions = (partitions: number[]) => [{ name: T, partitions: partitions.map((partitionIndex) => ({ partitionIndex })) }];

const ROWS: Row[] = [
  {
    api: 'AddPartitionsToTxn',
    handler: addPartitionsToTxnHandler,
    version: 3,
    request: () => ({ v3AndBelowTransactionalId: 'tx-1', v3AndBelowProducerId: 1n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: T, partitions: [0] }], transactions: [] }),
    needs: [
      [ResourceType.TRANSACTIONAL_ID, 'tx-1', AclOperation.WRITE],
      [ResourceType.TOPIC, T, AclOperation.WRITE],
    ],
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  },
  {
    api: 'AddPartitionsToTxn (verifyOnly, from a partition leader)',
    handler: addPartitionsToTxnHandler,
    version: 4,
    request: () => ({ transactions: [{ transactionalId: 'tx-1', producerId: 1n, producerEpoch: 0, verifyOnly: true, topics: [{ name: T, partitions: [0] }] }] }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.CLUSTER_ACTION]],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  },
  {
    api: 'AddOffsetsToTxn',
    handler: addOffsetsToTxnHandler,
    version: 3,
    request: () => ({ transactionalId: 'tx-1', producerId: 1n, producerEpoch: 0, groupId: G }),
    needs: [
      [ResourceType.TRANSACTIONAL_ID, 'tx-1', AclOperation.WRITE],
      [ResourceType.GROUP, G, AclOperation.READ],
    ],
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  },
  {
    api: 'EndTxn',
    handler: endTxnHandler,
    version: 3,
    request: () => ({ transactionalId: 'tx-1', producerId: 1n, producerEpoch: 0, committed: true }),
    needs: [[ResourceType.TRANSACTIONAL_ID, 'tx-1', AclOperation.WRITE]],
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  },
  {
    api: 'WriteTxnMarkers',
    handler: writeTxnMarkersHandler,
    version: 1,
    request: () => ({ markers: [{ producerId: 1n, producerEpoch: 0, transactionResult: true, topics: [{ name: T, partitionIndexes: [0] }], coordinatorEpoch: 0 }] }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.CLUSTER_ACTION]],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  },
  {
    api: 'TxnOffsetCommit',
    handler: txnOffsetCommitHandler,
    version: 3,
    request: () => ({ transactionalId: 'tx-1', groupId: G, producerId: 1n, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: T, partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: '' }] }] }),
    needs: [
      [ResourceType.TRANSACTIONAL_ID, 'tx-1', AclOperation.WRITE],
      [ResourceType.GROUP, G, AclOperation.READ],
      [ResourceType.TOPIC, T, AclOperation.READ],
    ],
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  },
  {
    api: 'DescribeProducers',
    handler: describeProducersHandler,
    version: 0,
    request: () => ({ topics: [{ name: T, partitionIndexes: [0] }] }),
    needs: [[ResourceType.TOPIC, T, AclOperation.READ]],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  },
  {
    api: 'DescribeTransactions',
    handler: describeTransactionsHandler,
    version: 0,
    request: () => ({ transactionalIds: ['tx-1'] }),
    needs: [[ResourceType.TRANSACTIONAL_ID, 'tx-1', AclOperation.DESCRIBE]],
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  },
  {
    api: 'Produce',
    handler: produceHandler,
    version: 9,
    request: () => ({ transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: T, partitionData: [{ index: 0, records: buildBatches(1) }] }] }),
    needs: [[ResourceType.TOPIC, T, AclOperation.WRITE]],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  },
  {
    api: 'Produce (transactional)',
    handler: produceHandler,
    version: 9,
    request: () => ({ transactionalId: 'tx-1', acks: 1, timeoutMs: 1000, topicData: [{ name: T, partitionData: [{ index: 0, records: buildBatches(1) }] }] }),
    needs: [
      [ResourceType.TRANSACTIONAL_ID, 'tx-1', AclOperation.WRITE],
      [ResourceType.TOPIC, T, AclOperation.WRITE],
    ],
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  },
  {
    api: 'Fetch (consumer)',
    handler: fetchHandler,
    version: 12,
    request: () => ({ replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: T, topicId: '', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' }),
    needs: [[ResourceType.TOPIC, T, AclOperation.READ]],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  },
  {
    api: 'Fetch (follower)',
    handler: fetchHandler,
    version: 12,
    request: () => ({ replicaId: 2, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: T, topicId: '', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.CLUSTER_ACTION]],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  },
  {
    api: 'ListOffsets',
    handler: listOffsetsHandler,
    version: 7,
    request: () => ({ replicaId: -1, isolationLevel: 0, topics: [{ name: T, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }] }),
    needs: [[ResourceType.TOPIC, T, AclOperation.DESCRIBE]],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  },
  {
    api: 'OffsetCommit (group)',
    handler: offsetCommitHandler,
    version: 8,
    request: () => ({ groupId: G, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n, topics: [{ name: T, partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' }] }] }),
    needs: [
      [ResourceType.GROUP, G, AclOperation.READ],
      [ResourceType.TOPIC, T, AclOperation.READ],
    ],
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
  },
  {
    api: 'OffsetFetch',
    handler: offsetFetchHandler,
    version: 7,
    request: () => ({ groupId: G, topics: [{ name: T, partitionIndexes: [0] }], groups: [], requireStable: false }),
    needs: [
      [ResourceType.GROUP, G, AclOperation.DESCRIBE],
      [ResourceType.TOPIC, T, AclOperation.DESCRIBE],
    ],
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
  },
  {
    api: 'FindCoordinator (group)',
    handler: findCoordinatorHandler,
    version: 3,
    request: () => ({ key: G, keyType: 0, coordinatorKeys: [] }),
    needs: [[ResourceType.GROUP, G, AclOperation.DESCRIBE]],
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
  },
  ...(
    [
      ['JoinGroup', joinGroupHandler, 7, { groupId: G, sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [], reason: null }],
      ['SyncGroup', syncGroupHandler, 5, { groupId: G, generationId: 1, memberId: 'm', groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }],
      ['Heartbeat', heartbeatHandler, 4, { groupId: G, generationId: 1, memberId: 'm', groupInstanceId: null }],
      ['LeaveGroup', leaveGroupHandler, 4, { groupId: G, memberId: '', members: [{ memberId: 'm', groupInstanceId: null, reason: null }] }],
    ] as const
  ).map(
    ([api, handler, version, req]): Row => ({ api, handler, version, request: () => ({ ...req }), needs: [[ResourceType.GROUP, G, AclOperation.READ]], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED }),
  ),
  {
    api: 'DescribeGroups',
    handler: describeGroupsHandler,
    version: 5,
    request: () => ({ groups: [G], includeAuthorizedOperations: false }),
    needs: [[ResourceType.GROUP, G, AclOperation.DESCRIBE]],
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
  },
  {
    api: 'DeleteGroups',
    handler: deleteGroupsHandler,
    version: 2,
    request: () => ({ groupsNames: [G] }),
    needs: [[ResourceType.GROUP, G, AclOperation.DELETE]],
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
  },
  {
    api: 'OffsetDelete',
    handler: offsetDeleteHandler,
    version: 0,
    request: () => ({ groupId: G, topics: topicPartitions([0]) }),
    needs: [
      [ResourceType.GROUP, G, AclOperation.DELETE],
      [ResourceType.TOPIC, T, AclOperation.READ],
    ],
    denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
  },
  {
    api: 'CreateTopics',
    handler: createTopicsHandler,
    version: 5,
    request: () => ({ topics: [{ name: 'fresh', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false }),
    needs: [[ResourceType.TOPIC, 'fresh', AclOperation.CREATE]],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    unchanged: (w) => assert.ok(!w.fx.controller.image.topics.has('fresh'), 'no topic created'),
  },
  {
    api: 'DeleteTopics',
    handler: deleteTopicsHandler,
    version: 5,
    request: () => ({ topicNames: [T], topics: [], timeoutMs: 1000 }),
    needs: [[ResourceType.TOPIC, T, AclOperation.DELETE]],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    unchanged: (w) => assert.ok(w.fx.controller.image.topics.has(T), 'the topic still exists'),
  },
  {
    api: 'CreatePartitions',
    handler: createPartitionsHandler,
    version: 2,
    request: () => ({ topics: [{ name: T, count: 4, assignments: null }], timeoutMs: 1000, validateOnly: false }),
    needs: [[ResourceType.TOPIC, T, AclOperation.ALTER]],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    unchanged: (w) => assert.equal(w.fx.controller.image.topics.get(T)!.partitions.length, 2, 'partition count unchanged'),
  },
  {
    api: 'DeleteRecords',
    handler: deleteRecordsHandler,
    version: 2,
    request: () => ({ topics: [{ name: T, partitions: [{ partitionIndex: 0, offset: 1n }] }], timeoutMs: 1000 }),
    needs: [[ResourceType.TOPIC, T, AclOperation.DELETE]],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  },
  {
    api: 'DescribeConfigs (topic)',
    handler: describeConfigsHandler,
    version: 4,
    request: () => ({ resources: [{ resourceType: 2, resourceName: T, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }),
    needs: [[ResourceType.TOPIC, T, AclOperation.DESCRIBE_CONFIGS]],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  },
  {
    api: 'DescribeConfigs (broker)',
    handler: describeConfigsHandler,
    version: 4,
    request: () => ({ resources: [{ resourceType: 4, resourceName: '1', configurationKeys: null }], includeSynonyms: false, includeDocumentation: false }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.DESCRIBE_CONFIGS]],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  },
  {
    api: 'AlterConfigs (topic)',
    handler: alterConfigsHandler,
    version: 2,
    request: () => ({ resources: [{ resourceType: 2, resourceName: T, configs: [{ name: 'retention.ms', value: '1000' }] }], validateOnly: false }),
    needs: [[ResourceType.TOPIC, T, AclOperation.ALTER_CONFIGS]],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    unchanged: (w) => assert.equal(w.fx.controller.image.topics.get(T)!.configs['retention.ms'], undefined, 'config unchanged'),
  },
  {
    api: 'IncrementalAlterConfigs (broker)',
    handler: incrementalAlterConfigsHandler,
    version: 1,
    request: () => ({ resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '1000' }] }], validateOnly: false }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.ALTER_CONFIGS]],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    unchanged: (w) => assert.equal(w.fx.controller.image.brokerConfigs.size, 0, 'no dynamic broker config stored'),
  },
  {
    api: 'InitProducerId (idempotent)',
    handler: initProducerIdHandler,
    version: 4,
    request: () => ({ transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.IDEMPOTENT_WRITE]],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  },
  {
    api: 'InitProducerId (transactional)',
    handler: initProducerIdHandler,
    version: 4,
    request: () => ({ transactionalId: 'tx-1', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 }),
    needs: [[ResourceType.TRANSACTIONAL_ID, 'tx-1', AclOperation.WRITE]],
    // Samsa answers TRANSACTIONAL_ID_AUTHORIZATION_FAILED for transactions until they are implemented, so only the denial is checked.
    denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
  },
  {
    api: 'ElectLeaders',
    handler: electLeadersHandler,
    version: 2,
    request: () => ({ electionType: 0, topicPartitions: [{ topic: T, partitions: [0] }], timeoutMs: 1000 }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.ALTER]],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  },
  {
    api: 'AlterPartitionReassignments',
    handler: alterPartitionReassignmentsHandler,
    version: 0,
    request: () => ({ timeoutMs: 1000, allowReplicationFactorChange: true, topics: [{ name: T, partitions: [{ partitionIndex: 0, replicas: [1] }] }] }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.ALTER]],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  },
  {
    api: 'ListPartitionReassignments',
    handler: listPartitionReassignmentsHandler,
    version: 0,
    request: () => ({ timeoutMs: 1000, topics: null }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.DESCRIBE]],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  },
  {
    api: 'DescribeLogDirs',
    handler: describeLogDirsHandler,
    version: 3,
    request: () => ({ topics: null }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.DESCRIBE]],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  },
  {
    api: 'DescribeCluster',
    handler: describeClusterHandler,
    version: 0,
    request: () => ({ includeClusterAuthorizedOperations: false, endpointType: 1 }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.DESCRIBE]],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  },
  {
    api: 'OffsetForLeaderEpoch (consumer)',
    handler: offsetForLeaderEpochHandler,
    version: 4,
    request: () => ({ replicaId: -1, topics: [{ topic: T, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] }),
    needs: [[ResourceType.TOPIC, T, AclOperation.DESCRIBE]],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  },
  {
    api: 'OffsetForLeaderEpoch (follower)',
    handler: offsetForLeaderEpochHandler,
    version: 4,
    request: () => ({ replicaId: 2, topics: [{ topic: T, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.CLUSTER_ACTION]],
    denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
  },
  {
    api: 'CreateAcls',
    handler: createAclsHandler,
    version: 3,
    request: () => ({ creations: [{ resourceType: 2, resourceName: 'x', resourcePatternType: 3, principal: 'User:bob', host: '*', operation: 3, permissionType: 3 }] }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.ALTER]],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    unchanged: (w) => assert.ok(![...w.broker.security!.state.acls.values()].some((p) => p.pattern.name === 'x'), 'no ACL stored'),
  },
  {
    api: 'DescribeAcls',
    handler: describeAclsHandler,
    version: 3,
    request: () => ({ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.DESCRIBE]],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  },
  {
    api: 'DeleteAcls',
    handler: deleteAclsHandler,
    version: 3,
    request: () => ({ filters: [{ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: 'User:nobody', hostFilter: null, operation: 1, permissionType: 1 }] }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.ALTER]],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  },
  {
    api: 'DescribeClientQuotas',
    handler: describeClientQuotasHandler,
    version: 1,
    request: () => ({ components: [], strict: false }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.DESCRIBE_CONFIGS]],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
  },
  {
    api: 'AlterClientQuotas',
    handler: alterClientQuotasHandler,
    version: 1,
    request: () => ({ entries: [{ entity: [{ entityType: 'user', entityName: 'bob' }], ops: [{ key: 'producer_byte_rate', value: 1000, remove: false }] }], validateOnly: false }),
    needs: [[ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.ALTER_CONFIGS]],
    denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    unchanged: (w) => assert.equal(w.broker.security!.state.quotas.size, 0, 'no quota stored'),
  },
];

for (const row of ROWS) {
  test(`${row.api}: refused without ${row.needs.map(([, n, op]) => `${operationName(op)} on ${n}`).join(' + ')}, served with it`, async () => {
    // Without any ACL.
    const w = await world();
    const denied = await w.call<object>(row.handler, row.version, row.request());
    assert.notEqual(denied, 'called', `${row.api}: a denied request must not reach the replica manager or the group coordinator`);
    assert.deepEqual(w.calls, [], `${row.api}: nothing called on denial`);
    assert.ok(codes(denied).includes(row.denied), `${row.api}: expected error ${row.denied}, got codes ${JSON.stringify(codes(denied))}`);
    row.unchanged?.(w);
    // All but one of the needed ACLs: still refused (for rows that need two).
    if (row.needs.length > 1) {
      const partial = await world();
      await partial.grant(...row.needs[0]!);
      const r = await partial.call<object>(row.handler, row.version, row.request());
      assert.ok(r !== 'called' ? codes(r).some((c) => AUTH_CODES.has(c)) : true, `${row.api}: one of two ACLs is not enough`);
    }
    // With the ACLs.
    const ok = await world();
    for (const need of row.needs) await ok.grant(...need);
    const served = await ok.call<object>(row.handler, row.version, row.request());
    if (row.api === 'InitProducerId (transactional)') return;
    assert.ok(served === 'called' || !codes(served).some((c) => AUTH_CODES.has(c)), `${row.api}: with the ACL, expected no authorization error, got ${JSON.stringify(codes(served))}`);
  });
}

test('Metadata: lists only described topics; a named undescribed topic answers TOPIC_AUTHORIZATION_FAILED; auto-create needs Create', async () => {
  const w = await world();
  await w.fx.createTopic('hidden', 1);
  await w.grant(ResourceType.TOPIC, T, AclOperation.READ); // Read implies Describe
  const all = (await w.call<{ topics: Array<{ name: string; errorCode: number }> }>(metadataHandler, 12, { topics: null, allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false })) as { topics: Array<{ name: string; errorCode: number }> };
  assert.deepEqual(all.topics.map((t) => t.name), [T]);
  const named = (await w.call<{ topics: Array<{ name: string; errorCode: number }> }>(metadataHandler, 12, { topics: [{ name: 'hidden', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false })) as { topics: Array<{ errorCode: number }> };
  assert.equal(named.topics[0]!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  // Auto-create: Describe on the new name but no Create -> refused, nothing created.
  await w.grant(ResourceType.TOPIC, 'auto-', AclOperation.DESCRIBE, { prefixed: true });
  const noCreate = (await w.call<{ topics: Array<{ errorCode: number }> }>(metadataHandler, 12, { topics: [{ name: 'auto-1', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false })) as { topics: Array<{ errorCode: number }> };
  assert.equal(noCreate.topics[0]!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
  assert.ok(!w.fx.controller.image.topics.has('auto-1'), 'no topic auto-created without Create');
  await w.grant(ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.CREATE);
  const created = (await w.call<{ topics: Array<{ errorCode: number }> }>(metadataHandler, 12, { topics: [{ name: 'auto-1', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: true, includeTopicAuthorizedOperations: false })) as { topics: Array<{ errorCode: number }> };
  assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  assert.ok(w.fx.controller.image.topics.has('auto-1'), 'auto-created with Create on the cluster');
});

test('ListGroups: Describe on the cluster lists every group, otherwise only described groups', async () => {
  const w = await world();
  const groups = [
    { groupId: 'a', protocolType: 'consumer', groupState: 'Stable' },
    { groupId: 'b', protocolType: 'consumer', groupState: 'Stable' },
  ];
  const broker = { ...w.broker, groupCoordinator: { listGroups: () => ({ errorCode: 0, groups }) } as unknown as BrokerContext['groupCoordinator'] };
  const list = async (): Promise<string[]> => {
    const ctx: RequestContext = { ...w.fx.ctx(4, 16), broker, principal: ALICE };
    const r = (await listGroupsHandler.handle(ctx, { statesFilter: [] })) as { groups: Array<{ groupId: string }> };
    return r.groups.map((g) => g.groupId);
  };
  assert.deepEqual(await list(), []);
  await w.grant(ResourceType.GROUP, 'a', AclOperation.DESCRIBE);
  assert.deepEqual(await list(), ['a']);
  await w.grant(ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.DESCRIBE);
  assert.deepEqual(await list(), ['a', 'b']);
});

test('Kafka semantics: deny wins, prefixed and wildcard patterns, implied Describe, super users, host match, User:*', async () => {
  const w = await world();
  const az = w.broker.authorizer!;
  const at = (principal: string, host = '10.0.0.1:5000') => ({ principal: { type: 'User', name: principal.slice(5) }, clientAddress: host });
  await w.grant(ResourceType.TOPIC, 'pay-', AclOperation.WRITE, { prefixed: true });
  assert.ok(az.authorize(at('User:alice'), AclOperation.WRITE, ResourceType.TOPIC, 'pay-eu'));
  assert.ok(az.authorize(at('User:alice'), AclOperation.DESCRIBE, ResourceType.TOPIC, 'pay-eu'), 'Write implies Describe');
  assert.ok(!az.authorize(at('User:alice'), AclOperation.READ, ResourceType.TOPIC, 'pay-eu'), 'Write does not imply Read');
  assert.ok(!az.authorize(at('User:alice'), AclOperation.WRITE, ResourceType.TOPIC, 'payroll'), 'prefix pay- does not cover payroll');
  await w.grant(ResourceType.TOPIC, 'pay-eu', AclOperation.WRITE, { deny: true });
  assert.ok(!az.authorize(at('User:alice'), AclOperation.WRITE, ResourceType.TOPIC, 'pay-eu'), 'deny wins over the prefixed allow');
  assert.ok(az.authorize(at('User:alice'), AclOperation.WRITE, ResourceType.TOPIC, 'pay-us'));
  await w.grant(ResourceType.TOPIC, '*', AclOperation.READ, { principal: 'User:*' });
  assert.ok(az.authorize(at('User:carol'), AclOperation.READ, ResourceType.TOPIC, 'anything'), 'User:* on * allows everyone to read');
  assert.ok(az.authorize(at('User:admin'), AclOperation.DELETE, ResourceType.CLUSTER, CLUSTER_NAME), 'super user');
  await w.grant(ResourceType.GROUP, 'g', AclOperation.READ);
  await w.broker.security!.updateAcls({ resourceType: ResourceType.GROUP, name: 'g', patternType: PatternType.LITERAL }, (cur) => [...cur, { principal: 'User:dave', permissionType: 'Allow', operation: 'Read', host: '10.0.0.9' }]);
  assert.ok(az.authorize(at('User:dave', '10.0.0.9:1'), AclOperation.READ, ResourceType.GROUP, 'g'), 'host matches');
  assert.ok(!az.authorize(at('User:dave', '10.0.0.8:1'), AclOperation.READ, ResourceType.GROUP, 'g'), 'other host refused');
  await w.grant(ResourceType.CLUSTER, CLUSTER_NAME, AclOperation.ALTER_CONFIGS);
  assert.ok(az.authorize(at('User:alice'), AclOperation.DESCRIBE_CONFIGS, ResourceType.CLUSTER, CLUSTER_NAME), 'AlterConfigs implies DescribeConfigs');
});

test('no authorizer configured: nothing is checked (CreateAcls answers SECURITY_DISABLED)', async () => {
  const fx = await adminFixture();
  await fx.createTopic(T, 1);
  const r = await fx.call<{ topics: Array<{ name: string; errorCode: number }> }>(metadataHandler, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  assert.deepEqual(r.topics.map((t) => [t.name, t.errorCode]), [[T, 0]]);
  const acl = await fx.call<{ results: Array<{ errorCode: number }> }>(createAclsHandler, 3, { creations: [{ resourceType: 2, resourceName: 'x', resourcePatternType: 3, principal: 'User:bob', host: '*', operation: 3, permissionType: 3 }] });
  assert.equal(acl.results[0]!.errorCode, ErrorCode.SECURITY_DISABLED);
});

/**
 * Admin: topic, config, cluster and group administration over a KafkaClient, one method per task.
 * Topic changes go to the controller named in metadata (any broker when there is none) and are
 * retried on NOT_CONTROLLER; broker configs go to the broker they describe. Per-item results carry
 * their own error (a KafkaError with the broker's message) so a caller can report each one; methods
 * throw only when the request as a whole failed.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { alterConfigsApi, type AlterConfigsResponse } from '../protocol/messages/alter-configs.js';
import { createPartitionsApi, type CreatePartitionsResponse } from '../protocol/messages/create-partitions.js';
import { createTopicsApi, type CreateTopicsResponse } from '../protocol/messages/create-topics.js';
import { deleteGroupsApi } from '../protocol/messages/delete-groups.js';
import { deleteTopicsApi, type DeleteTopicsResponse } from '../protocol/messages/delete-topics.js';
import { describeClusterApi, type DescribeClusterResponse } from '../protocol/messages/describe-cluster.js';
import { describeConfigsApi, type DescribeConfigsResponse } from '../protocol/messages/describe-configs.js';
import { describeQuorumApi, type DescribeQuorumResponse } from '../protocol/messages/describe-quorum.js';
import { alterPartitionReassignmentsApi, type AlterPartitionReassignmentsResponse } from '../protocol/messages/alter-partition-reassignments.js';
import { listPartitionReassignmentsApi, type ListPartitionReassignmentsResponse } from '../protocol/messages/list-partition-reassignments.js';
import { findCoordinatorApi } from '../protocol/messages/find-coordinator.js';
import { describeGroupsApi, type DescribeGroupsResponse } from '../protocol/messages/describe-groups.js';
import { incrementalAlterConfigsApi, type IncrementalAlterConfigsResponse } from '../protocol/messages/incremental-alter-configs.js';
import { listGroupsApi, type ListGroupsResponse } from '../protocol/messages/list-groups.js';
import { offsetCommitApi, type OffsetCommitResponse } from '../protocol/messages/offset-commit.js';
import { offsetDeleteApi, type OffsetDeleteResponse } from '../protocol/messages/offset-delete.js';
import { ZERO_UUID } from '../protocol/primitives.js';
import type { BrokerInfo, KafkaClient, TopicMetadata } from './client.js';
import { KafkaError, UnsupportedVersionError } from './errors.js';
import { decodeAssignment, decodeSubscription } from './group-protocol.js';
import { deleteRecords, describeLogDirs, type DeletedRecords, type LogDirInfo, type RecordsToDelete } from './log-admin.js';
import { fetchCommittedOffsets, findCoordinator, listOffsets, type CommittedOffset, type OffsetAnswer, type OffsetQuery } from './offsets.js';

export const ResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

export const ConfigSourceName: Record<number, string> = {
  0: 'UNKNOWN',
  1: 'DYNAMIC_TOPIC_CONFIG',
  2: 'DYNAMIC_BROKER_LOGGER_CONFIG',
  3: 'DYNAMIC_BROKER_CONFIG',
  4: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  5: 'STATIC_BROKER_CONFIG',
  6: 'DEFAULT_CONFIG',
};
export const DEFAULT_CONFIG_SOURCE = 6;

export interface NewTopic {
  name: string;
  /** -1 = broker default. */
  numPartitions?: number;
  /** -1 = broker default. */
  replicationFactor?: number;
  /** Manual placement: replica broker ids per partition (then leave counts at -1). */
  assignments?: number[][];
  configs?: Record<string, string>;
}

export interface TopicResult {
  name: string;
  error: KafkaError | null;
  topicId?: string;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: number;
  sensitive: boolean;
  synonyms: Array<{ name: string; value: string | null; source: number }>;
}

export interface ConfigResourceResult {
  type: number;
  name: string;
  error: KafkaError | null;
  entries: ConfigEntry[];
}

export type ConfigOp = 'set' | 'delete' | 'append' | 'subtract';
const OP_CODES: Record<ConfigOp, number> = { set: 0, delete: 1, append: 2, subtract: 3 };

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: string;
  coordinator: number;
}

export interface GroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Decoded consumer-protocol assignment (empty for other protocol types). */
  assignment: Array<{ topic: string; partitions: number[] }>;
  subscription: string[];
}

export interface GroupDescription {
  groupId: string;
  error: KafkaError | null;
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMember[];
  coordinator: BrokerInfo;
}

export interface QuorumReplica {
  replicaId: number;
  logEndOffset: number;
  /** -1 when unknown. */
  lastFetchTimestamp: number;
  lastCaughtUpTimestamp: number;
}

export interface QuorumInfo {
  leaderId: number;
  leaderEpoch: number;
  highWatermark: number;
  voters: QuorumReplica[];
  observers: QuorumReplica[];
}

export interface PartitionReassignment {
  topic: string;
  partition: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

export class Admin {
  constructor(readonly client: KafkaClient) {}

  // ---- cluster ------------------------------------------------------------------------------

  /** Cluster id, controller and brokers (DescribeCluster, or Metadata where it is not offered). */
  async describeCluster(): Promise<{ clusterId: string | null; controllerId: number; brokers: BrokerInfo[] }> {
    const conn = await this.client.anyConnection();
    if (conn.supports(describeClusterApi)) {
      const res = await conn.request<DescribeClusterResponse>(describeClusterApi, { includeClusterAuthorizedOperations: false, endpointType: 1 });
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, res.errorMessage);
      return {
        clusterId: res.clusterId,
        controllerId: res.controllerId,
        brokers: res.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.nodeId - b.nodeId),
      };
    }
    const md = await this.client.refreshMetadata([]);
    return { clusterId: md.clusterId, controllerId: md.controllerId, brokers: [...md.brokers.values()].sort((a, b) => a.nodeId - b.nodeId) };
  }

  /** The KRaft metadata quorum (DescribeQuorum on __cluster_metadata-0); KRaft-mode brokers only. */
  async describeQuorum(): Promise<QuorumInfo> {
    const conn = await this.client.anyConnection();
    if (!conn.supports(describeQuorumApi)) {
      throw new UnsupportedVersionError(`the broker at ${conn.address} does not serve DescribeQuorum: it is not in KRaft mode (a ZooKeeper-mode cluster has no metadata quorum)`);
    }
    const res = await conn.request<DescribeQuorumResponse>(describeQuorumApi, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, res.errorMessage);
    const p = res.topics[0]?.partitions[0];
    if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'DescribeQuorum answered without the metadata partition');
    if (p.errorCode !== ErrorCode.NONE) throw new KafkaError(p.errorCode, p.errorMessage);
    const replica = (r: (typeof p.currentVoters)[number]): QuorumReplica => ({
      replicaId: r.replicaId,
      logEndOffset: Number(r.logEndOffset),
      lastFetchTimestamp: Number(r.lastFetchTimestamp),
      lastCaughtUpTimestamp: Number(r.lastCaughtUpTimestamp),
    });
    return { leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, highWatermark: Number(p.highWatermark), voters: p.currentVoters.map(replica), observers: p.observers.map(replica) };
  }

  /**
   * Starts (replicas given) or cancels (replicas null) partition reassignments
   * (AlterPartitionReassignments, sent to the controller). One result per partition.
   */
  async alterPartitionReassignments(
    moves: Array<{ topic: string; partition: number; replicas: number[] | null }>,
    opts: { timeoutMs?: number } = {},
  ): Promise<Array<{ topic: string; partition: number; error: KafkaError | null }>> {
    const byTopic = new Map<string, Array<{ partitionIndex: number; replicas: number[] | null }>>();
    for (const m of moves) {
      let l = byTopic.get(m.topic);
      if (!l) byTopic.set(m.topic, (l = []));
      l.push({ partitionIndex: m.partition, replicas: m.replicas });
    }
    const body = { timeoutMs: opts.timeoutMs ?? 30_000, allowReplicationFactorChange: true, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
    const res = await this.#toController<AlterPartitionReassignmentsResponse>(alterPartitionReassignmentsApi, body, (r) => [r.errorCode]);
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, res.errorMessage);
    return res.responses.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, error: p.errorCode === ErrorCode.NONE ? null : new KafkaError(p.errorCode, p.errorMessage) })),
    );
  }

  /** Ongoing reassignments (ListPartitionReassignments, sent to the controller); null = all. */
  async listPartitionReassignments(partitions: Array<{ topic: string; partition: number }> | null = null): Promise<PartitionReassignment[]> {
    let topics: Array<{ name: string; partitionIndexes: number[] }> | null = null;
    if (partitions !== null) {
      const byTopic = new Map<string, number[]>();
      for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      topics = [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
    }
    const res = await this.#toController<ListPartitionReassignmentsResponse>(listPartitionReassignmentsApi, { timeoutMs: 30_000, topics }, (r) => [r.errorCode]);
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, res.errorMessage);
    return res.topics
      .flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })))
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  // ---- topics -------------------------------------------------------------------------------

  /** Topic names, sorted. */
  async listTopics(opts: { includeInternal?: boolean } = {}): Promise<string[]> {
    const md = await this.client.refreshMetadata(null);
    return [...md.topics.values()]
      .filter((t) => t.errorCode === ErrorCode.NONE && (opts.includeInternal !== false || !t.isInternal))
      .map((t) => t.name)
      .sort();
  }

  /** Metadata of the named topics (null = all), sorted by name; missing ones carry their error code. */
  async describeTopics(names: string[] | null): Promise<TopicMetadata[]> {
    const md = await this.client.refreshMetadata(names, { allowAutoTopicCreation: false });
    return [...md.topics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async createTopics(topics: NewTopic[], opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<TopicResult[]> {
    const body = {
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.assignments && t.assignments.length > 0 ? -1 : (t.numPartitions ?? -1),
        replicationFactor: t.assignments && t.assignments.length > 0 ? -1 : (t.replicationFactor ?? -1),
        assignments: (t.assignments ?? []).map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })),
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
      timeoutMs: opts.timeoutMs ?? 30_000,
      validateOnly: opts.validateOnly ?? false,
    };
    const res = await this.#toController<CreateTopicsResponse>(createTopicsApi, body, (r) => r.topics.map((t) => t.errorCode));
    return res.topics.map((t) => ({
      name: t.name,
      error: t.errorCode === ErrorCode.NONE ? null : new KafkaError(t.errorCode, t.errorMessage),
      topicId: t.topicId,
    }));
  }

  async deleteTopics(names: string[], opts: { timeoutMs?: number } = {}): Promise<TopicResult[]> {
    const body = { topics: names.map((name) => ({ name, topicId: ZERO_UUID })), topicNames: names, timeoutMs: opts.timeoutMs ?? 30_000 };
    const res = await this.#toController<DeleteTopicsResponse>(deleteTopicsApi, body, (r) => r.responses.map((t) => t.errorCode));
    return res.responses.map((t) => ({
      name: t.name ?? '',
      error:
        t.errorCode === ErrorCode.NONE
          ? null
          : new KafkaError(t.errorCode, t.errorMessage ?? (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? `Topic '${t.name}' does not exist.` : null)),
    }));
  }

  /** Raises each topic's partition count to `count` (the new total). */
  async createPartitions(topics: Array<{ name: string; count: number; assignments?: number[][] }>, opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<TopicResult[]> {
    const body = {
      topics: topics.map((t) => ({ name: t.name, count: t.count, assignments: t.assignments ? t.assignments.map((brokerIds) => ({ brokerIds })) : null })),
      timeoutMs: opts.timeoutMs ?? 30_000,
      validateOnly: opts.validateOnly ?? false,
    };
    const res = await this.#toController<CreatePartitionsResponse>(createPartitionsApi, body, (r) => r.results.map((t) => t.errorCode));
    return res.results.map((t) => ({ name: t.name, error: t.errorCode === ErrorCode.NONE ? null : new KafkaError(t.errorCode, t.errorMessage) }));
  }

  // ---- configs ------------------------------------------------------------------------------

  /** DescribeConfigs; broker resources are asked of that broker, the rest of any broker. */
  async describeConfigs(resources: Array<{ type: number; name: string; keys?: string[] }>, opts: { includeSynonyms?: boolean } = {}): Promise<ConfigResourceResult[]> {
    const groups = this.#byTargetBroker(resources);
    const out: ConfigResourceResult[] = [];
    for (const [node, list] of groups) {
      const body = {
        resources: list.map((r) => ({ resourceType: r.type, resourceName: r.name, configurationKeys: r.keys && r.keys.length > 0 ? r.keys : null })),
        includeSynonyms: opts.includeSynonyms ?? false,
        includeDocumentation: false,
      };
      const res =
        node === null
          ? await this.client.requestAny<DescribeConfigsResponse>(describeConfigsApi, body)
          : await this.client.requestNode<DescribeConfigsResponse>(node, describeConfigsApi, body);
      for (const r of res.results) {
        out.push({
          type: r.resourceType,
          name: r.resourceName,
          error: r.errorCode === ErrorCode.NONE ? null : new KafkaError(r.errorCode, r.errorMessage ?? unknownResourceMessage(r.errorCode, r.resourceType, r.resourceName)),
          entries: r.configs.map((c) => ({
            name: c.name,
            value: c.value,
            readOnly: c.readOnly,
            source: c.configSource >= 0 ? c.configSource : c.isDefault ? DEFAULT_CONFIG_SOURCE : 0,
            sensitive: c.isSensitive,
            synonyms: c.synonyms ?? [],
          })),
        });
      }
    }
    const order = new Map(resources.map((r, i) => [`${r.type}:${r.name}`, i]));
    return out.sort((a, b) => (order.get(`${a.type}:${a.name}`) ?? 0) - (order.get(`${b.type}:${b.name}`) ?? 0));
  }

  /** IncrementalAlterConfigs (KIP-339); falls back to nothing: the broker must offer it. */
  async incrementalAlterConfigs(
    resources: Array<{ type: number; name: string; ops: Array<{ name: string; op: ConfigOp; value?: string | null }> }>,
    opts: { validateOnly?: boolean } = {},
  ): Promise<Array<{ type: number; name: string; error: KafkaError | null }>> {
    const groups = this.#byTargetBroker(resources);
    const out: Array<{ type: number; name: string; error: KafkaError | null }> = [];
    for (const [node, list] of groups) {
      const body = {
        resources: list.map((r) => ({
          resourceType: r.type,
          resourceName: r.name,
          configs: r.ops.map((o) => ({ name: o.name, configOperation: OP_CODES[o.op], value: o.value ?? null })),
        })),
        validateOnly: opts.validateOnly ?? false,
      };
      const res =
        node === null
          ? await this.client.requestAny<IncrementalAlterConfigsResponse>(incrementalAlterConfigsApi, body)
          : await this.client.requestNode<IncrementalAlterConfigsResponse>(node, incrementalAlterConfigsApi, body);
      for (const r of res.responses) {
        out.push({
          type: r.resourceType,
          name: r.resourceName,
          error: r.errorCode === ErrorCode.NONE ? null : new KafkaError(r.errorCode, r.errorMessage ?? unknownResourceMessage(r.errorCode, r.resourceType, r.resourceName)),
        });
      }
    }
    return out;
  }

  /** Legacy AlterConfigs: replaces the whole set of dynamic configs of each resource. */
  async alterConfigs(resources: Array<{ type: number; name: string; configs: Record<string, string> }>): Promise<Array<{ type: number; name: string; error: KafkaError | null }>> {
    const body = {
      resources: resources.map((r) => ({ resourceType: r.type, resourceName: r.name, configs: Object.entries(r.configs).map(([name, value]) => ({ name, value })) })),
      validateOnly: false,
    };
    const res = await this.client.requestAny<AlterConfigsResponse>(alterConfigsApi, body);
    return res.responses.map((r) => ({ type: r.resourceType, name: r.resourceName, error: r.errorCode === ErrorCode.NONE ? null : new KafkaError(r.errorCode, r.errorMessage) }));
  }

  // ---- offsets and groups -------------------------------------------------------------------

  listOffsets(queries: OffsetQuery[], opts: { isolationLevel?: 'read_uncommitted' | 'read_committed' } = {}): Promise<OffsetAnswer[]> {
    return listOffsets(this.client, queries, opts.isolationLevel === 'read_committed' ? 1 : 0);
  }

  /** DeleteRecords to each partition's leader (offset -1: the high watermark); one result per item. */
  deleteRecords(items: RecordsToDelete[]): Promise<DeletedRecords[]> {
    return deleteRecords(this.client, items);
  }

  /** DescribeLogDirs on each of `brokerIds`: their log directories and the replicas in them. */
  describeLogDirs(brokerIds: number[], topics: string[] | null = null): Promise<Map<number, LogDirInfo[]>> {
    return describeLogDirs(this.client, brokerIds, topics);
  }

  /** Every group on every broker (ListGroups is answered per coordinator). */
  async listGroups(): Promise<GroupListing[]> {
    const md = await this.client.refreshMetadata([]);
    const out: GroupListing[] = [];
    for (const b of md.brokers.values()) {
      const conn = await this.client.connectionTo(b.host, b.port);
      if (!conn.supports(listGroupsApi)) throw groupsUnsupported(conn.address, 'ListGroups');
      const res = await conn.request<ListGroupsResponse>(listGroupsApi, { statesFilter: [] });
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode);
      for (const g of res.groups) out.push({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState ?? '', coordinator: b.nodeId });
    }
    return out.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  async describeGroups(groupIds: string[]): Promise<GroupDescription[]> {
    const out: GroupDescription[] = [];
    for (const groupId of groupIds) {
      const coordinator = await this.#coordinatorFor(groupId);
      const conn = await this.client.connectionTo(coordinator.host, coordinator.port);
      if (!conn.supports(describeGroupsApi)) throw groupsUnsupported(conn.address, 'DescribeGroups');
      const res = await conn.request<DescribeGroupsResponse>(describeGroupsApi, { groups: [groupId], includeAuthorizedOperations: false });
      for (const g of res.groups) {
        const consumer = g.protocolType === 'consumer';
        out.push({
          groupId: g.groupId,
          error: g.errorCode === ErrorCode.NONE ? null : new KafkaError(g.errorCode),
          state: g.groupState,
          protocolType: g.protocolType,
          protocol: g.protocolData,
          coordinator,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId ?? null,
            clientId: m.clientId,
            clientHost: m.clientHost,
            assignment: consumer && m.memberAssignment.length > 0 ? safe(() => decodeAssignment(m.memberAssignment).partitions, []) : [],
            subscription: consumer && m.memberMetadata.length > 0 ? safe(() => decodeSubscription(m.memberMetadata).topics, []) : [],
          })),
        });
      }
    }
    return out;
  }

  /** Committed offsets of a group (all partitions it committed when `topics` is omitted). */
  async fetchCommittedOffsets(groupId: string, topics?: Array<{ topic: string; partitions: number[] }>): Promise<CommittedOffset[]> {
    const coordinator = await this.#coordinatorFor(groupId);
    const conn = await this.client.connectionTo(coordinator.host, coordinator.port);
    return fetchCommittedOffsets(conn, groupId, topics ?? null);
  }

  async deleteGroups(groupIds: string[]): Promise<Array<{ groupId: string; error: KafkaError | null }>> {
    const out: Array<{ groupId: string; error: KafkaError | null }> = [];
    for (const groupId of groupIds) {
      const coordinator = await this.#coordinatorFor(groupId);
      const conn = await this.client.connectionTo(coordinator.host, coordinator.port);
      const res = await conn.request<{ results: Array<{ groupId: string; errorCode: number }> }>(deleteGroupsApi, { groupsNames: [groupId] });
      for (const r of res.results) out.push({ groupId: r.groupId, error: r.errorCode === ErrorCode.NONE ? null : new KafkaError(r.errorCode) });
    }
    return out;
  }

  /**
   * Commits offsets for a group without joining it (generation -1, no member id: Kafka's
   * alterConsumerGroupOffsets). The coordinator accepts this only while the group has no members.
   * Returns one error (or null) per partition.
   */
  async commitGroupOffsets(
    groupId: string,
    offsets: Array<{ topic: string; partition: number; offset: number }>,
  ): Promise<Array<{ topic: string; partition: number; error: KafkaError | null }>> {
    const coordinator = await this.#coordinatorFor(groupId);
    const conn = await this.client.connectionTo(coordinator.host, coordinator.port);
    const byTopic = new Map<string, Array<{ partition: number; offset: number }>>();
    for (const o of offsets) {
      let l = byTopic.get(o.topic);
      if (!l) byTopic.set(o.topic, (l = []));
      l.push(o);
    }
    const res = await conn.request<OffsetCommitResponse>(offsetCommitApi, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, ps]) => ({
        name,
        partitions: ps.map((p) => ({ partitionIndex: p.partition, committedOffset: BigInt(p.offset), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: '' })),
      })),
    });
    const out: Array<{ topic: string; partition: number; error: KafkaError | null }> = [];
    for (const t of res.topics) {
      for (const p of t.partitions) out.push({ topic: t.name, partition: p.partitionIndex, error: p.errorCode === ErrorCode.NONE ? null : new KafkaError(p.errorCode) });
    }
    return out;
  }

  /** OffsetDelete (KIP-496): a top-level error and one per partition. */
  async deleteGroupOffsets(
    groupId: string,
    partitions: Array<{ topic: string; partition: number }>,
  ): Promise<{ error: KafkaError | null; partitions: Array<{ topic: string; partition: number; error: KafkaError | null }> }> {
    const coordinator = await this.#coordinatorFor(groupId);
    const conn = await this.client.connectionTo(coordinator.host, coordinator.port);
    if (!conn.supports(offsetDeleteApi)) throw groupsUnsupported(conn.address, 'OffsetDelete');
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) {
      let l = byTopic.get(p.topic);
      if (!l) byTopic.set(p.topic, (l = []));
      l.push(p.partition);
    }
    const res = await conn.request<OffsetDeleteResponse>(offsetDeleteApi, {
      groupId,
      topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex })) })),
    });
    return {
      error: res.errorCode === ErrorCode.NONE ? null : new KafkaError(res.errorCode),
      partitions: res.topics.flatMap((t) =>
        t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, error: p.errorCode === ErrorCode.NONE ? null : new KafkaError(p.errorCode) })),
      ),
    };
  }

  // ---- routing ------------------------------------------------------------------------------

  async #coordinatorFor(groupId: string): Promise<BrokerInfo> {
    const conn = await this.client.anyConnection();
    if (!conn.supports(findCoordinatorApi)) throw groupsUnsupported(conn.address, 'FindCoordinator');
    return findCoordinator(this.client, groupId);
  }

  /** Sends to the controller, retrying on NOT_CONTROLLER / lost connections with fresh metadata. */
  async #toController<T>(api: Parameters<KafkaClient['requestAny']>[0], body: object, codes: (res: T) => number[]): Promise<T> {
    return this.client.retry(async () => {
      let controller = this.client.controllerId;
      if (controller < 0) controller = (await this.client.refreshMetadata([])).controllerId;
      const res =
        controller >= 0 && this.client.brokers.has(controller)
          ? await this.client.requestNode<T>(controller, api, body)
          : await this.client.requestAny<T>(api, body);
      if (codes(res).includes(ErrorCode.NOT_CONTROLLER)) throw new KafkaError(ErrorCode.NOT_CONTROLLER);
      return res;
    });
  }

  /** Broker resources (type BROKER / BROKER_LOGGER with a numeric name) go to that broker. */
  #byTargetBroker<R extends { type: number; name: string }>(resources: R[]): Map<number | null, R[]> {
    const out = new Map<number | null, R[]>();
    for (const r of resources) {
      const node = (r.type === ResourceType.BROKER || r.type === ResourceType.BROKER_LOGGER) && /^\d+$/.test(r.name) ? Number(r.name) : null;
      let l = out.get(node);
      if (!l) out.set(node, (l = []));
      l.push(r);
    }
    return out;
  }
}

function groupsUnsupported(address: string, api: string): UnsupportedVersionError {
  return new UnsupportedVersionError(`the broker at ${address} does not support consumer groups yet (no ${api})`);
}

function unknownResourceMessage(code: number, type: number, name: string): string | null {
  if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && type === ResourceType.TOPIC) return `The topic '${name}' does not exist.`;
  return null;
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    // A member's metadata in a format we cannot read: shown as empty rather than failing the listing.
    return fallback;
  }
}

/**
 * The cluster metadata image: brokers, topics, partition assignments, topic configs and dynamic
 * broker configs, frozen.
 * A request captures the image once (ctx.image) and never re-reads it partway through; the
 * controller builds the next image and swaps it in one assignment.
 */
import assert from 'node:assert/strict';

export interface PartitionInfo {
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offline: readonly number[];
  /** Version of the partition state (ZooKeeper zkVersion / KRaft partition epoch); bumps on every leader or ISR change. */
  readonly partitionEpoch: number;
  /** While the partition is being reassigned (KIP-455): replicas joining and leaving; absent or empty otherwise. */
  readonly addingReplicas?: readonly number[];
  readonly removingReplicas?: readonly number[];
}

export interface TopicInfo {
  readonly name: string;
  readonly topicId: string;
  readonly internal: boolean;
  readonly partitions: readonly PartitionInfo[];
  /** Topic-level config overrides (only the keys set on the topic). */
  readonly configs: Readonly<Record<string, string>>;
}

export interface BrokerInfo {
  readonly id: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

const NO_BROKER_CONFIGS: ReadonlyMap<string, Readonly<Record<string, string>>> = new Map();

export class MetadataImage {
  readonly topicsById: ReadonlyMap<string, TopicInfo>;

  constructor(
    readonly clusterId: string,
    readonly controllerId: number,
    readonly brokers: ReadonlyMap<number, BrokerInfo>,
    readonly topics: ReadonlyMap<string, TopicInfo>,
    /** Dynamic broker configs by entity: '' is the cluster-wide default, else a broker id (config/dynamic-broker-config.ts). */
    readonly brokerConfigs: ReadonlyMap<string, Readonly<Record<string, string>>> = NO_BROKER_CONFIGS,
  ) {
    const byId = new Map<string, TopicInfo>();
    for (const t of topics.values()) {
      assert.ok(t.partitions.every((p, i) => p.partition === i), `partitions of ${t.name} must be dense`);
      byId.set(t.topicId, t);
    }
    this.topicsById = byId;
    Object.freeze(this);
  }

  withTopics(topics: ReadonlyMap<string, TopicInfo>): MetadataImage {
    return new MetadataImage(this.clusterId, this.controllerId, this.brokers, topics, this.brokerConfigs);
  }

  withBrokers(brokers: ReadonlyMap<number, BrokerInfo>): MetadataImage {
    return new MetadataImage(this.clusterId, this.controllerId, brokers, this.topics, this.brokerConfigs);
  }

  withBrokerConfigs(brokerConfigs: ReadonlyMap<string, Readonly<Record<string, string>>>): MetadataImage {
    return new MetadataImage(this.clusterId, this.controllerId, this.brokers, this.topics, brokerConfigs);
  }

  partition(topic: string, partition: number): PartitionInfo | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }
}

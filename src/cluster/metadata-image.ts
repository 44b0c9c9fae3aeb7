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

/** One advertised listener of a broker: `NAME://host:port` of its registration. */
export interface BrokerEndpoint {
  /** Listener name, upper case (INTERNAL, EXTERNAL, PLAINTEXT, ...). */
  readonly listener: string;
  readonly host: string;
  readonly port: number;
}

export interface BrokerInfo {
  readonly id: number;
  /** The first advertised endpoint: what a caller that names no listener gets. */
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  /** Every advertised endpoint, in registration order; absent when only host/port are known. */
  readonly endpoints?: readonly BrokerEndpoint[];
}

/**
 * Where to reach `broker` on `listener` (Kafka's rule: clients get the endpoints of the listener
 * their request came in on; replica fetchers use inter.broker.listener.name). No listener named,
 * or a broker registered without an endpoint list: its first endpoint. A broker that lists
 * endpoints but none of that name cannot be reached there: null.
 */
export function brokerEndpoint(broker: BrokerInfo, listener: string | undefined): { host: string; port: number } | null {
  if (listener === undefined || listener === '' || broker.endpoints === undefined || broker.endpoints.length === 0) {
    return { host: broker.host, port: broker.port };
  }
  const wanted = listener.toUpperCase();
  const ep = broker.endpoints.find((e) => e.listener === wanted);
  return ep ? { host: ep.host, port: ep.port } : null;
}

/**
 * The brokers as a client on `listener` sees them: host and port are that listener's endpoint;
 * brokers without one are left out (Kafka does the same: a client cannot use another listener).
 */
export function brokersOnListener(image: MetadataImage, listener: string | undefined): BrokerInfo[] {
  const out: BrokerInfo[] = [];
  for (const b of image.brokers.values()) {
    const ep = brokerEndpoint(b, listener);
    if (ep !== null) out.push(ep.host === b.host && ep.port === b.port ? b : { ...b, host: ep.host, port: ep.port });
  }
  return out;
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

/**
 * The Controller interface: admin operations that change cluster metadata (topics, partitions,
 * topic configs) and the image they produce. The single-node broker uses EmbeddedController
 * (cluster/embedded-controller.ts); a ZooKeeper- or Raft-backed controller implements the same
 * interface so handlers never change.
 */
import type { MetadataImage, TopicInfo } from './metadata-image.js';

export type AdminErrorKind =
  | 'topicAlreadyExists'
  | 'invalidTopic'
  | 'invalidPartitions'
  | 'invalidReplicationFactor'
  | 'invalidReplicaAssignment'
  | 'unknownTopic'
  | 'invalidConfig'
  | 'topicDeletionDisabled'
  | 'invalidRequest'
  | 'unknownTopicOrPartition'
  | 'noReassignmentInProgress'
  | 'notController';

export type AdminResult = { ok: true } | { ok: false; error: AdminErrorKind; message: string };

export interface CreateTopicSpec {
  name: string;
  /** -1: broker default (num.partitions). */
  numPartitions: number;
  /** -1: broker default (default.replication.factor). */
  replicationFactor: number;
  /** Explicit replica assignment per partition, or empty. */
  assignments: number[][];
  configs: Record<string, string>;
  validateOnly: boolean;
}

/** A partition leader's request to change its ISR (Kafka's AlterPartition / ZooKeeper-era ISR write). */
export interface IsrChange {
  topic: string;
  partition: number;
  leaderId: number;
  leaderEpoch: number;
  /** The partition epoch the leader last saw; the change is refused (fenced) if it moved. */
  partitionEpoch: number;
  isr: number[];
}

export type IsrChangeResult =
  | { ok: true; partitionEpoch: number }
  /** unavailable: the coordination service did not answer (or this broker's session is suspect); the outcome is unknown, retry. */
  | { ok: false; error: 'fenced' | 'unknownTopicOrPartition' | 'invalidRequest' | 'notController' | 'unavailable' };

/** Outcome of a preferred-leader election for one partition (ElectLeaders / kafka-leader-election). */
export interface PreferredElectionResult {
  topic: string;
  partition: number;
  /** electionNotNeeded: the preferred replica already leads; preferredNotAvailable: it is dead or out of sync. */
  result: 'elected' | 'electionNotNeeded' | 'preferredNotAvailable' | 'unknownTopicOrPartition';
}

/** One partition of an AlterPartitionReassignments request: new replicas, or null to cancel. */
export interface ReassignmentChange {
  topic: string;
  partition: number;
  replicas: number[] | null;
}

export interface ReassignmentOutcome {
  topic: string;
  partition: number;
  result: AdminResult;
}

/** A range of producer ids reserved for one broker: [firstProducerId, firstProducerId + size). */
export interface ProducerIdBlock {
  brokerId: number;
  firstProducerId: bigint;
  size: number;
}

/** One change of a user's SCRAM credential (KIP-554): Kafka's stored form, or null to delete it. */
export interface ScramCredentialChange {
  user: string;
  mechanism: string;
  credential: string | null;
}

export interface Controller {
  readonly image: MetadataImage;
  /**
   * Reserves the next `size` producer ids for `brokerId`, durably (never handed out again, also
   * after restarts): ZooKeeper's /latest_producer_id_block, or the embedded/KRaft metadata document.
   * Optional so scripted test controllers need not implement it.
   */
  allocateProducerIdBlock?(brokerId: number, size: number): Promise<ProducerIdBlock>;
  /** Called with each new image, after it is in force. */
  subscribe(listener: (image: MetadataImage) => void | Promise<void>): void;
  createTopic(spec: CreateTopicSpec): Promise<AdminResult & { topic?: TopicInfo }>;
  deleteTopic(name: string): Promise<AdminResult>;
  createPartitions(name: string, totalCount: number, assignments: number[][], validateOnly: boolean): Promise<AdminResult>;
  /** `replace` sets exactly `configs` (AlterConfigs); `incremental` applies set (string) / delete (null). */
  alterTopicConfigs(name: string, configs: Record<string, string | null>, mode: 'replace' | 'incremental', validateOnly: boolean): Promise<AdminResult>;
  /** Conditional ISR update from a partition leader; the new image follows through subscribe(). */
  alterPartitionIsr(change: IsrChange): Promise<IsrChangeResult>;
  /**
   * Preferred-leader election on demand (kafka-leader-election --election-type preferred); null
   * means every partition. Optional: a single node has nothing to elect.
   */
  electPreferredLeaders?(partitions: Array<{ topic: string; partition: number }> | null): Promise<PreferredElectionResult[]>;
  /**
   * Dynamic broker configs of one entity ('' = the cluster-wide default, else a broker id):
   * `replace` sets exactly `configs`, `incremental` applies set (string) / delete (null). The caller
   * has validated keys and values (config/dynamic-broker-config.ts); the new values reach every
   * broker through the image (`brokerConfigs`).
   */
  alterBrokerConfigs(entity: string, configs: Record<string, string | null>, mode: 'replace' | 'incremental', validateOnly: boolean): Promise<AdminResult>;
  /**
   * Starts, replaces or cancels partition reassignments (AlterPartitionReassignments, KIP-455). The
   * reassignment itself proceeds in the background; progress shows in the image as each partition's
   * addingReplicas / removingReplicas. Answered by the active controller ('notController' elsewhere).
   */
  alterPartitionReassignments(changes: ReassignmentChange[]): Promise<ReassignmentOutcome[]>;
  /**
   * SCRAM credentials by user, each mechanism → Kafka's stored form
   * (`salt=...,stored_key=...,server_key=...,iterations=...`); `users` null = every user that has
   * one. Read fresh from the metadata store (SASL/SCRAM authentication looks up here). Optional:
   * a controller without them refuses SCRAM.
   */
  scramCredentials?(users: string[] | null): Promise<Map<string, Record<string, string>>>;
  /** Sets or deletes SCRAM credentials (AlterUserScramCredentials); the caller has validated them. */
  alterScramCredentials?(changes: ScramCredentialChange[]): Promise<AdminResult>;
}

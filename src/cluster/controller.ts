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
  | 'invalidRequest';

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
  | { ok: false; error: 'fenced' | 'unknownTopicOrPartition' | 'invalidRequest' | 'notController' };

/** Outcome of a preferred-leader election for one partition (ElectLeaders / kafka-leader-election). */
export interface PreferredElectionResult {
  topic: string;
  partition: number;
  /** electionNotNeeded: the preferred replica already leads; preferredNotAvailable: it is dead or out of sync. */
  result: 'elected' | 'electionNotNeeded' | 'preferredNotAvailable' | 'unknownTopicOrPartition';
}

export interface Controller {
  readonly image: MetadataImage;
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
}

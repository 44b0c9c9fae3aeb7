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

export interface Controller {
  readonly image: MetadataImage;
  /** Called with each new image, after it is in force. */
  subscribe(listener: (image: MetadataImage) => void | Promise<void>): void;
  createTopic(spec: CreateTopicSpec): Promise<AdminResult & { topic?: TopicInfo }>;
  deleteTopic(name: string): Promise<AdminResult>;
  createPartitions(name: string, totalCount: number, assignments: number[][], validateOnly: boolean): Promise<AdminResult>;
  /** `replace` sets exactly `configs` (AlterConfigs); `incremental` applies set (string) / delete (null). */
  alterTopicConfigs(name: string, configs: Record<string, string | null>, mode: 'replace' | 'incremental', validateOnly: boolean): Promise<AdminResult>;
}

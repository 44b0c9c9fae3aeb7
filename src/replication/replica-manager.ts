/**
 * ReplicaManager: the partitions this broker hosts and the operations on them that handlers call
 * (append as leader, read, offsets). It follows the metadata image: partitions that appear get a
 * log, partitions of deleted topics lose theirs. In the single-node broker every partition is led
 * here and the high watermark equals the log end offset after each append; the cluster issue adds
 * followers, ISR and a high watermark driven by replica fetches behind the same methods.
 * Owned by Broker; lives for the process.
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { toLogConfig } from '../config/topic-config.js';
import type { MetadataImage } from '../cluster/metadata-image.js';
import type { LogManager } from '../storage/log-manager.js';
import type { PartitionLog } from '../storage/partition-log.js';
import { StorageError } from '../storage/errors.js';
import type { Purgatory } from './purgatory.js';

export type PartitionError = 'unknownTopicOrPartition' | 'notLeader' | 'storage' | 'offsetOutOfRange';

export class ReplicaError extends Error {
  constructor(
    readonly kind: PartitionError,
    message: string,
  ) {
    super(message);
    this.name = 'ReplicaError';
  }
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export class ReplicaManager {
  private image: MetadataImage | null = null;

  constructor(
    private readonly brokerId: number,
    private readonly config: BrokerConfig,
    private readonly logs: LogManager,
    private readonly fetchPurgatory: Purgatory,
    private readonly log: Logger,
  ) {}

  /** Brings local logs in line with a new metadata image. */
  async applyImage(image: MetadataImage): Promise<void> {
    const previous = this.image;
    this.image = image;
    for (const topic of image.topics.values()) {
      for (const p of topic.partitions) {
        if (!p.replicas.includes(this.brokerId)) continue;
        const logConfig = toLogConfig(this.config, topic.configs);
        const existing = this.logs.getLog(topic.name, p.partition);
        if (existing) existing.updateConfig(logConfig);
        else await this.logs.createLog(topic.name, p.partition, logConfig);
      }
    }
    for (const log of this.logs.allLogs()) {
      const topic = image.topics.get(log.topic);
      if (!topic || log.partition >= topic.partitions.length) {
        this.log.info({ topic: log.topic, partition: log.partition }, 'deleting log of removed topic/partition');
        await this.logs.deleteLog(log.topic, log.partition);
        this.fetchPurgatory.checkAndComplete(partitionKey(log.topic, log.partition));
      }
    }
    void previous;
  }

  /** The leader log for (topic, partition) or a ReplicaError. */
  leaderLog(topic: string, partition: number): PartitionLog {
    const info = this.image?.partition(topic, partition);
    if (!info) throw new ReplicaError('unknownTopicOrPartition', `unknown ${topic}-${partition}`);
    if (info.leader !== this.brokerId) throw new ReplicaError('notLeader', `broker ${this.brokerId} does not lead ${topic}-${partition}`);
    const log = this.logs.getLog(topic, partition);
    if (!log) throw new ReplicaError('unknownTopicOrPartition', `no log for ${topic}-${partition}`);
    return log;
  }

  async appendAsLeader(topic: string, partition: number, records: Buffer): Promise<AppendResult> {
    const log = this.leaderLog(topic, partition);
    const leaderEpoch = this.image?.partition(topic, partition)?.leaderEpoch ?? 0;
    const result = await log.appendAsLeader(records, { leaderEpoch });
    // Single node: an appended batch is committed at once.
    log.highWatermark = log.logEndOffset;
    this.fetchPurgatory.checkAndComplete(partitionKey(topic, partition));
    return { baseOffset: result.baseOffset, lastOffset: result.lastOffset, logAppendTimeMs: result.logAppendTimeMs, logStartOffset: log.logStartOffset };
  }

  /** Maps storage failures to partition errors; rethrows anything else (our bugs). */
  static classify(err: unknown): PartitionError | null {
    if (err instanceof ReplicaError) return err.kind;
    if (err instanceof StorageError) return err.kind === 'offsetOutOfRange' ? 'offsetOutOfRange' : 'storage';
    return null;
  }
}

/**
 * LogConfig: the per-partition settings storage honours, named after Kafka's topic configs
 * (segment.bytes → segmentBytes, retention.ms → retentionMs, ...). Owned by whoever opens the log
 * (LogManager, from broker defaults and topic overrides); a PartitionLog takes a new one through
 * updateConfig().
 *
 * Also the reading of the optional compaction fields (cleanup.policy and friends), shared by
 * PartitionLog's retention and the log cleaner so neither has to import the other.
 */
import { StorageError } from './errors.js';

export interface LogConfig {
  /** Roll the active segment before it would grow past this (segment.bytes). At most 2^31-1. */
  segmentBytes: number;
  /** Roll the active segment once its first append is older than this (segment.ms). */
  segmentMs: number;
  /** Delete whole segments whose largest timestamp is older than this; -1 = keep forever (retention.ms). */
  retentionMs: number;
  /** Delete the oldest segments while the log is larger than this; -1 = no limit (retention.bytes). */
  retentionBytes: number;
  /** Bytes appended between two sparse index entries (index.interval.bytes). */
  indexIntervalBytes: number;
  /** Largest size of one index file; a full index rolls the segment (segment.index.bytes). */
  segmentIndexBytes: number;
  /** fsync after this many appended records (flush.messages); Number.MAX_SAFE_INTEGER or more = never. */
  flushIntervalMessages: number;
  /** fsync when the last flush is older than this (flush.ms); -1 or huge = never. */
  flushIntervalMs: number;
  /** CreateTime keeps the producer's timestamps; LogAppendTime stamps batches with the broker clock. */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  /** Delay between a segment leaving the log and its files being removed (file.delete.delay.ms). */
  fileDeleteDelayMs: number;
}

/** Kafka's broker defaults. */
export const defaultLogConfig: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1_073_741_824,
  segmentMs: 604_800_000,
  retentionMs: 604_800_000,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10_485_760,
  flushIntervalMessages: Number.MAX_SAFE_INTEGER,
  flushIntervalMs: Number.MAX_SAFE_INTEGER,
  messageTimestampType: 'CreateTime',
  fileDeleteDelayMs: 60_000,
});

/** Positions in the offset index are int32, so a segment can hold at most this many bytes. */
export const SEGMENT_BYTES_MAX = 2_147_483_647;
/** Smallest segment that still holds a minimal batch. */
export const SEGMENT_BYTES_MIN = 64;

/** Throws StorageError('invalidConfig') for values storage cannot honour. */
export function validateLogConfig(config: LogConfig): void {
  const bad = (what: string): never => {
    throw new StorageError('invalidConfig', `invalid log config: ${what}`);
  };
  if (!Number.isInteger(config.segmentBytes) || config.segmentBytes < SEGMENT_BYTES_MIN || config.segmentBytes > SEGMENT_BYTES_MAX) {
    bad(`segmentBytes ${config.segmentBytes} not in [${SEGMENT_BYTES_MIN}, ${SEGMENT_BYTES_MAX}]`);
  }
  if (!(config.segmentMs > 0)) bad(`segmentMs ${config.segmentMs} must be > 0`);
  if (!(config.retentionMs === -1 || config.retentionMs >= 0)) bad(`retentionMs ${config.retentionMs}`);
  if (!(config.retentionBytes === -1 || config.retentionBytes >= 0)) bad(`retentionBytes ${config.retentionBytes}`);
  if (!Number.isInteger(config.indexIntervalBytes) || config.indexIntervalBytes < 0) bad(`indexIntervalBytes ${config.indexIntervalBytes}`);
  if (!Number.isInteger(config.segmentIndexBytes) || config.segmentIndexBytes < 12) bad(`segmentIndexBytes ${config.segmentIndexBytes} must be >= 12`);
  if (!(config.flushIntervalMessages >= 1)) bad(`flushIntervalMessages ${config.flushIntervalMessages} must be >= 1`);
  if (Number.isNaN(config.flushIntervalMs)) bad('flushIntervalMs is NaN');
  if (config.messageTimestampType !== 'CreateTime' && config.messageTimestampType !== 'LogAppendTime') {
    bad(`messageTimestampType ${String(config.messageTimestampType)}`);
  }
  if (!(config.fileDeleteDelayMs >= 0)) bad(`fileDeleteDelayMs ${config.fileDeleteDelayMs}`);
}

/**
 * The compaction settings of a log config. Configs built by config/topic-config.ts (toLogConfig)
 * carry them; a plain storage LogConfig without them is a delete-policy log.
 */
interface CompactionFields {
  cleanupPolicy?: readonly string[];
  deleteRetentionMs?: number;
  minCompactionLagMs?: number;
  minCleanableDirtyRatio?: number;
}

export interface CompactionSettings {
  deleteRetentionMs: number;
  minCompactionLagMs: number;
  minCleanableDirtyRatio: number;
  segmentBytes: number;
}

/** Compaction settings, or null when the log is not compacted. */
export function compactionSettingsOf(config: LogConfig): CompactionSettings | null {
  const c = config as LogConfig & CompactionFields;
  if (!c.cleanupPolicy?.includes('compact')) return null;
  return {
    deleteRetentionMs: c.deleteRetentionMs ?? 86_400_000,
    minCompactionLagMs: c.minCompactionLagMs ?? 0,
    minCleanableDirtyRatio: c.minCleanableDirtyRatio ?? 0.5,
    segmentBytes: config.segmentBytes,
  };
}

/** Whether time and size retention delete segments: unless cleanup.policy is given without `delete`. */
export function deletePolicyApplies(config: LogConfig): boolean {
  const policy = (config as LogConfig & CompactionFields).cleanupPolicy;
  return policy === undefined || policy.includes('delete');
}

/**
 * The broker keys dynamic broker configs may change, and what a change does (see
 * dynamic-broker-config.ts for the rules and where the values live). A leaf module: broker-config.ts
 * reads it to mark these keys not read-only in DescribeConfigs.
 */
export type DynamicEffect = 'live' | 'accepted';

const LIVE_KEYS = [
  'log.retention.ms',
  'log.retention.minutes',
  'log.retention.hours',
  'log.retention.bytes',
  'log.segment.bytes',
  'log.roll.ms',
  'log.roll.hours',
  'log.roll.jitter.ms',
  'log.roll.jitter.hours',
  'log.cleanup.policy',
  'log.cleaner.delete.retention.ms',
  'log.cleaner.min.compaction.lag.ms',
  'log.cleaner.max.compaction.lag.ms',
  'log.cleaner.min.cleanable.ratio',
  'log.flush.interval.messages',
  'log.flush.interval.ms',
  'log.index.interval.bytes',
  'log.index.size.max.bytes',
  'log.segment.delete.delay.ms',
  'log.message.timestamp.type',
  'log.message.timestamp.difference.max.ms',
  'log.message.downconversion.enable',
  'log.preallocate',
  'compression.type',
  'message.max.bytes',
  'min.insync.replicas',
  'unclean.leader.election.enable',
  'leader.replication.throttled.rate',
  'follower.replication.throttled.rate',
  'samsa.slow.request.threshold.ms',
  'samsa.request.log.sample.rate',
];

const ACCEPTED_KEYS = [
  'num.io.threads',
  'num.network.threads',
  'num.replica.fetchers',
  'num.recovery.threads.per.data.dir',
  'log.cleaner.threads',
];

const EFFECTS = new Map<string, DynamicEffect>([...LIVE_KEYS.map((k) => [k, 'live'] as const), ...ACCEPTED_KEYS.map((k) => [k, 'accepted'] as const)]);

/** 'live', 'accepted' or undefined (read-only) for a broker key. */
export function dynamicEffect(key: string): DynamicEffect | undefined {
  return EFFECTS.get(key);
}

/** The keys of the table, for docs and tests. */
export function dynamicBrokerKeys(): ReadonlyMap<string, DynamicEffect> {
  return EFFECTS;
}


/** True when `key` may be changed dynamically. */
export function isDynamicBrokerKey(key: string): boolean {
  return EFFECTS.has(key);
}

/**
 * Topic-level configuration: the keys a topic may override (CreateTopics, AlterConfigs,
 * IncrementalAlterConfigs), each with its type, validator and the broker key it defaults from
 * (retention.ms ← log.retention.ms/minutes/hours, segment.bytes ← log.segment.bytes, ...).
 *
 * Callers:
 * - handlers validate client input with validateTopicConfigs() and answer INVALID_CONFIG with the
 *   returned message;
 * - DescribeConfigs on a topic reports effectiveTopicConfig();
 * - storage builds each partition log from toLogConfig(), which resolves override > broker > default.
 *
 * Overrides are stored as the strings the client sent (Kafka stores them that way too); this module
 * parses them each time it is asked, so there is one parser for input, storage and description.
 * Pure functions over a BrokerConfig and a Record of overrides; no I/O, no state.
 */
import assert from 'node:assert/strict';
import { brokerConfigLayers, brokerKeyDef, type BrokerConfig } from './broker-config.js';
import { MESSAGE_FORMAT_VERSION_DEFAULT, messageFormatVersionValidator, topicMessageFormatWarning } from './message-format-version.js';
import type { LogConfig as StorageLogConfig } from '../storage/log-config.js';
import {
  ConfigError,
  LONG_MAX_STRING,
  assertDefaultsValid,
  atLeast,
  between,
  configTypeName,
  custom,
  formatConfigValue,
  invalidValueMessage,
  listOf,
  oneOf,
  parseAndValidate,
  type ConfigKeyDef,
  type ConfigSourceName,
  type ConfigTypeName,
  type ConfigValue,
} from './config-def.js';

export { ConfigSource, ConfigType } from './config-def.js';
export type { ConfigSourceName, ConfigTypeName } from './config-def.js';

type Value = Exclude<ConfigValue, null>;

export interface TopicKeyDef extends ConfigKeyDef {
  /** Broker keys this key defaults from, most specific first (DescribeConfigs synonyms). Empty: none. */
  readonly brokerSynonyms: readonly string[];
  /** The broker-wide value used when the topic has no override. */
  readonly fromBroker: (broker: BrokerConfig) => Value;
}

/**
 * Settings a partition log needs, resolved for one topic: override > broker config > default.
 * Storage's own fields (segment sizes, retention, flush policy...) are declared once, in
 * storage/log-config.ts; this adds what the handlers, replication and the cleaner read.
 */
export interface LogConfig extends StorageLogConfig {
  segmentJitterMs: number;
  messageTimestampDifferenceMaxMs: number;
  messageTimestampBeforeMaxMs: number;
  messageTimestampAfterMaxMs: number;
  preallocate: boolean;
  /** uncompressed | zstd | lz4 | snappy | gzip | producer */
  compressionType: string;
  /** Subset of ['delete', 'compact']. */
  cleanupPolicy: string[];
  deleteRetentionMs: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
  minCleanableDirtyRatio: number;
  maxMessageBytes: number;
  minInsyncReplicas: number;
  uncleanLeaderElectionEnable: boolean;
}

export interface EffectiveTopicConfigEntry {
  value: string;
  source: ConfigSourceName;
  isDefault: boolean;
  readOnly: boolean;
  sensitive: boolean;
  /** ConfigType name: BOOLEAN, STRING, INT, LONG, DOUBLE, LIST, ... */
  type: ConfigTypeName;
  documentation?: string;
  /** What DescribeConfigs v1+ lists as synonyms, most specific first (the entry itself included). */
  synonyms: Array<{ name: string; value: string; source: ConfigSourceName }>;
}

const throttledReplicas = custom('* or [partitionId]:[brokerId],...', (value) => {
  assert.ok(Array.isArray(value));
  if (value.length === 1 && value[0] === '*') return null;
  const bad = value.find((item) => !/^\d+:\d+$/.test(item));
  return bad === undefined
    ? null
    : `Must be the literal '*' or a list of replicas in the form [partitionId]:[brokerId],[partitionId]:[brokerId],...`;
});

const tieredStorageUnsupported = custom('false', (value) =>
  value === true ? 'Tiered storage is not supported by Samsa; leave remote.storage.enable false' : null,
);

/** Every topic-level key. `default` is Kafka's topic default, used when a broker key has none. */
export const TOPIC_CONFIG_KEYS: readonly TopicKeyDef[] = [
  { name: 'cleanup.policy', type: 'list', default: 'delete', validator: listOf('compact', 'delete'), brokerSynonyms: ['log.cleanup.policy'], fromBroker: (b) => b.logCleanupPolicy, doc: 'delete old segments, compact by key, or both.' },
  { name: 'compression.type', type: 'string', default: 'producer', validator: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'), brokerSynonyms: ['compression.type'], fromBroker: (b) => b.compressionType, doc: 'Compression of stored batches; producer keeps what the producer sent.' },
  { name: 'delete.retention.ms', type: 'long', default: '86400000', validator: atLeast(0), brokerSynonyms: ['log.cleaner.delete.retention.ms'], fromBroker: (b) => b.logCleanerDeleteRetentionMs, doc: 'How long tombstones stay in a compacted topic.' },
  { name: 'file.delete.delay.ms', type: 'long', default: '60000', validator: atLeast(0), brokerSynonyms: ['log.segment.delete.delay.ms'], fromBroker: (b) => b.logSegmentDeleteDelayMs, doc: 'Delay before a deleted segment file is removed.' },
  { name: 'flush.messages', type: 'long', default: LONG_MAX_STRING, validator: atLeast(1), brokerSynonyms: ['log.flush.interval.messages'], fromBroker: (b) => b.logFlushIntervalMessages, doc: 'Messages appended before a forced fsync.' },
  { name: 'flush.ms', type: 'long', default: LONG_MAX_STRING, validator: atLeast(0), brokerSynonyms: ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'], fromBroker: (b) => b.logFlushIntervalMs, doc: 'Time a message may stay unflushed.' },
  { name: 'follower.replication.throttled.replicas', type: 'list', default: '', validator: throttledReplicas, brokerSynonyms: [], fromBroker: () => [], doc: 'Replicas whose follower fetches are throttled.' },
  { name: 'index.interval.bytes', type: 'int', default: '4096', validator: atLeast(0), brokerSynonyms: ['log.index.interval.bytes'], fromBroker: (b) => b.logIndexIntervalBytes, doc: 'Bytes of log between offset index entries.' },
  { name: 'leader.replication.throttled.replicas', type: 'list', default: '', validator: throttledReplicas, brokerSynonyms: [], fromBroker: () => [], doc: 'Replicas whose leader-side fetches are throttled.' },
  { name: 'local.retention.bytes', type: 'long', default: '-2', validator: atLeast(-2), brokerSynonyms: ['log.local.retention.bytes'], fromBroker: (b) => b.logLocalRetentionBytes, doc: 'Tiered storage local size bound; -2 = retention.bytes.' },
  { name: 'local.retention.ms', type: 'long', default: '-2', validator: atLeast(-2), brokerSynonyms: ['log.local.retention.ms'], fromBroker: (b) => b.logLocalRetentionMs, doc: 'Tiered storage local retention; -2 = retention.ms.' },
  { name: 'max.compaction.lag.ms', type: 'long', default: LONG_MAX_STRING, validator: atLeast(1), brokerSynonyms: ['log.cleaner.max.compaction.lag.ms'], fromBroker: (b) => b.logCleanerMaxCompactionLagMs, doc: 'Longest a record may stay uncompacted.' },
  { name: 'max.message.bytes', type: 'int', default: '1048588', validator: atLeast(0), brokerSynonyms: ['message.max.bytes'], fromBroker: (b) => b.messageMaxBytes, doc: 'Largest record batch accepted.' },
  { name: 'message.downconversion.enable', type: 'boolean', default: 'true', brokerSynonyms: ['log.message.downconversion.enable'], fromBroker: (b) => b.logMessageDownconversionEnable, doc: 'Down-convert batches for old fetch versions.' },
  { name: 'message.format.version', type: 'string', default: MESSAGE_FORMAT_VERSION_DEFAULT, validator: messageFormatVersionValidator, brokerSynonyms: ['log.message.format.version'], fromBroker: (b) => b.logMessageFormatVersion, doc: 'Deprecated (KIP-724): accepted and ignored; batches are always stored as v2 and converted for old clients.' },
  { name: 'message.timestamp.after.max.ms', type: 'long', default: LONG_MAX_STRING, validator: atLeast(0), brokerSynonyms: ['log.message.timestamp.after.max.ms'], fromBroker: (b) => b.logMessageTimestampAfterMaxMs, doc: 'How far in the future a CreateTime timestamp may be.' },
  { name: 'message.timestamp.before.max.ms', type: 'long', default: LONG_MAX_STRING, validator: atLeast(0), brokerSynonyms: ['log.message.timestamp.before.max.ms'], fromBroker: (b) => b.logMessageTimestampBeforeMaxMs, doc: 'How far in the past a CreateTime timestamp may be.' },
  { name: 'message.timestamp.difference.max.ms', type: 'long', default: LONG_MAX_STRING, validator: atLeast(0), brokerSynonyms: ['log.message.timestamp.difference.max.ms'], fromBroker: (b) => b.logMessageTimestampDifferenceMaxMs, doc: 'Largest gap between a CreateTime timestamp and the broker clock.' },
  { name: 'message.timestamp.type', type: 'string', default: 'CreateTime', validator: oneOf('CreateTime', 'LogAppendTime'), brokerSynonyms: ['log.message.timestamp.type'], fromBroker: (b) => b.logMessageTimestampType, doc: 'CreateTime (producer\'s) or LogAppendTime (broker\'s).' },
  { name: 'min.cleanable.dirty.ratio', type: 'double', default: '0.5', validator: between(0, 1), brokerSynonyms: ['log.cleaner.min.cleanable.ratio'], fromBroker: (b) => b.logCleanerMinCleanableRatio, doc: 'Dirty ratio at which the log is eligible for cleaning.' },
  { name: 'min.compaction.lag.ms', type: 'long', default: '0', validator: atLeast(0), brokerSynonyms: ['log.cleaner.min.compaction.lag.ms'], fromBroker: (b) => b.logCleanerMinCompactionLagMs, doc: 'Youngest a record may be and still be compacted.' },
  { name: 'min.insync.replicas', type: 'int', default: '1', validator: atLeast(1), brokerSynonyms: ['min.insync.replicas'], fromBroker: (b) => b.minInsyncReplicas, doc: 'Replicas that must have a write for acks=all to succeed.' },
  { name: 'preallocate', type: 'boolean', default: 'false', brokerSynonyms: ['log.preallocate'], fromBroker: (b) => b.logPreallocate, doc: 'Preallocate segment files.' },
  { name: 'remote.storage.enable', type: 'boolean', default: 'false', validator: tieredStorageUnsupported, brokerSynonyms: [], fromBroker: () => false, doc: 'Tiered storage; not supported by Samsa.' },
  { name: 'retention.bytes', type: 'long', default: '-1', brokerSynonyms: ['log.retention.bytes'], fromBroker: (b) => b.logRetentionBytes, doc: 'Partition size beyond which old segments are deleted; -1 = unlimited.' },
  { name: 'retention.ms', type: 'long', default: '604800000', validator: atLeast(-1), brokerSynonyms: ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'], fromBroker: (b) => b.logRetentionMs, doc: 'Time a segment is kept; -1 = unlimited.' },
  { name: 'segment.bytes', type: 'int', default: '1073741824', validator: atLeast(64), brokerSynonyms: ['log.segment.bytes'], fromBroker: (b) => b.logSegmentBytes, doc: 'Size at which a segment is rolled.' },
  { name: 'segment.index.bytes', type: 'int', default: '10485760', validator: atLeast(12), brokerSynonyms: ['log.index.size.max.bytes'], fromBroker: (b) => b.logIndexSizeMaxBytes, doc: 'Largest offset or time index file.' },
  { name: 'segment.jitter.ms', type: 'long', default: '0', validator: atLeast(0), brokerSynonyms: ['log.roll.jitter.ms', 'log.roll.jitter.hours'], fromBroker: (b) => b.logRollJitterMs, doc: 'Random jitter subtracted from segment.ms.' },
  { name: 'segment.ms', type: 'long', default: '604800000', validator: atLeast(1), brokerSynonyms: ['log.roll.ms', 'log.roll.hours'], fromBroker: (b) => b.logRollMs, doc: 'Age at which a segment is rolled.' },
  { name: 'unclean.leader.election.enable', type: 'boolean', default: 'false', brokerSynonyms: ['unclean.leader.election.enable'], fromBroker: (b) => b.uncleanLeaderElectionEnable, doc: 'Allow an out-of-sync replica to become leader (may lose data).' },
];

assertDefaultsValid(TOPIC_CONFIG_KEYS);

const TOPIC_KEYS_BY_NAME: ReadonlyMap<string, TopicKeyDef> = new Map(TOPIC_CONFIG_KEYS.map((def) => [def.name, def]));

export function topicKeyDef(name: string): TopicKeyDef | undefined {
  return TOPIC_KEYS_BY_NAME.get(name);
}

/**
 * Validates topic config entries from a client. A null value means "no override" (reset to the
 * default) and is always valid for a known key. The first problem found is returned; the handler
 * answers INVALID_CONFIG with `message`.
 */
export function validateTopicConfigs(
  entries: Record<string, string | null>,
): { ok: true } | { ok: false; key: string; message: string } {
  const parsed = new Map<string, Value>();
  for (const [key, raw] of Object.entries(entries)) {
    const def = TOPIC_KEYS_BY_NAME.get(key);
    if (def === undefined) return { ok: false, key, message: `Unknown topic config name: ${key}` };
    if (raw === null) continue;
    const result = parseAndValidate(def.type, raw, def.validator);
    if (!result.ok) return { ok: false, key, message: invalidValueMessage(key, raw, result.reason, null, def.type) };
    parsed.set(key, result.value);
  }
  const minLagMs = parsed.get('min.compaction.lag.ms');
  const maxLagMs = parsed.get('max.compaction.lag.ms');
  if (typeof minLagMs === 'number' && typeof maxLagMs === 'number' && minLagMs > maxLagMs) {
    return {
      ok: false,
      key: 'min.compaction.lag.ms',
      message: `Invalid value ${minLagMs} for configuration min.compaction.lag.ms: Must not exceed max.compaction.lag.ms (${maxLagMs})`,
    };
  }
  return { ok: true };
}

/** Resolves one key: the override if present, else the broker's value. Throws ConfigError on a bad stored override. */
function resolve(def: TopicKeyDef, broker: BrokerConfig, overrides: Record<string, string>): { value: Value; overridden: boolean } {
  const raw = Object.hasOwn(overrides, def.name) ? overrides[def.name] : undefined;
  if (raw === undefined) return { value: def.fromBroker(broker), overridden: false };
  const result = parseAndValidate(def.type, raw, def.validator);
  if (!result.ok) throw new ConfigError(invalidValueMessage(def.name, raw, result.reason, 'topic override', def.type), def.name);
  return { value: result.value, overridden: true };
}

function format(def: TopicKeyDef, value: Value): string {
  const text = formatConfigValue(def.type, value);
  assert.ok(text !== null);
  return text;
}

/**
 * The DEFAULT_CONFIG synonym: the first broker synonym that has a default of its own (for retention.ms
 * that is log.retention.hours=168, as Kafka lists it), or the topic key's own default.
 */
function defaultSynonym(def: TopicKeyDef): EffectiveTopicConfigEntry['synonyms'][number] {
  for (const name of def.brokerSynonyms) {
    const brokerDef = brokerKeyDef(name);
    assert.ok(brokerDef !== undefined, `topic key ${def.name} names broker key ${name}, which is in the broker table`);
    if (brokerDef.default !== null) return { name, value: brokerDef.default, source: 'DEFAULT_CONFIG' };
  }
  assert.ok(def.default !== null, `topic key ${def.name} has a default`);
  return { name: def.name, value: def.default, source: 'DEFAULT_CONFIG' };
}

/**
 * Every topic key with its effective value and where it comes from, in table order.
 * `overrides` are the topic's stored overrides (already validated when they were set).
 */
export function effectiveTopicConfig(
  broker: BrokerConfig,
  overrides: Record<string, string>,
): Record<string, EffectiveTopicConfigEntry> {
  const result: Record<string, EffectiveTopicConfigEntry> = {};
  for (const def of TOPIC_CONFIG_KEYS) {
    const resolved = resolve(def, broker, overrides);
    const synonyms: EffectiveTopicConfigEntry['synonyms'] = [];
    if (resolved.overridden) synonyms.push({ name: def.name, value: format(def, resolved.value), source: 'DYNAMIC_TOPIC_CONFIG' });
    // The broker keys behind this topic key, by layer (dynamic per broker, dynamic default, static), strongest first.
    const brokerLayers = def.brokerSynonyms.flatMap((name) => brokerConfigLayers(broker, name).map((layer) => ({ name, ...layer })));
    const order = ['DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG'];
    brokerLayers.sort((a, b) => order.indexOf(a.source) - order.indexOf(b.source));
    for (const layer of brokerLayers) synonyms.push({ name: layer.name, value: layer.value, source: layer.source });
    synonyms.push(defaultSynonym(def));

    const source = resolved.overridden ? 'DYNAMIC_TOPIC_CONFIG' : (brokerLayers[0]?.source ?? 'DEFAULT_CONFIG');
    result[def.name] = {
      value: format(def, resolved.value),
      source,
      isDefault: source === 'DEFAULT_CONFIG',
      readOnly: false,
      sensitive: false,
      type: configTypeName(def.type),
      documentation: def.doc,
      synonyms,
    };
  }
  return result;
}

/** The settings storage needs for one topic's partitions. Throws ConfigError if a stored override is invalid. */
export function toLogConfig(broker: BrokerConfig, overrides: Record<string, string>): LogConfig {
  const get = (name: string): Value => {
    const def = TOPIC_KEYS_BY_NAME.get(name);
    assert.ok(def !== undefined, `topic config key ${name} is in the table`);
    return resolve(def, broker, overrides).value;
  };
  const num = (name: string): number => {
    const value = get(name);
    assert.ok(typeof value === 'number', `${name} is numeric`);
    return value;
  };
  const bool = (name: string): boolean => {
    const value = get(name);
    assert.ok(typeof value === 'boolean', `${name} is boolean`);
    return value;
  };
  const str = (name: string): string => {
    const value = get(name);
    assert.ok(typeof value === 'string', `${name} is a string`);
    return value;
  };
  const list = (name: string): string[] => {
    const value = get(name);
    assert.ok(Array.isArray(value), `${name} is a list`);
    return value;
  };
  const retentionMs = num('retention.ms');
  return {
    segmentBytes: num('segment.bytes'),
    segmentMs: num('segment.ms'),
    segmentJitterMs: num('segment.jitter.ms'),
    retentionMs: retentionMs < 0 ? -1 : retentionMs,
    retentionBytes: num('retention.bytes'),
    indexIntervalBytes: num('index.interval.bytes'),
    segmentIndexBytes: num('segment.index.bytes'),
    flushIntervalMessages: num('flush.messages'),
    flushIntervalMs: num('flush.ms'),
    messageTimestampType: str('message.timestamp.type') as LogConfig['messageTimestampType'],
    messageTimestampDifferenceMaxMs: num('message.timestamp.difference.max.ms'),
    messageTimestampBeforeMaxMs: num('message.timestamp.before.max.ms'),
    messageTimestampAfterMaxMs: num('message.timestamp.after.max.ms'),
    fileDeleteDelayMs: num('file.delete.delay.ms'),
    preallocate: bool('preallocate'),
    compressionType: str('compression.type'),
    cleanupPolicy: list('cleanup.policy'),
    deleteRetentionMs: num('delete.retention.ms'),
    minCompactionLagMs: num('min.compaction.lag.ms'),
    maxCompactionLagMs: num('max.compaction.lag.ms'),
    minCleanableDirtyRatio: num('min.cleanable.dirty.ratio'),
    maxMessageBytes: num('max.message.bytes'),
    minInsyncReplicas: num('min.insync.replicas'),
    uncleanLeaderElectionEnable: bool('unclean.leader.election.enable'),
  };
}

/**
 * Broker-log warnings for accepted but deprecated overrides in a CreateTopics / AlterConfigs
 * request (Kafka's KIP-724 warning for message.format.version older than v2). Empty when none.
 */
export function deprecatedTopicConfigWarnings(topic: string, entries: Readonly<Record<string, string | null>>): string[] {
  const version = entries['message.format.version'];
  if (version === undefined || version === null) return [];
  const warning = topicMessageFormatWarning(topic, version);
  return warning === null ? [] : [warning];
}

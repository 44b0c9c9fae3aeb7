/**
 * Goal: topic-level configs validate client input the way Kafka answers INVALID_CONFIG, resolve
 * override > static broker config > default for storage (toLogConfig), and describe each key with
 * the right source and synonyms (effectiveTopicConfig).
 * Method: broker configs built from in-memory properties text; topic overrides as plain records.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadBrokerConfig } from '../../src/config/broker-config.js';
import {
  ConfigSource,
  ConfigType,
  TOPIC_CONFIG_KEYS,
  deprecatedTopicConfigWarnings,
  effectiveTopicConfig,
  toLogConfig,
  validateTopicConfigs,
} from '../../src/config/topic-config.js';

function broker(text = '') {
  return loadBrokerConfig({ file: 'b.properties', readTextFile: () => text, env: {} }).config;
}

test('wire numbers of ConfigSource and ConfigType', () => {
  assert.deepEqual(ConfigSource, {
    UNKNOWN: 0,
    DYNAMIC_TOPIC_CONFIG: 1,
    DYNAMIC_BROKER_LOGGER_CONFIG: 2,
    DYNAMIC_BROKER_CONFIG: 3,
    DYNAMIC_DEFAULT_BROKER_CONFIG: 4,
    STATIC_BROKER_CONFIG: 5,
    DEFAULT_CONFIG: 6,
  });
  assert.deepEqual(ConfigType, { UNKNOWN: 0, BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9 });
});

test('valid entries pass, null means reset and is valid', () => {
  assert.deepEqual(
    validateTopicConfigs({
      'cleanup.policy': 'compact,delete',
      'retention.ms': '-1',
      'segment.bytes': '64',
      'min.cleanable.dirty.ratio': '0.1',
      'compression.type': 'zstd',
      'message.timestamp.type': 'LogAppendTime',
      'leader.replication.throttled.replicas': '0:1,1:2',
      'follower.replication.throttled.replicas': '*',
      'max.message.bytes': null,
    }),
    { ok: true },
  );
});

test('unknown keys and bad values are rejected with the key and a one-line message', () => {
  assert.deepEqual(validateTopicConfigs({ 'retention.ms': '1', 'foo.bar': '1' }), { ok: false, key: 'foo.bar', message: 'Unknown topic config name: foo.bar' });
  assert.deepEqual(validateTopicConfigs({ 'retention.ms': 'soon' }), {
    ok: false,
    key: 'retention.ms',
    message: 'Invalid value soon for configuration retention.ms: Not a number of type LONG',
  });
  const cases: Array<[string, string, RegExp]> = [
    ['segment.bytes', '63', /Value must be at least 64/],
    ['retention.ms', '-2', /Value must be at least -1/],
    ['cleanup.policy', 'compact,remove', /Item 'remove' is not allowed/],
    ['compression.type', 'brotli', /String must be one of/],
    ['min.cleanable.dirty.ratio', '2', /no more than 1/],
    ['unclean.leader.election.enable', 'maybe', /either true or false/],
    ['leader.replication.throttled.replicas', '0-1', /\[partitionId\]:\[brokerId\]/],
    ['remote.storage.enable', 'true', /Tiered storage is not supported/],
    ['segment.ms', '${file:x}', /Config provider references/],
  ];
  for (const [key, value, pattern] of cases) {
    const result = validateTopicConfigs({ [key]: value });
    assert.equal(result.ok, false, key);
    if (!result.ok) {
      assert.equal(result.key, key);
      assert.match(result.message, pattern);
      assert.ok(!result.message.includes('\n'));
    }
  }
  const lag = validateTopicConfigs({ 'min.compaction.lag.ms': '10', 'max.compaction.lag.ms': '5' });
  assert.equal(lag.ok, false);
});

test('toLogConfig takes broker values when there are no overrides', () => {
  const log = toLogConfig(broker(), {});
  assert.deepEqual(log, {
    segmentBytes: 1_073_741_824,
    segmentMs: 604_800_000,
    segmentJitterMs: 0,
    retentionMs: 604_800_000,
    retentionBytes: -1,
    indexIntervalBytes: 4096,
    segmentIndexBytes: 10_485_760,
    flushIntervalMessages: Number.MAX_SAFE_INTEGER,
    flushIntervalMs: Number.MAX_SAFE_INTEGER,
    messageTimestampType: 'CreateTime',
    messageTimestampDifferenceMaxMs: Number.MAX_SAFE_INTEGER,
    messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER,
    messageTimestampAfterMaxMs: Number.MAX_SAFE_INTEGER,
    fileDeleteDelayMs: 60_000,
    preallocate: false,
    compressionType: 'producer',
    cleanupPolicy: ['delete'],
    deleteRetentionMs: 86_400_000,
    minCompactionLagMs: 0,
    maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
    minCleanableDirtyRatio: 0.5,
    maxMessageBytes: 1_048_588,
    minInsyncReplicas: 1,
    uncleanLeaderElectionEnable: false,
  });
});

test('toLogConfig: topic override > static broker config > default', () => {
  const b = broker('log.retention.hours=1\nlog.segment.bytes=1000\nlog.flush.interval.ms=50\nmessage.max.bytes=2000\n');
  const log = toLogConfig(b, { 'segment.bytes': '500', 'cleanup.policy': 'compact', 'retention.ms': '-1' });
  assert.equal(log.segmentBytes, 500);
  assert.deepEqual(log.cleanupPolicy, ['compact']);
  assert.equal(log.flushIntervalMs, 50);
  assert.equal(log.maxMessageBytes, 2000);
  assert.equal(log.retentionMs, -1, '-1 is unlimited');
  assert.equal(toLogConfig(b, {}).retentionMs, 3_600_000);
  assert.throws(() => toLogConfig(b, { 'segment.bytes': 'big' }), /Invalid value big for configuration segment\.bytes: Not a number of type INT \(topic override\)/);
});

test('effectiveTopicConfig reports value, source and synonyms for every key', () => {
  const b = broker('log.retention.hours=1\n');
  const effective = effectiveTopicConfig(b, { 'cleanup.policy': 'compact' });
  assert.deepEqual(Object.keys(effective), TOPIC_CONFIG_KEYS.map((def) => def.name));

  const cleanup = effective['cleanup.policy']!;
  assert.equal(cleanup.value, 'compact');
  assert.equal(cleanup.source, 'DYNAMIC_TOPIC_CONFIG');
  assert.equal(cleanup.isDefault, false);
  assert.equal(cleanup.type, 'LIST');
  assert.deepEqual(cleanup.synonyms, [
    { name: 'cleanup.policy', value: 'compact', source: 'DYNAMIC_TOPIC_CONFIG' },
    { name: 'log.cleanup.policy', value: 'delete', source: 'DEFAULT_CONFIG' },
  ]);

  const retention = effective['retention.ms']!;
  assert.equal(retention.value, '3600000');
  assert.equal(retention.source, 'STATIC_BROKER_CONFIG');
  assert.deepEqual(retention.synonyms, [
    { name: 'log.retention.hours', value: '1', source: 'STATIC_BROKER_CONFIG' },
    { name: 'log.retention.hours', value: '168', source: 'DEFAULT_CONFIG' },
  ]);

  const segment = effective['segment.bytes']!;
  assert.deepEqual(
    { value: segment.value, source: segment.source, isDefault: segment.isDefault, readOnly: segment.readOnly, sensitive: segment.sensitive, type: segment.type },
    { value: '1073741824', source: 'DEFAULT_CONFIG', isDefault: true, readOnly: false, sensitive: false, type: 'INT' },
  );
  assert.equal(effective['flush.messages']!.value, '9223372036854775807');
  assert.equal(effective['remote.storage.enable']!.value, 'false');
});

test('message.format.version (KIP-724): Kafka release names accepted, a warning only below format v2', () => {
  for (const v of ['0.8.2', '0.9.0', '0.10.0', '0.10.0-IV1', '0.10.2.1', '0.11.0', '1.0', '2.8', '2.8.1', '3.0-IV1', '3.9']) {
    assert.deepEqual(validateTopicConfigs({ 'message.format.version': v }), { ok: true }, v);
  }
  for (const v of ['banana', '0.10', '4.0', '0.7.0', '3.0-IV', '']) {
    const result = validateTopicConfigs({ 'message.format.version': v });
    assert.equal(result.ok, false, v);
    if (!result.ok) assert.match(result.message, /^Invalid value .* for configuration message\.format\.version: Version `.*` is not a valid version$/);
  }
  assert.deepEqual(deprecatedTopicConfigWarnings('t', { 'message.format.version': '3.0-IV1', 'retention.ms': '1' }), []);
  assert.deepEqual(deprecatedTopicConfigWarnings('t', { 'message.format.version': '0.11.0' }), []);
  const [warning] = deprecatedTopicConfigWarnings('orders', { 'message.format.version': '0.10.2' });
  assert.match(warning!, /^Topic configuration message\.format\.version with value `0\.10\.2` is ignored for `orders`: .*KIP-724/);
  // Described like Kafka 3.x: default 3.0-IV1, synonym of the broker's log.message.format.version.
  const entry = effectiveTopicConfig(broker('log.message.format.version=0.10.1\n'), {})['message.format.version']!;
  assert.equal(entry.value, '0.10.1');
  assert.equal(entry.source, 'STATIC_BROKER_CONFIG');
  assert.deepEqual(entry.synonyms.map((s) => s.name), ['log.message.format.version', 'log.message.format.version']);
});

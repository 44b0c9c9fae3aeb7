/**
 * Goal: DescribeConfigs reports a topic's effective config (override → DYNAMIC_TOPIC_CONFIG, broker
 * key from server.properties → STATIC_BROKER_CONFIG, else DEFAULT_CONFIG) with isDefault, synonyms,
 * configType and documentation only where the version and flags ask for them; this broker's keys
 * (sensitive ones hidden); an empty list for the cluster-default broker and for BROKER_LOGGER; and
 * Kafka's errors for unknown topics, illegal names, foreign broker ids and unsupported types.
 * Method: call the handler directly with a BrokerConfig built from overrides and a real
 * EmbeddedController (admin-fixture.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigSource, ConfigType } from '../../src/config/topic-config.js';
import { describeConfigsHandler } from '../../src/handlers/describe-configs.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../../src/protocol/messages/describe-configs.js';
import { adminFixture } from './admin-fixture.js';

type Resource = DescribeConfigsRequest['resources'][number];

function request(resources: Resource[], includeSynonyms = false, includeDocumentation = false): DescribeConfigsRequest {
  return { resources, includeSynonyms, includeDocumentation };
}

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;

describe('DescribeConfigs', () => {
  it('describes every key of a topic with its source', async () => {
    const fx = await adminFixture(['log.retention.hours=24']);
    await fx.createTopic('t', 1, { 'cleanup.policy': 'compact' });
    const res = await fx.call<DescribeConfigsResponse>(
      describeConfigsHandler,
      1,
      request([{ resourceType: TOPIC, resourceName: 't', configurationKeys: null }]),
    );
    const [r] = res.results;
    assert.equal(r!.errorCode, ErrorCode.NONE);
    assert.equal(r!.errorMessage, null);
    assert.equal(r!.resourceName, 't');
    assert.equal(r!.resourceType, TOPIC);
    const byName = new Map(r!.configs.map((c) => [c.name, c]));
    assert.ok(byName.size > 20, 'every topic key');
    assert.equal(byName.get('cleanup.policy')!.value, 'compact');
    assert.equal(byName.get('cleanup.policy')!.configSource, ConfigSource.DYNAMIC_TOPIC_CONFIG);
    assert.equal(byName.get('retention.ms')!.value, String(24 * 3_600_000));
    assert.equal(byName.get('retention.ms')!.configSource, ConfigSource.STATIC_BROKER_CONFIG);
    assert.equal(byName.get('segment.bytes')!.configSource, ConfigSource.DEFAULT_CONFIG);
    assert.equal(byName.get('segment.bytes')!.isDefault, true);
    assert.equal(byName.get('cleanup.policy')!.isDefault, false);
    // Not asked for: no synonyms, no documentation.
    assert.deepEqual(byName.get('cleanup.policy')!.synonyms, []);
    assert.equal(byName.get('cleanup.policy')!.documentation, null);
  });

  it('adds synonyms (v1+, when asked) and configType + documentation (v3+, documentation when asked)', async () => {
    const fx = await adminFixture(['log.retention.hours=24']);
    await fx.createTopic('t', 1, { 'retention.ms': '1000' });
    const res = await fx.call<DescribeConfigsResponse>(
      describeConfigsHandler,
      3,
      request([{ resourceType: TOPIC, resourceName: 't', configurationKeys: ['retention.ms', 'cleanup.policy'] }], true, true),
    );
    const configs = res.results[0]!.configs;
    assert.deepEqual(
      configs.map((c) => c.name),
      ['cleanup.policy', 'retention.ms'],
    );
    const retention = configs.find((c) => c.name === 'retention.ms')!;
    assert.deepEqual(retention.synonyms, [
      { name: 'retention.ms', value: '1000', source: ConfigSource.DYNAMIC_TOPIC_CONFIG },
      { name: 'log.retention.hours', value: '24', source: ConfigSource.STATIC_BROKER_CONFIG },
      { name: 'log.retention.hours', value: '168', source: ConfigSource.DEFAULT_CONFIG },
    ]);
    assert.equal(retention.configType, ConfigType.LONG);
    assert.equal(configs.find((c) => c.name === 'cleanup.policy')!.configType, ConfigType.LIST);
    assert.equal(typeof retention.documentation, 'string');
  });

  it('ignores includeSynonyms in v0', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t');
    const res = await fx.call<DescribeConfigsResponse>(
      describeConfigsHandler,
      0,
      request([{ resourceType: TOPIC, resourceName: 't', configurationKeys: ['retention.ms'] }], true),
    );
    assert.deepEqual(res.results[0]!.configs[0]!.synonyms, []);
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION for a missing topic and INVALID_TOPIC_EXCEPTION for an illegal name', async () => {
    const fx = await adminFixture();
    const res = await fx.call<DescribeConfigsResponse>(
      describeConfigsHandler,
      4,
      request([
        { resourceType: TOPIC, resourceName: 'missing', configurationKeys: null },
        { resourceType: TOPIC, resourceName: 'bad/name', configurationKeys: null },
      ]),
    );
    assert.deepEqual(
      res.results.map((r) => [r.errorCode, r.configs.length]),
      [
        [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0],
        [ErrorCode.INVALID_TOPIC_EXCEPTION, 0],
      ],
    );
    assert.equal(res.results[0]!.errorMessage, null);
    assert.match(res.results[1]!.errorMessage!, /illegal/);
  });

  it('describes this broker (static keys as STATIC_BROKER_CONFIG, read-only, passwords hidden)', async () => {
    const fx = await adminFixture(['num.partitions=6', 'ssl.keystore.password=secret']);
    const res = await fx.call<DescribeConfigsResponse>(
      describeConfigsHandler,
      3,
      request([{ resourceType: BROKER, resourceName: '1', configurationKeys: ['num.partitions', 'ssl.keystore.password', 'message.max.bytes'] }], true),
    );
    const [r] = res.results;
    assert.equal(r!.errorCode, ErrorCode.NONE);
    const byName = new Map(r!.configs.map((c) => [c.name, c]));
    const partitions = byName.get('num.partitions')!;
    assert.equal(partitions.value, '6');
    assert.equal(partitions.configSource, ConfigSource.STATIC_BROKER_CONFIG);
    assert.equal(partitions.readOnly, true);
    assert.deepEqual(partitions.synonyms, [
      { name: 'num.partitions', value: '6', source: ConfigSource.STATIC_BROKER_CONFIG },
      { name: 'num.partitions', value: '1', source: ConfigSource.DEFAULT_CONFIG },
    ]);
    const password = byName.get('ssl.keystore.password')!;
    assert.equal(password.value, null);
    assert.equal(password.isSensitive, true);
    assert.equal(password.configType, ConfigType.PASSWORD);
    assert.equal(byName.get('message.max.bytes')!.configSource, ConfigSource.DEFAULT_CONFIG);
  });

  it('answers the cluster-default broker resource with no configs (no dynamic defaults)', async () => {
    const fx = await adminFixture();
    const res = await fx.call<DescribeConfigsResponse>(describeConfigsHandler, 2, request([{ resourceType: BROKER, resourceName: '', configurationKeys: null }]));
    assert.deepEqual([res.results[0]!.errorCode, res.results[0]!.configs], [ErrorCode.NONE, []]);
  });

  it('refuses other broker ids, non-numeric ids and unsupported types with INVALID_REQUEST', async () => {
    const fx = await adminFixture();
    const res = await fx.call<DescribeConfigsResponse>(
      describeConfigsHandler,
      4,
      request([
        { resourceType: BROKER, resourceName: '2', configurationKeys: null },
        { resourceType: BROKER, resourceName: 'one', configurationKeys: null },
        { resourceType: BROKER_LOGGER, resourceName: '', configurationKeys: null },
        { resourceType: BROKER_LOGGER, resourceName: '3', configurationKeys: null },
        { resourceType: BROKER_LOGGER, resourceName: '1', configurationKeys: null },
        { resourceType: 32, resourceName: 'g', configurationKeys: null },
        { resourceType: 1, resourceName: 'x', configurationKeys: null },
      ]),
    );
    assert.deepEqual(
      res.results.map((r) => [r.errorCode, r.errorMessage]),
      [
        [ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1 or empty string, but received 2'],
        [ErrorCode.INVALID_REQUEST, 'Broker id must be an integer, but it is: one'],
        [ErrorCode.INVALID_REQUEST, 'Broker id must not be empty'],
        [ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1 but received 3'],
        [ErrorCode.NONE, null],
        [ErrorCode.INVALID_REQUEST, 'Unsupported resource type: GROUP'],
        [ErrorCode.INVALID_REQUEST, 'Unexpected resource type UNKNOWN for resource x'],
      ],
    );
    assert.deepEqual(res.results[4]!.configs, []);
  });
});

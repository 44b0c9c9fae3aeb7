/**
 * Goal: CreateTopics answers as Kafka does — topics created with defaults or explicit counts, manual
 * assignments checked with Kafka's codes and messages, bad configs refused with INVALID_CONFIG,
 * duplicates and existing topics refused, validateOnly creating nothing, and the v5+/v7 result
 * fields (counts, configs with source and flags, topic id) filled in.
 * Method: call the handler directly against a real EmbeddedController over an in-memory store
 * (admin-fixture.ts), then inspect both the response and the controller's image.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigSource } from '../../src/config/topic-config.js';
import { createTopicsHandler } from '../../src/handlers/create-topics.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js';
import { ZERO_UUID } from '../../src/protocol/primitives.js';
import { adminFixture } from './admin-fixture.js';

type Topic = CreateTopicsRequest['topics'][number];

function topic(name: string, fields: Partial<Topic> = {}): Topic {
  return { name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [], ...fields };
}

function request(topics: Topic[], validateOnly = false): CreateTopicsRequest {
  return { topics, timeoutMs: 30_000, validateOnly };
}

describe('CreateTopics', () => {
  it('creates a topic with the broker defaults when counts are -1, and describes it in v5+', async () => {
    const fx = await adminFixture(['num.partitions=3']);
    const res = await fx.call<CreateTopicsResponse>(createTopicsHandler, 7, request([topic('orders')]));
    const [t] = res.topics;
    assert.equal(t!.errorCode, ErrorCode.NONE);
    assert.equal(t!.errorMessage, null);
    assert.equal(t!.numPartitions, 3);
    assert.equal(t!.replicationFactor, 1);
    const created = fx.controller.image.topics.get('orders');
    assert.ok(created);
    assert.equal(t!.topicId, created.topicId);
    assert.notEqual(t!.topicId, ZERO_UUID);
    const names = t!.configs!.map((c) => c.name);
    assert.deepEqual(names, [...names].sort(), 'configs sorted by name');
    const retention = t!.configs!.find((c) => c.name === 'retention.ms');
    assert.deepEqual(retention, { name: 'retention.ms', value: '604800000', readOnly: false, configSource: ConfigSource.DEFAULT_CONFIG, isSensitive: false });
  });

  it('reports overrides as DYNAMIC_TOPIC_CONFIG and stores them', async () => {
    const fx = await adminFixture();
    const res = await fx.call<CreateTopicsResponse>(
      createTopicsHandler,
      5,
      request([topic('t', { numPartitions: 2, replicationFactor: 1, configs: [{ name: 'cleanup.policy', value: 'compact' }] })]),
    );
    const t = res.topics[0]!;
    assert.equal(t.errorCode, ErrorCode.NONE);
    assert.equal(t.numPartitions, 2);
    assert.deepEqual(
      t.configs!.find((c) => c.name === 'cleanup.policy'),
      { name: 'cleanup.policy', value: 'compact', readOnly: false, configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG, isSensitive: false },
    );
    assert.deepEqual(fx.controller.image.topics.get('t')!.configs, { 'cleanup.policy': 'compact' });
  });

  it('refuses an existing topic with TOPIC_ALREADY_EXISTS and Kafka defaults in the result', async () => {
    const fx = await adminFixture();
    await fx.createTopic('dup');
    const res = await fx.call<CreateTopicsResponse>(createTopicsHandler, 7, request([topic('dup')]));
    const t = res.topics[0]!;
    assert.equal(t.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
    assert.equal(t.errorMessage, "Topic 'dup' already exists.");
    assert.equal(t.topicId, ZERO_UUID);
    assert.equal(t.numPartitions, -1);
    assert.equal(t.replicationFactor, -1);
    assert.deepEqual(t.configs, []);
  });

  it('refuses illegal names with INVALID_TOPIC_EXCEPTION', async () => {
    const fx = await adminFixture();
    const res = await fx.call<CreateTopicsResponse>(createTopicsHandler, 1, request([topic('bad name'), topic('..'), topic('')]));
    assert.deepEqual(
      res.topics.map((t) => t.errorCode),
      [ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.INVALID_TOPIC_EXCEPTION, ErrorCode.INVALID_TOPIC_EXCEPTION],
    );
    assert.match(res.topics[0]!.errorMessage!, /illegal/);
  });

  it('refuses a name given twice with INVALID_REQUEST, once, and creates neither', async () => {
    const fx = await adminFixture();
    const res = await fx.call<CreateTopicsResponse>(createTopicsHandler, 4, request([topic('a'), topic('b'), topic('a')]));
    assert.deepEqual(
      res.topics.map((t) => [t.name, t.errorCode, t.errorMessage]),
      [
        ['a', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
        ['b', ErrorCode.NONE, null],
      ],
    );
    assert.equal(fx.controller.image.topics.has('a'), false);
  });

  it('refuses non-positive counts with Kafka messages', async () => {
    const fx = await adminFixture();
    const res = await fx.call<CreateTopicsResponse>(
      createTopicsHandler,
      4,
      request([topic('p0', { numPartitions: 0 }), topic('r0', { replicationFactor: 0 }), topic('r3', { replicationFactor: 3 })]),
    );
    assert.deepEqual(
      res.topics.map((t) => [t.errorCode, t.errorMessage]),
      [
        [ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.'],
        [ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.'],
        [ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor: 3 larger than available brokers: 1.'],
      ],
    );
  });

  it('refuses unknown config keys and bad values with INVALID_CONFIG, and null values', async () => {
    const fx = await adminFixture();
    const res = await fx.call<CreateTopicsResponse>(
      createTopicsHandler,
      5,
      request([
        topic('k', { configs: [{ name: 'no.such.key', value: '1' }] }),
        topic('v', { configs: [{ name: 'retention.ms', value: 'soon' }] }),
        topic('n', { configs: [{ name: 'retention.ms', value: null }] }),
      ]),
    );
    assert.deepEqual(
      res.topics.map((t) => t.errorCode),
      [ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG],
    );
    assert.equal(res.topics[0]!.errorMessage, 'Unknown topic config name: no.such.key');
    assert.match(res.topics[1]!.errorMessage!, /^Invalid value soon for configuration retention\.ms/);
    assert.equal(res.topics[2]!.errorMessage, 'Null value not supported for topic configs: retention.ms');
    assert.equal(fx.controller.image.topics.size, 0);
  });

  it('validateOnly checks and describes but creates nothing', async () => {
    const fx = await adminFixture();
    const res = await fx.call<CreateTopicsResponse>(createTopicsHandler, 5, request([topic('dry', { numPartitions: 4 })], true));
    assert.equal(res.topics[0]!.errorCode, ErrorCode.NONE);
    assert.equal(res.topics[0]!.numPartitions, 4);
    assert.equal(fx.controller.image.topics.has('dry'), false);
  });

  it('validateOnly is ignored in v0, where the field does not exist', async () => {
    const fx = await adminFixture();
    const res = await fx.call<CreateTopicsResponse>(createTopicsHandler, 0, request([topic('v0', { numPartitions: 1, replicationFactor: 1 })], true));
    assert.equal(res.topics[0]!.errorCode, ErrorCode.NONE);
    assert.equal(fx.controller.image.topics.has('v0'), true);
  });

  it('accepts a manual assignment and creates one partition per entry', async () => {
    const fx = await adminFixture();
    const res = await fx.call<CreateTopicsResponse>(
      createTopicsHandler,
      5,
      request([topic('m', { assignments: [{ partitionIndex: 1, brokerIds: [1] }, { partitionIndex: 0, brokerIds: [1] }] })]),
    );
    assert.equal(res.topics[0]!.errorCode, ErrorCode.NONE);
    assert.equal(res.topics[0]!.numPartitions, 2);
    assert.equal(fx.controller.image.topics.get('m')!.partitions.length, 2);
  });

  it('refuses bad manual assignments with Kafka codes and messages', async () => {
    const fx = await adminFixture();
    const cases: Array<[Partial<Topic>, number, string]> = [
      [{ replicationFactor: 1, assignments: [{ partitionIndex: 0, brokerIds: [1] }] }, ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but replication factor was not set to -1.'],
      [{ numPartitions: 1, assignments: [{ partitionIndex: 0, brokerIds: [1] }] }, ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions was not set to -1.'],
      [{ assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 0, brokerIds: [1] }] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Found multiple manual partition assignments for partition 0'],
      [{ assignments: [{ partitionIndex: 0, brokerIds: [] }] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes an empty replica list.'],
      [{ assignments: [{ partitionIndex: 0, brokerIds: [7, 1] }] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes broker 7, but no such broker is registered.'],
      [{ assignments: [{ partitionIndex: 0, brokerIds: [1, 1] }] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'The manual partition assignment includes the broker 1 more than once.'],
      [{ assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 2, brokerIds: [1] }] }, ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions should be a consecutive 0-based integer sequence'],
    ];
    for (const [fields, code, message] of cases) {
      const res = await fx.call<CreateTopicsResponse>(createTopicsHandler, 5, request([topic('m', fields)]));
      assert.deepEqual([res.topics[0]!.errorCode, res.topics[0]!.errorMessage], [code, message], JSON.stringify(fields));
    }
    assert.equal(fx.controller.image.topics.size, 0);
  });
});

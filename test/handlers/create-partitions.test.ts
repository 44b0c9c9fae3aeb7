/**
 * Goal: CreatePartitions raises partition counts and refuses, with Kafka's codes and messages,
 * unknown topics, counts that do not increase, duplicate topics and bad assignments; validateOnly
 * changes nothing.
 * Method: call the handler directly against a real EmbeddedController (admin-fixture.ts) and check
 * the response and the controller's image.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPartitionsHandler } from '../../src/handlers/create-partitions.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../../src/protocol/messages/create-partitions.js';
import { adminFixture } from './admin-fixture.js';

type Topic = CreatePartitionsRequest['topics'][number];

function request(topics: Topic[], validateOnly = false): CreatePartitionsRequest {
  return { topics, timeoutMs: 1000, validateOnly };
}

describe('CreatePartitions', () => {
  it('increases the partition count', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t', 2);
    const res = await fx.call<CreatePartitionsResponse>(createPartitionsHandler, 3, request([{ name: 't', count: 5, assignments: null }]));
    assert.deepEqual(res.results, [{ name: 't', errorCode: ErrorCode.NONE, errorMessage: null }]);
    assert.equal(fx.controller.image.topics.get('t')!.partitions.length, 5);
  });

  it('validateOnly changes nothing', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t', 2);
    const res = await fx.call<CreatePartitionsResponse>(createPartitionsHandler, 0, request([{ name: 't', count: 3, assignments: null }], true));
    assert.equal(res.results[0]!.errorCode, ErrorCode.NONE);
    assert.equal(fx.controller.image.topics.get('t')!.partitions.length, 2);
  });

  it('refuses counts that do not increase with INVALID_PARTITIONS', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t', 3);
    const res = await fx.call<CreatePartitionsResponse>(
      createPartitionsHandler,
      1,
      request([
        { name: 't', count: 3, assignments: null },
        { name: 'missing', count: 3, assignments: null },
      ]),
    );
    assert.deepEqual(
      res.results.map((r) => [r.errorCode, r.errorMessage]),
      [
        [ErrorCode.INVALID_PARTITIONS, 'Topic already has 3 partitions.'],
        [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "The topic 'missing' does not exist."],
      ],
    );
    const lower = await fx.call<CreatePartitionsResponse>(createPartitionsHandler, 1, request([{ name: 't', count: 2, assignments: null }]));
    assert.deepEqual(
      [lower.results[0]!.errorCode, lower.results[0]!.errorMessage],
      [ErrorCode.INVALID_PARTITIONS, 'Topic currently has 3 partitions, which is higher than the requested 2.'],
    );
  });

  it('refuses a topic named twice with INVALID_REQUEST, once', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t', 1);
    const res = await fx.call<CreatePartitionsResponse>(
      createPartitionsHandler,
      2,
      request([
        { name: 't', count: 2, assignments: null },
        { name: 't', count: 3, assignments: null },
      ]),
    );
    assert.deepEqual(res.results, [{ name: 't', errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' }]);
    assert.equal(fx.controller.image.topics.get('t')!.partitions.length, 1);
  });

  it('checks assignments as Kafka does', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t', 1);
    const cases: Array<[Topic['assignments'], string]> = [
      [[], 'Increasing the number of partitions by 2 but 0 assignments provided.'],
      [[{ brokerIds: [1] }], 'Increasing the number of partitions by 2 but 1 assignments provided.'],
      [[{ brokerIds: [1] }, { brokerIds: [] }], 'The manual partition assignment includes an empty replica list.'],
      [[{ brokerIds: [1] }, { brokerIds: [4] }], 'The manual partition assignment includes broker 4, but no such broker is registered.'],
      [[{ brokerIds: [1] }, { brokerIds: [1, 1] }], 'The manual partition assignment includes the broker 1 more than once.'],
    ];
    for (const [assignments, message] of cases) {
      const res = await fx.call<CreatePartitionsResponse>(createPartitionsHandler, 3, request([{ name: 't', count: 3, assignments }]));
      assert.deepEqual([res.results[0]!.errorCode, res.results[0]!.errorMessage], [ErrorCode.INVALID_REPLICA_ASSIGNMENT, message]);
    }
    const ok = await fx.call<CreatePartitionsResponse>(
      createPartitionsHandler,
      3,
      request([{ name: 't', count: 3, assignments: [{ brokerIds: [1] }, { brokerIds: [1] }] }]),
    );
    assert.equal(ok.results[0]!.errorCode, ErrorCode.NONE);
    assert.equal(fx.controller.image.topics.get('t')!.partitions.length, 3);
  });
});

/**
 * Goal: DeleteTopics deletes by name (v0-5 topicNames, v6 topics) and by topic id (v6) and refuses,
 * with Kafka's codes and messages, unknown names and ids, duplicates, entries naming both or neither,
 * and every entry when delete.topic.enable=false (INVALID_REQUEST before v3, TOPIC_DELETION_DISABLED
 * from v3).
 * Method: call the handler directly against a real EmbeddedController (admin-fixture.ts) and check
 * the response and the controller's image.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deleteTopicsHandler } from '../../src/handlers/delete-topics.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { DeleteTopicsResponse } from '../../src/protocol/messages/delete-topics.js';
import { ZERO_UUID } from '../../src/protocol/primitives.js';
import { adminFixture } from './admin-fixture.js';

function byNames(names: string[]) {
  return { topics: [], topicNames: names, timeoutMs: 1000 };
}

describe('DeleteTopics', () => {
  it('deletes by name (v0-5) and reports unknown names', async () => {
    const fx = await adminFixture();
    await fx.createTopic('a');
    const res = await fx.call<DeleteTopicsResponse>(deleteTopicsHandler, 5, byNames(['a', 'missing']));
    assert.deepEqual(
      res.responses.map((r) => [r.name, r.errorCode, r.errorMessage]),
      [
        ['a', ErrorCode.NONE, null],
        ['missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.'],
      ],
    );
    assert.equal(fx.controller.image.topics.has('a'), false);
  });

  it('deletes by topic id in v6 and answers the resolved name', async () => {
    const fx = await adminFixture();
    await fx.createTopic('by-id');
    const id = fx.controller.image.topics.get('by-id')!.topicId;
    const unknownId = '11111111-1111-4111-8111-111111111111';
    const res = await fx.call<DeleteTopicsResponse>(deleteTopicsHandler, 6, {
      topics: [
        { name: null, topicId: id },
        { name: null, topicId: unknownId },
      ],
      topicNames: [],
      timeoutMs: 1000,
    });
    assert.deepEqual(res.responses, [
      { name: 'by-id', topicId: id, errorCode: ErrorCode.NONE, errorMessage: null },
      { name: null, topicId: unknownId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' },
    ]);
    assert.equal(fx.controller.image.topics.size, 0);
  });

  it('v6 by name answers the deleted topic id', async () => {
    const fx = await adminFixture();
    await fx.createTopic('n');
    const id = fx.controller.image.topics.get('n')!.topicId;
    const res = await fx.call<DeleteTopicsResponse>(deleteTopicsHandler, 6, { topics: [{ name: 'n', topicId: ZERO_UUID }], topicNames: [], timeoutMs: 1 });
    assert.deepEqual(res.responses, [{ name: 'n', topicId: id, errorCode: ErrorCode.NONE, errorMessage: null }]);
  });

  it('refuses duplicates, both-or-neither entries, and a name that maps to a supplied id', async () => {
    const fx = await adminFixture();
    await fx.createTopic('x');
    await fx.createTopic('y');
    const idY = fx.controller.image.topics.get('y')!.topicId;
    const res = await fx.call<DeleteTopicsResponse>(deleteTopicsHandler, 6, {
      topics: [
        { name: 'x', topicId: ZERO_UUID },
        { name: 'x', topicId: ZERO_UUID },
        { name: null, topicId: ZERO_UUID },
        { name: 'z', topicId: idY },
        { name: 'y', topicId: ZERO_UUID },
        { name: null, topicId: idY },
      ],
      topicNames: [],
      timeoutMs: 1,
    });
    assert.deepEqual(
      res.responses.map((r) => [r.name, r.errorCode, r.errorMessage]),
      [
        ['x', ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'],
        [null, ErrorCode.INVALID_REQUEST, 'Neither topic name nor id were specified.'],
        ['z', ErrorCode.INVALID_REQUEST, 'You may not specify both topic name and topic id.'],
        ['y', ErrorCode.INVALID_REQUEST, 'The provided topic name maps to an ID that was already supplied.'],
        [null, ErrorCode.INVALID_REQUEST, 'The provided topic name maps to an ID that was already supplied.'],
      ],
    );
    assert.deepEqual([...fx.controller.image.topics.keys()].sort(), ['x', 'y']);
  });

  it('with delete.topic.enable=false refuses every entry: INVALID_REQUEST before v3, TOPIC_DELETION_DISABLED after', async () => {
    const fx = await adminFixture(['delete.topic.enable=false']);
    await fx.createTopic('keep');
    const v2 = await fx.call<DeleteTopicsResponse>(deleteTopicsHandler, 2, byNames(['keep', 'missing']));
    assert.deepEqual(
      v2.responses.map((r) => [r.name, r.errorCode]),
      [
        ['keep', ErrorCode.INVALID_REQUEST],
        ['missing', ErrorCode.INVALID_REQUEST],
      ],
    );
    const v5 = await fx.call<DeleteTopicsResponse>(deleteTopicsHandler, 5, byNames(['keep']));
    assert.deepEqual(v5.responses, [{ name: 'keep', topicId: ZERO_UUID, errorCode: ErrorCode.TOPIC_DELETION_DISABLED, errorMessage: 'Topic deletion is disabled.' }]);
    assert.equal(fx.controller.image.topics.has('keep'), true);
  });
});

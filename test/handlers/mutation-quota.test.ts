/**
 * Goal: the controller mutation quota (KIP-599) behaves as Kafka's: strict versions (CreateTopics
 * v6+, CreatePartitions v3+, DeleteTopics v5+) refuse a topic with THROTTLING_QUOTA_EXCEEDED while
 * the rate is over the quota and change nothing; the mutation that crosses the quota goes ahead;
 * older versions are permissive (accepted, throttled); validateOnly is not counted; the response
 * carries the throttle time; the rate falls back under the quota as the window passes.
 * Method: handler level on the admin fixture (real EmbeddedController, a clock the test moves), a
 * QuotaManager with controller_mutation_rate = 2 partitions/s for every user, windows of 2 x 1 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminFixture } from './admin-fixture.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { QuotaManager } from '../../src/security/quotas.js';
import { createTopicsHandler } from '../../src/handlers/create-topics.js';
import { createPartitionsHandler } from '../../src/handlers/create-partitions.js';
import { deleteTopicsHandler } from '../../src/handlers/delete-topics.js';

type Created = { throttleTimeMs: number; topics: Array<{ name: string; errorCode: number }> };

async function world() {
  const fx = await adminFixture();
  const quotas = new QuotaManager(fx.clock, 2, 1000, { acls: new Map(), quotas: new Map([['users/<default>', { controller_mutation_rate: 2 }]]) });
  const broker = { ...fx.broker, quotas };
  const call = async <R>(handler: typeof createTopicsHandler, version: number, request: object): Promise<R> =>
    (await handler.handle({ ...fx.ctx(version, handler.api.apiKey), broker }, request)) as R;
  const create = (version: number, name: string, partitions: number, validateOnly = false) =>
    call<Created>(createTopicsHandler, version, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly });
  return { fx, call, create };
}

test('strict CreateTopics: the crossing create goes ahead, the next is refused and creates nothing, later it works', async () => {
  const { fx, create } = await world();
  const validate = await create(7, 'v', 50, true);
  assert.equal(validate.topics[0]!.errorCode, ErrorCode.NONE);
  assert.equal(validate.throttleTimeMs, 0, 'validateOnly is not counted');
  const first = await create(7, 'a', 6);
  assert.equal(first.topics[0]!.errorCode, ErrorCode.NONE);
  assert.ok(first.throttleTimeMs > 0, `throttle reported: ${first.throttleTimeMs}`);
  const second = await create(7, 'b', 1);
  assert.equal(second.topics[0]!.errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED);
  assert.ok(second.throttleTimeMs > 0);
  assert.ok(!fx.controller.image.topics.has('b'), 'nothing created on refusal');
  fx.clock.nowMsValue += 10_000; // the window has passed
  const third = await create(7, 'b', 1);
  assert.equal(third.topics[0]!.errorCode, ErrorCode.NONE);
  assert.ok(fx.controller.image.topics.has('b'));
});

test('permissive CreateTopics v5: accepted over the quota, with the throttle time', async () => {
  const { fx, create } = await world();
  await create(5, 'a', 6);
  const over = await create(5, 'b', 4);
  assert.equal(over.topics[0]!.errorCode, ErrorCode.NONE);
  assert.ok(over.throttleTimeMs > 0);
  assert.ok(fx.controller.image.topics.has('b'));
});

test('strict DeleteTopics and CreatePartitions refuse while over the quota and change nothing', async () => {
  const { fx, call, create } = await world();
  await create(7, 'a', 6);
  const del = await call<{ throttleTimeMs: number; responses: Array<{ errorCode: number }> }>(deleteTopicsHandler, 5, { topicNames: ['a'], topics: [], timeoutMs: 1000 });
  assert.equal(del.responses[0]!.errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED);
  assert.ok(fx.controller.image.topics.has('a'), 'topic kept');
  const grow = await call<{ throttleTimeMs: number; results: Array<{ errorCode: number }> }>(createPartitionsHandler, 3, { topics: [{ name: 'a', count: 8, assignments: null }], timeoutMs: 1000, validateOnly: false });
  assert.equal(grow.results[0]!.errorCode, ErrorCode.THROTTLING_QUOTA_EXCEEDED);
  assert.equal(fx.controller.image.topics.get('a')!.partitions.length, 6, 'no partition added');
  const oldDelete = await call<{ responses: Array<{ errorCode: number }> }>(deleteTopicsHandler, 4, { topicNames: ['a'], topics: [], timeoutMs: 1000 });
  assert.equal(oldDelete.responses[0]!.errorCode, ErrorCode.NONE, 'DeleteTopics v4 is permissive');
});

/**
 * Goal: AlterConfigs replaces a topic's overrides and IncrementalAlterConfigs changes named keys
 * (SET, DELETE, APPEND, SUBTRACT on list keys), both with Kafka's checks and messages (duplicate
 * resources and keys, null values, illegal or missing topics, invalid values, unknown types), both
 * honouring validateOnly; BROKER resources change the dynamic broker configs of the cluster
 * default ('') or this broker (dynamic keys only, valid values), BROKER_LOGGER as Kafka answers for
 * loggers it does not have.
 * Method: call the handlers directly against a real EmbeddedController (admin-fixture.ts) and read
 * the stored overrides back from the controller's image.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alterConfigsHandler } from '../../src/handlers/alter-configs.js';
import { incrementalAlterConfigsHandler } from '../../src/handlers/incremental-alter-configs.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { AlterConfigsRequest, AlterConfigsResponse } from '../../src/protocol/messages/alter-configs.js';
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../../src/protocol/messages/incremental-alter-configs.js';
import { adminFixture, type Fixture } from './admin-fixture.js';

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

type LegacyResource = AlterConfigsRequest['resources'][number];
type IncResource = IncrementalAlterConfigsRequest['resources'][number];

function overrides(fx: Fixture, topic: string): Record<string, string> {
  return { ...fx.controller.image.topics.get(topic)!.configs };
}

async function alter(fx: Fixture, resources: LegacyResource[], validateOnly = false): Promise<AlterConfigsResponse> {
  return fx.call<AlterConfigsResponse>(alterConfigsHandler, 1, { resources, validateOnly });
}

async function incremental(fx: Fixture, resources: IncResource[], validateOnly = false): Promise<IncrementalAlterConfigsResponse> {
  return fx.call<IncrementalAlterConfigsResponse>(incrementalAlterConfigsHandler, 1, { resources, validateOnly });
}

function outcomes(res: { responses: Array<{ errorCode: number; errorMessage: string | null }> }): Array<[number, string | null]> {
  return res.responses.map((r) => [r.errorCode, r.errorMessage]);
}

describe('AlterConfigs', () => {
  it('replaces the whole set of a topic overrides', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t', 1, { 'retention.ms': '1000', 'cleanup.policy': 'compact' });
    const res = await alter(fx, [{ resourceType: TOPIC, resourceName: 't', configs: [{ name: 'segment.bytes', value: '1048576' }] }]);
    assert.deepEqual(res.responses, [{ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: TOPIC, resourceName: 't' }]);
    assert.deepEqual(overrides(fx, 't'), { 'segment.bytes': '1048576' });
  });

  it('validateOnly checks and changes nothing', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t', 1, { 'retention.ms': '1000' });
    const res = await alter(fx, [{ resourceType: TOPIC, resourceName: 't', configs: [] }], true);
    assert.equal(res.responses[0]!.errorCode, ErrorCode.NONE);
    assert.deepEqual(overrides(fx, 't'), { 'retention.ms': '1000' });
  });

  it('refuses with Kafka codes and messages', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t');
    await fx.createTopic('u');
    const dup = await alter(fx, [
      { resourceType: TOPIC, resourceName: 'u', configs: [] },
      { resourceType: TOPIC, resourceName: 'u', configs: [] },
      { resourceType: TOPIC, resourceName: 't', configs: [] },
    ]);
    assert.deepEqual(outcomes(dup), [
      [ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
      [ErrorCode.INVALID_REQUEST, 'Each resource must appear at most once.'],
      [ErrorCode.NONE, null],
    ]);
    const one = async (r: LegacyResource): Promise<[number, string | null]> => outcomes(await alter(fx, [r]))[0]!;
    assert.deepEqual(await one({ resourceType: TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', value: '1' }, { name: 'retention.ms', value: '2' }] }), [
      ErrorCode.INVALID_REQUEST,
      'Error due to duplicate config keys',
    ]);
    assert.deepEqual(await one({ resourceType: TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', value: null }, { name: 'segment.ms', value: null }] }), [
      ErrorCode.INVALID_REQUEST,
      'Null value not supported for : retention.ms, segment.ms',
    ]);
    assert.deepEqual(await one({ resourceType: TOPIC, resourceName: 'missing', configs: [{ name: 'retention.ms', value: '1' }] }), [
      ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      'Topic missing does not exist.',
    ]);
    assert.deepEqual(await one({ resourceType: TOPIC, resourceName: '', configs: [] }), [ErrorCode.INVALID_REQUEST, 'Default topic resources are not allowed.']);
    assert.equal((await one({ resourceType: TOPIC, resourceName: 'a b', configs: [] }))[0], ErrorCode.INVALID_TOPIC_EXCEPTION);
    const invalid = await one({ resourceType: TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', value: 'never' }] });
    assert.equal(invalid[0], ErrorCode.INVALID_CONFIG);
    assert.match(invalid[1]!, /^Invalid value never for configuration retention\.ms/);
    assert.deepEqual(await one({ resourceType: BROKER_LOGGER, resourceName: '1', configs: [] }), [ErrorCode.INVALID_REQUEST, 'Unknown resource type 8']);
  });

  it('stores dynamic broker configs of this broker and the default; refuses read-only keys, bad values and other ids', async () => {
    const fx = await adminFixture();
    const res = await alter(fx, [
      { resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.retention.ms', value: '1000' }] },
      { resourceType: BROKER, resourceName: '', configs: [{ name: 'message.max.bytes', value: '2000' }] },
      { resourceType: BROKER, resourceName: '9', configs: [] },
    ]);
    assert.deepEqual(outcomes(res), [
      [ErrorCode.NONE, null],
      [ErrorCode.NONE, null],
      [ErrorCode.INVALID_REQUEST, 'Unexpected broker id, expected 1, but received 9'],
    ]);
    assert.deepEqual(fx.controller.image.brokerConfigs.get('1'), { 'log.retention.ms': '1000' });
    assert.deepEqual(fx.controller.image.brokerConfigs.get(''), { 'message.max.bytes': '2000' });
    const refused = await alter(fx, [
      { resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.dirs', value: '/elsewhere' }] },
      { resourceType: BROKER, resourceName: '', configs: [{ name: 'message.max.bytes', value: 'lots' }] },
    ]);
    const got = outcomes(refused);
    assert.deepEqual(got[0], [ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: Set(log.dirs)']);
    assert.equal(got[1]![0], ErrorCode.INVALID_CONFIG);
    assert.match(got[1]![1]!, /^Invalid value lots for configuration message\.max\.bytes: Not a number of type INT/);
    assert.deepEqual(fx.controller.image.brokerConfigs.get('1'), { 'log.retention.ms': '1000' }, 'unchanged');
    // AlterConfigs replaces the whole set: an empty one removes them.
    assert.deepEqual(outcomes(await alter(fx, [{ resourceType: BROKER, resourceName: '1', configs: [] }])), [[ErrorCode.NONE, null]]);
    assert.equal(fx.controller.image.brokerConfigs.get('1'), undefined);
  });
});

describe('IncrementalAlterConfigs', () => {
  it('SET and DELETE change only the named keys', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t', 1, { 'retention.ms': '1000', 'segment.ms': '5000' });
    const res = await incremental(fx, [
      {
        resourceType: TOPIC,
        resourceName: 't',
        configs: [
          { name: 'retention.ms', configOperation: SET, value: '2000' },
          { name: 'segment.ms', configOperation: DELETE, value: null },
          { name: 'flush.ms', configOperation: DELETE, value: null },
        ],
      },
    ]);
    assert.deepEqual(outcomes(res), [[ErrorCode.NONE, null]]);
    assert.deepEqual(overrides(fx, 't'), { 'retention.ms': '2000' });
  });

  it('APPEND and SUBTRACT work on list keys, from the default when there is no override', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t');
    await incremental(fx, [{ resourceType: TOPIC, resourceName: 't', configs: [{ name: 'cleanup.policy', configOperation: APPEND, value: 'compact' }] }]);
    assert.deepEqual(overrides(fx, 't'), { 'cleanup.policy': 'delete,compact' });
    await incremental(fx, [{ resourceType: TOPIC, resourceName: 't', configs: [{ name: 'cleanup.policy', configOperation: APPEND, value: 'compact' }] }]);
    assert.deepEqual(overrides(fx, 't'), { 'cleanup.policy': 'delete,compact' }, 'an item already present is not added twice');
    await incremental(fx, [{ resourceType: TOPIC, resourceName: 't', configs: [{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' }] }]);
    assert.deepEqual(overrides(fx, 't'), { 'cleanup.policy': 'compact' });
  });

  it('refuses APPEND on a non-list key, bad values, unknown operations, and honours validateOnly', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t');
    const res = await incremental(fx, [
      { resourceType: TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: APPEND, value: '1' }] },
    ]);
    assert.deepEqual(outcomes(res), [[ErrorCode.INVALID_CONFIG, "Can't APPEND to key retention.ms because its type is not LIST."]]);
    const bad = await incremental(fx, [
      { resourceType: TOPIC, resourceName: 't', configs: [{ name: 'cleanup.policy', configOperation: APPEND, value: 'shred' }] },
    ]);
    assert.equal(bad.responses[0]!.errorCode, ErrorCode.INVALID_CONFIG);
    const op = await incremental(fx, [{ resourceType: TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: 9, value: '1' }] }]);
    assert.deepEqual(outcomes(op), [[ErrorCode.INVALID_REQUEST, 'Unknown operation type 9']]);
    const dry = await incremental(fx, [{ resourceType: TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: SET, value: '1' }] }], true);
    assert.deepEqual(outcomes(dry), [[ErrorCode.NONE, null]]);
    assert.deepEqual(overrides(fx, 't'), {});
  });

  it('refuses duplicates and null values with Kafka messages; a DELETE may carry null', async () => {
    const fx = await adminFixture();
    await fx.createTopic('t');
    const res = await incremental(fx, [
      { resourceType: TOPIC, resourceName: 't', configs: [{ name: 'a', configOperation: SET, value: null }, { name: 'b', configOperation: DELETE, value: null }, { name: 'c', configOperation: APPEND, value: null }] },
      { resourceType: BROKER, resourceName: '1', configs: [{ name: 'x', configOperation: SET, value: '1' }, { name: 'x', configOperation: DELETE, value: null }] },
      { resourceType: TOPIC, resourceName: 'missing', configs: [{ name: 'retention.ms', configOperation: SET, value: '1' }] },
      { resourceType: 3, resourceName: 'x', configs: [] },
    ]);
    assert.deepEqual(outcomes(res), [
      [ErrorCode.INVALID_REQUEST, 'Null value not supported for : a, c'],
      [ErrorCode.INVALID_REQUEST, 'Error due to duplicate config keys'],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'Topic missing does not exist.'],
      [ErrorCode.INVALID_REQUEST, 'Unknown resource type 3'],
    ]);
  });

  it('changes dynamic broker configs key by key (APPEND on a list key from its default) and answers BROKER_LOGGER as Kafka does for unknown loggers', async () => {
    const fx = await adminFixture();
    const set = await incremental(fx, [
      {
        resourceType: BROKER,
        resourceName: '',
        configs: [
          { name: 'log.retention.ms', configOperation: SET, value: '1' },
          { name: 'log.cleanup.policy', configOperation: APPEND, value: 'compact' },
        ],
      },
    ]);
    assert.deepEqual(outcomes(set), [[ErrorCode.NONE, null]]);
    assert.deepEqual(fx.controller.image.brokerConfigs.get(''), { 'log.retention.ms': '1', 'log.cleanup.policy': 'delete,compact' });
    const del = await incremental(fx, [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: DELETE, value: null }] }]);
    assert.deepEqual(outcomes(del), [[ErrorCode.NONE, null]]);
    assert.deepEqual(fx.controller.image.brokerConfigs.get(''), { 'log.cleanup.policy': 'delete,compact' });
    const res = await incremental(fx, [
      { resourceType: BROKER, resourceName: '1', configs: [{ name: 'broker.id', configOperation: SET, value: '2' }] },
      { resourceType: BROKER, resourceName: 'x', configs: [] },
      { resourceType: BROKER_LOGGER, resourceName: '1', configs: [{ name: 'root', configOperation: SET, value: 'DEBUG' }] },
      { resourceType: BROKER_LOGGER, resourceName: '', configs: [] },
    ]);
    const empty = await incremental(fx, [{ resourceType: BROKER_LOGGER, resourceName: '1', configs: [] }]);
    const append = await incremental(fx, [{ resourceType: BROKER_LOGGER, resourceName: '1', configs: [{ name: 'root', configOperation: APPEND, value: 'x' }] }]);
    const got = [...outcomes(res).slice(0, 3), ...outcomes(empty), ...outcomes(res).slice(3), ...outcomes(append)];
    assert.deepEqual(got, [
      [ErrorCode.INVALID_REQUEST, 'Cannot update these configs dynamically: Set(broker.id)'],
      [ErrorCode.INVALID_REQUEST, 'Node id must be an integer, but it is: x'],
      [ErrorCode.INVALID_CONFIG, 'Logger root does not exist!'],
      [ErrorCode.NONE, null],
      [ErrorCode.INVALID_REQUEST, 'Node id must be an integer, but it is: '],
      [ErrorCode.INVALID_REQUEST, 'APPEND operation is not allowed for the BROKER_LOGGER resource'],
    ]);
  });
});

/**
 * Goal: DescribeCluster answers brokers, cluster id, controller id and (when asked) the authorized
 * CLUSTER operations, and refuses controller or unknown endpoint types as Kafka does; InitProducerId
 * hands out distinct, increasing producer ids with epoch 0 from blocks the controller reserves
 * (never reused by a second broker context over the same controller), sends transactional
 * producers to the transaction coordinator (COORDINATOR_NOT_AVAILABLE without one), and refuses
 * malformed id/epoch pairs and empty transactional ids with INVALID_REQUEST.
 * Method: call the handlers directly with the admin fixture (fixed clock, real EmbeddedController).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeClusterHandler } from '../../src/handlers/describe-cluster.js';
import { initProducerIdHandler } from '../../src/handlers/init-producer-id.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { DescribeClusterResponse } from '../../src/protocol/messages/describe-cluster.js';
import type { InitProducerIdResponse } from '../../src/protocol/messages/init-producer-id.js';
import { adminFixture } from './admin-fixture.js';

describe('DescribeCluster', () => {
  it('lists the brokers, cluster id and controller', async () => {
    const fx = await adminFixture();
    const res = await fx.call<DescribeClusterResponse>(describeClusterHandler, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    assert.equal(res.errorCode, ErrorCode.NONE);
    assert.equal(res.clusterId, fx.controller.image.clusterId);
    assert.equal(res.controllerId, 1);
    assert.equal(res.endpointType, 1);
    assert.deepEqual(res.brokers, [{ brokerId: 1, host: 'localhost', port: 9092, rack: null }]);
    assert.equal(res.clusterAuthorizedOperations, -2147483648);
  });

  it('reports every CLUSTER operation as authorized when asked (no authorizer)', async () => {
    const fx = await adminFixture();
    const res = await fx.call<DescribeClusterResponse>(describeClusterHandler, 0, { includeClusterAuthorizedOperations: true, endpointType: 1 });
    // CREATE(5) ALTER(7) DESCRIBE(8) CLUSTER_ACTION(9) DESCRIBE_CONFIGS(10) ALTER_CONFIGS(11) IDEMPOTENT_WRITE(12)
    assert.equal(res.clusterAuthorizedOperations, 0b1_1111_1010_0000);
  });

  it('refuses the controller endpoint type and unknown ones', async () => {
    const fx = await adminFixture();
    const controller = await fx.call<DescribeClusterResponse>(describeClusterHandler, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
    assert.equal(controller.errorCode, 114);
    assert.equal(controller.errorMessage, 'The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type CONTROLLER');
    assert.deepEqual(controller.brokers, []);
    const unknown = await fx.call<DescribeClusterResponse>(describeClusterHandler, 1, { includeClusterAuthorizedOperations: false, endpointType: 7 });
    assert.deepEqual([unknown.errorCode, unknown.errorMessage], [115, 'Unsupported endpoint type 7']);
  });
});

describe('InitProducerId', () => {
  const idempotent = { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 };

  it('allocates increasing ids from a reserved block, epoch 0', async () => {
    const fx = await adminFixture();
    const a = await fx.call<InitProducerIdResponse>(initProducerIdHandler, 4, idempotent);
    const b = await fx.call<InitProducerIdResponse>(initProducerIdHandler, 0, idempotent);
    assert.equal(a.errorCode, ErrorCode.NONE);
    assert.equal(a.producerEpoch, 0);
    assert.equal(a.producerId, 0n);
    assert.equal(b.producerId, 1n);
  });

  it('a second broker context over the same controller gets ids from another block', async () => {
    const one = await adminFixture();
    await one.call<InitProducerIdResponse>(initProducerIdHandler, 4, idempotent);
    const secondBroker = { ...one.broker };
    const other = (await initProducerIdHandler.handle({ ...one.ctx(4), broker: secondBroker }, idempotent)) as InitProducerIdResponse;
    assert.equal(other.producerId, 1000n);
    assert.equal((await one.call<InitProducerIdResponse>(initProducerIdHandler, 4, idempotent)).producerId, 1n);
  });

  it('ignores an existing id/epoch for an idempotent producer (v3+) but refuses a half-set pair', async () => {
    const fx = await adminFixture();
    const renewed = await fx.call<InitProducerIdResponse>(initProducerIdHandler, 3, { ...idempotent, producerId: 5n, producerEpoch: 2 });
    assert.equal(renewed.errorCode, ErrorCode.NONE);
    assert.equal(renewed.producerEpoch, 0);
    const half = await fx.call<InitProducerIdResponse>(initProducerIdHandler, 3, { ...idempotent, producerId: 5n, producerEpoch: -1 });
    assert.deepEqual([half.errorCode, half.producerId, half.producerEpoch], [ErrorCode.INVALID_REQUEST, -1n, -1]);
  });

  it('answers COORDINATOR_NOT_AVAILABLE for a transactional id without a coordinator, INVALID_REQUEST for an empty one', async () => {
    const fx = await adminFixture();
    const txn = await fx.call<InitProducerIdResponse>(initProducerIdHandler, 4, { ...idempotent, transactionalId: 'tx-1' });
    assert.deepEqual([txn.errorCode, txn.producerId, txn.producerEpoch], [ErrorCode.COORDINATOR_NOT_AVAILABLE, -1n, -1]);
    const empty = await fx.call<InitProducerIdResponse>(initProducerIdHandler, 1, { ...idempotent, transactionalId: '' });
    assert.equal(empty.errorCode, ErrorCode.INVALID_REQUEST);
  });
});

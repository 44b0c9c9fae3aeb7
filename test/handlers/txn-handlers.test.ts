/**
 * Goal: the transactional handlers answer in each version's own shape and codes: AddPartitionsToTxn
 * v0-3 (one transaction, resultsByTopicV3AndBelow) and v4+ (batched, verifyOnly adds nothing),
 * unknown partitions UNKNOWN_TOPIC_OR_PARTITION with the rest OPERATION_NOT_ATTEMPTED; PRODUCER_FENCED
 * becomes INVALID_PRODUCER_EPOCH before the version that introduced it (AddPartitions/EndTxn v2,
 * InitProducerId v4); EndTxn advertises v0-4; WriteTxnMarkers answers per partition; FindCoordinator
 * keyType 1 names the coordinator; Describe/ListTransactions wrap the coordinator's views.
 * Method: the coordinator fixture (txn-support.ts) behind a BrokerContext; handlers called directly
 * as the dispatcher would, with the image of the fixture's controller.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BrokerContext, Handler, RequestContext } from '../../src/handlers/handler.js';
import { addPartitionsToTxnHandler } from '../../src/handlers/add-partitions-to-txn.js';
import { describeTransactionsHandler } from '../../src/handlers/describe-transactions.js';
import { endTxnHandler } from '../../src/handlers/end-txn.js';
import { findCoordinatorHandler } from '../../src/handlers/find-coordinator.js';
import { initProducerIdHandler } from '../../src/handlers/init-producer-id.js';
import { listTransactionsHandler } from '../../src/handlers/list-transactions.js';
import { writeTxnMarkersHandler } from '../../src/handlers/write-txn-markers.js';
import { LocalMarkerWriter } from '../../src/coordinator/txn/marker-writer.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type {
  AddPartitionsToTxnResponse,
  DescribeTransactionsResponse,
  EndTxnResponse,
  FindCoordinatorResponse,
  InitProducerIdResponse,
  ListTransactionsResponse,
  WriteTxnMarkersResponse,
} from '../../src/protocol/messages/index.js';
import { drive, FakeAppender, txnFixture, type TxnFixture } from '../coordinator/txn-support.js';
import { silentLog } from '../coordinator/support.js';

function caller(f: TxnFixture, extra: Partial<BrokerContext> = {}) {
  const broker = { brokerId: 1, config: f.config, clock: f.clock, controller: f.controller, txnCoordinator: f.coordinator, handlers: new Map(), ...extra } as unknown as BrokerContext;
  return <Res>(handler: Handler, apiVersion: number, request: object): Promise<Res> => {
    const ctx: RequestContext = {
      header: { apiKey: handler.api.apiKey, apiVersion, correlationId: 1, clientId: 'test' },
      apiVersion,
      clientAddress: '127.0.0.1:1',
      listenerName: '',
      broker,
      image: f.controller.image,
      log: silentLog,
    };
    return drive(f, Promise.resolve(handler.handle(ctx, request)) as Promise<Res>);
  };
}

const txnInit = (id: string) => ({ transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });

describe('transactional handlers', () => {
  it('AddPartitionsToTxn v3 and v4 (verifyOnly adds nothing); unknown partitions; PRODUCER_FENCED by version', async () => {
    const f = await txnFixture();
    const call = caller(f);
    await f.controller.createTopic({ name: 't', numPartitions: 2, replicationFactor: 1, assignments: [], configs: {}, validateOnly: false });
    const p = await call<InitProducerIdResponse>(initProducerIdHandler, 4, txnInit('tx'));
    const v3 = (topics: Array<{ name: string; partitions: number[] }>, epoch = p.producerEpoch, version = 3) =>
      call<AddPartitionsToTxnResponse>(addPartitionsToTxnHandler, version, {
        v3AndBelowTransactionalId: 'tx',
        v3AndBelowProducerId: p.producerId,
        v3AndBelowProducerEpoch: epoch,
        v3AndBelowTopics: topics,
      });
    const unknown = await v3([{ name: 't', partitions: [0, 5] }, { name: 'nope', partitions: [0] }]);
    assert.deepEqual(unknown.resultsByTopicV3AndBelow, [
      { name: 't', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: ErrorCode.OPERATION_NOT_ATTEMPTED }, { partitionIndex: 5, partitionErrorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
      { name: 'nope', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
    ]);
    const verify = (partition: number) =>
      call<AddPartitionsToTxnResponse>(addPartitionsToTxnHandler, 4, {
        transactions: [{ transactionalId: 'tx', producerId: p.producerId, producerEpoch: p.producerEpoch, verifyOnly: true, topics: [{ name: 't', partitions: [partition] }] }],
      });
    assert.equal((await verify(0)).resultsByTransaction[0]!.topicResults[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.INVALID_TXN_STATE);
    assert.equal(f.coordinator.stateOf('tx')?.state, 'Empty', 'verifyOnly added nothing');
    const added = await v3([{ name: 't', partitions: [0] }]);
    assert.equal(added.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
    const ok = await verify(0);
    assert.equal(ok.errorCode, ErrorCode.NONE);
    assert.deepEqual(ok.resultsByTransaction, [{ transactionalId: 'tx', topicResults: [{ name: 't', resultsByPartition: [{ partitionIndex: 0, partitionErrorCode: ErrorCode.NONE }] }] }]);
    // A stale epoch: PRODUCER_FENCED from v2, INVALID_PRODUCER_EPOCH before.
    assert.equal((await v3([{ name: 't', partitions: [1] }], p.producerEpoch - 1)).resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal((await v3([{ name: 't', partitions: [1] }], p.producerEpoch - 1, 1)).resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    const endOld = await call<EndTxnResponse>(endTxnHandler, 1, { transactionalId: 'tx', producerId: p.producerId, producerEpoch: p.producerEpoch - 1, committed: true });
    assert.equal(endOld.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(endTxnHandler.versionMax, 4, 'EndTxn v5 (KIP-890 part 2) is not advertised');
    const end = await call<EndTxnResponse>(endTxnHandler, 3, { transactionalId: 'tx', producerId: p.producerId, producerEpoch: p.producerEpoch, committed: false });
    assert.equal(end.errorCode, ErrorCode.NONE);
  });

  it('InitProducerId: INVALID_TRANSACTION_TIMEOUT; PRODUCER_FENCED only from v4', async () => {
    const f = await txnFixture();
    const call = caller(f);
    assert.equal((await call<InitProducerIdResponse>(initProducerIdHandler, 1, { ...txnInit('tx'), transactionTimeoutMs: 0 })).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    await call<InitProducerIdResponse>(initProducerIdHandler, 4, txnInit('tx'));
    const stale = { ...txnInit('tx'), producerId: 0n, producerEpoch: 9 };
    assert.equal((await call<InitProducerIdResponse>(initProducerIdHandler, 4, stale)).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal((await call<InitProducerIdResponse>(initProducerIdHandler, 3, stale)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it('FindCoordinator keyType 1, DescribeTransactions and ListTransactions', async () => {
    const f = await txnFixture();
    const call = caller(f);
    const found = await call<FindCoordinatorResponse>(findCoordinatorHandler, 4, { keyType: 1, coordinatorKeys: ['tx'] });
    assert.deepEqual(found.coordinators.map((c) => [c.key, c.errorCode, c.nodeId, c.port]), [['tx', ErrorCode.NONE, 1, 9092]]);
    const empty = await call<FindCoordinatorResponse>(findCoordinatorHandler, 3, { key: '', keyType: 1 });
    assert.equal(empty.errorCode, ErrorCode.INVALID_REQUEST);
    await call<InitProducerIdResponse>(initProducerIdHandler, 4, txnInit('tx'));
    const described = await call<DescribeTransactionsResponse>(describeTransactionsHandler, 0, { transactionalIds: ['tx', 'missing'] });
    assert.deepEqual(described.transactionStates.map((t) => [t.transactionalId, t.errorCode, t.transactionState]), [
      ['tx', ErrorCode.NONE, 'Empty'],
      ['missing', ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, ''],
    ]);
    const listed = await call<ListTransactionsResponse>(listTransactionsHandler, 1, { stateFilters: ['Empty'], producerIdFilters: [], durationFilter: -1n });
    assert.deepEqual(listed.transactionStates, [{ transactionalId: 'tx', producerId: 0n, transactionState: 'Empty' }]);
  });

  it('WriteTxnMarkers: per-partition answers; __consumer_offsets partitions complete the group transaction', async () => {
    const f = await txnFixture();
    const appender = new FakeAppender();
    const completed: Array<[number, bigint, boolean]> = [];
    const txnMarkers = new LocalMarkerWriter({
      appender: {
        appendControlAsLeader: (topic, partition, marker) => (topic === 'gone' ? Promise.reject(new Error('unknown')) : appender.appendControlAsLeader(topic, partition, marker)),
      },
      groups: { completeTransaction: (p, id, commit) => void completed.push([p, id, commit]) },
      codeFor: () => ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    });
    const call = caller(f, { txnMarkers });
    const res = await call<WriteTxnMarkersResponse>(writeTxnMarkersHandler, 1, {
      markers: [{ producerId: 7n, producerEpoch: 2, transactionResult: true, coordinatorEpoch: 5, topics: [{ name: 'a', partitionIndexes: [0, 1] }, { name: '__consumer_offsets', partitionIndexes: [3] }, { name: 'gone', partitionIndexes: [0] }] }],
    });
    assert.deepEqual(res.markers[0]!.topics.map((t) => [t.name, t.partitions.map((p) => p.errorCode)]), [
      ['a', [ErrorCode.NONE, ErrorCode.NONE]],
      ['__consumer_offsets', [ErrorCode.NONE]],
      ['gone', [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
    ]);
    assert.deepEqual(appender.written.map((w) => [w.topic, w.partition, w.marker]), [
      ['a', 0, { producerId: 7n, producerEpoch: 2, coordinatorEpoch: 5, commit: true }],
      ['a', 1, { producerId: 7n, producerEpoch: 2, coordinatorEpoch: 5, commit: true }],
      ['__consumer_offsets', 3, { producerId: 7n, producerEpoch: 2, coordinatorEpoch: 5, commit: true }],
    ]);
    assert.deepEqual(completed, [[3, 7n, true]]);
  });
});

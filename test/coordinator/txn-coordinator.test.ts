/**
 * Goal: the transaction coordinator follows Kafka's transaction protocol: InitProducerId allocates
 * and bumps epochs (fencing the previous producer, aborting its ongoing transaction first), AddPartitions
 * / AddOffsets move a transaction to Ongoing, EndTxn answers after Prepare* is written and the
 * markers then reach every partition (retried while leaders refuse) before Complete* is written;
 * concurrent requests meanwhile get CONCURRENT_TRANSACTIONS (InitProducerId and AddPartitions after
 * waiting up to 100 ms for the completion in flight, so back-to-back transactions do not); a restarted coordinator resumes markers
 * of a Prepare* transaction; timeouts abort with an epoch bump; expired ids are removed; KIP-360
 * retries and verification answer as specified; the state records are Kafka's.
 * Method: txn-support.ts's fixture (real EmbeddedController, in-memory __transaction_state, real
 * marker sender over a fake control appender, manual clock); assertions on answers, on the markers
 * the appender received and on the records in the state log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeTxnKey, decodeTxnValue } from '../../src/coordinator/txn/records.js';
import { offsetsPartitionFor } from '../../src/coordinator/offsets/records.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { advance, drive, txnFixture, type TxnFixture } from './txn-support.js';

async function init(f: TxnFixture, id: string, timeoutMs = 60_000, expected: { producerId: bigint; producerEpoch: number } | null = null) {
  return drive(f, f.coordinator.initProducerId(id, timeoutMs, expected));
}

/** States written to __transaction_state for `id`, in order. */
function writtenStates(f: TxnFixture, id: string): string[] {
  return f.stateLog
    .records()
    .filter((r) => decodeTxnKey(r.key) === id)
    .map((r) => (r.value === null ? 'tombstone' : decodeTxnValue(r.value).state));
}

describe('TransactionCoordinator', () => {
  it('allocates a producer id at epoch 0, then bumps the epoch and fences the older producer', async () => {
    const f = await txnFixture();
    const a = await init(f, 'tx');
    assert.deepEqual(a, { errorCode: ErrorCode.NONE, producerId: 0n, producerEpoch: 0 });
    const b = await init(f, 'tx');
    assert.deepEqual(b, { errorCode: ErrorCode.NONE, producerId: 0n, producerEpoch: 1 });
    // The older producer is fenced on every transactional call.
    assert.equal(await drive(f, f.coordinator.addPartitions('tx', 0n, 0, [{ topic: 't', partitions: [0] }])), ErrorCode.PRODUCER_FENCED);
    assert.equal(await drive(f, f.coordinator.endTxn('tx', 0n, 0, true)), ErrorCode.PRODUCER_FENCED);
    assert.equal(await drive(f, f.coordinator.addPartitions('tx', 9n, 1, [{ topic: 't', partitions: [0] }])), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    // Another id gets another producer id from the same block.
    assert.equal((await init(f, 'other')).producerId, 1n);
    assert.deepEqual(writtenStates(f, 'tx'), ['Empty', 'Empty']);
  });

  it('refuses timeouts of 0 or above transaction.max.timeout.ms', async () => {
    const f = await txnFixture(['transaction.max.timeout.ms=30000']);
    assert.equal((await init(f, 'tx', 0)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assert.equal((await init(f, 'tx', 30_001)).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    assert.equal((await init(f, 'tx', 30_000)).errorCode, ErrorCode.NONE);
  });

  it('commits: Ongoing, PrepareCommit answered, markers to every partition incl. the group offsets partition, then CompleteCommit', async () => {
    const f = await txnFixture();
    const { producerId, producerEpoch } = await init(f, 'tx');
    assert.equal(await drive(f, f.coordinator.addPartitions('tx', producerId, producerEpoch, [{ topic: 'a', partitions: [1, 0] }])), ErrorCode.NONE);
    assert.equal(await drive(f, f.coordinator.addPartitions('tx', producerId, producerEpoch, [{ topic: 'b', partitions: [2] }])), ErrorCode.NONE);
    assert.equal(await drive(f, f.coordinator.addOffsets('tx', producerId, producerEpoch, 'group-1')), ErrorCode.NONE);
    const offsetsPartition = offsetsPartitionFor('group-1', 4);
    assert.deepEqual(f.coordinator.stateOf('tx')?.partitions, [
      { topic: '__consumer_offsets', partitions: [offsetsPartition] },
      { topic: 'a', partitions: [0, 1] },
      { topic: 'b', partitions: [2] },
    ]);
    // Without the topics in the image the sender drops nothing it can mark: create them.
    for (const [name, n] of [['a', 2], ['b', 3]] as const) {
      const r = await f.controller.createTopic({ name, numPartitions: n, replicationFactor: 1, assignments: [], configs: {}, validateOnly: false });
      assert.ok(r.ok);
    }
    const created = await f.controller.createTopic({ name: '__consumer_offsets', numPartitions: 4, replicationFactor: 1, assignments: [], configs: {}, validateOnly: false });
    assert.ok(created.ok);
    assert.equal(await drive(f, f.coordinator.endTxn('tx', producerId, producerEpoch, true)), ErrorCode.NONE);
    await advance(f, 200);
    const marked = f.appender.written.map((w) => `${w.topic}-${w.partition}:${w.marker.commit ? 'C' : 'A'}@${w.marker.producerEpoch}/${w.marker.coordinatorEpoch}`).sort();
    assert.deepEqual(marked, [`__consumer_offsets-${offsetsPartition}:C@0/0`, 'a-0:C@0/0', 'a-1:C@0/0', 'b-2:C@0/0']);
    assert.deepEqual(f.completed, [{ partition: offsetsPartition, producerId, commit: true }]);
    assert.equal(f.coordinator.stateOf('tx')?.state, 'CompleteCommit');
    assert.deepEqual(writtenStates(f, 'tx'), ['Empty', 'Ongoing', 'Ongoing', 'Ongoing', 'PrepareCommit', 'CompleteCommit']);
    // A retried commit is fine; an abort now is not.
    assert.equal(await drive(f, f.coordinator.endTxn('tx', producerId, producerEpoch, true)), ErrorCode.NONE);
    assert.equal(await drive(f, f.coordinator.endTxn('tx', producerId, producerEpoch, false)), ErrorCode.INVALID_TXN_STATE);
    // Adding a partition already in the ongoing transaction writes nothing.
    await drive(f, f.coordinator.addPartitions('tx', producerId, producerEpoch, [{ topic: 'a', partitions: [0] }]));
    const before = f.stateLog.appends;
    assert.equal(await drive(f, f.coordinator.addPartitions('tx', producerId, producerEpoch, [{ topic: 'a', partitions: [0] }])), ErrorCode.NONE);
    assert.equal(f.stateLog.appends, before);
  });

  it('keeps retrying markers while leaders refuse; requests meanwhile get CONCURRENT_TRANSACTIONS', async () => {
    const f = await txnFixture();
    await f.controller.createTopic({ name: 'a', numPartitions: 1, replicationFactor: 1, assignments: [], configs: {}, validateOnly: false });
    const { producerId, producerEpoch } = await init(f, 'tx');
    await drive(f, f.coordinator.addPartitions('tx', producerId, producerEpoch, [{ topic: 'a', partitions: [0] }]));
    f.appender.failing = true;
    assert.equal(await drive(f, f.coordinator.endTxn('tx', producerId, producerEpoch, false)), ErrorCode.NONE);
    await advance(f, 3_000);
    assert.ok(f.appender.attempts >= 4, `retried (${f.appender.attempts} attempts)`);
    assert.equal(f.coordinator.stateOf('tx')?.state, 'PrepareAbort');
    // Markers are being retried: after waiting up to 100 ms for the completion, the answer is CONCURRENT_TRANSACTIONS.
    assert.equal(await drive(f, f.coordinator.addPartitions('tx', producerId, producerEpoch, [{ topic: 'a', partitions: [0] }])), ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal((await init(f, 'tx')).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(await drive(f, f.coordinator.endTxn('tx', producerId, producerEpoch, false)), ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(await drive(f, f.coordinator.endTxn('tx', producerId, producerEpoch, true)), ErrorCode.INVALID_TXN_STATE);
    f.appender.failing = false;
    await advance(f, 1_500);
    assert.equal(f.coordinator.stateOf('tx')?.state, 'CompleteAbort');
    assert.deepEqual(f.appender.written.map((w) => [w.topic, w.partition, w.marker.commit]), [['a', 0, false]]);
    assert.equal((await init(f, 'tx')).producerEpoch, 1);
  });

  it('AddPartitionsToTxn and InitProducerId right after EndTxn wait for the completion in flight instead of CONCURRENT_TRANSACTIONS', async () => {
    const f = await txnFixture();
    await f.controller.createTopic({ name: 'a', numPartitions: 2, replicationFactor: 1, assignments: [], configs: {}, validateOnly: false });
    const { producerId, producerEpoch } = await init(f, 'tx');
    await drive(f, f.coordinator.addPartitions('tx', producerId, producerEpoch, [{ topic: 'a', partitions: [0] }]));
    let release!: () => void;
    f.appender.gate = new Promise<void>((resolve) => (release = resolve));
    assert.equal(await drive(f, f.coordinator.endTxn('tx', producerId, producerEpoch, true)), ErrorCode.NONE);
    // The next transaction starts while the commit marker is still being written: the add is held.
    let added: number | null = null;
    void f.coordinator.addPartitions('tx', producerId, producerEpoch, [{ topic: 'a', partitions: [1] }]).then((code) => (added = code));
    await advance(f, 40, 10);
    assert.equal(added, null, 'held while the marker is unwritten');
    assert.equal(f.coordinator.stateOf('tx')?.state, 'PrepareCommit');
    release();
    f.appender.gate = null;
    await advance(f, 10, 10);
    assert.equal(added, ErrorCode.NONE);
    assert.deepEqual(f.coordinator.stateOf('tx')?.partitions, [{ topic: 'a', partitions: [1] }]);
    assert.deepEqual(writtenStates(f, 'tx'), ['Empty', 'Ongoing', 'PrepareCommit', 'CompleteCommit', 'Ongoing']);
    // Same for a new producer instance (InitProducerId) arriving during the abort's markers.
    f.appender.gate = new Promise<void>((resolve) => (release = resolve));
    assert.equal(await drive(f, f.coordinator.endTxn('tx', producerId, producerEpoch, false)), ErrorCode.NONE);
    let initialized: { errorCode: number; producerId: bigint; producerEpoch: number } | null = null;
    void f.coordinator.initProducerId('tx', 60_000, null).then((r) => (initialized = r));
    await advance(f, 40, 10);
    assert.equal(initialized, null);
    release();
    f.appender.gate = null;
    await advance(f, 10, 10);
    assert.deepEqual(initialized, { errorCode: ErrorCode.NONE, producerId, producerEpoch: producerEpoch + 1 });
  });

  it('a restarted coordinator resumes the markers of a transaction left in PrepareCommit', async () => {
    const f = await txnFixture();
    await f.controller.createTopic({ name: 'a', numPartitions: 2, replicationFactor: 1, assignments: [], configs: {}, validateOnly: false });
    const { producerId, producerEpoch } = await init(f, 'tx');
    await drive(f, f.coordinator.addPartitions('tx', producerId, producerEpoch, [{ topic: 'a', partitions: [0, 1] }]));
    f.appender.failing = true;
    assert.equal(await drive(f, f.coordinator.endTxn('tx', producerId, producerEpoch, true)), ErrorCode.NONE);
    await advance(f, 300);
    await f.restart(); // the old coordinator's sender stops; the state log says PrepareCommit
    f.appender.failing = false;
    await advance(f, 1_500);
    assert.equal(f.coordinator.stateOf('tx')?.state, 'CompleteCommit');
    assert.deepEqual(f.appender.written.map((w) => `${w.topic}-${w.partition}:${w.marker.commit}`).sort(), ['a-0:true', 'a-1:true']);
    assert.deepEqual(writtenStates(f, 'tx'), ['Empty', 'Ongoing', 'PrepareCommit', 'CompleteCommit']);
  });

  it('InitProducerId during an ongoing transaction aborts it under a bumped epoch first', async () => {
    const f = await txnFixture();
    await f.controller.createTopic({ name: 'a', numPartitions: 1, replicationFactor: 1, assignments: [], configs: {}, validateOnly: false });
    const old = await init(f, 'tx');
    await drive(f, f.coordinator.addPartitions('tx', old.producerId, old.producerEpoch, [{ topic: 'a', partitions: [0] }]));
    assert.equal((await init(f, 'tx')).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    await advance(f, 300);
    assert.deepEqual(f.appender.written.map((w) => [w.marker.commit, w.marker.producerEpoch]), [[false, 1]]);
    const fresh = await init(f, 'tx');
    assert.deepEqual(fresh, { errorCode: ErrorCode.NONE, producerId: old.producerId, producerEpoch: 2 });
    assert.equal(await drive(f, f.coordinator.endTxn('tx', old.producerId, old.producerEpoch, true)), ErrorCode.PRODUCER_FENCED);
  });

  it('aborts transactions past their timeout with an epoch bump (the producer is fenced)', async () => {
    const f = await txnFixture(['transaction.abort.timed.out.transaction.cleanup.interval.ms=1000']);
    await f.controller.createTopic({ name: 'a', numPartitions: 1, replicationFactor: 1, assignments: [], configs: {}, validateOnly: false });
    const p = await init(f, 'tx', 5_000);
    await drive(f, f.coordinator.addPartitions('tx', p.producerId, p.producerEpoch, [{ topic: 'a', partitions: [0] }]));
    await advance(f, 4_000, 100);
    assert.equal(f.coordinator.stateOf('tx')?.state, 'Ongoing');
    await advance(f, 2_500, 100);
    assert.equal(f.coordinator.stateOf('tx')?.state, 'CompleteAbort');
    assert.deepEqual(f.appender.written.map((w) => [w.marker.commit, w.marker.producerEpoch]), [[false, 1]]);
    assert.equal(await drive(f, f.coordinator.endTxn('tx', p.producerId, p.producerEpoch, true)), ErrorCode.PRODUCER_FENCED);
  });

  it('removes ids idle past transactional.id.expiration.ms with a tombstone', async () => {
    const f = await txnFixture(['transactional.id.expiration.ms=10000', 'transaction.remove.expired.transaction.cleanup.interval.ms=2000']);
    await init(f, 'tx');
    await advance(f, 8_000, 500);
    assert.equal(f.coordinator.describe(['tx'])[0]!.errorCode, ErrorCode.NONE);
    await advance(f, 4_500, 500);
    assert.equal(f.coordinator.describe(['tx'])[0]!.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    assert.deepEqual(writtenStates(f, 'tx'), ['Empty', 'tombstone']);
    // Gone after a reload too; a new InitProducerId starts over with a new producer id.
    await f.restart();
    assert.equal(f.coordinator.stateOf('tx'), null);
    assert.deepEqual(await init(f, 'tx'), { errorCode: ErrorCode.NONE, producerId: 1n, producerEpoch: 0 });
  });

  it('KIP-360: a bump with the current id/epoch, a retry of it answered the same, a stale epoch fenced', async () => {
    const f = await txnFixture();
    const first = await init(f, 'tx');
    const bumped = await init(f, 'tx', 60_000, { producerId: first.producerId, producerEpoch: first.producerEpoch });
    assert.deepEqual(bumped, { errorCode: ErrorCode.NONE, producerId: first.producerId, producerEpoch: 1 });
    const retried = await init(f, 'tx', 60_000, { producerId: first.producerId, producerEpoch: first.producerEpoch });
    assert.deepEqual(retried, bumped);
    assert.equal((await init(f, 'tx', 60_000, { producerId: first.producerId, producerEpoch: 7 })).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal((await init(f, 'tx', 60_000, { producerId: 42n, producerEpoch: 1 })).errorCode, ErrorCode.PRODUCER_FENCED);
    // An unknown id with an expected id/epoch starts over (Kafka): see txn-client-sequences.test.ts.
    assert.deepEqual(await init(f, 'unknown', 60_000, { producerId: 42n, producerEpoch: 1 }), { errorCode: ErrorCode.NONE, producerId: 1n, producerEpoch: 0 });
  });

  it('verifies partitions (KIP-890): NONE only for partitions of the ongoing transaction', async () => {
    const f = await txnFixture();
    const p = await init(f, 'tx');
    const verify = (partition: number, epoch = p.producerEpoch) => f.coordinator.verifyPartitions('tx', p.producerId, epoch, [{ topic: 'a', partitions: [partition] }]).get('a')!.get(partition);
    assert.equal(verify(0), ErrorCode.INVALID_TXN_STATE); // Empty: nothing is part of a transaction
    await drive(f, f.coordinator.addPartitions('tx', p.producerId, p.producerEpoch, [{ topic: 'a', partitions: [0] }]));
    assert.equal(verify(0), ErrorCode.NONE);
    assert.equal(verify(1), ErrorCode.INVALID_TXN_STATE);
    assert.equal(verify(0, p.producerEpoch + 1), ErrorCode.PRODUCER_FENCED);
    assert.equal(f.coordinator.verifyPartitions('nope', 1n, 0, [{ topic: 'a', partitions: [0] }]).get('a')!.get(0), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  });

  it('describes and lists with state, producer and duration filters', async () => {
    const f = await txnFixture();
    const a = await init(f, 'a-tx');
    const b = await init(f, 'b-tx');
    await drive(f, f.coordinator.addPartitions('a-tx', a.producerId, a.producerEpoch, [{ topic: 't', partitions: [3] }]));
    const [desc] = f.coordinator.describe(['a-tx']);
    assert.equal(desc!.transactionState, 'Ongoing');
    assert.deepEqual(desc!.topics, [{ topic: 't', partitions: [3] }]);
    assert.equal(desc!.transactionStartTimeMs, BigInt(f.clock.nowMs()));
    const all = f.coordinator.list([], [], -1);
    assert.deepEqual(all.transactionStates.map((t) => [t.transactionalId, t.transactionState]), [['a-tx', 'Ongoing'], ['b-tx', 'Empty']]);
    const ongoing = f.coordinator.list(['Ongoing', 'Bogus'], [], -1);
    assert.deepEqual(ongoing.unknownStateFilters, ['Bogus']);
    assert.deepEqual(ongoing.transactionStates.map((t) => t.transactionalId), ['a-tx']);
    assert.deepEqual(f.coordinator.list([], [b.producerId], -1).transactionStates.map((t) => t.transactionalId), ['b-tx']);
    await advance(f, 1_000, 500);
    assert.deepEqual(f.coordinator.list([], [], 500).transactionStates.map((t) => t.transactionalId), ['a-tx']);
    assert.deepEqual(f.coordinator.list([], [], 5_000).transactionStates, []);
  });
});

/**
 * Goal: the request sequences real transactional clients (librdkafka 2.0.2 in the transaction fault
 * run) send around failures get Kafka's answers from the transaction coordinator, state by state:
 *   - librdkafka's abort right after a commit: its AddPartitionsToTxn is refused with
 *     CONCURRENT_TRANSACTIONS while the previous commit completes, yet it sends EndTxn(abort):
 *     CONCURRENT_TRANSACTIONS while the Complete record is being written, INVALID_TXN_STATE in
 *     PrepareCommit and CompleteCommit (Kafka's TransactionCoordinator answers the same; the client
 *     treats it as fatal), a retried EndTxn(commit) NONE;
 *   - a retried EndTxn after the coordinator aborted the transaction on timeout (epoch bumped):
 *     PRODUCER_FENCED;
 *   - KIP-360 after an abortable error: EndTxn(abort), InitProducerId(id, epoch) answered
 *     CONCURRENT_TRANSACTIONS during PrepareAbort, then bumped; EndTxn in Empty is INVALID_TXN_STATE;
 *   - KIP-360 InitProducerId for an id the coordinator does not know: a fresh producer id at epoch 0;
 *   - a fencing abort forgets the epoch before the last KIP-360 bump (no "retry" un-fences it).
 * Method: txn-support.ts's fixture (real coordinator and marker sender over fakes, manual clock);
 * the `__transaction_state` appends can be held to observe a pending Complete write; assertions on
 * the coordinator's answers and states.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeTxnValue } from '../../src/coordinator/txn/records.js';
import { readRecords } from '../../src/protocol/records/builder.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { settle } from './support.js';
import { advance, drive, txnFixture, type TxnFixture } from './txn-support.js';

type Expected = { producerId: bigint; producerEpoch: number } | null;

async function setup(f: TxnFixture, timeoutMs = 60_000): Promise<{ producerId: bigint; producerEpoch: number }> {
  const r = await f.controller.createTopic({ name: 'a', numPartitions: 2, replicationFactor: 1, assignments: [], configs: {}, validateOnly: false });
  assert.ok(r.ok);
  const p = await drive(f, f.coordinator.initProducerId('tx', timeoutMs, null));
  assert.equal(p.errorCode, ErrorCode.NONE);
  return p;
}

const init = (f: TxnFixture, expected: Expected, timeoutMs = 60_000) => drive(f, f.coordinator.initProducerId('tx', timeoutMs, expected));
const add = (f: TxnFixture, p: { producerId: bigint; producerEpoch: number }, partition = 0) =>
  drive(f, f.coordinator.addPartitions('tx', p.producerId, p.producerEpoch, [{ topic: 'a', partitions: [partition] }]));
const end = (f: TxnFixture, p: { producerId: bigint; producerEpoch: number }, commit: boolean) => drive(f, f.coordinator.endTxn('tx', p.producerId, p.producerEpoch, commit));

/** A transaction on partition 0 ended (commit or abort) while marker writes fail: it stays in Prepare*. */
async function endWithMarkersFailing(f: TxnFixture, p: { producerId: bigint; producerEpoch: number }, commit: boolean): Promise<void> {
  assert.equal(await add(f, p), ErrorCode.NONE);
  f.appender.failing = true;
  assert.equal(await end(f, p, commit), ErrorCode.NONE);
  await advance(f, 300);
  assert.equal(f.coordinator.stateOf('tx')?.state, commit ? 'PrepareCommit' : 'PrepareAbort');
}

/** Holds every `__transaction_state` append of a record in `state` until released. */
function holdStateWrites(f: TxnFixture, state: string): { release(): void; held(): number } {
  const append = f.stateLog.append.bind(f.stateLog);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let held = 0;
  f.stateLog.append = async (partition, bytes) => {
    const [rec] = await readRecords(bytes);
    if (rec?.value && decodeTxnValue(rec.value).state === state) {
      held++;
      await gate;
    }
    return append(partition, bytes);
  };
  return { release, held: () => held };
}

describe('TransactionCoordinator: client request sequences around failures', () => {
  it("librdkafka's abort after a refused AddPartitions while the previous commit completes: Kafka's answers", async () => {
    const f = await txnFixture();
    const p = await setup(f);
    assert.equal(await add(f, p), ErrorCode.NONE);
    // The Complete record of the commit is held: the id is busy (pending CompleteCommit).
    const hold = holdStateWrites(f, 'CompleteCommit');
    assert.equal(await end(f, p, true), ErrorCode.NONE);
    await advance(f, 100);
    assert.equal(hold.held(), 1);
    assert.equal(f.coordinator.stateOf('tx')?.state, 'PrepareCommit');
    // Next transaction: its AddPartitions is refused, the application aborts at once.
    assert.equal(await add(f, p, 1), ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(await end(f, p, false), ErrorCode.CONCURRENT_TRANSACTIONS);
    hold.release();
    await advance(f, 100);
    assert.equal(f.coordinator.stateOf('tx')?.state, 'CompleteCommit');
    // librdkafka's retry of EndTxn(abort): the state is the previous transaction's CompleteCommit.
    assert.equal(await end(f, p, false), ErrorCode.INVALID_TXN_STATE);
    // A retried commit of the previous transaction is still answered NONE, and the producer goes on.
    assert.equal(await end(f, p, true), ErrorCode.NONE);
    assert.equal(await add(f, p, 1), ErrorCode.NONE);
    assert.equal(await end(f, p, false), ErrorCode.NONE);
    await advance(f, 100);
    assert.equal(f.coordinator.stateOf('tx')?.state, 'CompleteAbort');
  });

  it('EndTxn(abort) in PrepareCommit (markers still being written) is INVALID_TXN_STATE; EndTxn(commit) CONCURRENT_TRANSACTIONS', async () => {
    const f = await txnFixture();
    const p = await setup(f);
    await endWithMarkersFailing(f, p, true);
    assert.equal(await add(f, p, 1), ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(await end(f, p, false), ErrorCode.INVALID_TXN_STATE);
    assert.equal(await end(f, p, true), ErrorCode.CONCURRENT_TRANSACTIONS);
    f.appender.failing = false;
    await advance(f, 1_500);
    assert.equal(f.coordinator.stateOf('tx')?.state, 'CompleteCommit');
  });

  it('a retried EndTxn after the coordinator aborted the transaction on timeout is PRODUCER_FENCED', async () => {
    const f = await txnFixture(['transaction.abort.timed.out.transaction.cleanup.interval.ms=1000']);
    const p = await setup(f, 5_000);
    assert.equal(await add(f, p), ErrorCode.NONE);
    await advance(f, 6_500, 100);
    assert.deepEqual(f.coordinator.stateOf('tx') && { state: f.coordinator.stateOf('tx')!.state, epoch: f.coordinator.stateOf('tx')!.producerEpoch }, {
      state: 'CompleteAbort',
      epoch: p.producerEpoch + 1,
    });
    assert.equal(await end(f, p, false), ErrorCode.PRODUCER_FENCED);
    assert.equal(await end(f, p, true), ErrorCode.PRODUCER_FENCED);
    assert.equal(await add(f, p), ErrorCode.PRODUCER_FENCED);
    // KIP-360 from the fenced producer: fenced too (only a new InitProducerId without id recovers).
    assert.equal((await init(f, p)).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.deepEqual(await init(f, null), { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: p.producerEpoch + 2 });
  });

  it('KIP-360 after an abortable error: EndTxn(abort), InitProducerId(id, epoch) waits out PrepareAbort, then bumps; EndTxn in Empty is INVALID_TXN_STATE', async () => {
    const f = await txnFixture();
    const p = await setup(f);
    await endWithMarkersFailing(f, p, false);
    assert.equal((await init(f, p)).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
    assert.equal(await end(f, p, false), ErrorCode.CONCURRENT_TRANSACTIONS); // a retried abort
    f.appender.failing = false;
    await advance(f, 1_500);
    assert.equal(await end(f, p, false), ErrorCode.NONE); // a retried abort, once complete
    const bumped = await init(f, p);
    assert.deepEqual(bumped, { errorCode: ErrorCode.NONE, producerId: p.producerId, producerEpoch: p.producerEpoch + 1 });
    assert.deepEqual(await init(f, p), bumped, 'a retry of the bump (answer lost) gets the same epoch');
    assert.equal(f.coordinator.stateOf('tx')?.state, 'Empty');
    assert.equal(await end(f, bumped, false), ErrorCode.INVALID_TXN_STATE);
    assert.equal(await end(f, p, false), ErrorCode.PRODUCER_FENCED);
    assert.equal(await add(f, bumped), ErrorCode.NONE);
    assert.equal(await end(f, bumped, true), ErrorCode.NONE);
  });

  it('KIP-360 InitProducerId for an id the coordinator does not know gets a fresh producer id at epoch 0', async () => {
    const f = await txnFixture(['transactional.id.expiration.ms=10000', 'transaction.remove.expired.transaction.cleanup.interval.ms=2000']);
    const first = await drive(f, f.coordinator.initProducerId('never-seen', 60_000, { producerId: 42n, producerEpoch: 3 }));
    assert.deepEqual(first, { errorCode: ErrorCode.NONE, producerId: 0n, producerEpoch: 0 });
    // An id that expired while its producer was idle: the producer's KIP-360 call starts it over.
    const p = await setup(f);
    await advance(f, 12_500, 500);
    assert.equal(f.coordinator.stateOf('tx'), null);
    const again = await init(f, p);
    assert.equal(again.errorCode, ErrorCode.NONE);
    assert.notEqual(again.producerId, p.producerId);
    assert.equal(again.producerEpoch, 0);
    // The old id/epoch is now simply another producer's: fenced.
    assert.equal((await init(f, p)).errorCode, ErrorCode.PRODUCER_FENCED);
  });

  it('a fencing abort forgets the epoch before the last KIP-360 bump: a late "retry" with it is fenced', async () => {
    const f = await txnFixture(['transaction.abort.timed.out.transaction.cleanup.interval.ms=1000']);
    const p = await setup(f, 5_000);
    const bumped = await init(f, p, 5_000); // KIP-360: epoch 1, remembers 0 for retries
    assert.equal(bumped.producerEpoch, p.producerEpoch + 1);
    assert.equal(await add(f, bumped), ErrorCode.NONE);
    await advance(f, 6_500, 100); // timed out: aborted under epoch 2
    assert.equal(f.coordinator.stateOf('tx')?.state, 'CompleteAbort');
    assert.equal(f.coordinator.stateOf('tx')?.producerEpoch, p.producerEpoch + 2);
    assert.equal((await init(f, p, 5_000)).errorCode, ErrorCode.PRODUCER_FENCED);
    assert.equal((await init(f, bumped, 5_000)).errorCode, ErrorCode.PRODUCER_FENCED);
    await settle();
  });
});

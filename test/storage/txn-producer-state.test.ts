/**
 * Goal: the transaction rules of storage/producer-state.ts and control-batch.ts: a transactional
 * batch starts a transaction, a marker ends it (commit / abort, returned as a completed
 * transaction), completed transactions hold the first unstable offset until the high watermark
 * passes the marker, marker checks (stale producer epoch, fenced coordinator epoch), a plain batch
 * inside a transaction, truncation reopening or forgetting transactions, expiry sparing ongoing
 * transactions, snapshot v2 round trip and reading a v1 snapshot. Method: ProducerStateManager
 * driven directly with batch descriptions; control batches built and parsed back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batch } from '../../src/protocol/records/batch.js';
import { buildControlBatch, readControlRecord, type TxnMarker } from '../../src/storage/control-batch.js';
import { ProducerStateError, ProducerStateManager, type ProducerBatch } from '../../src/storage/producer-state.js';
import { buildBatch } from '../helpers/batches.js';

const A = 7n;
const B = 8n;

function txb(producerId: bigint, baseSequence: number, records = 1, epoch = 0): ProducerBatch {
  return { producerId, epoch, baseSequence, lastOffsetDelta: records - 1, transactional: true };
}

function marker(producerId: bigint, commit: boolean, coordinatorEpoch = 0, producerEpoch = 0): TxnMarker {
  return { producerId, producerEpoch, coordinatorEpoch, commit };
}

function expectError(fn: () => unknown, kind: ProducerStateError['kind']): void {
  assert.throws(fn, (err: unknown) => err instanceof ProducerStateError && err.kind === kind);
}

describe('control batches', () => {
  it('builds Kafka-format markers and reads them back', () => {
    const b = buildControlBatch({ producerId: 42n, producerEpoch: 3, coordinatorEpoch: 9, commit: false }, { timestampMs: 1234, baseOffset: 17 });
    assert.equal(batch.isControl(b), true);
    assert.equal(batch.isTransactional(b), true);
    assert.equal(batch.baseSequence(b), -1);
    assert.equal(batch.baseOffset(b), 17);
    assert.equal(batch.crcValid(b), true);
    assert.deepEqual(readControlRecord(b), { producerId: 42n, producerEpoch: 3, coordinatorEpoch: 9, commit: false });
    const commit = buildControlBatch({ producerId: 42n, producerEpoch: 3, coordinatorEpoch: 9, commit: true }, { timestampMs: 1234 });
    assert.equal(readControlRecord(commit)?.commit, true);
    assert.equal(readControlRecord(buildBatch({ records: [{ value: 'x' }] })), null, 'a data batch is no marker');
  });
});

describe('transactions in producer state', () => {
  it('a transaction starts at its first batch, ends at its marker, and stays unstable until the high watermark passes the marker', () => {
    const m = new ProducerStateManager();
    m.record(txb(A, 0, 2), 10, 0);
    m.record(txb(A, 2), 12, 0);
    assert.equal(m.ongoingTxnFirstOffset(A), 10);
    m.record(txb(B, 0), 13, 0);
    assert.equal(m.firstUnstableOffset(), 10);
    const done = m.recordMarker(marker(A, false), 14, 0);
    assert.deepEqual(done, { producerId: A, firstOffset: 10, lastOffset: 14, aborted: true });
    assert.equal(m.ongoingTxnFirstOffset(A), null);
    assert.equal(m.firstUnstableOffset(), 10, 'the aborted transaction is unstable until its marker is replicated');
    m.onHighWatermark(14);
    assert.equal(m.firstUnstableOffset(), 10);
    m.onHighWatermark(15);
    assert.equal(m.firstUnstableOffset(), 13, "B's ongoing transaction remains");
    assert.equal(m.lastStableOffsetAfter(20), 13);
    m.recordMarker(marker(B, true), 16, 0);
    m.onHighWatermark(17);
    assert.equal(m.firstUnstableOffset(), null);
    assert.equal(m.lastStableOffsetAfter(20), 21);
  });

  it('checks markers: a stale producer epoch and an older coordinator epoch are refused; an unknown producer is accepted', () => {
    const m = new ProducerStateManager();
    m.begin().checkMarker(marker(A, true, 0, 0));
    const tx = m.begin();
    tx.record(txb(A, 0, 1, 2), 0, 0);
    tx.recordMarker(marker(A, true, 5, 2), 1, 0);
    tx.commit();
    assert.equal(m.get(A)?.coordinatorEpoch, 5);
    expectError(() => m.begin().checkMarker(marker(A, false, 5, 1)), 'invalidProducerEpoch');
    expectError(() => m.begin().checkMarker(marker(A, false, 4, 2)), 'transactionCoordinatorFenced');
    m.begin().checkMarker(marker(A, false, 6, 3));
  });

  it('a marker with a bumped producer epoch fences the old epoch; a marker without a transaction completes an empty one', () => {
    const m = new ProducerStateManager();
    m.record(txb(A, 0, 1, 1), 0, 0);
    const done = m.recordMarker(marker(A, false, 0, 2), 1, 0);
    assert.equal(done.firstOffset, 0);
    assert.equal(m.get(A)?.epoch, 2);
    expectError(() => m.begin().checkLeader(txb(A, 1, 1, 1)), 'invalidProducerEpoch');
    const empty = m.recordMarker(marker(B, true), 5, 0);
    assert.deepEqual(empty, { producerId: B, firstOffset: 5, lastOffset: 5, aborted: false });
  });

  it('a non-transactional batch during a transaction is INVALID_TXN_STATE', () => {
    const m = new ProducerStateManager();
    m.record(txb(A, 0), 0, 0);
    expectError(() => m.begin().checkLeader({ producerId: A, epoch: 0, baseSequence: 1, lastOffsetDelta: 0 }), 'invalidTxnState');
    assert.equal(m.begin().checkLeader(txb(A, 1)), null);
  });

  it('a rejected marker leaves no trace; a committed tx hands its completed transactions up', () => {
    const m = new ProducerStateManager();
    m.record(txb(A, 0), 0, 0);
    const tx = m.begin();
    tx.recordMarker(marker(A, true), 1, 0);
    assert.equal(m.ongoingTxnFirstOffset(A), 0, 'nothing reaches the manager before commit');
    tx.commit();
    assert.equal(m.ongoingTxnFirstOffset(A), null);
    assert.equal(m.firstUnstableOffset(), 0);
  });

  it('truncation forgets transactions that started past the point and reopens those whose marker it removed', () => {
    const m = new ProducerStateManager();
    m.record(txb(A, 0), 0, 0);
    m.record(txb(A, 1), 1, 0);
    m.recordMarker(marker(A, false), 2, 0);
    m.record(txb(B, 0), 3, 0);
    m.truncateTo(3);
    assert.equal(m.ongoingTxnFirstOffset(B), null);
    assert.equal(m.get(B), undefined);
    assert.equal(m.ongoingTxnFirstOffset(A), null);
    m.truncateTo(2);
    assert.equal(m.ongoingTxnFirstOffset(A), 0, 'the marker is gone: the transaction is ongoing again');
    assert.equal(m.firstUnstableOffset(), 0);
    m.truncateTo(0);
    assert.equal(m.get(A), undefined);
    assert.equal(m.firstUnstableOffset(), null);
  });

  it('producers with an ongoing transaction do not expire', () => {
    const m = new ProducerStateManager();
    m.record(txb(A, 0), 0, 0);
    m.record({ producerId: B, epoch: 0, baseSequence: 0, lastOffsetDelta: 0 }, 1, 0);
    assert.equal(m.removeExpired(1_000_000, 1000), 1);
    assert.ok(m.get(A));
    assert.equal(m.get(B), undefined);
  });

  it('snapshot v2 keeps coordinatorEpoch and the ongoing transaction; a v1 snapshot still loads', () => {
    const m = new ProducerStateManager();
    m.record(txb(A, 0, 3), 10, 5);
    m.recordMarker(marker(B, true, 4), 13, 5);
    const restored = new ProducerStateManager();
    assert.equal(restored.loadSnapshot(m.encodeSnapshot()), null);
    assert.equal(restored.ongoingTxnFirstOffset(A), 10);
    assert.equal(restored.firstUnstableOffset(), 10);
    assert.equal(restored.get(B)?.coordinatorEpoch, 4);
    assert.deepEqual(restored.get(A)?.batches, m.get(A)?.batches);
    const v1 = m.encodeSnapshot({ version: 1 });
    assert.equal(v1.readInt16BE(0), 1);
    const fromV1 = new ProducerStateManager();
    assert.equal(fromV1.loadSnapshot(v1), null);
    assert.equal(fromV1.get(A)?.epoch, 0);
    assert.deepEqual(fromV1.get(A)?.batches, m.get(A)?.batches);
    assert.equal(fromV1.get(A)?.coordinatorEpoch, -1);
    assert.equal(fromV1.ongoingTxnFirstOffset(A), null, 'v1 has no transaction fields');
    const bad = m.encodeSnapshot();
    bad.writeInt16BE(3, 0);
    assert.match(new ProducerStateManager().loadSnapshot(bad) ?? '', /version 3/);
  });
});

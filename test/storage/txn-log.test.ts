/**
 * Goal: the transaction side of PartitionLog: the last stable offset and its interplay with the high
 * watermark, appendControlAsLeader (markers checked against producer state), the `.txnindex` (Kafka's
 * 34-byte entries written on abort, read back by abortedTransactions, rebuilt after a crash that lost
 * it, truncated with a torn tail, truncated by truncateTo, removed with its segment), follower
 * appends of markers, and the log cleaner dropping aborted data while never cleaning past the first
 * unstable offset. Method: PartitionLog on the in-memory Disk with real v2 batches (test builder) and
 * control batches; crashes through MemoryDisk.crash (page cache kept or lost) and direct file damage.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batch } from '../../src/protocol/records/batch.js';
import { readRecordsSync } from '../../src/protocol/records/builder.js';
import { buildControlBatch } from '../../src/storage/control-batch.js';
import { LogCleaner } from '../../src/storage/log-cleaner.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import type { PartitionLog } from '../../src/storage/partition-log.js';
import { ProducerStateError } from '../../src/storage/producer-state.js';
import { buildBatch } from '../helpers/batches.js';
import { fixture, logBatches, settle, testConfig } from './support.js';

const DIR = '/data/orders-0';
const file = (base: number, suffix: string): string => `${DIR}/${String(base).padStart(20, '0')}${suffix}`;
const A = 7n;
const B = 8n;
const sequences = new WeakMap<PartitionLog, Map<bigint, number>>();

/** One transactional (or, with pid -1, plain) data batch of one record. */
async function data(log: PartitionLog, producerId: bigint, value: string, key: string | null = null): Promise<number> {
  const seqs = sequences.get(log) ?? new Map<bigint, number>();
  sequences.set(log, seqs);
  const seq = seqs.get(producerId) ?? 0;
  seqs.set(producerId, seq + 1);
  const b =
    producerId < 0n
      ? buildBatch({ records: [{ key, value }] })
      : buildBatch({ records: [{ key, value }], producerId: Number(producerId), producerEpoch: 0, baseSequence: seq, transactional: true });
  return (await log.appendAsLeader(b, { leaderEpoch: 0 })).baseOffset;
}

async function end(log: PartitionLog, producerId: bigint, commit: boolean, coordinatorEpoch = 0): Promise<number> {
  return (await log.appendControlAsLeader({ producerId, producerEpoch: 0, coordinatorEpoch, commit }, 0, 5000)).baseOffset;
}

function decodeTxnIndex(bytes: Buffer): Array<{ version: number; producerId: bigint; firstOffset: number; lastOffset: number; lastStableOffset: number }> {
  assert.equal(bytes.length % 34, 0);
  const out = [];
  for (let at = 0; at < bytes.length; at += 34) {
    out.push({
      version: bytes.readInt16BE(at),
      producerId: bytes.readBigInt64BE(at + 2),
      firstOffset: Number(bytes.readBigInt64BE(at + 10)),
      lastOffset: Number(bytes.readBigInt64BE(at + 18)),
      lastStableOffset: Number(bytes.readBigInt64BE(at + 26)),
    });
  }
  return out;
}

describe('last stable offset and markers', () => {
  it('the LSO is the high watermark or the first unstable offset, and moves with the high watermark', async () => {
    const f = fixture();
    const log = await f.open();
    assert.equal(await data(log, A, 'a0'), 0);
    await data(log, A, 'a1');
    await data(log, -1n, 'plain');
    log.highWatermark = 3;
    assert.equal(log.lastStableOffset, 0, 'A is ongoing from 0');
    assert.equal(log.firstUnstableOffset, 0);
    assert.equal(log.ongoingTxnFirstOffset(A), 0);
    assert.equal(await end(log, A, false), 3);
    assert.equal(log.ongoingTxnFirstOffset(A), null);
    assert.equal(log.lastStableOffset, 0, 'the marker is not below the high watermark yet');
    log.highWatermark = 4;
    assert.equal(log.lastStableOffset, 4);
    assert.equal(log.firstUnstableOffset, null);
    assert.deepEqual(log.abortedTransactions(0, 4), [{ producerId: A, firstOffset: 0 }]);
    assert.deepEqual(log.abortedTransactions(4, 10), [], 'a transaction ending before the range is not listed');
    assert.deepEqual(log.abortedTransactions(3, 4), [{ producerId: A, firstOffset: 0 }], 'the range holding only the marker overlaps it');
    // A committed transaction is never listed; B ongoing caps the LSO below the high watermark.
    await data(log, B, 'b0');
    await data(log, A, 'a2');
    log.highWatermark = log.logEndOffset;
    assert.equal(log.lastStableOffset, 4);
    await end(log, A, true);
    await end(log, B, true);
    log.highWatermark = log.logEndOffset;
    assert.equal(log.lastStableOffset, log.logEndOffset);
    assert.deepEqual(log.abortedTransactions(0, log.logEndOffset), [{ producerId: A, firstOffset: 0 }]);
    assert.deepEqual(
      log.producers().map((p) => [p.producerId, p.currentTxnStartOffset, p.coordinatorEpoch]),
      [
        [A, -1, 0],
        [B, -1, 0],
      ],
    );
    await log.flush();
    assert.deepEqual(decodeTxnIndex(f.disk.fileBytes(file(0, '.txnindex'))), [{ version: 0, producerId: A, firstOffset: 0, lastOffset: 3, lastStableOffset: 4 }]);
    await log.close();
  });

  it('refuses a marker from an older coordinator epoch or producer epoch and writes nothing', async () => {
    const f = fixture();
    const log = await f.open();
    await data(log, A, 'a0');
    await end(log, A, true, 3);
    const before = log.logEndOffset;
    await assert.rejects(end(log, A, false, 2), (err: unknown) => err instanceof ProducerStateError && err.kind === 'transactionCoordinatorFenced');
    await assert.rejects(
      log.appendControlAsLeader({ producerId: A, producerEpoch: -1, coordinatorEpoch: 3, commit: true }, 0, 1),
      (err: unknown) => err instanceof ProducerStateError && err.kind === 'invalidProducerEpoch',
    );
    assert.equal(log.logEndOffset, before);
    assert.equal((await end(log, A, false, 3)) >= before, true, 'the same coordinator epoch is fine');
    await log.close();
  });

  it('a follower records markers from the leader into producer state and its txn index', async () => {
    const f = fixture();
    const log = await f.open();
    const parts = [
      buildBatch({ baseOffset: 0, records: [{ value: 'x' }], producerId: 7, producerEpoch: 1, baseSequence: 0, transactional: true }),
      buildControlBatch({ producerId: A, producerEpoch: 1, coordinatorEpoch: 4, commit: false }, { timestampMs: 1, baseOffset: 1 }),
      buildBatch({ baseOffset: 2, records: [{ value: 'y' }], producerId: 8, producerEpoch: 0, baseSequence: 0, transactional: true }),
    ];
    await log.appendAsFollower(Buffer.concat(parts));
    log.highWatermark = 3;
    assert.deepEqual(log.abortedTransactions(0, 3), [{ producerId: A, firstOffset: 0 }]);
    assert.equal(log.ongoingTxnFirstOffset(B), 2);
    assert.equal(log.lastStableOffset, 2);
    assert.equal(log.producers().find((p) => p.producerId === A)?.coordinatorEpoch, 4);
    await log.close();
  });
});

describe('.txnindex recovery, truncation and deletion', () => {
  it('a crash that lost the txn index (page cache kept, index never written) rebuilds it, across segments and snapshots', async () => {
    const f = fixture({ segmentBytes: 400 });
    const log = await f.open();
    const aborted: Array<{ producerId: bigint; firstOffset: number }> = [];
    for (let round = 0; round < 6; round++) {
      const first = await data(log, A, `a${round}`);
      await data(log, -1n, 'filler-'.repeat(8));
      await data(log, A, `a${round}b`);
      await end(log, A, round % 2 === 0);
      if (round % 2 !== 0) aborted.push({ producerId: A, firstOffset: first });
    }
    await data(log, B, 'open'); // B's transaction is still open at the crash
    const bEnd = log.logEndOffset;
    assert.ok(log.segmentBaseOffsets().length >= 3, 'rolled');
    assert.ok(log.producerSnapshotOffsets().length > 0, 'snapshots were written on roll');
    assert.deepEqual(log.abortedTransactions(0, bEnd), aborted);
    await settle();
    // Kill -9: the process dies, the page cache keeps every written byte, in-memory indexes are gone.
    f.disk.crash({ keepUnsyncedBytes: (_path, n) => n });
    for (const p of f.disk.listFiles()) if (p.endsWith('.txnindex')) await f.disk.rm(p);
    const reopened = await f.open();
    assert.equal(reopened.logEndOffset, bEnd);
    assert.deepEqual(reopened.abortedTransactions(0, bEnd), aborted);
    assert.equal(reopened.ongoingTxnFirstOffset(B), bEnd - 1);
    reopened.highWatermark = bEnd;
    assert.equal(reopened.lastStableOffset, bEnd - 1);
    await reopened.flush();
    const onDisk = f.disk.listFiles().filter((p) => p.endsWith('.txnindex'));
    assert.equal(onDisk.reduce((n, p) => n + decodeTxnIndex(f.disk.fileBytes(p)).length, 0), aborted.length, 'the rebuilt entries reach the files');
    await reopened.close();
  });

  it('a torn tail that cut an abort marker reopens its transaction and drops its index entry', async () => {
    const f = fixture();
    const log = await f.open();
    await data(log, A, 'a0');
    await end(log, A, false);
    await data(log, B, 'b0');
    await data(log, B, 'b1');
    await end(log, B, false);
    await log.close();
    assert.equal(decodeTxnIndex(f.disk.fileBytes(file(0, '.txnindex'))).length, 2);
    const h = await f.disk.open(file(0, '.log'), 'r+');
    await h.truncate((await h.size()) - 5); // tears the last batch: B's abort marker
    await h.close();
    const reopened = await f.open();
    assert.equal(reopened.logEndOffset, 4);
    assert.equal(reopened.ongoingTxnFirstOffset(B), 2);
    assert.deepEqual(reopened.abortedTransactions(0, 4), [{ producerId: A, firstOffset: 0 }]);
    reopened.highWatermark = 4;
    assert.equal(reopened.lastStableOffset, 2);
    await reopened.flush();
    assert.equal(decodeTxnIndex(f.disk.fileBytes(file(0, '.txnindex'))).length, 1);
    await reopened.close();
  });

  it('truncateTo drops index entries at or past the point and reopens the transaction whose marker it removed', async () => {
    const f = fixture();
    const log = await f.open();
    await data(log, A, 'a0');
    await data(log, A, 'a1');
    await end(log, A, false);
    await data(log, B, 'b0');
    await log.flush();
    assert.equal(decodeTxnIndex(f.disk.fileBytes(file(0, '.txnindex'))).length, 1);
    await log.truncateTo(2);
    assert.deepEqual(log.abortedTransactions(0, 10), []);
    assert.equal(log.ongoingTxnFirstOffset(A), 0);
    assert.equal(log.ongoingTxnFirstOffset(B), null);
    log.highWatermark = 2;
    assert.equal(log.lastStableOffset, 0);
    await log.flush();
    assert.equal(f.disk.fileBytes(file(0, '.txnindex')).length, 0);
    await log.close();
  });

  it('the txn index goes with its segment when retention removes it', async () => {
    const f = fixture({ segmentBytes: 300 });
    const log = await f.open();
    await data(log, A, 'a0');
    await end(log, A, false);
    for (let i = 0; i < 6; i++) await data(log, -1n, 'filler-'.repeat(10));
    await log.flush();
    assert.ok(f.disk.listFiles().includes(file(0, '.txnindex')));
    log.highWatermark = log.logEndOffset;
    await log.deleteRecordsBefore(log.segmentBaseOffsets().at(-1)!);
    await settle();
    assert.ok(!f.disk.listFiles().some((p) => p.includes('00000000000000000000.txnindex')), f.disk.listFiles().join(' '));
    assert.deepEqual(log.abortedTransactions(0, log.logEndOffset), []);
    await log.close();
  });
});

describe('log cleaner and transactions', () => {
  function compactConfig(): LogConfig {
    return { ...testConfig({ segmentBytes: 400 }), cleanupPolicy: ['compact'], deleteRetentionMs: 10_000, minCompactionLagMs: 0, minCleanableDirtyRatio: 0.01 } as LogConfig;
  }

  async function keyValues(log: PartitionLog): Promise<{ values: Array<[string, string]>; markers: number }> {
    const values: Array<[string, string]> = [];
    let markers = 0;
    for (const b of await logBatches(log)) {
      if (batch.isControl(b)) markers++;
      else for (const r of readRecordsSync(b)) values.push([r.key!.toString(), r.value!.toString()]);
    }
    return { values, markers };
  }

  it('drops aborted data (which never shadows committed data), keeps markers, and stops at the first unstable offset', async () => {
    const f = fixture();
    const log = await f.open({ config: compactConfig() });
    await data(log, A, 'committed', 'k');
    await end(log, A, true);
    await data(log, B, 'aborted', 'k');
    await end(log, B, false);
    for (let i = 0; i < 8; i++) await data(log, -1n, `v${i}`, `other${i % 2}`);
    const openTxn = 7100n;
    const ongoingAt = await data(log, openTxn, 'pending', 'k');
    for (let i = 0; i < 8; i++) await data(log, -1n, `w${i}`, `late${i % 2}`);
    log.highWatermark = log.logEndOffset;
    assert.equal(log.firstUnstableOffset, ongoingAt);
    const cleaner = new LogCleaner({ clock: f.clock });
    const result = await cleaner.clean(log);
    assert.ok(result.cleaned, JSON.stringify(result));
    const after = await keyValues(log);
    assert.ok(!after.values.some(([, v]) => v === 'aborted'), 'aborted data removed');
    assert.ok(after.values.some(([k, v]) => k === 'k' && v === 'committed'), 'the aborted record did not shadow the committed one');
    assert.ok(after.values.some(([, v]) => v === 'pending'), 'the ongoing transaction is untouched');
    assert.equal(after.markers, 2, 'markers are kept');
    const lateKept = after.values.filter(([k]) => k.startsWith('late')).length;
    assert.equal(lateKept, 8, 'nothing at or past the first unstable offset was cleaned');
    assert.deepEqual(log.abortedTransactions(0, log.logEndOffset), [{ producerId: B, firstOffset: 2 }], 'the txn index entry survives the swap');
    await log.close();
  });
});

/**
 * Goal: the idempotent-producer rules of storage/producer-state.ts (duplicates, gaps, epochs,
 * unknown producers, sequence wrap, expiry, snapshots) and their use by PartitionLog (duplicate
 * suppression on the leader path, gathered appends, follower recording, rebuild after restart from
 * snapshot + tail scan and from the active segment alone). Method: ProducerStateManager driven
 * directly with batch descriptions; PartitionLog on the in-memory Disk with real v2 batches.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { batch } from '../../src/protocol/records/batch.js';
import {
  BATCHES_RETAINED,
  incrementSequence,
  ProducerStateError,
  ProducerStateManager,
  type ProducerBatch,
} from '../../src/storage/producer-state.js';
import { buildBatch, splitBatches } from '../helpers/batches.js';
import { fixture } from './support.js';

const PID = 1000n;

function pb(baseSequence: number, records = 1, epoch = 0, producerId = PID): ProducerBatch {
  return { producerId, epoch, baseSequence, lastOffsetDelta: records - 1 };
}

/** Leader-style append on the manager: check, record at `offset`, commit. Returns the duplicate's original offset or null. */
function leaderAppend(m: ProducerStateManager, b: ProducerBatch, offset: number, nowMs = 0): number | null {
  const tx = m.begin();
  const dup = tx.checkLeader(b);
  if (dup !== null) return dup.firstOffset;
  tx.record(b, offset, nowMs);
  tx.commit();
  return null;
}

function expectError(fn: () => unknown, kind: ProducerStateError['kind']): void {
  assert.throws(fn, (err: unknown) => err instanceof ProducerStateError && err.kind === kind);
}

describe('ProducerStateManager rules', () => {
  it('accepts in-order batches and reports a resent batch as a duplicate with its original offset', () => {
    const m = new ProducerStateManager();
    assert.equal(leaderAppend(m, pb(0, 3), 10), null);
    assert.equal(leaderAppend(m, pb(3, 2), 13), null);
    assert.equal(leaderAppend(m, pb(0, 3), 99), 10);
    assert.equal(leaderAppend(m, pb(3, 2), 99), 13);
    assert.equal(m.get(PID)!.batches.length, 2);
  });

  it('only the last 5 batches are duplicates; an older resend is out of order', () => {
    const m = new ProducerStateManager();
    for (let i = 0; i < 7; i++) assert.equal(leaderAppend(m, pb(i), i), null);
    assert.equal(m.get(PID)!.batches.length, BATCHES_RETAINED);
    assert.equal(leaderAppend(m, pb(2), 100), 2);
    expectError(() => m.begin().checkLeader(pb(1)), 'outOfOrderSequence');
  });

  it('a gap is OUT_OF_ORDER_SEQUENCE_NUMBER, a partial overlap too', () => {
    const m = new ProducerStateManager();
    leaderAppend(m, pb(0, 2), 0);
    expectError(() => m.begin().checkLeader(pb(3)), 'outOfOrderSequence');
    expectError(() => m.begin().checkLeader(pb(1)), 'outOfOrderSequence');
    assert.equal(m.begin().checkLeader(pb(2)), null);
  });

  it('a stale epoch is INVALID_PRODUCER_EPOCH; a bumped epoch must start at 0 and resets the batches', () => {
    const m = new ProducerStateManager();
    leaderAppend(m, pb(0, 1, 3), 0);
    expectError(() => m.begin().checkLeader(pb(1, 1, 2)), 'invalidProducerEpoch');
    expectError(() => m.begin().checkLeader(pb(5, 1, 4)), 'outOfOrderSequence');
    assert.equal(leaderAppend(m, pb(0, 1, 4), 1), null);
    assert.equal(m.get(PID)!.epoch, 4);
    assert.equal(m.get(PID)!.batches.length, 1);
    // The old epoch's batch is no duplicate any more: its epoch is stale.
    expectError(() => m.begin().checkLeader(pb(0, 1, 3)), 'invalidProducerEpoch');
  });

  it('an unknown producer id is accepted at any sequence (KIP-360: state expired or truncated)', () => {
    const m = new ProducerStateManager();
    assert.equal(leaderAppend(m, pb(4711), 0), null);
    assert.equal(m.begin().checkLeader(pb(4712)), null);
  });

  it('sequences wrap from Int32 max to 0', () => {
    assert.equal(incrementSequence(2147483646, 1), 2147483647);
    assert.equal(incrementSequence(2147483647, 1), 0);
    assert.equal(incrementSequence(2147483640, 10), 2);
    const m = new ProducerStateManager();
    leaderAppend(m, pb(2147483646, 2), 0); // 2147483646..2147483647
    assert.equal(leaderAppend(m, pb(0, 3), 2), null);
    leaderAppend(m, { producerId: PID, epoch: 0, baseSequence: 3, lastOffsetDelta: 2147483647 - 3 + 1 }, 5); // 3..0 (wraps)
    assert.equal(m.get(PID)!.batches.at(-1)!.lastSeq, 0);
    assert.equal(m.begin().checkLeader(pb(1)), null);
  });

  it('non-idempotent batches (producerId -1) are never checked or recorded', () => {
    const m = new ProducerStateManager();
    const plain = { producerId: -1n, epoch: -1, baseSequence: -1, lastOffsetDelta: 0 };
    assert.equal(leaderAppend(m, plain, 0), null);
    assert.equal(leaderAppend(m, plain, 1), null);
    assert.equal(m.size, 0);
  });

  it('a tx that is not committed leaves no trace; checks inside a tx see its earlier batches', () => {
    const m = new ProducerStateManager();
    const group = m.begin();
    const a = group.begin();
    a.record(pb(0), 0, 0);
    a.commit();
    const b = group.begin();
    assert.equal(b.checkLeader(pb(0))!.firstOffset, 0);
    expectError(() => b.checkLeader(pb(2)), 'outOfOrderSequence');
    assert.equal(m.size, 0);
    group.commit();
    assert.equal(m.size, 1);
  });

  it('expires producers idle for producer.id.expiration.ms', () => {
    const m = new ProducerStateManager();
    leaderAppend(m, pb(0, 1, 0, 1n), 0, 1000);
    leaderAppend(m, pb(0, 1, 0, 2n), 1, 5000);
    assert.equal(m.removeExpired(10_999, 10_000), 0);
    assert.equal(m.removeExpired(11_000, 10_000), 1);
    assert.deepEqual(m.producerIds(), [2n]);
  });

  it('truncation forgets batches at or past the offset', () => {
    const m = new ProducerStateManager();
    leaderAppend(m, pb(0, 1, 0, 1n), 0);
    leaderAppend(m, pb(1, 1, 0, 1n), 1);
    leaderAppend(m, pb(0, 1, 0, 2n), 2);
    m.truncateTo(1);
    assert.equal(m.get(1n)!.batches.length, 1);
    assert.equal(m.get(2n), undefined);
  });

  it('snapshots round-trip and damaged ones are rejected', () => {
    const m = new ProducerStateManager();
    leaderAppend(m, pb(0, 2, 1, 7n), 0, 123);
    leaderAppend(m, pb(2, 1, 1, 7n), 2, 456);
    leaderAppend(m, pb(0, 1, 0, 8n), 3, 789);
    const bytes = m.encodeSnapshot();
    const back = new ProducerStateManager();
    assert.equal(back.loadSnapshot(bytes), null);
    assert.deepEqual(back.get(7n), m.get(7n));
    assert.deepEqual(back.get(8n), m.get(8n));
    const bad = Buffer.from(bytes);
    bad[bad.length - 1]! ^= 1;
    assert.match(new ProducerStateManager().loadSnapshot(bad) ?? '', /CRC/);
  });
});

function idem(seq: number, opts: { epoch?: number; values?: string[]; pid?: number } = {}): Buffer {
  const values = opts.values ?? [`v${seq}`];
  return buildBatch({
    records: values.map((value) => ({ value })),
    producerId: opts.pid ?? 42,
    producerEpoch: opts.epoch ?? 0,
    baseSequence: seq,
  });
}

async function storedBatches(log: { read: (o: number, m: number, opts: { minOneMessage: boolean }) => Promise<{ records: Buffer }>; logEndOffset: number }): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let offset = 0;
  while (offset < log.logEndOffset) {
    const { records } = await log.read(offset, 1 << 20, { minOneMessage: true });
    const batches = splitBatches(records);
    out.push(...batches);
    offset = batch.lastOffset(batches.at(-1)!) + 1;
  }
  return out;
}

describe('PartitionLog idempotent appends', () => {
  it('suppresses a resent batch and answers with the original offsets', async () => {
    const f = fixture();
    const log = await f.open();
    const r0 = await log.appendAsLeader(idem(0, { values: ['a', 'b'] }), { leaderEpoch: 0 });
    const r1 = await log.appendAsLeader(idem(2), { leaderEpoch: 0 });
    const again = await log.appendAsLeader(idem(0, { values: ['a', 'b'] }), { leaderEpoch: 0 });
    assert.deepEqual([r0.baseOffset, r0.lastOffset, r1.baseOffset], [0, 1, 2]);
    assert.equal(again.baseOffset, 0);
    assert.equal(again.lastOffset, 1);
    assert.equal(again.duplicate, true);
    assert.equal(log.logEndOffset, 3);
    await assert.rejects(log.appendAsLeader(idem(5), { leaderEpoch: 0 }), (e: unknown) => e instanceof ProducerStateError && e.kind === 'outOfOrderSequence');
    assert.equal(log.logEndOffset, 3);
    await log.close();
  });

  it('checks per batch inside a gathered write: duplicates and rejected requests are not written', async () => {
    const f = fixture();
    const log = await f.open();
    await log.appendAsLeader(idem(0), { leaderEpoch: 0 });
    // Queued together behind the first append's write: one group.
    const results = await Promise.allSettled([
      log.appendAsLeader(idem(1), { leaderEpoch: 0 }),
      log.appendAsLeader(idem(1), { leaderEpoch: 0 }), // duplicate of the request just before it
      log.appendAsLeader(idem(9), { leaderEpoch: 0 }), // gap
      log.appendAsLeader(buildBatch({ records: [{ value: 'plain' }] }), { leaderEpoch: 0 }),
      log.appendAsLeader(idem(2), { leaderEpoch: 0 }),
    ]);
    const offsets = results.map((r) => (r.status === 'fulfilled' ? r.value.baseOffset : 'rejected'));
    assert.deepEqual(offsets, [1, 1, 'rejected', 2, 3]);
    assert.equal(log.logEndOffset, 4);
    const stored = await storedBatches(log);
    assert.deepEqual(
      stored.map((b) => [batch.baseOffset(b), batch.baseSequence(b)]),
      [
        [0, 0],
        [1, 1],
        [2, -1],
        [3, 2],
      ],
    );
    await log.close();
  });

  it('followers record producer state without checks', async () => {
    const f = fixture();
    const log = await f.open();
    const b = idem(7);
    batch.setBaseOffset(b, 0);
    await log.appendAsFollower(b);
    assert.deepEqual(log.producerEntry(42n), { epoch: 0, lastSequence: 7, lastOffset: 0 });
    await log.close();
  });

  it('rebuilds producer state after a restart from the snapshot written at close', async () => {
    const f = fixture();
    let log = await f.open();
    for (let s = 0; s < 3; s++) await log.appendAsLeader(idem(s), { leaderEpoch: 0 });
    await log.close();
    assert.deepEqual(
      (await f.disk.readdir(f.dir)).map((e) => e.name).filter((n) => n.endsWith('.snapshot')),
      ['00000000000000000003.snapshot'],
    );
    log = await f.open({ cleanShutdown: true });
    const dup = await log.appendAsLeader(idem(2), { leaderEpoch: 0 });
    assert.equal(dup.baseOffset, 2);
    assert.equal(dup.duplicate, true);
    await assert.rejects(log.appendAsLeader(idem(4), { leaderEpoch: 0 }), ProducerStateError);
    assert.equal((await log.appendAsLeader(idem(3), { leaderEpoch: 0 })).baseOffset, 3);
    await log.close();
  });

  it('rebuilds from a snapshot written at roll plus a scan of the tail after a crash', async () => {
    const f = fixture({ segmentBytes: 300 });
    let log = await f.open();
    for (let s = 0; s < 12; s++) await log.appendAsLeader(idem(s), { leaderEpoch: 0 });
    assert.ok(log.segmentBaseOffsets().length > 2, 'rolled');
    assert.ok(log.producerSnapshotOffsets().length > 0, 'snapshot on roll');
    await log.flush();
    // No close: a crash. Reopen with recovery from the flushed state.
    log = await f.open({ recoveryPoint: 0 });
    assert.deepEqual(log.producerEntry(42n), { epoch: 0, lastSequence: 11, lastOffset: 11 });
    const dup = await log.appendAsLeader(idem(10), { leaderEpoch: 0 });
    assert.equal(dup.baseOffset, 10);
    assert.equal(log.logEndOffset, 12);
    await log.close();
  });

  it('after a crash without a snapshot, rebuilds from the active segment', async () => {
    const f = fixture();
    let log = await f.open();
    for (let s = 0; s < 3; s++) await log.appendAsLeader(idem(s), { leaderEpoch: 0 });
    await log.close();
    await f.disk.rm(`${f.dir}/00000000000000000003.snapshot`);
    log = await f.open({ cleanShutdown: false, recoveryPoint: 0 });
    assert.deepEqual(log.producerEntry(42n), { epoch: 0, lastSequence: 2, lastOffset: 2 });
    assert.equal((await log.appendAsLeader(idem(1), { leaderEpoch: 0 })).baseOffset, 1);
    await log.close();
  });

  it('a partition without idempotent producers writes no snapshot', async () => {
    const f = fixture();
    let log = await f.open();
    await log.appendAsLeader(buildBatch({ records: [{ value: 'plain' }] }), { leaderEpoch: 0 });
    await log.close();
    assert.deepEqual(log.producerSnapshotOffsets(), []);
    log = await f.open({ cleanShutdown: true });
    assert.equal(log.logEndOffset, 1);
    await log.close();
  });

  it('truncation forgets the truncated batches and newer snapshots', async () => {
    const f = fixture();
    const log = await f.open();
    for (let s = 0; s < 3; s++) await log.appendAsLeader(idem(s), { leaderEpoch: 0 });
    await log.truncateTo(2);
    assert.deepEqual(log.producerEntry(42n), { epoch: 0, lastSequence: 1, lastOffset: 1 });
    assert.equal((await log.appendAsLeader(idem(2), { leaderEpoch: 0 })).baseOffset, 2);
    await log.close();
  });

  it('expires idle producers on the retention task', async () => {
    const f = fixture();
    const log = await f.open({ producerIdExpirationMs: 1000 });
    await log.appendAsLeader(idem(0), { leaderEpoch: 0 });
    f.clock.advance(1000);
    await log.applyRetention();
    assert.equal(log.producerEntry(42n), null);
    // Unknown again: any sequence is accepted.
    assert.equal((await log.appendAsLeader(idem(50), { leaderEpoch: 0 })).baseOffset, 1);
    await log.close();
  });
});

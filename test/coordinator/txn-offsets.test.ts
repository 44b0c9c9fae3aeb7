/**
 * Goal: offsets committed inside a transaction (TxnOffsetCommit) follow Kafka's rules: they are
 * written as the producer's transactional batch, stay invisible to OffsetFetch (UNSTABLE_OFFSET_COMMIT
 * with requireStable) until the COMMIT marker, vanish on ABORT, never override a plain commit written
 * later in the log, survive a coordinator restart in every state (pending, committed, aborted, marker
 * arriving while loading), are checked against the group on v3+ (KIP-447), and interplay with
 * OffsetDelete, DeleteGroups and expiry as Kafka's coordinator does.
 *
 * Method: GroupCoordinator over the in-memory __consumer_offsets log (which checks producer epochs and
 * sequences as the partition's producer state does) and a ManualClock. Markers are appended to the
 * log the way WriteTxnMarkers does and then announced with completeTransaction; restarts build a new
 * coordinator over the same log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { batch } from '../../src/protocol/records/batch.js';
import type { TxnCommitRequest } from '../../src/coordinator/group/offset-manager.js';
import { createTopic, fixture, joinNew, settle, syncOf, type Fixture } from './support.js';

const PID = 4000n;

function txn(groupId: string, parts: Array<[string, number, number, string?]>, extra: Partial<TxnCommitRequest> = {}): TxnCommitRequest {
  const topics = new Map<string, TxnCommitRequest['topics'][number]>();
  for (const [name, partitionIndex, offset, metadata] of parts) {
    let t = topics.get(name);
    if (!t) topics.set(name, (t = { name, partitions: [] }));
    t.partitions.push({ partitionIndex, committedOffset: offset, committedLeaderEpoch: 2, commitTimestampMs: -1, committedMetadata: metadata ?? 'tx' });
  }
  return {
    transactionalId: 'tid',
    producerId: PID,
    producerEpoch: 0,
    groupId,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [...topics.values()],
    ...extra,
  };
}

function codes(r: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of r) for (const p of t.partitions) out[`${t.name}-${p.partitionIndex}`] = p.errorCode;
  return out;
}

/** `t-p` → [offset, errorCode] for the listed partitions. */
function fetched(f: Fixture, groupId: string, partitions: number[], requireStable: boolean): Record<string, [number, number]> {
  const r = f.coordinator.fetchOffsets(groupId, [{ name: 't', partitionIndexes: partitions }], requireStable);
  assert.equal(r.errorCode, ErrorCode.NONE);
  const out: Record<string, [number, number]> = {};
  for (const t of r.topics) for (const p of t.partitions) out[`${t.name}-${p.partitionIndex}`] = [p.committedOffset, p.errorCode];
  return out;
}

/** Writes the producer's marker to the group's partition and tells the coordinator, as WriteTxnMarkers does. */
function marker(f: Fixture, groupId: string, commit: boolean, producerId = PID, epoch = 0): void {
  const partition = f.coordinator.partitionFor(groupId);
  f.offsetsLog.appendMarker(partition, producerId, epoch, commit);
  f.coordinator.completeTransaction(partition, producerId, commit);
}

const plain = (groupId: string, offset: number) => ({
  groupId,
  generationId: -1,
  memberId: '',
  groupInstanceId: null,
  topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestampMs: -1, committedMetadata: '' }] }],
});

describe('transactional offsets', () => {
  it('are written as the producer transactional batch and become visible only on COMMIT', async () => {
    const f = await fixture();
    await createTopic(f, 't', 2);
    const c = f.coordinator;
    assert.deepEqual(codes(await c.commitOffsets(plain('g', 5))), { 't-0': 0 });
    assert.deepEqual(codes(await c.commitTxnOffsets(txn('g', [['t', 0, 10], ['t', 1, 20]]))), { 't-0': 0, 't-1': 0 });

    const written = f.offsetsLog.batches.get(c.partitionFor('g'))!.at(-1)!;
    assert.ok(batch.isTransactional(written), 'transactional attribute set');
    assert.equal(batch.producerId(written), PID);
    assert.equal(batch.producerEpoch(written), 0);
    assert.equal(batch.baseSequence(written), 0);

    assert.deepEqual(fetched(f, 'g', [0, 1], false), { 't-0': [5, 0], 't-1': [-1, 0] }, 'without requireStable: the last committed values');
    assert.deepEqual(
      fetched(f, 'g', [0, 1], true),
      { 't-0': [-1, ErrorCode.UNSTABLE_OFFSET_COMMIT], 't-1': [-1, ErrorCode.UNSTABLE_OFFSET_COMMIT] },
      'requireStable: each pending partition is unstable',
    );
    assert.deepEqual(
      c.fetchOffsets('g', null, true).topics.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.errorCode])),
      [[0, ErrorCode.UNSTABLE_OFFSET_COMMIT]],
      'all-offsets fetch lists committed partitions only, unstable ones flagged',
    );

    marker(f, 'g', true);
    assert.deepEqual(fetched(f, 'g', [0, 1], true), { 't-0': [10, 0], 't-1': [20, 0] });
    const meta = c.fetchOffsets('g', [{ name: 't', partitionIndexes: [1] }], false).topics[0]!.partitions[0]!;
    assert.equal(meta.metadata, 'tx');
    assert.equal(meta.committedLeaderEpoch, 2);

    // The next transaction of the same producer continues its sequence in this partition.
    await c.commitTxnOffsets(txn('g', [['t', 0, 11]]));
    assert.equal(batch.baseSequence(f.offsetsLog.batches.get(c.partitionFor('g'))!.at(-1)!), 2);
  });

  it('are dropped on ABORT, leaving the committed value', async () => {
    const f = await fixture();
    await createTopic(f, 't', 1);
    const c = f.coordinator;
    await c.commitOffsets(plain('g', 5));
    await c.commitTxnOffsets(txn('g', [['t', 0, 10]]));
    marker(f, 'g', false);
    assert.deepEqual(fetched(f, 'g', [0], true), { 't-0': [5, 0] });
    // A marker for a producer with nothing pending changes nothing.
    marker(f, 'g', true);
    assert.deepEqual(fetched(f, 'g', [0], true), { 't-0': [5, 0] });
  });

  it('a plain commit written after the transactional one wins; one written before loses', async () => {
    const f = await fixture();
    await createTopic(f, 't', 1);
    const c = f.coordinator;
    await c.commitTxnOffsets(txn('g', [['t', 0, 10]]));
    await c.commitOffsets(plain('g', 7));
    marker(f, 'g', true);
    assert.deepEqual(fetched(f, 'g', [0], true), { 't-0': [7, 0] }, 'the later plain commit stays');

    await c.commitOffsets(plain('h', 7));
    await c.commitTxnOffsets(txn('h', [['t', 0, 10]], { producerId: PID + 1n }));
    marker(f, 'h', true, PID + 1n);
    assert.deepEqual(fetched(f, 'h', [0], true), { 't-0': [10, 0] }, 'the later transactional commit replaces it');

    // The same outcome after a restart, replaying the log.
    await f.restart();
    assert.deepEqual(fetched(f, 'g', [0], true), { 't-0': [7, 0] });
    assert.deepEqual(fetched(f, 'h', [0], true), { 't-0': [10, 0] });
  });

  it('survive a restart pending, committed or aborted, and a marker arriving while loading', async () => {
    const f = await fixture();
    await createTopic(f, 't', 3);
    const c = f.coordinator;
    await c.commitOffsets(plain('g', 1));
    await c.commitTxnOffsets(txn('g', [['t', 0, 10]], { producerId: 1n }));
    marker(f, 'g', true, 1n);
    await c.commitTxnOffsets(txn('g', [['t', 1, 20]], { producerId: 2n }));
    marker(f, 'g', false, 2n);
    await c.commitTxnOffsets(txn('g', [['t', 2, 30]], { producerId: 3n }));

    await f.restart();
    assert.deepEqual(fetched(f, 'g', [0, 1, 2], false), { 't-0': [10, 0], 't-1': [-1, 0], 't-2': [-1, 0] });
    assert.deepEqual(fetched(f, 'g', [2], true), { 't-2': [-1, ErrorCode.UNSTABLE_OFFSET_COMMIT] }, 'still pending after the restart');

    // Restart again, and let the marker of producer 3 be written while the shard loads.
    let release!: () => void;
    f.offsetsLog.readGate = new Promise<void>((r) => (release = r));
    const restarted = f.restart();
    await settle();
    assert.equal(f.coordinator.fetchOffsets('g', null, false).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    marker(f, 'g', true, 3n);
    f.offsetsLog.readGate = null;
    release();
    await restarted;
    await settle();
    assert.deepEqual(fetched(f, 'g', [0, 1, 2], true), { 't-0': [10, 0], 't-1': [-1, 0], 't-2': [30, 0] });
    await f.restart();
    assert.deepEqual(fetched(f, 'g', [0, 1, 2], true), { 't-0': [10, 0], 't-1': [-1, 0], 't-2': [30, 0] }, 'and from the log alone');
  });

  it('checks generation, member and instance on v3+ requests (KIP-447)', async () => {
    const f = await fixture();
    await createTopic(f, 't', 1);
    const c = f.coordinator;
    assert.deepEqual(codes(await c.commitTxnOffsets(txn('fresh', [['t', 0, 1]], { generationId: 2, memberId: 'm' }))), { 't-0': ErrorCode.ILLEGAL_GENERATION });
    assert.deepEqual(c.listGroups(null).groups, [], 'a rejected commit creates no group');
    assert.deepEqual(codes(await c.commitTxnOffsets(txn('', [['t', 0, 1]]))), { 't-0': ErrorCode.INVALID_GROUP_ID });

    const a = await joinNew(c, 'g', { groupInstanceId: 'i-1' });
    assert.deepEqual(codes(await c.commitTxnOffsets(txn('g', [['t', 0, 1]], { generationId: 1, memberId: a.memberId, groupInstanceId: 'i-1' }))), { 't-0': 0 }, 'no REBALANCE_IN_PROGRESS for transactional commits');
    syncOf(c, 'g', a.memberId, 1, []);
    await settle();
    const member = { generationId: 1, memberId: a.memberId };
    assert.deepEqual(codes(await c.commitTxnOffsets(txn('g', [['t', 0, 2]], { ...member, generationId: 0 }))), { 't-0': ErrorCode.ILLEGAL_GENERATION });
    assert.deepEqual(codes(await c.commitTxnOffsets(txn('g', [['t', 0, 2]], { ...member, memberId: 'ghost' }))), { 't-0': ErrorCode.UNKNOWN_MEMBER_ID });
    assert.deepEqual(codes(await c.commitTxnOffsets(txn('g', [['t', 0, 2]], { ...member, groupInstanceId: 'i-2' }))), { 't-0': ErrorCode.UNKNOWN_MEMBER_ID });
    assert.deepEqual(codes(await c.commitTxnOffsets(txn('g', [['t', 0, 2]], { ...member, memberId: 'other', groupInstanceId: 'i-1' }))), { 't-0': ErrorCode.FENCED_INSTANCE_ID });
    assert.deepEqual(codes(await c.commitTxnOffsets(txn('g', [['t', 0, 2]], { ...member, groupInstanceId: 'i-1' }))), { 't-0': 0 });
    assert.deepEqual(codes(await c.commitTxnOffsets(txn('g', [['t', 0, 3]]))), { 't-0': 0 }, 'v0-2 requests (no membership) pass on a Stable group');
  });

  it('validates partitions, metadata size and the producer epoch', async () => {
    const f = await fixture(['offset.metadata.max.bytes=4']);
    await createTopic(f, 't', 1);
    const c = f.coordinator;
    const r = await c.commitTxnOffsets(txn('g', [['t', 0, 1, 'ok'], ['t', 9, 1], ['nope', 0, 1], ['t', 0, 2, 'too long']]));
    assert.deepEqual(r.map((t) => [t.name, t.partitions.map((p) => p.errorCode)]), [
      ['t', [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.OFFSET_METADATA_TOO_LARGE]],
      ['nope', [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
    ]);
    await c.commitTxnOffsets(txn('g', [['t', 0, 5]], { producerEpoch: 3 }));
    assert.deepEqual(codes(await c.commitTxnOffsets(txn('g', [['t', 0, 6]], { producerEpoch: 2 }))), { 't-0': ErrorCode.INVALID_PRODUCER_EPOCH }, 'a fenced epoch');
    marker(f, 'g', true, PID, 3);
    assert.deepEqual(fetched(f, 'g', [0], true), { 't-0': [5, 0] });
    f.offsetsLog.failWith = 'notLeader';
    assert.deepEqual(codes(await c.commitTxnOffsets(txn('g', [['t', 0, 7]], { producerEpoch: 3 }))), { 't-0': ErrorCode.NOT_COORDINATOR });
    f.offsetsLog.failWith = null;
    assert.deepEqual(fetched(f, 'g', [0], true), { 't-0': [5, 0] }, 'a failed write leaves nothing pending');
  });

  it('OffsetDelete and DeleteGroups remove pending offsets too; expiry keeps them', async () => {
    const f = await fixture(['offsets.retention.minutes=1']);
    await createTopic(f, 't', 2);
    const c = f.coordinator;
    // DeleteGroups: committed t-0, pending t-0 and t-1 → tombstones for both partitions.
    await c.commitOffsets(plain('g', 1));
    await c.commitTxnOffsets(txn('g', [['t', 0, 10], ['t', 1, 20]]));
    assert.deepEqual(await c.deleteGroups(['g']), [{ groupId: 'g', errorCode: 0 }]);
    const tombstones = f.offsetsLog.records().filter((r) => r.value === null && r.key.readInt16BE(0) === 1);
    assert.equal(tombstones.length, 2, 'one tombstone per partition, committed or only pending');
    marker(f, 'g', true);
    assert.deepEqual(fetched(f, 'g', [0, 1], true), { 't-0': [-1, 0], 't-1': [-1, 0] }, 'the commit marker brings nothing back');
    await f.restart();
    assert.deepEqual(fetched(f, 'g', [0, 1], true), { 't-0': [-1, 0], 't-1': [-1, 0] }, 'nor does replaying the log');

    // OffsetDelete of a committed partition ends its pending offset as well.
    const h = 'h';
    await f.coordinator.commitOffsets(plain(h, 1));
    await f.coordinator.commitTxnOffsets(txn(h, [['t', 0, 10]], { producerId: 9n }));
    const del = await f.coordinator.deleteOffsets(h, [{ name: 't', partitions: [{ partitionIndex: 0 }] }]);
    assert.equal(del.errorCode, 0);
    assert.deepEqual(fetched(f, h, [0], true), { 't-0': [-1, 0] });

    // Expiry: an offset with a pending transactional commit stays, and so does its group.
    await f.coordinator.commitOffsets(plain('k', 1));
    await f.coordinator.commitTxnOffsets(txn('k', [['t', 0, 10]], { producerId: 10n }));
    f.clock.advance(120_000);
    await f.coordinator.runExpiry();
    assert.deepEqual(fetched(f, 'k', [0], false), { 't-0': [1, 0] });
    marker(f, 'k', true, 10n);
    assert.deepEqual(fetched(f, 'k', [0], false), { 't-0': [10, 0] });
  });
});

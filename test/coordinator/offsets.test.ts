/**
 * Goal: committed offsets follow Kafka's rules and survive a restart: standalone commits, member
 * commits checked against generation and member id, per-partition validation, OffsetFetch (all,
 * listed, requireStable), OffsetDelete, expiry after offsets.retention.minutes, loading from the
 * log (with COORDINATOR_LOAD_IN_PROGRESS meanwhile), and that bad input changes nothing.
 *
 * Method: GroupCoordinator over the in-memory __consumer_offsets log and a ManualClock; restarts
 * build a new coordinator over the same log. The written records are decoded with the record
 * format module to check they are Kafka's key/value versions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { CommitRequest } from '../../src/coordinator/group/offset-manager.js';
import { decodeGroupMetadataValue, decodeKey, decodeOffsetCommitValue } from '../../src/coordinator/offsets/records.js';
import { createTopic, fixture, joinNew, settle, subscription, syncOf, type Fixture } from './support.js';

function commit(groupId: string, parts: Array<[string, number, number, string?]>, extra: Partial<CommitRequest> = {}): CommitRequest {
  const topics = new Map<string, CommitRequest['topics'][number]>();
  for (const [name, partitionIndex, offset, metadata] of parts) {
    let t = topics.get(name);
    if (!t) topics.set(name, (t = { name, partitions: [] }));
    t.partitions.push({ partitionIndex, committedOffset: offset, committedLeaderEpoch: 3, commitTimestampMs: -1, committedMetadata: metadata ?? 'meta' });
  }
  return { groupId, generationId: -1, memberId: '', groupInstanceId: null, topics: [...topics.values()], ...extra };
}

function codes(r: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of r) for (const p of t.partitions) out[`${t.name}-${p.partitionIndex}`] = p.errorCode;
  return out;
}

function offsets(f: Fixture, groupId: string): Record<string, number> {
  const r = f.coordinator.fetchOffsets(groupId, null, false);
  assert.equal(r.errorCode, ErrorCode.NONE);
  const out: Record<string, number> = {};
  for (const t of r.topics) for (const p of t.partitions) out[`${t.name}-${p.partitionIndex}`] = p.committedOffset;
  return out;
}

describe('offsets', () => {
  it('standalone commits (generation -1) create an Empty group and are fetched back', async () => {
    const f = await fixture();
    await createTopic(f, 't', 3);
    const r = await f.coordinator.commitOffsets(commit('solo', [['t', 0, 10], ['t', 2, 5]]));
    assert.deepEqual(codes(r), { 't-0': 0, 't-2': 0 });
    const fetched = f.coordinator.fetchOffsets('solo', [{ name: 't', partitionIndexes: [0, 1, 2] }], false);
    assert.deepEqual(
      fetched.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.committedLeaderEpoch, p.metadata]),
      [
        [0, 10, 3, 'meta'],
        [1, -1, -1, ''],
        [2, 5, 3, 'meta'],
      ],
    );
    assert.deepEqual(f.coordinator.listGroups(null).groups, [{ groupId: 'solo', protocolType: '', groupState: 'Empty' }]);
    // The records are Kafka's: offset commit key v1, value v3.
    const recs = f.offsetsLog.records();
    assert.equal(recs.length, 2);
    assert.equal(recs[0]!.key.readInt16BE(0), 1);
    assert.deepEqual(decodeKey(recs[0]!.key), { kind: 'offset', group: 'solo', topic: 't', partition: 0 });
    assert.equal(recs[0]!.value!.readInt16BE(0), 3);
    assert.equal(decodeOffsetCommitValue(recs[0]!.value!).offset, 10);
  });

  it('rejects bad partitions and oversized metadata per partition, committing the rest', async () => {
    const f = await fixture(['offset.metadata.max.bytes=8']);
    await createTopic(f, 't', 2);
    const r = await f.coordinator.commitOffsets(commit('g', [['t', 0, 1], ['t', 5, 1], ['nope', 0, 1], ['t', 1, 7, 'x'.repeat(9)]]));
    assert.deepEqual(codes(r), {
      't-0': ErrorCode.NONE,
      't-5': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      'nope-0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      't-1': ErrorCode.OFFSET_METADATA_TOO_LARGE,
    });
    assert.deepEqual(offsets(f, 'g'), { 't-0': 1 }, 'only the valid partition changed');
  });

  it('checks member commits against the group: generation, member id, rebalance state', async () => {
    const f = await fixture();
    await createTopic(f, 't', 1);
    const c = f.coordinator;
    assert.deepEqual(codes(await c.commitOffsets(commit('fresh', [['t', 0, 1]], { generationId: 3, memberId: 'm' }))), { 't-0': ErrorCode.ILLEGAL_GENERATION });
    assert.deepEqual(c.listGroups(null).groups, [], 'a rejected commit creates no group');

    const a = await joinNew(c, 'g');
    assert.deepEqual(codes(await c.commitOffsets(commit('g', [['t', 0, 1]], { generationId: 1, memberId: a.memberId }))), { 't-0': ErrorCode.REBALANCE_IN_PROGRESS }, 'CompletingRebalance');
    syncOf(c, 'g', a.memberId, 1, []);
    await settle();
    assert.deepEqual(codes(await c.commitOffsets(commit('g', [['t', 0, 4]], { generationId: 1, memberId: a.memberId }))), { 't-0': ErrorCode.NONE });
    assert.deepEqual(codes(await c.commitOffsets(commit('g', [['t', 0, 9]], { generationId: 0, memberId: a.memberId }))), { 't-0': ErrorCode.ILLEGAL_GENERATION });
    assert.deepEqual(codes(await c.commitOffsets(commit('g', [['t', 0, 9]], { generationId: 1, memberId: 'ghost' }))), { 't-0': ErrorCode.UNKNOWN_MEMBER_ID });
    assert.deepEqual(codes(await c.commitOffsets(commit('g', [['t', 0, 9]]))), { 't-0': ErrorCode.UNKNOWN_MEMBER_ID }, 'no standalone commits while the group has members');
    assert.deepEqual(offsets(f, 'g'), { 't-0': 4 }, 'rejected commits changed nothing');

    // During PreparingRebalance the current generation may still commit (consumers commit while revoking).
    await joinNew(c, 'g');
    assert.equal(c.describeGroup('g').groupState, 'PreparingRebalance');
    assert.deepEqual(codes(await c.commitOffsets(commit('g', [['t', 0, 6]], { generationId: 1, memberId: a.memberId }))), { 't-0': ErrorCode.NONE });
    assert.deepEqual(offsets(f, 'g'), { 't-0': 6 });
  });

  it('a failed write answers NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE and changes nothing', async () => {
    const f = await fixture();
    await createTopic(f, 't', 1);
    await f.coordinator.commitOffsets(commit('g', [['t', 0, 1]]));
    f.offsetsLog.failWith = 'notLeader';
    assert.deepEqual(codes(await f.coordinator.commitOffsets(commit('g', [['t', 0, 2]]))), { 't-0': ErrorCode.NOT_COORDINATOR });
    f.offsetsLog.failWith = 'unavailable';
    assert.deepEqual(codes(await f.coordinator.commitOffsets(commit('g', [['t', 0, 2]]))), { 't-0': ErrorCode.COORDINATOR_NOT_AVAILABLE });
    f.offsetsLog.failWith = null;
    assert.deepEqual(offsets(f, 'g'), { 't-0': 1 });
  });

  it('reports UNSTABLE_OFFSET_COMMIT with requireStable while a commit is being written', async () => {
    const f = await fixture();
    await createTopic(f, 't', 1);
    const c = f.coordinator;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const append = f.offsetsLog.append.bind(f.offsetsLog);
    f.offsetsLog.append = async (p, b) => {
      await gate;
      return append(p, b);
    };
    const pending = c.commitOffsets(commit('g', [['t', 0, 3]]));
    await settle();
    assert.equal(c.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }], true).topics[0]!.partitions[0]!.errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    assert.equal(c.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }], false).topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    release();
    await pending;
    assert.equal(c.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }], true).topics[0]!.partitions[0]!.committedOffset, 3);
  });

  it('rebuilds groups and offsets from the log after a restart, answering LOAD_IN_PROGRESS meanwhile', async () => {
    const f = await fixture();
    await createTopic(f, 't', 2);
    let c = f.coordinator;
    const a = await joinNew(c, 'live', { sessionTimeoutMs: 5000 });
    syncOf(c, 'live', a.memberId, 1, [{ memberId: a.memberId, assignment: Buffer.from('A') }]);
    await settle();
    await c.commitOffsets(commit('live', [['t', 0, 11]], { generationId: 1, memberId: a.memberId }));
    await c.commitOffsets(commit('solo', [['t', 1, 22]]));
    await c.commitOffsets(commit('solo', [['t', 1, 23]]));
    const gone = await joinNew(c, 'gone');
    syncOf(c, 'gone', gone.memberId, 1, []);
    await settle();
    await c.commitOffsets(commit('gone', [['t', 0, 1]], { generationId: 1, memberId: gone.memberId }));
    c.leaveGroup('gone', [{ memberId: gone.memberId, groupInstanceId: null, reason: null }]);
    await settle();
    assert.deepEqual(await c.deleteGroups(['gone']), [{ groupId: 'gone', errorCode: ErrorCode.NONE }]);

    // Group metadata is stored as key v2 / value v3.
    const meta = f.offsetsLog.records().filter((r) => r.key.readInt16BE(0) === 2 && r.value !== null);
    const live = meta.map((r) => ({ key: decodeKey(r.key), value: decodeGroupMetadataValue(r.value!) })).find((m) => m.key.kind === 'group' && m.key.group === 'live')!;
    assert.equal(live.value.members[0]!.memberId, a.memberId);
    assert.equal(meta[0]!.value!.readInt16BE(0), 3);

    let release!: () => void;
    f.offsetsLog.readGate = new Promise<void>((r) => (release = r));
    f.coordinator.shutdown();
    const { GroupCoordinator } = await import('../../src/coordinator/group/group-coordinator.js');
    c = new GroupCoordinator({ brokerId: 1, config: f.config, clock: f.clock, random: { uuid: () => 'u', int: () => 0, base64Id: () => 'b' }, controller: f.controller, offsetsLog: f.offsetsLog, log: (await import('./support.js')).silentLog });
    f.coordinator = c;
    c.start();
    await settle();
    assert.equal(c.fetchOffsets('solo', null, false).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    assert.equal(c.heartbeat('live', { memberId: a.memberId, groupInstanceId: null, generationId: 1 }), ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    f.offsetsLog.readGate = null;
    release();
    await settle();
    assert.deepEqual(offsets(f, 'solo'), { 't-1': 23 });
    assert.deepEqual(offsets(f, 'live'), { 't-0': 11 });
    assert.deepEqual(offsets(f, 'gone'), {}, 'deleted group stays deleted');
    assert.deepEqual(
      c.listGroups(null).groups.map((g) => [g.groupId, g.groupState]),
      [
        ['live', 'Stable'],
        ['solo', 'Empty'],
      ],
    );
    assert.equal(c.heartbeat('live', { memberId: a.memberId, groupInstanceId: null, generationId: 1 }), ErrorCode.NONE, 'the member carries on');
    const described = c.describeGroup('live');
    assert.deepEqual(described.members[0]!.memberAssignment, Buffer.from('A'));
    f.clock.advance(5001);
    assert.equal(c.describeGroup('live').groupState, 'Empty', 'a loaded member that stops heartbeating expires (it was the only one)');
  });

  it('deletes offsets of unsubscribed topics (OffsetDelete) and refuses subscribed ones', async () => {
    const f = await fixture();
    await createTopic(f, 't', 1);
    await createTopic(f, 'u', 1);
    const c = f.coordinator;
    const a = await joinNew(c, 'g', { protocols: [{ name: 'range', metadata: subscription(['t']) }] });
    syncOf(c, 'g', a.memberId, 1, []);
    await settle();
    await c.commitOffsets(commit('g', [['t', 0, 1], ['u', 0, 2]], { generationId: 1, memberId: a.memberId }));
    const r = await c.deleteOffsets('g', [
      { name: 't', partitions: [{ partitionIndex: 0 }] },
      { name: 'u', partitions: [{ partitionIndex: 0 }] },
    ]);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.deepEqual(codes(r.topics), { 't-0': ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, 'u-0': ErrorCode.NONE });
    assert.deepEqual(offsets(f, 'g'), { 't-0': 1 });
    assert.equal((await c.deleteOffsets('nope', [])).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('expires offsets of an empty group after offsets.retention.minutes, then removes the group', async () => {
    const f = await fixture(['offsets.retention.minutes=1']);
    await createTopic(f, 't', 1);
    const c = f.coordinator;
    await c.commitOffsets(commit('solo', [['t', 0, 5]]));
    const a = await joinNew(c, 'active');
    syncOf(c, 'active', a.memberId, 1, []);
    await settle();
    await c.commitOffsets(commit('active', [['t', 0, 7]], { generationId: 1, memberId: a.memberId }));
    f.clock.advance(30_000);
    c.heartbeat('active', { memberId: a.memberId, groupInstanceId: null, generationId: 1 });
    await c.runExpiry();
    assert.deepEqual(offsets(f, 'solo'), { 't-0': 5 });
    f.clock.advance(30_000);
    c.heartbeat('active', { memberId: a.memberId, groupInstanceId: null, generationId: 1 });
    await c.runExpiry();
    assert.deepEqual(offsets(f, 'solo'), {}, 'expired');
    assert.deepEqual(offsets(f, 'active'), { 't-0': 7 }, 'a Stable group subscribed to t keeps its offsets');
    assert.deepEqual(c.listGroups(null).groups.map((g) => g.groupId), ['active'], 'the empty group without offsets is gone');
    const tombstones = f.offsetsLog.records().filter((r) => r.value === null).map((r) => decodeKey(r.key));
    assert.deepEqual(tombstones, [
      { kind: 'offset', group: 'solo', topic: 't', partition: 0 },
      { kind: 'group', group: 'solo' },
    ]);
  });

  it('drops the committed offsets of a deleted topic', async () => {
    const f = await fixture();
    await createTopic(f, 't', 1);
    await createTopic(f, 'keep', 1);
    await f.coordinator.commitOffsets(commit('g', [['t', 0, 3], ['keep', 0, 4]]));
    const r = await f.controller.deleteTopic('t');
    assert.ok(r.ok);
    await settle();
    assert.deepEqual(offsets(f, 'g'), { 'keep-0': 4 });
    const tombstones = f.offsetsLog.records().filter((x) => x.value === null).map((x) => decodeKey(x.key));
    assert.deepEqual(tombstones, [{ kind: 'offset', group: 'g', topic: 't', partition: 0 }]);
  });
});

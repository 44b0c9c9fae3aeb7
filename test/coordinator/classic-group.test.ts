/**
 * Goal: the classic group protocol state machine behaves as clients rely on — join/sync barriers,
 * generations, MEMBER_ID_REQUIRED, static membership, protocol selection, session/rebalance/sync
 * timeouts, group.max.size, the initial rebalance delay, LeaveGroup, Describe/List/Delete groups.
 *
 * Method: a GroupCoordinator over an in-memory __consumer_offsets log and a ManualClock. Long-poll
 * requests (JoinGroup/SyncGroup) are tracked without awaiting, so a test can assert that a response
 * came back "at once" (clock not advanced) or only after a timeout (clock advanced past it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { fixture, joinNew, joinRequest, settle, subscription, syncOf, track } from './support.js';

const A1 = Buffer.from('assignment-1');
const A2 = Buffer.from('assignment-2');

describe('classic group: join and sync', () => {
  it('hands out a member id first (v4+), then completes the join at once for a lone member', async () => {
    const f = await fixture();
    const c = f.coordinator;
    const first = await c.joinGroup(joinRequest('g', { apiVersion: 4 }));
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    assert.match(first.memberId, /^client-/);
    assert.equal(c.describeGroup('g').groupState, 'Empty', 'a pending member is not a member yet');
    const join = track(c.joinGroup(joinRequest('g', { apiVersion: 4, memberId: first.memberId })));
    await settle();
    assert.ok(join.done, 'no other member to wait for: the join completes without a timer');
    const r = join.value!;
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.equal(r.generationId, 1);
    assert.equal(r.leader, first.memberId);
    assert.equal(r.protocolName, 'range');
    assert.deepEqual(r.members.map((m) => m.memberId), [first.memberId]);
    const sync = syncOf(c, 'g', first.memberId, 1, [{ memberId: first.memberId, assignment: A1 }]);
    await settle();
    assert.equal(sync.value!.errorCode, ErrorCode.NONE);
    assert.deepEqual(sync.value!.assignment, A1);
    assert.equal(c.describeGroup('g').groupState, 'Stable');
    assert.equal(c.heartbeat('g', { memberId: first.memberId, groupInstanceId: null, generationId: 1 }), ErrorCode.NONE);
  });

  it('below v4 a new member joins directly with a generated id', async () => {
    const f = await fixture();
    const join = track(f.coordinator.joinGroup(joinRequest('g', { apiVersion: 3 })));
    await settle();
    assert.equal(join.value!.errorCode, ErrorCode.NONE);
    assert.equal(join.value!.generationId, 1);
  });

  it('rebalances when a second member joins, completing as soon as every known member rejoined', async () => {
    const f = await fixture();
    const c = f.coordinator;
    const a = await joinNew(c, 'g');
    const syncA = syncOf(c, 'g', a.memberId, 1, [{ memberId: a.memberId, assignment: A1 }]);
    await settle();
    assert.equal(syncA.value!.errorCode, ErrorCode.NONE);

    const b = await joinNew(c, 'g');
    assert.equal(b.join.done, false, 'B waits for A to rejoin');
    assert.equal(c.describeGroup('g').groupState, 'PreparingRebalance');
    assert.equal(c.heartbeat('g', { memberId: a.memberId, groupInstanceId: null, generationId: 1 }), ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoinA = track(c.joinGroup(joinRequest('g', { memberId: a.memberId })));
    await settle();
    assert.ok(rejoinA.done && b.join.done, 'both answered the moment A rejoined, no timer involved');
    assert.equal(rejoinA.value!.generationId, 2);
    assert.equal(b.join.value!.generationId, 2);
    assert.equal(rejoinA.value!.leader, a.memberId, 'the leader stays the leader');
    assert.equal(rejoinA.value!.members.length, 2, 'the leader gets every member with its metadata');
    assert.equal(b.join.value!.members.length, 0, 'followers get no member list');

    const syncB = syncOf(c, 'g', b.memberId, 2);
    await settle();
    assert.equal(syncB.done, false, "a follower's SyncGroup waits for the leader's assignment");
    const syncA2 = syncOf(c, 'g', a.memberId, 2, [
      { memberId: a.memberId, assignment: A1 },
      { memberId: b.memberId, assignment: A2 },
    ]);
    await settle();
    assert.deepEqual(syncA2.value!.assignment, A1);
    assert.deepEqual(syncB.value!.assignment, A2);
    const described = c.describeGroup('g');
    assert.equal(described.groupState, 'Stable');
    assert.equal(described.protocolData, 'range');
    assert.deepEqual(new Set(described.members.map((m) => m.memberAssignment.toString())), new Set(['assignment-1', 'assignment-2']));
  });

  it('removes a member that does not rejoin within the rebalance timeout', async () => {
    const f = await fixture();
    const c = f.coordinator;
    const a = await joinNew(c, 'g', { rebalanceTimeoutMs: 5000 });
    await settle();
    syncOf(c, 'g', a.memberId, 1, [{ memberId: a.memberId, assignment: A1 }]);
    await settle();
    const b = await joinNew(c, 'g', { rebalanceTimeoutMs: 5000 });
    f.clock.advance(4999);
    await settle();
    assert.equal(b.join.done, false);
    f.clock.advance(1);
    await settle();
    assert.equal(b.join.value!.errorCode, ErrorCode.NONE);
    assert.equal(b.join.value!.generationId, 2);
    assert.equal(b.join.value!.leader, b.memberId, 'leadership passes to a member that rejoined');
    assert.deepEqual(b.join.value!.members.map((m) => m.memberId), [b.memberId]);
    assert.equal(c.heartbeat('g', { memberId: a.memberId, groupInstanceId: null, generationId: 1 }), ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('expires a silent member after its session timeout and rebalances the rest', async () => {
    const f = await fixture();
    const c = f.coordinator;
    const a = await joinNew(c, 'g', { sessionTimeoutMs: 3000 });
    syncOf(c, 'g', a.memberId, 1, [{ memberId: a.memberId, assignment: A1 }]);
    await settle();
    const b = await joinNew(c, 'g', { sessionTimeoutMs: 3000 });
    const rejoinA = track(c.joinGroup(joinRequest('g', { memberId: a.memberId, sessionTimeoutMs: 3000 })));
    await settle();
    assert.equal(rejoinA.value!.generationId, 2);
    syncOf(c, 'g', a.memberId, 2, [{ memberId: a.memberId, assignment: A1 }, { memberId: b.memberId, assignment: A2 }]);
    syncOf(c, 'g', b.memberId, 2);
    await settle();
    assert.equal(c.describeGroup('g').groupState, 'Stable');
    // A keeps heartbeating, B goes silent.
    for (let i = 0; i < 2; i++) {
      f.clock.advance(1000);
      assert.equal(c.heartbeat('g', { memberId: a.memberId, groupInstanceId: null, generationId: 2 }), ErrorCode.NONE);
    }
    f.clock.advance(999);
    assert.equal(c.describeGroup('g').groupState, 'Stable');
    f.clock.advance(1);
    assert.equal(c.describeGroup('g').groupState, 'PreparingRebalance', "B's session expired");
    assert.equal(c.heartbeat('g', { memberId: a.memberId, groupInstanceId: null, generationId: 2 }), ErrorCode.REBALANCE_IN_PROGRESS);
    const again = track(c.joinGroup(joinRequest('g', { memberId: a.memberId, sessionTimeoutMs: 3000 })));
    await settle();
    assert.equal(again.value!.generationId, 3);
    assert.deepEqual(again.value!.members.map((m) => m.memberId), [a.memberId]);
  });

  it('removes members that never sync within the rebalance timeout', async () => {
    const f = await fixture();
    const c = f.coordinator;
    const a = await joinNew(c, 'g', { rebalanceTimeoutMs: 2000 });
    assert.equal(a.join.value!.generationId, 1);
    f.clock.advance(2000);
    await settle();
    assert.equal(c.describeGroup('g').groupState, 'Empty', 'the only member never synced');
  });

  it('answers stale generations and unknown members with the right errors', async () => {
    const f = await fixture();
    const c = f.coordinator;
    const a = await joinNew(c, 'g');
    syncOf(c, 'g', a.memberId, 1, [{ memberId: a.memberId, assignment: A1 }]);
    await settle();
    assert.equal(c.heartbeat('g', { memberId: a.memberId, groupInstanceId: null, generationId: 0 }), ErrorCode.ILLEGAL_GENERATION);
    assert.equal(c.heartbeat('g', { memberId: 'nobody', groupInstanceId: null, generationId: 1 }), ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal(c.heartbeat('other', { memberId: a.memberId, groupInstanceId: null, generationId: 1 }), ErrorCode.UNKNOWN_MEMBER_ID);
    const stale = syncOf(c, 'g', a.memberId, 7);
    const unknown = syncOf(c, 'g', 'nobody', 1);
    await settle();
    assert.equal(stale.value!.errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal(unknown.value!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    const joinUnknown = await c.joinGroup(joinRequest('g', { memberId: 'nobody' }));
    assert.equal(joinUnknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    assert.equal((await c.joinGroup(joinRequest(''))).errorCode, ErrorCode.INVALID_GROUP_ID);
    assert.equal((await c.joinGroup(joinRequest('g', { sessionTimeoutMs: 10 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal(c.describeGroup('g').groupState, 'Stable', 'none of it disturbed the group');
  });

  it('selects the protocol every member supports, by vote, and rejects members without one', async () => {
    const f = await fixture();
    const c = f.coordinator;
    const md = subscription(['t']);
    const a = await joinNew(c, 'g', { protocols: [{ name: 'range', metadata: md }, { name: 'roundrobin', metadata: md }] });
    syncOf(c, 'g', a.memberId, 1, []);
    await settle();
    const b = await joinNew(c, 'g', { protocols: [{ name: 'roundrobin', metadata: md }, { name: 'range', metadata: md }] });
    const d = await joinNew(c, 'g', { protocols: [{ name: 'roundrobin', metadata: md }, { name: 'sticky', metadata: md }] });
    const rejoinA = track(c.joinGroup(joinRequest('g', { memberId: a.memberId, protocols: [{ name: 'range', metadata: md }, { name: 'roundrobin', metadata: md }] })));
    await settle();
    assert.ok(b.join.done && d.join.done && rejoinA.done);
    assert.equal(rejoinA.value!.protocolName, 'roundrobin', 'range is not supported by the third member; roundrobin wins');
    const incompatible = await c.joinGroup(joinRequest('g', { apiVersion: 3, protocols: [{ name: 'sticky', metadata: md }] }));
    assert.equal(incompatible.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const otherType = await c.joinGroup(joinRequest('g', { apiVersion: 3, protocolType: 'connect', protocols: [{ name: 'roundrobin', metadata: md }] }));
    assert.equal(otherType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('enforces group.max.size', async () => {
    const f = await fixture(['group.max.size=2']);
    const c = f.coordinator;
    const a = await joinNew(c, 'g');
    syncOf(c, 'g', a.memberId, 1, []);
    await settle();
    await joinNew(c, 'g');
    const third = await c.joinGroup(joinRequest('g', { apiVersion: 5 }));
    assert.equal(third.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  });

  it('waits group.initial.rebalance.delay.ms for a new group, extended while members keep arriving', async () => {
    const f = await fixture(['group.initial.rebalance.delay.ms=3000']);
    const c = f.coordinator;
    const a = await joinNew(c, 'g');
    f.clock.advance(2000);
    const b = await joinNew(c, 'g');
    f.clock.advance(1000);
    await settle();
    assert.equal(a.join.done, false, 'a member arrived during the delay: the delay is extended');
    f.clock.advance(3000);
    await settle();
    assert.ok(a.join.done && b.join.done);
    assert.equal(a.join.value!.generationId, 1);
    assert.equal(a.join.value!.members.length + b.join.value!.members.length, 2);
    // Later rebalances of the (no longer new) group do not wait.
    syncOf(c, 'g', a.memberId, 1, []);
    syncOf(c, 'g', b.memberId, 1, []);
    await settle();
    const leave = c.leaveGroup('g', [{ memberId: b.memberId, groupInstanceId: null, reason: null }]);
    assert.deepEqual(leave.members, [ErrorCode.NONE]);
    const rejoin = track(c.joinGroup(joinRequest('g', { memberId: a.memberId })));
    await settle();
    assert.equal(rejoin.value!.generationId, 2);
  });
});

describe('classic group: static membership', () => {
  it('a restarted static instance takes over its place without a rebalance and fences the old id', async () => {
    const f = await fixture();
    const c = f.coordinator;
    const a = await joinNew(c, 'g', { groupInstanceId: 'inst-a' });
    assert.equal(a.join.value!.generationId, 1, 'static members skip MEMBER_ID_REQUIRED');
    syncOf(c, 'g', a.memberId, 1, [{ memberId: a.memberId, assignment: A1 }]);
    await settle();
    const b = await joinNew(c, 'g', { groupInstanceId: 'inst-b' });
    assert.equal(b.join.done, false, 'the leader must rejoin first');
    const rejoinA = track(c.joinGroup(joinRequest('g', { memberId: a.memberId, groupInstanceId: 'inst-a' })));
    await settle();
    assert.ok(rejoinA.done && b.join.done);
    const gen = rejoinA.value!.generationId;
    const bId = b.join.value!.memberId; // a static member learns its id from the completed join
    syncOf(c, 'g', a.memberId, gen, [{ memberId: a.memberId, assignment: A1 }, { memberId: bId, assignment: A2 }]);
    syncOf(c, 'g', bId, gen);
    await settle();
    assert.equal(c.describeGroup('g').groupState, 'Stable');

    // inst-b restarts: joins with no member id and the same protocols.
    const restarted = await c.joinGroup(joinRequest('g', { groupInstanceId: 'inst-b' }));
    assert.equal(restarted.errorCode, ErrorCode.NONE);
    assert.notEqual(restarted.memberId, bId);
    assert.equal(restarted.generationId, gen, 'no new generation');
    assert.equal(c.describeGroup('g').groupState, 'Stable', 'no rebalance for a follower with unchanged protocols');
    const sync = syncOf(c, 'g', restarted.memberId, gen);
    await settle();
    assert.deepEqual(sync.value!.assignment, A2, 'it gets its previous assignment back');
    assert.equal(c.heartbeat('g', { memberId: bId, groupInstanceId: 'inst-b', generationId: gen }), ErrorCode.FENCED_INSTANCE_ID);
    assert.equal(c.heartbeat('g', { memberId: restarted.memberId, groupInstanceId: 'inst-b', generationId: gen }), ErrorCode.NONE);
    const leave = c.leaveGroup('g', [{ memberId: bId, groupInstanceId: 'inst-b', reason: null }]);
    assert.deepEqual(leave.members, [ErrorCode.FENCED_INSTANCE_ID]);
  });

  it('static members that do not rejoin keep their place through a rebalance', async () => {
    const f = await fixture();
    const c = f.coordinator;
    const a = await joinNew(c, 'g', { groupInstanceId: 'inst-a', rebalanceTimeoutMs: 2000, sessionTimeoutMs: 60_000 });
    syncOf(c, 'g', a.memberId, 1, [{ memberId: a.memberId, assignment: A1 }]);
    await settle();
    const b = await joinNew(c, 'g', { rebalanceTimeoutMs: 2000 });
    f.clock.advance(2000);
    await settle();
    assert.equal(b.join.value!.generationId, 2);
    assert.equal(b.join.value!.leader, b.memberId);
    assert.deepEqual(new Set(b.join.value!.members.map((m) => m.memberId)), new Set([a.memberId, b.memberId]), 'inst-a is still a member');
  });

  it('batch LeaveGroup (v3+) answers per member', async () => {
    const f = await fixture();
    const c = f.coordinator;
    const a = await joinNew(c, 'g', { groupInstanceId: 'inst-a' });
    syncOf(c, 'g', a.memberId, 1, []);
    await settle();
    const r = c.leaveGroup('g', [
      { memberId: '', groupInstanceId: 'inst-a', reason: 'bye' },
      { memberId: 'ghost', groupInstanceId: null, reason: null },
      { memberId: '', groupInstanceId: 'inst-x', reason: null },
    ]);
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.deepEqual(r.members, [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.UNKNOWN_MEMBER_ID]);
    const d = c.describeGroup('g');
    assert.equal(d.groupState, 'Empty', 'the last member left: an Empty group with a new generation');
    assert.deepEqual(c.leaveGroup('nope', [{ memberId: 'x', groupInstanceId: null, reason: null }]).members, [ErrorCode.UNKNOWN_MEMBER_ID]);
  });
});

describe('group admin: describe, list, delete', () => {
  it('lists groups with states and filters, describes unknown groups as Dead, deletes only empty groups', async () => {
    const f = await fixture();
    const c = f.coordinator;
    const a = await joinNew(c, 'active');
    syncOf(c, 'active', a.memberId, 1, [{ memberId: a.memberId, assignment: A1 }]);
    await settle();
    const b = await joinNew(c, 'gone');
    syncOf(c, 'gone', b.memberId, 1, []);
    await settle();
    c.leaveGroup('gone', [{ memberId: b.memberId, groupInstanceId: null, reason: null }]);
    const all = c.listGroups(null);
    assert.deepEqual(all.groups, [
      { groupId: 'active', protocolType: 'consumer', groupState: 'Stable' },
      { groupId: 'gone', protocolType: 'consumer', groupState: 'Empty' },
    ]);
    assert.deepEqual(c.listGroups(['empty']).groups.map((g) => g.groupId), ['gone']);
    assert.deepEqual(c.listGroups(['Stable', 'PreparingRebalance']).groups.map((g) => g.groupId), ['active']);
    const unknown = c.describeGroup('unknown');
    assert.equal(unknown.errorCode, ErrorCode.NONE);
    assert.equal(unknown.groupState, 'Dead');
    const described = c.describeGroup('active');
    assert.equal(described.members[0]!.clientHost, '/127.0.0.1');
    assert.deepEqual(described.members[0]!.memberMetadata, subscription(['t']));

    const deleted = await c.deleteGroups(['active', 'gone', 'unknown']);
    assert.deepEqual(deleted, [
      { groupId: 'active', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'gone', errorCode: ErrorCode.NONE },
      { groupId: 'unknown', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    assert.deepEqual(c.listGroups(null).groups.map((g) => g.groupId), ['active']);
  });

  it('answers NOT_COORDINATOR before __consumer_offsets exists and creates it on FindCoordinator', async () => {
    const f = await fixture([], { createTopic: false });
    const c = f.coordinator;
    assert.equal((await c.joinGroup(joinRequest('g'))).errorCode, ErrorCode.NOT_COORDINATOR);
    const found = await c.findGroupCoordinator('g');
    assert.equal(found.errorCode, ErrorCode.NONE);
    assert.deepEqual([found.nodeId, found.host, found.port], [1, 'localhost', 9092]);
    const topic = f.controller.image.topics.get('__consumer_offsets')!;
    assert.equal(topic.partitions.length, 4);
    assert.equal(topic.internal, true);
    assert.equal(topic.configs['cleanup.policy'], 'compact');
    await settle();
    assert.equal((await c.joinGroup(joinRequest('g'))).errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  });

  it('answers parked requests when the coordinator shuts down', async () => {
    const f = await fixture();
    const c = f.coordinator;
    const a = await joinNew(c, 'g');
    syncOf(c, 'g', a.memberId, 1, []);
    await settle();
    const b = await joinNew(c, 'g');
    assert.equal(b.join.done, false);
    c.shutdown();
    await settle();
    assert.equal(b.join.value!.errorCode, ErrorCode.NOT_COORDINATOR);
  });
});

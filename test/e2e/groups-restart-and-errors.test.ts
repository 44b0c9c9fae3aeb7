/**
 * Goal: (1) committed offsets and the group list survive a broker restart, clean (SIGTERM) or not
 * (SIGKILL), and a group's consumer resumes where it committed; (2) bad group and offset requests
 * answer Kafka's error codes and change nothing: commits to unknown topics or partitions, oversized
 * metadata, unknown members, stale generations, standalone commits to an active group, deleting a
 * non-empty group, deleting subscribed offsets — plus the batched forms clients use
 * (FindCoordinator v4, OffsetFetch v8, LeaveGroup v3+).
 *
 * Method: (1) the real CLI broker as a child process (spawnBroker) on one data dir, driven by
 * KafkaJS, restarted twice; (2) an in-process broker driven by a raw protocol connection, so every
 * field of every request is exactly what the test says.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import {
  deleteGroupsApi,
  describeGroupsApi,
  findCoordinatorApi,
  heartbeatApi,
  joinGroupApi,
  leaveGroupApi,
  listGroupsApi,
  offsetCommitApi,
  offsetDeleteApi,
  offsetFetchApi,
  syncGroupApi,
  type DeleteGroupsResponse,
  type DescribeGroupsResponse,
  type FindCoordinatorResponse,
  type HeartbeatResponse,
  type JoinGroupResponse,
  type LeaveGroupResponse,
  type ListGroupsResponse,
  type OffsetCommitResponse,
  type OffsetDeleteResponse,
  type OffsetFetchResponse,
  type SyncGroupResponse,
} from '../../src/protocol/messages/index.js';
import { Writer } from '../../src/protocol/primitives.js';
import { spawnBroker, startBroker, waitFor, type SpawnedBroker, type StartedBroker } from '../helpers/broker.js';
import { RawConnection } from '../helpers/raw-kafka.js';

const { Kafka, logLevel } = kafkajs;
const GROUP_OVERRIDES = ['group.initial.rebalance.delay.ms=0', 'group.min.session.timeout.ms=1000', 'offsets.topic.num.partitions=5'];

describe('groups survive a broker restart', () => {
  let broker: SpawnedBroker;

  before(async () => {
    broker = await spawnBroker({ overrides: GROUP_OVERRIDES });
  });

  after(async () => {
    await broker?.cleanup();
  });

  const client = (): InstanceType<typeof Kafka> =>
    new Kafka({ clientId: 'samsa-groups-restart', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });

  async function snapshot(): Promise<{ groups: string[]; offsets: Record<string, string> }> {
    const admin = client().admin();
    await admin.connect();
    try {
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).sort();
      const offsets: Record<string, string> = {};
      for (const g of ['restart-consumers', 'restart-standalone']) {
        for (const p of (await admin.fetchOffsets({ groupId: g, topics: ['restart-topic'] }))[0]!.partitions) offsets[`${g}/${p.partition}`] = p.offset;
      }
      return { groups, offsets };
    } finally {
      await admin.disconnect();
    }
  }

  it('keeps committed offsets and the group list across SIGTERM and SIGKILL restarts', async () => {
    const kafka = client();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'restart-topic', numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < 2; p++) await producer.send({ topic: 'restart-topic', messages: Array.from({ length: 20 }, (_, i) => ({ partition: p, value: `v${i}` })) });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: 'restart-consumers', sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'restart-topic', fromBeginning: true });
    let seen = 0;
    await consumer.run({ eachMessage: async () => void seen++ });
    await waitFor(() => seen >= 40, { timeoutMs: 30_000, what: 'the consumer to read all 40 records' });
    await consumer.disconnect(); // commits and leaves
    // A standalone commit (generation -1) as admin tools make: kafka-consumer-groups --reset-offsets.
    await admin.setOffsets({ groupId: 'restart-standalone', topic: 'restart-topic', partitions: [{ partition: 1, offset: '7' }] });
    await admin.disconnect();

    const before = await snapshot();
    assert.deepEqual(before.groups, ['restart-consumers', 'restart-standalone']);
    assert.equal(before.offsets['restart-consumers/0'], '20');
    assert.equal(before.offsets['restart-consumers/1'], '20');
    assert.equal(before.offsets['restart-standalone/1'], '7');

    await broker.stop();
    await broker.restart();
    assert.deepEqual(await snapshot(), before, 'after a clean restart');

    await broker.kill('SIGKILL');
    await broker.restart();
    assert.deepEqual(await snapshot(), before, 'after a crash');

    // The group's next consumer resumes at the committed position: it sees only new records.
    const kafka2 = client();
    const p2 = kafka2.producer();
    await p2.connect();
    await p2.send({ topic: 'restart-topic', messages: [{ partition: 0, value: 'after-restart' }] });
    await p2.disconnect();
    const c2 = kafka2.consumer({ groupId: 'restart-consumers', sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
    await c2.connect();
    await c2.subscribe({ topic: 'restart-topic', fromBeginning: true });
    const got: Array<{ partition: number; offset: string; value: string }> = [];
    await c2.run({ eachMessage: async ({ partition, message }) => void got.push({ partition, offset: message.offset, value: message.value!.toString() }) });
    await waitFor(() => got.length >= 1, { timeoutMs: 30_000, what: 'the resumed consumer to read the new record' });
    await c2.disconnect();
    assert.deepEqual(got, [{ partition: 0, offset: '20', value: 'after-restart' }]);
  });
});

/** Consumer-protocol subscription (v0) to `topics`. */
function subscription(topics: string[]): Buffer {
  const w = new Writer().int16(0).arrayLength(topics.length, false);
  for (const t of topics) w.string(t, false);
  return w.bytes(null, false).toBuffer();
}

describe('bad group and offset requests', () => {
  let b: StartedBroker;
  let conn: RawConnection;

  before(async () => {
    b = await startBroker({ overrides: [...GROUP_OVERRIDES, 'offset.metadata.max.bytes=4096'] });
    conn = await RawConnection.connect(b.port);
    await conn.request(findCoordinatorApi, 2, { key: 'warmup', keyType: 0 });
    const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'bad', numPartitions: 2 }] });
    await admin.disconnect();
  });

  after(async () => {
    conn?.close();
    await b?.stop();
  });

  const commitV8 = (groupId: string, generation: number, memberId: string, topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: bigint; committedMetadata?: string }> }>) =>
    conn.request<OffsetCommitResponse>(offsetCommitApi, 8, {
      groupId,
      generationIdOrMemberEpoch: generation,
      memberId,
      groupInstanceId: null,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ committedLeaderEpoch: -1, committedMetadata: '', ...p })) })),
    });
  const codes = (r: OffsetCommitResponse): Record<string, number> =>
    Object.fromEntries(r.topics.flatMap((t) => t.partitions.map((p) => [`${t.name}-${p.partitionIndex}`, p.errorCode])));
  const fetchAll = async (groupId: string): Promise<Record<string, bigint>> => {
    const r = await conn.request<OffsetFetchResponse>(offsetFetchApi, 8, { groups: [{ groupId, topics: null }], requireStable: true });
    return Object.fromEntries(r.groups[0]!.topics.flatMap((t) => t.partitions.map((p) => [`${t.name}-${p.partitionIndex}`, p.committedOffset])));
  };

  it('answers the right errors and changes nothing', async () => {
    const found = await conn.request<FindCoordinatorResponse>(findCoordinatorApi, 4, { keyType: 0, coordinatorKeys: ['g-bad', 'g-other'] });
    assert.deepEqual(found.coordinators.map((c) => [c.key, c.errorCode, c.port]), [
      ['g-bad', ErrorCode.NONE, b.port],
      ['g-other', ErrorCode.NONE, b.port],
    ]);

    // One live member (JoinGroup v5 with the MEMBER_ID_REQUIRED round trip, then SyncGroup).
    const join = { groupId: 'g-bad', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['bad']) }] };
    const first = await conn.request<JoinGroupResponse>(joinGroupApi, 5, { ...join, memberId: '' });
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    const joined = await conn.request<JoinGroupResponse>(joinGroupApi, 5, { ...join, memberId: first.memberId });
    assert.equal(joined.errorCode, ErrorCode.NONE);
    const memberId = joined.memberId;
    const gen = joined.generationId;
    const synced = await conn.request<SyncGroupResponse>(syncGroupApi, 3, { groupId: 'g-bad', generationId: gen, memberId, groupInstanceId: null, assignments: [{ memberId, assignment: Buffer.from('x') }] });
    assert.equal(synced.errorCode, ErrorCode.NONE);
    assert.deepEqual(codes(await commitV8('g-bad', gen, memberId, [{ name: 'bad', partitions: [{ partitionIndex: 0, committedOffset: 5n }] }])), { 'bad-0': ErrorCode.NONE });

    // Bad commits.
    assert.deepEqual(
      codes(
        await commitV8('g-bad', gen, memberId, [
          { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1n }] },
          { name: 'bad', partitions: [{ partitionIndex: 9, committedOffset: 1n }, { partitionIndex: 1, committedOffset: 1n, committedMetadata: 'x'.repeat(4097) }] },
        ]),
      ),
      { 'nope-0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'bad-9': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'bad-1': ErrorCode.OFFSET_METADATA_TOO_LARGE },
    );
    const one = [{ name: 'bad', partitions: [{ partitionIndex: 0, committedOffset: 99n }] }];
    assert.deepEqual(codes(await commitV8('g-bad', gen, 'ghost', one)), { 'bad-0': ErrorCode.UNKNOWN_MEMBER_ID });
    assert.deepEqual(codes(await commitV8('g-bad', gen - 1, memberId, one)), { 'bad-0': ErrorCode.ILLEGAL_GENERATION });
    assert.deepEqual(codes(await commitV8('g-bad', -1, '', one)), { 'bad-0': ErrorCode.UNKNOWN_MEMBER_ID }, 'no standalone commits into an active group');
    assert.deepEqual(codes(await commitV8('g-unknown', 3, 'm', one)), { 'bad-0': ErrorCode.ILLEGAL_GENERATION });
    assert.deepEqual(await fetchAll('g-bad'), { 'bad-0': 5n }, 'nothing changed');
    assert.deepEqual(await fetchAll('g-unknown'), {});

    // Batched OffsetFetch (v8) across groups, -1 where nothing is committed.
    const batched = await conn.request<OffsetFetchResponse>(offsetFetchApi, 8, {
      groups: [
        { groupId: 'g-bad', topics: [{ name: 'bad', partitionIndexes: [0, 1] }] },
        { groupId: 'g-none', topics: [{ name: 'bad', partitionIndexes: [0] }] },
      ],
      requireStable: false,
    });
    assert.deepEqual(
      batched.groups.map((g) => [g.groupId, g.errorCode, g.topics[0]!.partitions.map((p) => p.committedOffset)]),
      [
        ['g-bad', ErrorCode.NONE, [5n, -1n]],
        ['g-none', ErrorCode.NONE, [-1n]],
      ],
    );

    // Membership errors.
    const hb = (generationId: number, m: string) => conn.request<HeartbeatResponse>(heartbeatApi, 4, { groupId: 'g-bad', generationId, memberId: m, groupInstanceId: null });
    assert.equal((await hb(gen, memberId)).errorCode, ErrorCode.NONE);
    assert.equal((await hb(gen + 1, memberId)).errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal((await hb(gen, 'ghost')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
    const staleSync = await conn.request<SyncGroupResponse>(syncGroupApi, 3, { groupId: 'g-bad', generationId: gen + 5, memberId, groupInstanceId: null, assignments: [] });
    assert.equal(staleSync.errorCode, ErrorCode.ILLEGAL_GENERATION);
    assert.equal((await conn.request<JoinGroupResponse>(joinGroupApi, 5, { ...join, memberId: '', sessionTimeoutMs: 10 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
    assert.equal((await conn.request<JoinGroupResponse>(joinGroupApi, 5, { ...join, memberId: '', protocols: [] })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    assert.equal((await conn.request<JoinGroupResponse>(joinGroupApi, 5, { ...join, groupId: '', memberId: '' })).errorCode, ErrorCode.INVALID_GROUP_ID);

    // Admin errors.
    const del = await conn.request<DeleteGroupsResponse>(deleteGroupsApi, 2, { groupsNames: ['g-bad', 'g-missing'] });
    assert.deepEqual(del.results.map((r) => [r.groupId, r.errorCode]), [
      ['g-bad', ErrorCode.NON_EMPTY_GROUP],
      ['g-missing', ErrorCode.GROUP_ID_NOT_FOUND],
    ]);
    const offDel = await conn.request<OffsetDeleteResponse>(offsetDeleteApi, 0, { groupId: 'g-bad', topics: [{ name: 'bad', partitions: [{ partitionIndex: 0 }] }] });
    assert.equal(offDel.errorCode, ErrorCode.NONE);
    assert.equal(offDel.topics[0]!.partitions[0]!.errorCode, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
    assert.deepEqual(await fetchAll('g-bad'), { 'bad-0': 5n }, 'still unchanged');
    const described = await conn.request<DescribeGroupsResponse>(describeGroupsApi, 5, { groups: ['g-bad'], includeAuthorizedOperations: false });
    assert.equal(described.groups[0]!.groupState, 'Stable');
    assert.deepEqual(described.groups[0]!.members.map((m) => [m.memberId, m.clientId, m.memberAssignment.toString()]), [[memberId, 'samsa-e2e', 'x']]);
    const listed = await conn.request<ListGroupsResponse>(listGroupsApi, 4, { statesFilter: ['Stable'] });
    assert.deepEqual(listed.groups.map((g) => [g.groupId, g.groupState]), [['g-bad', 'Stable']]);

    // Leaving (v3 batch form), then the group can be deleted with its offsets.
    const left = await conn.request<LeaveGroupResponse>(leaveGroupApi, 3, { groupId: 'g-bad', members: [{ memberId: 'ghost', groupInstanceId: null }, { memberId, groupInstanceId: null }] });
    assert.equal(left.errorCode, ErrorCode.NONE);
    assert.deepEqual(left.members.map((m) => m.errorCode), [ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.NONE]);
    const del2 = await conn.request<DeleteGroupsResponse>(deleteGroupsApi, 2, { groupsNames: ['g-bad'] });
    assert.equal(del2.results[0]!.errorCode, ErrorCode.NONE);
    assert.deepEqual(await fetchAll('g-bad'), {});
  });
});

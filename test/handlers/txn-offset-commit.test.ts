/**
 * Goal: TxnOffsetCommit works over the wire at every version it advertises (0-4, flexible from 3)
 * and answers Kafka's codes: pending offsets are invisible to OffsetFetch (the committed value
 * without requireStable, UNSTABLE_OFFSET_COMMIT with it, on v7 and on v8's per-group form), bad
 * partitions and oversized metadata fail per partition, an empty group id is INVALID_GROUP_ID, an
 * unknown group with a generation (v3) ILLEGAL_GENERATION, a stale producer epoch
 * INVALID_PRODUCER_EPOCH; and a pending offset is still pending after a broker restart.
 *
 * Method: an in-process broker on a data dir this test owns, driven by a raw protocol connection so
 * every field is exactly what the test says; the topic is created with KafkaJS's admin. The
 * COMMIT/ABORT side (WriteTxnMarkers → completeTransaction) is covered by
 * test/coordinator/txn-offsets.test.ts and the librdkafka end-to-end test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import {
  findCoordinatorApi,
  offsetCommitApi,
  offsetFetchApi,
  txnOffsetCommitApi,
  type OffsetFetchResponse,
  type TxnOffsetCommitResponse,
} from '../../src/protocol/messages/index.js';
import { makeTempDir, removeDir, startBroker, type StartedBroker } from '../helpers/broker.js';
import { RawConnection } from '../helpers/raw-kafka.js';

const { Kafka, logLevel } = kafkajs;
const OVERRIDES = ['offsets.topic.num.partitions=3', 'offset.metadata.max.bytes=16'];

describe('TxnOffsetCommit over the wire', () => {
  let dir: string;
  let b: StartedBroker;
  let conn: RawConnection;

  before(async () => {
    dir = await makeTempDir('samsa-txn-offsets-');
    b = await startBroker({ overrides: OVERRIDES, dataDir: dir });
    conn = await RawConnection.connect(b.port);
    await conn.request(findCoordinatorApi, 2, { key: 'warmup', keyType: 0 });
    const admin = new Kafka({ brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'in', numPartitions: 2 }] });
    await admin.disconnect();
  });

  after(async () => {
    conn?.close();
    await b?.stop();
    if (dir) await removeDir(dir);
  });

  const txnCommit = (version: number, groupId: string, offsets: Array<[number, bigint, string?]>, extra: Record<string, unknown> = {}) =>
    conn.request<TxnOffsetCommitResponse>(txnOffsetCommitApi, version, {
      transactionalId: 'tx-1',
      groupId,
      producerId: 7000n,
      producerEpoch: 1,
      generationId: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: 'in', partitions: offsets.map(([partitionIndex, committedOffset, committedMetadata]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: committedMetadata ?? '' })) }],
      ...extra,
    });
  const codes = (r: TxnOffsetCommitResponse): Record<string, number> => Object.fromEntries(r.topics.flatMap((t) => t.partitions.map((p) => [`${t.name}-${p.partitionIndex}`, p.errorCode])));
  const fetchV7 = async (groupId: string, requireStable: boolean): Promise<Record<string, [bigint, number]>> => {
    const r = await conn.request<OffsetFetchResponse>(offsetFetchApi, 7, { groupId, topics: [{ name: 'in', partitionIndexes: [0, 1] }], requireStable });
    assert.equal(r.errorCode, ErrorCode.NONE);
    return Object.fromEntries(r.topics.flatMap((t) => t.partitions.map((p) => [`${t.name}-${p.partitionIndex}`, [p.committedOffset, p.errorCode]])));
  };

  it('accepts every version; pending offsets stay invisible; errors per partition', async () => {
    // A plain commit first, so "the committed value" is visible under the pending one.
    await conn.request(offsetCommitApi, 8, {
      groupId: 'g0',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: '' }] }],
    });
    for (let v = 0; v <= 4; v++) {
      assert.deepEqual(codes(await txnCommit(v, `g${v}`, [[0, 10n + BigInt(v)]])), { 'in-0': ErrorCode.NONE }, `v${v}`);
    }
    assert.deepEqual(await fetchV7('g0', false), { 'in-0': [3n, 0], 'in-1': [-1n, 0] }, 'the committed value, not the pending one');
    assert.deepEqual(await fetchV7('g0', true), { 'in-0': [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT], 'in-1': [-1n, 0] });
    const v8 = await conn.request<OffsetFetchResponse>(offsetFetchApi, 8, { groups: [{ groupId: 'g4', topics: [{ name: 'in', partitionIndexes: [0] }] }], requireStable: true });
    assert.equal(v8.groups[0]!.errorCode, ErrorCode.NONE);
    assert.equal(v8.groups[0]!.topics[0]!.partitions[0]!.errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);

    const bad = await txnCommit(3, 'g3', [[0, 20n], [9, 1n], [1, 1n, 'x'.repeat(17)]]);
    assert.deepEqual(codes(bad), { 'in-0': 0, 'in-9': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'in-1': ErrorCode.OFFSET_METADATA_TOO_LARGE });
    assert.deepEqual(codes(await txnCommit(3, '', [[0, 1n]])), { 'in-0': ErrorCode.INVALID_GROUP_ID });
    assert.deepEqual(codes(await txnCommit(3, 'nobody', [[0, 1n]], { generationId: 4, memberId: 'm-1' })), { 'in-0': ErrorCode.ILLEGAL_GENERATION });
    assert.deepEqual(codes(await txnCommit(3, 'g3', [[0, 1n]], { producerEpoch: 0 })), { 'in-0': ErrorCode.INVALID_PRODUCER_EPOCH }, 'the offsets partition saw epoch 1');
    assert.deepEqual(codes(await txnCommit(3, 'g3', [[0, 1n]], { producerId: -1n })), { 'in-0': ErrorCode.INVALID_PRODUCER_EPOCH }, 'not a transactional producer');
  });

  it('a pending offset is still pending after a restart', async () => {
    conn.close();
    await b.stop();
    b = await startBroker({ overrides: OVERRIDES, dataDir: dir });
    conn = await RawConnection.connect(b.port);
    // FindCoordinator waits (bounded) for the loading shard.
    await conn.request(findCoordinatorApi, 2, { key: 'g0', keyType: 0 });
    assert.deepEqual(await fetchV7('g0', true), { 'in-0': [-1n, ErrorCode.UNSTABLE_OFFSET_COMMIT], 'in-1': [-1n, 0] });
    assert.deepEqual(await fetchV7('g0', false), { 'in-0': [3n, 0], 'in-1': [-1n, 0] });
  });
});

/**
 * Goal: DescribeProducers (key 61, v0) answers from the partition's local log, any replica role,
 * with Kafka's codes: producers of a hosted partition with their epoch, last sequence, timestamp,
 * coordinator epoch and open-transaction start (-1 none); a partition the metadata knows but this
 * broker does not host NOT_LEADER_OR_FOLLOWER; an unknown topic or partition
 * UNKNOWN_TOPIC_OR_PARTITION. The response survives an encode/decode round trip at v0.
 *
 * Method: the admin fixture's real EmbeddedController for metadata and a stub ReplicaManager whose
 * one hosted partition returns a fixed producers() list (the storage side is tested in
 * test/storage); the live path (real producer state, the kafka-transactions tool) is in
 * test/cli/kafka-transactions.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeProducersHandler } from '../../src/handlers/describe-producers.js';
import { ApiCodec, type Struct } from '../../src/protocol/codec.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import type { DescribeProducersResponse } from '../../src/protocol/messages/describe-producers.js';
import { Reader, Writer } from '../../src/protocol/primitives.js';
import type { ReplicaManager } from '../../src/replication/replica-manager.js';
import { adminFixture } from './admin-fixture.js';

describe('DescribeProducers', () => {
  it('answers hosted partitions from their log and Kafka codes for the rest', async () => {
    const fx = await adminFixture();
    await fx.createTopic('orders', 2);
    const producers = [
      { producerId: 42n, epoch: 3, lastSequence: 9, lastTimestampMs: 1_700_000_000_500, coordinatorEpoch: -1, currentTxnStartOffset: 17 },
      { producerId: 43n, epoch: 0, lastSequence: 4, lastTimestampMs: 1_700_000_000_600, coordinatorEpoch: 2, currentTxnStartOffset: -1 },
    ];
    const replicas = {
      partitionState: (topic: string, partition: number) => (topic === 'orders' && partition === 0 ? { log: { producers: () => producers } } : undefined),
    } as unknown as ReplicaManager;
    const ctx = { ...fx.ctx(0, 61), broker: { ...fx.broker, replicas } };
    const res = (await describeProducersHandler.handle(ctx, {
      topics: [
        { name: 'orders', partitionIndexes: [0, 1, 7] },
        { name: 'ghost', partitionIndexes: [0] },
      ],
    })) as DescribeProducersResponse;

    const codec = new ApiCodec(describeProducersHandler.api);
    const w = new Writer();
    codec.encodeResponse(0, res as unknown as Struct, w);
    const back = codec.decodeResponse(0, new Reader(w.toBuffer())) as unknown as DescribeProducersResponse;

    assert.deepEqual(
      back.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
      [
        ['orders', [[0, ErrorCode.NONE], [1, ErrorCode.NOT_LEADER_OR_FOLLOWER], [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
        ['ghost', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
      ],
    );
    assert.deepEqual(back.topics[0]!.partitions[0]!.activeProducers, [
      { producerId: 42n, producerEpoch: 3, lastSequence: 9, lastTimestamp: 1_700_000_000_500n, coordinatorEpoch: -1, currentTxnStartOffset: 17n },
      { producerId: 43n, producerEpoch: 0, lastSequence: 4, lastTimestamp: 1_700_000_000_600n, coordinatorEpoch: 2, currentTxnStartOffset: -1n },
    ]);
    assert.equal(back.topics[0]!.partitions[0]!.errorMessage, null);
    assert.match(back.topics[0]!.partitions[1]!.errorMessage ?? '', /no replica of orders-1/);
  });
});

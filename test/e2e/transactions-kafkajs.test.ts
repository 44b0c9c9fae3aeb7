/**
 * Goal: kafkajs transactions work against Samsa as against Kafka: `producer.transaction()` with
 * send to several partitions and `sendOffsets`, then commit or abort. A read_committed kafkajs
 * consumer (its default) sees exactly the committed records, in order, never an aborted one; a
 * read_uncommitted consumer sees both; the group offsets sent in the committed transaction are
 * visible to fetchOffsets, those of the aborted one never; a second producer with the same
 * transactionalId fences the first (its commit is refused).
 *
 * Method: one in-process broker; kafkajs producer (transactionalId, idempotent, one request in
 * flight), consumers in their own groups reading from the beginning until they have the expected
 * count and then a short quiet period (nothing more may arrive), admin.fetchOffsets for offsets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kafkajs, { type Admin } from 'kafkajs';
import { sleep, startBroker, waitFor, type StartedBroker } from '../helpers/broker.js';

const { Kafka, logLevel } = kafkajs;

describe('transactions with kafkajs', () => {
  let b: StartedBroker;
  let kafka: InstanceType<typeof Kafka>;
  let admin: Admin;

  before(async () => {
    b = await startBroker({
      overrides: ['transaction.state.log.num.partitions=4', 'offsets.topic.num.partitions=4', 'group.initial.rebalance.delay.ms=0', 'group.min.session.timeout.ms=1000'],
    });
    kafka = new Kafka({ clientId: 'samsa-txn-kafkajs', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    await admin?.disconnect();
    await b?.stop();
  });

  /** Every value of `topic` per partition, read from the beginning, once `expected` arrived and 500 ms stayed quiet. */
  async function readAll(topic: string, expected: number, readUncommitted: boolean): Promise<Map<number, string[]>> {
    const consumer = kafka.consumer({ groupId: `reader-${topic}-${readUncommitted}`, readUncommitted, maxWaitTimeInMs: 100, sessionTimeout: 6000 });
    await consumer.connect();
    const got = new Map<number, string[]>();
    let count = 0;
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          let list = got.get(partition);
          if (!list) got.set(partition, (list = []));
          list.push(message.value!.toString());
          count++;
        },
      });
      await waitFor(() => count >= expected, { timeoutMs: 30_000, what: `${expected} records of ${topic}` });
      await sleep(500);
    } finally {
      await consumer.disconnect();
    }
    return got;
  }

  it('commit and abort with sendOffsets: read_committed sees the committed records only, offsets only from the commit', async () => {
    const topic = 'kjs-txn-out';
    const src = 'kjs-txn-src';
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }, { topic: src, numPartitions: 1 }] });
    const producer = kafka.producer({ transactionalId: 'kjs-tx', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const committed = await producer.transaction();
      await committed.send({ topic, messages: [0, 1, 2, 3].map((i) => ({ partition: i % 2, value: `c-${i}` })) });
      await committed.sendOffsets({ consumerGroupId: 'kjs-group', topics: [{ topic: src, partitions: [{ partition: 0, offset: '5' }] }] });
      await committed.commit();
      const aborted = await producer.transaction();
      await aborted.send({ topic, messages: [0, 1].map((i) => ({ partition: i % 2, value: `a-${i}` })) });
      await aborted.sendOffsets({ consumerGroupId: 'kjs-group', topics: [{ topic: src, partitions: [{ partition: 0, offset: '9' }] }] });
      await aborted.abort();
      const last = await producer.transaction();
      await last.send({ topic, messages: [{ partition: 0, value: 'c-last' }] });
      await last.commit();
    } finally {
      await producer.disconnect();
    }
    const readCommitted = await readAll(topic, 5, false);
    assert.deepEqual(readCommitted.get(0), ['c-0', 'c-2', 'c-last']);
    assert.deepEqual(readCommitted.get(1), ['c-1', 'c-3']);
    const readAllRecords = await readAll(topic, 7, true);
    assert.deepEqual(readAllRecords.get(0), ['c-0', 'c-2', 'a-0', 'c-last']);
    assert.deepEqual(readAllRecords.get(1), ['c-1', 'c-3', 'a-1']);
    const offsets = await admin.fetchOffsets({ groupId: 'kjs-group', topics: [src] });
    assert.equal(offsets[0]!.partitions[0]!.offset, '5');
  });

  it('a second producer with the same transactionalId fences the first', async () => {
    const topic = 'kjs-txn-zombie';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const zombie = kafka.producer({ transactionalId: 'kjs-zombie', idempotent: true, maxInFlightRequests: 1, retry: { retries: 2 } });
    const fresh = kafka.producer({ transactionalId: 'kjs-zombie', idempotent: true, maxInFlightRequests: 1 });
    await zombie.connect();
    try {
      const old = await zombie.transaction();
      await old.send({ topic, messages: [{ partition: 0, value: 'zombie' }] });
      await fresh.connect();
      const t = await fresh.transaction();
      await t.send({ topic, messages: [{ partition: 0, value: 'fresh' }] });
      await t.commit();
      await assert.rejects(old.commit(), (err: Error) => /fenced|epoch|invalid/i.test(`${err.name} ${err.message}`));
    } finally {
      await zombie.disconnect();
      await fresh.disconnect();
    }
    assert.deepEqual((await readAll(topic, 1, false)).get(0), ['fresh']);
  });
});

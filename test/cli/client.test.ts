/**
 * Goal: the pieces of src/client/ the tools stand on are right in isolation: murmur2 and key →
 * partition agree with Kafka's default partitioner; the record batch builder writes batches that
 * an independent reader (protocol/records/builder.ts readRecordsSync) decodes identically, for
 * every codec, and our decoder reads them back; the range assignor and the consumer-protocol
 * encodings follow the protocol; broker addresses parse as users type them; and the Producer /
 * Consumer / Admin work together against a real broker (keys land where murmur2 says, delivery
 * reports carry offsets, consumers see every record once).
 *
 * Method: pure-function checks with known vectors (Kafka's own test values for murmur2, plus a
 * cross-check against kafkajs's Java-compatible partitioner from node_modules); one in-process
 * broker for the integration part.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { Admin } from '../../src/client/admin.js';
import { KafkaClient, parseBootstrap, parseHostPort } from '../../src/client/client.js';
import { Consumer } from '../../src/client/consumer.js';
import { assignRange, assignRoundRobin, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../src/client/group-protocol.js';
import { murmur2, murmur2String, partitionForKey } from '../../src/client/murmur2.js';
import { Producer } from '../../src/client/producer.js';
import { decodeRecordSet, RecordBatchBuilder, type ConsumedRecord } from '../../src/client/records.js';
import { readRecordsSync } from '../../src/protocol/records/builder.js';
import { startBroker, type StartedBroker } from '../helpers/broker.js';

const require = createRequire(import.meta.url);

describe('client building blocks', () => {
  it('murmur2 matches Kafka and kafkajs', () => {
    // Values from Kafka's UtilsTest / the Java client, and the empty key.
    assert.equal(murmur2(Buffer.from('21')), -973932308);
    assert.equal(murmur2(Buffer.from('0')), 971027396);
    assert.equal(murmur2(Buffer.from('1')), -1993445489);
    assert.equal(murmur2(Buffer.from('128')), -326012175);
    const kafkajs = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (k: string | Buffer) => number;
    for (let i = 0; i < 2000; i++) {
      const key = i % 7 === 0 ? `ключ-${i}-é` : `key-${i}-${'x'.repeat(i % 13)}`;
      const expected = kafkajs(Buffer.from(key));
      assert.equal(murmur2String(key), expected, key);
      assert.equal(murmur2(Buffer.from(key)), expected, key);
    }
    assert.equal(partitionForKey('21', 5), (-973932308 & 0x7fffffff) % 5);
  });

  it('builds batches an independent reader decodes, for every codec, and reads them back', async () => {
    for (const codec of [0, 1, 2, 3, 4]) {
      const b = new RecordBatchBuilder(4096);
      const now = 1_700_000_000_000;
      const input = Array.from({ length: 300 }, (_, i) => ({
        ts: now + i,
        key: i % 3 === 0 ? null : i % 2 === 0 ? `k${i}` : Buffer.from(`kb${i}`),
        value: i === 7 ? null : `value ${i} ${'ü'.repeat(i % 5)}`,
        headers: i % 4 === 0 ? [{ key: 'h', value: `v${i}` }, { key: 'n', value: null }] : null,
      }));
      let appended = 0;
      for (const r of input) {
        if (!b.tryAppend(r.ts, r.key, r.value, r.headers)) break;
        appended++;
      }
      assert.ok(appended > 10 && appended < 300, 'the builder stops at its capacity');
      assert.ok(b.sizeBytes <= 4096 && b.sizeBytes > 2048, 'it grew from its first 2 KiB buffer up to, not past, the capacity');
      const batch = await b.sealCompressed(codec);
      const independent = readRecordsSync(batch);
      assert.equal(independent.length, appended);
      const ours: ConsumedRecord[] = [];
      const { nextOffset } = await decodeRecordSet(batch, { topic: 't', partition: 0, fetchOffset: 0, checkCrcs: true, abortedTransactions: null }, ours);
      assert.equal(nextOffset, appended);
      for (let i = 0; i < appended; i++) {
        const want = input[i]!;
        const keyText = want.key === null ? null : String(want.key);
        for (const got of [independent[i]!, ours[i]!]) {
          assert.equal(got.offset, i);
          assert.equal(got.timestampMs, want.ts);
          assert.equal(got.key?.toString() ?? null, keyText);
          assert.equal(got.value?.toString() ?? null, want.value);
          assert.deepEqual(got.headers.map((h) => [h.key, h.value?.toString() ?? null]), want.headers ? [['h', `v${i}`], ['n', null]] : []);
        }
      }
    }
  });

  it('assigns ranges like Kafka\'s RangeAssignor and encodes the consumer protocol', () => {
    const plan = assignRange(
      [
        { memberId: 'b', topics: ['t1', 't2'] },
        { memberId: 'a', topics: ['t1'] },
        { memberId: 'c', topics: ['t1', 't2'] },
      ],
      new Map([
        ['t1', 7],
        ['t2', 2],
      ]),
    );
    assert.deepEqual(plan.get('a'), [{ topic: 't1', partitions: [0, 1, 2] }]);
    assert.deepEqual(plan.get('b'), [{ topic: 't1', partitions: [3, 4] }, { topic: 't2', partitions: [0] }]);
    assert.deepEqual(plan.get('c'), [{ topic: 't1', partitions: [5, 6] }, { topic: 't2', partitions: [1] }]);
    // Round robin (Kafka's RoundRobinAssignor): partitions dealt in turn, skipping members not subscribed.
    const rr = assignRoundRobin(
      [
        { memberId: 'c', topics: ['t1', 't2'] },
        { memberId: 'a', topics: ['t1'] },
        { memberId: 'b', topics: ['t1', 't2'] },
      ],
      new Map([
        ['t1', 3],
        ['t2', 2],
      ]),
    );
    assert.deepEqual(rr.get('a'), [{ topic: 't1', partitions: [0] }]);
    assert.deepEqual(rr.get('b'), [{ topic: 't1', partitions: [1] }, { topic: 't2', partitions: [0] }]);
    assert.deepEqual(rr.get('c'), [{ topic: 't1', partitions: [2] }, { topic: 't2', partitions: [1] }]);
    const sub = decodeSubscription(encodeSubscription(['x', 'y']));
    assert.deepEqual(sub.topics, ['x', 'y']);
    const a = decodeAssignment(encodeAssignment([{ topic: 'x', partitions: [0, 2] }]));
    assert.deepEqual(a.partitions, [{ topic: 'x', partitions: [0, 2] }]);
    assert.deepEqual(decodeAssignment(Buffer.alloc(0)).partitions, []);
  });

  it('parses broker addresses as users type them', () => {
    assert.deepEqual(parseHostPort('localhost:9092'), { host: 'localhost', port: 9092 });
    assert.deepEqual(parseHostPort('kafka1'), { host: 'kafka1', port: 9092 });
    assert.deepEqual(parseHostPort('[::1]:9093'), { host: '::1', port: 9093 });
    assert.deepEqual(parseHostPort('PLAINTEXT://b:9094'), { host: 'b', port: 9094 });
    assert.deepEqual(parseBootstrap('a:1, b:2,'), [{ host: 'a', port: 1 }, { host: 'b', port: 2 }]);
    assert.throws(() => parseHostPort('a:99999'), /bad port/);
    assert.throws(() => parseBootstrap(''), /no bootstrap server/);
  });
});

describe('Producer, Consumer and Admin against a broker', () => {
  let b: StartedBroker;
  let client: KafkaClient;

  before(async () => {
    b = await startBroker({ overrides: ['group.initial.rebalance.delay.ms=0'] });
    client = new KafkaClient({ bootstrapServers: b.bootstrap });
  });
  after(async () => {
    await client?.close();
    await b?.stop();
  });

  it('puts keys where murmur2 says, reports offsets, and reads everything back once', async () => {
    const admin = new Admin(client);
    const [created] = await admin.createTopics([{ name: 'keys', numPartitions: 4, replicationFactor: 1 }]);
    assert.equal(created!.error, null);
    const producer = new Producer(client, { lingerMs: 2, batchSizeBytes: 1024, compression: 'lz4' });
    const n = 5000;
    const reports: Array<{ partition: number; offset: number }> = new Array(n);
    for (let i = 0; i < n; i++) {
      producer.send({ topic: 'keys', key: `user-${i % 50}`, value: `event-${i}` }, (err, meta) => {
        assert.equal(err, null);
        reports[i] = { partition: meta!.partition, offset: meta!.offset };
      });
    }
    await producer.close();
    for (let i = 0; i < n; i++) assert.equal(reports[i]!.partition, partitionForKey(`user-${i % 50}`, 4), `record ${i}`);
    // Offsets per partition are 0..count-1 with no gap or repeat, in send order.
    const perPartition = new Map<number, number[]>();
    for (const r of reports) perPartition.set(r.partition, [...(perPartition.get(r.partition) ?? []), r.offset]);
    for (const offs of perPartition.values()) assert.deepEqual(offs, offs.map((_, i) => i));

    const consumer = new Consumer(client, { maxPollRecords: 700 });
    consumer.assign([0, 1, 2, 3].map((partition) => ({ topic: 'keys', partition, offset: 'earliest' as const })));
    const seen = new Set<string>();
    while (seen.size < n) {
      const records = await consumer.poll(5000);
      assert.ok(records.length > 0, `stalled after ${seen.size} records`);
      assert.ok(records.length <= 700);
      for (const r of records) {
        const v = r.value!.toString();
        assert.ok(!seen.has(v), `duplicate ${v}`);
        seen.add(v);
        assert.equal(r.partition, partitionForKey(r.key!.toString(), 4));
      }
    }
    await consumer.close();
    const ends = await admin.listOffsets([0, 1, 2, 3].map((partition) => ({ topic: 'keys', partition, timestamp: -1 })));
    assert.equal(ends.reduce((a, e) => a + e.offset, 0), n);
  });

  it('sends the lingering batches of other partitions with the batch whose linger ran out (Kafka\'s drain)', async () => {
    const admin = new Admin(client);
    const [created] = await admin.createTopics([{ name: 'drain', numPartitions: 3, replicationFactor: 1 }]);
    assert.equal(created!.error, null);
    const produceRequests = (): number => b.broker.metrics!.requests.of(0).totalTime.count; // Produce is API key 0
    const producer = new Producer(client, { lingerMs: 400 });
    // Metadata first, so that the records below wait only for their linger.
    await new Promise<void>((resolve, reject) => producer.send({ topic: 'drain', partition: 0, value: 'warm-up' }, (err) => (err ? reject(err) : resolve())));
    const before = produceRequests();
    const sentAt: number[] = [];
    const delivered: Array<Promise<number>> = [];
    for (const partition of [0, 1, 2]) {
      sentAt.push(performance.now());
      delivered.push(new Promise((resolve, reject) => producer.send({ topic: 'drain', partition, value: `p${partition}` }, (err) => (err ? reject(err) : resolve(performance.now())))));
      await new Promise((r) => setTimeout(r, 100));
    }
    const at = await Promise.all(delivered);
    assert.equal(produceRequests() - before, 1, 'one Produce request carried all three partitions');
    // Partition 2's record was 200 ms younger than partition 0's: it left with it, ~200 ms before its own linger ran out.
    assert.ok(at[2]! - sentAt[2]! < 350, `partition 2's record waited ${Math.round(at[2]! - sentAt[2]!)} ms (linger 400)`);
    await producer.close();
  });

  it('fails a record for a partition that does not exist, and a record that is too large', async () => {
    const producer = new Producer(client, { maxRequestSizeBytes: 1000 });
    await assert.rejects(producer.produce({ topic: 'keys', partition: 9, value: 'x' }), /Partition 9 of topic keys/);
    await assert.rejects(producer.produce({ topic: 'keys', value: 'x'.repeat(2000) }), /larger than 1000/);
    const ok = await producer.produce({ topic: 'keys', partition: 1, value: 'fine' });
    assert.equal(ok.partition, 1);
    assert.ok(ok.offset >= 0);
    await producer.close();
  });

  it('runs a consumer group: two members split the partitions and offsets are committed', async () => {
    const admin = new Admin(client);
    await admin.createTopics([{ name: 'grp', numPartitions: 4 }]);
    const producer = new Producer(client);
    for (let i = 0; i < 400; i++) producer.send({ topic: 'grp', partition: i % 4, value: `m${i}` });
    await producer.close();
    const c1 = new Consumer(new KafkaClient({ bootstrapServers: b.bootstrap }), { groupId: 'g', autoOffsetReset: 'earliest', heartbeatIntervalMs: 200 });
    c1.subscribe(['grp']);
    let got1 = 0;
    // The first member gets everything.
    while (got1 < 400) got1 += (await c1.poll(5000)).length;
    await c1.commit();
    assert.deepEqual(
      c1.assignment().map((a) => a.partition).sort(),
      [0, 1, 2, 3],
    );
    const committed = await admin.fetchCommittedOffsets('g');
    assert.deepEqual(committed.map((c) => c.offset), [100, 100, 100, 100]);
    await c1.close();
    const groups = await admin.listGroups();
    assert.ok(groups.some((g) => g.groupId === 'g'));
  });
});

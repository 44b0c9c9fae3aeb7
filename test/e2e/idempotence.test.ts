/**
 * Goal: idempotent producers get Kafka's exactly-once-per-partition append semantics from Samsa
 * (storage/producer-state.ts): real clients with idempotence on produce without errors and every
 * record is stored exactly once, in order; a resent batch is answered with its original offset and
 * stores nothing; a sequence gap and a stale epoch get OUT_OF_ORDER_SEQUENCE_NUMBER and
 * INVALID_PRODUCER_EPOCH.
 *
 * Method: one in-process broker. librdkafka (confluent-kafka-python, enable.idempotence=True) and
 * kafkajs (idempotent: true) produce N records; the test reads the partition back with raw Fetch
 * requests and compares values and offsets. The raw-protocol part takes a producer id from
 * InitProducerId and sends hand-built batches (producer fields patched, CRC resealed) with Produce v7;
 * a second broker on its own data dir is stopped and restarted to check that producer state
 * (the `.snapshot` written at close) survives a restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { lastJsonLine, makeTempDir, removeDir, requirePythonModule, runPython, startBroker, type StartedBroker } from '../helpers/broker.js';
import { RawConnection, buildBatch, readUncompressedBatch, scanBatches } from '../helpers/raw-kafka.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { fetchApi, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { initProducerIdApi, type InitProducerIdResponse } from '../../src/protocol/messages/init-producer-id.js';
import { metadataApi, type MetadataResponse } from '../../src/protocol/messages/metadata.js';
import { produceApi, type ProduceResponse } from '../../src/protocol/messages/produce.js';
import { batch } from '../../src/protocol/records/batch.js';

const { Kafka, logLevel } = kafkajs;

const N = 2000;

const PRODUCE = String.raw`
import json, sys
from confluent_kafka import Producer
bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'acks': 'all',
              'linger.ms': 2, 'batch.num.messages': 50, 'max.in.flight.requests.per.connection': 5,
              'message.timeout.ms': 30000})
reports = []
def on_delivery(err, msg):
    reports.append({'err': None if err is None else str(err), 'offset': msg.offset(), 'value': msg.value().decode()})
for i in range(n):
    p.produce(topic, value=('v%d' % i).encode(), partition=0, on_delivery=on_delivery)
    p.poll(0)
left = p.flush(30)
print(json.dumps({'left': left, 'reports': reports}))
`;

/** Every record of partition 0 of `topic`, read with Fetch v12 up to the high watermark; `producerIds` collects the batches' producer ids. */
async function readAll(port: number, topic: string, producerIds: Set<bigint> = new Set()): Promise<Array<{ offset: number; value: string }>> {
  const c = await RawConnection.connect(port);
  const out: Array<{ offset: number; value: string }> = [];
  try {
    let offset = 0;
    for (;;) {
      const res = await c.request<FetchResponse>(fetchApi, 12, {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 64 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 64 << 20 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      const p = res.responses[0]!.partitions[0]!;
      assert.equal(p.errorCode, ErrorCode.NONE);
      if (!p.records || p.records.length === 0) return out;
      const { batches } = scanBatches(p.records);
      let at = 0;
      for (const b of batches) {
        producerIds.add(p.records.readBigInt64BE(at + 43));
        for (const r of readUncompressedBatch(p.records.subarray(at, at + b.sizeBytes))) out.push({ offset: r.offset, value: r.value?.toString() ?? '' });
        at += b.sizeBytes;
      }
      offset = out.at(-1)!.offset + 1;
      if (offset >= Number(p.highWatermark)) return out;
    }
  } finally {
    c.close();
  }
}

function idempotentBatch(values: string[], producerId: bigint, epoch: number, baseSequence: number): Buffer {
  const b = buildBatch(values.map((v) => ({ key: null, value: Buffer.from(v) })));
  b.writeBigInt64BE(producerId, 43);
  b.writeInt16BE(epoch, 51);
  b.writeInt32BE(baseSequence, 53);
  batch.resealCrc(b);
  return b;
}

async function initProducerId(c: RawConnection): Promise<bigint> {
  const init = await c.request<InitProducerIdResponse>(initProducerIdApi, 1, { transactionalId: null, transactionTimeoutMs: 60_000 });
  assert.equal(init.errorCode, ErrorCode.NONE);
  return init.producerId;
}

async function produceRaw(c: RawConnection, topic: string, records: Buffer): Promise<{ errorCode: number; baseOffset: number }> {
  const res = await c.request<ProduceResponse>(produceApi, 7, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  });
  const p = res.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset) };
}

/** The first produce to an auto-created topic: retried while the new partition has no leader yet. */
async function produceFirst(c: RawConnection, topic: string, records: Buffer): Promise<{ errorCode: number; baseOffset: number }> {
  await c.request<MetadataResponse>(metadataApi, 4, { topics: [{ name: topic }], allowAutoTopicCreation: true });
  let r = await produceRaw(c, topic, records);
  for (let i = 0; i < 50 && r.errorCode !== ErrorCode.NONE; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    r = await produceRaw(c, topic, records);
  }
  return r;
}

describe('idempotent producers against Samsa', () => {
  let b: StartedBroker;

  before(async () => {
    b = await startBroker({ overrides: ['num.partitions=1'] });
  });
  after(async () => {
    await b?.stop();
  });

  it(`librdkafka with enable.idempotence=True stores ${N} records exactly once, in order`, async () => {
    await requirePythonModule('confluent_kafka');
    const topic = 'idem-librdkafka';
    const r = await runPython(PRODUCE, [b.bootstrap, topic, String(N)], { timeoutMs: 60_000 });
    const { left, reports } = lastJsonLine<{ left: number; reports: Array<{ err: string | null; offset: number; value: string }> }>(r.stdout);
    assert.equal(left, 0);
    assert.equal(reports.length, N);
    for (const rep of reports) assert.equal(rep.err, null, rep.err ?? '');
    const producerIds = new Set<bigint>();
    const stored = await readAll(b.port, topic, producerIds);
    assert.equal(producerIds.size, 1);
    assert.ok([...producerIds][0]! >= 0n, 'the batches carry a producer id: idempotence was on');
    assert.equal(stored.length, N);
    stored.forEach((rec, i) => assert.deepEqual(rec, { offset: i, value: `v${i}` }));
  });

  it('raw protocol: a resent batch gets its original offset and stores nothing; a gap and a stale epoch are refused', async () => {
    const topic = 'idem-raw';
    const c = await RawConnection.connect(b.port);
    try {
      const pid = await initProducerId(c);
      const produce = (records: Buffer): Promise<{ errorCode: number; baseOffset: number }> => produceRaw(c, topic, records);
      const first = await produceFirst(c, topic, idempotentBatch(['a', 'b'], pid, 0, 0));
      assert.deepEqual(first, { errorCode: ErrorCode.NONE, baseOffset: 0 });
      assert.deepEqual(await produce(idempotentBatch(['c'], pid, 0, 2)), { errorCode: ErrorCode.NONE, baseOffset: 2 });
      // The same batch again (a retry after a lost response): the original offset, nothing stored.
      assert.deepEqual(await produce(idempotentBatch(['a', 'b'], pid, 0, 0)), { errorCode: ErrorCode.NONE, baseOffset: 0 });
      assert.deepEqual(await produce(idempotentBatch(['c'], pid, 0, 2)), { errorCode: ErrorCode.NONE, baseOffset: 2 });
      // A gap: sequence 5 after 2.
      assert.equal((await produce(idempotentBatch(['gap'], pid, 0, 5))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      // A bumped epoch starts at 0; after it, the old epoch is stale.
      assert.deepEqual(await produce(idempotentBatch(['d'], pid, 1, 0)), { errorCode: ErrorCode.NONE, baseOffset: 3 });
      assert.equal((await produce(idempotentBatch(['stale'], pid, 0, 3))).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
      // A bumped epoch that does not start at 0.
      assert.equal((await produce(idempotentBatch(['e'], pid, 2, 7))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      const stored = await readAll(b.port, topic);
      assert.deepEqual(stored, [
        { offset: 0, value: 'a' },
        { offset: 1, value: 'b' },
        { offset: 2, value: 'c' },
        { offset: 3, value: 'd' },
      ]);
    } finally {
      c.close();
    }
  });

  it('producer state survives a broker restart: a retry after the restart is still a duplicate', async () => {
    const topic = 'idem-restart';
    const dataDir = await makeTempDir('samsa-e2e-idem-');
    try {
      let other = await startBroker({ dataDir, overrides: ['num.partitions=1'] });
      let c = await RawConnection.connect(other.port);
      const pid = await initProducerId(c);
      assert.deepEqual(await produceFirst(c, topic, idempotentBatch(['a'], pid, 0, 0)), { errorCode: ErrorCode.NONE, baseOffset: 0 });
      assert.deepEqual(await produceRaw(c, topic, idempotentBatch(['b', 'c'], pid, 0, 1)), { errorCode: ErrorCode.NONE, baseOffset: 1 });
      c.close();
      await other.stop();
      other = await startBroker({ dataDir, overrides: ['num.partitions=1'] });
      try {
        c = await RawConnection.connect(other.port);
        assert.deepEqual(await produceFirst(c, topic, idempotentBatch(['b', 'c'], pid, 0, 1)), { errorCode: ErrorCode.NONE, baseOffset: 1 });
        assert.equal((await produceRaw(c, topic, idempotentBatch(['x'], pid, 0, 9))).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
        assert.deepEqual(await produceRaw(c, topic, idempotentBatch(['d'], pid, 0, 3)), { errorCode: ErrorCode.NONE, baseOffset: 3 });
        c.close();
        assert.deepEqual(
          (await readAll(other.port, topic)).map((r) => r.value),
          ['a', 'b', 'c', 'd'],
        );
      } finally {
        await other.stop();
      }
    } finally {
      await removeDir(dataDir);
    }
  });

  it('kafkajs with idempotent: true produces every record exactly once', async () => {
    const topic = 'idem-kafkajs';
    const kafka = new Kafka({ clientId: 'samsa-e2e-idempotent', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 5 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const sent: string[] = [];
      for (let i = 0; i < 20; i++) {
        const messages = Array.from({ length: 10 }, (_, j) => ({ value: `k${i * 10 + j}` }));
        sent.push(...messages.map((m) => m.value));
        const res = await producer.send({ topic, acks: -1, messages });
        assert.equal(res[0]!.errorCode, 0);
      }
      const producerIds = new Set<bigint>();
      const stored = await readAll(b.port, topic, producerIds);
      assert.ok([...producerIds].every((id) => id >= 0n), 'the batches carry a producer id: idempotence was on');
      assert.deepEqual(
        stored,
        sent.map((value, offset) => ({ offset, value })),
      );
    } finally {
      await producer.disconnect();
    }
  });
});

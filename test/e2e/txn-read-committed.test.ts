/**
 * Goal: the log side of transactions seen by REAL consumers: a read_committed consumer
 * (confluent-kafka-python / librdkafka, and kcat) sees exactly the committed records, in order,
 * never an aborted one and nothing past the last stable offset (an open transaction); a
 * read_uncommitted consumer sees every record up to the high watermark. librdkafka drops aborted
 * records through the Fetch response's abortedTransactions list and the control batches, so this
 * checks both. Also: ListOffsets latest with read_committed answers the LSO (librdkafka's
 * get_watermark_offsets uses the consumer's isolation level), and a read_committed Fetch parked
 * in the purgatory at the LSO wakes when a marker moves the LSO (not at its maxWaitMs).
 *
 * Method: one in-process broker. The transaction coordinator is another module (WriteTxnMarkers),
 * so the test writes the transactional data batches and the COMMIT / ABORT markers in-process
 * through ReplicaManager.appendAsLeader / appendControlAsLeader (acks=all), with several
 * transactions interleaved and one left open; the consumers then read over real sockets.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { kcat, lastJsonLine, requireKcat, requirePythonModule, runPython, startBroker, waitFor, type StartedBroker } from '../helpers/broker.js';
import { buildBatch } from '../helpers/batches.js';
import { RawConnection } from '../helpers/raw-kafka.js';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import { fetchApi, type FetchResponse } from '../../src/protocol/messages/fetch.js';
import { metadataApi, type MetadataResponse } from '../../src/protocol/messages/metadata.js';

const TOPIC = 'txn-e2e';

const CONSUME = String.raw`
import json, sys, time
from confluent_kafka import Consumer, KafkaError, TopicPartition, OFFSET_BEGINNING
bootstrap, topic, isolation = sys.argv[1], sys.argv[2], sys.argv[3]
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'txn-e2e-' + isolation, 'isolation.level': isolation,
              'enable.partition.eof': True, 'enable.auto.commit': False, 'fetch.wait.max.ms': 100})
c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
values, eof, deadline = [], False, time.time() + 30
while time.time() < deadline and not eof:
    m = c.poll(0.5)
    if m is None:
        continue
    if m.error():
        if m.error().code() == KafkaError._PARTITION_EOF:
            eof = True
            continue
        raise SystemExit('consumer error: %s' % m.error())
    values.append({'offset': m.offset(), 'value': m.value().decode()})
low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10, cached=False)
c.close()
print(json.dumps({'values': values, 'eof': eof, 'low': low, 'high': high}))
`;

interface Consumed {
  values: Array<{ offset: number; value: string }>;
  eof: boolean;
  low: number;
  high: number;
}

describe('read_committed consumers over transactional data and markers', () => {
  let b: StartedBroker;
  const seqs = new Map<bigint, number>();

  async function txData(producerId: bigint, value: string): Promise<number> {
    const seq = seqs.get(producerId) ?? 0;
    seqs.set(producerId, seq + 1);
    const batchBytes = buildBatch({ records: [{ value }], producerId: Number(producerId), producerEpoch: 0, baseSequence: seq, transactional: true, baseTimestampMs: Date.now() });
    return (await b.broker.replicas.appendAsLeader(TOPIC, 0, batchBytes, { requiredAcks: -1 })).baseOffset;
  }

  async function plain(value: string): Promise<number> {
    return (await b.broker.replicas.appendAsLeader(TOPIC, 0, buildBatch({ records: [{ value }], baseTimestampMs: Date.now() }), { requiredAcks: -1 })).baseOffset;
  }

  async function marker(producerId: bigint, commit: boolean): Promise<number> {
    return (await b.broker.replicas.appendControlAsLeader(TOPIC, 0, { producerId, producerEpoch: 0, coordinatorEpoch: 0, commit })).baseOffset;
  }

  before(async () => {
    await requirePythonModule('confluent_kafka');
    await requireKcat();
    b = await startBroker({ overrides: ['num.partitions=1'] });
    const c = await RawConnection.connect(b.port);
    try {
      await c.request<MetadataResponse>(metadataApi, 4, { topics: [{ name: TOPIC }], allowAutoTopicCreation: true });
    } finally {
      c.close();
    }
    await waitFor(
      () => {
        try {
          b.broker.replicas.leaderLog(TOPIC, 0);
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: 10_000, what: 'the topic to have a leader here' },
    );
  });

  after(async () => {
    await b?.stop();
  });

  it('committed records only, in order, up to the LSO; read_uncommitted sees everything; ListOffsets follows the isolation level', async () => {
    const T1 = 1001n;
    const T2 = 1002n;
    const T3 = 1003n;
    const T4 = 1004n;
    await txData(T1, 'c0'); // 0
    await txData(T1, 'c1'); // 1
    await marker(T1, true); // 2
    await txData(T2, 'aborted0'); // 3
    await txData(T3, 'c2'); // 4
    await txData(T2, 'aborted1'); // 5
    await plain('p0'); // 6
    await marker(T2, false); // 7
    await txData(T3, 'c3'); // 8
    await marker(T3, true); // 9
    const openAt = await txData(T4, 'open0'); // 10: T4 stays open
    assert.equal(openAt, 10);
    const log = b.broker.replicas.leaderLog(TOPIC, 0);
    assert.equal(log.highWatermark, 11);
    assert.equal(log.lastStableOffset, 10);

    const committed = lastJsonLine<Consumed>((await runPython(CONSUME, [b.bootstrap, TOPIC, 'read_committed'], { timeoutMs: 60_000 })).stdout);
    assert.deepEqual(
      committed.values.map((v) => v.value),
      ['c0', 'c1', 'c2', 'p0', 'c3'],
    );
    assert.deepEqual(
      committed.values.map((v) => v.offset),
      [0, 1, 4, 6, 8],
    );
    assert.equal(committed.eof, true, 'librdkafka reached the end (the LSO)');
    assert.equal(committed.high, 10, 'ListOffsets latest, read_committed: the LSO');

    const all = lastJsonLine<Consumed>((await runPython(CONSUME, [b.bootstrap, TOPIC, 'read_uncommitted'], { timeoutMs: 60_000 })).stdout);
    assert.deepEqual(
      all.values.map((v) => v.value),
      ['c0', 'c1', 'aborted0', 'c2', 'aborted1', 'p0', 'c3', 'open0'],
    );
    assert.equal(all.high, 11, 'ListOffsets latest, read_uncommitted: the high watermark');

    const k = await kcat(['-C', '-b', b.bootstrap, '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%o:%s\\n'], {
      timeoutMs: 30_000,
    });
    assert.deepEqual(k.stdout.trim().split('\n'), ['0:c0', '1:c1', '4:c2', '6:p0', '8:c3']);
  });

  it('a read_committed Fetch parked at the LSO wakes when the marker moves the LSO', async () => {
    const log = b.broker.replicas.leaderLog(TOPIC, 0);
    const lso = log.lastStableOffset;
    assert.ok(lso < log.highWatermark, 'the previous test left T4 open');
    const c = await RawConnection.connect(b.port);
    try {
      const started = Date.now();
      const pending = c.request<FetchResponse>(fetchApi, 11, {
        replicaId: -1,
        maxWaitMs: 10_000,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 1,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: BigInt(lso), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const markerAt = await marker(1004n, true);
      const res = await pending;
      const elapsedMs = Date.now() - started;
      const p = res.responses[0]!.partitions[0]!;
      assert.equal(p.errorCode, ErrorCode.NONE);
      assert.ok(elapsedMs < 5000, `the fetch waited ${elapsedMs} ms: it was not woken by the LSO move`);
      assert.ok((p.records?.length ?? 0) > 0, 'the now-committed record is returned');
      assert.equal(Number(p.lastStableOffset), markerAt + 1);
      assert.deepEqual(p.abortedTransactions, []);
    } finally {
      c.close();
    }
    const k = await kcat(['-C', '-b', b.bootstrap, '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%s\\n'], {
      timeoutMs: 30_000,
    });
    assert.deepEqual(k.stdout.trim().split('\n'), ['c0', 'c1', 'c2', 'p0', 'c3', 'open0']);
  });
});

/**
 * Goal: consumer groups in a 3-broker ZooKeeper cluster. The group coordinator is the leader of the
 * group's `__consumer_offsets` partition and moves with it: (1) `__consumer_offsets` is created with
 * offsets.topic.replication.factor=3 and replicated like any topic; (2) FindCoordinator on any broker
 * names that leader, group requests to the others answer NOT_COORDINATOR; (3) after kill -9 of the
 * coordinator, the new partition leader loads the offsets from its replica and coordinates
 * (OffsetFetch there returns every acknowledged commit), the others answer NOT_COORDINATOR; (4) a
 * confluent-kafka-python consumer group that committed keeps consuming through the failover with no record skipped
 * and none redelivered beyond commits that failed, and a new consumer of the group resumes from the
 * committed offsets.
 *
 * Method: startCluster (real ZooKeeper, brokers as child processes); raw protocol connections for
 * the exact answers of each broker; a confluent-kafka-python consumer (child process, synchronous
 * commit after each record, one JSON line per record) for the group; kafkajs produces and runs the
 * resumed consumer. Every wait is bounded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kafkajs from 'kafkajs';
import { ErrorCode } from '../../src/protocol/error-codes.js';
import {
  findCoordinatorApi,
  heartbeatApi,
  offsetFetchApi,
  type FindCoordinatorResponse,
  type HeartbeatResponse,
  type OffsetFetchResponse,
} from '../../src/protocol/messages/index.js';
import { OFFSETS_TOPIC, offsetsPartitionFor } from '../../src/coordinator/offsets/records.js';
import { spawn } from 'node:child_process';
import { PYTHON, requirePythonModule, sleep, waitFor, withTimeout } from '../helpers/broker.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';
import { RawConnection } from '../helpers/raw-kafka.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'cg-orders';
const GROUP = 'cg-failover';
const PARTITIONS = 3;
const OFFSETS_PARTITIONS = 3;
const FIRST = 30; // records per partition before the kill
const SECOND = 30; // after the kill
const THIRD = 10; // for the resumed consumer

/** Subscribes, commits synchronously after every record, prints one JSON line per record; SIGTERM: close (leave) and exit. */
const CONSUMER_PY = `
import json, signal, sys
from confluent_kafka import Consumer
bootstrap, topic, group = sys.argv[1:4]
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False, 'auto.offset.reset': 'earliest',
              'session.timeout.ms': 10000, 'heartbeat.interval.ms': 1000, 'topic.metadata.refresh.interval.ms': 2000,
              'reconnect.backoff.max.ms': 1000})
c.subscribe([topic])
while not stop:
    m = c.poll(0.2)
    if m is None:
        continue
    if m.error():
        print(json.dumps({'error': str(m.error())}), flush=True)
        continue
    ok = True
    try:
        c.commit(message=m, asynchronous=False)
    except Exception as e:
        ok = False
        print(json.dumps({'commitError': str(e)}), flush=True)
    print(json.dumps({'p': m.partition(), 'o': m.offset(), 'committed': ok}), flush=True)
c.close()
`;

/** One raw request to broker `id`, on a fresh connection. */
async function ask<T>(c: Cluster, id: number, fn: (conn: RawConnection) => Promise<T>): Promise<T> {
  const conn = await RawConnection.connect(c.broker(id).port);
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

const findCoordinator = (c: Cluster, id: number): Promise<FindCoordinatorResponse> =>
  ask(c, id, (conn) => conn.request<FindCoordinatorResponse>(findCoordinatorApi, 2, { key: GROUP, keyType: 0 }));

/** OffsetFetch v8 for GROUP on broker `id`: group error code and `partition → committed offset`. */
async function offsetFetch(c: Cluster, id: number): Promise<{ errorCode: number; offsets: Map<number, number> }> {
  const r = await ask(c, id, (conn) => conn.request<OffsetFetchResponse>(offsetFetchApi, 8, { groups: [{ groupId: GROUP, topics: null }], requireStable: false }));
  const g = r.groups[0]!;
  const offsets = new Map<number, number>();
  for (const t of g.topics) if (t.name === TOPIC) for (const p of t.partitions) offsets.set(p.partitionIndex, Number(p.committedOffset));
  return { errorCode: g.errorCode, offsets };
}

const heartbeat = (c: Cluster, id: number): Promise<HeartbeatResponse> =>
  ask(c, id, (conn) => conn.request<HeartbeatResponse>(heartbeatApi, 4, { groupId: GROUP, generationId: 1, memberId: 'nobody', groupInstanceId: null }));

function expectOffsets(got: Map<number, number>, perPartition: number, what: string): void {
  for (let p = 0; p < PARTITIONS; p++) assert.equal(got.get(p), perPartition, `${what}: committed offset of ${TOPIC}-${p}`);
}

describe('[replication] consumer groups in a cluster: the coordinator follows the __consumer_offsets leader', () => {
  let c: Cluster;
  const stops: Array<() => Promise<void>> = [];
  before(async () => {
    await requirePythonModule('confluent_kafka');
    c = await startCluster({
      brokers: 3,
      overrides: [
        'offsets.topic.replication.factor=3',
        `offsets.topic.num.partitions=${OFFSETS_PARTITIONS}`,
        'group.initial.rebalance.delay.ms=0',
        'group.min.session.timeout.ms=1000',
        'replica.lag.time.max.ms=5000',
      ],
    });
  });
  after(async () => {
    for (const stop of stops) await stop();
    await c?.stopAll();
  });

  it('creates __consumer_offsets with RF 3, coordinates on its leader, fails over with the committed offsets', async () => {
    const kafka = new Kafka({
      clientId: 'samsa-cluster-groups',
      brokers: c.bootstrap.split(','),
      logLevel: logLevel.NOTHING,
      requestTimeout: 10_000,
      retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true });
    await admin.disconnect();

    // ---- 1. __consumer_offsets: created on the first FindCoordinator, RF 3, every broker agrees on the coordinator
    let lastAnswers = '';
    // waitFor stops on a truthy value, and broker 0 is a valid coordinator: wrap the id.
    const agreed = await waitFor<{ nodeId: number } | null>(
      async () => {
        const answers = await Promise.all([0, 1, 2].map((id) => findCoordinator(c, id)));
        lastAnswers = JSON.stringify(answers.map((a) => ({ errorCode: a.errorCode, errorMessage: a.errorMessage, nodeId: a.nodeId })));
        if (answers.some((a) => a.errorCode !== ErrorCode.NONE)) return null;
        const ids = new Set(answers.map((a) => a.nodeId));
        return ids.size === 1 ? { nodeId: answers[0]!.nodeId } : null;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'every broker to name the same coordinator' },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last FindCoordinator answers: ${lastAnswers}`);
    });
    assert.ok(agreed, 'waitFor returns only a truthy answer');
    const coordinator = agreed.nodeId;
    const offsetsPartition = offsetsPartitionFor(GROUP, OFFSETS_PARTITIONS);
    for (let p = 0; p < OFFSETS_PARTITIONS; p++) await c.waitForPartition(OFFSETS_TOPIC, p, (x) => x.isr.length === 3 && x.leader >= 0, 'full ISR');
    const described = await c.describe(OFFSETS_TOPIC);
    assert.equal(described.length, OFFSETS_PARTITIONS);
    for (const p of described) assert.deepEqual([...p.replicas].sort(), [0, 1, 2], `${OFFSETS_TOPIC}-${p.partition} replicas`);
    assert.equal(coordinator, described[offsetsPartition]!.leader, 'the coordinator is the leader of the group partition');
    const others = [0, 1, 2].filter((id) => id !== coordinator);
    for (const id of others) {
      assert.equal((await heartbeat(c, id)).errorCode, ErrorCode.NOT_COORDINATOR, `Heartbeat on broker ${id}`);
      assert.equal((await offsetFetch(c, id)).errorCode, ErrorCode.NOT_COORDINATOR, `OffsetFetch on broker ${id}`);
    }

    // ---- 2. a consumer group consumes and commits after every record
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } });
    await producer.connect();
    const produce = async (from: number, count: number): Promise<void> => {
      for (let p = 0; p < PARTITIONS; p++) {
        const messages = Array.from({ length: count }, (_, i) => ({ key: `k${p}`, value: `${p}:${from + i}` }));
        await producer.send({ topic: TOPIC, acks: -1, messages: messages.map((m) => ({ ...m, partition: p })) });
      }
    };
    await produce(0, FIRST);

    // confluent-kafka-python (librdkafka): kafkajs 2.2 keeps the dead coordinator's broker object and
    // retries commits on it ("Broker 1 not found in the cached metadata") instead of looking the
    // coordinator up again, so it would only come back after crashing; librdkafka re-runs FindCoordinator.
    const seen = new Map<number, number[]>(Array.from({ length: PARTITIONS }, (_, p) => [p, []]));
    const committed = new Map<number, number>();
    let commitFailures = 0;
    const clientLog: string[] = [];
    const consumer = spawn(PYTHON, ['-c', CONSUMER_PY, c.bootstrap, TOPIC, GROUP], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => consumer.on('exit', () => resolve()));
    let pending = '';
    consumer.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        clientLog.push(line);
        const r = JSON.parse(line) as { p?: number; o?: number; committed?: boolean };
        if (r.p === undefined || r.o === undefined) continue;
        seen.get(r.p)!.push(r.o);
        if (r.committed) committed.set(r.p, Math.max(committed.get(r.p) ?? 0, r.o + 1));
        else commitFailures++; // not acknowledged: this record may come again
      }
    });
    consumer.stderr!.setEncoding('utf8').on('data', (chunk: string) => void clientLog.push(chunk));
    const stopConsumer = async (): Promise<void> => {
      if (consumer.exitCode === null && consumer.signalCode === null) consumer.kill('SIGTERM');
      await withTimeout(exited, 15_000, 'the Python consumer to leave the group and exit').catch(() => consumer.kill('SIGKILL'));
    };
    stops.push(stopConsumer);
    const allCommitted = (n: number) => () => [...Array(PARTITIONS).keys()].every((p) => committed.get(p) === n);
    await waitFor(allCommitted(FIRST), { timeoutMs: 20_000, intervalMs: 100, what: `the group to consume and commit ${FIRST} records per partition` });
    expectOffsets((await offsetFetch(c, coordinator)).offsets, FIRST, 'before the kill, on the coordinator');

    // ---- 3. kill -9 the coordinator: the new leader of the group's partition loads the offsets
    await c.kill(coordinator);
    const next = await c.waitForLeader(OFFSETS_TOPIC, offsetsPartition, { not: coordinator, timeoutMs: 20_000 });
    const loaded = await waitFor(
      async () => {
        const r = await offsetFetch(c, next);
        // Answers while the image and the replicas catch up: NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS.
        return r.errorCode === ErrorCode.NONE ? r.offsets : null;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: `broker ${next} to coordinate ${GROUP}` },
    );
    expectOffsets(loaded!, FIRST, `after the kill, on the new coordinator ${next}`);
    const survivor = [0, 1, 2].find((id) => id !== coordinator && id !== next)!;
    const redirect = await waitFor(
      async () => {
        const a = await findCoordinator(c, survivor);
        return a.errorCode === ErrorCode.NONE && a.nodeId === next ? a : null;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: `broker ${survivor} to name ${next} as coordinator` },
    );
    assert.equal(redirect!.nodeId, next);
    assert.equal((await heartbeat(c, survivor)).errorCode, ErrorCode.NOT_COORDINATOR, `Heartbeat on broker ${survivor}`);
    assert.equal((await offsetFetch(c, survivor)).errorCode, ErrorCode.NOT_COORDINATOR, `OffsetFetch on broker ${survivor}`);

    // ---- 4. the group keeps working: new records are consumed and committed through the new coordinator
    await produce(FIRST, SECOND);
    await waitFor(allCommitted(FIRST + SECOND), { timeoutMs: 30_000, intervalMs: 100, what: `the group to consume and commit ${FIRST + SECOND} records per partition after the failover` }).catch(
      (err: unknown) => {
        const groupLines = (id: number) => c.broker(id).output().split('\n').filter((l) => /group|coordinat|offsets/i.test(l)).slice(-30).join('\n');
        throw new Error(`${String(err)}\ncommitted ${JSON.stringify([...committed])}\nconsumer:\n${clientLog.slice(-40).join('\n')}\nbroker ${next}:\n${groupLines(next)}`);
      },
    );
    await stopConsumer();
    let duplicates = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const offsets = seen.get(p)!;
      const distinct = new Set(offsets);
      duplicates += offsets.length - distinct.size;
      for (let o = 0; o < FIRST + SECOND; o++) assert.ok(distinct.has(o), `${TOPIC}-${p} offset ${o} was skipped`);
    }
    assert.ok(duplicates <= commitFailures, `${duplicates} records redelivered but only ${commitFailures} commits failed`);
    expectOffsets((await offsetFetch(c, next)).offsets, FIRST + SECOND, 'after the failover');

    // ---- 5. a new consumer of the group resumes from the committed offsets (held by the new coordinator)
    await produce(FIRST + SECOND, THIRD);
    const resumed: Array<{ partition: number; offset: number }> = [];
    const again = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    await again.connect();
    await again.subscribe({ topic: TOPIC, fromBeginning: true });
    await again.run({ eachMessage: async ({ partition, message }) => void resumed.push({ partition, offset: Number(message.offset) }) });
    await waitFor(() => resumed.length >= PARTITIONS * THIRD, { timeoutMs: 20_000, intervalMs: 100, what: 'the resumed consumer to read the new records' });
    await sleep(500); // anything read from before the committed offsets would show up now
    await again.disconnect();
    await producer.disconnect();
    assert.equal(resumed.length, PARTITIONS * THIRD, 'exactly the records after the committed offsets');
    for (const r of resumed) assert.ok(r.offset >= FIRST + SECOND, `${TOPIC}-${r.partition} offset ${r.offset} was read again`);
  });
});

/**
 * Goal: librdkafka-based clients use Samsa's consumer groups and committed offsets as they use
 * Kafka's: confluent-kafka-python subscribes, commits and a new consumer of the group resumes exactly
 * after the last committed offset (manual commits, and enable.auto.commit); a consumer that never
 * joins (assign() + commit() with a group id: PHP's RD_KAFKA_OFFSET_STORED case) stores a position
 * a fresh consumer reads back with committed() and resumes from; two `kcat -G` balanced consumers
 * split the partitions between them.
 *
 * Method: one in-process broker (group.initial.rebalance.delay.ms=0). Each Python script prints one
 * JSON line with what it consumed and committed; kcat runs as two long-lived child processes whose
 * output is collected until every produced record arrived, then they are stopped with SIGTERM
 * (kcat leaves the group). Records are produced with KafkaJS, keyed so partitions are known.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import {
  lastJsonLine,
  requireKcat,
  requirePythonModule,
  runPython,
  sleep,
  startBroker,
  waitFor,
  withTimeout,
  type StartedBroker,
} from '../helpers/broker.js';

const { Kafka, logLevel } = kafkajs;

/** Consumes `n` messages with subscribe(), committing each synchronously (or relying on auto commit), then closes. */
const CONSUME_AND_COMMIT = String.raw`
import json, sys, time
from confluent_kafka import Consumer
bootstrap, topic, group, n, mode = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
conf = {'bootstrap.servers': bootstrap, 'group.id': group, 'auto.offset.reset': 'earliest',
        'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500, 'fetch.wait.max.ms': 100}
if mode == 'manual':
    conf['enable.auto.commit'] = False
else:
    conf['enable.auto.commit'] = True
    conf['auto.commit.interval.ms'] = 200
c = Consumer(conf)
c.subscribe([topic])
got = []
deadline = time.time() + 40
while time.time() < deadline and len(got) < n:
    msg = c.poll(0.2)
    if msg is None:
        continue
    if msg.error():
        print(json.dumps({'error': str(msg.error())}))
        sys.exit(1)
    got.append([msg.partition(), msg.offset()])
    if mode == 'manual':
        c.commit(message=msg, asynchronous=False)
c.close()
print(json.dumps({'got': got}))
`;

/** assign() + commit() with a group id, never joining; then a fresh consumer reads committed() and resumes. */
const STORED = String.raw`
import json, sys, time
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING, OFFSET_STORED
bootstrap, topic, group, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
def consumer():
    return Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False,
                     'enable.auto.offset.store': False, 'fetch.wait.max.ms': 100})
c = consumer()
c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
first = []
deadline = time.time() + 30
while time.time() < deadline and len(first) < n:
    msg = c.poll(0.2)
    if msg is None or msg.error():
        continue
    first.append(msg.offset())
committed_result = c.commit(offsets=[TopicPartition(topic, 0, first[-1] + 1)], asynchronous=False)
c.close()
d = consumer()
committed = d.committed([TopicPartition(topic, 0)], timeout=10)
d.assign([TopicPartition(topic, 0, OFFSET_STORED)])
resumed = None
deadline = time.time() + 30
while time.time() < deadline and resumed is None:
    msg = d.poll(0.2)
    if msg is None or msg.error():
        continue
    resumed = msg.offset()
d.close()
print(json.dumps({'first': first, 'commitError': [str(tp.error) if tp.error else None for tp in committed_result],
                  'committed': committed[0].offset, 'committedError': str(committed[0].error) if committed[0].error else None,
                  'resumed': resumed}))
`;

describe('librdkafka consumer groups (confluent-kafka-python, kcat)', () => {
  let b: StartedBroker;
  let kafka: InstanceType<typeof Kafka>;
  let producer: Producer;
  let admin: Admin;
  const children: ChildProcess[] = [];

  before(async () => {
    await requirePythonModule('confluent_kafka');
    await requireKcat();
    b = await startBroker({ overrides: ['group.initial.rebalance.delay.ms=0', 'group.min.session.timeout.ms=1000', 'offsets.topic.num.partitions=5'] });
    kafka = new Kafka({ clientId: 'samsa-groups-librdkafka', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await admin?.disconnect();
    await producer?.disconnect();
    await b?.stop();
  });

  async function produce(topic: string, partitions: number, perPartition: number): Promise<void> {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
    for (let p = 0; p < partitions; p++) {
      await producer.send({ topic, messages: Array.from({ length: perPartition }, (_, i) => ({ partition: p, key: `k${i}`, value: `p${p}-v${i}` })) });
    }
  }

  async function committedOffsets(group: string, topic: string): Promise<Map<number, number>> {
    const r = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return new Map(r[0]!.partitions.map((p) => [p.partition, Number(p.offset)]));
  }

  for (const mode of ['manual', 'auto'] as const) {
    it(`subscribe with ${mode === 'manual' ? 'manual commits' : 'enable.auto.commit'}: a new consumer resumes exactly after the last committed offset`, async () => {
      const topic = `groups-rdkafka-${mode}`;
      const group = `groups-rdkafka-${mode}`;
      await produce(topic, 3, 40);
      const first = lastJsonLine<{ got: Array<[number, number]> }>(
        (await runPython(CONSUME_AND_COMMIT, [b.bootstrap, topic, group, '60', mode], { timeoutMs: 60_000 })).stdout,
      ).got;
      assert.equal(first.length, 60);
      const lastSeen = new Map<number, number>();
      for (const [p, o] of first) lastSeen.set(p, Math.max(lastSeen.get(p) ?? -1, o));
      const committed = await committedOffsets(group, topic);
      for (const [p, o] of lastSeen) assert.equal(committed.get(p), o + 1, `partition ${p} committed right after the last consumed offset`);
      const described = await admin.describeGroups([group]);
      assert.equal(described.groups[0]!.state, 'Empty', 'the consumer left the group on close');

      const second = lastJsonLine<{ got: Array<[number, number]> }>(
        (await runPython(CONSUME_AND_COMMIT, [b.bootstrap, topic, group, '60', mode], { timeoutMs: 60_000 })).stdout,
      ).got;
      assert.equal(second.length, 60);
      for (let p = 0; p < 3; p++) {
        const resumedAt = Math.min(...second.filter(([q]) => q === p).map(([, o]) => o));
        const c = committed.get(p) ?? -1;
        const expected = c < 0 ? 0 : c; // nothing committed: auto.offset.reset=earliest
        if (expected < 40) assert.equal(resumedAt, expected, `partition ${p} resumed at the committed offset`);
      }
      const seen = new Set([...first, ...second].map(([p, o]) => `${p}:${o}`));
      assert.equal(seen.size, 120, 'every record consumed exactly once across the two consumers');
    });
  }

  it('assign() + commit() without joining stores a position that committed() and OFFSET_STORED resume from', async () => {
    const topic = 'groups-rdkafka-stored';
    const group = 'groups-rdkafka-stored';
    await produce(topic, 1, 50);
    const r = lastJsonLine<{ first: number[]; commitError: Array<string | null>; committed: number; committedError: string | null; resumed: number }>(
      (await runPython(STORED, [b.bootstrap, topic, group, '20'], { timeoutMs: 60_000 })).stdout,
    );
    assert.deepEqual(r.first, Array.from({ length: 20 }, (_, i) => i));
    assert.deepEqual(r.commitError, [null]);
    assert.equal(r.committedError, null);
    assert.equal(r.committed, 20);
    assert.equal(r.resumed, 20);
    const listed = await admin.listGroups();
    assert.ok(listed.groups.some((g) => g.groupId === group), 'the group of a standalone commit is listed');
  });

  it('two kcat -G balanced consumers split the partitions', async () => {
    const topic = 'groups-kcat';
    const group = 'groups-kcat';
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const outputs: string[][] = [[], []];
    const start = (i: number): ChildProcess => {
      const child = spawn(
        'kcat',
        ['-b', b.bootstrap, '-G', group, topic, '-o', 'beginning', '-u', '-q', '-f', '%p\\t%o\\t%s\\n', '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout!.setEncoding('utf8').on('data', (s: string) => outputs[i]!.push(s));
      child.stderr!.setEncoding('utf8').on('data', () => undefined);
      children.push(child);
      return child;
    };
    const k1 = start(0);
    const k2 = start(1);
    await waitFor(
      async () => {
        const g = (await admin.describeGroups([group])).groups[0]!;
        return g.state === 'Stable' && g.members.length === 2;
      },
      { timeoutMs: 30_000, what: 'two kcat members in a stable group' },
    );
    await sleep(300);
    for (let p = 0; p < 4; p++) {
      await producer.send({ topic, messages: Array.from({ length: 25 }, (_, i) => ({ partition: p, value: `p${p}-${i}` })) });
    }
    const lines = (i: number): string[] => outputs[i]!.join('').split('\n').filter((l) => l.trim() !== '');
    await waitFor(() => lines(0).length + lines(1).length >= 100, { timeoutMs: 30_000, what: 'kcat consumers to receive all 100 records' });
    const parts = [0, 1].map((i) => new Set(lines(i).map((l) => Number(l.split('\t')[0]))));
    assert.ok(parts[0]!.size > 0 && parts[1]!.size > 0, `both members consumed (${[...parts[0]!]} / ${[...parts[1]!]})`);
    for (const p of parts[0]!) assert.ok(!parts[1]!.has(p), `partition ${p} consumed by both kcat members`);
    assert.equal(parts[0]!.size + parts[1]!.size, 4);
    assert.equal(new Set([...lines(0), ...lines(1)]).size, 100, 'every record once');
    for (const k of [k1, k2]) k.kill('SIGTERM');
    await Promise.all(
      [k1, k2].map((k) => withTimeout(new Promise<void>((resolve) => (k.exitCode !== null || k.signalCode !== null ? resolve() : k.once('exit', () => resolve()))), 20_000, 'kcat to exit')),
    );
    await waitFor(async () => (await admin.describeGroups([group])).groups[0]!.state === 'Empty', { timeoutMs: 20_000, what: 'the group to empty after kcat left' });
  });
});

/**
 * Goal: librdkafka's transactional producer (confluent-kafka-python) runs unchanged against Samsa:
 * init_transactions / begin / produce to several partitions / commit and abort; a read_committed
 * consumer sees exactly the committed records, in order per partition, and never an aborted one,
 * while read_uncommitted sees both; send_offsets_to_transaction commits the consumer's offsets only
 * with the transaction; and a second producer with the same transactional.id fences the first: the
 * zombie's commit fails and its records are never visible to read_committed.
 *
 * Method: one in-process broker (small __transaction_state / __consumer_offsets). Each Python
 * script prints one JSON line: the producer scripts what they committed and aborted, the reader
 * script what a read_committed or read_uncommitted consumer (assign from the beginning, no group)
 * read per partition until the high watermark. Assertions compare the sequences exactly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import kafkajs, { type Admin, type Producer } from 'kafkajs';
import { lastJsonLine, requirePythonModule, runPython, startBroker, type StartedBroker } from '../helpers/broker.js';

const { Kafka, logLevel } = kafkajs;

/** Reads every partition of `topic` from the beginning to its end with the given isolation level. */
const READ_ALL = String.raw`
import json, sys, time
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
bootstrap, topic, partitions, isolation = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'reader-' + isolation, 'enable.auto.commit': False,
              'isolation.level': isolation, 'fetch.wait.max.ms': 100, 'enable.partition.eof': True})
c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
got = {str(p): [] for p in range(partitions)}
eof = set()
deadline = time.time() + 30
while time.time() < deadline and len(eof) < partitions:
    msg = c.poll(0.2)
    if msg is None:
        continue
    if msg.error():
        if msg.error().code() == -191:  # _PARTITION_EOF
            eof.add(msg.partition())
            continue
        print(json.dumps({'error': str(msg.error())}))
        sys.exit(1)
    eof.discard(msg.partition())
    got[str(msg.partition())].append(msg.value().decode())
c.close()
print(json.dumps({'got': got, 'eof': sorted(eof)}))
`;

/** Three transactions over three partitions: commit, abort, commit. */
const COMMIT_ABORT = String.raw`
import json, sys
from confluent_kafka import Producer
bootstrap, topic, tid = sys.argv[1], sys.argv[2], sys.argv[3]
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': tid, 'transaction.timeout.ms': 30000})
p.init_transactions(20)
plan = [('c1', True), ('a2', False), ('c3', True)]
for name, commit in plan:
    p.begin_transaction()
    for i in range(6):
        p.produce(topic, value=('%s-%d' % (name, i)).encode(), partition=i % 3)
    p.flush(20)
    if commit:
        p.commit_transaction(20)
    else:
        p.abort_transaction(20)
print(json.dumps({'done': [n for n, _ in plan]}))
`;

/** Consume-transform-produce: consume n records of src in a group, send_offsets_to_transaction, commit (or abort). */
const SEND_OFFSETS = String.raw`
import json, sys, time
from confluent_kafka import Consumer, Producer, TopicPartition
bootstrap, src, dst, group, tid, n, commit = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), sys.argv[7] == 'commit'
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False, 'auto.offset.reset': 'earliest',
              'isolation.level': 'read_committed', 'session.timeout.ms': 6000, 'fetch.wait.max.ms': 100})
c.subscribe([src])
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': tid})
p.init_transactions(20)
got = []
deadline = time.time() + 30
while time.time() < deadline and len(got) < n:
    msg = c.poll(0.2)
    if msg is None or msg.error():
        continue
    got.append(msg)
p.begin_transaction()
for m in got:
    p.produce(dst, value=b'out-' + m.value(), partition=0)
positions = c.position(c.assignment())
p.send_offsets_to_transaction(positions, c.consumer_group_metadata(), 20)
if commit:
    p.commit_transaction(20)
else:
    p.abort_transaction(20)
c.close()
d = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'enable.auto.commit': False})
committed = d.committed([TopicPartition(src, 0)], timeout=10)
d.close()
print(json.dumps({'consumed': len(got), 'committed': committed[0].offset}))
`;

/** Zombie fencing: p1 begins and produces; p2 inits the same id; p1's commit must fail; p2 commits. */
const ZOMBIE = String.raw`
import json, sys
from confluent_kafka import Producer, KafkaException
bootstrap, topic, tid = sys.argv[1], sys.argv[2], sys.argv[3]
p1 = Producer({'bootstrap.servers': bootstrap, 'transactional.id': tid})
p1.init_transactions(20)
p1.begin_transaction()
p1.produce(topic, value=b'zombie-1', partition=0)
p1.flush(20)
p2 = Producer({'bootstrap.servers': bootstrap, 'transactional.id': tid})
p2.init_transactions(30)
zombie_error = None
try:
    p1.produce(topic, value=b'zombie-2', partition=0)
    p1.flush(10)
    p1.commit_transaction(20)
except KafkaException as e:
    zombie_error = e.args[0].name()
p2.begin_transaction()
p2.produce(topic, value=b'fresh-1', partition=0)
p2.commit_transaction(20)
print(json.dumps({'zombieError': zombie_error}))
`;

describe('transactions with librdkafka (confluent-kafka-python)', () => {
  let b: StartedBroker;
  let admin: Admin;
  let producer: Producer;

  before(async () => {
    await requirePythonModule('confluent_kafka');
    b = await startBroker({
      overrides: ['transaction.state.log.num.partitions=4', 'offsets.topic.num.partitions=4', 'group.initial.rebalance.delay.ms=0', 'group.min.session.timeout.ms=1000'],
    });
    const kafka = new Kafka({ clientId: 'samsa-txn-librdkafka', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer();
    await producer.connect();
  });

  after(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
    await b?.stop();
  });

  async function read(topic: string, partitions: number, isolation: 'read_committed' | 'read_uncommitted'): Promise<Record<string, string[]>> {
    const r = lastJsonLine<{ got: Record<string, string[]>; eof: number[] }>((await runPython(READ_ALL, [b.bootstrap, topic, String(partitions), isolation], { timeoutMs: 60_000 })).stdout);
    assert.equal(r.eof.length, partitions, `${isolation}: every partition read to its end`);
    return r.got;
  }

  it('commit and abort over three partitions: read_committed sees exactly the committed records in order, read_uncommitted sees both', async () => {
    const topic = 'txn-commit-abort';
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    await runPython(COMMIT_ABORT, [b.bootstrap, topic, 'tx-commit-abort'], { timeoutMs: 90_000 });
    const committed = await read(topic, 3, 'read_committed');
    assert.deepEqual(committed, { 0: ['c1-0', 'c1-3', 'c3-0', 'c3-3'], 1: ['c1-1', 'c1-4', 'c3-1', 'c3-4'], 2: ['c1-2', 'c1-5', 'c3-2', 'c3-5'] });
    const all = await read(topic, 3, 'read_uncommitted');
    assert.deepEqual(all, {
      0: ['c1-0', 'c1-3', 'a2-0', 'a2-3', 'c3-0', 'c3-3'],
      1: ['c1-1', 'c1-4', 'a2-1', 'a2-4', 'c3-1', 'c3-4'],
      2: ['c1-2', 'c1-5', 'a2-2', 'a2-5', 'c3-2', 'c3-5'],
    });
  });

  it('send_offsets_to_transaction: offsets are committed with the transaction and not with an aborted one', async () => {
    const src = 'txn-src';
    const dst = 'txn-dst';
    await admin.createTopics({ topics: [{ topic: src, numPartitions: 1 }, { topic: dst, numPartitions: 1 }] });
    await producer.send({ topic: src, messages: Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `in-${i}` })) });
    const aborted = lastJsonLine<{ consumed: number; committed: number }>(
      (await runPython(SEND_OFFSETS, [b.bootstrap, src, dst, 'txn-group', 'tx-offsets-1', '10', 'abort'], { timeoutMs: 90_000 })).stdout,
    );
    assert.equal(aborted.consumed, 10);
    assert.ok(aborted.committed < 0, `no committed offset after the abort (got ${aborted.committed})`);
    const done = lastJsonLine<{ consumed: number; committed: number }>(
      (await runPython(SEND_OFFSETS, [b.bootstrap, src, dst, 'txn-group', 'tx-offsets-2', '10', 'commit'], { timeoutMs: 90_000 })).stdout,
    );
    assert.deepEqual(done, { consumed: 10, committed: 10 });
    const out = await read(dst, 1, 'read_committed');
    assert.deepEqual(out[0], Array.from({ length: 10 }, (_, i) => `out-in-${i}`));
  });

  it('zombie fencing: the older producer of a transactional.id is fenced and its records are never visible', async () => {
    const topic = 'txn-zombie';
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const r = lastJsonLine<{ zombieError: string | null }>((await runPython(ZOMBIE, [b.bootstrap, topic, 'tx-zombie'], { timeoutMs: 90_000 })).stdout);
    assert.ok(r.zombieError !== null, 'the zombie could not commit');
    assert.match(r.zombieError!, /FENCED|INVALID_PRODUCER_EPOCH|_FENCED/);
    assert.deepEqual((await read(topic, 1, 'read_committed'))[0], ['fresh-1']);
  });
});

/**
 * Goal: confluent-kafka-python (librdkafka through the Python binding, as applications use it)
 * produces to Samsa with delivery reports and reads back from explicit offsets without a consumer
 * group.
 *
 * Method: one in-process broker. An inline /usr/bin/python3 script produces N keyed records with a
 * header to partition 0 of an auto-created topic and prints every delivery report; the test checks
 * that all were delivered without error at offsets 0..N-1 in produce order. A second script uses a
 * Consumer with `assign([TopicPartition(t, 0, offset)])` (a group.id is required by the client's
 * config but nothing is ever committed: enable.auto.commit=false and no commit() call) from
 * OFFSET_BEGINNING, from a middle offset, and from OFFSET_END (then produces 3 more records that
 * must be exactly what that consumer sees). Each script prints one JSON line; the test asserts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { PYTHON, lastJsonLine, withTimeout, requirePythonModule, runPython, startBroker, type StartedBroker } from '../helpers/broker.js';

const N = 3000;

const PRODUCE = String.raw`
import json, sys
from confluent_kafka import Producer
bootstrap, topic, n, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
p = Producer({'bootstrap.servers': bootstrap, 'acks': 'all', 'linger.ms': 5,
              'message.timeout.ms': 30000, 'compression.type': sys.argv[5]})
reports = []
def on_delivery(err, msg):
    reports.append({'err': None if err is None else str(err), 'partition': msg.partition(),
                    'offset': msg.offset(), 'key': msg.key().decode()})
for i in range(start, start + n):
    p.produce(topic, key=('k%d' % i).encode(), value=('v%d' % i).encode() * 3, partition=0,
              headers=[('idx', str(i).encode())], on_delivery=on_delivery)
    p.poll(0)
left = p.flush(30)
print(json.dumps({'left': left, 'reports': reports}))
`;

/** Reads partition 0 from the given start ('beginning', 'end' or a number) until the partition's end. */
const CONSUME = String.raw`
import json, sys, time
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING, OFFSET_END, KafkaError
bootstrap, topic, spec = sys.argv[1], sys.argv[2], sys.argv[3]
offset = {'beginning': OFFSET_BEGINNING, 'end': OFFSET_END}.get(spec)
if offset is None:
    offset = int(spec)
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'samsa-e2e-never-commits',
              'enable.auto.commit': False, 'enable.auto.offset.store': False,
              'enable.partition.eof': True, 'fetch.wait.max.ms': 100})
c.assign([TopicPartition(topic, 0, offset)])
got, eofs = [], 0
deadline = time.time() + 30
while time.time() < deadline:
    msg = c.poll(0.5)
    if msg is None:
        continue
    if msg.error():
        if msg.error().code() == KafkaError._PARTITION_EOF:
            eofs += 1
            break
        print(json.dumps({'error': str(msg.error())}))
        sys.exit(1)
    got.append({'offset': msg.offset(), 'key': msg.key().decode(), 'value': msg.value().decode(),
                'headers': [[k, v.decode()] for k, v in (msg.headers() or [])]})
print(json.dumps({'records': got, 'eofs': eofs}))
c.close()
`;

/** A consumer started at OFFSET_END that prints "ready" once it has reached the end, then reads `n` new records. */
const CONSUME_FROM_END = String.raw`
import json, sys, time
from confluent_kafka import Consumer, TopicPartition, OFFSET_END, KafkaError
bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'samsa-e2e-never-commits',
              'enable.auto.commit': False, 'enable.auto.offset.store': False,
              'enable.partition.eof': True, 'fetch.wait.max.ms': 100})
c.assign([TopicPartition(topic, 0, OFFSET_END)])
got, ready = [], False
deadline = time.time() + 30
while time.time() < deadline and len(got) < n:
    msg = c.poll(0.2)
    if msg is None:
        continue
    if msg.error():
        if msg.error().code() == KafkaError._PARTITION_EOF:
            if not ready:
                ready = True
                print('ready', flush=True)
            continue
        print(json.dumps({'error': str(msg.error())}))
        sys.exit(1)
    got.append({'offset': msg.offset(), 'key': msg.key().decode(), 'value': msg.value().decode()})
print(json.dumps({'records': got, 'ready': ready}))
c.close()
`;

interface Report {
  err: string | null;
  partition: number;
  offset: number;
  key: string;
}
interface Rec {
  offset: number;
  key: string;
  value: string;
  headers?: string[][];
}

describe('confluent-kafka-python against Samsa', () => {
  let b: StartedBroker;
  const topic = 'py-confluent';

  before(async () => {
    await requirePythonModule('confluent_kafka');
    b = await startBroker({ overrides: ['num.partitions=1'] });
  });
  after(async () => {
    await b?.stop();
  });

  it(`delivers ${N} records, each reported without error at offsets 0..${N - 1} in produce order`, async () => {
    const r = await runPython(PRODUCE, [b.bootstrap, topic, String(N), '0', 'lz4'], { timeoutMs: 60_000 });
    const { left, reports } = lastJsonLine<{ left: number; reports: Report[] }>(r.stdout);
    assert.equal(left, 0, 'messages still queued after flush');
    assert.equal(reports.length, N);
    reports.forEach((rep, i) => {
      assert.equal(rep.err, null, `record ${i}: ${rep.err}`);
      assert.equal(rep.partition, 0);
      assert.equal(rep.key, `k${i}`, 'delivery reports arrive in produce order');
      assert.equal(rep.offset, i, `record k${i} got offset ${rep.offset}`);
    });
  });

  it('reads everything from OFFSET_BEGINNING via assign(), then reaches the partition end', async () => {
    const r = await runPython(CONSUME, [b.bootstrap, topic, 'beginning'], { timeoutMs: 60_000 });
    const { records, eofs } = lastJsonLine<{ records: Rec[]; eofs: number }>(r.stdout);
    assert.equal(eofs, 1);
    assert.equal(records.length, N);
    records.forEach((rec, i) => {
      assert.deepEqual(rec, { offset: i, key: `k${i}`, value: `v${i}`.repeat(3), headers: [['idx', String(i)]] });
    });
  });

  it('reads from an explicit middle offset', async () => {
    const from = 1234;
    const r = await runPython(CONSUME, [b.bootstrap, topic, String(from)], { timeoutMs: 60_000 });
    const { records } = lastJsonLine<{ records: Rec[] }>(r.stdout);
    assert.equal(records.length, N - from);
    assert.deepEqual(records[0], { offset: from, key: `k${from}`, value: `v${from}`.repeat(3), headers: [['idx', String(from)]] });
    assert.equal(records[records.length - 1]!.offset, N - 1);
  });

  it('from OFFSET_END sees nothing old, then exactly the records produced afterwards', async () => {
    const child = spawn(PYTHON, ['-c', CONSUME_FROM_END, b.bootstrap, topic, '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (!out.includes('ready\n')) {
        assert.ok(Date.now() < deadline, `consumer never reached the end of the partition: ${out}${err}`);
        assert.equal(child.exitCode, null, `consumer exited early: ${out}${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const p = await runPython(PRODUCE, [b.bootstrap, topic, '3', String(N), 'none'], { timeoutMs: 60_000 });
      const { reports } = lastJsonLine<{ reports: Report[] }>(p.stdout);
      assert.deepEqual(reports.map((x) => x.offset), [N, N + 1, N + 2]);
      const code = await withTimeout(exited, 30_000, 'the OFFSET_END consumer to finish');
      assert.equal(code, 0, `consumer: ${code} ${err}`);
      const { records } = lastJsonLine<{ records: Rec[] }>(out);
      assert.deepEqual(
        records,
        [N, N + 1, N + 2].map((i) => ({ offset: i, key: `k${i}`, value: `v${i}`.repeat(3) })),
      );
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

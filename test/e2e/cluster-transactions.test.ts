/**
 * Goal: in a 3-broker ZooKeeper cluster a transaction survives the loss of its coordinator. A
 * librdkafka producer (confluent-kafka-python) opens a transaction and writes to three partitions
 * replicated on all brokers; the broker coordinating its transactional.id (the leader of its
 * `__transaction_state` partition, replication factor 3) is killed with SIGKILL mid-transaction;
 * the producer then commits: it finds the new coordinator (which loaded the Ongoing state from its
 * replica), which writes the markers to the partitions' current leaders. A read_committed consumer
 * then reads exactly the committed records, reaches the end of every partition, and its position
 * equals the high watermark (the last stable offset advanced past the markers). The killed broker is
 * restarted and the cluster serves a second transaction.
 *
 * Method: startCluster (real ZooKeeper, brokers as child processes), the producer as a long-lived
 * Python child that waits on stdin between "produced" and "commit", kcat-free reads with a Python
 * read_committed consumer. Every wait is bounded.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { TXN_STATE_TOPIC, txnStatePartitionFor } from '../../src/coordinator/txn/records.js';
import { lastJsonLine, PYTHON, requirePythonModule, runPython, waitFor, withTimeout } from '../helpers/broker.js';
import { startCluster, type Cluster } from '../helpers/cluster.js';

const TOPIC = 'ct-out';
const TXN_PARTITIONS = 3;

/** Begins, produces `tag`-i to 3 partitions, prints {"produced":n}, waits for a stdin line, commits, prints {"committed":true}. */
const PRODUCER_PY = String.raw`
import json, sys
from confluent_kafka import Producer
bootstrap, topic, tid, tag = sys.argv[1:5]
p = Producer({'bootstrap.servers': bootstrap, 'transactional.id': tid, 'transaction.timeout.ms': 60000,
              'topic.metadata.refresh.interval.ms': 1000, 'reconnect.backoff.max.ms': 1000})
p.init_transactions(60)
p.begin_transaction()
for i in range(6):
    p.produce(topic, value=('%s-%d' % (tag, i)).encode(), partition=i % 3)
p.flush(60)
print(json.dumps({'produced': 6}), flush=True)
sys.stdin.readline()
p.commit_transaction(90)
print(json.dumps({'committed': True}), flush=True)
`;

/** read_committed to the end of each partition; position vs high watermark per partition. */
const READ_COMMITTED_PY = String.raw`
import json, sys, time
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'ct-reader', 'enable.auto.commit': False,
              'isolation.level': 'read_committed', 'fetch.wait.max.ms': 100, 'enable.partition.eof': True})
tps = [TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)]
c.assign(tps)
got = {str(p): [] for p in range(partitions)}
eof = set()
deadline = time.time() + 60
while time.time() < deadline and len(eof) < partitions:
    m = c.poll(0.2)
    if m is None:
        continue
    if m.error():
        if m.error().code() == -191:
            eof.add(m.partition())
        continue
    eof.discard(m.partition())
    got[str(m.partition())].append(m.value().decode())
positions = {str(tp.partition): tp.offset for tp in c.position([TopicPartition(topic, p) for p in range(partitions)])}
highs = {str(p): c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}
c.close()
print(json.dumps({'got': got, 'eof': sorted(eof), 'positions': positions, 'highs': highs}))
`;

describe('transactions in a 3-broker cluster: coordinator failover', () => {
  let c: Cluster;

  before(async () => {
    await requirePythonModule('confluent_kafka');
    c = await startCluster({
      brokers: 3,
      overrides: [
        `transaction.state.log.num.partitions=${TXN_PARTITIONS}`,
        'transaction.state.log.replication.factor=3',
        'transaction.state.log.min.isr=2',
        'offsets.topic.num.partitions=3',
        'offsets.topic.replication.factor=3',
      ],
    });
    await c.createTopic(TOPIC, { partitions: 3, replicationFactor: 3 });
  });

  after(async () => {
    await c?.stopAll();
  });

  async function read(): Promise<{ got: Record<string, string[]>; eof: number[]; positions: Record<string, number>; highs: Record<string, number> }> {
    return lastJsonLine((await runPython(READ_COMMITTED_PY, [c.liveBootstrap(), TOPIC, '3'], { timeoutMs: 90_000 })).stdout);
  }

  /** A PRODUCER_PY process: a transaction of records `<prefix>-<n>` for `tid`, committed on "commit\n"; its output so far. */
  function startProducer(tid: string, prefix: string) {
    const child = spawn(PYTHON, ['-c', PRODUCER_PY, c.bootstrap, TOPIC, tid, prefix], { stdio: ['pipe', 'pipe', 'pipe'] });
    const output = { out: '', err: '' };
    child.stdout.on('data', (d: Buffer) => (output.out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output.err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, output, exited };
  }

  it('the coordinator is killed mid-transaction; the commit completes at the new coordinator and the LSO advances', async () => {
    const tid = 'ct-tx';
    const { child, output, exited } = startProducer(tid, 'first');
    try {
      await waitFor(() => output.out.includes('"produced"'), { timeoutMs: 60_000, what: `the producer's first records (stderr: ${output.err.slice(-500)})` });
      const txnPartition = txnStatePartitionFor(tid, TXN_PARTITIONS);
      const coordinator = await c.leaderOf(TXN_STATE_TOPIC, txnPartition);
      await c.kill(coordinator);
      const next = await c.waitForLeader(TXN_STATE_TOPIC, txnPartition, { not: coordinator, timeoutMs: 30_000 });
      assert.notEqual(next, coordinator);
      child.stdin.write('commit\n');
      const code = await withTimeout(exited, 120_000, 'the producer to commit');
      assert.equal(code, 0, `producer failed: ${output.err.slice(-2000)}`);
      assert.ok(output.out.includes('"committed": true'), output.out);
      await c.restart(coordinator);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const r = await read();
    assert.deepEqual(r.got, { 0: ['first-0', 'first-3'], 1: ['first-1', 'first-4'], 2: ['first-2', 'first-5'] });
    assert.deepEqual(r.eof, [0, 1, 2]);
    for (const p of ['0', '1', '2']) assert.equal(r.positions[p], r.highs[p], `partition ${p}: read_committed reached the high watermark (LSO = HW)`);
  });

  it('after the restart a second transaction commits too', async () => {
    const { child, output, exited } = startProducer('ct-tx', 'second');
    try {
      await waitFor(() => output.out.includes('"produced"'), { timeoutMs: 60_000, what: `the producer's records (stderr: ${output.err.slice(-500)})` });
      child.stdin.write('commit\n');
      assert.equal(await withTimeout(exited, 90_000, 'the producer to commit'), 0, output.err.slice(-2000));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const r = await read();
    assert.deepEqual(r.got['0'], ['first-0', 'first-3', 'second-0', 'second-3']);
    for (const p of ['0', '1', '2']) assert.equal(r.positions[p], r.highs[p]);
  });
});

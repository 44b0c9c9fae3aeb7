/**
 * Goal: what Samsa acknowledged survives a crash, and a damaged log tail does not stop the broker:
 * on restart the log ends at the last whole batch, earlier records stay readable, and new records
 * continue at the right offset.
 *
 * Method: the broker runs as a child process (the real CLI) so it can be killed with SIGKILL.
 *   - Crash after acks: confluent-kafka-python produces N records with acks=1 and reports every
 *     delivery; SIGKILL; restart on the same data dir; kcat reads back every acknowledged record at
 *     its acknowledged offset, in order.
 *   - Crash mid-stream: the producer keeps producing while the test SIGKILLs the broker once a few
 *     thousand records are acknowledged. After restart every acknowledged record is at its offset;
 *     anything else in the log is one of the producer's records, in produce order, none twice.
 *   - Damaged tail (three cases): records are produced in many small batches (kcat with
 *     batch.num.messages), the broker is stopped cleanly (SIGTERM, exit 0), and the last segment
 *     file is damaged: truncated in the middle of its last batch, the last bytes of its last batch
 *     garbled, or garbage appended after it. On restart the broker must start, log a warning, and
 *     serve exactly the records of the intact batches; records produced next get the offsets that
 *     follow them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFile, open, readdir, readFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { PYTHON, kcat, lastJsonLine, withTimeout, requireKcat, requirePythonModule, runPython, spawnBroker, type SpawnedBroker } from '../helpers/broker.js';
import { kcatConsume } from '../helpers/kcat.js';
import { scanBatches, type BatchInfo } from '../helpers/raw-kafka.js';

const value = (i: number): string => `value-${i}-${'x'.repeat(i % 17)}`;

const PRODUCE_ACKED = String.raw`
import json, sys, time
from confluent_kafka import Producer
bootstrap, topic, limit, progress_every, timeout_ms = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
p = Producer({'bootstrap.servers': bootstrap, 'acks': 1, 'linger.ms': 2, 'message.timeout.ms': timeout_ms,
              'queue.buffering.max.messages': 5000})
acked, failed = [], [0]
def on_delivery(err, msg):
    if err is not None:
        failed[0] += 1
        return
    acked.append([msg.offset(), int(msg.key())])
    if len(acked) % progress_every == 0:
        print('progress %d' % len(acked), flush=True)
i = 0
deadline = time.time() + 30
while i < limit and failed[0] == 0 and time.time() < deadline:
    try:
        p.produce(topic, key=str(i).encode(), value=('value-%d-%s' % (i, 'x' * (i % 17))).encode(),
                  partition=0, on_delivery=on_delivery)
        i += 1
    except BufferError:
        p.poll(0.01)
        continue
    p.poll(0)
p.flush(15)
print(json.dumps({'produced': i, 'failed': failed[0], 'acked': acked}))
`;

/** The latest `progress <acked>` line of the producer script. */
function lastProgress(out: string): number {
  const all = [...out.matchAll(/progress (\d+)/g)];
  return all.length === 0 ? 0 : Number(all[all.length - 1]![1]);
}

interface AckResult {
  produced: number;
  failed: number;
  acked: Array<[number, number]>;
}

async function consumeAll(b: SpawnedBroker, topic: string): Promise<Array<{ offset: number; i: number; value: string }>> {
  const records = await kcatConsume(b.bootstrap, topic, { partition: 0, timeoutMs: 60_000 });
  return records.map((r) => ({ offset: r.offset, i: Number(r.key), value: r.value }));
}

/** Every acknowledged record is at its acknowledged offset; the whole log is the producer's records in order, each once. */
function checkLog(log: Array<{ offset: number; i: number; value: string }>, acked: Array<[number, number]>): void {
  log.forEach((r, n) => {
    assert.equal(r.offset, n, `offsets must be dense from 0: position ${n} has offset ${r.offset}`);
    assert.equal(r.value, value(r.i), `offset ${n}: value of record ${r.i}`);
    if (n > 0) assert.ok(r.i > log[n - 1]!.i, `offset ${n}: record ${r.i} follows ${log[n - 1]!.i} (order lost or duplicate)`);
  });
  for (const [offset, i] of acked) {
    const r = log[offset];
    assert.ok(r, `acknowledged record ${i} at offset ${offset} is missing (log has ${log.length} records)`);
    assert.equal(r.i, i, `offset ${offset} holds record ${r.i}, but record ${i} was acknowledged there`);
  }
}

describe('crash safety of acknowledged records', () => {
  let b: SpawnedBroker | undefined;

  before(async () => {
    await requireKcat();
    await requirePythonModule('confluent_kafka');
  });
  after(async () => {
    await b?.cleanup();
  });

  it('every record acknowledged with acks=1 is there after SIGKILL and restart', async () => {
    b = await spawnBroker({ overrides: ['num.partitions=1'] });
    const N = 5000;
    const r = await runPython(PRODUCE_ACKED, [b.bootstrap, 'acked', String(N), '1000000', '30000'], { timeoutMs: 60_000 });
    const { acked, failed, produced } = lastJsonLine<AckResult>(r.stdout);
    assert.equal(produced, N);
    assert.equal(failed, 0);
    assert.equal(acked.length, N);
    const killed = await b.kill('SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    await b.restart();
    const log = await consumeAll(b, 'acked');
    assert.equal(log.length, N);
    checkLog(log, acked);
  });

  it('a SIGKILL in the middle of a produce stream loses no acknowledged record', async () => {
    assert.ok(b, 'needs the broker of the previous test');
    const topic = 'mid-stream';
    // Create the topic first: on a loaded machine auto-creation plus metadata could outlast the
    // producer's short message timeout and end the stream before the kill.
    const admin = new Kafka({ brokers: [b.bootstrap], clientId: 'persistence', logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    const child = spawn(PYTHON, ['-c', PRODUCE_ACKED, b.bootstrap, topic, '2000000', '500', '3000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      // Kill once a few thousand records are acknowledged, while the producer is still sending.
      while (lastProgress(out) < 3000) {
        assert.ok(Date.now() < deadline, `producer made no progress: ${out.slice(-500)} ${err.slice(-2000)}`);
        assert.equal(child.exitCode, null, `producer exited early: ${err.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      await b.kill('SIGKILL');
      const code = await withTimeout(exited, 40_000, 'the producer to finish after the broker died');
      assert.equal(code, 0, `producer: ${code} ${err.slice(-2000)}`);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const { acked, failed, produced } = lastJsonLine<AckResult>(out);
    assert.ok(failed > 0 && acked.length < produced, `the kill must land mid-stream (produced ${produced}, acked ${acked.length}, failed ${failed})`);
    await b.restart();
    const log = await consumeAll(b, topic);
    assert.ok(log.length >= acked.length, `${log.length} records after restart, ${acked.length} were acknowledged`);
    checkLog(log, acked);
  });
});

type Damage = 'truncate mid-batch' | 'garble the last bytes' | 'append garbage';

async function lastSegment(dataDir: string, topic: string): Promise<string> {
  const dir = path.join(dataDir, `${topic}-0`);
  const logs = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
  assert.ok(logs.length > 0, `no .log files in ${dir}`);
  return path.join(dir, logs[logs.length - 1]!);
}

async function damage(file: string, how: Damage): Promise<{ lastGood: BatchInfo; last: BatchInfo }> {
  const bytes = await readFile(file);
  const { batches, trailingBytes } = scanBatches(bytes);
  assert.equal(trailingBytes, 0, `${file} should end with a whole batch before we damage it`);
  assert.ok(batches.length >= 3, `want several batches in ${file}, found ${batches.length}`);
  const last = batches[batches.length - 1]!;
  const lastGood = batches[batches.length - 2]!;
  switch (how) {
    case 'truncate mid-batch':
      await truncate(file, last.position + Math.floor(last.sizeBytes / 2));
      return { lastGood, last };
    case 'garble the last bytes': {
      const fh = await open(file, 'r+');
      try {
        const tail = Buffer.alloc(8);
        await fh.read(tail, 0, 8, bytes.length - 8);
        for (let k = 0; k < tail.length; k++) tail[k] = tail[k]! ^ 0x5a;
        await fh.write(tail, 0, 8, bytes.length - 8);
      } finally {
        await fh.close();
      }
      return { lastGood, last };
    }
    case 'append garbage': {
      // A plausible-looking start (a small baseOffset) followed by noise: not a valid batch.
      const garbage = Buffer.alloc(100, 0xab);
      garbage.writeBigInt64BE(BigInt(last.lastOffset + 1), 0);
      await appendFile(file, garbage);
      return { lastGood: last, last };
    }
  }
}

describe('recovery of a damaged log tail', () => {
  const RECORDS = 1000;
  const cases: Damage[] = ['truncate mid-batch', 'garble the last bytes', 'append garbage'];
  const brokers: SpawnedBroker[] = [];

  before(async () => {
    await requireKcat();
  });
  after(async () => {
    for (const b of brokers) await b.cleanup();
  });

  for (const how of cases) {
    it(`${how}: the broker starts, warns, and the log ends at the last whole batch`, async () => {
      const b = await spawnBroker({ overrides: ['num.partitions=1'] });
      brokers.push(b);
      const topic = 'torn';
      const input = Array.from({ length: RECORDS }, (_, i) => `${i}:${value(i)}`).join('\n') + '\n';
      await kcat(['-b', b.bootstrap, '-q', '-P', '-t', topic, '-p', '0', '-K', ':', '-X', 'batch.num.messages=50', '-X', 'linger.ms=1'], {
        input,
        timeoutMs: 60_000,
      });
      await b.stop();

      const file = await lastSegment(b.dataDir, topic);
      const { lastGood } = await damage(file, how);
      const survivors = lastGood.lastOffset + 1;

      await b.restart();
      // pino JSON lines: level 40 is warn; the line names the damaged partition or file.
      const warnings = b.logs().filter((l) => l.level >= 40 && (l.topic === topic || l.raw.includes(path.basename(file))));
      assert.ok(
        warnings.length > 0,
        `expected a warning about the damaged tail of ${path.basename(path.dirname(file))}/${path.basename(file)}; log:\n${b.output()}`,
      );

      const log = await consumeAll(b, topic);
      assert.equal(log.length, survivors, `records of the intact batches (offsets 0..${survivors - 1})`);
      checkLog(log, []);
      assert.deepEqual(log.map((r) => r.i), Array.from({ length: survivors }, (_, i) => i));

      const more = Array.from({ length: 10 }, (_, k) => `${RECORDS + k}:${value(RECORDS + k)}`).join('\n') + '\n';
      await kcat(['-b', b.bootstrap, '-q', '-P', '-t', topic, '-p', '0', '-K', ':'], { input: more, timeoutMs: 30_000 });
      const after = await consumeAll(b, topic);
      assert.equal(after.length, survivors + 10);
      checkLog(after, []);
      assert.deepEqual(
        after.slice(survivors).map((r) => [r.offset, r.i]),
        Array.from({ length: 10 }, (_, k) => [survivors + k, RECORDS + k]),
        'new records continue right after the last intact batch',
      );
      await b.stop();
    });
  }
});

/**
 * kafka-e2e-latency (Kafka's EndToEndLatency, extended to run at a set rate): produces N records at
 * --throughput records/s with the perf producer while a consumer on a second connection long-polls
 * the same topic from its end; each record's end-to-end latency is the time it is seen by the
 * consumer minus the time it became due at the producer (both clocks are this process's). The
 * producer stamps the due times of each batch's first and last record into the first record's
 * value, so the consumer reads them without a lookup table.
 * Usage: kafka-e2e-latency --bootstrap-server HOST:PORT --topic T --num-records N --record-size S
 *        --throughput R [--producer-props acks=1 linger.ms=0 batch.size=16384 ...]
 * Output: one line each for produce (send to ack) and end-to-end (send to consume) latency:
 *   e2e: N records, avg A ms, p50 X ms, p95 ms, p99 ms, p99.9 ms, max ms
 */
import { ArgError, num, parseArgs, props, str } from './args.js';
import { earliestOffsets, fetchOnce, type ConsumeTally } from './fetcher.js';
import { LatencyRecorder, nowMs } from './latency.js';
import { runProducer } from './producer-engine.js';
import { PerfConnection, parseHostPort, topicPartitions } from './wire.js';

const BATCH_FIRST_VALUE_AT_MIN = 61;

function line(name: string, r: LatencyRecorder): string {
  const [p50, p95, p99, p999] = r.percentiles([0.5, 0.95, 0.99, 0.999]);
  return `${name}: ${r.records} records, avg ${r.avgMs.toFixed(3)} ms, p50 ${p50!.toFixed(3)} ms, p95 ${p95!.toFixed(3)} ms, p99 ${p99!.toFixed(3)} ms, p99.9 ${p999!.toFixed(3)} ms, max ${r.maxLatencyMs.toFixed(3)} ms`;
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), {
    valued: ['bootstrap-server', 'topic', 'num-records', 'record-size', 'throughput', 'timeout'],
    multi: ['producer-props'],
  });
  const bootstrap = str(a, 'bootstrap-server');
  const topic = str(a, 'topic');
  const numRecords = num(a, 'num-records');
  const recordSize = num(a, 'record-size');
  if (recordSize < 16) throw new ArgError('--record-size must be at least 16 (the latency stamp)');
  const throughput = num(a, 'throughput');
  const timeoutMs = num(a, 'timeout', 30000);
  const p = props(a.values.get('producer-props'));
  const { host, port } = parseHostPort(p.get('bootstrap.servers') ?? bootstrap);
  const pconn = await PerfConnection.connect(host, port);
  const cconn = await PerfConnection.connect(host, port);
  try {
    const partitions = await topicPartitions(pconn, topic);
    if (partitions <= 0) throw new Error(`topic ${topic} not found`);
    const offsets = await earliestOffsets(cconn, topic, partitions, -1n);
    const e2e = new LatencyRecorder();
    const tally: ConsumeTally = { messages: 0, bytes: 0, nextOffset: 0 };
    let seen = 0;
    const consumer = (async () => {
      let last = nowMs();
      while (tally.messages < numRecords) {
        let t = 0;
        const got = await fetchOnce(cconn, topic, offsets, 1048576, 100, numRecords, tally, (b, at) => {
          if (t === 0) t = nowMs();
          const k = b.readInt32BE(at + 57);
          // first record: length varint, attributes, timestampDelta, offsetDelta, key length, value length, value
          let i = at + BATCH_FIRST_VALUE_AT_MIN;
          while (b[i++]! >= 0x80);
          i++;
          while (b[i++]! >= 0x80);
          while (b[i++]! >= 0x80);
          while (b[i++]! >= 0x80);
          while (b[i++]! >= 0x80);
          const dueFirst = b.readDoubleBE(i);
          const dueLast = b.readDoubleBE(i + 8);
          e2e.add(k, t - dueLast, t - dueFirst);
          seen += k;
        });
        const now = nowMs();
        if (got > 0) last = now;
        else if (now - last > timeoutMs) throw new Error(`consumer saw nothing for ${timeoutMs} ms (${tally.messages}/${numRecords} records)`);
      }
    })();
    const acksRaw = p.get('acks') ?? '1';
    const produced = await runProducer({
      conn: pconn,
      topic,
      partitions,
      numRecords,
      recordSize,
      throughput,
      acks: acksRaw === 'all' ? -1 : Number(acksRaw),
      lingerMs: Number(p.get('linger.ms') ?? '0'),
      batchBytes: Number(p.get('batch.size') ?? '16384'),
      maxInflight: Number(p.get('max.in.flight.requests.per.connection') ?? '5'),
      partitionsPerRequest: Math.max(1, Math.floor(Number(p.get('max.request.size') ?? '1048576') / Number(p.get('batch.size') ?? '16384'))),
      requestTimeoutMs: Number(p.get('request.timeout.ms') ?? '30000'),
      stampValues: true,
    });
    await consumer;
    const secs = produced.elapsedMs / 1000;
    process.stdout.write(`rate: ${produced.records} records in ${secs.toFixed(3)} s, ${(produced.records / secs).toFixed(1)} records/sec (target ${throughput})\n`);
    process.stdout.write(`${line('produce', produced.latency)}\n`);
    process.stdout.write(`${line('e2e', e2e)}\n`);
    if (produced.errors > 0) throw new Error(`${produced.errors} produce errors, first: ${produced.firstError}`);
    return seen === numRecords ? 0 : 1;
  } finally {
    pconn.close();
    cconn.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kafka-e2e-latency: ${(err as Error).message}\n`);
    process.exit(1);
  },
);

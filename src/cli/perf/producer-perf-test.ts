/**
 * kafka-producer-perf-test: Kafka's ProducerPerformance, on our own pipelined perf producer
 * (producer-engine.ts). Flags as Kafka's: --topic --num-records --record-size --throughput
 * --producer-props k=v... [--print-metrics]. Understood producer props: bootstrap.servers, acks,
 * linger.ms, batch.size, max.in.flight.requests.per.connection, request.timeout.ms, max.request.size.
 * Output: Kafka's progress lines every 5 s and its final line,
 *   N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, p50 ms 50th, p95 ms 95th, p99 ms 99th, p999 ms 99.9th.
 * TLS/SASL: Kafka's security.protocol, sasl.* and ssl.* in --producer-props or --producer.config.
 * --print-metrics adds a table (name : value) with sub-millisecond percentiles and request counts.
 * Exit status 1 when any partition answered an error.
 */
import { ArgError, num, parseArgs, props, securityOf, str } from './args.js';
import { runProducer } from './producer-engine.js';
import { PerfConnection, parseHostPort, topicPartitions } from './wire.js';

const USAGE = `usage: kafka-producer-perf-test --topic TOPIC --num-records N --record-size BYTES --throughput RECORDS_PER_SEC|-1
       --producer-props bootstrap.servers=HOST:PORT [acks=1] [linger.ms=0] [batch.size=16384]
       [max.in.flight.requests.per.connection=5] [request.timeout.ms=30000] [max.request.size=1048576]
       [--producer.config FILE] [--print-metrics]
  security: security.protocol, sasl.mechanism, sasl.jaas.config and ssl.* in --producer-props or the
  --producer.config file (docs/SECURITY.md)`;

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), {
    valued: ['topic', 'num-records', 'record-size', 'throughput', 'partitions-per-request', 'producer.config'],
    multi: ['producer-props'],
    flags: ['print-metrics', 'help'],
  });
  if (a.flags.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const p = props(a.values.get('producer-props'));
  const bootstrap = p.get('bootstrap.servers');
  if (!bootstrap) throw new ArgError('--producer-props bootstrap.servers=HOST:PORT is required');
  const topic = str(a, 'topic');
  const numRecords = num(a, 'num-records');
  const recordSize = num(a, 'record-size');
  const throughput = num(a, 'throughput');
  const acksRaw = p.get('acks') ?? '1';
  const acks = acksRaw === 'all' ? -1 : Number(acksRaw);
  const lingerMs = Number(p.get('linger.ms') ?? '0');
  const batchBytes = Number(p.get('batch.size') ?? '16384');
  const maxInflight = Number(p.get('max.in.flight.requests.per.connection') ?? '5');
  const requestTimeoutMs = Number(p.get('request.timeout.ms') ?? '30000');
  const maxRequestBytes = Number(p.get('max.request.size') ?? '1048576');
  if (![0, 1, -1].includes(acks)) throw new ArgError(`acks=${acksRaw} must be 0, 1, -1 or all`);
  if (!(numRecords > 0 && recordSize > 0 && batchBytes > 0 && maxInflight > 0)) throw new ArgError('--num-records, --record-size, batch.size and max.in.flight must be positive');

  const { host, port } = parseHostPort(bootstrap);
  const security = securityOf(a.values.get('producer.config')?.[0], p);
  const conn = await PerfConnection.connect(host, port, 10_000, requestTimeoutMs, security);
  try {
    let partitions = -1;
    for (let i = 0; i < 50 && partitions < 0; i++) {
      partitions = await topicPartitions(conn, topic);
      if (partitions < 0) await new Promise((r) => setTimeout(r, 100));
    }
    if (partitions <= 0) throw new Error(`topic ${topic} does not exist and was not auto-created`);
    const partitionsPerRequest = num(a, 'partitions-per-request', Math.max(1, Math.floor(maxRequestBytes / Math.max(1, batchBytes))));
    const r = await runProducer({
      conn,
      topic,
      partitions,
      numRecords,
      recordSize,
      throughput,
      acks,
      lingerMs,
      batchBytes,
      maxInflight,
      partitionsPerRequest,
      requestTimeoutMs,
      onProgress: (line) => process.stdout.write(`${line}\n`),
    });
    const secs = r.elapsedMs / 1000;
    const [p50, p95, p99, p999] = r.latency.percentiles([0.5, 0.95, 0.99, 0.999]);
    process.stdout.write(
      `${r.records} records sent, ${(r.records / secs).toFixed(1)} records/sec (${((r.records * recordSize) / 1048576 / secs).toFixed(2)} MB/sec), ` +
        `${r.latency.avgMs.toFixed(2)} ms avg latency, ${r.latency.maxLatencyMs.toFixed(2)} ms max latency, ` +
        `${Math.trunc(p50!)} ms 50th, ${Math.trunc(p95!)} ms 95th, ${Math.trunc(p99!)} ms 99th, ${Math.trunc(p999!)} ms 99.9th.\n`,
    );
    if (a.flags.has('print-metrics')) {
      const rows: Array<[string, string]> = [
        ['producer-metrics:record-send-total', String(r.records)],
        ['producer-metrics:request-total', String(r.requests)],
        ['producer-metrics:records-per-request-avg', (r.records / Math.max(1, r.requests)).toFixed(3)],
        ['producer-metrics:record-error-total', String(r.errors)],
        ['producer-metrics:partitions', String(partitions)],
        ['producer-metrics:elapsed-ms', r.elapsedMs.toFixed(3)],
        ['producer-metrics:latency-avg-ms', r.latency.avgMs.toFixed(4)],
        ['producer-metrics:latency-p50-ms', p50!.toFixed(4)],
        ['producer-metrics:latency-p95-ms', p95!.toFixed(4)],
        ['producer-metrics:latency-p99-ms', p99!.toFixed(4)],
        ['producer-metrics:latency-p999-ms', p999!.toFixed(4)],
        ['producer-metrics:latency-max-ms', r.latency.maxLatencyMs.toFixed(4)],
      ];
      const w = Math.max(...rows.map((x) => x[0].length));
      process.stdout.write(`\nMetric Name${' '.repeat(w - 11)} Value\n`);
      for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)} : ${v}\n`);
    }
    if (r.errors > 0) {
      process.stderr.write(`kafka-producer-perf-test: ${r.errors} partition errors, first: ${r.firstError}\n`);
      return 1;
    }
    return 0;
  } finally {
    conn.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ArgError) process.stderr.write(`kafka-producer-perf-test: ${err.message}\n${USAGE}\n`);
    else process.stderr.write(`kafka-producer-perf-test: ${(err as Error).message}\n`);
    process.exit(1);
  },
);

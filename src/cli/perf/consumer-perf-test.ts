/**
 * kafka-consumer-perf-test: Kafka's ConsumerPerformance on a minimal fetcher (no consumer group:
 * every partition of the topic is read from its log start, as a fresh group with
 * auto.offset.reset=earliest would). One Fetch in flight at a time, as Kafka's consumer keeps per
 * broker; each response's batches are walked record by record without allocation to count
 * messages and key+value bytes exactly (stopping at --messages).
 * Flags: --bootstrap-server HOST:PORT --topic T --messages N [--fetch-size 1048576]
 *        [--timeout 10000] [--consumer.config FILE (TLS/SASL keys)] [--print-metrics]  (--broker-list is accepted as Kafka's old name)
 * Output: Kafka's header and one CSV-ish line:
 *   start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
 */
import { ArgError, num, parseArgs, securityOf, str } from './args.js';
import { nowMs } from './latency.js';
import { advanceOffsets, earliestOffsets, sendFetch, tallyRecords, type ConsumeTally, type FetchResponseParts } from './fetcher.js';
import { PerfConnection, parseHostPort, topicPartitions } from './wire.js';

const USAGE = `usage: kafka-consumer-perf-test --bootstrap-server HOST:PORT --topic TOPIC --messages N
       [--fetch-size BYTES] [--timeout MS] [--consumer.config FILE] [--print-metrics]
  security: security.protocol, sasl.* and ssl.* in the --consumer.config file (docs/SECURITY.md)`;

function kafkaDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}:${p(d.getMilliseconds(), 3)}`;
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2), {
    valued: ['bootstrap-server', 'broker-list', 'topic', 'messages', 'fetch-size', 'timeout', 'reporting-interval', 'group', 'num-fetch-threads', 'threads', 'consumer.config'],
    flags: ['print-metrics', 'help', 'show-detailed-stats', 'hide-header', 'from-latest'],
  });
  if (a.flags.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const bootstrap = a.values.get('bootstrap-server')?.[0] ?? a.values.get('broker-list')?.[0];
  if (!bootstrap) throw new ArgError('--bootstrap-server is required');
  const topic = str(a, 'topic');
  const messages = num(a, 'messages');
  const fetchSize = num(a, 'fetch-size', 1048576);
  const timeoutMs = num(a, 'timeout', 10000);
  const { host, port } = parseHostPort(bootstrap);
  const conn = await PerfConnection.connect(host, port, 10_000, undefined, securityOf(a.values.get('consumer.config')?.[0]));
  try {
    const startMs = Date.now();
    const t0 = nowMs();
    const partitions = await topicPartitions(conn, topic);
    if (partitions <= 0) throw new Error(`topic ${topic} not found`);
    const offsets = await earliestOffsets(conn, topic, partitions, a.flags.has('from-latest') ? -1n : -2n);
    const tally: ConsumeTally = { messages: 0, bytes: 0, nextOffset: 0 };
    const fetchStart = nowMs();
    let lastProgress = fetchStart;
    let fetches = 0;
    // Like Kafka's fetcher, the next Fetch goes out as soon as a response arrives (its offsets come
    // from the batch headers) and the records are walked while it is in flight.
    let inflight: Promise<FetchResponseParts> | null = sendFetch(conn, topic, offsets, fetchSize, 500);
    while (tally.messages < messages && inflight !== null) {
      const parts: FetchResponseParts = await inflight;
      fetches++;
      const from = [...offsets];
      const ahead = advanceOffsets(parts, offsets);
      inflight = tally.messages + ahead < messages ? sendFetch(conn, topic, offsets, fetchSize, 500) : null;
      const before = tally.messages;
      for (const { partition, records } of parts) {
        const t: ConsumeTally = { messages: tally.messages, bytes: tally.bytes, nextOffset: from[partition]! };
        tallyRecords(records, from[partition]!, messages, t);
        tally.messages = t.messages;
        tally.bytes = t.bytes;
      }
      const got = tally.messages - before;
      if (inflight === null && tally.messages < messages) inflight = sendFetch(conn, topic, offsets, fetchSize, 500);
      const t = nowMs();
      if (got > 0) lastProgress = t;
      else if (t - lastProgress > timeoutMs) {
        process.stderr.write(`WARNING: Exiting before consuming the expected number of messages: timeout (${timeoutMs} ms) exceeded. You can use the --timeout option to increase the timeout.\n`);
        break;
      }
    }
    inflight?.catch(() => undefined); // a prefetch past the last message is dropped with the connection
    const endMs = Date.now();
    const t1 = nowMs();
    const totalSecs = (t1 - t0) / 1000;
    const fetchMs = t1 - fetchStart;
    const mb = tally.bytes / 1048576;
    if (!a.flags.has('hide-header')) {
      process.stdout.write('start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n');
    }
    process.stdout.write(
      `${kafkaDate(startMs)}, ${kafkaDate(endMs)}, ${mb.toFixed(4)}, ${(mb / totalSecs).toFixed(4)}, ${tally.messages}, ${(tally.messages / totalSecs).toFixed(4)}, 0, ${Math.round(fetchMs)}, ${(mb / (fetchMs / 1000)).toFixed(4)}, ${(tally.messages / (fetchMs / 1000)).toFixed(4)}\n`,
    );
    if (a.flags.has('print-metrics')) {
      process.stdout.write(`\nMetric Name                       Value\nconsumer-fetch-manager-metrics:fetch-total : ${fetches}\nconsumer-fetch-manager-metrics:records-per-fetch-avg : ${(tally.messages / Math.max(1, fetches)).toFixed(1)}\nconsumer-fetch-manager-metrics:fetch-time-ms : ${fetchMs.toFixed(3)}\n`);
    }
    return tally.messages >= messages ? 0 : 1;
  } finally {
    conn.close();
  }
}

{
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof ArgError) process.stderr.write(`kafka-consumer-perf-test: ${err.message}\n${USAGE}\n`);
      else process.stderr.write(`kafka-consumer-perf-test: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}

#!/usr/bin/env node
// Many clients against one broker (bench rows P6 and P7, issue 15): P producers and C consumers,
// each a KafkaClient of our own client library (src/client) with its own connection, all in this
// one process (100 producer processes would not fit two shared cores). Records are keyed (a random
// key per record, murmur2 → partition, as Kafka's default partitioner) and carry their send time
// (performance.now(), same process) in the first 8 bytes of the value; each consumer is assigned
// its share of the partitions (assign(), no group: 100 members joining one group would measure the
// rebalance, not the data path) and records end-to-end latency = receive time − send time.
//
//   node bench/many-clients.mjs --bootstrap H:P --topic T --partitions N --producers P --consumers C
//        [--rate R (records/s, all producers together; 0 = as fast as they go)] [--seconds S]
//        [--warmup-seconds W] [--record-size B] [--report-every-s X] [--linger-ms L]
//
// Output: with --report-every-s, one JSON line per window ({"window":…,"rps":…,"p50":…,"p99":…,
// "errors":…, "clientLagMaxMs":…, "clientHeapMiB":…, "unacked": records still in the producers});
// always a final JSON line {"summary":true, "sent", "acked", "consumed", "rps", "p50", "p99",
// "p999", "max", "clientCpuPct" (this process, % of a core), "clientLoopLagMaxMs", "errors",
// "firstError", "firstErrorAtS", "errorsBy" (failed deliveries by producer and partition, or
// consumer: which client stalled)} over the measured time (after the warm-up). Bounded: it stops
// after --seconds (+ warm-up + 10 s to drain) whatever happens.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { KafkaClient, Producer, Consumer } = await import(pathToFileURL(path.join(root, 'dist', 'src', 'client', 'index.js')).href);

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const bootstrap = opt('bootstrap', '127.0.0.1:9092');
const topic = opt('topic', 'many');
const partitions = Number(opt('partitions', 100));
const producersN = Number(opt('producers', 100));
const consumersN = Number(opt('consumers', 100));
const rate = Number(opt('rate', 0));
const seconds = Number(opt('seconds', 10));
const warmupSeconds = Number(opt('warmup-seconds', 2));
const recordSize = Math.max(16, Number(opt('record-size', 100)));
const reportEveryS = Number(opt('report-every-s', 0));
const lingerMs = Number(opt('linger-ms', 5));
const DRAIN_MS = 10_000;
const TICK_MS = 5;

/** Latencies in 10 µs bins up to 60 s (a difference-free histogram; one increment per record). */
class Histogram {
  constructor() {
    this.bins = new Uint32Array(6_000_000);
    this.count = 0;
    this.maxMs = 0;
  }
  add(ms) {
    const b = Math.min(this.bins.length - 1, Math.max(0, Math.round(ms * 100)));
    this.bins[b]++;
    this.count++;
    if (ms > this.maxMs) this.maxMs = ms;
  }
  quantile(q) {
    if (this.count === 0) return null;
    const target = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i < this.bins.length; i++) {
      seen += this.bins[i];
      if (seen >= target) return i / 100;
    }
    return this.maxMs;
  }
  reset() {
    this.bins.fill(0);
    this.count = 0;
    this.maxMs = 0;
  }
}

const total = new Histogram();
const windowHist = reportEveryS > 0 ? new Histogram() : null;
let measuring = false;
/** Records sent in [measureFrom, measureTo] (performance.now()) are the measured ones, wherever they arrive. */
let measureFrom = Infinity;
let measureTo = Infinity;
let sent = 0;
let acked = 0;
/** Every delivery callback, success or failure, warm-up included (sent - settled = still in the producers; consumer errors are not deliveries). */
let settled = 0;
let consumed = 0;
let consumedInWindow = 0;
let errors = 0;
let firstError = null;
/** Failed deliveries by producer and partition ("producer 3 t-7"; consumers by index and error), and when the first one came (s into the measured phase). */
const errorsBy = new Map();
let firstErrorAtS = null;
let errorsInWindow = 0;
function countError(who, err) {
  errors++;
  errorsInWindow++;
  firstError ??= err.message;
  if (firstErrorAtS === null && measureFrom !== Infinity) firstErrorAtS = Number(((performance.now() - measureFrom) / 1000).toFixed(1));
  errorsBy.set(who, (errorsBy.get(who) ?? 0) + 1);
}

const clientOf = (id) => new KafkaClient({ bootstrapServers: bootstrap, clientId: `many-${id}` });
const producers = Array.from({ length: producersN }, (_, i) => {
  const client = clientOf(`p${i}`);
  return { client, producer: new Producer(client, { acks: 1, lingerMs, allowAutoTopicCreation: false }) };
});
const consumers = Array.from({ length: consumersN }, (_, i) => {
  const client = clientOf(`c${i}`);
  return { client, consumer: new Consumer(client, { autoOffsetReset: 'latest', fetchMaxWaitMs: 100, allowAutoTopicCreation: false }) };
});
// Each consumer takes partitions i, i + C, i + 2C, … (every partition read by exactly one consumer).
for (let i = 0; i < consumersN; i++) {
  const mine = [];
  for (let p = i; p < partitions; p += consumersN) mine.push({ topic, partition: p, offset: 'latest' });
  if (mine.length > 0) consumers[i].consumer.assign(mine);
}

let stopping = false;
/** One delivery callback per producer, so that failures name the producer (and, from the error's text, the partition). */
const onDeliveryOf = producers.map((_, i) => (err) => {
  settled++;
  if (err) countError(`producer ${i} ${/ for (\S+):/.exec(err.message)?.[1] ?? err.constructor.name}`, err);
  else if (measuring) acked++;
});
const keyBuf = Buffer.alloc(8);
function sendOne(i) {
  const p = producers[i];
  const value = Buffer.allocUnsafe(recordSize);
  value.fill(120, 8);
  value.writeDoubleBE(performance.now(), 0);
  keyBuf.writeUInt32BE((Math.random() * 0x1_0000_0000) >>> 0, 0);
  keyBuf.writeUInt32BE(sent, 4);
  sent++;
  return p.producer.send({ topic, key: Buffer.from(keyBuf), value }, onDeliveryOf[i]);
}

async function consumeLoop(c, i) {
  while (!stopping) {
    let records;
    try {
      records = await c.consumer.poll(200);
    } catch (err) {
      countError(`consumer ${i} ${err.constructor.name}`, err);
      await new Promise((r) => setTimeout(r, 100)); // a broker that went away is not polled in a hot loop
      continue;
    }
    const now = performance.now();
    for (const r of records) {
      if (!r.value || r.value.length < 8) continue;
      const sentAt = r.value.readDoubleBE(0);
      if (sentAt < measureFrom || sentAt > measureTo) continue;
      const latencyMs = now - sentAt;
      consumed++;
      consumedInWindow++;
      total.add(latencyMs);
      windowHist?.add(latencyMs);
    }
  }
}

/** Producers at `rate` records/s (0: as fast as their buffers take), round-robin over the producers. */
async function produceLoop(endAt) {
  const t0 = performance.now();
  let due = 0;
  let next = 0;
  while (performance.now() < endAt && !stopping) {
    if (rate > 0) {
      due = Math.floor(((performance.now() - t0) / 1000) * rate);
      let n = due - sent;
      while (n-- > 0) sendOne(next++ % producersN);
      await new Promise((r) => setTimeout(r, TICK_MS));
    } else {
      // Unthrottled: fill every producer until it pushes back, then wait for room.
      let full = 0;
      for (let i = 0; i < producersN; i++) {
        for (let k = 0; k < 200; k++) {
          if (!sendOne(i)) {
            full++;
            break;
          }
        }
      }
      if (full === producersN) await producers[next++ % producersN].producer.waitForCapacity();
      else await new Promise((r) => setImmediate(r));
    }
  }
}

const hardStop = setTimeout(() => {
  process.stderr.write('many-clients: did not finish in time\n');
  process.exit(2);
}, (warmupSeconds + seconds) * 1000 + DRAIN_MS + 30_000);
hardStop.unref();

// Connect and resolve every consumer's position before producing (their first poll does it).
await Promise.all(producers.map((p) => p.client.topicMetadata(topic)));
const loops = consumers.map((c, i) => consumeLoop(c, i));
await new Promise((r) => setTimeout(r, 1000));
const start = performance.now();
const produced = produceLoop(start + (warmupSeconds + seconds) * 1000);
await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
measuring = true;
const measureStart = performance.now();
measureFrom = measureStart;
const cpuStart = process.cpuUsage();
const lagStart = { max: 0, windowMax: 0 };
// Event-loop lag of this (client) process: if it is large, the clients, not the broker, set the latency.
let lagLast = performance.now();
const lagTimer = setInterval(() => {
  const now = performance.now();
  lagStart.max = Math.max(lagStart.max, now - lagLast - 100);
  lagStart.windowMax = Math.max(lagStart.windowMax, now - lagLast - 100);
  lagLast = now;
}, 100);
let reporter = null;
let reportWindow = null;
if (windowHist) {
  let windowStart = performance.now();
  let index = 0;
  reportWindow = () => {
    const now = performance.now();
    const line = { window: index++, atS: Number(((now - measureStart) / 1000).toFixed(1)), rps: Math.round(consumedInWindow / ((now - windowStart) / 1000)), p50: windowHist.quantile(0.5), p99: windowHist.quantile(0.99), p999: windowHist.quantile(0.999), errors: errorsInWindow, clientLagMaxMs: Math.round(lagStart.windowMax), clientHeapMiB: Math.round(process.memoryUsage().heapUsed / 1048576), unacked: sent - settled };
    lagStart.windowMax = 0;
    process.stdout.write(`${JSON.stringify(line)}\n`);
    windowHist.reset();
    consumedInWindow = 0;
    errorsInWindow = 0;
    windowStart = now;
  };
  reporter = setInterval(reportWindow, reportEveryS * 1000);
}
await produced;
measureTo = performance.now();
const measuredS = (measureTo - measureStart) / 1000;
const cpu = process.cpuUsage(cpuStart);
const clientCpuPct = Math.round(((cpu.user + cpu.system) / 1e6 / measuredS) * 100);
clearInterval(lagTimer);
measuring = false;
if (reporter) clearInterval(reporter);
if (reportWindow && consumedInWindow > 0) reportWindow(); // the last, partial window
await Promise.race([Promise.all(producers.map((p) => p.producer.flush())), new Promise((r) => setTimeout(r, DRAIN_MS))]);
// The measured records still on their way to the consumers (bounded).
for (let i = 0; i < 100 && consumed < acked; i++) await new Promise((r) => setTimeout(r, 100));
await new Promise((r) => setTimeout(r, 200));
stopping = true;
await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, 2000))]);
await Promise.race([Promise.all([...producers.map((p) => p.producer.close().then(() => p.client.close())), ...consumers.map((c) => c.consumer.close().then(() => c.client.close()))]), new Promise((r) => setTimeout(r, 5000))]);
process.stdout.write(
  `${JSON.stringify({ summary: true, producers: producersN, consumers: consumersN, partitions, rate, measuredS: Number(measuredS.toFixed(2)), sent, acked, consumed, rps: Math.round(acked / measuredS), consumedRps: Math.round(consumed / measuredS), p50: total.quantile(0.5), p99: total.quantile(0.99), p999: total.quantile(0.999), max: total.maxMs, clientCpuPct, clientLoopLagMaxMs: Math.round(lagStart.max), errors, firstError, firstErrorAtS, errorsBy: Object.fromEntries([...errorsBy].sort((a, b) => b[1] - a[1]).slice(0, 10)) })}\n`,
);
process.exit(0);

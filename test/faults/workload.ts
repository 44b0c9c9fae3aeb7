/**
 * The client side of a fault run: real clients through the fault proxies.
 *
 * - Writers: one kafkajs idempotent producer per partition (acks=all, retries, one request in
 *   flight), sending numbered values `p<partition>-<n>` in small batches, one after the other. A
 *   send that resolves is acknowledged, with the base offset the broker gave; one that rejects is
 *   indeterminate, and its producer is replaced (a fresh producer id: the old one's sequence
 *   numbers may be out of step after a failure).
 * - Readers: kcat (librdkafka) reads each partition from the beginning to the end it is served
 *   (`-e`, up to the high watermark) every `readEveryMs`; a read that times out or fails is
 *   skipped. After the faults, a final read per partition is retried until it succeeds.
 * Every loop stops on `stop()` or at its bound; nothing here retries forever.
 */
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { sleep } from '../helpers/broker.js';
import { kcatConsume } from '../helpers/kcat.js';
import type { PartitionRead, SendRecord } from './checker.js';

export interface WorkloadOptions {
  bootstrap: string;
  topic: string;
  partitions: number;
  recordsPerSend: number;
  /** Bound on sends per partition, whatever the duration. */
  sendsMax: number;
  readEveryMs: number;
  requestTimeoutMs: number;
  /** Every successful read, as it completes (reads are not kept: a long run makes many). */
  onRead: (read: PartitionRead) => void;
}

export interface Workload {
  readonly sends: SendRecord[];
  readonly counters: { sendsOk: number; sendsFailed: number; readsOk: number; readsFailed: number; producersReplaced: number };
  /** Stops writers and readers and waits for them. */
  stop(): Promise<void>;
  /** Reads every partition until a read succeeds (bounded by `timeoutMs` overall). */
  finalRead(timeoutMs: number): Promise<PartitionRead[]>;
}

const CONNECT_ATTEMPTS_MAX = 100;

function kafkaOf(opts: WorkloadOptions): Kafka {
  return new Kafka({
    clientId: 'samsa-faults',
    brokers: opts.bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: opts.requestTimeoutMs,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

async function readPartition(opts: WorkloadOptions, partition: number, timeoutMs: number, final: boolean): Promise<PartitionRead> {
  const records = await kcatConsume(opts.bootstrap, opts.topic, { partition, timeoutMs });
  return { partition, final, records: records.map((r) => ({ offset: r.offset, value: r.value })) };
}

export function startWorkload(opts: WorkloadOptions): Workload {
  const sends: SendRecord[] = [];
  const counters = { sendsOk: 0, sendsFailed: 0, readsOk: 0, readsFailed: 0, producersReplaced: 0 };
  const kafka = kafkaOf(opts);
  let stopping = false;

  async function newProducer(): Promise<Producer> {
    // Bounded: CONNECT_ATTEMPTS_MAX tries (kafkajs retries within each), and none once stopping.
    for (let attempt = 1; ; attempt++) {
      const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 } });
      try {
        await p.connect();
        return p;
      } catch {
        await p.disconnect().catch(() => undefined); // a half-open producer: nothing to keep
        if (stopping || attempt >= CONNECT_ATTEMPTS_MAX) return p; // its sends fail, and it is replaced again
        await sleep(500);
      }
    }
  }

  async function writer(partition: number): Promise<void> {
    let producer = await newProducer();
    for (let n = 0, i = 0; i < opts.sendsMax && !stopping; i++) {
      const values = Array.from({ length: opts.recordsPerSend }, (_, k) => `p${partition}-${n + k}`);
      n += opts.recordsPerSend;
      const record: SendRecord = { partition, values, acked: false };
      sends.push(record);
      try {
        const meta = await producer.send({ topic: opts.topic, acks: -1, timeout: opts.requestTimeoutMs, messages: values.map((value) => ({ partition, value })) });
        const mine = meta.find((m) => m.partition === partition);
        record.acked = true;
        if (mine?.baseOffset !== undefined) record.baseOffset = Number(mine.baseOffset);
        counters.sendsOk++;
      } catch {
        counters.sendsFailed++;
        await producer.disconnect().catch(() => undefined); // replaced below; its state is what we drop
        if (stopping) break;
        await sleep(200);
        producer = await newProducer();
        counters.producersReplaced++;
      }
    }
    await producer.disconnect().catch(() => undefined); // end of run
  }

  async function reader(): Promise<void> {
    while (!stopping) {
      for (let p = 0; p < opts.partitions && !stopping; p++) {
        try {
          opts.onRead(await readPartition(opts, p, 8000, false));
          counters.readsOk++;
        } catch {
          counters.readsFailed++; // unavailable during a fault: skipped, nothing inferred
        }
      }
      for (let waited = 0; waited < opts.readEveryMs && !stopping; waited += 100) await sleep(100);
    }
  }

  const tasks = [...Array.from({ length: opts.partitions }, (_, p) => writer(p)), reader()];
  return {
    sends,
    counters,
    async stop() {
      stopping = true;
      await Promise.all(tasks);
    },
    async finalRead(timeoutMs) {
      // A new leader's high watermark can trail for a moment after a failover: read until two
      // successful reads a second apart end at the same offset.
      const deadline = Date.now() + timeoutMs;
      const out: PartitionRead[] = [];
      for (let p = 0; p < opts.partitions; p++) {
        let last: PartitionRead | null = null;
        for (;;) {
          try {
            const r = await readPartition(opts, p, 20_000, true);
            const end = (x: PartitionRead): number => x.records.at(-1)?.offset ?? -1;
            if (last !== null && end(last) === end(r)) {
              out.push(r);
              opts.onRead(r);
              break;
            }
            last = r;
          } catch (err) {
            if (Date.now() > deadline) throw new Error(`final read of partition ${p} kept failing for ${timeoutMs} ms: ${String(err)}`);
          }
          if (Date.now() > deadline) throw new Error(`final read of partition ${p} did not settle within ${timeoutMs} ms`);
          await sleep(1000);
        }
      }
      return out;
    },
  };
}

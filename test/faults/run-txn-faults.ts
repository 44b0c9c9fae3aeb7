/**
 * One real-process transaction fault run: three brokers and ZooKeeper behind the fault proxies
 * (fault-cluster.ts), real transactional clients (txn-scripts.ts: librdkafka through
 * confluent-kafka-python), faults from a schedule, then the Jepsen-style checks (txn-checker.ts).
 *
 * Workloads, all through the proxies:
 *   - `writers` transactional producers (`txw-<n>`) writing transactions of 1-8 records over the
 *     partitions of `txn`, 75% committed, 25% aborted, each outcome recorded as the client saw it;
 *   - a read_committed tail of `txn` recording when each record became visible;
 *   - a read-process-write pipeline: `in` (pre-filled with numbered keyed records) → `out`, offsets
 *     sent to the transaction (group `pipe`, transactional.id `pipe-0`).
 * Faults: the broker kinds of nemesis.ts, plus `kill-coordinator` (SIGKILL the transaction
 * coordinator of `txw-0`, restart after the hold), `kill-pipeline` and `kill-writer` (SIGKILL the
 * client process; its supervisor starts a new one with the same transactional.id, which fences the
 * old epoch).
 * After the faults: everything healed, the writers stopped (SIGKILL: their last transaction is
 * unknown), the pipeline left to finish `in`, the transaction timeout waited out, then `txn` and
 * `out` are drained read_committed and checked, and every partition's last stable offset must have
 * caught up with its high watermark (no hanging transaction).
 */
import { Kafka, logLevel } from 'kafkajs';
import { KafkaClient } from '../../src/client/client.js';
import { findCoordinator } from '../../src/client/offsets.js';
import { sleep } from '../helpers/broker.js';
import { seededRandom } from '../helpers/seeded-random.js';
import { startFaultCluster, type FaultCluster } from './fault-cluster.js';
import { FAULT_KINDS, Nemesis, type FaultKind } from './nemesis.js';
import { checkPipeline, checkTransactions, TXN_ANOMALY_KINDS, type PipelineCheckResult, type TxnAnomalyKind, type TxnCheckResult } from './txn-checker.js';
import { brokerErrorLines, createFaultTopics, runNemesis, runSchedule, saveBrokerLogs } from './run-common.js';
import { drain, seenRecord, Supervised, WriterHistory } from './txn-clients.js';
import { DRAIN, PIPELINE, TAIL, WRITER } from './txn-scripts.js';

export const TXN_FAULT_KINDS = ['kill-coordinator', 'kill-pipeline', 'kill-writer', ...FAULT_KINDS.filter((k) => k !== 'disk-full')] as const;
export type TxnFaultKind = (typeof TXN_FAULT_KINDS)[number];

export interface TxnRunOptions {
  seed: number;
  schedule: TxnFaultKind[];
  durationMs: number;
  faultMs: number;
  pauseMs: number;
  quietMs: number;
  partitions: number;
  writers: number;
  inputRecords: number;
  log: (line: string) => void;
  logDir?: string;
}

export interface TxnRunReport {
  seed: number;
  schedule: TxnFaultKind[];
  durationMs: number;
  faultsByKind: Record<string, number>;
  notRecovered: number;
  transactions: TxnCheckResult;
  pipeline: PipelineCheckResult;
  pipelineTransactions: number;
  pipelineAborts: number;
  liveRecords: number;
  hanging: string[];
  clientRestarts: Record<string, number>;
  clientErrors: string[];
  brokerErrors: string[];
}

const TXN_TOPIC = 'txn';
const IN_TOPIC = 'in';
const OUT_TOPIC = 'out';
const KEYS = 12;
/** The clients' transaction.timeout.ms (txn-scripts.ts): after it, a coordinator aborts what a killed client left open. */
const CLIENT_TXN_TIMEOUT_MS = 10_000;

export async function runTxnFaults(opts: TxnRunOptions): Promise<TxnRunReport> {
  const log = opts.log;
  const random = seededRandom(opts.seed);
  const fc = await startFaultCluster({
    brokers: 3,
    overrides: ['transaction.state.log.num.partitions=4', 'offsets.topic.num.partitions=4', 'transaction.abort.timed.out.transaction.cleanup.interval.ms=1000'],
  });
  const startMs = Date.now();
  const roles: Supervised[] = [];
  try {
    log(`cluster up: clients at ${fc.clientBootstrap}`);
    const bootstrap = fc.clientBootstrap;
    await createFaultTopics(bootstrap, [TXN_TOPIC, IN_TOPIC, OUT_TOPIC], opts.partitions);
    const inputs = await fillInput(bootstrap, opts.partitions, opts.inputRecords);
    log(`${inputs.length} input records in '${IN_TOPIC}'`);

    const histories = Array.from({ length: opts.writers }, (_, i) => new WriterHistory(`w${i}`));
    const writers = histories.map(
      (h, i) =>
        new Supervised(`writer-${i}`, WRITER, () => [bootstrap, TXN_TOPIC, String(opts.partitions), String(i), String(h.nextTxn), '1000000', String(Math.floor(random() * 1e9))], (o) => h.onLine(o)),
    );
    const live: ReturnType<typeof seenRecord>[] = [];
    const tail = new Supervised('tail', TAIL, () => [bootstrap, TXN_TOPIC, String(opts.partitions), String(3_600_000)], (o) => live.push(seenRecord(o)));
    const pipe = { txns: 0, aborts: 0, errors: [] as string[] };
    const pipeline = new Supervised('pipeline', PIPELINE, () => [bootstrap, IN_TOPIC, OUT_TOPIC, 'pipe', 'pipe-0', String(3_600_000)], (o) => {
      if (o.ev === 'txn') pipe.txns++;
      else if (o.ev === 'abort' || o.ev === 'exit') {
        pipe.aborts += o.ev === 'abort' ? 1 : 0;
        if (pipe.errors.length < 20) pipe.errors.push(String(o.err ?? o.why));
      }
    });
    roles.push(...writers, tail, pipeline);
    for (const r of roles) r.start();

    const coordinatorOf = coordinatorFinder(fc);
    const nemesis = runNemesis(fc, TXN_TOPIC, opts, random, async (kind) => (kind === 'kill' && random() < 0.5 ? coordinatorOf('txw-0') : null));
    if ((await nemesis.waitWhole(30_000)) === null) throw new Error(`topic ${TXN_TOPIC} never had a full ISR`);
    const faults: Record<string, number> = {};
    await sleep(3000);
    await runSchedule(nemesis, opts.schedule, startMs, opts.durationMs, (kind) => {
      faults[kind] = (faults[kind] ?? 0) + 1;
      return injectTxnFault(kind, { nemesis, fc, writers, pipeline, random, coordinatorOf, opts, startMs });
    });
    const recovered = await nemesis.waitWhole(60_000);
    log(`faults over; cluster ${recovered === null ? 'NOT whole after 60 s' : `whole after ${recovered} ms`}; writers run 3 s more`);
    await sleep(3000);
    for (const w of writers) await w.stop();
    await waitPipelineDone(bootstrap, inputs.length, opts.partitions, log);
    await pipeline.stop();
    log(`writers and pipeline stopped; waiting out the transaction timeout (${CLIENT_TXN_TIMEOUT_MS} ms) before the final reads`);
    await sleep(CLIENT_TXN_TIMEOUT_MS + 5000);
    await tail.stop();

    const txnRead = await drain(DRAIN, [bootstrap, TXN_TOPIC, String(opts.partitions), 'read_committed', '60000'], 60_000);
    const outRead = await drain(DRAIN, [bootstrap, OUT_TOPIC, String(opts.partitions), 'read_committed', '60000'], 60_000);
    const hanging = [...txnRead.ends, ...outRead.ends]
      .filter((e) => Number(e.position) !== Number(e.high))
      .map((e) => `partition ${String(e.p)}: read_committed stopped at ${String(e.position)}, high watermark ${String(e.high)}`);
    if (txnRead.eof < opts.partitions || outRead.eof < opts.partitions) hanging.push(`final reads reached the end of ${txnRead.eof} + ${outRead.eof} of ${2 * opts.partitions} partitions`);

    const allTxns = histories.flatMap((h) => [...h.txns.values()]);
    const transactions = checkTransactions(allTxns, txnRead.records, live);
    const outputs = outRead.records.map((r) => ({ key: r.key ?? '', seq: Number(r.value.slice(2)) }));
    const pipeline_ = checkPipeline(inputs, outputs);
    const restarts: Record<string, number> = {};
    for (const r of roles) restarts[r.name] = r.restarts;
    return {
      seed: opts.seed,
      schedule: opts.schedule,
      durationMs: Date.now() - startMs,
      faultsByKind: faults,
      notRecovered: nemesis.events.filter((e) => e.recoveredMs === null).length,
      transactions,
      pipeline: pipeline_,
      pipelineTransactions: pipe.txns,
      pipelineAborts: pipe.aborts,
      liveRecords: live.length,
      hanging,
      clientRestarts: restarts,
      clientErrors: [...histories.flatMap((h) => h.errors.map((e) => `${h.writer}: ${e}`)), ...pipe.errors.map((e) => `pipeline: ${e}`)].slice(0, 30),
      brokerErrors: brokerErrorLines(fc),
    };
  } finally {
    for (const r of roles) await r.stop();
    await saveBrokerLogs(fc, opts.logDir, log);
    await fc.stop();
  }
}

interface FaultContext {
  nemesis: Nemesis;
  fc: FaultCluster;
  writers: Supervised[];
  pipeline: Supervised;
  random: () => number;
  coordinatorOf: (transactionalId: string) => Promise<number | null>;
  opts: TxnRunOptions;
  startMs: number;
}

async function injectTxnFault(kind: TxnFaultKind, c: FaultContext): Promise<void> {
  const at = `${((Date.now() - c.startMs) / 1000).toFixed(1)}s`;
  switch (kind) {
    case 'kill-pipeline':
    case 'kill-writer': {
      const role = kind === 'kill-pipeline' ? c.pipeline : c.writers[Math.floor(c.random() * c.writers.length)]!;
      c.opts.log(`  ${at} ${kind}: SIGKILL ${role.name}`);
      await role.kill();
      await sleep(c.opts.faultMs);
      return;
    }
    case 'kill-coordinator': {
      const id = await c.coordinatorOf('txw-0');
      if (id === null) {
        c.opts.log(`  ${at} kill-coordinator: no coordinator found; killing a partition leader instead`);
        await c.nemesis.run('kill', c.startMs);
        return;
      }
      c.opts.log(`  ${at} kill-coordinator: SIGKILL b${id}, coordinator of txw-0`);
      await c.fc.cluster.kill(id);
      await sleep(c.opts.faultMs);
      await c.fc.cluster.restart(id);
      const recoveredMs = await c.nemesis.waitWhole(60_000);
      c.opts.log(`    restarted; ${recoveredMs === null ? 'NOT whole again within 60 s' : `whole again after ${recoveredMs} ms`}`);
      await sleep(c.opts.quietMs);
      return;
    }
    default:
      await c.nemesis.run(kind as FaultKind, c.startMs);
  }
}

/** The broker that coordinates a transactional id, asked of the brokers directly (not through the proxies). */
function coordinatorFinder(fc: FaultCluster): (transactionalId: string) => Promise<number | null> {
  return async (transactionalId) => {
    const client = new KafkaClient({ bootstrapServers: fc.cluster.liveBootstrap(), retries: 3, requestTimeoutMs: 5000 });
    try {
      return (await findCoordinator(client, transactionalId, 1)).nodeId;
    } catch {
      return null; // no coordinator right now (e.g. during an election): the caller picks another target
    } finally {
      await client.close();
    }
  };
}

/** Writes `count` records `i-<seq>` with key `k<seq % KEYS>` to partition (key number % partitions), acks=all. */
async function fillInput(bootstrap: string, partitions: number, count: number): Promise<Array<{ key: string; seq: number }>> {
  const kafka = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10 } });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const inputs: Array<{ key: string; seq: number }> = [];
  try {
    for (let from = 0; from < count; from += 500) {
      const batch = Array.from({ length: Math.min(500, count - from) }, (_, i) => from + i);
      await producer.sendBatch({
        acks: -1,
        topicMessages: [{ topic: IN_TOPIC, messages: batch.map((seq) => ({ key: `k${seq % KEYS}`, value: `i-${seq}`, partition: (seq % KEYS) % partitions })) }],
      });
      for (const seq of batch) inputs.push({ key: `k${seq % KEYS}`, seq });
    }
  } finally {
    await producer.disconnect();
  }
  return inputs;
}

/** Waits (bounded) until the pipeline's group has committed offsets at the end of every input partition. */
async function waitPipelineDone(bootstrap: string, inputCount: number, partitions: number, log: (line: string) => void): Promise<void> {
  const kafka = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 5 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(IN_TOPIC);
    const deadline = Date.now() + 120_000;
    let committed = 0;
    while (Date.now() < deadline) {
      try {
        const got = await admin.fetchOffsets({ groupId: 'pipe', topics: [IN_TOPIC] });
        const offsets = got[0]?.partitions ?? [];
        committed = offsets.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
        const done = ends.every((e) => offsets.some((p) => p.partition === e.partition && Number(p.offset) >= Number(e.high)));
        if (done && offsets.length === partitions) {
          log(`pipeline committed the end of every input partition (${inputCount} records)`);
          return;
        }
      } catch {
        // the group coordinator may be moving: ask again
      }
      await sleep(1000);
    }
    log(`pipeline did NOT reach the end of the input within 120 s (committed ${committed} of ${inputCount})`);
  } finally {
    await admin.disconnect();
  }
}

export function txnVerdict(r: TxnRunReport): boolean {
  const all = { ...r.transactions.anomalies };
  for (const k of TXN_ANOMALY_KINDS) all[k] += r.pipeline.anomalies[k];
  return Object.values(all).every((n) => n === 0) && r.hanging.length === 0;
}

export function formatTxnReport(r: TxnRunReport): string {
  const sum = (k: TxnAnomalyKind): number => r.transactions.anomalies[k] + r.pipeline.anomalies[k];
  const t = r.transactions.transactions;
  return [
    `seed ${r.seed}; schedule ${r.schedule.join(',')}; ran ${(r.durationMs / 1000).toFixed(0)} s`,
    `faults injected: ${Object.entries(r.faultsByKind).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}${r.notRecovered > 0 ? `; ${r.notRecovered} did not recover within 60 s` : ''}`,
    `transactions: ${t.committed} committed, ${t.aborted} aborted, ${t.unknown} unknown; ${r.transactions.recordsRead} records read back read_committed, ${r.liveRecords} seen live`,
    `pipeline: ${r.pipeline.inputs} inputs, ${r.pipeline.outputs} outputs, ${r.pipelineTransactions} transactions committed, ${r.pipelineAborts} aborted`,
    `client restarts: ${Object.entries(r.clientRestarts).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    `anomalies: ${TXN_ANOMALY_KINDS.map((k) => `${k} ${sum(k)}`).join(', ')}`,
    ...[...r.transactions.examples, ...r.pipeline.examples].slice(0, 15).map((e) => `  ${e.kind}: ${e.detail}`),
    `hanging transactions: ${r.hanging.length}`,
    ...r.hanging.map((h) => `  ${h}`),
    `client errors (first ${r.clientErrors.length}): ${r.clientErrors.slice(0, 8).join(' | ')}`,
    `broker error lines: ${r.brokerErrors.length}`,
    ...r.brokerErrors.slice(0, 10).map((l) => `  ${l}`),
    `verdict: ${txnVerdict(r) ? 'OK (no anomaly, no hanging transaction)' : 'FAILED'}`,
  ].join('\n');
}

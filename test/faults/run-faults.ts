/**
 * One real-process fault run: start a 3-broker cluster behind fault proxies, create the topic
 * (replication factor 3, min.insync.replicas=2, no unclean election), run the workload while the
 * nemesis injects faults from the schedule until the time is up, heal everything, read every
 * partition back and check the history (checker.ts). Used by `npm run faults` (run.ts) and by the
 * bounded CI test (faults.test.ts).
 */
import { sleep } from '../helpers/broker.js';
import { checkQueue, ListAppendChecker, type Anomaly, type AnomalyKind, type QueueResult } from './checker.js';
import { startFaultCluster } from './fault-cluster.js';
import { seededRandom } from '../helpers/seeded-random.js';
import type { FaultEvent, FaultKind } from './nemesis.js';
import { brokerErrorLines, createFaultTopics, runNemesis, runSchedule, saveBrokerLogs } from './run-common.js';
import { startWorkload } from './workload.js';

export interface RunOptions {
  seed: number;
  schedule: FaultKind[];
  /** Faults are injected until this much time has passed (at least one pass over the schedule). */
  durationMs: number;
  faultMs: number;
  pauseMs: number;
  quietMs: number;
  partitions: number;
  log: (line: string) => void;
  /** Where to write each broker's output at the end (nothing written when absent). */
  logDir?: string;
}

export interface RunReport {
  seed: number;
  schedule: FaultKind[];
  durationMs: number;
  faults: FaultEvent[];
  faultsByKind: Record<string, number>;
  skipped: Array<{ kind: FaultKind; reason: string }>;
  notRecovered: number;
  queue: QueueResult;
  anomalies: Record<AnomalyKind, number>;
  anomalyExamples: Anomaly[];
  client: { sendsOk: number; sendsFailed: number; readsOk: number; readsFailed: number; producersReplaced: number };
  net: { connections: number; refused: number; bytesDropped: number; bytesDelayed: number };
  brokerErrors: string[];
  diskFull: string;
}

const TOPIC = 'faults';
const ZK_SESSION_MS = 6000;

export async function runFaults(opts: RunOptions): Promise<RunReport> {
  const log = opts.log;
  const random = seededRandom(opts.seed);
  log(`fault run: seed ${opts.seed}, schedule ${opts.schedule.join(',')}, ${Math.round(opts.durationMs / 1000)} s`);
  const fc = await startFaultCluster({
    brokers: 3,
    diskFull: opts.schedule.includes('disk-full'),
    overrides: ['replica.lag.time.max.ms=4000', 'replica.socket.timeout.ms=4000', 'unclean.leader.election.enable=false', 'log.segment.bytes=1048576'],
  });
  const startMs = Date.now();
  try {
    log(`cluster up: clients at ${fc.clientBootstrap}; disk-full ${fc.disk.available ? `on ${fc.disk.sizeBytes / 1048576} MiB tmpfs dirs` : fc.disk.reason}`);
    await createFaultTopics(fc.clientBootstrap, [TOPIC], opts.partitions);
    const nemesis = runNemesis(fc, TOPIC, opts, random);
    if ((await nemesis.waitWhole(30_000)) === null) throw new Error(`topic ${TOPIC} never had a full ISR`);

    const listAppend = new ListAppendChecker();
    const workload = startWorkload({
      bootstrap: fc.clientBootstrap,
      topic: TOPIC,
      partitions: opts.partitions,
      recordsPerSend: 5,
      sendsMax: 1_000_000,
      readEveryMs: 2000,
      requestTimeoutMs: 5000,
      onRead: (read) => listAppend.observe(read),
    });
    await sleep(2000);
    await runSchedule(nemesis, opts.schedule, startMs, opts.durationMs, (kind) => nemesis.run(kind, startMs));
    const recovered = await nemesis.waitWhole(60_000);
    log(`faults over; cluster ${recovered === null ? 'NOT whole after 60 s' : `whole after ${recovered} ms`}; writers run 2 s more`);
    await sleep(2000);
    await workload.stop();
    const finals = await workload.finalRead(90_000);
    const queue = checkQueue(workload.sends, finals);
    listAppend.checkAcks(workload.sends, finals);
    const faultsByKind: Record<string, number> = {};
    for (const e of nemesis.events) faultsByKind[e.kind] = (faultsByKind[e.kind] ?? 0) + 1;
    return {
      seed: opts.seed,
      schedule: opts.schedule,
      durationMs: Date.now() - startMs,
      faults: nemesis.events,
      faultsByKind,
      skipped: nemesis.skipped,
      notRecovered: nemesis.events.filter((e) => e.recoveredMs === null).length,
      queue,
      anomalies: listAppend.counts,
      anomalyExamples: listAppend.examples.slice(0, 10),
      client: { ...workload.counters },
      net: { ...fc.net.counters },
      brokerErrors: brokerErrorLines(fc),
      diskFull: fc.disk.available ? `tmpfs ${fc.disk.sizeBytes} bytes per broker` : fc.disk.reason,
    };
  } finally {
    await saveBrokerLogs(fc, opts.logDir, log);
    await fc.stop();
  }
}

/** The report as text: what a person reads after `npm run faults`. */
export function formatReport(r: RunReport): string {
  const q = r.queue;
  const lines = [
    `seed ${r.seed}; schedule ${r.schedule.join(',')}; ran ${(r.durationMs / 1000).toFixed(0)} s`,
    `faults injected: ${Object.entries(r.faultsByKind).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}${r.notRecovered > 0 ? `; ${r.notRecovered} did not recover within 60 s` : ''}`,
    ...r.skipped.map((s) => `skipped: ${s.kind} (${s.reason})`),
    `disk-full: ${r.diskFull}`,
    `sends: ${r.client.sendsOk} acknowledged, ${r.client.sendsFailed} failed (producer replaced ${r.client.producersReplaced} times); reads: ${r.client.readsOk} ok, ${r.client.readsFailed} failed`,
    `proxy: ${r.net.connections} connections, ${r.net.refused} refused, ${r.net.bytesDropped} bytes dropped, ${r.net.bytesDelayed} bytes delayed`,
    'queue:',
    `  acknowledged ${q.acknowledged}`,
    `  lost         ${q.lost}${q.examples.lost.length ? `  e.g. ${q.examples.lost.join('; ')}` : ''}`,
    `  duplicated   ${q.duplicated}${q.examples.duplicated.length ? `  e.g. ${q.examples.duplicated.join('; ')}` : ''}`,
    `  reordered    ${q.reordered}${q.examples.reordered.length ? `  e.g. ${q.examples.reordered.join('; ')}` : ''}`,
    `  unexpected   ${q.unexpected}${q.examples.unexpected.length ? `  e.g. ${q.examples.unexpected.join('; ')}` : ''}`,
    `  indeterminate ${q.indeterminate} (sent, not acknowledged; ${q.indeterminateFound} of them were written)`,
    `list-append anomalies: ${Object.entries(r.anomalies).map(([k, n]) => `${k} ${n}`).join(', ')}`,
    ...r.anomalyExamples.map((a) => `  ${a.kind} p${a.partition} @${a.offset}: ${a.detail}`),
    `broker error lines: ${r.brokerErrors.length}`,
    ...r.brokerErrors.slice(0, 10).map((l) => `  ${l}`),
    `verdict: ${verdict(r) ? 'OK (lost 0, no anomaly)' : 'FAILED'}`,
  ];
  return lines.join('\n');
}

export function verdict(r: RunReport): boolean {
  return r.queue.lost === 0 && r.queue.unexpected === 0 && Object.values(r.anomalies).every((n) => n === 0);
}

export { ZK_SESSION_MS };

/**
 * What both real-process fault runs (run-faults.ts: produce/consume; run-txn-faults.ts:
 * transactions) do the same way: create their topics on the fault cluster, run a fault schedule for
 * a time and heal, collect the brokers' error lines, keep the brokers' output.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { FaultCluster } from './fault-cluster.js';
import { Nemesis, type NemesisOptions } from './nemesis.js';

/** Creates `topics` (replication factor 3, min.insync.replicas=2) through `bootstrap` and waits for their leaders. */
export async function createFaultTopics(bootstrap: string, topics: readonly string[], partitions: number): Promise<void> {
  const kafka = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: topics.map((topic) => ({ topic, numPartitions: partitions, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] })),
      waitForLeaders: true,
      timeout: 30_000,
    });
  } finally {
    await admin.disconnect();
  }
}

/** The run's nemesis on `topic`: the run's hold/pause/quiet times, 60 s to recover from each fault. */
export function runNemesis(
  fc: FaultCluster,
  topic: string,
  opts: { partitions: number; faultMs: number; pauseMs: number; quietMs: number; log: (line: string) => void },
  random: () => number,
  pickTarget?: NemesisOptions['pickTarget'],
): Nemesis {
  const { partitions, faultMs, pauseMs, quietMs, log } = opts;
  return new Nemesis(fc, { topic, partitions, faultMs, pauseMs, quietMs, recoverTimeoutMs: 60_000, random, log, ...(pickTarget ? { pickTarget } : {}) });
}

/**
 * Injects the schedule's faults in order, one pass at least and then again until `durationMs` since
 * `startMs` (bounded: each fault is bounded by its hold and recovery), then heals everything.
 */
export async function runSchedule<K>(nemesis: Nemesis, schedule: readonly K[], startMs: number, durationMs: number, inject: (kind: K) => Promise<void>): Promise<void> {
  try {
    for (let i = 0; i === 0 || Date.now() - startMs < durationMs; i++) {
      for (const kind of schedule) {
        if (i > 0 && Date.now() - startMs >= durationMs) break;
        await inject(kind);
      }
    }
  } finally {
    await nemesis.healEverything();
  }
}

/** Error and fatal log lines and stack frames of every broker's output, prefixed `b<id>: `. */
export function brokerErrorLines(fc: FaultCluster): string[] {
  const lines: string[] = [];
  for (const id of fc.ids) {
    for (const line of fc.cluster.broker(id).output().split('\n')) {
      if (/"level":(50|60)/.test(line) || /^\s*at .*\.js:\d+/.test(line)) lines.push(`b${id}: ${line.slice(0, 400)}`);
    }
  }
  return lines;
}

/** Writes each broker's output to `<logDir>/broker-<id>.log` (nothing when logDir is absent). */
export async function saveBrokerLogs(fc: FaultCluster, logDir: string | undefined, log: (line: string) => void): Promise<void> {
  if (!logDir) return;
  await mkdir(logDir, { recursive: true });
  for (const id of fc.ids) await writeFile(path.join(logDir, `broker-${id}.log`), fc.cluster.broker(id).output());
  log(`broker logs in ${logDir}`);
}

/**
 * Goal: under real network partitions (symmetric, and the split brain of a leader cut off from
 * ZooKeeper and the other brokers while clients still reach it), kill -9 and SIGSTOP/SIGCONT, no
 * acknowledged write is lost and the partitions behave as lists over offsets: no offset holds two
 * records, none changes its record, every acknowledged offset holds what was acknowledged.
 *
 * Method: the bounded form of `npm run faults` (test/faults/run-faults.ts, docs/RELIABILITY.md):
 * Apache ZooKeeper and three broker processes on 127.0.0.1, every connection (broker-broker over
 * the INTERNAL listener, broker-ZooKeeper, client-broker over EXTERNAL) through the fault proxy;
 * topic of 3 partitions, replication factor 3, min.insync.replicas=2. kafkajs idempotent producers
 * (acks=all) write numbered records while kcat reads the partitions back; a fixed schedule —
 * partition, split-brain, kill, pause — runs once, each fault healed and the ISR whole again before
 * the next. Then the queue and list-append checkers run over the history. Bounded to 2 minutes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requireKcat } from '../helpers/broker.js';
import { formatReport, runFaults, ZK_SESSION_MS } from './run-faults.js';

const BUDGET_MS = 120_000;

describe('[faults] real-process fault run: partition, split brain, kill -9, pause', () => {
  it('loses no acknowledged write and shows no list-append anomaly', { timeout: BUDGET_MS + 30_000 }, async (t) => {
    await requireKcat();
    const startMs = Date.now();
    const lines: string[] = [];
    const report = await runFaults({
      seed: 13,
      schedule: ['partition', 'split-brain', 'kill', 'pause'],
      durationMs: 0, // one pass over the schedule
      faultMs: 5000,
      pauseMs: ZK_SESSION_MS + 2000,
      quietMs: 500,
      partitions: 3,
      log: (line) => lines.push(line),
    });
    const text = `${lines.join('\n')}\n${formatReport(report)}`;
    for (const line of text.split('\n')) t.diagnostic(line);
    assert.deepEqual(report.faultsByKind, { partition: 1, 'split-brain': 1, kill: 1, pause: 1 }, text);
    assert.ok(report.queue.acknowledged > 1000, `the workload made progress: ${report.queue.acknowledged} acknowledged\n${text}`);
    assert.equal(report.queue.lost, 0, text);
    assert.equal(report.queue.unexpected, 0, text);
    assert.deepEqual(report.anomalies, { 'duplicate-offset': 0, 'offset-changed': 0, 'ack-offset-mismatch': 0, 'offset-gap': 0 }, text);
    assert.ok(report.client.readsOk > 0, `reads during the run: ${report.client.readsOk}\n${text}`);
    assert.ok(Date.now() - startMs < BUDGET_MS, `the run took ${Date.now() - startMs} ms, over its ${BUDGET_MS} ms budget\n${text}`);
  });
});

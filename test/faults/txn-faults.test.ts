/**
 * Goal: transactions hold under faults as Jepsen checked them: no aborted read, no torn
 * transaction, no lost committed write, no duplicate, no read of a record before its commit was
 * asked, per-writer order kept, and a read-process-write pipeline outputs every input exactly once
 * in key order, while the transaction coordinator's broker, partition leaders and the client
 * processes themselves are killed -9 and restarted; afterwards no transaction hangs (every last
 * stable offset reaches its high watermark).
 *
 * Method: the bounded form of `npm run faults -- --txn` (test/faults/run-txn-faults.ts,
 * docs/RELIABILITY.md): Apache ZooKeeper and three broker processes behind the fault proxies; two
 * librdkafka transactional writers (confluent-kafka-python), a read_committed tail, and an
 * exactly-once pipeline `in` → `out` with send_offsets_to_transaction; the schedule kill-coordinator,
 * kill-pipeline, kill-writer, kill (a leader or the coordinator), partition runs once. The report's
 * counts are printed as diagnostics. Bounded to 4 minutes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requirePythonModule } from '../helpers/broker.js';
import { ZK_SESSION_MS } from './run-faults.js';
import { formatTxnReport, runTxnFaults, txnVerdict } from './run-txn-faults.js';

const BUDGET_MS = 240_000;

describe('[faults] transactions under kill -9 of coordinator, leaders and clients', () => {
  it('shows no transactional anomaly and no hanging transaction', { timeout: BUDGET_MS + 60_000 }, async (t) => {
    await requirePythonModule('confluent_kafka');
    const startMs = Date.now();
    const lines: string[] = [];
    const report = await runTxnFaults({
      seed: 7,
      schedule: ['kill-coordinator', 'kill-pipeline', 'kill-writer', 'kill', 'partition'],
      durationMs: 0, // one pass over the schedule
      faultMs: 4000,
      pauseMs: ZK_SESSION_MS + 2000,
      quietMs: 500,
      partitions: 3,
      writers: 2,
      inputRecords: 3000,
      log: (line) => lines.push(line),
    });
    const text = `${lines.join('\n')}\n${formatTxnReport(report)}`;
    for (const line of text.split('\n')) t.diagnostic(line);
    assert.equal(Object.values(report.faultsByKind).reduce((a, b) => a + b, 0), 5, text);
    assert.ok(report.transactions.transactions.committed > 20, `writers committed transactions: ${report.transactions.transactions.committed}\n${text}`);
    assert.ok(report.transactions.transactions.aborted > 5, `writers aborted transactions: ${report.transactions.transactions.aborted}\n${text}`);
    assert.ok(report.liveRecords > 0, `the live tail read records\n${text}`);
    assert.equal(report.pipeline.outputs, report.pipeline.inputs, text);
    assert.ok(txnVerdict(report), text);
    assert.ok(Date.now() - startMs < BUDGET_MS, `the run took ${Date.now() - startMs} ms, over its ${BUDGET_MS} ms budget\n${text}`);
  });
});

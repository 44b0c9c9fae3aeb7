/**
 * Smoke run of the benchmark suite (bench/run.mjs --smoke): every scenario with tiny record
 * counts, so the bench and the perf tools keep working. No timing thresholds: figures are printed,
 * never asserted. Results go to a temp dir, not bench/results.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('bench/run.mjs --smoke runs every scenario and writes the table', { timeout: 180_000 }, () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'samsa-bench-smoke-'));
  try {
    const r = spawnSync(process.execPath, [path.join(root, 'bench', 'run.mjs'), '--smoke', '--out', out], {
      cwd: root,
      encoding: 'utf8',
      timeout: 170_000,
    });
    assert.equal(r.status, 0, `bench failed:\n${r.stderr}\n${r.stdout}`);
    const files = readdirSync(out);
    const json = files.find((f) => f.endsWith('.json'));
    assert.ok(json && files.some((f) => f.endsWith('.md')), `expected .md and .json in ${files.join(', ')}`);
    const report = JSON.parse(readFileSync(path.join(out, json), 'utf8')) as {
      machine: { cores: number; node: string };
      rows: Array<{ id: string; figure: number | null }>;
    };
    assert.ok(report.machine.cores > 0 && report.machine.node.startsWith('v'));
    for (const id of ['C3', 'P1', 'P1b', 'P2', 'P2c', 'P3', 'P4', 'P5', 'P6', 'S1', 'S2', 'S1f', 'S2f', 'S3', 'A1', 'A2', 'T1', 'T1b', 'T1L']) {
      const row = report.rows.find((x) => x.id === id);
      assert.ok(row, `row ${id} missing`);
      assert.ok(row.figure !== null && Number.isFinite(row.figure), `row ${id} has no figure`);
    }
    assert.match(r.stdout, /\| P1 \| produce, 1 partition/);
    // P3 and P6 say how much of the latency was the broker's request path (its /metrics histograms).
    const raw = (report as unknown as { raw: Record<string, { breakdown?: { phases: Array<{ request: string; requests: number; p99Ms: number | null }>; shape?: { produceRequests: number; partitionBatches: number; logWritesInline: number; logWritesPool: number } } }> }).raw;
    for (const id of ['P3', 'p6']) {
      const produce = raw[id]?.breakdown?.phases.find((p) => p.request === 'Produce');
      assert.ok(produce && produce.requests > 0 && produce.p99Ms !== null && produce.p99Ms > 0, `${id}: broker breakdown of Produce times missing: ${JSON.stringify(raw[id]?.breakdown)}`);
      const shape = raw[id]?.breakdown?.shape;
      assert.ok(
        shape && shape.produceRequests === produce.requests && shape.partitionBatches >= shape.produceRequests && shape.logWritesInline + shape.logWritesPool > 0,
        `${id}: the load's shape (requests, partition batches, log writes) missing or inconsistent: ${JSON.stringify(shape)}`,
      );
    }
    assert.match(r.stdout, /\| P3 \| end-to-end latency p99.*broker: Produce totaltime p99 ≤ [\d.]+ ms/);
    assert.match(r.stdout, /\| P6 \| many clients at 50% of max: e2e p99.*[\d,]+ Produce requests \([\d.]+ partition batches each\)/);
    // P7 (soak) is a long mode only: in the smoke run it is a row saying so, without a figure.
    const soak = report.rows.find((x) => x.id === 'P7') as { figure: number | null; notes: string } | undefined;
    assert.ok(soak && soak.figure === null && /not part of --smoke/.test(soak.notes), 'P7 row says it is not part of --smoke');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

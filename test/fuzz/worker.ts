/**
 * Worker thread entry for the fuzz runner (run.ts): runs one target with engine.ts and posts
 * progress and the final report. Before every input it copies the input into the shared buffer
 * the runner watches, and bumps the execution counter there, so that the runner can name the
 * input after a hang or an out-of-memory death (which this thread cannot report itself).
 *
 * Shared buffer layout: Int32 [0] executions, [1] length of the current input, then the input.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runTarget, type InputRecorder } from './engine.js';
import { loadCorpus } from './corpus.js';
import { targetEntry } from './targets/index.js';
import { SHARED_HEADER_BYTES, type WorkerJob } from './job.js';

class SharedRecorder implements InputRecorder {
  private readonly counters: Int32Array;
  private readonly bytes: Uint8Array;
  constructor(shared: SharedArrayBuffer) {
    this.counters = new Int32Array(shared, 0, 2);
    this.bytes = new Uint8Array(shared, SHARED_HEADER_BYTES);
  }
  record(input: Buffer): void {
    const n = Math.min(input.length, this.bytes.length);
    this.bytes.set(input.subarray(0, n));
    Atomics.store(this.counters, 1, n);
  }
  executed(): void {
    Atomics.add(this.counters, 0, 1);
  }
}

const job = workerData as WorkerJob;
const target = await targetEntry(job.target).load();
const corpus = job.only ? job.only.map((u) => Buffer.from(u)) : loadCorpus(job.target);
const report = await runTarget(target, {
  inputs: job.only ? 0 : job.inputs,
  seed: job.seed,
  coverage: job.coverage,
  corpus,
  seeds: !job.only,
  ...(job.timeBudgetMs !== undefined ? { timeBudgetMs: job.timeBudgetMs } : {}),
  recorder: new SharedRecorder(job.shared),
  progress: (p) => parentPort!.postMessage({ kind: 'progress', progress: p }),
});
parentPort!.postMessage({ kind: 'report', report });

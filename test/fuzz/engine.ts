/**
 * The coverage-guided fuzz loop, run in the current thread (the runner puts each target in a
 * worker; the CI test calls it directly).
 *
 * 1. Replay: every saved corpus input (test/fuzz/corpus/<target>/) and every seed runs once; they
 *    form the starting corpus.
 * 2. Fuzz: pick a corpus entry (uniformly, or one of the 16 newest a third of the time), mutate it
 *    (byte havoc from mutate.ts, or the target's structure-aware mutation), run it. Every
 *    `batchSize` inputs a V8 block-coverage sample (coverage.ts) is taken; when the batch reached a
 *    new block, a bisection (run each half again, sample, recurse into halves that reach new
 *    blocks) finds the inputs that did, and they join the corpus. The search runs inputs one at a
 *    time, also for targets that otherwise run several concurrently.
 * 3. Findings: an exception out of `run` (see target.ts), a single Buffer allocation above the
 *    target's bound, or an unhandled promise rejection. Each distinct signature (error name and
 *    the first stack frame in our code) is kept once, with the shortest input that caused it.
 *    Hangs and out-of-memory are detected from outside (run.ts watches the worker).
 */
import { CoverageTracker, type CoverageSummary } from './coverage.js';
import { havoc, Rng } from './mutate.js';
import type { FuzzTarget } from './target.js';

export interface CrashReport {
  signature: string;
  message: string;
  stack: string;
  input: Buffer;
  count: number;
}

export interface Progress {
  target: string;
  inputs: number;
  execs: number;
  corpus: number;
  coverage: CoverageSummary | null;
  crashes: number;
  elapsedMs: number;
}

export interface EngineReport extends Progress {
  seed: number;
  replayed: number;
  inputsPerSecond: number;
  /** Inputs (mutated ones, not the replayed corpus) that reached new blocks in this run. */
  discovered: Buffer[];
  crashReports: CrashReport[];
  coverageTakes: number;
  coverageMs: number;
  notes: string[];
}

/** Writes the input being run where a watching thread can read it after a hang or a crash. */
export interface InputRecorder {
  record(input: Buffer): void;
  executed(): void;
}

export interface EngineOptions {
  /** Mutated inputs to run after the replay. */
  inputs: number;
  seed: number;
  coverage: boolean;
  /** Saved inputs replayed first. */
  corpus: Buffer[];
  /** Also replay the target's seeds (default true; false to run exactly `corpus`). */
  seeds?: boolean;
  /** Stop fuzzing after this long even if `inputs` is not reached. */
  timeBudgetMs?: number;
  progress?: (p: Progress) => void;
  progressEveryMs?: number;
  recorder?: InputRecorder;
}

const RECENT_ENTRIES = 16;
const CRASH_SIGNATURES_MAX = 50;
const ALLOCATION_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;

function signatureOf(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const frame = (e.stack ?? '').split('\n').find((l) => l.includes('/dist/src/')) ?? '';
  const where = /\/dist\/(src\/[^):]+:\d+)/.exec(frame)?.[1] ?? e.message.slice(0, 80);
  return `${e.name} at ${where}`;
}

/** Watches Buffer allocations; the largest since the last reset is checked after every input. */
class AllocationGuard {
  largest = 0;
  private readonly originals: Array<[keyof typeof Buffer, (...args: never[]) => Buffer]> = [];

  install(): void {
    for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
      const original = Buffer[name] as (...args: never[]) => Buffer;
      this.originals.push([name, original]);
      const guard = this;
      (Buffer as unknown as Record<string, unknown>)[name] = function (this: unknown, size: number, ...rest: unknown[]): Buffer {
        if (size > guard.largest) guard.largest = size;
        return (original as (...a: unknown[]) => Buffer).call(this, size, ...rest);
      };
    }
  }

  uninstall(): void {
    for (const [name, original] of this.originals) (Buffer as unknown as Record<string, unknown>)[name] = original;
    this.originals.length = 0;
  }
}

export async function runTarget(target: FuzzTarget, opts: EngineOptions): Promise<EngineReport> {
  const rng = new Rng(opts.seed);
  const crashes = new Map<string, CrashReport>();
  const allocationBytesMax = target.allocationBytesMax ?? ALLOCATION_BYTES_MAX_DEFAULT;
  const guard = new AllocationGuard();
  let unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  const corpus: Buffer[] = [];
  const discovered: Buffer[] = [];
  let inputs = 0;
  let execs = 0;
  const started = performance.now();
  let fuzzStarted = started;
  let lastProgress = started;
  const notes: string[] = [];

  const addCrash = (err: unknown, input: Buffer): void => {
    const signature = signatureOf(err);
    const known = crashes.get(signature);
    if (known) {
      known.count++;
      if (input.length < known.input.length) known.input = Buffer.from(input);
      return;
    }
    if (crashes.size >= CRASH_SIGNATURES_MAX) return;
    const e = err instanceof Error ? err : new Error(String(err));
    crashes.set(signature, { signature, message: e.message, stack: e.stack ?? '', input: Buffer.from(input), count: 1 });
  };

  /** Runs one input; findings are recorded, never thrown. */
  const execute = async (input: Buffer): Promise<void> => {
    opts.recorder?.record(input);
    guard.largest = 0;
    try {
      const pending = target.run(input);
      if (pending !== undefined) await pending;
    } catch (err) {
      addCrash(err, input);
    }
    execs++;
    opts.recorder?.executed();
    if (guard.largest > allocationBytesMax) {
      addCrash(new Error(`unbounded memory: one allocation of ${guard.largest} bytes (bound ${allocationBytesMax}) for a ${input.length}-byte input`), input);
    }
    if (unhandled.length > 0) {
      for (const reason of unhandled) addCrash(reason, input);
      unhandled = [];
    }
  };

  const runBatch = async (batch: Buffer[]): Promise<void> => {
    const concurrency = target.concurrency ?? 1;
    if (concurrency <= 1) {
      for (const input of batch) await execute(input);
      return;
    }
    let next = 0;
    const lanes = Array.from({ length: Math.min(concurrency, batch.length) }, async () => {
      while (next < batch.length) await execute(batch[next++]!);
    });
    await Promise.all(lanes);
  };

  /**
   * Finds the inputs of a batch that reach new blocks: runs each half again with a sample after
   * it and recurses into halves that found something (about 2·log2(batch) samples per discovery
   * instead of one per input).
   */
  const bisect = async (batch: Buffer[], cov: CoverageTracker): Promise<void> => {
    if (batch.length === 1) {
      await execute(batch[0]!);
      if (cov.sample() > 0) {
        corpus.push(batch[0]!);
        discovered.push(batch[0]!);
      }
      return;
    }
    const middle = batch.length >> 1;
    for (const half of [batch.slice(0, middle), batch.slice(middle)]) {
      for (const input of half) await execute(input);
      if (cov.fresh(cov.take()) > 0) await bisect(half, cov);
    }
  };

  const progress = (): Progress => ({
    target: target.name,
    inputs,
    execs,
    corpus: corpus.length,
    coverage: tracker?.summary() ?? null,
    crashes: [...crashes.values()].reduce((n, c) => n + c.count, 0),
    elapsedMs: performance.now() - started,
  });

  process.on('unhandledRejection', onUnhandled);
  await target.setup?.();
  const tracker = opts.coverage ? new CoverageTracker(target.coverageScope) : null;
  guard.install();
  try {
    // 1. Replay the saved corpus and the seeds; all of them join the corpus.
    const seeds = opts.seeds === false ? [] : await target.seeds(opts.seed);
    const replay = [...opts.corpus, ...seeds].map((b) => (b.length > target.maxInputBytes ? b.subarray(0, target.maxInputBytes) : b));
    tracker?.reset();
    for (const input of replay) {
      await execute(input);
      corpus.push(input);
    }
    tracker?.sample();

    // 2. Fuzz.
    fuzzStarted = performance.now();
    const deadline = opts.timeBudgetMs === undefined ? Infinity : started + opts.timeBudgetMs;
    if (corpus.length === 0) corpus.push(Buffer.alloc(0));
    while (inputs < opts.inputs && performance.now() < deadline) {
      const size = Math.min(target.batchSize, opts.inputs - inputs);
      const batch: Buffer[] = new Array(size);
      for (let i = 0; i < size; i++) batch[i] = nextInput(target, corpus, rng);
      await runBatch(batch);
      inputs += size;
      const sample = tracker?.take();
      if (tracker && sample && tracker.fresh(sample) > 0) {
        await bisect(batch, tracker);
        // Blocks no single input reproduced (e.g. one-time initialisation) are recorded too, so
        // they do not trigger the same search again.
        tracker.merge(sample);
      }
      const now = performance.now();
      if (opts.progress && now - lastProgress >= (opts.progressEveryMs ?? 2000)) {
        lastProgress = now;
        opts.progress(progress());
      }
    }
    notes.push(...((await target.finish?.()) ?? []));
  } catch (err) {
    // A failure of the harness itself (setup, seeds, finish) is reported as a finding too.
    addCrash(err, Buffer.alloc(0));
  } finally {
    guard.uninstall();
    tracker?.close();
    await target.teardown?.();
    process.off('unhandledRejection', onUnhandled);
  }
  const p = progress();
  return {
    ...p,
    seed: opts.seed,
    replayed: opts.corpus.length,
    inputsPerSecond: Math.round(inputs / Math.max(0.001, (performance.now() - fuzzStarted) / 1000)),
    discovered,
    crashReports: [...crashes.values()],
    coverageTakes: tracker?.takes ?? 0,
    coverageMs: Math.round(tracker?.takeMs ?? 0),
    notes,
  };
}

function nextInput(target: FuzzTarget, corpus: Buffer[], rng: Rng): Buffer {
  const parent = rng.chance(3) ? corpus[corpus.length - 1 - rng.below(Math.min(RECENT_ENTRIES, corpus.length))]! : rng.pick(corpus);
  if (target.mutate && rng.chance(4)) {
    const structured = target.mutate(parent, (n) => rng.below(n));
    if (structured !== null) return structured.length > target.maxInputBytes ? structured.subarray(0, target.maxInputBytes) : structured;
  }
  return havoc(parent, { rng, maxBytes: target.maxInputBytes, dictionary: target.dictionary ?? [], other: rng.chance(8) ? rng.pick(corpus) : null });
}

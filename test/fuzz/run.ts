/**
 * The fuzz runner: `npm run fuzz -- [--inputs N | --inputs name=N,...] [--long] [--target a,b]
 * [--seed S] [--no-coverage] [--time-ms T] [--save-corpus] [--replay FILE...]`
 * (docs/RELIABILITY.md, "Fuzzing").
 *
 * Runs the chosen targets (default: all) one after another, each in its own worker thread
 * (worker.ts, engine.ts), for N mutated inputs each (default 100,000; `--long`: the per-target
 * budgets of LONG_INPUTS, about 30 M inputs) after replaying the saved corpus and the seeds.
 * This thread watches the worker: no progress for the target's hangMs is a hang, a worker that
 * dies (out of memory included) or a process RSS above 6 GiB is a crash; in each case the input
 * being run is read from the shared buffer and saved. Findings (inputs and stacks) go to
 * fuzz-out/<target>/; `--save-corpus` adds up to 40 of the inputs that reached new blocks to
 * test/fuzz/corpus/<target>/. `--replay` runs exactly the given input files against --target.
 * Exit status 1 when anything was found.
 */
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { EngineReport, Progress } from './engine.js';
import { corpusDir, inputName, saveInputs } from './corpus.js';
import { targetEntries, targetEntry } from './targets/index.js';
import { sourceDir } from './targets/paths.js';
import { SHARED_HEADER_BYTES, type WorkerJob } from './job.js';

const RSS_BYTES_MAX = 6 * 1024 ** 3;
const WORKER_HEAP_MB_MAX = 2048;
const SHARED_INPUT_BYTES_MAX = 1 << 20;
const WATCH_INTERVAL_MS = 1000;
const INPUTS_DEFAULT = 100_000;
const SAVED_PER_RUN = 40;
/** The long run (docs/RELIABILITY.md): about 30 M inputs, about half an hour on one core here. */
const LONG_INPUTS: Record<string, number> = {
  request: 10_000_000,
  response: 5_000_000,
  records: 6_000_000,
  'records-async': 2_500_000,
  legacy: 2_500_000,
  compression: 2_500_000,
  server: 500_000,
};

interface Args {
  /** Mutated inputs per target. */
  inputs: Map<string, number>;
  targets: string[];
  seed: number;
  coverage: boolean;
  timeMs?: number;
  saveCorpus: boolean;
  replay: string[];
}

function usage(message: string): never {
  console.error(`${message}\nusage: npm run fuzz -- [--inputs N | --inputs name=N,...] [--long] [--target ${targetEntries.map((t) => t.name).join(',')}] [--seed S] [--no-coverage] [--time-ms T] [--save-corpus] [--replay FILE...]`);
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const names = targetEntries.map((t) => t.name);
  const args: Args = { inputs: new Map(names.map((n) => [n, INPUTS_DEFAULT])), targets: names, seed: Date.now() % 2 ** 31, coverage: true, saveCorpus: false, replay: [] };
  const number = (text: string, what: string): number => {
    const n = Number(text.replace(/_/g, ''));
    if (!Number.isSafeInteger(n) || n < 0) usage(`${what} needs a non-negative integer, not '${text}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => argv[++i] ?? usage(`${a} needs a value`);
    const count = (): number => number(value(), a);
    if (a === '--inputs') {
      const v = value();
      if (!v.includes('=')) for (const n of names) args.inputs.set(n, number(v, a));
      for (const pair of v.includes('=') ? v.split(',') : []) {
        const [name, n] = pair.split('=');
        targetEntry(name ?? '');
        args.inputs.set(name!, number(n ?? '', `--inputs ${name}`));
      }
    } else if (a === '--long') for (const [n, budget] of Object.entries(LONG_INPUTS)) args.inputs.set(n, budget);
    else if (a === '--target') args.targets = value().split(',').filter(Boolean);
    else if (a === '--seed') args.seed = count();
    else if (a === '--no-coverage') args.coverage = false;
    else if (a === '--time-ms') args.timeMs = count();
    else if (a === '--save-corpus') args.saveCorpus = true;
    else if (a === '--replay') {
      while (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) args.replay.push(argv[++i]!);
    } else usage(`unknown option ${a}`);
  }
  for (const t of args.targets) targetEntry(t);
  if (args.replay.length > 0 && args.targets.length !== 1) usage('--replay needs exactly one --target');
  return args;
}

interface TargetResult {
  report: EngineReport | null;
  /** Hang, worker death, memory: found by watching, with the input being run. */
  fatal: { message: string; input: Buffer } | null;
}

function formatProgress(p: Progress): string {
  const cov = p.coverage ? `, ${p.coverage.blocksCovered}/${p.coverage.blocksSeen} blocks` : '';
  return `  ${p.target}: ${p.inputs} inputs, corpus ${p.corpus}${cov}, findings ${p.crashes}, ${(p.elapsedMs / 1000).toFixed(0)} s`;
}

function runInWorker(args: Args, name: string): Promise<TargetResult> {
  const entry = targetEntry(name);
  const shared = new SharedArrayBuffer(SHARED_HEADER_BYTES + SHARED_INPUT_BYTES_MAX);
  const counters = new Int32Array(shared, 0, 2);
  const current = (): Buffer => Buffer.from(new Uint8Array(shared, SHARED_HEADER_BYTES, Atomics.load(counters, 1)));
  const job: WorkerJob = { target: name, inputs: args.inputs.get(name) ?? INPUTS_DEFAULT, seed: args.seed, coverage: args.coverage, shared };
  if (args.timeMs !== undefined) job.timeBudgetMs = args.timeMs;
  if (args.replay.length > 0) job.only = args.replay.map((f) => new Uint8Array(readFileSync(f)));
  const worker = new Worker(fileURLToPath(new URL('./worker.js', import.meta.url)), {
    workerData: job,
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB_MAX },
  });
  return new Promise((resolve) => {
    let report: EngineReport | null = null;
    let fatal: TargetResult['fatal'] = null;
    let lastExecs = -1;
    let lastChangeMs = Date.now();
    const watch = setInterval(() => {
      const execs = Atomics.load(counters, 0);
      if (execs !== lastExecs) {
        lastExecs = execs;
        lastChangeMs = Date.now();
      }
      const rss = process.memoryUsage.rss();
      if (fatal === null && Date.now() - lastChangeMs > entry.hangMs) {
        fatal = { message: `hang: no input finished for ${entry.hangMs} ms`, input: current() };
      } else if (fatal === null && rss > RSS_BYTES_MAX) {
        fatal = { message: `unbounded memory: process RSS ${rss} bytes > ${RSS_BYTES_MAX}`, input: current() };
      }
      if (fatal !== null) void worker.terminate();
    }, WATCH_INTERVAL_MS);
    worker.on('message', (m: { kind: 'progress'; progress: Progress } | { kind: 'report'; report: EngineReport }) => {
      if (m.kind === 'progress') console.log(formatProgress(m.progress));
      else report = m.report;
    });
    worker.on('error', (err) => {
      fatal ??= { message: `worker died: ${(err as Error & { code?: string }).code ?? ''} ${err.stack ?? err.message}`, input: current() };
    });
    worker.on('exit', () => {
      clearInterval(watch);
      resolve({ report, fatal });
    });
  });
}

function saveFinding(name: string, input: Buffer, text: string): string {
  const dir = path.join(sourceDir(), 'fuzz-out', name);
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `crash-${inputName(input)}`);
  writeFileSync(`${base}.bin`, input);
  writeFileSync(`${base}.txt`, text);
  return `${base}.bin`;
}

const args = parseArgs(process.argv.slice(2));
console.log(`fuzz: targets ${args.targets.join(', ')}; ${args.replay.length > 0 ? `replaying ${args.replay.length} file(s)` : args.targets.map((t) => `${t} ${args.inputs.get(t)}`).join(', ') + ' inputs'}; seed ${args.seed}; coverage ${args.coverage ? 'on' : 'off'}`);
const rows: string[] = [];
let findings = 0;
let totalInputs = 0;
const startedMs = Date.now();
for (const name of args.targets) {
  console.log(`${name}: starting (${(await targetEntry(name).load()).description})`);
  const { report, fatal } = await runInWorker(args, name);
  if (fatal) {
    findings++;
    console.log(`${name}: FINDING ${fatal.message}\n  input saved to ${saveFinding(name, fatal.input, fatal.message)}`);
  }
  if (!report) {
    rows.push(`${name.padEnd(14)} stopped by the finding above`);
    continue;
  }
  totalInputs += report.inputs;
  for (const c of report.crashReports) {
    findings += c.count;
    const file = saveFinding(name, c.input, `${c.signature} (${c.count}×)\n${c.stack}\n`);
    console.log(`${name}: FINDING ${c.signature} (${c.count}×): ${c.message}\n  smallest input (${c.input.length} bytes) saved to ${file}\n${c.stack.split('\n').slice(1, 6).join('\n')}`);
  }
  for (const note of report.notes) console.log(`${name}: ${note}`);
  if (args.saveCorpus && report.discovered.length > 0) {
    // The committed corpus stays small: at most SAVED_PER_RUN inputs, spread over the run.
    const step = Math.max(1, report.discovered.length / SAVED_PER_RUN);
    const picked = Array.from({ length: Math.min(SAVED_PER_RUN, report.discovered.length) }, (_, i) => report.discovered[Math.floor(i * step)]!);
    console.log(`${name}: ${saveInputs(corpusDir(name), picked)} new corpus input(s) saved (of ${report.discovered.length} that reached new blocks)`);
  }
  const cov = report.coverage ? `${report.coverage.blocksCovered}/${report.coverage.blocksSeen} blocks, ${report.coverage.functionsReached} functions` : 'coverage off';
  rows.push(
    `${name.padEnd(14)} ${String(report.inputs).padStart(11)} inputs  ${String(report.inputsPerSecond).padStart(7)}/s  replayed ${String(report.replayed).padStart(4)}  corpus ${String(report.corpus).padStart(5)}  ${cov}  findings ${report.crashes}  (${(report.elapsedMs / 1000).toFixed(1)} s, coverage samples ${report.coverageTakes} in ${(report.coverageMs / 1000).toFixed(1)} s)`,
  );
}
console.log(`\nfuzz summary (seed ${args.seed}, ${((Date.now() - startedMs) / 1000).toFixed(0)} s):\n${rows.join('\n')}`);
console.log(`total: ${totalInputs} inputs, ${findings} finding(s)`);
process.exit(findings > 0 ? 1 : 0);

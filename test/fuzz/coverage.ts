/**
 * Block coverage of our own code from V8, for the coverage-guided fuzzer (engine.ts).
 *
 * Method: an in-process inspector session runs `Profiler.startPreciseCoverage` in binary mode with
 * block granularity (`callCount: false, detailed: true`). `Profiler.takePreciseCoverage` returns
 * the functions run since the previous take, each with its source ranges and a 0/1 count, and
 * resets the counters; it costs about 0.3-1 ms with only the codec loaded, more with the broker.
 * V8 omits a nested range whose count equals its parent's, so a block is identified by its
 * (script, start, end) as soon as it has been reported once, and is covered in a sample when the
 * innermost range of ITS OWN function reported in that sample that contains it has count > 0.
 * Only scripts whose URL matches `scope` count (e.g. dist/src/protocol/).
 *
 * Features are binary "block covered at least once"; hit counts are not used.
 */
import inspector from 'node:inspector';

interface CovRange {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface CovFunction {
  functionName: string;
  ranges: CovRange[];
}
export interface CovScript {
  url: string;
  functions: CovFunction[];
}

interface Block {
  start: number;
  end: number;
  /** Key of the function range the block belongs to. */
  owner: string;
  covered: boolean;
}

interface ScriptBlocks {
  blocks: Map<string, Block>;
  /** Blocks seen but never covered, grouped by owner function. */
  uncovered: Map<string, Set<Block>>;
}

function post<T>(session: inspector.Session, method: string, params?: object): T {
  // The in-process session answers synchronously: the callback has run when post() returns.
  let result: T | undefined;
  let failure: Error | null = null;
  session.post(method, params ?? {}, (err, res) => {
    failure = err;
    result = res as T;
  });
  if (failure !== null) throw failure;
  if (result === undefined) throw new Error(`inspector ${method} did not answer synchronously`);
  return result;
}

export interface CoverageSummary {
  blocksCovered: number;
  blocksSeen: number;
  functionsReached: number;
  scripts: number;
}

/**
 * One session per thread, started once and never stopped: after stopPreciseCoverage and a new
 * start, V8 does not report the blocks of functions compiled in between, so a second tracker in
 * the same thread (the CI test runs every target in one process) would see almost nothing.
 */
let shared: inspector.Session | null = null;

function sharedSession(): inspector.Session {
  if (shared === null) {
    shared = new inspector.Session();
    shared.connect();
    post(shared, 'Profiler.enable');
    post(shared, 'Profiler.startPreciseCoverage', { callCount: false, detailed: true });
  }
  return shared;
}

export class CoverageTracker {
  private readonly session = sharedSession();
  private readonly scripts = new Map<string, ScriptBlocks>();
  private functionsReached = 0;
  private blocksCovered = 0;
  private blocksSeen = 0;
  takes = 0;
  takeMs = 0;

  constructor(private readonly scope: RegExp) {}

  /** Discards what ran since the last take (e.g. setup code). */
  reset(): void {
    post(this.session, 'Profiler.takePreciseCoverage');
  }

  /** One sample of what ran since the previous one (our scripts only); resets V8's counters. */
  take(): CovScript[] {
    const t0 = performance.now();
    const { result } = post<{ result: CovScript[] }>(this.session, 'Profiler.takePreciseCoverage');
    this.takes++;
    this.takeMs += performance.now() - t0;
    return result.filter((script) => this.scope.test(script.url));
  }

  /** How many blocks the sample would newly cover, without recording them. */
  fresh(sample: CovScript[]): number {
    let n = 0;
    for (const script of sample) n += this.mergeScript(script, false);
    return n;
  }

  /** Records the sample; returns how many blocks became covered. */
  merge(sample: CovScript[]): number {
    let n = 0;
    for (const script of sample) n += this.mergeScript(script, true);
    return n;
  }

  /** Takes a sample and merges it. */
  sample(): number {
    return this.merge(this.take());
  }

  private stateOf(url: string): ScriptBlocks {
    let s = this.scripts.get(url);
    if (!s) {
      s = { blocks: new Map(), uncovered: new Map() };
      this.scripts.set(url, s);
    }
    return s;
  }

  private mergeScript(script: CovScript, commit: boolean): number {
    const state = this.stateOf(script.url);
    let fresh = 0;
    for (const fn of script.functions) {
      const ranges = fn.ranges;
      if (ranges.length === 0) continue;
      const owner = `${ranges[0]!.startOffset}:${ranges[0]!.endOffset}`;
      for (const r of ranges) {
        const key = `${r.startOffset}:${r.endOffset}`;
        if (state.blocks.has(key)) continue;
        if (r.count > 0) fresh++;
        if (!commit) continue;
        const block: Block = { start: r.startOffset, end: r.endOffset, owner, covered: r.count > 0 };
        state.blocks.set(key, block);
        this.blocksSeen++;
        if (block.covered) {
          this.blocksCovered++;
          if (r === ranges[0]) this.functionsReached++;
        } else {
          let set = state.uncovered.get(owner);
          if (!set) state.uncovered.set(owner, (set = new Set()));
          set.add(block);
        }
      }
      // Blocks of this function known to be uncovered: covered now if the innermost reported
      // range containing them has a count.
      const pending = state.uncovered.get(owner);
      if (pending === undefined || pending.size === 0) continue;
      for (const block of pending) {
        let innermost: CovRange | null = null;
        for (const r of ranges) {
          if (r.startOffset <= block.start && r.endOffset >= block.end) {
            if (innermost === null || r.endOffset - r.startOffset <= innermost.endOffset - innermost.startOffset) innermost = r;
          }
        }
        if (innermost === null || innermost.count === 0) continue;
        fresh++;
        if (!commit) continue;
        block.covered = true;
        pending.delete(block);
        this.blocksCovered++;
        if (`${block.start}:${block.end}` === owner) this.functionsReached++;
      }
    }
    return fresh;
  }

  summary(): CoverageSummary {
    return { blocksCovered: this.blocksCovered, blocksSeen: this.blocksSeen, functionsReached: this.functionsReached, scripts: this.scripts.size };
  }

  /** Uncovered blocks per script (for looking at what the fuzzer does not reach). */
  uncoveredReport(): Array<{ url: string; uncovered: number; seen: number }> {
    return [...this.scripts].map(([url, s]) => ({
      url,
      uncovered: [...s.uncovered.values()].reduce((n, set) => n + set.size, 0),
      seen: s.blocks.size,
    }));
  }

  /** Drops what ran since the last sample, so the next tracker starts clean. */
  close(): void {
    this.reset();
  }
}

/**
 * The simulator's one source of time and chance: a virtual clock, a queue of events ordered by
 * (time, sequence number), and a seeded PRNG. Every timer of every simulated broker, every network
 * delivery and every ZooKeeper answer is an event here; nothing in a simulated run reads real time
 * or real randomness, so a seed replays a run exactly (the boundary test keeps broker code honest).
 *
 * Between two events the scheduler lets the JavaScript job queue drain completely (one macrotask
 * hop): every promise chain an event started runs to its next wait on simulated time, I/O or the
 * network. Broker code uses only the io interfaces, whose simulated versions settle through this
 * queue or through already-resolved promises, so the order of everything is a function of the seed.
 *
 * `trace` keeps the last events (time and label) for failure reports; `digest` folds every event
 * label and time into one number, compared across two runs of a seed to prove the replay.
 */
import { MinHeap } from '../../src/min-heap.js';

/** xoshiro128**: small, fast, good statistical quality; the whole state comes from the seed. */
export class SeededRandom {
  #s = new Uint32Array(4);

  constructor(seed: number) {
    // splitmix32 to spread the seed over the state (a zero state would be stuck).
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number {
    return Math.floor(this.float() * maxExclusive);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** A new generator for a sub-purpose, so adding draws in one place does not shift another's. */
  fork(): SeededRandom {
    return new SeededRandom(this.next());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

interface SimEvent {
  atMs: number;
  seq: number;
  label: string;
  fn: () => void;
  cancelled: boolean;
}

/** A scheduled event that can be called off (a cancelled timer costs nothing when it comes due). */
export interface SimHandle {
  cancel(): void;
}

/** Events kept for a failure report. */
const TRACE_EVENTS_MAX = 400;
const NOTES_MAX = 5000;

export class SimScheduler {
  readonly random: SeededRandom;
  #nowMs = 0;
  #seq = 0;
  readonly #heap = new MinHeap<SimEvent>(before);
  #digest = 0x811c9dc5;
  readonly trace: string[] = [];
  /** Every note (faults, starts, leader changes, failures): the story of a run, kept whole up to a bound. */
  readonly notes: string[] = [];
  eventsRun = 0;
  /** Set by the first failed invariant or crash: the run stops at the next event. */
  failure: Error | null = null;

  constructor(readonly seed: number) {
    this.random = new SeededRandom(seed);
  }

  get nowMs(): number {
    return this.#nowMs;
  }

  get digest(): number {
    return this.#digest >>> 0;
  }

  get pending(): number {
    return this.#heap.size;
  }

  /** Runs `fn` at simulated time `atMs` (never earlier than now). */
  at(atMs: number, label: string, fn: () => void): SimHandle {
    const ev: SimEvent = { atMs: Math.max(atMs, this.#nowMs), seq: this.#seq++, label, fn, cancelled: false };
    this.#heap.push(ev);
    return { cancel: () => void (ev.cancelled = true) };
  }

  after(delayMs: number, label: string, fn: () => void): SimHandle {
    return this.at(this.#nowMs + Math.max(0, delayMs), label, fn);
  }

  /** Records a line in the trace and the digest without scheduling anything (faults, checks). */
  note(line: string): void {
    this.#fold(line);
    this.#keep(`${this.#nowMs} ${line}`);
    if (this.notes.length < NOTES_MAX) this.notes.push(`${this.#nowMs} ${line}`);
  }

  fail(err: Error): void {
    if (this.failure === null) {
      this.failure = err;
      this.note(`FAILURE ${err.message}`);
    }
  }

  /**
   * Runs events until `untilMs` (simulated), `done()` is true, the queue is empty, a failure is
   * recorded or `eventsMax` events ran. Returns why it stopped.
   */
  async run(opts: { untilMs?: number; done?: () => boolean; eventsMax?: number }): Promise<'until' | 'done' | 'idle' | 'failure' | 'eventsMax'> {
    const eventsMax = opts.eventsMax ?? Number.MAX_SAFE_INTEGER;
    for (let n = 0; ; n++) {
      if (this.failure !== null) return 'failure';
      if (opts.done?.()) return 'done';
      if (n >= eventsMax) return 'eventsMax';
      const ev = this.#heap.pop();
      if (ev === undefined) return 'idle';
      if (ev.cancelled) {
        n--;
        continue;
      }
      if (opts.untilMs !== undefined && ev.atMs > opts.untilMs) {
        this.#heap.push(ev); // not yet: back in the queue, unchanged
        this.#nowMs = Math.max(this.#nowMs, opts.untilMs);
        return 'until';
      }
      this.#nowMs = ev.atMs;
      this.eventsRun++;
      this.#fold(ev.label);
      this.#keep(`${ev.atMs} ${ev.label}`);
      try {
        ev.fn();
      } catch (err) {
        this.fail(err instanceof Error ? err : new Error(String(err)));
      }
      await drainJobs();
    }
  }

  #fold(text: string): void {
    let d = this.#digest ^ (this.#nowMs & 0xffffffff);
    for (let i = 0; i < text.length; i++) d = Math.imul(d ^ text.charCodeAt(i), 0x01000193);
    this.#digest = d >>> 0;
  }

  #keep(line: string): void {
    this.trace.push(line);
    if (this.trace.length > TRACE_EVENTS_MAX * 2) this.trace.splice(0, this.trace.length - TRACE_EVENTS_MAX);
  }
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

/** Lets every queued promise job run: one macrotask hop (no real I/O happens in a simulation). */
export function drainJobs(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

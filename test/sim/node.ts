/**
 * A simulated machine (a broker, a client) and its clock. A node is up, paused (SIGSTOP: its code
 * does not run; timers and deliveries due meanwhile run at resume, as after SIGCONT) or down
 * (crashed: everything of its current incarnation is dropped, a restart is a new incarnation).
 *
 * SimClock implements the broker's Clock over the scheduler: monotonicMs is simulated time since
 * the start, nowMs adds an epoch and the node's own wall-clock offset, which the nemesis moves
 * (clock jumps, drift) without ever moving monotonic time backwards, as on a real machine.
 */
import type { Clock, Timer } from '../../src/io/clock.js';
import type { SimHandle, SimScheduler } from './scheduler.js';

/** Wall-clock time at simulated time 0: 2026-01-01T00:00:00Z. */
export const SIM_EPOCH_MS = 1_767_225_600_000;

export type NodeState = 'up' | 'paused' | 'down';

export class SimNode {
  state: NodeState = 'up';
  /** Bumped by every crash: work of an older incarnation is dropped when it comes due. */
  incarnation = 0;
  /** Wall-clock offset of this machine (clock jumps and drift). */
  wallOffsetMs = 0;
  /** Work that came due while paused, run in order at resume. */
  #deferred: Array<() => void> = [];

  constructor(
    readonly sched: SimScheduler,
    readonly name: string,
  ) {}

  /**
   * Runs `fn` now if this incarnation is up; defers it while paused; drops it when the node
   * crashed since `incarnation` was taken. Everything that executes node code goes through here.
   */
  run(incarnation: number, fn: () => void): void {
    if (incarnation !== this.incarnation || this.state === 'down') return;
    if (this.state === 'paused') {
      this.#deferred.push(() => this.run(incarnation, fn));
      return;
    }
    fn();
  }

  pause(): void {
    if (this.state === 'up') this.state = 'paused';
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'up';
    const work = this.#deferred;
    this.#deferred = [];
    for (const fn of work) this.sched.after(0, `${this.name} resumed work`, fn);
  }

  crash(): void {
    this.state = 'down';
    this.incarnation++;
    this.#deferred = [];
  }

  /** After a crash: a new process on the same machine. */
  boot(): void {
    this.state = 'up';
  }

  clock(): SimClock {
    return new SimClock(this, this.incarnation);
  }
}

/** A Clock for one incarnation of a node: its timers die with it and wait while it is paused. */
export class SimClock implements Clock {
  constructor(
    private readonly node: SimNode,
    private readonly incarnation: number,
  ) {}

  nowMs(): number {
    return SIM_EPOCH_MS + this.node.sched.nowMs + this.node.wallOffsetMs;
  }

  monotonicMs(): number {
    return this.node.sched.nowMs;
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    let cancelled = false;
    const handle = this.node.sched.after(delayMs, `${this.node.name} timer`, () => this.node.run(this.incarnation, () => !cancelled && fn()));
    return {
      cancel: () => {
        cancelled = true;
        handle.cancel();
      },
    };
  }

  setInterval(intervalMs: number, fn: () => void): Timer {
    let cancelled = false;
    const period = Math.max(1, intervalMs);
    let handle: SimHandle;
    const tick = (): void => {
      this.node.run(this.incarnation, () => {
        if (cancelled) return;
        handle = this.node.sched.after(period, `${this.node.name} interval`, tick);
        fn();
      });
    };
    handle = this.node.sched.after(period, `${this.node.name} interval`, tick);
    return {
      cancel: () => {
        cancelled = true;
        handle.cancel();
      },
    };
  }
}

/**
 * ProcessStats: what the broker may learn about its own process for /metrics — CPU, memory, file
 * descriptors, event-loop delay and utilization, garbage-collection pauses. Reading them needs
 * node:process, node:perf_hooks and /proc, so broker code reaches them only through this
 * interface. Production: io/node/process-stats.ts; the simulator: io/sim/fixed-process-stats.ts.
 */

/** Garbage collections of one kind since the process started. */
export interface GcKindStats {
  /** minor | major | incremental | weakcb */
  kind: string;
  /** Pause durations, as counts per bucket of `gcPauseBucketsSeconds` (last = +Inf), their sum and count. */
  bucketCounts: readonly number[];
  pauseSecondsSum: number;
  count: number;
}

export interface ProcessSample {
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  residentMemoryBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalMemoryBytes: number;
  /** null when the platform cannot say (no /proc). */
  openFds: number | null;
  maxFds: number | null;
  startTimeSeconds: number;
  /** Event-loop delay since the previous sample (timer resolution 10 ms): median, 99th percentile, max. */
  eventLoopLagP50Seconds: number;
  eventLoopLagP99Seconds: number;
  eventLoopLagMaxSeconds: number;
  /** Time the event loop spent running callbacks vs waiting, since the process started. */
  eventLoopActiveSeconds: number;
  eventLoopIdleSeconds: number;
  /** Share of time busy since the previous sample, 0..1. */
  eventLoopUtilization: number;
  gc: readonly GcKindStats[];
}

/** Upper bounds of the GC pause histogram buckets (seconds); +Inf is implied. */
export const gcPauseBucketsSeconds: readonly number[] = [0.001, 0.01, 0.1, 1];

export interface ProcessStats {
  sample(): ProcessSample;
  /** Stops observers (GC, event-loop delay); sample() still answers. */
  close(): void;
}

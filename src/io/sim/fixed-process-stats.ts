/**
 * FixedProcessStats: a ProcessStats for the simulator and unit tests. A simulated broker has no
 * process of its own, so every value is a constant the owner may set (`values`); fds are unknown.
 */
import type { ProcessSample, ProcessStats } from '../process-stats.js';

export class FixedProcessStats implements ProcessStats {
  values: ProcessSample = {
    cpuUserSeconds: 0,
    cpuSystemSeconds: 0,
    residentMemoryBytes: 0,
    heapUsedBytes: 0,
    heapTotalBytes: 0,
    externalMemoryBytes: 0,
    openFds: null,
    maxFds: null,
    startTimeSeconds: 0,
    eventLoopLagP50Seconds: 0,
    eventLoopLagP99Seconds: 0,
    eventLoopLagMaxSeconds: 0,
    eventLoopActiveSeconds: 0,
    eventLoopIdleSeconds: 0,
    eventLoopUtilization: 0,
    gc: [],
  };

  sample(): ProcessSample {
    return this.values;
  }

  close(): void {}
}

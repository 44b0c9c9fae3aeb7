/**
 * Production ProcessStats: process.cpuUsage / memoryUsage, /proc/self/fd and /proc/self/limits
 * (Linux; null elsewhere), perf_hooks' event-loop delay histogram (10 ms resolution, reset at each
 * sample) and event-loop utilization, and a PerformanceObserver counting GC pauses by kind into
 * fixed buckets. One per broker; `close()` disconnects the observers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver, type EventLoopUtilization, type IntervalHistogram, type PerformanceEntry } from 'node:perf_hooks';
import { gcPauseBucketsSeconds, type GcKindStats, type ProcessSample, type ProcessStats } from '../process-stats.js';

const GC_KINDS: ReadonlyArray<[number, string]> = [
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
];

interface GcCounts {
  kind: string;
  bucketCounts: number[];
  pauseSecondsSum: number;
  count: number;
}

function maxOpenFiles(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null; // not Linux: the metric is left out
  }
}

function openFiles(): number | null {
  try {
    return readdirSync('/proc/self/fd').length - 1; // minus the directory handle readdir itself holds
  } catch {
    return null; // not Linux: the metric is left out
  }
}

export class NodeProcessStats implements ProcessStats {
  readonly #delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  readonly #gc = new Map<number, GcCounts>(GC_KINDS.map(([k, kind]) => [k, { kind, bucketCounts: new Array<number>(gcPauseBucketsSeconds.length + 1).fill(0), pauseSecondsSum: 0, count: 0 }]));
  readonly #observer: PerformanceObserver;
  readonly #maxFds = maxOpenFiles();
  #lastElu: EventLoopUtilization = performance.eventLoopUtilization();

  constructor() {
    this.#delay.enable();
    this.#observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind ?? -1;
        const c = this.#gc.get(kind);
        if (!c) continue;
        const seconds = entry.duration / 1000;
        let i = 0;
        while (i < gcPauseBucketsSeconds.length && seconds > gcPauseBucketsSeconds[i]!) i++;
        c.bucketCounts[i]!++;
        c.pauseSecondsSum += seconds;
        c.count++;
      }
    });
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  sample(): ProcessSample {
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    const elu = performance.eventLoopUtilization();
    const sinceLast = performance.eventLoopUtilization(elu, this.#lastElu);
    this.#lastElu = elu;
    const d = this.#delay;
    const nsToS = (ns: number): number => (Number.isFinite(ns) ? ns / 1e9 : 0);
    const s: ProcessSample = {
      cpuUserSeconds: cpu.user / 1e6,
      cpuSystemSeconds: cpu.system / 1e6,
      residentMemoryBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      heapTotalBytes: mem.heapTotal,
      externalMemoryBytes: mem.external,
      openFds: openFiles(),
      maxFds: this.#maxFds,
      startTimeSeconds: (performance.timeOrigin) / 1000,
      eventLoopLagP50Seconds: d.count > 0 ? nsToS(d.percentile(50)) : 0,
      eventLoopLagP99Seconds: d.count > 0 ? nsToS(d.percentile(99)) : 0,
      eventLoopLagMaxSeconds: d.count > 0 ? nsToS(d.max) : 0,
      eventLoopActiveSeconds: elu.active / 1000,
      eventLoopIdleSeconds: elu.idle / 1000,
      eventLoopUtilization: Number.isFinite(sinceLast.utilization) ? sinceLast.utilization : 0,
      gc: [...this.#gc.values()].map((c): GcKindStats => ({ kind: c.kind, bucketCounts: [...c.bucketCounts], pauseSecondsSum: c.pauseSecondsSum, count: c.count })),
    };
    d.reset();
    return s;
  }

  close(): void {
    this.#observer.disconnect();
    this.#delay.disable();
  }
}

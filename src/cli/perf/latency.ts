/**
 * Latency recording for the perf tools without per-record work. Each request (or consumed batch)
 * adds its k records as spread evenly between the newest record's latency and the oldest's (the
 * records of a batch became due one after another); a difference array over 10 µs bins makes that
 * O(1) per batch, and percentiles are read from the prefix sums at the end.
 */
const BIN_MS = 0.01;
const BINS = 1_000_000; // 10 s; larger latencies land in the last bin (max is still exact)

export class LatencyRecorder {
  private readonly diff = new Float64Array(BINS + 2);
  private count = 0;
  private sumMs = 0;
  private maxMs = 0;

  /** k records whose latencies are spread evenly over [minMs, maxMs]. */
  add(k: number, minMs: number, maxMs: number): void {
    if (k <= 0) return;
    if (minMs < 0) minMs = 0;
    if (maxMs < minMs) maxMs = minMs;
    this.count += k;
    this.sumMs += (k * (minMs + maxMs)) / 2;
    if (maxMs > this.maxMs) this.maxMs = maxMs;
    const a = Math.min(BINS - 1, Math.floor(minMs / BIN_MS));
    const b = Math.min(BINS - 1, Math.floor(maxMs / BIN_MS));
    const density = k / (b - a + 1);
    this.diff[a]! += density;
    this.diff[b + 1]! -= density;
  }

  get records(): number {
    return this.count;
  }
  get avgMs(): number {
    return this.count === 0 ? 0 : this.sumMs / this.count;
  }
  get maxLatencyMs(): number {
    return this.maxMs;
  }

  /** Latency (ms) at each quantile in qs (ascending, 0..1). */
  percentiles(qs: number[]): number[] {
    const out: number[] = qs.map(() => 0);
    if (this.count === 0) return out;
    let density = 0;
    let seen = 0;
    let qi = 0;
    for (let i = 0; i < BINS && qi < qs.length; i++) {
      density += this.diff[i]!;
      seen += density;
      while (qi < qs.length && seen >= qs[qi]! * this.count - 1e-9) {
        out[qi] = Math.min(this.maxMs, (i + 1) * BIN_MS);
        qi++;
      }
    }
    while (qi < qs.length) out[qi++] = this.maxMs;
    return out;
  }
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one host. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Bounded time series kept by the console for its charts (a group's lag, a topic's end offsets,
 * request round-trip times). Samples are taken when a page asks for the data (the browser polls
 * while a page is open), so nothing runs while nobody looks; `minIntervalMs` keeps two tabs polling
 * the same group from doubling the samples.
 *
 * Bounds: `pointsMax` samples per series (oldest dropped) and `seriesMax` series (the series least
 * recently written is dropped), so a cluster with many groups cannot grow this without limit.
 */

export interface HistoryOptions {
  pointsMax?: number;
  seriesMax?: number;
  minIntervalMs?: number;
}

export class History {
  readonly pointsMax: number;
  readonly seriesMax: number;
  readonly minIntervalMs: number;
  /** Map order = least recently written first. */
  #series = new Map<string, Array<[number, number]>>();

  constructor(opts: HistoryOptions = {}) {
    this.pointsMax = opts.pointsMax ?? 600;
    this.seriesMax = opts.seriesMax ?? 2_000;
    this.minIntervalMs = opts.minIntervalMs ?? 900;
  }

  /** Adds a sample unless the series got one less than minIntervalMs ago; returns the series. */
  add(key: string, tMs: number, value: number): Array<[number, number]> {
    let points = this.#series.get(key);
    if (points === undefined) {
      points = [];
      if (this.#series.size >= this.seriesMax) this.#series.delete(this.#series.keys().next().value as string);
    } else {
      this.#series.delete(key); // re-inserted below: most recently written last
      const last = points[points.length - 1];
      if (last !== undefined && tMs - last[0] < this.minIntervalMs) {
        this.#series.set(key, points);
        return points;
      }
    }
    points.push([tMs, value]);
    if (points.length > this.pointsMax) points.splice(0, points.length - this.pointsMax);
    this.#series.set(key, points);
    return points;
  }

  get(key: string): Array<[number, number]> {
    return this.#series.get(key) ?? [];
  }

  get size(): number {
    return this.#series.size;
  }
}

/**
 * Per-second rate between consecutive samples of a counter (end offsets, Prometheus counters). A
 * counter that went down (a restart, a deleted topic) starts over: that interval is skipped.
 */
export function rates(points: ReadonlyArray<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 1; i < points.length; i++) {
    const [t0, v0] = points[i - 1]!;
    const [t1, v1] = points[i]!;
    if (t1 <= t0 || v1 < v0) continue;
    out.push([t1, ((v1 - v0) * 1000) / (t1 - t0)]);
  }
  return out;
}

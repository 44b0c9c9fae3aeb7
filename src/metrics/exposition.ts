/**
 * Our own Prometheus exposition writer (text format 0.0.4, and OpenMetrics 1.0 when the scraper
 * asks for application/openmetrics-text), and the two series types counted on the data path.
 *
 * Why not prom-client: its registry keys every labelled series by a string built from the label
 * values on each inc()/observe(), which is per-request string building and allocation on the
 * produce/fetch path. Our series are fixed and few: the data path holds a direct reference to a
 * Counter or Histogram (resolved once, by array index or a Map lookup with a string it already
 * has) and adds to plain numbers in place; everything else is read from the broker's own state
 * when /metrics is scraped. The format itself is a page of rules, written here from the
 * Prometheus and OpenMetrics specifications; test/metrics/prom-parser.ts checks our output
 * strictly.
 *
 * Families are written once each, whole: HELP, TYPE, then every sample. Counter families are named
 * without `_total` (`kafka_server_brokertopicmetrics_bytesin`); the writer adds it to samples (and to
 * the TYPE line in the 0.0.4 format, where that is the convention).
 */

export type ExpositionFormat = 'prometheus' | 'openmetrics';

export const CONTENT_TYPE: Record<ExpositionFormat, string> = {
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** The format to answer with for an Accept header (OpenMetrics only when asked for). */
export function formatFor(accept: string | undefined): ExpositionFormat {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept) ? 'openmetrics' : 'prometheus';
}

/** A monotonically increasing count, incremented in place. */
export class Counter {
  value = 0;
  inc(n = 1): void {
    this.value += n;
  }
}

/**
 * A histogram over fixed upper bounds (seconds or bytes; +Inf implied). `counts[i]` holds the
 * observations in bucket i only (not cumulative); the writer accumulates.
 */
export class Histogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

export type Labels = ReadonlyArray<readonly [string, string]>;

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A number as the formats spell it: integers plainly, +Inf/-Inf/NaN by name. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** A bucket bound as a label value, canonical for OpenMetrics: 1 → "1.0", 0.005 → "0.005". */
function formatBound(v: number): string {
  if (v === Infinity) return '+Inf';
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

function labelText(labels: Labels | null, extra?: readonly [string, string]): string {
  const all = extra ? [...(labels ?? []), extra] : (labels ?? []);
  if (all.length === 0) return '';
  return `{${all.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

export type MetricType = 'counter' | 'gauge' | 'histogram';

export class ExpositionWriter {
  readonly #parts: string[] = [];
  readonly #written = new Set<string>();
  #series = 0;

  constructor(readonly format: ExpositionFormat) {}

  /** How many samples were written (the series count of this scrape). */
  get seriesCount(): number {
    return this.#series;
  }

  #header(name: string, type: MetricType, help: string): void {
    if (this.#written.has(name)) throw new Error(`metric family ${name} written twice`); // our bug: one writer per family
    this.#written.add(name);
    const typeName = type === 'counter' && this.format === 'prometheus' ? `${name}_total` : name;
    this.#parts.push(`# HELP ${typeName} ${escapeHelp(help)}\n# TYPE ${typeName} ${type}\n`);
  }

  #sample(name: string, labels: Labels | null, value: number, extra?: readonly [string, string]): void {
    this.#parts.push(`${name}${labelText(labels, extra)} ${formatValue(value)}\n`);
    this.#series++;
  }

  /** A gauge family; `series` may be empty (the family is then left out entirely). */
  gauge(name: string, help: string, series: Iterable<readonly [Labels | null, number]>): void {
    const list = [...series];
    if (list.length === 0) return;
    this.#header(name, 'gauge', help);
    for (const [labels, v] of list) this.#sample(name, labels, v);
  }

  counter(name: string, help: string, series: Iterable<readonly [Labels | null, number]>): void {
    const list = [...series];
    if (list.length === 0) return;
    this.#header(name, 'counter', help);
    for (const [labels, v] of list) this.#sample(`${name}_total`, labels, v);
  }

  histogram(name: string, help: string, series: Iterable<readonly [Labels | null, { bounds: readonly number[]; counts: ArrayLike<number>; sum: number; count: number }]>): void {
    const list = [...series];
    if (list.length === 0) return;
    this.#header(name, 'histogram', help);
    for (const [labels, h] of list) {
      let cumulative = 0;
      for (let i = 0; i < h.bounds.length; i++) {
        cumulative += h.counts[i]!;
        this.#sample(`${name}_bucket`, labels, cumulative, ['le', formatBound(h.bounds[i]!)]);
      }
      this.#sample(`${name}_bucket`, labels, h.count, ['le', '+Inf']);
      this.#sample(`${name}_sum`, labels, h.sum);
      this.#sample(`${name}_count`, labels, h.count);
    }
  }

  /** The exposition text (OpenMetrics ends with # EOF). */
  finish(): string {
    if (this.format === 'openmetrics') this.#parts.push('# EOF\n');
    return this.#parts.join('');
  }
}

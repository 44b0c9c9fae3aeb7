/**
 * The metrics overview page: throughput and latency over time.
 *
 * - With a `metricsUrl` (the broker's Prometheus endpoint), each look scrapes it and keeps the sum
 *   over labels of every counter whose name says bytes or messages in/out (`*bytes*in*_total`,
 *   `*messages*in*_total`, ...); throughput is their per-second rate between samples. Latency is
 *   the mean of each request-latency histogram between samples (Δ_sum / Δ_count of families whose
 *   name has request and latency/time/duration). Names are matched by pattern so the page keeps
 *   working when series are added; docs/CONSOLE.md lists the patterns.
 * - Without it (any Kafka cluster), throughput is derived from offsets: the sum of every topic's
 *   end offset, sampled on each look, as records per second, per topic (the five busiest) and in
 *   total.
 * - Either way the console adds what it measures itself: the round-trip time of its Metadata and
 *   ListOffsets requests.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { ConsoleContext } from './context.js';
import { rates } from './history.js';
import type { MetricsOverview, SeriesView } from './types.js';

const SCRAPE_TIMEOUT_MS = 3_000;
const SCRAPE_BYTES_MAX = 8 * 1024 * 1024;
const TOPICS_CHARTED_MAX = 5;

const THROUGHPUT = /(bytes|messages|records).*(in|out)|(in|out).*(bytes|messages|records)/i;
const LATENCY = /request.*(latency|time|duration)|(latency|time|duration).*request/i;

/** Sums each metric's samples over their labels: name → value (Prometheus text format). */
export function parsePrometheusText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[^}"]|"(?:[^"\\]|\\.)*")*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const v = Number(m[3]);
    if (!Number.isFinite(v)) continue;
    out.set(m[1]!, (out.get(m[1]!) ?? 0) + v);
  }
  return out;
}

async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS), headers: { accept: 'text/plain' } });
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > SCRAPE_BYTES_MAX) throw new Error(`${url} answered ${text.length} bytes, more than the ${SCRAPE_BYTES_MAX} the console reads`);
  return parsePrometheusText(text);
}

function isThroughputCounter(name: string): boolean {
  return name.endsWith('_total') && THROUGHPUT.test(name) && !/request|error|fail/i.test(name);
}

function fromPrometheus(ctx: ConsoleContext, samples: Map<string, number>, tMs: number): { throughput: SeriesView[]; latency: SeriesView[] } {
  const throughput: SeriesView[] = [];
  const latency: SeriesView[] = [];
  for (const [name, value] of samples) {
    if (isThroughputCounter(name)) {
      const points = ctx.history.add(`prom:${name}`, tMs, value);
      throughput.push({ name, unit: /bytes/i.test(name) ? 'bytes/s' : 'per s', points: rates(points) });
    }
    if (name.endsWith('_sum') && LATENCY.test(name)) {
      const base = name.slice(0, -'_sum'.length);
      const count = samples.get(`${base}_count`);
      if (count === undefined) continue;
      const sums = ctx.history.add(`prom:${name}`, tMs, value);
      const counts = ctx.history.add(`prom:${base}_count`, tMs, count);
      const seconds = /seconds/.test(base);
      const points: Array<[number, number]> = [];
      for (let i = 1; i < Math.min(sums.length, counts.length); i++) {
        const dn = counts[i]![1] - counts[i - 1]![1];
        const ds = sums[i]![1] - sums[i - 1]![1];
        if (dn > 0 && ds >= 0) points.push([sums[i]![0], (ds / dn) * (seconds ? 1000 : 1)]);
      }
      latency.push({ name: base, unit: 'ms', points });
    }
  }
  return { throughput, latency };
}

async function fromOffsets(ctx: ConsoleContext, tMs: number): Promise<{ throughput: SeriesView[]; latency: SeriesView[] }> {
  const t0 = performance.now();
  const md = await ctx.metadata();
  const t1 = performance.now();
  const topics = [...md.topics.values()].filter((t) => t.errorCode === ErrorCode.NONE && !t.isInternal);
  const offsets = await ctx.partitionOffsets(
    md,
    topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partition }))),
  );
  const t2 = performance.now();
  const perTopic = new Map<string, number>();
  let total = 0;
  let complete = true;
  for (const t of topics) {
    let sum = 0;
    for (const p of t.partitions) {
      const o = offsets.get(`${t.name}\u0000${p.partition}`);
      if (o) sum += o.latest;
      else complete = false;
    }
    perTopic.set(t.name, sum);
    total += sum;
  }
  const throughput: SeriesView[] = [];
  // A partition that did not answer would look like a drop to zero: skip the sample, keep the history.
  const totalPoints = complete ? ctx.history.add('offsets:*', tMs, total) : ctx.history.get('offsets:*');
  throughput.push({ name: 'all topics', unit: 'records/s', points: rates(totalPoints) });
  const perTopicSeries = [...perTopic].map(([name, sum]) => ({ name, points: rates(complete ? ctx.history.add(`offsets:${name}`, tMs, sum) : ctx.history.get(`offsets:${name}`)) }));
  perTopicSeries.sort((a, b) => (b.points[b.points.length - 1]?.[1] ?? 0) - (a.points[a.points.length - 1]?.[1] ?? 0));
  for (const s of perTopicSeries.slice(0, TOPICS_CHARTED_MAX)) throughput.push({ name: s.name, unit: 'records/s', points: s.points });
  const latency: SeriesView[] = [
    { name: 'Metadata round trip (console)', unit: 'ms', points: [...ctx.history.add('rtt:metadata', tMs, t1 - t0)] },
    { name: 'ListOffsets round trip (console)', unit: 'ms', points: [...ctx.history.add('rtt:listoffsets', tMs, t2 - t1)] },
  ];
  return { throughput, latency };
}

export async function metricsOverview(ctx: ConsoleContext, metricsUrl: string | null): Promise<MetricsOverview> {
  const tMs = ctx.now();
  let error: string | null = null;
  if (metricsUrl !== null) {
    try {
      const samples = await scrape(metricsUrl);
      const prom = fromPrometheus(ctx, samples, tMs);
      const own = await fromOffsets(ctx, tMs);
      return { source: 'prometheus', metricsUrl, error: null, throughput: prom.throughput, latency: [...prom.latency, ...own.latency] };
    } catch (err) {
      error = `reading ${metricsUrl} failed: ${err instanceof Error ? err.message : String(err)}; showing throughput derived from offsets`;
    }
  }
  const own = await fromOffsets(ctx, tMs);
  return { source: 'offsets', metricsUrl, error, ...own };
}

/** Metrics overview: throughput and latency charts (from the broker's /metrics, or from offsets). */
import type { View, ViewContext } from './app.js';
import type { MetricsOverview, SeriesView } from '../types.js';
import { lineChart } from './chart.js';
import { fill, getJson, h, notice } from './dom.js';

function unitOf(series: SeriesView[], fallback: string): string {
  const units = [...new Set(series.map((s) => s.unit))];
  return units.length === 1 ? units[0]! : fallback;
}

export function metricsView(ctx: ViewContext): View {
  const note = h('div');
  const charts = h('div', { class: 'charts' });
  ctx.root.append(h('h1', null, 'Metrics'), note, charts);
  return {
    async update() {
      const m = await getJson<MetricsOverview>('/v1/metrics');
      fill(
        note,
        m.error ? notice(m.error, 'error') : null,
        h(
          'p',
          { class: 'muted', attrs: { 'data-source': m.source } },
          m.source === 'prometheus'
            ? `Throughput and request latency from ${m.metricsUrl ?? ''}, sampled while this page is open.`
            : 'Throughput derived from the topics\' end offsets (records per second), sampled while this page is open; latency is the round trip of the console\'s own requests.',
        ),
      );
      fill(
        charts,
        lineChart('Throughput', unitOf(m.throughput, 'per s'), m.throughput, { testId: 'throughput' }),
        lineChart('Latency', unitOf(m.latency, 'ms'), m.latency, { testId: 'latency' }),
      );
    },
  };
}

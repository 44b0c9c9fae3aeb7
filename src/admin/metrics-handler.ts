/**
 * GET /metrics: the Prometheus exposition of this broker (src/metrics/collect.ts), in the text
 * format 0.0.4, or OpenMetrics 1.0 when the Accept header asks for application/openmetrics-text.
 */
import { collectMetrics, type MetricsSources } from '../metrics/collect.js';
import { CONTENT_TYPE, formatFor } from '../metrics/exposition.js';
import { route, type AdminHttpHandler } from './http.js';

export function metricsHandler(sources: () => MetricsSources): AdminHttpHandler {
  return route('/metrics', (req) => {
    const format = formatFor(req.headers.accept);
    const w = collectMetrics(sources(), format);
    return { status: 200, headers: { 'Content-Type': CONTENT_TYPE[format] }, body: w.finish() };
  });
}

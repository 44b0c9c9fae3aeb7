/**
 * Reaching a broker's admin HTTP listener from tests: plain node:http requests (every one with a
 * timeout), a /metrics scrape parsed strictly (prom-parser.ts), and raw bytes over TCP for the
 * bad-input tests.
 */
import http from 'node:http';
import net from 'node:net';
import { parseExposition, type Exposition } from './prom-parser.js';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function httpGet(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers, agent: false, timeout: opts.timeoutMs ?? 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} on port ${port} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export async function scrape(port: number, format: 'prometheus' | 'openmetrics' = 'prometheus'): Promise<Exposition & { text: string }> {
  const r = await httpGet(port, '/metrics', format === 'openmetrics' ? { headers: { Accept: 'application/openmetrics-text; version=1.0.0' } } : {});
  if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${r.body}`);
  return { ...parseExposition(r.body, format), text: r.body };
}

/** Sends raw bytes and returns everything the server writes back before closing (or the timeout). */
export function rawExchange(port: number, bytes: Buffer, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const t = setTimeout(() => s.destroy(), timeoutMs);
    s.on('connect', () => s.write(bytes));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => undefined); // a reset after the answer is expected; 'close' follows
    s.on('close', () => {
      clearTimeout(t);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
  });
}

/**
 * MemoryHttp: an Http without sockets, for the simulator and unit tests. `listen` records the
 * handler (ports count up from 1 when 0 is asked); `request()` calls it as a well-formed request
 * would arrive, after the same body-size check the node implementation makes (413).
 */
import type { Http, HttpRequestIn, HttpResponseOut, HttpServerLimits } from '../http.js';
import type { Listener } from '../net.js';

interface Bound {
  limits: HttpServerLimits;
  handler: (req: HttpRequestIn) => Promise<HttpResponseOut>;
}

export class MemoryHttp implements Http {
  readonly #bound = new Map<number, Bound>();
  #nextPort = 1;

  async listen(host: string, port: number, limits: HttpServerLimits, handler: (req: HttpRequestIn) => Promise<HttpResponseOut>): Promise<Listener> {
    const p = port === 0 ? this.#nextPort++ : port;
    if (this.#bound.has(p)) throw Object.assign(new Error(`listen EADDRINUSE: address already in use ${host}:${p}`), { code: 'EADDRINUSE' });
    this.#bound.set(p, { limits, handler });
    return { host, port: p, close: async () => void this.#bound.delete(p) };
  }

  /** Sends a request to the listener on `port`; rejects when nothing listens there (ECONNREFUSED). */
  async request(port: number, req: { method?: string; url: string; headers?: Record<string, string>; body?: Buffer }): Promise<HttpResponseOut> {
    const b = this.#bound.get(port);
    if (!b) throw Object.assign(new Error(`connect ECONNREFUSED port ${port}`), { code: 'ECONNREFUSED' });
    const body = req.body ?? Buffer.alloc(0);
    if (body.length > b.limits.bodyBytesMax) return { status: 413, headers: {}, body: `request body larger than ${b.limits.bodyBytesMax} bytes\n` };
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
    return b.handler({ method: req.method ?? 'GET', url: req.url, headers, body, remoteAddress: 'memory:0' });
  }
}

/**
 * The admin HTTP listener's routing contract and server. A broker's admin listener
 * (`admin.listeners`) answers read-only HTTP: /metrics, /health, /ready (src/admin/*.ts) and the
 * web console's /v1/... JSON and pages (src/console/). Each feature is an AdminHttpHandler; the
 * server tries them in order and the first non-null answer wins, 404 when none answers. The
 * order is set in one place, `adminHandlers()` in broker.ts.
 *
 * Bad input never reaches a handler: io/http.ts answers malformed HTTP (400), headers over
 * `headerBytesMax` (431) and bodies over `bodyBytesMax` (413). A target that is not an
 * origin-form path (`http://x/...`, `*`) is 400 here. A handler that throws is a broker bug: the
 * client gets 500, the error is logged, the broker keeps serving.
 *
 * Lifecycle: created and bound by Broker.start before the logs are recovered (so /health and
 * /ready answer during start-up), closed at stop after the Kafka listeners.
 */
import type { Logger } from 'pino';
import type { Http, HttpRequestIn, HttpResponseOut } from '../io/http.js';
import type { Listener } from '../io/net.js';
import type { AdminHttpHandler, AdminHttpRequest, AdminHttpResponse } from './http-types.js';

export type { AdminHttpHandler, AdminHttpRequest, AdminHttpResponse };

/** Bounds of the admin listener (read-only API: small bodies). */
export const adminHttpLimits = {
  bodyBytesMax: 1024 * 1024,
  headerBytesMax: 16 * 1024,
  requestTimeoutMs: 30_000,
} as const;

export function textResponse(status: number, text: string, headers: Record<string, string> = {}): AdminHttpResponse {
  return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers }, body: text.endsWith('\n') ? text : `${text}\n` };
}

/** Splits an origin-form request target into path and query; null when it is not one. */
export function parseTarget(url: string): { path: string; query: URLSearchParams } | null {
  if (!url.startsWith('/') || url.startsWith('//')) return null;
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return null; // a bad %-escape: the caller answers 400
  }
  return { path, query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)) };
}

export class AdminHttpServer {
  readonly #listeners: Listener[] = [];
  #handlers: readonly AdminHttpHandler[];

  constructor(
    handlers: readonly AdminHttpHandler[],
    private readonly log: Logger,
  ) {
    this.#handlers = handlers;
  }

  /** Replaces the handler list (Broker.start: the start-up list, then the full one once it serves). */
  setHandlers(handlers: readonly AdminHttpHandler[]): void {
    this.#handlers = handlers;
  }

  async listen(http: Http, host: string, port: number): Promise<Listener> {
    const l = await http.listen(host, port, adminHttpLimits, (req) => this.handle(req));
    this.#listeners.push(l);
    return l;
  }

  /** Routes one request through the handlers; exported for unit tests through MemoryHttp too. */
  async handle(raw: HttpRequestIn): Promise<HttpResponseOut> {
    const target = parseTarget(raw.url);
    if (target === null) return textResponse(400, `bad request target ${JSON.stringify(raw.url.slice(0, 200))}: expected a path such as /metrics`);
    const req: AdminHttpRequest = { method: raw.method.toUpperCase(), path: target.path, query: target.query, headers: raw.headers, body: raw.body };
    for (const h of this.#handlers) {
      try {
        const answer = await h(req);
        if (answer !== null) return answer;
      } catch (err) {
        this.log.error({ err, method: req.method, path: req.path, client: raw.remoteAddress }, 'admin HTTP handler failed (a broker bug)');
        return textResponse(500, 'internal error; see the broker log');
      }
    }
    return textResponse(404, `no such endpoint ${req.path}; try /metrics, /health or /ready`);
  }

  async close(): Promise<void> {
    await Promise.all(this.#listeners.splice(0).map((l) => l.close()));
  }
}

/** A handler answering GET and HEAD on one exact path; other methods there get 405. */
export function route(path: string, answer: (req: AdminHttpRequest) => Promise<AdminHttpResponse> | AdminHttpResponse): AdminHttpHandler {
  return async (req) => {
    if (req.path !== path) return null;
    if (req.method !== 'GET' && req.method !== 'HEAD') return textResponse(405, `${path} is read-only: use GET`, { Allow: 'GET, HEAD' });
    return answer(req);
  };
}
